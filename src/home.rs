//! The cache directory: where daxkit keeps kernel repositories, worktrees,
//! build directories, kept kernels, images and runs.
//!
//! Which one: `--home`/`$DAXKIT_HOME`; else `./.daxkit` when the current
//! folder has one (a checkout used before this default existed keeps its
//! cache); else `$XDG_CACHE_HOME/daxkit`, i.e. `~/.cache/daxkit`.
//!
//! Layout (the on-disk contract; see ARCHITECTURE.md):
//! ```text
//! repos/<id>.git          bare repos: imported tarballs, or alternates onto a user tree
//! repos/.import-<id>      scratch of an import in progress
//! work/<id>/src           daxkit-owned worktree of repos/<id>.git
//! work/<id>/build         O= build dir for that worktree (incremental), with daxkit's
//!                         .daxkit-build.lock (held while building), daxkit-build.log,
//!                         daxkit-build-steps.json (src/build_steps.rs), daxkit-config.stamp
//!                         and daxkit-fragment.config (src/kconfig.rs)
//! work/<id>/config-scratch  where `config` tries a .config before it replaces build/.config
//! kernels/<stamp>         kept kernels by (commit, config): bzImage, config, commit, build.log
//! images/                 initramfs-<key>.cpio.gz keyed by content, harness-build.log
//! assets/<key>            the shipped files an installed daxkit unpacks (src/assets.rs):
//!                         .complete once whole, target/ the guest harness' cargo build
//! runs/<stamp>-<what>     one folder per run: config, build log, console, results
//!                         (a bisect's: bisect.json, steps/<commit>.json and their runs)
//! accel-probe.json        the cached KVM probe verdict for this host
//! */.daxkit-in-use        in a kept kernel, run folder or assets dir: the lock of `gc::hold`
//! tools/venv, tools/npm   PyPI and npm tools daxkit installed: b4 for `review` (src/review/b4.rs), actionlint, check-jsonschema, gitlab-ci-local
//! ```
//!
//! `daxkit gc` prunes kernels, images, runs and other daxkit versions'
//! assets (worktrees and repos only when asked); a kernel dir, run folder
//! or image in use by a running daxkit is locked (`gc::hold`), a build dir
//! by its build lock.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn from_env() -> Result<Home> {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Home::at(default_root(
            &cwd,
            var("DAXKIT_HOME"),
            var("XDG_CACHE_HOME"),
            var("HOME"),
        )?)
    }

    pub fn at(root: impl Into<PathBuf>) -> Result<Home> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .with_context(|| format!("creating the cache directory {}", root.display()))?;
        // Absolute paths: they end up in git worktree metadata and make args.
        let root = root
            .canonicalize()
            .with_context(|| format!("resolving {}", root.display()))?;
        Ok(Home { root })
    }

    pub fn repo(&self, id: &str) -> PathBuf {
        self.root.join("repos").join(format!("{id}.git"))
    }

    pub fn worktree(&self, id: &str) -> PathBuf {
        self.root.join("work").join(id).join("src")
    }

    pub fn build_dir(&self, id: &str) -> PathBuf {
        self.root.join("work").join(id).join("build")
    }

    pub fn images(&self) -> PathBuf {
        self.root.join("images")
    }

    pub fn runs(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// A fresh run folder `runs/<UTC stamp>-<what>`.
    pub fn new_run(&self, what: &str) -> Result<PathBuf> {
        let stamp = utc_stamp();
        for n in 0.. {
            let name = if n == 0 {
                format!("{stamp}-{what}")
            } else {
                format!("{stamp}-{what}-{n}")
            };
            let dir = self.runs().join(name);
            if !dir.exists() {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating run folder {}", dir.display()))?;
                crate::gc::hold(&dir);
                return Ok(dir);
            }
        }
        unreachable!()
    }
}

/// The home daxkit uses when `--home` is not given (module docs).
/// XDG says a relative `XDG_CACHE_HOME` is invalid and to be ignored.
pub fn default_root(
    cwd: &Path,
    daxkit_home: Option<PathBuf>,
    xdg_cache: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Result<PathBuf> {
    if let Some(p) = daxkit_home {
        return Ok(p);
    }
    let local = cwd.join(".daxkit");
    if local.is_dir() {
        return Ok(local);
    }
    if let Some(x) = xdg_cache.filter(|p| p.is_absolute()) {
        return Ok(x.join("daxkit"));
    }
    match home {
        Some(h) => Ok(h.join(".cache").join("daxkit")),
        None => bail!("no cache directory: HOME is not set; pass --home DIR or set DAXKIT_HOME"),
    }
}

/// `YYYYmmddTHHMMSSZ` without pulling in a date crate.
pub fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_root_order() {
        let cwd = tempfile::tempdir().unwrap();
        let p = |s: &str| Some(PathBuf::from(s));
        let root = |d, x, h| default_root(cwd.path(), d, x, h).unwrap();
        // XDG, then ~/.cache; a relative XDG_CACHE_HOME is ignored.
        assert_eq!(root(None, p("/x"), p("/h")), PathBuf::from("/x/daxkit"));
        assert_eq!(root(None, None, p("/h")), PathBuf::from("/h/.cache/daxkit"));
        assert_eq!(
            root(None, p("rel"), p("/h")),
            PathBuf::from("/h/.cache/daxkit")
        );
        assert!(default_root(cwd.path(), None, None, None).is_err());
        // A checkout's existing .daxkit wins over XDG; DAXKIT_HOME over all.
        std::fs::create_dir(cwd.path().join(".daxkit")).unwrap();
        assert_eq!(root(None, p("/x"), p("/h")), cwd.path().join(".daxkit"));
        assert_eq!(root(p("/d"), p("/x"), p("/h")), PathBuf::from("/d"));
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_420), (2025, 11, 28));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
