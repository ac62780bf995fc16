//! The kernel's own review checks of one patch, run by `check-series`
//! after the patch's build: a build with the other CONFIG_RUST setting,
//! no new `W=1` warnings and no new sparse warnings in the files it
//! touches (against the parent commit's output for the same objects),
//! and `make rustfmtcheck` and `CLIPPY=1` clean for the Rust files it
//! touches.
//!
//! Warnings are compared as (file, message) with line numbers dropped:
//! a patch moves lines, and a warning that moved is not new.

use crate::apply::Applied;
use crate::build::{self, BuildOptions};
use crate::exec::{self, Cmd, HostError};
use crate::home::Home;
use crate::{kconfig, tree};
use anyhow::{Context, Result};
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The files a patch leaves behind (added or modified, not deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// `.c` files, whose objects are compiled.
    pub c: Vec<String>,
    /// `.h` files: their warnings count, found through the `.c` objects.
    pub h: Vec<String>,
    pub rs: Vec<String>,
}

impl Touched {
    /// The C sources and headers whose warnings are the patch's.
    fn c_and_h(&self) -> Vec<String> {
        self.c.iter().chain(&self.h).cloned().collect()
    }
}

/// From a patch's diff: each `+++ b/path` that is not `/dev/null`.
pub fn touched(diff: &str) -> Touched {
    let mut t = Touched::default();
    for l in diff.lines() {
        let Some(p) = l.strip_prefix("+++ b/") else {
            continue;
        };
        let p = p.trim().to_owned();
        let list = match Path::new(&p).extension().and_then(|e| e.to_str()) {
            Some("c") => &mut t.c,
            Some("h") => &mut t.h,
            Some("rs") => &mut t.rs,
            _ => continue,
        };
        if !list.contains(&p) {
            list.push(p);
        }
    }
    t
}

/// `fs/dax.c` → `fs/dax.o`.
pub fn object_of(src: &str) -> String {
    let p = Path::new(src).with_extension("o");
    p.display().to_string()
}

/// The object kbuild compiles `src` (a `.c` under `tree`) into: its own,
/// unless a `.c` beside it `#include`s it, as `rust/helpers/helpers.c`
/// does each of `rust/helpers/*.c`. Such a file is not a unit of its own:
/// compiled alone it misses the flags its includer is built with.
pub fn compiled_in(tree: &Path, src: &str) -> String {
    let path = Path::new(src);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return object_of(src);
    };
    let wanted = format!("#include \"{name}\"");
    let includer = std::fs::read_dir(tree.join(dir)).ok().and_then(|entries| {
        entries.flatten().map(|e| e.path()).find(|p| {
            p.extension().is_some_and(|e| e == "c")
                && p.file_name().and_then(|n| n.to_str()) != Some(name)
                && std::fs::read_to_string(p).is_ok_and(|t| t.lines().any(|l| l.trim() == wanted))
        })
    });
    match includer.and_then(|p| p.file_name().map(|n| dir.join(n))) {
        Some(c) => object_of(&c.display().to_string()),
        None => object_of(src),
    }
}

/// Whether kbuild builds `obj` without `-Wmissing-prototypes`, by a
/// `CFLAGS_REMOVE_<obj> = ... -Wmissing-prototypes` in the Makefile of
/// one of its folders. rust/Makefile does so for the C helpers, which are
/// exported for Rust only and so have no C prototype; sparse's
/// "not declared. Should it be static?" is the same finding and does not
/// count there either.
pub fn prototypes_exempt(tree: &Path, obj: &str) -> bool {
    let obj = Path::new(obj);
    obj.ancestors().skip(1).any(|dir| {
        let Ok(rel) = obj.strip_prefix(dir) else {
            return false;
        };
        let key = format!("CFLAGS_REMOVE_{}", rel.display());
        ["Makefile", "Kbuild"].iter().any(|m| {
            std::fs::read_to_string(tree.join(dir).join(m)).is_ok_and(|t| {
                t.lines().any(|l| {
                    l.split_once('=').is_some_and(|(k, v)| {
                        k.trim() == key && v.split_whitespace().any(|f| f == "-Wmissing-prototypes")
                    })
                })
            })
        })
    })
}

/// sparse's missing-declaration finding (see [`prototypes_exempt`]).
fn is_missing_declaration(warning: &str) -> bool {
    warning.ends_with("was not declared. Should it be static?")
}

static GCC_DIAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\S+?):\d+(?::\d+)?: (warning|error): (.*)$").expect("regex"));
static RUSTC_DIAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(warning|error)(?:\[\S+\])?: (.*)$").expect("regex"));
static RUSTC_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*--> (\S+?):\d+:\d+$").expect("regex"));
static RUSTFMT_DIFF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Diff in (\S+?)(?::\d+:| at line \d+:)").expect("regex"));

/// The touched file a compiler's path names (absolute, `../src/x`, or
/// relative), if any.
fn which<'a>(path: &str, files: &'a [String]) -> Option<&'a String> {
    files
        .iter()
        .find(|f| path == f.as_str() || path.ends_with(&format!("/{f}")))
}

/// gcc's and sparse's `file:line:col: warning: message` lines about
/// `files`, as `file: message`, in log order (repeats kept: a warning
/// twice is counted twice).
pub fn c_warnings(log: &str, files: &[String]) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            let c = GCC_DIAG.captures(l.trim_end())?;
            let f = which(&c[1], files)?;
            Some(format!("{f}: {}: {}", &c[2], &c[3]))
        })
        .collect()
}

/// rustc's and clippy's diagnostics (`warning: message` then `--> file:
/// line:col`) about `files`, as `file: message`. The closing counts
/// (`N warnings emitted`, `aborting due to`) are not diagnostics.
pub fn rust_warnings(log: &str, files: &[String]) -> Vec<String> {
    let lines: Vec<&str> = log.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(c) = RUSTC_DIAG.captures(l.trim_end()) else {
            continue;
        };
        let msg = &c[2];
        if msg.contains("warnings emitted")
            || msg.contains("warning emitted")
            || msg.starts_with("aborting due to")
        {
            continue;
        }
        let at = lines[i + 1..]
            .iter()
            .take(3)
            .find_map(|n| RUSTC_AT.captures(n).map(|a| a[1].to_owned()));
        if let Some(f) = at.as_deref().and_then(|p| which(p, files)) {
            out.push(format!("{f}: {}: {msg}", &c[1]));
        }
    }
    out
}

/// The touched files `make rustfmtcheck` would reformat.
pub fn rustfmt_diffs(log: &str, files: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in log.lines() {
        if let Some(f) = RUSTFMT_DIFF.captures(l).and_then(|c| which(&c[1], files)) {
            if !out.contains(f) {
                out.push(f.clone());
            }
        }
    }
    out
}

static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;]*[A-Za-z]").expect("regex"));

/// The log without terminal colours (ccache may ask gcc for them).
pub fn strip_ansi(s: &str) -> String {
    ANSI.replace_all(s, "").into_owned()
}

/// What `after` has more of than `before` (a multiset difference).
pub fn new_warnings(before: &[String], after: &[String]) -> Vec<String> {
    let mut left: BTreeMap<&str, usize> = BTreeMap::new();
    for w in before {
        *left.entry(w).or_default() += 1;
    }
    let mut out = Vec::new();
    for w in after {
        match left.get_mut(w.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(w.clone()),
        }
    }
    out
}

/// How a check came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    /// Nothing to check (no C/Rust file touched), or the check cannot
    /// apply (a config that needs Rust, with CONFIG_RUST=n); says why.
    NotApplicable,
}

/// One row of the checks table: one check of one patch.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CheckRow {
    pub patch: usize,
    pub check: String,
    pub status: Status,
    /// The findings (new warnings, files to reformat) or why n/a.
    pub detail: String,
    /// The check's log, for a failure.
    pub log: Option<PathBuf>,
}

/// Runs the checks of patch `index` (at `at.head`, already built with
/// `frags`) into `dir`. `parent` is the commit before it. `other_rust`:
/// also the second full build with the other CONFIG_RUST setting.
#[allow(clippy::too_many_arguments)]
pub fn run(
    home: &Home,
    at: &Applied,
    parent: &str,
    index: usize,
    diff: &str,
    frags: &[PathBuf],
    opts: &BuildOptions,
    dir: &Path,
    other_rust: bool,
) -> Result<Vec<CheckRow>> {
    let touched = touched(diff);
    let mut rows = Vec::new();
    let row = |check: &str, status, detail: String, log: Option<PathBuf>| CheckRow {
        patch: index,
        check: check.to_owned(),
        status,
        detail,
        log,
    };
    let build_dir = home.build_dir(&at.base.id);
    let config_text = std::fs::read_to_string(build_dir.join(".config"))
        .with_context(|| format!("reading {}/.config", build_dir.display()))?;
    let rust_on = config_text.contains("\nCONFIG_RUST=y");
    let cc = match &opts.cc {
        Some(cc) => Some(cc.clone()),
        None => build::default_cc(crate::host::Host::get())?,
    };
    // (log text, whether make succeeded); only the host's or Ctrl-C's
    // failures are errors.
    let make = |args: &[String], log: &Path| -> Result<(String, bool)> {
        let mut cmd = Cmd::new("make")
            .arg("-C")
            .arg(&at.worktree)
            .arg(format!("O={}", build_dir.display()))
            .arg("ARCH=x86_64")
            .arg(format!("-j{}", opts.jobs));
        if let Some(cc) = &cc {
            cmd = cmd.env("CCACHE_BASEDIR", "/").arg(format!("CC={cc}"));
        }
        std::fs::write(log, "").with_context(|| format!("writing {}", log.display()))?;
        let res = cmd.args(args.iter().cloned()).run_logged(log, |_| {});
        let text = strip_ansi(&std::fs::read_to_string(log).unwrap_or_default());
        match res {
            Ok(()) => Ok((text, true)),
            Err(e) if e.is::<exec::CommandFailed>() && !exec::interrupted() => Ok((text, false)),
            Err(e) => Err(e),
        }
    };
    let file = |what: &str| dir.join(format!("{index:04}.{what}.log"));

    // C: the touched objects with W=1, then through sparse, at the parent
    // and at the patch. Each object is removed first so that it is
    // compiled (and so warned about) every time.
    let objects_at = || -> Vec<String> {
        let mut objs: Vec<String> = Vec::new();
        for c in touched.c.iter().filter(|c| at.worktree.join(c).is_file()) {
            let o = compiled_in(&at.worktree, c);
            if !objs.contains(&o) {
                objs.push(o);
            }
        }
        objs
    };
    let c_objs = objects_at();
    // Files compiled into an object kbuild exempts from prototypes.
    let exempt: Vec<String> = touched
        .c
        .iter()
        .filter(|c| prototypes_exempt(&at.worktree, &compiled_in(&at.worktree, c)))
        .cloned()
        .collect();
    if c_objs.is_empty() {
        for check in ["W=1", "sparse"] {
            rows.push(row(
                check,
                Status::NotApplicable,
                "no C file touched".into(),
                None,
            ));
        }
    } else {
        exec::require_tool("sparse")?;
        let saved = config_text.clone();
        // Per check: (warnings, make succeeded) at one commit.
        type Pass = ((Vec<String>, bool), (Vec<String>, bool));
        let pass = |commit: &str, tag: &str| -> Result<Pass> {
            tree::checkout(home, &at.base, commit)?;
            let present = objects_at();
            if present.is_empty() {
                return Ok(((Vec::new(), true), (Vec::new(), true)));
            }
            let files = touched.c_and_h();
            let mut out = Vec::new();
            for (flag, what) in [("W=1", "w1"), ("C=2", "sparse")] {
                for o in &present {
                    let _ = std::fs::remove_file(build_dir.join(o));
                }
                let mut args = vec![flag.to_owned()];
                args.extend(present.iter().cloned());
                let (log, ok) = make(&args, &file(&format!("{what}-{tag}")))?;
                let mut warnings = c_warnings(&log, &files);
                warnings.retain(|w| {
                    !(is_missing_declaration(w)
                        && exempt.iter().any(|e| w.starts_with(&format!("{e}: "))))
                });
                out.push((warnings, ok));
            }
            let sparse = out.pop().expect("two passes");
            let w1 = out.pop().expect("two passes");
            Ok((w1, sparse))
        };
        // kbuild's syncconfig at the parent drops the options the patch
        // adds from .config: the patch's .config goes back before its own
        // pass, and after it, either way.
        let restore = || std::fs::write(build_dir.join(".config"), &saved);
        let before = pass(parent, "parent");
        restore()?;
        let after = before.and_then(|b| Ok((b, pass(&at.head, "patch")?)));
        restore()?;
        tree::checkout(home, &at.base, &at.head)?;
        let ((w_before, s_before), (w_after, s_after)) = after?;
        for (check, (before, _), (after, ok), tag) in [
            ("W=1", w_before, w_after, "w1"),
            ("sparse", s_before, s_after, "sparse"),
        ] {
            let new = new_warnings(&before, &after);
            rows.push(if !ok {
                row(
                    check,
                    Status::Fail,
                    format!("make {check} on {} failed", c_objs.join(" ")),
                    Some(file(&format!("{tag}-patch"))),
                )
            } else if new.is_empty() {
                let mut detail = format!("no new warnings in {}", touched.c_and_h().join(", "));
                if check == "sparse" && !exempt.is_empty() {
                    detail += &format!(
                        " (missing declarations in {} not counted: kbuild builds them without -Wmissing-prototypes)",
                        exempt.join(", ")
                    );
                }
                row(check, Status::Pass, detail, None)
            } else {
                row(
                    check,
                    Status::Fail,
                    format!("{} new: {}", new.len(), new.join("; ")),
                    Some(file(&format!("{tag}-patch"))),
                )
            });
        }
    }

    // Rust: rustfmt and clippy on the touched files, when Rust is built.
    if touched.rs.is_empty() || !rust_on {
        let why = if touched.rs.is_empty() {
            "no Rust file touched".to_owned()
        } else {
            "the kernel is built without CONFIG_RUST".to_owned()
        };
        for check in ["rustfmt", "clippy"] {
            rows.push(row(check, Status::NotApplicable, why.clone(), None));
        }
    } else {
        for (tool, component) in [("rustfmt", "rustfmt"), ("clippy-driver", "clippy")] {
            if exec::find_tool(tool).is_none() {
                return Err(HostError(format!(
                    "{tool} is needed for the Rust checks: rustup component add {component}"
                ))
                .into());
            }
        }
        let log = file("rustfmt");
        // rustfmtcheck fails for any file of the tree; only the touched
        // ones are the patch's.
        let (out, _) = make(&["rustfmtcheck".to_owned()], &log)?;
        let diffs = rustfmt_diffs(&out, &touched.rs);
        rows.push(if diffs.is_empty() {
            row(
                "rustfmt",
                Status::Pass,
                format!("{} formatted", touched.rs.join(", ")),
                None,
            )
        } else {
            row(
                "rustfmt",
                Status::Fail,
                format!("not rustfmt-clean: {}", diffs.join(", ")),
                Some(log),
            )
        });
        let objs: Vec<String> = touched.rs.iter().map(|r| object_of(r)).collect();
        for o in &objs {
            let _ = std::fs::remove_file(build_dir.join(o));
        }
        let mut args = vec!["CLIPPY=1".to_owned()];
        args.extend(objs);
        let log = file("clippy");
        let (out, ok) = make(&args, &log)?;
        let found = rust_warnings(&out, &touched.rs);
        rows.push(if !ok && found.is_empty() {
            row(
                "clippy",
                Status::Fail,
                "make CLIPPY=1 failed".into(),
                Some(log),
            )
        } else if found.is_empty() {
            row(
                "clippy",
                Status::Pass,
                format!("no clippy findings in {}", touched.rs.join(", ")),
                None,
            )
        } else {
            row(
                "clippy",
                Status::Fail,
                format!("{} findings: {}", found.len(), found.join("; ")),
                Some(log),
            )
        });
    }

    // The other CONFIG_RUST setting: the patch must build without Rust
    // too, where its config can do without (options that need Rust fall
    // away); with Rust only where the host's toolchain fits the tree.
    rows.push(if !other_rust {
        row(
            if rust_on {
                "build RUST=n"
            } else {
                "build RUST=y"
            },
            Status::NotApplicable,
            "left out (--checks objects)".into(),
            None,
        )
    } else if rust_on {
        other_rust_build(home, at, index, frags, opts, dir)?
    } else {
        match crate::toolchain::check_fit(&at.worktree)? {
            crate::toolchain::Fit::Unfit(why) => row(
                "build RUST=y",
                Status::NotApplicable,
                format!("the host's Rust does not fit: {why}"),
                None,
            ),
            crate::toolchain::Fit::Fits => row(
                "build RUST=y",
                Status::NotApplicable,
                "the series' config does not ask for CONFIG_RUST (run without --no-rust)".into(),
                None,
            ),
        }
    });
    Ok(rows)
}

/// The patch built with CONFIG_RUST=n on top of its fragments.
fn other_rust_build(
    home: &Home,
    at: &Applied,
    index: usize,
    frags: &[PathBuf],
    opts: &BuildOptions,
    dir: &Path,
) -> Result<CheckRow> {
    let no_rust = dir.join("no-rust.config");
    std::fs::write(
        &no_rust,
        "# check-series: the same config with CONFIG_RUST=n\n# CONFIG_RUST is not set\n",
    )?;
    let default_rust = kconfig::config_dir()?
        .join("rust.config")
        .canonicalize()
        .ok();
    let mut f: Vec<PathBuf> = frags
        .iter()
        .filter(|p| Some(*p) != default_rust.as_ref())
        .cloned()
        .collect();
    f.push(no_rust);
    let log = dir.join(format!("{index:04}.build-no-rust.log"));
    let row = |status, detail: String, log: Option<PathBuf>| CheckRow {
        patch: index,
        check: "build RUST=n".into(),
        status,
        detail,
        log,
    };
    let cfg = match kconfig::configure_without(home, at, &f, "RUST") {
        Ok(c) => c,
        Err(e) if e.is::<kconfig::ConfigDoesNotHold>() => {
            return Ok(row(
                Status::Fail,
                format!("config: {}", format!("{e:#}").replace('\n', " ")),
                None,
            ))
        }
        Err(e) => return Err(e),
    };
    let opts = BuildOptions {
        log_copy: Some(log.clone()),
        ..opts.clone()
    };
    let t = std::time::Instant::now();
    Ok(match build::build(home, at, &cfg.stamp, &opts) {
        Ok(_) => row(
            Status::Pass,
            format!("built in {:.0} s", t.elapsed().as_secs_f64()),
            None,
        ),
        Err(e) if e.is::<build::BuildFailed>() && !exec::interrupted() => row(
            Status::Fail,
            format!("{e:#}").lines().next().unwrap_or("").to_owned(),
            Some(log),
        ),
        Err(e) => return Err(e),
    })
}

/// The checks table, one row per patch per check.
pub fn table(rows: &[CheckRow]) -> String {
    let mut s = String::from("patch  check         result  detail\n");
    for r in rows {
        let mark = match r.status {
            Status::Pass => "✓",
            Status::Fail => "✗",
            Status::NotApplicable => "n/a",
        };
        s += &format!(
            "{:>5}  {:<12}  {:<6}  {}{}\n",
            r.patch,
            r.check,
            mark,
            r.detail,
            r.log
                .as_ref()
                .map(|l| format!(" (log {})", l.display()))
                .unwrap_or_default()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "diff --git a/fs/dax.c b/fs/dax.c
--- a/fs/dax.c
+++ b/fs/dax.c
@@ -1 +1 @@
diff --git a/fs/dax_pmd.rs b/fs/dax_pmd.rs
new file mode 100644
--- /dev/null
+++ b/fs/dax_pmd.rs
diff --git a/include/linux/dax.h b/include/linux/dax.h
--- a/include/linux/dax.h
+++ b/include/linux/dax.h
diff --git a/fs/old.c b/fs/old.c
deleted file mode 100644
--- a/fs/old.c
+++ /dev/null
diff --git a/fs/Kconfig b/fs/Kconfig
--- a/fs/Kconfig
+++ b/fs/Kconfig
";

    #[test]
    fn touched_files_by_kind() {
        let t = touched(DIFF);
        assert_eq!(t.c, ["fs/dax.c"]);
        assert_eq!(t.h, ["include/linux/dax.h"]);
        assert_eq!(t.rs, ["fs/dax_pmd.rs"]);
        assert_eq!(object_of("fs/dax.c"), "fs/dax.o");
        assert_eq!(object_of("fs/dax_pmd.rs"), "fs/dax_pmd.o");
    }

    #[test]
    fn included_c_files_are_compiled_in_their_includer() {
        let t = tempfile::tempdir().unwrap();
        let w = t.path();
        std::fs::create_dir_all(w.join("rust/helpers")).unwrap();
        std::fs::write(
            w.join("rust/helpers/helpers.c"),
            "#include \"iomap.c\"\n#include \"mutex.c\"\n",
        )
        .unwrap();
        std::fs::write(w.join("rust/helpers/iomap.c"), "u64 f(void) {}\n").unwrap();
        std::fs::write(
            w.join("rust/Makefile"),
            "CFLAGS_REMOVE_helpers/helpers.o = -Wmissing-prototypes -Wmissing-declarations\n",
        )
        .unwrap();
        std::fs::create_dir_all(w.join("fs")).unwrap();
        std::fs::write(w.join("fs/dax.c"), "").unwrap();
        std::fs::write(w.join("fs/Makefile"), "CFLAGS_REMOVE_dax.o = -pg\n").unwrap();
        assert_eq!(
            compiled_in(w, "rust/helpers/iomap.c"),
            "rust/helpers/helpers.o"
        );
        assert_eq!(
            compiled_in(w, "rust/helpers/helpers.c"),
            "rust/helpers/helpers.o"
        );
        assert_eq!(compiled_in(w, "fs/dax.c"), "fs/dax.o");
        assert!(prototypes_exempt(w, "rust/helpers/helpers.o"));
        assert!(!prototypes_exempt(w, "fs/dax.o"));
        assert!(!prototypes_exempt(w, "rust/helpers/other.o"));
        assert!(is_missing_declaration(
            "rust/helpers/iomap.c: warning: symbol 'rust_helper_iomap_length' was not declared. Should it be static?"
        ));
    }

    /// A -j2 kbuild log with W=1: warnings in a touched file and in one
    /// it does not touch, a note, and make's own lines.
    const W1_PARENT: &str = "  CC      fs/dax.o
/w/src/fs/dax.c:1912:13: warning: no previous prototype for ‘dax_a’ [-Wmissing-prototypes]
 1912 | void dax_a(void)
/w/src/mm/memory.c:10:1: warning: unrelated [-Wextra]
";
    const W1_PATCH: &str = "  CC      fs/dax.o
/w/src/fs/dax.c:1950:13: warning: no previous prototype for ‘dax_a’ [-Wmissing-prototypes]
/w/src/fs/dax.c:2001:9: warning: variable ‘reason’ set but not used [-Wunused-but-set-variable]
../src/include/linux/dax.h:77:1: warning: ‘dax_b’ defined but not used [-Wunused-function]
/w/src/fs/dax.c:2001:9: note: something
make[1]: Leaving directory '/w/build'
";

    #[test]
    fn only_new_warnings_in_touched_files_count() {
        let files = touched(DIFF).c_and_h();
        let before = c_warnings(W1_PARENT, &files);
        assert_eq!(
            before,
            ["fs/dax.c: warning: no previous prototype for ‘dax_a’ [-Wmissing-prototypes]"]
        );
        let after = c_warnings(W1_PATCH, &files);
        assert_eq!(after.len(), 3);
        // The prototype warning moved from line 1912 to 1950: not new.
        assert_eq!(
            new_warnings(&before, &after),
            [
                "fs/dax.c: warning: variable ‘reason’ set but not used [-Wunused-but-set-variable]",
                "include/linux/dax.h: warning: ‘dax_b’ defined but not used [-Wunused-function]",
            ]
        );
        // The same warning once more than before is new.
        let twice = [before.clone(), before.clone()].concat();
        assert_eq!(new_warnings(&before, &twice), before);
        assert!(new_warnings(&twice, &before).is_empty());
    }

    #[test]
    fn coloured_diagnostics_read_like_plain_ones() {
        let log = "\x1b[01m\x1b[K../src/fs/dax.c:12:3:\x1b[m\x1b[K \x1b[01;35m\x1b[Kwarning: \x1b[m\x1b[Kunused variable ‘x’ [\x1b[01;35m\x1b[K-Wunused-variable\x1b[m\x1b[K]\n";
        assert_eq!(
            c_warnings(&strip_ansi(log), &["fs/dax.c".into()]),
            ["fs/dax.c: warning: unused variable ‘x’ [-Wunused-variable]"]
        );
    }

    #[test]
    fn sparse_lines_read_like_gcc_lines() {
        let log = "  CHECK   /w/src/fs/dax.c
/w/src/fs/dax.c:88:6: warning: symbol 'dax_pmd_reason_name' was not declared. Should it be static?
/w/src/fs/dax.c:90:30: error: incompatible types in comparison expression (different address spaces):
";
        let w = c_warnings(log, &["fs/dax.c".into()]);
        assert_eq!(
            w,
            [
                "fs/dax.c: warning: symbol 'dax_pmd_reason_name' was not declared. Should it be static?",
                "fs/dax.c: error: incompatible types in comparison expression (different address spaces):",
            ]
        );
    }

    #[test]
    fn clippy_findings_in_touched_rust_files() {
        let log = "  CLIPPY  fs/dax_pmd.o
warning: this function has too many arguments (9/7)
  --> /w/src/fs/dax_pmd.rs:41:1
   |
41 | pub extern \"C\" fn f(a: u64) {}
   |
warning[clippy::needless_return]: unneeded `return` statement
  --> ../src/fs/dax_pmd.rs:60:5
warning: unused import
  --> /w/src/rust/kernel/lib.rs:3:5
warning: 2 warnings emitted
";
        let w = rust_warnings(log, &["fs/dax_pmd.rs".into()]);
        assert_eq!(
            w,
            [
                "fs/dax_pmd.rs: warning: this function has too many arguments (9/7)",
                "fs/dax_pmd.rs: warning: unneeded `return` statement",
            ]
        );
    }

    #[test]
    fn rustfmt_diffs_in_touched_files() {
        let log = "Diff in /w/src/fs/dax_pmd.rs:12:
Diff in /w/src/fs/dax_pmd.rs:40:
Diff in /w/src/rust/kernel/lib.rs at line 3:
";
        assert_eq!(
            rustfmt_diffs(log, &["fs/dax_pmd.rs".into()]),
            ["fs/dax_pmd.rs"]
        );
        assert!(rustfmt_diffs(log, &["fs/other.rs".into()]).is_empty());
    }

    #[test]
    fn table_names_the_log_of_a_failure() {
        let rows = [
            CheckRow {
                patch: 2,
                check: "W=1".into(),
                status: Status::Fail,
                detail: "1 new: fs/dax.c: warning: x".into(),
                log: Some("/r/0002.w1-patch.log".into()),
            },
            CheckRow {
                patch: 2,
                check: "clippy".into(),
                status: Status::NotApplicable,
                detail: "no Rust file touched".into(),
                log: None,
            },
        ];
        let t = table(&rows);
        assert!(
            t.contains("    2  W=1           ✗       1 new: fs/dax.c: warning: x (log /r/0002.w1-patch.log)"),
            "{t}"
        );
        assert!(
            t.contains("clippy        n/a     no Rust file touched\n"),
            "{t}"
        );
    }
}
