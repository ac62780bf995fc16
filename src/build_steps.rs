//! How many kbuild steps a build will take: the build bar's total, learned
//! from the builds before it.
//!
//! A fixed guess was far off (2,600 estimated, 1,823 real on the first cold
//! build; a few hundred for an incremental one). So each finished build
//! records its real count in the build dir (`daxkit-build-steps.json`),
//! keyed by its `.config` and by whether it started cold, and the next build
//! of the same kind takes that count as its total. Only this module reads or
//! writes the file.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The total for a cold build nothing is known about (the default
/// fragments gave about this many steps).
pub const FIRST_BUILD_ESTIMATE: u64 = 2600;

/// How many builds the file remembers: enough for a bisect's few configs.
const KEEP: usize = 32;

/// What a build's step count depends on: the config and a cold start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// SHA-256 of the build's `.config`.
    pub config: String,
    /// The build dir had no `vmlinux`: everything is compiled.
    pub cold: bool,
}

impl Key {
    pub fn new(config_text: &str, cold: bool) -> Key {
        Key {
            config: format!("{:x}", Sha256::digest(config_text.as_bytes())),
            cold,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    key: Key,
    steps: u64,
}

/// Step counts of earlier builds, oldest first.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCounts {
    builds: Vec<Entry>,
}

impl StepCounts {
    pub fn path(build_dir: &Path) -> PathBuf {
        build_dir.join("daxkit-build-steps.json")
    }

    /// The recorded counts; none when the file is missing or unreadable
    /// (it only feeds a progress bar, so a bad file is not an error).
    pub fn load(build_dir: &Path) -> StepCounts {
        std::fs::read_to_string(Self::path(build_dir))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, build_dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(Self::path(build_dir), json + "\n")
    }

    /// The expected total for a build with `key`: the last build of the same
    /// config and start; for a cold build of a new config the last cold
    /// build of any (configs differ by a few options); else the estimate.
    pub fn total(&self, key: &Key) -> u64 {
        let last = |f: &dyn Fn(&Key) -> bool| {
            self.builds
                .iter()
                .rev()
                .find(|e| f(&e.key))
                .map(|e| e.steps)
        };
        last(&|k| k == key)
            .or_else(|| key.cold.then(|| last(&|k| k.cold)).flatten())
            .unwrap_or(FIRST_BUILD_ESTIMATE)
    }

    /// Remembers a finished build's real count, replacing the older one of
    /// the same key.
    pub fn record(&mut self, key: Key, steps: u64) {
        self.builds.retain(|e| e.key != key);
        self.builds.push(Entry { key, steps });
        let excess = self.builds.len().saturating_sub(KEEP);
        self.builds.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_is_the_last_build_of_the_same_config_and_start() {
        let stock = "CONFIG_FS_DAX=y\n";
        let series = "CONFIG_FS_DAX=y\nCONFIG_DAX_PMD_RUST=y\n";
        let mut c = StepCounts::default();
        // Nothing known: the estimate, cold or not.
        assert_eq!(c.total(&Key::new(stock, true)), FIRST_BUILD_ESTIMATE);
        assert_eq!(c.total(&Key::new(stock, false)), FIRST_BUILD_ESTIMATE);

        c.record(Key::new(stock, true), 1823);
        c.record(Key::new(series, false), 310);
        assert_eq!(c.total(&Key::new(stock, true)), 1823);
        assert_eq!(c.total(&Key::new(series, false)), 310);
        // A cold build of another config: the last cold build of any.
        assert_eq!(c.total(&Key::new(series, true)), 1823);
        // An incremental build says nothing about another config's.
        assert_eq!(c.total(&Key::new(stock, false)), FIRST_BUILD_ESTIMATE);

        // The newest count of a key replaces the older one.
        c.record(Key::new(stock, true), 1830);
        assert_eq!(c.total(&Key::new(stock, true)), 1830);
        assert_eq!(c.builds.len(), 2);
    }

    #[test]
    fn counts_survive_a_round_trip_and_a_bad_file_is_no_count() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(StepCounts::load(d.path()), StepCounts::default());
        let mut c = StepCounts::default();
        c.record(Key::new("CONFIG_X=y\n", true), 1823);
        c.save(d.path()).unwrap();
        let back = StepCounts::load(d.path());
        assert_eq!(back, c);
        assert_eq!(back.total(&Key::new("CONFIG_X=y\n", true)), 1823);
        std::fs::write(StepCounts::path(d.path()), "{ not json").unwrap();
        assert_eq!(StepCounts::load(d.path()), StepCounts::default());
    }

    #[test]
    fn only_the_newest_builds_are_kept() {
        let mut c = StepCounts::default();
        for i in 0..(KEEP as u64 + 5) {
            c.record(Key::new(&format!("CONFIG_N={i}\n"), false), i);
        }
        assert_eq!(c.builds.len(), KEEP);
        assert_eq!(
            c.total(&Key::new("CONFIG_N=0\n", false)),
            FIRST_BUILD_ESTIMATE
        );
        let newest = KEEP as u64 + 4;
        assert_eq!(
            c.total(&Key::new(&format!("CONFIG_N={newest}\n"), false)),
            newest
        );
    }
}
