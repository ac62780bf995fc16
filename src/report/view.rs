//! What every renderer shows, derived once from a [`Report`]: case labels
//! (`xfs/aligned-shared-write`), the case × variant grid, cell texts, the
//! fault-benchmark pairs and their PMD/PTE ratio, and the 2016 reference.
//!
//! Pure functions of the report; no formatting language lives here, so the
//! Markdown, HTML, JUnit and summary renderings cannot disagree on a number.

use super::model::{CaseStatus, Report, Variant};
use daxkit_harness::protocol::{BenchResult, CaseResult, Mapping};

/// The figure the original 2016 DAX PMD series reported (FIO mmap on XFS):
/// MB/s with PMDs and with PTEs.
pub const REFERENCE_2016: Reference = Reference {
    what: "2016 DAX PMD series, FIO mmap on XFS",
    pmd_mb_s: 1406.0,
    pte_mb_s: 557.0,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    pub what: &'static str,
    pub pmd_mb_s: f64,
    pub pte_mb_s: f64,
}

impl Reference {
    pub fn ratio(&self) -> f64 {
        self.pmd_mb_s / self.pte_mb_s
    }
}

/// A case as the report names it: `fs/name` with the name's own filesystem
/// prefix dropped (`xfs-aligned-shared-write` on xfs → `xfs/aligned-shared-write`).
fn label(name: &str, fs: &str) -> String {
    let rest = name
        .strip_prefix(fs)
        .and_then(|r| r.strip_prefix('-'))
        .unwrap_or(name);
    format!("{fs}/{rest}")
}

/// A stable key for the case: the harness name plus the filesystem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseKey {
    pub name: String,
    pub fs: String,
}

impl CaseKey {
    pub fn of(c: &CaseResult) -> Self {
        CaseKey {
            name: c.name.clone(),
            fs: c.fs.clone(),
        }
    }

    pub fn label(&self) -> String {
        label(&self.name, &self.fs)
    }

    /// A token safe for HTML ids and anchors.
    pub fn anchor(&self) -> String {
        let l = self.label();
        l.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    }
}

/// Every case any variant ran, in first-seen order (stock's order first).
pub fn case_keys(r: &Report) -> Vec<CaseKey> {
    let mut keys: Vec<CaseKey> = Vec::new();
    for v in &r.variants {
        for c in &v.cases {
            let k = CaseKey::of(c);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// One cell of the case × variant grid.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Ran {
        case: &'a CaseResult,
        status: CaseStatus,
        expected: Mapping,
    },
    /// No result, but the guest sent an error record for this case.
    Error(&'a str),
    /// Not in this variant's results (run died first, or not asked for).
    Missing,
}

pub fn cell<'a>(v: &'a Variant, k: &CaseKey) -> Cell<'a> {
    if let Some(c) = v.cases.iter().find(|c| c.name == k.name && c.fs == k.fs) {
        return Cell::Ran {
            case: c,
            status: v.status(c),
            expected: v.expected(c),
        };
    }
    match v
        .errors
        .iter()
        .find(|(case, _)| case.as_deref() == Some(k.name.as_str()))
    {
        Some((_, msg)) => Cell::Error(msg),
        None => Cell::Missing,
    }
}

impl Cell<'_> {
    /// `PMD ✓`, `PTE ✗ (expected PMD)`, `PMD ⚠ signals disagree`, …
    pub fn text(&self) -> String {
        match self {
            Cell::Ran {
                case,
                status,
                expected,
            } => match status {
                CaseStatus::Pass => format!("{} ✓", case.verdict),
                CaseStatus::Mismatch => format!("{} ✗ (expected {expected})", case.verdict),
                CaseStatus::Disagree => format!("{} ⚠ signals disagree", case.verdict),
                CaseStatus::Unknown => format!("? unknown (expected {expected})"),
            },
            Cell::Error(_) => "error ✗".to_owned(),
            Cell::Missing => "— not run".to_owned(),
        }
    }

    /// CSS class / machine word for the cell.
    pub fn class(&self) -> &'static str {
        match self {
            Cell::Ran { status, .. } => status_word(*status),
            Cell::Error(_) => "error",
            Cell::Missing => "missing",
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(
            self,
            Cell::Ran {
                status: CaseStatus::Pass,
                ..
            }
        )
    }
}

pub fn status_word(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Pass => "pass",
        CaseStatus::Mismatch => "mismatch",
        CaseStatus::Disagree => "disagree",
        CaseStatus::Unknown => "unknown",
    }
}

/// What a signal says, for people: `PMD`, or `no signal`.
pub fn says(m: Option<Mapping>) -> String {
    m.map_or_else(|| "no signal".to_owned(), |m| m.to_string())
}

/// Cases that passed in `v`, out of every case the report knows.
pub fn pass_count(r: &Report, v: &Variant) -> (usize, usize) {
    let keys = case_keys(r);
    let pass = keys.iter().filter(|k| cell(v, k).is_pass()).count();
    (pass, keys.len())
}

/// The fault benchmark of one variant: the PMD-eligible and the PTE-forced
/// run, paired by the harness' names (by the mapping seen when a name is
/// unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct BenchPair<'a> {
    pub pmd: &'a BenchResult,
    pub pte: &'a BenchResult,
}

impl BenchPair<'_> {
    /// PMD over PTE throughput.
    pub fn ratio(&self) -> Option<f64> {
        (self.pte.mib_per_s > 0.0).then(|| self.pmd.mib_per_s / self.pte.mib_per_s)
    }

    /// The runs did not get the entries they were meant to get.
    pub fn off_target(&self) -> bool {
        self.pmd.mapping != Mapping::Pmd || self.pte.mapping != Mapping::Pte
    }

    /// The ratio as shown in tables, `—` when it cannot be computed.
    pub fn ratio_label(&self) -> String {
        self.ratio().map_or_else(|| "—".to_owned(), ratio_text)
    }

    /// A note for a pair whose runs got other entries than meant, else "".
    pub fn off_target_note(&self) -> String {
        if self.off_target() {
            format!(
                " (runs got {}/{}, not PMD/PTE)",
                self.pmd.mapping, self.pte.mapping
            )
        } else {
            String::new()
        }
    }
}

pub fn bench_pair(v: &Variant) -> Option<BenchPair<'_>> {
    let by_name = |n: &str| v.bench.iter().find(|b| b.name == n);
    let by_mapping = |m: Mapping| v.bench.iter().find(|b| b.mapping == m);
    let pmd = by_name("pmd-eligible").or_else(|| by_mapping(Mapping::Pmd))?;
    let pte = by_name("pte-forced").or_else(|| by_mapping(Mapping::Pte))?;
    Some(BenchPair { pmd, pte })
}

/// How the absolute numbers of a variant were measured: `TCG`, `KVM`.
pub fn accel_label(v: &Variant) -> String {
    if v.accel.is_empty() {
        "unknown-accelerator".to_owned()
    } else {
        v.accel.to_uppercase()
    }
}

/// `2.40x`.
pub fn ratio_text(r: f64) -> String {
    format!("{r:.2}x")
}

/// Short commit for tables.
pub fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// Whether `v` is the unpatched base (named `stock`, or simply first when
/// there is no series).
pub fn is_stock(r: &Report, v: &Variant) -> bool {
    v.name == "stock" || v.name.starts_with("stock ") || r.series.is_none()
}

/// The part of a variant's name that tells it from its series:
/// `dax-pmd (C)` → `(C)`; a name without its series' prefix stays whole.
pub fn variant_tag<'a>(r: &Report, v: &'a Variant) -> &'a str {
    r.series
        .as_ref()
        .and_then(|s| v.name.strip_prefix(s.name.as_str()))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(&v.name)
}

/// Does smaps say what the page-table signals say? `None` when neither
/// ptdump nor pagemap-scan could tell.
pub fn smaps_agrees(c: &CaseResult) -> Option<bool> {
    let says = |n: &str| c.signals.iter().find(|s| s.name == n).and_then(|s| s.says);
    let refs: Vec<Mapping> = ["ptdump", "pagemap-scan"]
        .iter()
        .filter_map(|n| says(n))
        .collect();
    if refs.is_empty() {
        return None;
    }
    Some(says("smaps").is_some_and(|m| refs.iter().all(|r| *r == m)))
}

/// (cases where smaps agrees with the page tables, cases where the page
/// tables could tell) in one variant.
pub fn smaps_agreement(v: &Variant) -> (usize, usize) {
    let judged: Vec<bool> = v.cases.iter().filter_map(smaps_agrees).collect();
    (judged.iter().filter(|a| **a).count(), judged.len())
}

/// The run did not complete or the guest reported errors: the run-level
/// failure a report lists apart from the cases.
pub fn run_failure(v: &Variant) -> Option<String> {
    if v.outcome != "completed" {
        Some(format!("{}: {}", v.outcome, v.detail))
    } else {
        let general: Vec<&str> = v
            .errors
            .iter()
            .filter(|(c, _)| c.is_none())
            .map(|(_, m)| m.as_str())
            .collect();
        (!general.is_empty()).then(|| format!("guest errors: {}", general.join("; ")))
    }
}

/// Folds whitespace runs into one space and shows other control
/// characters (console escapes) as `\u{1b}`, so text fits one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn labels_drop_the_filesystem_prefix() {
        let check = |name: &str, fs: &str, want: &str| assert_eq!(label(name, fs), want);
        check(
            "xfs-aligned-shared-write",
            "xfs",
            "xfs/aligned-shared-write",
        );
        check("ext4-hole-read", "ext4", "ext4/hole-read");
        check("hole-read", "ext4", "ext4/hole-read");
        check("xfsfoo", "xfs", "xfs/xfsfoo");
    }

    #[test]
    fn one_line_folds_and_shows_escapes() {
        assert_eq!(one_line(" a\n\tb  c \u{1b}[0m"), "a b c \\u{1b}[0m");
    }

    #[test]
    fn cells_say_what_happened() {
        let r = fixture::report();
        let keys = case_keys(&r);
        let k = |n: &str| keys.iter().find(|k| k.name == n).unwrap();
        let stock = &r.variants[0];
        let c = &r.variants[1];
        let rust = &r.variants[2];
        assert_eq!(cell(stock, k("xfs-aligned-shared-write")).text(), "PMD ✓");
        assert_eq!(
            cell(c, k("xfs-pte-prefaulted")).text(),
            "PMD ✗ (expected PTE)"
        );
        assert_eq!(
            cell(c, k("xfs-colour-mismatch")).text(),
            "PTE ⚠ signals disagree"
        );
        assert_eq!(cell(rust, k("xfs-nodax-mount")).text(), "— not run");
        assert_eq!(cell(rust, k("xfs-pte-prefaulted")).text(), "error ✗");
    }

    #[test]
    fn bench_ratio_and_reference() {
        let r = fixture::report();
        let p = bench_pair(&r.variants[0]).unwrap();
        assert_eq!(ratio_text(p.ratio().unwrap()), "2.40x");
        assert_eq!(ratio_text(REFERENCE_2016.ratio()), "2.52x");
        assert!(bench_pair(&r.variants[2]).is_none());
    }

    #[test]
    fn smaps_agreement_counts_page_table_cases() {
        let r = fixture::report();
        // Stock smaps sees only the page-cache mappings (COW, no DAX).
        assert_eq!(smaps_agreement(&r.variants[0]), (2, 15));
        // Patched: all but the case whose signals disagree.
        assert_eq!(smaps_agreement(&r.variants[1]), (14, 15));
    }

    #[test]
    fn variant_tags() {
        let r = fixture::report();
        let tags: Vec<&str> = r.variants.iter().map(|v| variant_tag(&r, v)).collect();
        assert_eq!(tags, ["stock", "(C)", "(Rust)"]);
    }
}
