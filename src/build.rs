//! `daxkit build`: `make bzImage` in the worktree with `O=<build dir>`,
//! ccache (installed on demand), `-j` = cores, a progress bar driven by kbuild's
//! own output, the full log in the build dir.
//!
//! One build dir per tree, locked while a build runs, so a second daxkit
//! waits instead of corrupting it. kbuild deletes half-written targets on
//! Ctrl-C (.DELETE_ON_ERROR), so an interrupted build dir stays reusable.

use crate::apply::Applied;
use crate::cli::ConfigArgs;
use crate::exec::{self, find_tool, require_tool, Cmd, CommandFailed};
use crate::home::Home;
use crate::ui;
use anyhow::{bail, Context, Result};
use fs2::FileExt;
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Instant;

/// Progress estimate for a first build of the default config (measured:
/// the default fragments give about this many kbuild steps).
const FIRST_BUILD_ESTIMATE: u64 = 2600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// `CC=` for make; `None`: `ccache gcc` (see [`default_cc`]).
    pub cc: Option<String>,
    pub jobs: usize,
    /// A make target other than bzImage (e.g. `fs/dax.o`): built, never kept.
    pub target: Option<String>,
}

impl BuildOptions {
    pub fn from_args(a: &ConfigArgs) -> BuildOptions {
        BuildOptions {
            cc: a.cc.clone(),
            jobs: exec::cores(),
            target: a.make_target.clone(),
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

/// `CC=` for a build without `--cc`: `ccache gcc`, installing ccache when
/// allowed (a failed install is an error); plain gcc, with a note saying
/// so, when installing is not allowed.
pub fn default_cc() -> Result<Option<String>> {
    match cc_choice(find_tool("ccache").is_some(), exec::may_install()) {
        CcChoice::Ccache => Ok(Some("ccache gcc".to_owned())),
        CcChoice::InstallCcache => {
            require_tool("ccache")?;
            Ok(Some("ccache gcc".to_owned()))
        }
        CcChoice::PlainGcc => {
            ui::note(format!(
                "building without ccache (not installed, and daxkit may not install it: \
                 not root with apt-get, or DAXKIT_NO_INSTALL is set); install {}",
                exec::Provider::Apt("ccache")
            ));
            Ok(None)
        }
    }
}

/// The make invocation, without running it.
pub fn make_cmd(src: &Path, build: &Path, opts: &BuildOptions) -> Cmd {
    let mut cmd = Cmd::new("make")
        .arg("-C")
        .arg(src)
        .arg(format!("O={}", build.display()))
        .arg("ARCH=x86_64")
        .arg(format!("-j{}", opts.jobs));
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

/// Error lines worth showing first from a failed build log.
pub fn first_errors(log_text: &str, n: usize) -> Vec<String> {
    log_text
        .lines()
        .filter(|l| {
            l.contains("error:")
                || l.contains("Error ")
                || l.starts_with("make") && l.contains("***")
                || l.contains("undefined reference")
        })
        .take(n)
        .map(str::to_owned)
        .collect()
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
    let kept = kernel_dir(home, stamp);
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
        ui::note(format!(
            "kernel for {} already built: {}",
            crate::tree::short(&applied.head),
            kept.display()
        ));
        return Ok(BuildOutcome {
            bzimage: kept.join("bzImage"),
            log: kept.join("build.log"),
        });
    }
    let build = home.build_dir(&applied.base.id);
    if !build.join(".config").is_file() {
        bail!("{}: no .config; run `daxkit config` first", build.display());
    }
    for t in ["make", "gcc", "flex", "bison", "bc", "perl"] {
        require_tool(t)?;
    }
    // objtool (x86_64, always built) needs libelf's headers.
    if !Path::new("/usr/include/gelf.h").exists() {
        let p = exec::Provider::Apt("libelf-dev");
        if exec::may_install() {
            exec::install(p)?;
        } else {
            return Err(exec::HostError(format!(
                "the kernel's objtool needs libelf headers: install {p}"
            ))
            .into());
        }
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
    let stats = build.join(".daxkit-build-steps");
    let estimate = std::fs::read_to_string(&stats)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(FIRST_BUILD_ESTIMATE);
    let log = build.join("daxkit-build.log");
    std::fs::write(&log, "")?;
    let opts = &BuildOptions {
        cc: match &opts.cc {
            Some(cc) => Some(cc.clone()),
            None => default_cc()?,
        },
        ..opts.clone()
    };
    let cmd = make_cmd(&applied.worktree, &build, opts);
    ui::step(format!(
        "building bzImage at {} (-j{}, log {})",
        crate::tree::short(&applied.head),
        opts.jobs,
        log.display()
    ));
    let start = Instant::now();
    let mut bar = ui::Progress::new("build", estimate);
    let mut steps = 0u64;
    let res = cmd.run_logged(&log, |line| {
        if let Some((_, target)) = parse_step(line) {
            steps += 1;
            bar.inc(target);
        }
    });
    bar.finish();
    let wall = start.elapsed();
    if let Err(e) = res {
        if exec::interrupted() {
            bail!(
                "build interrupted; {} is reusable, rerun to continue (log {})",
                build.display(),
                log.display()
            );
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let errors = first_errors(&text, 12);
        if let Some(f) = e.downcast_ref::<CommandFailed>() {
            bail!(
                "kernel build failed after {:.0}s; first errors:\n{}\nlast lines:\n{}\nfull log: {}",
                wall.as_secs_f64(),
                errors.join("\n"),
                exec::tail_of(&f.tail, 10),
                log.display()
            );
        }
        return Err(e);
    }
    // Only a full build says how big a build is.
    if steps > estimate / 2 {
        std::fs::write(&stats, steps.to_string())?;
    }
    let built = build.join(opts.target.as_deref().unwrap_or("arch/x86/boot/bzImage"));
    if !built.exists() {
        bail!("make succeeded but {} is missing", built.display());
    }
    if let Some(t) = &opts.target {
        ui::note(format!("built {t} in {:.1}s", wall.as_secs_f64()));
        return Ok(BuildOutcome {
            bzimage: built,
            log,
        });
    }
    if dirty {
        ui::note("worktree has local changes: built kernel not kept");
        return Ok(BuildOutcome {
            bzimage: built,
            log,
        });
    }
    // Keep a copy: the build dir moves on with the next commit.
    let tmp = kept.with_extension("tmp");
    std::fs::create_dir_all(&tmp)?;
    std::fs::copy(&built, tmp.join("bzImage"))?;
    std::fs::copy(build.join(".config"), tmp.join("config"))?;
    std::fs::copy(&log, tmp.join("build.log"))?;
    std::fs::write(tmp.join("commit"), format!("{}\n", applied.head))?;
    std::fs::remove_dir_all(&kept).ok();
    std::fs::rename(&tmp, &kept)?;
    let bzimage = kept.join("bzImage");
    ui::note(format!(
        "built in {:.1}s ({steps} kbuild steps)",
        wall.as_secs_f64()
    ));
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

    #[test]
    fn ccache_is_installed_unless_not_allowed() {
        assert_eq!(cc_choice(true, false), CcChoice::Ccache);
        assert_eq!(cc_choice(true, true), CcChoice::Ccache);
        assert_eq!(cc_choice(false, true), CcChoice::InstallCcache);
        assert_eq!(cc_choice(false, false), CcChoice::PlainGcc);
    }

    #[test]
    fn errors_first() {
        let log = "  CC fs/a.o\nfs/dax.c:1:2: error: boom\nmake[3]: *** [x] Error 1\n";
        assert_eq!(first_errors(log, 5).len(), 2);
    }
}
