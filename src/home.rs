//! The cache directory: where daxkit keeps kernel repositories, worktrees,
//! build directories, images and runs. `$DAXKIT_HOME`, else `./.daxkit`.
//!
//! Layout (the on-disk contract; see ARCHITECTURE.md):
//! ```text
//! repos/<id>.git      bare repos: imported tarballs, or alternates onto a user tree
//! work/<id>/src       daxkit-owned worktree of repos/<id>.git
//! work/<id>/build     O= build dir for that worktree (incremental, locked while in use)
//! work/<id>/config-scratch  where a config is made and verified first
//! kernels/<stamp>     kept kernels by config stamp: bzImage, config, build.log, commit
//! images/             initramfs images, keyed by content
//! runs/<stamp>-<what> one folder per run: config, build log, console, results
//! accel-probe.json    the KVM probe's verdict for this host boot and QEMU
//! ```
//!
//! `daxkit gc` prunes kernels, images and runs (worktrees and repos only
//! when asked); a kernel dir, run folder or image in use by a running
//! daxkit is locked (`gc::hold`), a build dir by its build lock.

use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn from_env() -> Result<Home> {
        let root = match std::env::var_os("DAXKIT_HOME") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => std::env::current_dir()
                .context("reading the current directory")?
                .join(".daxkit"),
        };
        Home::at(root)
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
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_420), (2025, 11, 28));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
