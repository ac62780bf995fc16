//! Test fixture: a realistic three-variant report built from case results a
//! real 6.12.117 guest sent (`tests/fixtures/report/stock-6.12.117-cases.jsonl`,
//! a copy of the harness' capture), with the patched variants derived from
//! it: `dax-pmd (C)` whose smaps now tells PMD from PTE, with one mismatch
//! and one signal disagreement; `dax-pmd (Rust)` whose kernel panicked
//! part-way. `tests/fixtures/report/run-a/report.json` is this report as
//! JSON (checked by `json::tests::committed_fixture_is_current`).

use super::model::{BaseInfo, Fragment, Report, SeriesInfo, Variant, REPORT_FORMAT};
use daxkit_harness::judge::{Evidence, GuestError, KtapResult, KtapSuite, KtapTest, Outcome};
use daxkit_harness::protocol::{
    BenchResult, CaseResult, ErrorKind, Mapping, Plan, Planned, Signal,
};
use daxkit_harness::signals;

const STOCK_CASES: &str = include_str!("../../tests/fixtures/report/stock-6.12.117-cases.jsonl");

pub fn stock_cases() -> Vec<CaseResult> {
    STOCK_CASES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("fixture case"))
        .collect()
}

/// The page-table readers of a benchmark run over its 256 MiB range, as a
/// 6.12 guest reports them: both agree on `mapping`.
fn bench_signals(start: u64, mapping: Mapping) -> Vec<Signal> {
    let end = start + 256 * 1024 * 1024;
    let (scan, level) = match mapping {
        Mapping::Pmd => ("PRESENT|HUGE", "RW PSE NX pmd"),
        _ => ("PRESENT", "RW NX pte"),
    };
    vec![
        signals::signal(
            signals::PAGEMAP_SCAN,
            (Some(mapping), format!("{start:x}-{end:x} {scan}")),
        ),
        signals::signal(
            signals::PTDUMP,
            (
                Some(mapping),
                format!("0x{start:016x}-0x{end:016x} 256M USR {level}"),
            ),
        ),
    ]
}

fn bench(pmd: f64, pte: f64) -> Vec<BenchResult> {
    let run = |name: &str, mapping, start, faults: u64, mib_s: f64| BenchResult {
        name: name.into(),
        mapping,
        mib: 256,
        faults,
        ns_per_fault: 256.0 / mib_s * 1e9 / faults as f64,
        mib_per_s: mib_s,
        signals: bench_signals(start, mapping),
    };
    vec![
        run("pmd-eligible", Mapping::Pmd, 0x7f2a_4000_0000, 128, pmd),
        run("pte-forced", Mapping::Pte, 0x7f2a_2000_0000, 65_536, pte),
    ]
}

fn signal_says(c: &CaseResult, name: &str) -> Option<Mapping> {
    c.signals
        .iter()
        .find(|s| s.name == name)
        .and_then(|s| s.says)
}

/// The patched kernel's smaps: DaxPmdMapped/DaxPteMapped now count.
fn patched_smaps(c: &mut CaseResult) {
    let pt = signal_says(c, "ptdump");
    let (pmd_kb, pte_kb) = match pt {
        Some(Mapping::Pmd) => (4096, 0),
        Some(Mapping::Pte) => (0, 4096),
        _ => (0, 0),
    };
    if let Some(s) = c.signals.iter_mut().find(|s| s.name == "smaps") {
        if c.name != "xfs-nodax-mount" {
            s.says = pt;
            s.evidence = format!(
                "7fc887800000-7fc887c00000 Rss 4096 kB, DaxPmdMapped {pmd_kb} kB, \
                 DaxPteMapped {pte_kb} kB, FilePmdMapped 0 kB, VmFlags rd wr sh mr mw me ms hg"
            );
        }
    }
}

fn variant(name: &str, append: &[&str], cases: Vec<CaseResult>) -> Variant {
    let slug: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Variant {
        name: name.into(),
        commit: String::new(),
        config: Vec::new(),
        append: append.iter().map(|s| s.to_string()).collect(),
        run_dir: format!(
            "/root/.daxkit/runs/20261128T231500Z-{}",
            slug.to_lowercase()
        ),
        run: Evidence {
            outcome: Outcome::Completed,
            guest_kernel: Some("6.12.117".into()),
            plan: Some(plan_of(&cases)),
            cases,
            required: vec![
                "ptdump".into(),
                "pagemap-scan".into(),
                "smaps".into(),
                "trace".into(),
            ],
            ..Evidence::default()
        },
        repeats: Vec::new(),
        allow_flaky: false,
        accel: vec![crate::vm::plan::Accel::Tcg],
        hello_s: Some(1.9),
        total_s: 61.4,
        bench: Vec::new(),
    }
}

fn fragment(file: &str, options: &[(&str, &str)]) -> Fragment {
    Fragment {
        file: file.into(),
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// A built-in KUnit suite as the console reports it: two tests that ran
/// and one skipped.
fn kunit_suite(result: KtapResult) -> KtapSuite {
    let test = |name: &str, result, directive: &str, line| KtapTest {
        name: name.into(),
        result,
        directive: directive.into(),
        diagnostic: Vec::new(),
        line,
    };
    KtapSuite {
        name: "dax_pmd_decide".into(),
        line: 412,
        tests: vec![
            test("dax_pmd_decide_grid", KtapResult::Ok, "", 415),
            test("dax_pmd_decide_matches_c", KtapResult::Ok, "", 418),
            test(
                "dax_pmd_decide_sync_fault",
                KtapResult::Skip,
                "SKIP no MAP_SYNC support on this pmem",
                420,
            ),
        ],
        result: Some(result),
        diagnostic: vec!["dax_pmd_decide: pass:2 fail:0 skip:1 total:3".into()],
    }
}

/// The plan a guest announces for these cases.
pub fn plan_of(cases: &[CaseResult]) -> Plan {
    Plan {
        cases: cases
            .iter()
            .map(|c| Planned {
                name: c.name.clone(),
                fs: c.fs.clone(),
                expected: c.expected,
            })
            .collect(),
        skipped: Vec::new(),
    }
}

pub fn report() -> Report {
    let stock_cases = stock_cases();
    let mut stock = variant("stock", &[], stock_cases.clone());
    stock.commit = "5d3c1e0b8f2a4c6e9d7b1a3f5e7c9b2d4f6a8c0e".into();
    stock.bench = bench(812.5, 338.5);

    let mut c_cases = stock_cases.clone();
    for c in &mut c_cases {
        patched_smaps(c);
        if c.name == "xfs-colour-mismatch" {
            // smaps counts the PMD the fault tried, not the PTEs it got.
            let s = c.signals.iter_mut().find(|s| s.name == "smaps").unwrap();
            s.says = Some(Mapping::Pmd);
            s.evidence = "7fc887800000-7fc887c00000 Rss 4096 kB, DaxPmdMapped 4096 kB, \
                          DaxPteMapped 0 kB <bogus: counted before fallback> & more"
                .into();
            c.disagreement = true;
        }
        if c.name == "xfs-pte-prefaulted" {
            c.verdict = Mapping::Pmd;
            for s in &mut c.signals {
                match s.name.as_str() {
                    "trace" => {
                        s.says = Some(Mapping::Pmd);
                        s.evidence = "dax_pmd_fault_done NOPAGE/NEEDDSYNC 1 FALLBACK 0 other 0; \
                                      dax_pte_fault_done 1; dax_pmd_load_hole 0; dax_load_hole 0"
                            .into();
                    }
                    "vmstat" => {
                        s.says = None;
                        s.evidence = "no THP counter moved".into();
                    }
                    "pagemap-scan" => {
                        s.says = Some(Mapping::Pmd);
                        s.evidence = "7fc887800000-7fc887c00000 PRESENT|HUGE".into();
                    }
                    "ptdump" => {
                        s.says = Some(Mapping::Pmd);
                        s.evidence =
                            "0x00007fc887800000-0x00007fc887c00000 4M USR RW PSE NX pmd".into();
                    }
                    _ => {}
                }
            }
            patched_smaps(c);
        }
    }
    let mut c = variant("dax-pmd (C)", &["dax_pmd_impl=c"], c_cases);
    c.commit = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".into();
    c.config = vec![fragment("c.config", &[("CONFIG_FS_DAX_PMD_RUST", "n")])];
    c.run.ktap = vec![kunit_suite(KtapResult::Ok)];
    c.bench = bench(801.0, 329.6);
    c.total_s = 63.0;

    let mut rust_cases: Vec<CaseResult> = stock_cases
        .iter()
        .take_while(|c| c.name != "xfs-pte-prefaulted")
        .cloned()
        .collect();
    rust_cases.iter_mut().for_each(patched_smaps);
    let mut rust = variant("dax-pmd (Rust)", &["dax_pmd_impl=rust"], rust_cases);
    rust.commit = c.commit.clone();
    rust.config = vec![fragment(
        "rust.config",
        &[("CONFIG_FS_DAX_PMD_RUST", "y"), ("CONFIG_KUNIT", "y")],
    )];
    // One decision differs from 6.12's C, with KUnit's own words.
    let mut suite = kunit_suite(KtapResult::NotOk);
    suite.tests[1].result = KtapResult::NotOk;
    suite.tests[1].diagnostic = vec![
        "dax_pmd_decide_matches_c: EXPECTATION FAILED at fs/dax_pmd_kunit.c:88".into(),
        "Expected rust == c, but rust == 3 (DAX_PMD_FALLBACK_VMA_END) c == 0 (DAX_PMD_INSERT)"
            .into(),
    ];
    rust.run.ktap = vec![suite];
    // The guest planned every case, then the kernel died part-way.
    rust.run.plan = Some(plan_of(&stock_cases));
    rust.run.outcome = Outcome::Panic;
    rust.run.detail = "BUG: unable to handle page fault for \
                   address: ffffc90000a3f000 <dax_iomap_pmd_fault+0x1a2/0x6d0> & \u{1b}[0m"
        .into();
    rust.total_s = 34.2;
    rust.run.errors = vec![GuestError {
        case: Some("xfs-pte-prefaulted".into()),
        kind: ErrorKind::Crashed,
        message: "case process killed by signal 9 (SIGKILL) \"before its result\"".into(),
    }];

    Report {
        format: REPORT_FORMAT,
        daxkit: "0.1.0".into(),
        created: "20261128T233000Z".into(),
        title: "dax-pmd v1 on Linux 6.12.117".into(),
        base: BaseInfo {
            name: "debian-6.12.117".into(),
            commit: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c".into(),
            kernel_version: "6.12.117".into(),
        },
        series: Some(SeriesInfo {
            name: "dax-pmd".into(),
            version: 1,
            patches: vec![
                (
                    "1111111111111111111111111111111111111111".into(),
                    "fs/proc: account DAX mappings in smaps".into(),
                ),
                (
                    "2222222222222222222222222222222222222222".into(),
                    "dax: report why a PMD fault fell back".into(),
                ),
                (
                    "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".into(),
                    "rust: dax: the PMD fallback decision in Rust".into(),
                ),
            ],
        }),
        variants: vec![stock, c, rust],
        reproducer: Some(super::reproducer::fixture()),
    }
}
