//! The `vmstat` signal: `/proc/vmstat` THP counters, before and after.
//!
//! A DAX PMD fault that falls back counts `thp_fault_fallback`; a
//! successful one counts nothing, and a fault that never tries a PMD (a
//! VMA with THP disabled) counts nothing either. So a fallback delta means
//! PTEs, and no delta means "cannot tell". The counters are global: the
//! guest runs one case at a time, so the delta is the case's.

use crate::protocol::Mapping;
use std::collections::BTreeMap;

/// The counters worth reporting when they move.
pub const THP_KEYS: [&str; 6] = [
    "thp_fault_fallback",
    "thp_fault_alloc",
    "thp_fault_fallback_charge",
    "thp_split_pmd",
    "thp_zero_page_alloc",
    "thp_zero_page_alloc_failed",
];

/// Parses `/proc/vmstat` (`name value` per line).
pub fn parse(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_owned(), v.trim().parse().ok()?))
        })
        .collect()
}

/// The THP counters that changed between two snapshots.
pub fn delta(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    THP_KEYS
        .iter()
        .filter_map(|k| {
            let d = after.get(*k)?.saturating_sub(*before.get(*k)?);
            (d > 0).then(|| ((*k).to_owned(), d))
        })
        .collect()
}

/// What the counter deltas say.
pub fn judge(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> (Option<Mapping>, String) {
    if !after.contains_key("thp_fault_fallback") {
        return (None, "thp_fault_fallback absent from /proc/vmstat".into());
    }
    let d = delta(before, after);
    let ev = if d.is_empty() {
        "no THP counter moved".to_owned()
    } else {
        d.iter()
            .map(|(k, v)| format!("{k} +{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let says = d.get("thp_fault_fallback").map(|_| Mapping::Pte);
    (says, ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of a 6.12 guest's /proc/vmstat before and after
    /// xfs-colour-mismatch (two PMD faults fell back).
    const BEFORE: &str = "nr_free_pages 308877\nthp_fault_alloc 0\nthp_fault_fallback 0\n\
                          thp_fault_fallback_charge 0\nthp_split_pmd 0\nthp_zero_page_alloc 1\n";
    const AFTER: &str = "nr_free_pages 308621\nthp_fault_alloc 0\nthp_fault_fallback 2\n\
                         thp_fault_fallback_charge 0\nthp_split_pmd 0\nthp_zero_page_alloc 1\n";

    #[test]
    fn deltas() {
        let (a, b) = (parse(BEFORE), parse(AFTER));
        assert_eq!(a.get("nr_free_pages"), Some(&308877));
        assert_eq!(
            judge(&a, &b),
            (Some(Mapping::Pte), "thp_fault_fallback +2".into())
        );
        assert_eq!(judge(&a, &a), (None, "no THP counter moved".into()));
        assert_eq!(judge(&a, &parse("x 1\n")).0, None);
    }
}
