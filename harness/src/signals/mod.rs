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

/// The signals that read the page tables themselves; two of them must
/// agree for a verdict (see `judge::judge_signals`).
pub const PAGE_TABLE_READERS: [&str; 2] = [PAGEMAP_SCAN, PTDUMP];

pub use crate::protocol::SignalState;

pub fn signal(name: &str, (says, evidence): (Option<Mapping>, String)) -> Signal {
    Signal {
        name: name.to_owned(),
        state: Some(if says.is_some() {
            SignalState::Told
        } else {
            SignalState::CannotTell
        }),
        says,
        evidence,
    }
}

/// A signal in a given state that says nothing (absent, failed).
pub fn silent(name: &str, state: SignalState, evidence: String) -> Signal {
    Signal {
        name: name.to_owned(),
        says: None,
        evidence,
        state: Some(state),
    }
}

/// Combines signals into `(verdict, disagreement)` under the judge's
/// evidence rules, for the guest's own record; the host judges again
/// from the signals themselves.
pub fn verdict(signals: &[Signal]) -> (Mapping, bool) {
    let v = crate::judge::judge_signals(signals, &[]);
    (v.mapping, v.status == crate::judge::CaseStatus::Disagree)
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
pub use probe::{read_page_tables, Probe};

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
            &[
                s(PAGEMAP_SCAN, Some(Pmd)),
                s(PTDUMP, Some(Pmd)),
                s(TRACE, Some(Pmd)),
            ],
            (Pmd, false),
        );
        check(
            &[s(TRACE, Some(Pte)), s(PTDUMP, Some(Pmd))],
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
