//! Replays signal text captured from real guests (tests/fixtures/) through
//! the pure parsers and checks that each says what the guest reported.

use daxkit_harness::protocol::{CaseResult, Mapping};
use daxkit_harness::signals::{self, pagemap_scan, ptdump, smaps, trace, vmstat};
use std::fs;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn range(dir: &Path) -> (u64, u64) {
    let t = fs::read_to_string(dir.join("range.txt")).unwrap();
    let (s, e) = t.trim().split_once('-').unwrap();
    (
        u64::from_str_radix(s, 16).unwrap(),
        u64::from_str_radix(e, 16).unwrap(),
    )
}

fn read(dir: &Path, signal: &str) -> Option<String> {
    fs::read_to_string(dir.join(format!("{signal}.txt"))).ok()
}

/// What the parsers say now about every captured input of `dir`.
fn replay(dir: &Path) -> Vec<(&'static str, Option<Mapping>)> {
    let (s, e) = range(dir);
    let mut out = Vec::new();
    if let Some(t) = read(dir, "smaps") {
        out.push((signals::SMAPS, smaps::judge(&smaps::parse(&t), s).0));
    }
    if let Some(t) = read(dir, "ptdump") {
        out.push((signals::PTDUMP, ptdump::judge(&ptdump::parse(&t), s, e).0));
    }
    if let Some(t) = read(dir, "trace") {
        out.push((signals::TRACE, trace::judge(&trace::parse(&t), s, e).0));
    }
    if let Some(t) = read(dir, "pagemap-scan") {
        let r = pagemap_scan::parse(&t);
        out.push((signals::PAGEMAP_SCAN, pagemap_scan::judge(&r, s, e).0));
    }
    if let (Some(b), Some(a)) = (read(dir, "vmstat-before"), read(dir, "vmstat")) {
        let judged = vmstat::judge(&vmstat::parse(&b), &vmstat::parse(&a));
        out.push((signals::VMSTAT, judged.0));
    }
    out
}

#[test]
fn captured_signals_replay_to_what_the_guest_reported() {
    let mut checked = 0;
    for kernel in fs::read_dir(fixtures()).unwrap() {
        let kdir = kernel.unwrap().path();
        let Ok(results) = fs::read_to_string(kdir.join("results.jsonl")) else {
            continue;
        };
        for line in results.lines() {
            let r: CaseResult = serde_json::from_str(line).unwrap();
            let dir = kdir.join(&r.name);
            if !dir.is_dir() {
                continue;
            }
            let mut sigs = r.signals.clone();
            for (name, says) in replay(&dir) {
                let reported = sigs.iter_mut().find(|s| s.name == name).unwrap();
                assert_eq!(
                    says, reported.says,
                    "{}: {name}: {}",
                    r.name, reported.evidence
                );
                reported.says = says;
                checked += 1;
            }
            // The replayed signals combine into the reported verdict.
            assert_eq!(
                signals::verdict(&sigs),
                (r.verdict, r.disagreement),
                "{}",
                r.name
            );
            // Every case of these captures met its expectation.
            assert_eq!(r.verdict, r.expected, "{}", r.name);
        }
    }
    assert!(checked >= 40, "only {checked} captured signals replayed");
}

fn case_dir(case: &str) -> PathBuf {
    fixtures().join("linux-6.12").join(case)
}

#[test]
fn stock_smaps_has_no_dax_signal() {
    let t = read(&case_dir("xfs-aligned-shared-write"), "smaps").unwrap();
    let (s, _) = range(&case_dir("xfs-aligned-shared-write"));
    let vmas = smaps::parse(&t);
    let v = smaps::find(&vmas, s).unwrap();
    assert_eq!(v.kb("Rss"), Some(0));
    assert_eq!(v.thp_eligible(), Some(false));
    assert!(v.has_flag("sh") && v.has_flag("hg"));
    let (says, ev) = smaps::judge(&vmas, s);
    assert_eq!(says, None);
    assert!(ev.starts_with("no smaps signal (Rss 0"), "{ev}");
}

#[test]
fn smaps_sees_the_cow_copies_and_the_page_cache() {
    for case in ["xfs-private-write", "xfs-nodax-mount"] {
        let t = read(&case_dir(case), "smaps").unwrap();
        let (s, _) = range(&case_dir(case));
        assert_eq!(
            smaps::judge(&smaps::parse(&t), s).0,
            Some(Mapping::Pte),
            "{case}"
        );
    }
    let t = read(&case_dir("xfs-madv-nohugepage"), "smaps").unwrap();
    let (s, _) = range(&case_dir("xfs-madv-nohugepage"));
    assert!(smaps::find(&smaps::parse(&t), s).unwrap().has_flag("nh"));
}

#[test]
fn ptdump_shows_the_huge_zero_page_read_only() {
    let dir = case_dir("xfs-hole-read");
    let (s, e) = range(&dir);
    let (says, ev) = ptdump::judge(&ptdump::parse(&read(&dir, "ptdump").unwrap()), s, e);
    assert_eq!(says, Some(Mapping::Pmd));
    assert!(ev.contains("USR ro PSE NX pmd"), "{ev}");
    let r = pagemap_scan::parse(&read(&dir, "pagemap-scan").unwrap());
    assert!(r.iter().any(|r| r.categories
        == pagemap_scan::PAGE_IS_PRESENT
            | pagemap_scan::PAGE_IS_HUGE
            | pagemap_scan::PAGE_IS_PFNZERO));
}

#[test]
fn trace_counts_each_fault() {
    let check = |case: &str, want: trace::Counts| {
        let dir = case_dir(case);
        let (s, e) = range(&dir);
        assert_eq!(
            trace::count(&trace::parse(&read(&dir, "trace").unwrap()), s, e),
            want,
            "{case}"
        );
    };
    let c = trace::Counts::default();
    check(
        "xfs-aligned-shared-write",
        trace::Counts { pmd_done: 2, ..c },
    );
    // MAP_SYNC: the PMD fault returns NEEDDSYNC, the entry goes in after fsync.
    check("xfs-map-sync-write", trace::Counts { pmd_done: 2, ..c });
    check(
        "xfs-hole-read",
        trace::Counts {
            pmd_done: 2,
            pmd_zero_page: 2,
            ..c
        },
    );
    check(
        "xfs-vma-smaller-than-pmd",
        trace::Counts {
            pmd_fallback: 1,
            pte_done: 256,
            ..c
        },
    );
    check("xfs-nodax-mount", c);
}
