//! What a boot's [`Outcome`] means: the judge's evidence (outcome,
//! stream, splats), the human table of case results, and `summary.json`.
//!
//! The verdict itself is `daxkit_harness::judge`'s, the one judge every
//! command uses; this module only gathers its evidence and prints it.

use super::launch::{Finished, Outcome};
use super::plan::{Accel, Firmware};
use daxkit_harness::judge::{self, CaseStatus, Class, Evidence, Judgement};
use daxkit_harness::protocol::Stream;
use serde::Serialize;

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

/// Everything `summary.json` holds (one boot, for people and scripts; the
/// report has its own model).
#[derive(Debug, Serialize)]
pub struct RunSummary<'a> {
    pub outcome: judge::Outcome,
    pub exit_code: i32,
    pub class: Class,
    pub why: String,
    pub judgement: &'a Judgement,
    pub evidence: &'a Evidence,
    pub detail: Detail,
    pub kernel: String,
    pub guest_kernel: Option<&'a str>,
    pub accel: Accel,
    pub accel_reason: &'a str,
    pub firmware: Firmware,
    pub timings_ms: TimingsMs,
    pub qemu_exit: Option<&'a str>,
}

/// What the outcome says beyond its name; only its own fields are
/// written (`{}` for a completed boot).
#[derive(Debug, Default, Serialize)]
pub struct Detail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_tail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qemu_log_tail: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TimingsMs {
    pub hello: Option<u64>,
    pub done: Option<u64>,
    pub total: u64,
}

pub fn summary_json<'a>(
    f: &'a Finished,
    e: &'a Evidence,
    j: &'a Judgement,
    accel: &'a super::accel::Choice,
    kernel: &str,
    firmware: Firmware,
) -> RunSummary<'a> {
    let ms = |d: Option<std::time::Duration>| d.map(|d| d.as_millis() as u64);
    let detail = match &f.outcome {
        Outcome::Panic { what, tail, .. } => Detail {
            what: Some(what.clone()),
            console_tail: Some(tail.clone()),
            ..Detail::default()
        },
        Outcome::Timeout {
            phase, limit, tail, ..
        } => Detail {
            phase: Some(phase.to_string()),
            limit_s: Some(limit.as_secs()),
            console_tail: Some(tail.clone()),
            ..Detail::default()
        },
        Outcome::ProtocolError { err, tail, .. } => Detail {
            error: Some(err.to_string()),
            console_tail: Some(tail.clone()),
            ..Detail::default()
        },
        Outcome::QemuFailed { status, log_tail } => Detail {
            status: Some(status.clone()),
            qemu_log_tail: Some(log_tail.clone()),
            ..Detail::default()
        },
        Outcome::Completed(_) | Outcome::Interrupted => Detail::default(),
    };
    RunSummary {
        outcome: f.outcome.kind(),
        exit_code: j.code(),
        class: j.class,
        why: j.why(),
        judgement: j,
        evidence: e,
        detail,
        kernel: kernel.to_owned(),
        guest_kernel: f.outcome.stream().and_then(|s| s.hello()).map(|h| h.0),
        accel: accel.accel,
        accel_reason: &accel.reason,
        firmware,
        timings_ms: TimingsMs {
            hello: ms(f.timings.hello),
            done: ms(f.timings.done),
            total: f.timings.total.as_millis() as u64,
        },
        qemu_exit: f.exit_status.as_deref(),
    }
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

    /// `summary.json` keeps the shape it had as a `json!` value: names,
    /// not Debug output, and only the outcome's own detail fields.
    #[test]
    fn summary_json_shape() {
        let f = Finished {
            outcome: Outcome::Timeout {
                phase: Phase::Boot,
                limit: Duration::from_secs(5),
                tail: "tail".into(),
                partial: Stream::default(),
            },
            console: crate::vm::console::Scanner::new(),
            timings: crate::vm::launch::Timings {
                hello: None,
                done: None,
                total: Duration::from_millis(5100),
            },
            exit_status: None,
        };
        let e = evidence(&f.outcome);
        let j = judge::judge(&e);
        let choice = crate::vm::accel::Choice {
            accel: Accel::Tcg,
            reason: "asked".into(),
        };
        let v =
            serde_json::to_value(summary_json(&f, &e, &j, &choice, "bz", Firmware::Qboot)).unwrap();
        assert_eq!(v["outcome"], "timeout");
        assert_eq!(v["accel"], "tcg");
        assert_eq!(v["firmware"], "qboot");
        assert_eq!(v["exit_code"], 125);
        assert_eq!(
            v["detail"],
            serde_json::json!({"phase": Phase::Boot.to_string(), "limit_s": 5, "console_tail": "tail"})
        );
        assert_eq!(
            v["timings_ms"],
            serde_json::json!({"hello": null, "done": null, "total": 5100})
        );
        assert_eq!(v["guest_kernel"], serde_json::Value::Null);
    }
}
