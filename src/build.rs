//! `daxkit build`: `make bzImage` in the worktree with `O=<build dir>`,
//! ccache (installed on demand), `-j` = cores, a progress bar driven by kbuild's
//! own output, the full log in the build dir.
//!
//! One build dir per tree, locked while a build runs, so a second daxkit
//! waits instead of corrupting it. kbuild deletes half-written targets on
//! Ctrl-C (.DELETE_ON_ERROR), so an interrupted build dir stays reusable.

use crate::apply::Applied;
use crate::build_steps::{self, StepCounts};
use crate::exec::{self, require_tool, Cmd, CommandFailed};
use crate::home::Home;
use crate::host::Host;
use crate::ui;
use anyhow::{bail, Context, Result};
use fs2::FileExt;
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// `CC=` for make; `None`: `ccache gcc` (see [`default_cc`]).
    pub cc: Option<String>,
    pub jobs: usize,
    /// A make target other than bzImage (e.g. `fs/dax.o`): built, never kept.
    pub target: Option<String>,
    /// Also keep this build's log here (a bisect step's or a patch's own
    /// copy: the build dir's log is overwritten by the next build).
    pub log_copy: Option<PathBuf>,
}

impl BuildOptions {
    /// `cc` (`--cc`) and `target` (`--make-target`), with a job per core.
    pub fn new(cc: Option<String>, target: Option<String>) -> BuildOptions {
        BuildOptions {
            cc,
            jobs: exec::cores(),
            target,
            log_copy: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BuildOutcome {
    pub bzimage: PathBuf,
    pub log: PathBuf,
}

/// What `CC=` to use when the user gave none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CcChoice {
    /// `ccache gcc`, ccache installed already.
    Ccache,
    /// `ccache gcc` after installing ccache.
    InstallCcache,
    /// Plain gcc: ccache is missing and daxkit may not install it.
    PlainGcc,
}

/// The README promises ccache: installed on demand like every other tool;
/// plain gcc only when installing is not allowed.
pub fn cc_choice(have_ccache: bool, may_install: bool) -> CcChoice {
    match (have_ccache, may_install) {
        (true, _) => CcChoice::Ccache,
        (false, true) => CcChoice::InstallCcache,
        (false, false) => CcChoice::PlainGcc,
    }
}

impl CcChoice {
    /// On the probed host.
    pub fn on(host: &Host) -> CcChoice {
        cc_choice(host.ccache.is_some(), host.may_install)
    }

    /// `CC=` for make.
    pub fn cc(self) -> Option<String> {
        match self {
            CcChoice::Ccache | CcChoice::InstallCcache => Some("ccache gcc".to_owned()),
            CcChoice::PlainGcc => None,
        }
    }

    /// What has to happen before make runs: ccache installed (a failed
    /// install is an error), or a note that the build goes without it.
    pub fn prepare(self) -> Result<()> {
        match self {
            CcChoice::Ccache => Ok(()),
            CcChoice::InstallCcache => require_tool("ccache").map(|_| ()),
            CcChoice::PlainGcc => {
                ui::note(format!(
                    "building without ccache (not installed, and daxkit may not install it: \
                     not root with apt-get, or DAXKIT_NO_INSTALL is set); install {}",
                    exec::Provider::Apt("ccache")
                ));
                Ok(())
            }
        }
    }
}

/// `CC=` for a make without `--cc` (see [`CcChoice`]), ready to use.
pub fn default_cc(host: &Host) -> Result<Option<String>> {
    let c = CcChoice::on(host);
    c.prepare()?;
    Ok(c.cc())
}

/// What [`build`] runs for a commit and config, decided from the probed
/// host without touching it or the tree (what `build --dry-run` prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// The build dir (`O=`), one per base tree.
    pub build_dir: PathBuf,
    /// The kept kernel of this commit and config: reused when it holds a
    /// bzImage (and the worktree is clean), else made there.
    pub kept: PathBuf,
    /// The full build log.
    pub log: PathBuf,
    /// How `CC=` was picked; `None` when `--cc` gave it.
    pub cc: Option<CcChoice>,
    pub make: Cmd,
}

/// Plans the build of `worktree` (base tree `base_id`) with config
/// `stamp` (pure).
pub fn plan(
    home: &Home,
    worktree: &Path,
    base_id: &str,
    stamp: &str,
    opts: &BuildOptions,
    host: &Host,
) -> BuildPlan {
    let build_dir = home.build_dir(base_id);
    let cc = opts.cc.is_none().then(|| CcChoice::on(host));
    let opts = BuildOptions {
        cc: opts.cc.clone().or_else(|| cc.and_then(CcChoice::cc)),
        ..opts.clone()
    };
    BuildPlan {
        kept: kernel_dir(home, stamp),
        log: build_dir.join("daxkit-build.log"),
        cc,
        make: make_cmd(worktree, &build_dir, &opts),
        build_dir,
    }
}

/// The make invocation, without running it.
pub fn make_cmd(src: &Path, build: &Path, opts: &BuildOptions) -> Cmd {
    let mut cmd = Cmd::new("make")
        .arg("-C")
        .arg(src)
        .arg(format!("O={}", build.display()))
        .arg("ARCH=x86_64")
        .arg(format!("-j{}", opts.jobs))
        // A build left running by a SIGKILLed daxkit would race the next
        // build in the same dir once the dir's lock is free. On SIGTERM
        // make signals its jobs and sub-makes and deletes half-made
        // targets; a compiler already running finishes its one file.
        .die_with_daxkit(libc::SIGTERM);
    if let Some(cc) = &opts.cc {
        if cc.starts_with("ccache") {
            // Relative paths in the hash: worktrees at other paths still
            // hit. The cache itself is the user's (CCACHE_DIR or ccache's
            // default), shared with their other kernel builds.
            cmd = cmd.env("CCACHE_BASEDIR", "/");
        }
        cmd = cmd.arg(format!("CC={cc}"));
    }
    cmd.arg(opts.target.as_deref().unwrap_or("bzImage"))
}

static STEP: LazyLock<Regex> = LazyLock::new(|| {
    // `  CC      fs/dax.o`, `  LD [M]  x.ko`, `  RUSTC L rust/core.o`
    Regex::new(r"^  ([A-Z][A-Z0-9_]*(?: \[[A-Z]\]| [A-Z]\b)?)\s+(\S.*)$").unwrap()
});

/// A kbuild progress line (`  CC      fs/dax.o`) → (verb, target).
pub fn parse_step(line: &str) -> Option<(&str, &str)> {
    let c = STEP.captures(line)?;
    let verb = c.get(1)?.as_str();
    // Lines such as "  Kernel: arch/x86/boot/bzImage is ready" are not steps.
    if verb.len() > 12 {
        return None;
    }
    Some((verb, c.get(2)?.as_str()))
}

/// Error lines worth showing first from a failed build log: compiler and
/// linker errors (gcc's `file:line:col: error:`, rustc's `error[E…]` with
/// its `-->` location, ld's undefined references), in log order, without
/// repeats; make's own `***` lines only when there is no such error.
pub fn first_errors(log_text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = log_text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if out.len() == n {
            break;
        }
        if !is_compiler_error(l) {
            continue;
        }
        let mut e = l.trim_end().to_owned();
        if l.starts_with("error") {
            // rustc puts the location on the next line.
            if let Some(at) = lines[i + 1..]
                .iter()
                .take(2)
                .find_map(|x| x.trim_start().strip_prefix("--> "))
            {
                e = format!("{at}: {e}");
            }
        }
        if !out.contains(&e) {
            out.push(e);
        }
    }
    if out.is_empty() {
        out = lines
            .iter()
            .filter(|l| l.contains("***") && (l.starts_with("make") || l.contains("Makefile")))
            .take(n)
            .map(|l| l.trim_end().to_owned())
            .collect();
    }
    out
}

fn is_compiler_error(l: &str) -> bool {
    (l.contains(": error:") || l.contains(": fatal error:") || l.starts_with("error"))
        && !l.starts_with("error: aborting due to")
        && !l.contains("ld returned 1 exit status")
        || l.contains("undefined reference to")
        || l.contains("all warnings being treated as errors")
}

/// A kernel build that ran and failed. The first line says what failed and
/// where the log is, so a one-line summary (a bisect step, a check-series
/// row) carries the first compiler error.
#[derive(Debug, thiserror::Error)]
#[error(
    "kernel build failed after {wall_s:.0}s: {}; log {}\nfirst errors:\n{}\nlast lines:\n{tail}",
    errors.first().map_or("no compiler error in the log (see its last lines)", String::as_str),
    log.display(),
    errors.join("\n")
)]
pub struct BuildFailed {
    pub wall_s: f64,
    pub errors: Vec<String>,
    pub tail: String,
    /// This build's log: the caller's copy if it asked for one
    /// ([`BuildOptions::log_copy`]), else the build dir's.
    pub log: PathBuf,
}

/// Copies the build dir's log to `copy`; returns the log to name.
fn keep_log(log: &Path, copy: Option<&Path>) -> PathBuf {
    let Some(copy) = copy else {
        return log.to_owned();
    };
    if let Some(dir) = copy.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::copy(log, copy) {
        Ok(_) => copy.to_owned(),
        Err(e) => {
            ui::note(format!(
                "could not copy {} to {}: {e}",
                log.display(),
                copy.display()
            ));
            log.to_owned()
        }
    }
}

/// Where a built kernel is kept, by config stamp (commit + fragments):
/// switching between stock and patched reuses both without rebuilding.
pub fn kernel_dir(home: &Home, stamp: &str) -> PathBuf {
    home.root
        .join("kernels")
        .join(&stamp[..16.min(stamp.len())])
}

/// Builds `applied` with the `.config` that `kconfig::configure` made
/// (`stamp` from its report), or returns the kept kernel of an earlier
/// build of the same commit and config.
pub fn build(
    home: &Home,
    applied: &Applied,
    stamp: &str,
    opts: &BuildOptions,
) -> Result<BuildOutcome> {
    let host = Host::get();
    let plan = plan(home, &applied.worktree, &applied.base.id, stamp, opts, host);
    let kept = &plan.kept;
    // Local edits in the worktree (a developer iterating on fs/dax.c) are
    // not in the stamp: always run make then, and keep nothing.
    let dirty = !Cmd::new("git")
        .arg("-C")
        .arg(&applied.worktree)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .read()?
        .trim()
        .is_empty();
    if !dirty && opts.target.is_none() && kept.join("bzImage").is_file() {
        // In use by this daxkit (its boots come next), and used now for
        // `daxkit gc --max-size`'s least-recently-used order.
        crate::gc::hold(kept);
        ui::note(format!(
            "kernel for {} already built: {}",
            crate::tree::short(&applied.head),
            kept.display()
        ));
        return Ok(BuildOutcome {
            bzimage: kept.join("bzImage"),
            log: keep_log(&kept.join("build.log"), opts.log_copy.as_deref()),
        });
    }
    // Build the commit the stamp names: the shared worktree may have been
    // moved since (a kept kernel labelled stock but built from the series
    // would poison every later run).
    crate::tree::checkout(home, &applied.base, &applied.head)?;
    let build = &plan.build_dir;
    if !build.join(".config").is_file() {
        bail!("{}: no .config; run `daxkit config` first", build.display());
    }
    exec::require_tools(exec::Need::Build)?;
    if !host.libelf_headers {
        exec::require_file(&exec::LIBELF_HEADERS)?;
    }
    let config = std::fs::read_to_string(build.join(".config"))?;
    if config.contains("\nCONFIG_RUST=y") {
        require_tool("bindgen")?;
    }
    let lock_path = build.join(".daxkit-build.lock");
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("creating {}", lock_path.display()))?;
    if lock.try_lock_exclusive().is_err() {
        ui::note(format!("waiting for another build of {}", build.display()));
        lock.lock_exclusive()?;
    }
    let steps_key = build_steps::Key::new(&config, !build.join("vmlinux").exists());
    let mut step_counts = StepCounts::load(build);
    let estimate = step_counts.total(&steps_key);
    let log = &plan.log;
    std::fs::write(log, "")?;
    if let Some(c) = plan.cc {
        c.prepare()?;
    }
    let cmd = &plan.make;
    ui::step(format!(
        "building bzImage at {} (-j{}, log {})",
        crate::tree::short(&applied.head),
        opts.jobs,
        log.display()
    ));
    let start = Instant::now();
    let mut bar = ui::Progress::new("build", estimate);
    let mut steps = 0u64;
    let res = cmd.run_logged(log, |line| {
        if let Some((_, target)) = parse_step(line) {
            steps += 1;
            bar.inc(target);
        }
    });
    bar.finish();
    let wall = start.elapsed();
    let kept_log = keep_log(log, opts.log_copy.as_deref());
    if let Err(e) = res {
        if exec::interrupted() {
            bail!(
                "build interrupted; {} is reusable, rerun to continue (log {})",
                build.display(),
                kept_log.display()
            );
        }
        if let Some(f) = e.downcast_ref::<CommandFailed>() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(BuildFailed {
                wall_s: wall.as_secs_f64(),
                errors: first_errors(&text, 12),
                tail: exec::tail_of(&f.tail, 10),
                log: kept_log,
            }
            .into());
        }
        return Err(e);
    }
    // A single target says nothing about the next bzImage build.
    if opts.target.is_none() {
        step_counts.record(steps_key, steps);
        if let Err(e) = step_counts.save(build) {
            ui::note(format!("could not record the build's step count: {e}"));
        }
    }
    let built = build.join(opts.target.as_deref().unwrap_or("arch/x86/boot/bzImage"));
    if !built.exists() {
        bail!("make succeeded but {} is missing", built.display());
    }
    if let Some(t) = &opts.target {
        ui::note(format!("built {t} in {:.1}s", wall.as_secs_f64()));
        return Ok(BuildOutcome {
            bzimage: built,
            log: kept_log,
        });
    }
    if dirty {
        ui::note("worktree has local changes: built kernel not kept");
        return Ok(BuildOutcome {
            bzimage: built,
            log: kept_log,
        });
    }
    // Keep a copy: the build dir moves on with the next commit.
    let tmp = kept.with_extension("tmp");
    std::fs::create_dir_all(&tmp)?;
    std::fs::copy(&built, tmp.join("bzImage"))?;
    std::fs::copy(build.join(".config"), tmp.join("config"))?;
    std::fs::copy(log, tmp.join("build.log"))?;
    std::fs::write(tmp.join("commit"), format!("{}\n", applied.head))?;
    std::fs::remove_dir_all(kept).ok();
    std::fs::rename(&tmp, kept)?;
    crate::gc::hold(kept);
    let bzimage = kept.join("bzImage");
    ui::note(format!(
        "built in {:.1}s ({steps} kbuild steps)",
        wall.as_secs_f64()
    ));
    // The kept copy outlives the build dir's log.
    let log = match opts.log_copy {
        Some(_) => kept_log,
        None => kept.join("build.log"),
    };
    Ok(BuildOutcome { bzimage, log })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(parse_step("  CC      fs/dax.o"), Some(("CC", "fs/dax.o")));
        assert_eq!(
            parse_step("  RUSTC L rust/core.o"),
            Some(("RUSTC L", "rust/core.o"))
        );
        assert_eq!(parse_step("  LD [M]  x.ko"), Some(("LD [M]", "x.ko")));
        assert_eq!(
            parse_step("  HOSTCC  scripts/basic/fixdep"),
            Some(("HOSTCC", "scripts/basic/fixdep"))
        );
        assert_eq!(parse_step("make[1]: Entering directory '/x'"), None);
        assert_eq!(parse_step("fs/dax.c:12:1: error: expected ';'"), None);
        assert_eq!(
            parse_step("Kernel: arch/x86/boot/bzImage is ready  (#1)"),
            None
        );
    }

    #[test]
    fn make_command_uses_given_cc() {
        let mut o = BuildOptions {
            cc: Some("distcc gcc".into()),
            jobs: 2,
            target: None,
            log_copy: None,
        };
        let c = make_cmd(Path::new("/s"), Path::new("/b"), &o);
        assert_eq!(
            c.display(),
            "make -C /s O=/b ARCH=x86_64 -j2 'CC=distcc gcc' bzImage"
        );
        o.target = Some("fs/dax.o".into());
        let c = make_cmd(Path::new("/s"), Path::new("/b"), &o);
        assert!(c.display().ends_with(" fs/dax.o"), "{}", c.display());
    }

    #[test]
    fn make_command_without_cc_is_plain_gcc() {
        let o = BuildOptions {
            cc: None,
            jobs: 2,
            target: None,
            log_copy: None,
        };
        let c = make_cmd(Path::new("/s"), Path::new("/b"), &o);
        assert_eq!(c.display(), "make -C /s O=/b ARCH=x86_64 -j2 bzImage");
        let o = BuildOptions {
            cc: Some("ccache gcc".into()),
            ..o
        };
        let c = make_cmd(Path::new("/s"), Path::new("/b"), &o);
        assert_eq!(
            c.display(),
            "CCACHE_BASEDIR=/ make -C /s O=/b ARCH=x86_64 -j2 'CC=ccache gcc' bzImage"
        );
    }

    /// The plan comes from the host value alone: ccache when it is
    /// there, plain gcc when it is not and may not be installed, and
    /// `--cc` as given; paths from the home and the stamp.
    #[test]
    fn build_plan_reads_the_host_it_is_given() {
        let home = Home {
            root: PathBuf::from("/h"),
        };
        let opts = BuildOptions {
            cc: None,
            jobs: 2,
            target: None,
            log_copy: None,
        };
        let wt = Path::new("/h/work/t/src");
        let stamp = "0123456789abcdef0123";
        let plain = Host::plain();
        let p = plan(&home, wt, "t", stamp, &opts, &plain);
        assert_eq!(p.build_dir, Path::new("/h/work/t/build"));
        assert_eq!(p.kept, Path::new("/h/kernels/0123456789abcdef"));
        assert_eq!(p.log, Path::new("/h/work/t/build/daxkit-build.log"));
        assert_eq!(p.cc, Some(CcChoice::PlainGcc));
        assert_eq!(
            p.make.display(),
            "make -C /h/work/t/src O=/h/work/t/build ARCH=x86_64 -j2 bzImage"
        );
        let with_ccache = Host {
            ccache: Some("/usr/bin/ccache".into()),
            ..Host::plain()
        };
        let p = plan(&home, wt, "t", stamp, &opts, &with_ccache);
        assert_eq!(p.cc, Some(CcChoice::Ccache));
        assert!(
            p.make.display().contains("'CC=ccache gcc'"),
            "{}",
            p.make.display()
        );
        let installs = Host {
            may_install: true,
            ..Host::plain()
        };
        let p = plan(&home, wt, "t", stamp, &opts, &installs);
        assert_eq!(p.cc, Some(CcChoice::InstallCcache));
        let given = BuildOptions {
            cc: Some("distcc gcc".into()),
            ..opts
        };
        let p = plan(&home, wt, "t", stamp, &given, &with_ccache);
        assert_eq!(p.cc, None);
        assert!(
            p.make.display().contains("'CC=distcc gcc'"),
            "{}",
            p.make.display()
        );
    }

    #[test]
    fn ccache_is_installed_unless_not_allowed() {
        assert_eq!(cc_choice(true, false), CcChoice::Ccache);
        assert_eq!(cc_choice(true, true), CcChoice::Ccache);
        assert_eq!(cc_choice(false, true), CcChoice::InstallCcache);
        assert_eq!(cc_choice(false, false), CcChoice::PlainGcc);
    }

    /// A -j2 kbuild log as make writes it: gcc's diagnostics (with their
    /// caret lines and notes), rustc's, ld's, and make's own lines.
    const KBUILD_FAILURE: &str = r#"  CC      fs/dax.o
  CC      mm/huge_memory.o
/work/src/fs/dax.c: In function ‘dax_iomap_pmd_fault’:
/work/src/fs/dax.c:1912:22: error: ‘reason’ undeclared (first use in this function)
 1912 |                 trace_dax_pmd_fallback(reason);
      |                                        ^~~~~~
/work/src/fs/dax.c:1912:22: note: each undeclared identifier is reported only once for each function it appears in
/work/src/fs/dax.c:1913:9: error: expected ‘;’ before ‘}’ token
 1913 |         }
      |         ^
cc1: all warnings being treated as errors
make[4]: *** [/work/src/scripts/Makefile.build:229: fs/dax.o] Error 1
make[3]: *** [/work/src/scripts/Makefile.build:478: fs] Error 2
make[3]: *** Waiting for unfinished jobs....
  RUSTC L rust/kernel.o
error[E0425]: cannot find value `pmd_size` in this scope
  --> /work/src/fs/dax_pmd.rs:41:17
   |
41 |     if len < pmd_size {
   |              ^^^^^^^^ not found in this scope

error: aborting due to 1 previous error

ld: vmlinux.o: in function `dax_iomap_fault':
/work/src/fs/dax.c:2001: undefined reference to `dax_pmd_decide'
make[2]: *** [/work/src/Makefile:1945: .] Error 2
make[1]: *** [/work/src/Makefile:224: __sub-make] Error 2
make: *** [Makefile:224: __sub-make] Error 2
"#;

    #[test]
    fn first_errors_are_the_compilers() {
        let e = first_errors(KBUILD_FAILURE, 12);
        assert_eq!(
            e,
            [
                "/work/src/fs/dax.c:1912:22: error: ‘reason’ undeclared (first use in this function)",
                "/work/src/fs/dax.c:1913:9: error: expected ‘;’ before ‘}’ token",
                "cc1: all warnings being treated as errors",
                "/work/src/fs/dax_pmd.rs:41:17: error[E0425]: cannot find value `pmd_size` in this scope",
                "/work/src/fs/dax.c:2001: undefined reference to `dax_pmd_decide'",
            ]
        );
        assert_eq!(first_errors(KBUILD_FAILURE, 2).len(), 2);
        // No compiler error: make's own words.
        let e = first_errors(
            "make[2]: *** No rule to make target 'fs/nope.o', needed by 'fs/built-in.a'.  Stop.\n",
            5,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(first_errors("  CC fs/a.o\n", 5).is_empty());
    }

    #[test]
    fn build_failed_says_the_first_error_on_its_first_line() {
        let f = BuildFailed {
            wall_s: 12.0,
            errors: first_errors(KBUILD_FAILURE, 12),
            tail: "make: *** [Makefile:224: __sub-make] Error 2".into(),
            log: PathBuf::from("/runs/b/steps/abc/build.log"),
        };
        let msg = f.to_string();
        let first = msg.lines().next().unwrap();
        assert!(
            first.contains("fs/dax.c:1912:22: error: ‘reason’ undeclared"),
            "{first}"
        );
        assert!(first.contains("/runs/b/steps/abc/build.log"), "{first}");
        assert!(
            msg.contains("\nfirst errors:\n/work/src/fs/dax.c:1912:22"),
            "{msg}"
        );
        let none = BuildFailed {
            errors: Vec::new(),
            ..f
        };
        assert!(none
            .to_string()
            .lines()
            .next()
            .unwrap()
            .contains("no compiler error"));
    }

    #[test]
    fn log_copy_is_kept() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("daxkit-build.log");
        std::fs::write(&log, "x").unwrap();
        let copy = d.path().join("steps/abc/build.log");
        assert_eq!(keep_log(&log, Some(&copy)), copy);
        assert_eq!(std::fs::read_to_string(&copy).unwrap(), "x");
        assert_eq!(keep_log(&log, None), log);
    }
}
