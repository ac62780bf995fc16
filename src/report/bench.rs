//! `daxkit report bench RUN_DIR...`: whether each run folder's fault
//! benchmark may be counted, for scripts that aggregate many runs
//! (benches/fault.sh). The same judge as the reports
//! (`judge::bench_verified`), so a script never re-implements the rule.
//!
//! One JSON line per folder: `{"run", "verified", "problems", "bench"}`,
//! where `bench` holds the records with `intended`, `verified` and `why`
//! added, and `problems` says why the folder does not count (a result
//! stream that is not whole, a missing run, an unverified run).

use daxkit_harness::judge;
use daxkit_harness::protocol::{
    BenchResult, Decoder, Mapping, BENCH_PMD_ELIGIBLE, BENCH_PTE_FORCED,
};
use serde::Serialize;
use std::path::Path;

/// One benchmark record with the judge's word on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checked {
    #[serde(flatten)]
    pub result: BenchResult,
    pub intended: Option<Mapping>,
    pub verified: bool,
    /// Why it is unverified.
    pub why: Option<String>,
}

/// One run folder's benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunCheck {
    pub run: String,
    /// Both runs (PMD-eligible and PTE-forced) are there and verified.
    pub verified: bool,
    pub problems: Vec<String>,
    pub bench: Vec<Checked>,
}

/// Checks the result stream `text` (a run folder's results.jsonl) of `run`.
pub fn check_stream(run: &str, text: &str) -> RunCheck {
    let mut problems = Vec::new();
    let mut d = Decoder::new();
    let mut broken = None;
    for line in text.lines() {
        if let Err(e) = d.push_line(line) {
            broken = Some(e);
            break;
        }
    }
    // Records up to a break still show; the break itself is a problem.
    let stream = d.partial().clone();
    match broken {
        Some(e) => problems.push(format!("results.jsonl: {e}")),
        None => {
            if let Err(e) = d.finish() {
                problems.push(format!("results.jsonl: {e}"));
            }
        }
    }
    let bench: Vec<Checked> = stream
        .records
        .iter()
        .filter_map(|r| match r {
            daxkit_harness::protocol::Record::Bench(b) => Some(b),
            _ => None,
        })
        .map(|b| {
            let why = judge::bench_verified(b).err();
            Checked {
                result: b.clone(),
                intended: b.intended(),
                verified: why.is_none(),
                why,
            }
        })
        .collect();
    for name in [BENCH_PMD_ELIGIBLE, BENCH_PTE_FORCED] {
        match bench.iter().find(|c| c.result.name == name) {
            None => problems.push(format!("{name}: no bench record")),
            Some(Checked { why: Some(w), .. }) => problems.push(format!("{name}: unverified: {w}")),
            Some(_) => {}
        }
    }
    RunCheck {
        run: run.to_owned(),
        verified: problems.is_empty(),
        problems,
        bench,
    }
}

/// Checks the run folder `dir` (its results.jsonl).
pub fn check_dir(dir: &Path) -> RunCheck {
    let run = dir.display().to_string();
    let path = dir.join("results.jsonl");
    match std::fs::read_to_string(&path) {
        Ok(text) => check_stream(&run, &text),
        Err(e) => RunCheck {
            run,
            verified: false,
            problems: vec![format!("reading {}: {e}", path.display())],
            bench: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use daxkit_harness::protocol::{Encoder, Record, PROTOCOL_VERSION};

    fn stream(bench: &[BenchResult], done: bool) -> String {
        let mut e = Encoder::new();
        let mut s = e.encode(Record::Hello {
            protocol: PROTOCOL_VERSION,
            kernel: "6.12.117".into(),
            cmdline: "console=ttyS0".into(),
            harness: "0.1.0".into(),
        });
        for b in bench {
            s += &e.encode(Record::Bench(b.clone()));
        }
        if done {
            s += &e.done();
        }
        s
    }

    #[test]
    fn verified_runs_pass() {
        let b = fixture::report().variants[0].bench.clone();
        let c = check_stream("r", &stream(&b, true));
        assert!(c.verified, "{c:?}");
        assert!(c.problems.is_empty());
        assert_eq!(c.bench.len(), 2);
        assert_eq!(c.bench[0].intended, Some(Mapping::Pmd));
        let line = serde_json::to_value(&c).unwrap();
        assert_eq!(line["bench"][1]["name"], "pte-forced");
        assert_eq!(line["bench"][1]["intended"], "pte");
        assert_eq!(line["bench"][1]["verified"], true);
        assert_eq!(line["bench"][1]["mib_per_s"], 338.5);
    }

    #[test]
    fn unverified_missing_and_truncated_are_problems() {
        let mut b = fixture::report().variants[0].bench.clone();
        b[0].signals.retain(|s| s.name != "ptdump");
        let c = check_stream("r", &stream(&b[..1], false));
        assert!(!c.verified);
        assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
        assert!(c.problems[0].starts_with("results.jsonl: result stream truncated"));
        assert!(
            c.problems[1].starts_with("pmd-eligible: unverified: cannot-tell: only pagemap-scan"),
            "{}",
            c.problems[1]
        );
        assert_eq!(c.problems[2], "pte-forced: no bench record");
        assert!(!c.bench[0].verified);
        assert!(c.bench[0].why.is_some());
    }

    #[test]
    fn missing_folder_is_a_problem() {
        let c = check_dir(Path::new("/nonexistent/daxkit-run"));
        assert!(!c.verified);
        assert!(c.problems[0].contains("results.jsonl"), "{:?}", c.problems);
    }
}
