//! The workloads: every case daxkit runs in the guest, with what a stock
//! kernel does and why.
//!
//! A case only maps, touches and measures, in the process the runner forks
//! for it; it never mounts or formats anything (that is the runner's
//! [`Env`](crate::case::Env)). Cases are grouped by what they show:
//! [`eligible`] (PMD), [`fallback`] (a rule that forces PTEs) and
//! [`environment`] (the mount or the namespace decides).

mod eligible;
mod environment;
mod fallback;
pub mod fiemap;
pub mod map;
pub mod workload;

use crate::case::Case;

/// Every case, in the order they run.
pub fn all() -> Vec<Case> {
    let mut v = eligible::cases();
    v.extend(fallback::cases());
    v.extend(environment::cases());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_documented() {
        let all = all();
        let names: HashSet<_> = all.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), all.len());
        for c in &all {
            assert!(
                !c.description.is_empty() && !c.reason.is_empty(),
                "{}",
                c.name
            );
            assert!(
                c.name.starts_with("xfs-") || c.name.starts_with("ext4-"),
                "{}",
                c.name
            );
        }
    }
}
