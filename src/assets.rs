//! The files daxkit ships: `patches/` (series, known issues),
//! `kernel-config/` (fragments), `vm-images/` (the initramfs manifest) and
//! the guest harness's source.
//!
//! Run from its source checkout (`cargo run`, `cargo test`,
//! `target/*/daxkit`), daxkit reads them there, so an edit to a patch or a
//! fragment takes effect at once. Installed (`cargo install`), it unpacks
//! the copy build.rs embedded into `<home>/assets/<key>/`, keyed by the
//! archive's hash, so every installed version reads exactly what it was
//! built with and no path of the build machine is needed.

use crate::home::Home;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/assets.tar"));
/// First 16 hex digits of the archive's SHA-256 (build.rs).
pub const KEY: &str = env!("DAXKIT_ASSETS_KEY");

static ROOT: OnceLock<Assets> = OnceLock::new();

/// Where the shipped files are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    pub root: PathBuf,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The source checkout this binary was built from.
    Checkout,
    /// The archive embedded at build time, unpacked into the cache.
    Embedded,
}

impl Assets {
    /// The harness's Cargo workspace: the checkout's own workspace, or the
    /// standalone one build.rs wrote into the archive.
    pub fn harness_workspace(&self) -> &Path {
        &self.root
    }
}

/// Resolves the assets once per process, unpacking them into `home` when
/// daxkit does not run from its checkout. Called by the CLI right after the
/// home is known; [`get`] falls back to the default home otherwise.
pub fn init(home: &Home) -> Result<&'static Assets> {
    init_with(|| Ok(home.clone()))
}

/// The resolved assets ([`init`] with the default home if nobody did).
pub fn get() -> Result<&'static Assets> {
    init_with(Home::from_env)
}

fn init_with(home: impl FnOnce() -> Result<Home>) -> Result<&'static Assets> {
    if let Some(a) = ROOT.get() {
        return Ok(a);
    }
    let a = resolve(home)?;
    Ok(ROOT.get_or_init(|| a))
}

/// `<assets>/<rel>`, e.g. `path("kernel-config")`.
pub fn path(rel: &str) -> Result<PathBuf> {
    Ok(get()?.root.join(rel))
}

/// The home is asked for only when the assets must be unpacked: a daxkit
/// run from its checkout (unit tests included) creates no cache for them.
fn resolve(home: impl FnOnce() -> Result<Home>) -> Result<Assets> {
    if let Some(root) = checkout() {
        return Ok(Assets {
            root,
            source: Source::Checkout,
        });
    }
    let root = unpack(&home()?.root.join("assets"), ARCHIVE, KEY)?;
    Ok(Assets {
        root,
        source: Source::Embedded,
    })
}

/// The checkout this binary was built from, when the running executable
/// lies in that build's target folder (build.rs records it) and the
/// checkout still has its `patches/`. A `cargo install`ed copy lies
/// elsewhere, so it always reads what it embedded.
fn checkout() -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built_in = Path::new(env!("DAXKIT_BUILD_PROFILE_DIR"))
        .canonicalize()
        .ok()?;
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    (exe.starts_with(&built_in) && src.join("patches").is_dir()).then(|| src.to_path_buf())
}

/// Unpacks `archive` into `<dir>/<key>` unless it is there already.
/// Unpacks beside it and renames, so concurrent daxkit processes and an
/// interrupted unpack never leave a half-written folder under the key.
fn unpack(dir: &Path, archive: &[u8], key: &str) -> Result<PathBuf> {
    let dest = dir.join(key);
    if dest.join(".complete").is_file() {
        return Ok(dest);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Copies are renamed in whole, with their `.complete`: a folder without
    // it was not made by daxkit's unpack, and is replaced.
    if dest.exists() {
        std::fs::remove_dir_all(&dest)
            .with_context(|| format!("removing the incomplete {}", dest.display()))?;
    }
    remove_abandoned_unpacks(dir);
    let tmp = dir.join(format!(".{key}.tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    tar::Archive::new(archive)
        .unpack(&tmp)
        .with_context(|| format!("unpacking daxkit's shipped files into {}", tmp.display()))?;
    std::fs::write(tmp.join(".complete"), key)?;
    match std::fs::rename(&tmp, &dest) {
        Ok(()) => Ok(dest),
        // Another daxkit won the race: its copy is identical.
        Err(_) if dest.join(".complete").is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dest)
        }
        Err(e) => {
            Err(e).with_context(|| format!("renaming {} to {}", tmp.display(), dest.display()))
        }
    }
}

/// Removes `.<key>.tmp<pid>` folders whose daxkit is gone (killed while
/// unpacking); a live pid's folder may be an unpack under way.
fn remove_abandoned_unpacks(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.starts_with('.'))
            .and_then(|n| n.rsplit_once(".tmp"))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unit tests run from the checkout, so they read it.
    #[test]
    fn tests_read_the_checkout() {
        let a = get().unwrap();
        assert_eq!(a.source, Source::Checkout);
        assert!(a.root.join("kernel-config/base.config").is_file());
    }

    /// The embedded copy holds every shipped file, byte for byte, and a
    /// harness workspace that Cargo can read.
    #[test]
    fn embedded_archive_matches_the_checkout() {
        let dir = tempfile::tempdir().unwrap();
        let root = unpack(dir.path(), ARCHIVE, KEY).unwrap();
        assert_eq!(root, dir.path().join(KEY));
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
        for rel in [
            "patches/dax-pmd/series.yaml",
            "patches/known-issues.yaml",
            "kernel-config/base.config",
            "vm-images/initramfs.yaml",
            "harness/src/judge.rs",
            "harness/Cargo.toml",
            "Cargo.lock",
        ] {
            assert_eq!(
                std::fs::read(root.join(rel)).unwrap(),
                std::fs::read(checkout.join(rel)).unwrap(),
                "{rel}"
            );
        }
        let ws = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(ws.contains("members = [\"harness\"]"), "{ws}");
        assert!(ws.contains("[workspace.package]"), "{ws}");
        // Build output is never packed.
        assert!(!root.join("target").exists());
        // A second call finds the complete copy and leaves it alone.
        std::fs::write(root.join("marker"), "x").unwrap();
        assert_eq!(unpack(dir.path(), ARCHIVE, KEY).unwrap(), root);
        assert!(root.join("marker").exists());
    }

    /// A half-unpacked folder (no `.complete`) is never used.
    #[test]
    fn incomplete_copy_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(KEY);
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("junk"), "x").unwrap();
        let root = unpack(dir.path(), ARCHIVE, KEY).unwrap();
        assert!(root.join(".complete").is_file());
        assert!(!root.join("junk").exists());
        assert!(root.join("kernel-config/base.config").is_file());
    }

    #[test]
    fn a_killed_unpack_is_cleaned_up_a_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        // pid_max is at most 2^22: this pid is never alive.
        let dead = dir.path().join(format!(".{KEY}.tmp{}", 1u32 << 23));
        let live = dir.path().join(format!(".{KEY}.tmp1"));
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::create_dir_all(&live).unwrap();
        unpack(dir.path(), ARCHIVE, KEY).unwrap();
        assert!(!dead.exists());
        assert!(live.exists());
    }
}
