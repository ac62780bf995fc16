//! PMD/PTE signals and the verdict that combines them.
//!
//! Each submodule reads one independent view of how the kernel mapped a
//! range — the page tables (`ptdump`, `pagemap-scan`), the fault path
//! (`trace`), the accounting (`smaps`, `vmstat`) — with a pure parser
//! tested on text captured from real guests (tests/fixtures/). A signal
//! that cannot tell says `None` with its evidence; it never guesses. This
//! module only reads the kernel's view: it does not map or touch anything.

pub mod pagemap_scan;
pub mod ptdump;
pub mod smaps;
pub mod trace;
pub mod vmstat;

use crate::protocol::{Mapping, Signal};

pub const SMAPS: &str = "smaps";
pub const PAGEMAP_SCAN: &str = "pagemap-scan";
pub const PTDUMP: &str = "ptdump";
pub const TRACE: &str = "trace";
pub const VMSTAT: &str = "vmstat";
/// STATX_ATTR_DAX on the mapped file: the only signal that says not-DAX.
pub const STATX: &str = "statx-dax";

/// The signals that read the page tables themselves; on a disagreement
/// the first of them that could tell decides the verdict.
const AUTHORITY: [&str; 2] = [PAGEMAP_SCAN, PTDUMP];

pub fn signal(name: &str, (says, evidence): (Option<Mapping>, String)) -> Signal {
    Signal {
        name: name.to_owned(),
        says,
        evidence,
    }
}

/// Combines signals into `(verdict, disagreement)`.
///
/// A file without STATX_ATTR_DAX is not DAX whatever its page tables look
/// like (page-cache folios can be PMD-mapped too). Otherwise the verdict
/// is what every signal that could tell agrees on; when they disagree it
/// is flagged, and the page-table readers decide.
pub fn verdict(signals: &[Signal]) -> (Mapping, bool) {
    if signals.iter().any(|s| s.says == Some(Mapping::NotDax)) {
        return (Mapping::NotDax, false);
    }
    let mut telling: Vec<&Signal> = signals.iter().filter(|s| s.says.is_some()).collect();
    // vmstat only counts fallbacks: its PTE means "some PTEs", which a
    // mixed range has too.
    let others_mixed = telling
        .iter()
        .filter(|s| s.name != VMSTAT)
        .all(|s| s.says == Some(Mapping::Mixed));
    if others_mixed {
        telling.retain(|s| s.name != VMSTAT || s.says != Some(Mapping::Pte));
    }
    let Some(first) = telling.first().and_then(|s| s.says) else {
        return (Mapping::Unknown, false);
    };
    if telling.iter().all(|s| s.says == Some(first)) {
        return (first, false);
    }
    let decided = AUTHORITY
        .iter()
        .find_map(|name| {
            telling
                .iter()
                .find(|s| s.name == *name)
                .and_then(|s| s.says)
        })
        .unwrap_or(Mapping::Unknown);
    (decided, true)
}

/// Judges STATX_ATTR_DAX from `statx` attribute words.
pub fn judge_statx(attributes: u64, mask: u64) -> (Option<Mapping>, String) {
    const DAX: u64 = 0x0020_0000;
    if mask & DAX == 0 {
        (None, "statx does not report STATX_ATTR_DAX".into())
    } else if attributes & DAX == 0 {
        (
            Some(Mapping::NotDax),
            "STATX_ATTR_DAX not set on the file".into(),
        )
    } else {
        (None, "STATX_ATTR_DAX set on the file".into())
    }
}

#[cfg(feature = "guest")]
mod probe;
#[cfg(feature = "guest")]
pub use probe::Probe;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, says: Option<Mapping>) -> Signal {
        signal(name, (says, String::new()))
    }

    #[test]
    fn verdicts() {
        use Mapping::*;
        let check =
            |sigs: &[Signal], want: (Mapping, bool)| assert_eq!(verdict(sigs), want, "{sigs:?}");
        check(&[], (Unknown, false));
        check(&[s(SMAPS, None), s(VMSTAT, None)], (Unknown, false));
        check(
            &[s(SMAPS, None), s(PTDUMP, Some(Pmd)), s(TRACE, Some(Pmd))],
            (Pmd, false),
        );
        check(&[s(TRACE, Some(Pte)), s(PTDUMP, Some(Pmd))], (Pmd, true));
        check(
            &[
                s(TRACE, Some(Pte)),
                s(PTDUMP, Some(Pmd)),
                s(PAGEMAP_SCAN, Some(Mixed)),
            ],
            (Mixed, true),
        );
        check(
            &[s(TRACE, Some(Pte)), s(VMSTAT, Some(Pmd))],
            (Unknown, true),
        );
        check(
            &[s(STATX, Some(NotDax)), s(PTDUMP, Some(Pmd))],
            (NotDax, false),
        );
    }

    #[test]
    fn statx() {
        assert_eq!(judge_statx(0x20_0000, 0x20_0000).0, None);
        assert_eq!(judge_statx(0, 0x20_0000).0, Some(Mapping::NotDax));
        assert_eq!(judge_statx(0, 0).0, None);
    }
}
