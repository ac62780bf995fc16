//! What every renderer shows, derived once from a [`Report`]: case labels
//! (`xfs/aligned-shared-write`), the case × variant grid, cell texts, the
//! fault-benchmark pairs and their PMD/PTE ratio, and the 2016 reference.
//!
//! Pure functions of the report; no formatting language lives here, so the
//! Markdown, HTML, JUnit and summary renderings cannot disagree on a number.

use super::model::{Report, Variant};
use daxkit_harness::judge::{self, CaseJudgement, CaseStatus};
use daxkit_harness::protocol::{
    BenchResult, CaseResult, Mapping, BENCH_PMD_ELIGIBLE, BENCH_PTE_FORCED,
};

/// The figure the original 2016 DAX PMD series reported (FIO mmap on XFS,
/// on a PMEM device made from memmap'd RAM): fio printed 1406.7MB/s with
/// PMDs and 557610KB/s with PTEs, both in fio's default base 1024, i.e.
/// MiB/s and KiB/s. Compared in one unit (MiB/s): 1406.7 vs 544.5, 2.58x.
pub const REFERENCE_2016: Reference = Reference {
    what: "2016 DAX PMD series, FIO mmap on XFS, PMEM made from memmap'd RAM",
    pmd_mib_s: 1406.7,
    pte_mib_s: 557_610.0 / 1024.0,
    as_printed: "fio printed 1406.7MB/s and 557610KB/s, base 1024",
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    pub what: &'static str,
    /// Throughput with PMDs, MiB/s (2^20 bytes per second).
    pub pmd_mib_s: f64,
    /// Throughput with PTEs, MiB/s.
    pub pte_mib_s: f64,
    /// The figures as the source printed them, with their unit base.
    pub as_printed: &'static str,
}

impl Reference {
    /// PMD over PTE throughput, both in MiB/s.
    pub fn ratio(&self) -> f64 {
        self.pmd_mib_s / self.pte_mib_s
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

/// Every case any variant planned or ran, in first-seen order (stock's
/// order first).
pub fn case_keys(r: &Report) -> Vec<CaseKey> {
    let mut keys: Vec<CaseKey> = Vec::new();
    for v in &r.variants {
        for c in &v.judgement().cases {
            let k = CaseKey {
                name: c.name.clone(),
                fs: c.fs.clone(),
            };
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
    /// The judge's word on the case, and its result record if one came.
    Judged {
        case: Option<&'a CaseResult>,
        j: CaseJudgement,
    },
    /// Not in this variant at all (not asked for, or no plan came back).
    Missing,
}

pub fn cell<'a>(v: &'a Variant, k: &CaseKey) -> Cell<'a> {
    let Some(j) = v
        .judgement()
        .cases
        .into_iter()
        .find(|c| c.name == k.name && c.fs == k.fs)
    else {
        return Cell::Missing;
    };
    Cell::Judged {
        case: v
            .run
            .cases
            .iter()
            .find(|c| c.name == k.name && c.fs == k.fs),
        j,
    }
}

impl Cell<'_> {
    /// `PMD ✓`, `PTE ✗ (expected PMD)`, `⚠ signals disagree`, …
    pub fn text(&self) -> String {
        match self {
            Cell::Judged { j, .. } => {
                let (v, e) = (j.verdict, j.expected);
                let kunit = j.fs == judge::KUNIT;
                match j.status {
                    CaseStatus::Pass if kunit => "ok ✓".to_owned(),
                    CaseStatus::Pass => format!("{v} ✓"),
                    CaseStatus::Failed => "not ok ✗".to_owned(),
                    CaseStatus::Mismatch => format!("{v} ✗ (expected {e})"),
                    CaseStatus::Disagree => "⚠ signals disagree".to_owned(),
                    CaseStatus::Crashed => "error ✗".to_owned(),
                    CaseStatus::Splat => format!("{v} ✗ kernel splat"),
                    CaseStatus::Flaky => "⚠ flaky".to_owned(),
                    CaseStatus::CannotTell => format!("? cannot tell (expected {e})"),
                    CaseStatus::SignalFailed => "? signal failed".to_owned(),
                    CaseStatus::Missing => "— missing".to_owned(),
                    CaseStatus::Skipped => "– skipped".to_owned(),
                }
            }
            Cell::Missing => "— not run".to_owned(),
        }
    }

    /// CSS class / machine word for the cell.
    pub fn class(&self) -> &'static str {
        match self {
            Cell::Judged { j, .. } => j.status.word(),
            Cell::Missing => "not-run",
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Cell::Judged { j, .. } if j.status == CaseStatus::Pass)
    }
}

/// What a signal says, for people: `PMD`, or `no signal`.
pub fn says(m: Option<Mapping>) -> String {
    m.map_or_else(|| "no signal".to_owned(), |m| m.to_string())
}

/// Cases that passed in `v`, out of every case the report knows.
/// KUnit tests count only for variants whose kernel ran them: a kernel
/// built without a suite did not miss its tests.
pub fn pass_count(r: &Report, v: &Variant) -> (usize, usize) {
    let keys: Vec<CaseKey> = case_keys(r)
        .into_iter()
        .filter(|k| k.fs != judge::KUNIT || cell(v, k) != Cell::Missing)
        .collect();
    let pass = keys.iter().filter(|k| cell(v, k).is_pass()).count();
    (pass, keys.len())
}

/// What every rendering says about which benchmark runs count.
pub const BENCH_RULE: &str = "A run counts only when both page-table readers \
    (PAGEMAP_SCAN and ptdump) confirm the mapping it was meant to get; an \
    unverified run is named and left out of every ratio.";

/// The fault benchmark of one variant: the PMD-eligible and the PTE-forced
/// run, paired by the harness' names.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchPair<'a> {
    pub pmd: &'a BenchResult,
    pub pte: &'a BenchResult,
}

impl BenchPair<'_> {
    /// Each run whose page-table readers did not confirm its intended
    /// mapping, as `name: why` (the judge's reason); empty when both count.
    pub fn unverified(&self) -> Vec<String> {
        [self.pmd, self.pte]
            .iter()
            .filter_map(|b| {
                judge::bench_verified(b)
                    .err()
                    .map(|why| format!("{}: {}", b.name, one_line(&why)))
            })
            .collect()
    }

    /// Both runs are verified, so their numbers may be compared.
    pub fn verified(&self) -> bool {
        self.unverified().is_empty()
    }

    /// PMD over PTE throughput; `None` when a run is unverified (it enters
    /// no ratio) or the PTE run measured nothing.
    pub fn ratio(&self) -> Option<f64> {
        if !self.verified() {
            return None;
        }
        (self.pte.mib_per_s > 0.0).then(|| self.pmd.mib_per_s / self.pte.mib_per_s)
    }

    /// The ratio as shown in tables, `—` when there is none.
    pub fn ratio_label(&self) -> String {
        self.ratio().map_or_else(|| "—".to_owned(), ratio_text)
    }

    /// The caveat every rendering shows beside the pair, the same words
    /// in each: `unverified: pmd-eligible: got PTE, intended PMD: …`.
    pub fn caveat(&self) -> Option<String> {
        let why = self.unverified();
        (!why.is_empty()).then(|| format!("unverified: {}", why.join("; ")))
    }
}

pub fn bench_pair(v: &Variant) -> Option<BenchPair<'_>> {
    let by_name = |n: &str| v.bench.iter().find(|b| b.name == n);
    let pmd = by_name(BENCH_PMD_ELIGIBLE)?;
    let pte = by_name(BENCH_PTE_FORCED)?;
    Some(BenchPair { pmd, pte })
}

/// How the absolute numbers of a variant were measured: `TCG`, `KVM`,
/// `KVM/TCG`.
pub fn accel_label(v: &Variant) -> String {
    if v.accel.is_empty() {
        "unknown-accelerator".to_owned()
    } else {
        let names: Vec<String> = v.accel.iter().map(|a| a.name().to_uppercase()).collect();
        names.join("/")
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
    let judged: Vec<bool> = v.run.cases.iter().filter_map(smaps_agrees).collect();
    (judged.iter().filter(|a| **a).count(), judged.len())
}

/// What went wrong with the run as a whole (not one case's verdict),
/// as the judge found it: outcome, splats, setup, missing plan.
pub fn run_failure(v: &Variant) -> Option<String> {
    let j = v.judgement();
    let issues: Vec<String> = j
        .issues
        .iter()
        .map(|i| format!("{}: {}", i.class.word(), i.what))
        .collect();
    (!issues.is_empty()).then(|| issues.join("; "))
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
            "⚠ signals disagree"
        );
        // Planned, never reached: the kernel died first.
        assert_eq!(cell(rust, k("xfs-nodax-mount")).text(), "— missing");
        assert_eq!(cell(rust, k("xfs-pte-prefaulted")).text(), "error ✗");
    }

    #[test]
    fn bench_ratio_and_reference() {
        let r = fixture::report();
        let p = bench_pair(&r.variants[0]).unwrap();
        assert_eq!(ratio_text(p.ratio().unwrap()), "2.40x");
        assert!(p.verified());
        assert_eq!(p.caveat(), None);
        assert!(bench_pair(&r.variants[2]).is_none());
    }

    /// fio printed 1406.7MB/s and 557610KB/s, both base 1024: in one unit
    /// that is 1406.7 vs 544.5 MiB/s, 2.58x (not 1406/557 = 2.52x).
    #[test]
    fn reference_in_one_unit() {
        assert!((REFERENCE_2016.pte_mib_s - 544.54).abs() < 0.01);
        assert_eq!(REFERENCE_2016.pmd_mib_s, 1406.7);
        assert_eq!(ratio_text(REFERENCE_2016.ratio()), "2.58x");
        assert!(REFERENCE_2016.what.contains("memmap'd RAM"));
    }

    /// A run whose page-table readers did not confirm its mapping gives
    /// no ratio, and says why.
    #[test]
    fn unverified_runs_give_no_ratio() {
        let mut r = fixture::report();
        let v = &mut r.variants[0];
        // ptdump saw PTEs where the PMD-eligible run was meant to get PMDs.
        let dump = v.bench[0]
            .signals
            .iter_mut()
            .find(|s| s.name == "ptdump")
            .unwrap();
        dump.says = Some(Mapping::Pte);
        let p = bench_pair(&r.variants[0]).unwrap();
        assert!(!p.verified());
        assert_eq!(p.ratio(), None);
        assert_eq!(p.ratio_label(), "—");
        let c = p.caveat().unwrap();
        assert!(
            c.starts_with("unverified: pmd-eligible: disagree: signals disagree: pagemap-scan=PMD"),
            "{c}"
        );
        assert!(!c.contains("pte-forced"), "{c}");

        // Records of older guests carry no signals: unverified too.
        let mut r = fixture::report();
        r.variants[0].bench[1].signals.clear();
        let p = bench_pair(&r.variants[0]).unwrap();
        assert_eq!(
            p.caveat().unwrap(),
            "unverified: pte-forced: no page-table evidence in the record \
             (a guest before both readers were read)"
        );
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
