//! What a run's [`Outcome`] means: the exit code (0 good, 1 bad, 125 cannot
//! test), the human table of case results, and `summary.json`.
//!
//! Pure functions of the outcome; `vm::run` prints and writes them. The
//! report stage may grow richer renderings (JUnit, Markdown) from the same
//! data.

use super::launch::{Finished, Outcome};
use crate::exit;
use daxkit_harness::protocol::{Mapping, Record, Stream};
use serde_json::json;

/// Why the run got the exit code it got, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub code: i32,
    pub why: String,
}

fn verdict(code: i32, why: impl Into<String>) -> Verdict {
    Verdict {
        code,
        why: why.into(),
    }
}

/// The exit code of a run, `git bisect run` style.
pub fn judge(outcome: &Outcome) -> Verdict {
    match outcome {
        Outcome::Interrupted => verdict(exit::INTERRUPTED, "interrupted"),
        Outcome::QemuFailed { status, .. } => {
            verdict(exit::SKIP, format!("QEMU failed ({status})"))
        }
        Outcome::Timeout { phase, limit, .. } => verdict(
            exit::SKIP,
            format!("timeout in {phase} ({} s)", limit.as_secs()),
        ),
        Outcome::ProtocolError { err, .. } => verdict(exit::SKIP, format!("result stream: {err}")),
        Outcome::Panic { what, partial, .. } => {
            // A kernel that cannot boot cannot be tested; one that dies
            // running a DAX workload is the bug being looked for.
            if partial.hello().is_none() {
                verdict(exit::SKIP, format!("kernel died during boot: {what}"))
            } else {
                verdict(exit::BAD, format!("kernel died during the cases: {what}"))
            }
        }
        Outcome::Completed(s) => judge_stream(s),
    }
}

fn judge_stream(s: &Stream) -> Verdict {
    let mismatched: Vec<String> = s
        .cases()
        .filter(|c| c.verdict != c.expected && c.verdict != Mapping::Unknown)
        .map(|c| {
            format!(
                "{}/{}: {} (expected {})",
                c.name, c.fs, c.verdict, c.expected
            )
        })
        .collect();
    let crashed: Vec<&str> = s.errors().filter_map(|(c, _)| c).collect();
    if !mismatched.is_empty() || !crashed.is_empty() {
        let mut why = Vec::new();
        if !mismatched.is_empty() {
            why.push(format!(
                "{} mismatched: {}",
                mismatched.len(),
                mismatched.join(", ")
            ));
        }
        if !crashed.is_empty() {
            why.push(format!("{} failed: {}", crashed.len(), crashed.join(", ")));
        }
        return verdict(exit::BAD, why.join("; "));
    }
    let setup_failed: Vec<&str> = s
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Setup {
                step, ok: false, ..
            } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    let setup_errors = s.errors().filter(|(c, _)| c.is_none()).count();
    let unknown = s.cases().filter(|c| c.verdict == Mapping::Unknown).count();
    let n = s.cases().count();
    if n == 0 {
        return verdict(exit::SKIP, "no case ran");
    }
    if !setup_failed.is_empty() || setup_errors > 0 || unknown > 0 {
        return verdict(
            exit::SKIP,
            format!(
                "{n} cases matched what could be told, but: {} setup steps failed {:?}, {setup_errors} setup errors, {unknown} cases without a verdict",
                setup_failed.len(),
                setup_failed
            ),
        );
    }
    verdict(exit::GOOD, format!("all {n} cases as expected"))
}

/// The case table, one row per case, columns padded.
pub fn table(s: &Stream) -> String {
    let mut rows = vec![["case", "fs", "expected", "verdict", "", "signals"].map(String::from)];
    for c in s.cases() {
        let mark = if c.verdict == c.expected {
            "ok"
        } else if c.verdict == Mapping::Unknown {
            "??"
        } else {
            "FAIL"
        };
        let signals: Vec<String> = c
            .signals
            .iter()
            .map(|g| {
                format!(
                    "{}={}",
                    g.name,
                    g.says.map(|m| m.to_string()).unwrap_or_else(|| "-".into())
                )
            })
            .collect();
        let mut sig = signals.join(" ");
        if c.disagreement {
            sig += " (signals disagree)";
        }
        rows.push([
            c.name.clone(),
            c.fs.clone(),
            c.expected.to_string(),
            c.verdict.to_string(),
            mark.to_owned(),
            sig,
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
    for (case, msg) in s.errors() {
        out += &format!("error ({}): {msg}\n", case.unwrap_or("setup"));
    }
    for r in &s.records {
        if let Record::Setup {
            step,
            ok: false,
            detail,
        } = r
        {
            out += &format!("setup failed: {step}: {detail}\n");
        }
    }
    out
}

/// Everything `summary.json` holds.
pub fn summary_json(
    f: &Finished,
    v: &Verdict,
    accel: &super::accel::Choice,
    kernel: &str,
    firmware: super::plan::Firmware,
) -> serde_json::Value {
    let stream = f.outcome.stream();
    let cases: Vec<serde_json::Value> = stream
        .map(|s| {
            s.cases()
                .map(|c| {
                    json!({
                        "name": c.name, "fs": c.fs,
                        "expected": c.expected, "verdict": c.verdict,
                        "disagreement": c.disagreement, "duration_ms": c.duration_ms,
                        "signals": c.signals,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let errors: Vec<serde_json::Value> = stream
        .map(|s| {
            s.errors()
                .map(|(c, m)| json!({"case": c, "message": m}))
                .collect()
        })
        .unwrap_or_default();
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
        "exit_code": v.code,
        "why": v.why,
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
        "cases": cases,
        "errors": errors,
        "console_warnings": f.console.warnings().map(|w| json!({"line": w.line, "text": w.text})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::launch::Phase;
    use daxkit_harness::protocol::{CaseResult, Signal, StreamError};
    use std::time::Duration;

    fn hello() -> Record {
        Record::Hello {
            protocol: 1,
            kernel: "6.12".into(),
            cmdline: "".into(),
            harness: "0".into(),
        }
    }

    fn case(name: &str, expected: Mapping, verdict: Mapping) -> Record {
        Record::Case(CaseResult {
            name: name.into(),
            fs: "xfs".into(),
            expected,
            verdict,
            signals: vec![Signal {
                name: "ptdump".into(),
                says: Some(verdict),
                evidence: String::new(),
            }],
            disagreement: false,
            duration_ms: 1,
        })
    }

    fn stream(records: Vec<Record>) -> Stream {
        Stream { records }
    }

    fn check(o: Outcome, code: i32, why_contains: &str) {
        let v = judge(&o);
        assert_eq!(v.code, code, "{v:?}");
        assert!(v.why.contains(why_contains), "{v:?}");
    }

    #[test]
    fn exit_codes() {
        use Mapping::*;
        check(
            Outcome::Completed(stream(vec![
                hello(),
                case("a", Pmd, Pmd),
                case("b", Pte, Pte),
            ])),
            0,
            "all 2",
        );
        check(
            Outcome::Completed(stream(vec![hello(), case("a", Pmd, Pte)])),
            1,
            "a/xfs: PTE (expected PMD)",
        );
        check(
            Outcome::Completed(stream(vec![
                hello(),
                case("a", Pmd, Pmd),
                Record::Error {
                    case: Some("b".into()),
                    message: "SIGBUS".into(),
                },
            ])),
            1,
            "1 failed: b",
        );
        check(
            Outcome::Completed(stream(vec![hello()])),
            125,
            "no case ran",
        );
        check(
            Outcome::Completed(stream(vec![hello(), case("a", Pmd, Unknown)])),
            125,
            "without a verdict",
        );
        check(
            Outcome::Completed(stream(vec![
                hello(),
                Record::Setup {
                    step: "mkfs.ext4".into(),
                    ok: false,
                    detail: "x".into(),
                },
                case("a", Pmd, Pmd),
            ])),
            125,
            "mkfs.ext4",
        );
        let p = |partial| Outcome::Panic {
            what: "Kernel panic".into(),
            tail: String::new(),
            partial,
        };
        check(p(stream(vec![])), 125, "during boot");
        check(p(stream(vec![hello()])), 1, "during the cases");
        check(
            Outcome::Timeout {
                phase: Phase::Boot,
                limit: Duration::from_secs(5),
                tail: String::new(),
                partial: Stream::default(),
            },
            125,
            "boot",
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
        let t = table(&stream(vec![
            hello(),
            case("aligned", Pmd, Pmd),
            case("unaligned", Pmd, Pte),
        ]));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("case"));
        assert!(
            lines[1].contains("aligned")
                && lines[1].contains(" ok ")
                && lines[1].ends_with("ptdump=PMD"),
            "{t}"
        );
        assert!(lines[2].contains("FAIL"), "{t}");
    }
}
