//! Where records go: protocol lines (the serial port, or stdout with
//! `--json`) or a human table (the CLI). The runner only sees [`Sink`].
//!
//! Every sink keeps a [`Tally`] so PID 1 and the CLI can decide the exit
//! status and the final `done` record from the same numbers.

use std::io::Write;

use crate::protocol::{Encoder, Record};

/// What the records said, for the CLI's exit status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub cases: u64,
    /// Cases whose verdict differs from the expectation.
    pub mismatches: u64,
    pub errors: u64,
}

impl Tally {
    pub fn add(&mut self, r: &Record) {
        match r {
            Record::Case(c) => {
                self.cases += 1;
                if c.verdict != c.expected {
                    self.mismatches += 1;
                }
            }
            Record::Error { .. } => self.errors += 1,
            _ => {}
        }
    }

    /// Everything ran and matched.
    pub fn good(&self) -> bool {
        self.mismatches == 0 && self.errors == 0
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
        Record::Case(c) => {
            let mark = if c.verdict == c.expected {
                "ok  "
            } else {
                "FAIL"
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
                c.expected.to_string(),
                c.verdict.to_string(),
                c.duration_ms,
                signals.join(" "),
                if c.disagreement {
                    "  (signals disagree)"
                } else {
                    ""
                }
            )
        }
        Record::Bench(b) => format!(
            "bench {:<34} {:<7} {} MiB {} faults {:.0} ns/fault {:.1} MiB/s",
            b.name,
            b.mapping.to_string(),
            b.mib,
            b.faults,
            b.ns_per_fault,
            b.mib_per_s
        ),
        Record::Error { case, message } => match case {
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
        let _ = writeln!(
            self.out,
            "{} cases, {} not as expected, {} errors",
            t.cases, t.mismatches, t.errors
        );
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
            signals: vec![],
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
            message: "m".into(),
        });
        s.finish();
        s.send(Record::Error {
            case: None,
            message: "after done: dropped".into(),
        });
        let t = s.tally();
        assert_eq!((t.cases, t.mismatches, t.errors), (2, 1, 1));
        assert!(!t.good());
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
