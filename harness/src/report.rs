//! Where records go: protocol lines (the serial port, or stdout with
//! `--json`) or a human table (the CLI). The runner only sees [`Sink`].
//!
//! Every sink keeps a [`Tally`] so PID 1 and the CLI can decide the exit
//! status and the final `done` record from the same numbers.

use std::io::Write;

use crate::protocol::{Encoder, Record};

/// How many records of each kind went out, for log lines. Verdicts and
/// exit codes are the judge's (`crate::judge`), never counted here.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub cases: u64,
    pub errors: u64,
}

impl Tally {
    pub fn add(&mut self, r: &Record) {
        match r {
            Record::Case(_) => self.cases += 1,
            Record::Error { .. } => self.errors += 1,
            _ => {}
        }
    }
}

/// Passes records on to another sink and keeps a copy, so the CLI can
/// hand the whole stream to the judge.
pub struct Recorder<'a> {
    pub inner: &'a mut dyn Sink,
    pub records: Vec<Record>,
}

impl Sink for Recorder<'_> {
    fn send(&mut self, r: Record) {
        self.records.push(r.clone());
        self.inner.send(r);
    }

    fn finish(&mut self) {
        self.inner.finish();
    }

    fn tally(&self) -> Tally {
        self.inner.tally()
    }
}

pub trait Sink {
    fn send(&mut self, r: Record);
    /// Closes the stream (the `done` record) and flushes it to the medium.
    fn finish(&mut self);
    fn tally(&self) -> Tally;
}

/// Protocol lines to any writer, flushed after every record so a crash
/// loses at most the record being written.
pub struct LineSink<W: Write> {
    enc: Encoder,
    out: W,
    tally: Tally,
    finished: bool,
}

impl<W: Write> LineSink<W> {
    pub fn new(out: W) -> Self {
        LineSink {
            enc: Encoder::new(),
            out,
            tally: Tally::default(),
            finished: false,
        }
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl<W: Write> Sink for LineSink<W> {
    fn send(&mut self, r: Record) {
        if self.finished {
            return;
        }
        self.tally.add(&r);
        let line = self.enc.encode(r);
        let _ = self.out.write_all(line.as_bytes());
        let _ = self.out.flush();
    }

    fn finish(&mut self) {
        if self.finished {
            return;
        }
        let line = self.enc.done();
        let _ = self.out.write_all(line.as_bytes());
        let _ = self.out.flush();
        self.finished = true;
    }

    fn tally(&self) -> Tally {
        self.tally
    }
}

/// A table for people, on stdout.
pub struct HumanSink<W: Write> {
    out: W,
    tally: Tally,
    header: bool,
}

impl<W: Write> HumanSink<W> {
    pub fn new(out: W) -> Self {
        HumanSink {
            out,
            tally: Tally::default(),
            header: false,
        }
    }
}

/// One table row for a record; `None` for records people need not see.
pub fn human_line(r: &Record) -> Option<String> {
    Some(match r {
        Record::Hello { kernel, .. } => format!("kernel {kernel}"),
        Record::Setup { step, ok, detail } => {
            format!(
                "{} {step}: {detail}",
                if *ok { "setup" } else { "SETUP FAILED" }
            )
        }
        Record::Plan(p) => format!(
            "plan: {} cases{}",
            p.cases.len(),
            if p.skipped.is_empty() {
                String::new()
            } else {
                format!(", {} skipped", p.skipped.len())
            }
        ),
        Record::Case(c) => {
            let j = crate::judge::judge_case(c, &Default::default(), &[]);
            let mark = match j.status {
                crate::judge::CaseStatus::Pass => "ok  ",
                s if s.class() == crate::judge::Class::CannotTest => "??  ",
                _ => "FAIL",
            };
            let signals: Vec<String> = c
                .signals
                .iter()
                .map(|s| match s.says {
                    Some(m) => format!("{}={m}", s.name),
                    None => format!("{}=?", s.name),
                })
                .collect();
            format!(
                "{mark} {:<36} {:<5} expected {:<7} got {:<7} {:>6} ms  {}{}",
                c.name,
                c.fs,
                j.expected.to_string(),
                j.verdict.to_string(),
                c.duration_ms,
                signals.join(" "),
                if j.status == crate::judge::CaseStatus::Disagree {
                    "  (signals disagree)"
                } else {
                    ""
                }
            )
        }
        Record::Bench(b) => format!(
            "bench {:<34} {:<7} {} MiB {} faults {:.0} ns/fault {:.1} MiB/s{}",
            b.name,
            b.mapping.to_string(),
            b.mib,
            b.faults,
            b.ns_per_fault,
            b.mib_per_s,
            match crate::judge::bench_verified(b) {
                Ok(()) => String::new(),
                Err(why) => format!("  (unverified: {why})"),
            }
        ),
        Record::Error { case, message, .. } => match case {
            Some(c) => format!("ERR  {c}: {message}"),
            None => format!("ERR  {message}"),
        },
        Record::Done { .. } => return None,
    })
}

impl<W: Write> Sink for HumanSink<W> {
    fn send(&mut self, r: Record) {
        self.tally.add(&r);
        if !self.header && matches!(r, Record::Case(_)) {
            let _ = writeln!(self.out, "{:-<100}", "");
            self.header = true;
        }
        if let Some(l) = human_line(&r) {
            let _ = writeln!(self.out, "{l}");
            let _ = self.out.flush();
        }
    }

    fn finish(&mut self) {
        let t = self.tally;
        let _ = writeln!(self.out, "{} cases, {} errors", t.cases, t.errors);
        let _ = self.out.flush();
    }

    fn tally(&self) -> Tally {
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CaseResult, Decoder, Mapping};

    fn case(expected: Mapping, verdict: Mapping) -> Record {
        Record::Case(CaseResult {
            name: "c".into(),
            fs: "xfs".into(),
            expected,
            verdict,
            signals: ["pagemap-scan", "ptdump"]
                .map(|n| crate::signals::signal(n, (Some(verdict), String::new())))
                .to_vec(),
            disagreement: false,
            duration_ms: 1,
        })
    }

    #[test]
    fn line_sink_writes_a_valid_stream_and_counts() {
        let mut s = LineSink::new(Vec::new());
        s.send(Record::Hello {
            protocol: 1,
            kernel: "k".into(),
            cmdline: "c".into(),
            harness: "h".into(),
        });
        s.send(case(Mapping::Pmd, Mapping::Pmd));
        s.send(case(Mapping::Pmd, Mapping::Pte));
        s.send(Record::Error {
            case: None,
            kind: Default::default(),
            message: "m".into(),
        });
        s.finish();
        s.send(Record::Error {
            case: None,
            kind: Default::default(),
            message: "after done: dropped".into(),
        });
        let t = s.tally();
        assert_eq!((t.cases, t.errors), (2, 1));
        let text = String::from_utf8(s.out).unwrap();
        let stream = Decoder::decode_all(&text).unwrap();
        assert_eq!(stream.records.len(), 5);
    }

    #[test]
    fn human_rows() {
        let l = human_line(&case(Mapping::Pmd, Mapping::Pte)).unwrap();
        assert!(l.starts_with("FAIL c "), "{l}");
        assert!(l.contains("expected PMD") && l.contains("got PTE"), "{l}");
        assert_eq!(
            human_line(&Record::Done {
                cases: 0,
                errors: 0,
                records: 0
            }),
            None
        );
    }
}
