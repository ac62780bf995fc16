//! What a boot's [`Outcome`] means: the judge's evidence (outcome,
//! stream, splats), the human table of case results, and `summary.json`.
//!
//! The verdict itself is `daxkit_harness::judge`'s, the one judge every
//! command uses; this module only gathers its evidence and prints it.

use super::launch::{Finished, Outcome};
use daxkit_harness::judge::{self, CaseStatus, Class, Evidence, Judgement};
use daxkit_harness::protocol::Stream;
use serde_json::json;

/// The judge's evidence of one finished boot. The caller adds what the
/// boot itself does not know: the series' expectations, the signals the
/// kernel config guarantees, the console splats.
pub fn evidence(outcome: &Outcome) -> Evidence {
    let empty = Stream::default();
    let (o, detail, stream) = match outcome {
        Outcome::Completed(s) => (judge::Outcome::Completed, String::new(), s),
        Outcome::Panic { what, partial, .. } => (judge::Outcome::Panic, what.clone(), partial),
        Outcome::Timeout {
            phase,
            limit,
            partial,
            ..
        } => (
            judge::Outcome::Timeout,
            format!("timeout in {phase} ({} s)", limit.as_secs()),
            partial,
        ),
        Outcome::ProtocolError { err, partial, .. } => (
            judge::Outcome::ProtocolError,
            format!("result stream: {err}"),
            partial,
        ),
        Outcome::QemuFailed { status, .. } => (
            judge::Outcome::QemuFailed,
            format!("QEMU failed ({status})"),
            &empty,
        ),
        Outcome::Interrupted => (judge::Outcome::Interrupted, "interrupted".into(), &empty),
    };
    Evidence::from_stream(o, detail, stream)
}

/// The case table, one row per case (the judge's statuses), columns
/// padded; then the run-level findings and notes.
pub fn table(e: &Evidence, j: &Judgement) -> String {
    let mut rows = vec![["case", "fs", "expected", "verdict", "", "why"].map(String::from)];
    for c in &j.cases {
        let mark = match c.status {
            CaseStatus::Pass => "ok".to_owned(),
            CaseStatus::Skipped => "skip".to_owned(),
            s if s.class() == Class::CannotTest => format!("?? {}", s.word()),
            s => format!("FAIL {}", s.word()),
        };
        // A KUnit test expects and shows no mapping.
        let kunit = c.fs == daxkit_harness::judge::KUNIT;
        let mapping = |m: daxkit_harness::protocol::Mapping| {
            if kunit {
                "-".to_owned()
            } else {
                m.to_string()
            }
        };
        rows.push([
            c.name.clone(),
            c.fs.clone(),
            mapping(c.expected),
            mapping(c.verdict),
            mark,
            c.why.clone(),
        ]);
    }
    let mut widths = [0usize; 6];
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 5 {
                    cell.clone()
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out += line.join("  ").trim_end();
        out.push('\n');
    }
    for i in &j.issues {
        out += &format!("{}: {}\n", i.class.word(), i.what);
    }
    for n in &j.notes {
        out += &format!("note: {n}\n");
    }
    for s in e.splats.iter().filter(|s| s.allowed.is_none()) {
        out += &format!(
            "--- kernel {} at console line {} ---\n{}\n",
            s.kind, s.line, s.excerpt
        );
    }
    out
}

/// Everything `summary.json` holds.
pub fn summary_json(
    f: &Finished,
    e: &Evidence,
    j: &Judgement,
    accel: &super::accel::Choice,
    kernel: &str,
    firmware: super::plan::Firmware,
) -> serde_json::Value {
    let stream = f.outcome.stream();
    let ms = |d: Option<std::time::Duration>| d.map(|d| d.as_millis() as u64);
    let mut detail = json!({});
    match &f.outcome {
        Outcome::Panic { what, tail, .. } => detail = json!({"what": what, "console_tail": tail}),
        Outcome::Timeout {
            phase, limit, tail, ..
        } => {
            detail = json!({"phase": phase.to_string(), "limit_s": limit.as_secs(), "console_tail": tail})
        }
        Outcome::ProtocolError { err, tail, .. } => {
            detail = json!({"error": err.to_string(), "console_tail": tail})
        }
        Outcome::QemuFailed { status, log_tail } => {
            detail = json!({"status": status, "qemu_log_tail": log_tail})
        }
        _ => {}
    }
    json!({
        "outcome": f.outcome.name(),
        "exit_code": j.code(),
        "class": j.class,
        "why": j.why(),
        "judgement": j,
        "evidence": e,
        "detail": detail,
        "kernel": kernel,
        "guest_kernel": stream.and_then(|s| s.hello()).map(|h| h.0),
        "accel": accel.accel.name(),
        "accel_reason": accel.reason,
        "firmware": format!("{firmware:?}").to_lowercase(),
        "timings_ms": {
            "hello": ms(f.timings.hello),
            "done": ms(f.timings.done),
            "total": f.timings.total.as_millis() as u64,
        },
        "qemu_exit": f.exit_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::launch::Phase;
    use daxkit_harness::protocol::{CaseResult, Mapping, Plan, Planned, Record, StreamError};
    use daxkit_harness::signals::signal;
    use std::time::Duration;

    fn hello() -> Record {
        Record::Hello {
            protocol: 2,
            kernel: "6.12".into(),
            cmdline: "".into(),
            harness: "0".into(),
        }
    }

    fn plan(names: &[&str]) -> Record {
        Record::Plan(Plan {
            cases: names
                .iter()
                .map(|n| Planned {
                    name: (*n).into(),
                    fs: "xfs".into(),
                    expected: Mapping::Pmd,
                })
                .collect(),
            skipped: vec![],
        })
    }

    fn case(name: &str, verdict: Mapping) -> Record {
        Record::Case(CaseResult {
            name: name.into(),
            fs: "xfs".into(),
            expected: Mapping::Pmd,
            verdict,
            signals: ["pagemap-scan", "ptdump"]
                .map(|n| signal(n, (Some(verdict), String::new())))
                .to_vec(),
            disagreement: false,
            duration_ms: 1,
        })
    }

    fn stream(records: Vec<Record>) -> Stream {
        Stream { records }
    }

    /// The launcher's outcomes reach the judge with the right class.
    fn check(o: Outcome, code: i32, why_contains: &str) {
        let j = judge::judge(&evidence(&o));
        assert_eq!(j.code(), code, "{j:?}");
        assert!(j.why().contains(why_contains), "{}", j.why());
    }

    #[test]
    fn outcomes_reach_the_judge() {
        use Mapping::*;
        check(
            Outcome::Completed(stream(vec![hello(), plan(&["a"]), case("a", Pmd)])),
            0,
            "all 1",
        );
        check(
            Outcome::Completed(stream(vec![hello(), plan(&["a"]), case("a", Pte)])),
            1,
            "xfs/a mismatch",
        );
        let p = |partial| Outcome::Panic {
            what: "Kernel panic".into(),
            tail: String::new(),
            partial,
        };
        check(p(stream(vec![])), 125, "during boot");
        check(
            p(stream(vec![hello(), plan(&["a"])])),
            1,
            "during the cases",
        );
        check(
            Outcome::Timeout {
                phase: Phase::Boot,
                limit: Duration::from_secs(5),
                tail: String::new(),
                partial: Stream::default(),
            },
            125,
            "timeout in boot",
        );
        check(
            Outcome::ProtocolError {
                err: StreamError::Truncated { records: 3 },
                tail: String::new(),
                partial: Stream::default(),
            },
            125,
            "truncated",
        );
        check(
            Outcome::QemuFailed {
                status: "exit status: 1".into(),
                log_tail: String::new(),
            },
            125,
            "QEMU",
        );
        check(Outcome::Interrupted, 130, "interrupted");
    }

    #[test]
    fn table_rows() {
        use Mapping::*;
        let e = evidence(&Outcome::Completed(stream(vec![
            hello(),
            plan(&["aligned", "unaligned"]),
            case("aligned", Pmd),
            case("unaligned", Pte),
        ])));
        let t = table(&e, &judge::judge(&e));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("case"));
        assert!(
            lines[1].contains("aligned") && lines[1].contains(" ok "),
            "{t}"
        );
        assert!(lines[1].contains("pagemap-scan and ptdump agree"), "{t}");
        assert!(lines[2].contains("FAIL mismatch"), "{t}");
    }
}
