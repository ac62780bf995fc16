//! The guest→host result protocol: one JSON object per line.
//!
//! Every line is an [`Envelope`] carrying the protocol version, a sequence
//! number starting at 0, and one [`Record`]. The first record is
//! [`Record::Hello`], the last [`Record::Done`] with the counts of what came
//! before it. [`Decoder`] checks all of that, so a truncated, reordered or
//! garbled stream is an error and can never be mistaken for a pass.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Bumped on every incompatible change of [`Record`].
pub const PROTOCOL_VERSION: u32 = 2;

/// Prefix of every protocol line, so the host can tell them apart from any
/// stray bytes on the port (firmware noise, a kernel message on the wrong
/// console) without guessing.
pub const LINE_PREFIX: &str = "@daxkit ";

/// Prefix of the guest's diagnostics in the kernel log (`kmsg`), which
/// the console (ttyS0) shows as `[    3.123456] daxkit: ...`.
pub const KMSG_PREFIX: &str = "daxkit: ";

/// Case boundaries on the kernel console, so the host can attribute a
/// kernel splat (WARNING, lockdep, ...) to the case running when it fired.
/// The guest logs [`CaseMark::message`] to /dev/kmsg (which adds
/// [`KMSG_PREFIX`]) before and after each case; the host reads them back
/// with [`CaseMark::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseMark<'a> {
    /// `daxkit: case start <fs>/<name>`
    Start(&'a str),
    /// `daxkit: case end <fs>/<name>`
    End(&'a str),
}

impl<'a> CaseMark<'a> {
    const START: &'static str = "case start ";
    const END: &'static str = "case end ";

    /// The message to log (without [`KMSG_PREFIX`]); the key is `fs/name`,
    /// as the judge names cases.
    pub fn message(&self) -> String {
        match self {
            CaseMark::Start(key) => format!("{}{key}", Self::START),
            CaseMark::End(key) => format!("{}{key}", Self::END),
        }
    }

    /// A console line (with or without the printk timestamp) that is a
    /// case marker, exactly as the guest writes it; anything else is `None`.
    pub fn parse(line: &'a str) -> Option<CaseMark<'a>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let rest = match line.strip_prefix('[') {
            Some(r) => r.split_once("] ")?.1,
            None => line,
        };
        let rest = rest.strip_prefix(KMSG_PREFIX)?;
        let key = |s: &'a str| (!s.is_empty() && !s.contains(' ')).then_some(s);
        if let Some(k) = rest.strip_prefix(Self::START) {
            return key(k).map(CaseMark::Start);
        }
        key(rest.strip_prefix(Self::END)?).map(CaseMark::End)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    pub seq: u64,
    #[serde(flatten)]
    pub record: Record,
}

/// How the kernel mapped a range, or what a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mapping {
    /// 2 MiB PMD entries over the whole range.
    Pmd,
    /// 4 KiB PTEs over the whole range.
    Pte,
    /// Some of each.
    Mixed,
    /// The mapping is not DAX at all (page cache).
    NotDax,
    /// No signal could tell.
    Unknown,
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mapping::Pmd => "PMD",
            Mapping::Pte => "PTE",
            Mapping::Mixed => "mixed",
            Mapping::NotDax => "not-DAX",
            Mapping::Unknown => "unknown",
        })
    }
}

/// One independent PMD/PTE signal for one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// `smaps`, `pagemap-scan`, `ptdump`, `trace`, `vmstat`, `statx-dax`.
    pub name: String,
    /// What this signal says; `None` when it cannot tell (absent, no data).
    pub says: Option<Mapping>,
    /// The raw evidence, short enough to print in a report.
    pub evidence: String,
    /// Why it says nothing, when it does not; see [`Signal::state`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SignalState>,
}

/// Whether a signal could be read, and whether it could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalState {
    /// Read, and it says a mapping.
    Told,
    /// Read, but its data does not decide (no counter moved, no event).
    CannotTell,
    /// This kernel does not have it (no ioctl, no debugfs file).
    Absent,
    /// The kernel has it, but reading it failed at run time.
    Failed,
}

impl Signal {
    /// The signal's state; records without one (older guests) are read
    /// from the evidence prefix the probe has always written.
    pub fn state(&self) -> SignalState {
        if let Some(s) = self.state {
            return s;
        }
        match self.says {
            Some(_) => SignalState::Told,
            None if self.evidence.starts_with("unavailable:") => SignalState::Failed,
            None if self.evidence.starts_with("absent:") => SignalState::Absent,
            None => SignalState::CannotTell,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub name: String,
    /// Filesystem the case ran on (`xfs`, `ext4`, ...).
    pub fs: String,
    pub expected: Mapping,
    /// Combined verdict of the signals that could tell.
    pub verdict: Mapping,
    pub signals: Vec<Signal>,
    /// Signals that could tell but disagree with each other.
    pub disagreement: bool,
    pub duration_ms: u64,
}

/// The fault benchmark's run over a PMD-eligible mapping (aligned address
/// and file offset): meant to get 2 MiB PMDs.
pub const BENCH_PMD_ELIGIBLE: &str = "pmd-eligible";
/// The fault benchmark's run over a PTE-forced mapping (file offset off the
/// address colour): meant to get 4 KiB PTEs.
pub const BENCH_PTE_FORCED: &str = "pte-forced";

/// One fault-benchmark run. Its numbers count only when its page-table
/// readers confirm the mapping it was meant to get
/// (`judge::bench_verified`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// [`BENCH_PMD_ELIGIBLE`] or [`BENCH_PTE_FORCED`].
    pub name: String,
    /// The guest's judgement of [`BenchResult::signals`] (older guests:
    /// what PAGEMAP_SCAN alone saw); the host judges the signals again.
    pub mapping: Mapping,
    pub mib: u64,
    pub faults: u64,
    pub ns_per_fault: f64,
    pub mib_per_s: f64,
    /// Both page-table readers (PAGEMAP_SCAN and ptdump) over the range,
    /// read after the faults. Empty in records of older guests, whose runs
    /// are therefore unverified.
    #[serde(default)]
    pub signals: Vec<Signal>,
}

impl BenchResult {
    /// The mapping the run was meant to get, from its name; `None` for a
    /// name this daxkit does not know.
    pub fn intended(&self) -> Option<Mapping> {
        match self.name.as_str() {
            BENCH_PMD_ELIGIBLE => Some(Mapping::Pmd),
            BENCH_PTE_FORCED => Some(Mapping::Pte),
            _ => None,
        }
    }

    /// Whether the judge confirms, from the signals, that the run got the
    /// mapping it intended; see `judge::bench_verified` for why not.
    pub fn verified(&self) -> bool {
        crate::judge::bench_verified(self).is_ok()
    }
}

/// Where the run plan lives in the guest: daxkit appends a small cpio
/// archive holding it to the cached initramfs, so the image itself never
/// changes between runs.
pub const PLAN_PATH: &str = "/daxkit/plan.json";

/// How the guest gets its persistent memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PmemMode {
    /// ACPI NFIT NVDIMMs; the raw namespace is turned into fsdax.
    #[default]
    Nvdimm,
    /// Legacy `memmap=SIZE!OFFSET` e820 pmem, DAX-capable as is.
    Memmap,
}

/// A deliberate fault, for testing daxkit's own watchdog and crash handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Panic the kernel through /proc/sysrq-trigger.
    KernelPanic,
    /// Stop sending anything and never power off.
    Hang,
    /// Panic inside a case process (must become an error record).
    CasePanic,
    /// Test hook (harness built with `--features test-hooks`): the first
    /// case's trace signal contradicts its page-table readers.
    Disagree,
    /// Test hook: a WARNING line on the console during the first case.
    Splat,
    /// Test hook: the first case's result is not sent.
    DropResult,
}

impl Fault {
    /// Faults that only a harness built with the `test-hooks` feature
    /// carries out (daxkit builds that harness for them).
    pub fn needs_test_hooks(self) -> bool {
        matches!(self, Fault::Disagree | Fault::Splat | Fault::DropResult)
    }
}

/// One case the guest will run, on one filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    pub name: String,
    pub fs: String,
    /// What a stock kernel does.
    pub expected: Mapping,
}

/// One case the plan leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub name: String,
    pub fs: String,
    pub expected: Mapping,
    pub reason: String,
}

/// What the guest is about to run, sent before any case: the host checks
/// that every planned case comes back exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    pub cases: Vec<Planned>,
    pub skipped: Vec<Skipped>,
}

/// What an error record says about its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The case ran and failed: an error, a crash, a timeout.
    #[default]
    Crashed,
    /// The case could not run: its environment (pmem, mkfs, mount) failed.
    NotRun,
}

/// What the host asks the guest to do, written to [`PLAN_PATH`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunPlan {
    /// Case names to run; empty means all.
    pub cases: Vec<String>,
    /// Filesystems to make and mount with `-o dax`; empty means xfs and ext4.
    pub filesystems: Vec<String>,
    pub pmem: PmemMode,
    /// Fault benchmark size in MiB; `None` skips the benchmark.
    pub bench_mib: Option<u64>,
    pub fault: Option<Fault>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Record {
    Hello {
        protocol: u32,
        /// `uname -r` of the guest kernel.
        kernel: String,
        cmdline: String,
        harness: String,
    },
    /// The cases about to run; right after hello.
    Plan(Plan),
    /// One step of bringing the guest up (mounts, namespace, mkfs, mount -o dax).
    Setup {
        step: String,
        ok: bool,
        detail: String,
    },
    Case(CaseResult),
    Bench(BenchResult),
    /// Something failed outside a verdict: a case that crashed, a missing
    /// kernel option, a namespace that would not become fsdax.
    Error {
        case: Option<String>,
        #[serde(default)]
        kind: ErrorKind,
        message: String,
    },
    /// Always last: the counts let the host detect lost lines.
    Done {
        cases: u64,
        errors: u64,
        records: u64,
    },
}

impl Envelope {
    pub fn to_line(&self) -> String {
        // Serializing these plain types cannot fail.
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{LINE_PREFIX}{json}\n")
    }
}

/// Builds envelopes with consecutive sequence numbers and keeps the counts
/// that go into the final [`Record::Done`].
#[derive(Debug, Default)]
pub struct Encoder {
    seq: u64,
    cases: u64,
    errors: u64,
}

impl Encoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn encode(&mut self, record: Record) -> String {
        match &record {
            Record::Case(_) => self.cases += 1,
            Record::Error { .. } => self.errors += 1,
            _ => {}
        }
        let env = Envelope {
            v: PROTOCOL_VERSION,
            seq: self.seq,
            record,
        };
        self.seq += 1;
        env.to_line()
    }

    /// The closing record; counts every record sent before it.
    pub fn done(&mut self) -> String {
        let rec = Record::Done {
            cases: self.cases,
            errors: self.errors,
            records: self.seq,
        };
        self.encode(rec)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// A line with the protocol prefix that is not a valid envelope.
    Garbled {
        line: usize,
        reason: String,
    },
    Version {
        line: usize,
        got: u32,
    },
    /// Sequence numbers must go 0, 1, 2, ...
    Sequence {
        line: usize,
        expected: u64,
        got: u64,
    },
    /// The first record was not `hello`.
    NoHello,
    /// The stream ended without a `done` record.
    Truncated {
        records: u64,
    },
    /// `done` counts do not match what was received.
    CountMismatch {
        what: &'static str,
        said: u64,
        got: u64,
    },
    /// Records after `done`.
    TrailingRecords {
        line: usize,
    },
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Garbled { line, reason } => {
                write!(f, "garbled result record on line {line}: {reason}")
            }
            StreamError::Version { line, got } => write!(
                f,
                "line {line}: protocol version {got}, this daxkit speaks {PROTOCOL_VERSION}"
            ),
            StreamError::Sequence {
                line,
                expected,
                got,
            } => write!(
                f,
                "line {line}: sequence number {got}, expected {expected} (records lost or reordered)"
            ),
            StreamError::NoHello => write!(f, "result stream does not start with a hello record"),
            StreamError::Truncated { records } => write!(
                f,
                "result stream truncated after {records} records (no done record)"
            ),
            StreamError::CountMismatch { what, said, got } => write!(
                f,
                "done record says {said} {what}, but {got} were received"
            ),
            StreamError::TrailingRecords { line } => {
                write!(f, "line {line}: records after the done record")
            }
        }
    }
}

impl std::error::Error for StreamError {}

/// A complete, validated result stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    pub records: Vec<Record>,
}

impl Stream {
    pub fn hello(&self) -> Option<(&str, &str)> {
        self.records.iter().find_map(|r| match r {
            Record::Hello {
                kernel, cmdline, ..
            } => Some((kernel.as_str(), cmdline.as_str())),
            _ => None,
        })
    }

    pub fn cases(&self) -> impl Iterator<Item = &CaseResult> {
        self.records.iter().filter_map(|r| match r {
            Record::Case(c) => Some(c),
            _ => None,
        })
    }

    pub fn errors(&self) -> impl Iterator<Item = (Option<&str>, &str)> {
        self.records.iter().filter_map(|r| match r {
            Record::Error { case, message, .. } => Some((case.as_deref(), message.as_str())),
            _ => None,
        })
    }

    pub fn plan(&self) -> Option<&Plan> {
        self.records.iter().find_map(|r| match r {
            Record::Plan(p) => Some(p),
            _ => None,
        })
    }

    /// Error records as the judge reads them.
    pub fn guest_errors(&self) -> Vec<crate::judge::GuestError> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Error {
                    case,
                    kind,
                    message,
                } => Some(crate::judge::GuestError {
                    case: case.clone(),
                    kind: *kind,
                    message: message.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// `step: detail` of every setup step that failed.
    pub fn setup_failed(&self) -> Vec<String> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Setup {
                    step,
                    ok: false,
                    detail,
                } => Some(format!("{step}: {detail}")),
                _ => None,
            })
            .collect()
    }
}

/// Validates a result stream line by line. Lines without [`LINE_PREFIX`]
/// are ignored (they are not ours); every line with it must be valid.
#[derive(Debug, Default)]
pub struct Decoder {
    line: usize,
    next_seq: u64,
    cases: u64,
    errors: u64,
    done: bool,
    stream: Stream,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line (with or without its newline). Returns the record it
    /// carried, if any.
    pub fn push_line(&mut self, raw: &str) -> Result<Option<&Record>, StreamError> {
        self.line += 1;
        let line = self.line;
        let raw = raw.trim_end_matches(['\r', '\n']);
        let Some(pos) = raw.find(LINE_PREFIX) else {
            return Ok(None);
        };
        let json = &raw[pos + LINE_PREFIX.len()..];
        if self.done {
            return Err(StreamError::TrailingRecords { line });
        }
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| StreamError::Garbled {
                line,
                reason: e.to_string(),
            })?;
        // Check the version before the shape, so a newer guest is reported
        // as such rather than as garbage.
        let v = value.get("v").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if v != PROTOCOL_VERSION {
            return Err(StreamError::Version { line, got: v });
        }
        let env: Envelope = serde_json::from_value(value).map_err(|e| StreamError::Garbled {
            line,
            reason: e.to_string(),
        })?;
        if env.seq != self.next_seq {
            return Err(StreamError::Sequence {
                line,
                expected: self.next_seq,
                got: env.seq,
            });
        }
        if env.seq == 0 && !matches!(env.record, Record::Hello { .. }) {
            return Err(StreamError::NoHello);
        }
        match &env.record {
            Record::Case(_) => self.cases += 1,
            Record::Error { .. } => self.errors += 1,
            Record::Done {
                cases,
                errors,
                records,
            } => {
                for (what, said, got) in [
                    ("records", *records, self.next_seq),
                    ("cases", *cases, self.cases),
                    ("errors", *errors, self.errors),
                ] {
                    if said != got {
                        return Err(StreamError::CountMismatch { what, said, got });
                    }
                }
                self.done = true;
            }
            _ => {}
        }
        self.next_seq += 1;
        self.stream.records.push(env.record);
        Ok(self.stream.records.last())
    }

    /// Records received so far, complete or not (for reports on failure).
    pub fn partial(&self) -> &Stream {
        &self.stream
    }

    /// Ends the stream: it must have been closed by a `done` record.
    pub fn finish(self) -> Result<Stream, StreamError> {
        if !self.done {
            return Err(StreamError::Truncated {
                records: self.next_seq,
            });
        }
        Ok(self.stream)
    }

    pub fn decode_all(text: &str) -> Result<Stream, StreamError> {
        let mut d = Decoder::new();
        for l in text.lines() {
            d.push_line(l)?;
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_marks_round_trip_through_the_console() {
        for m in [
            CaseMark::Start("xfs/write-2m"),
            CaseMark::End("ext4/read-hole"),
        ] {
            let console = format!("[    3.123456] {KMSG_PREFIX}{}\r", m.message());
            assert_eq!(CaseMark::parse(&console), Some(m));
            // Before /dev/kmsg is open, the guest writes to the console itself.
            assert_eq!(
                CaseMark::parse(&format!("{KMSG_PREFIX}{}", m.message())),
                Some(m)
            );
        }
        for not in [
            "[    3.1] daxkit: case write-2m on xfs: expected PMD got PMD (3 ms)",
            "[    3.1] daxkit: case start ",
            "[    3.1] daxkit: case start xfs/a b",
            "[    3.1] other: daxkit: case start xfs/a",
            "case start xfs/a",
        ] {
            assert_eq!(CaseMark::parse(not), None, "{not}");
        }
    }

    fn sample() -> String {
        let mut e = Encoder::new();
        let mut s = String::new();
        s += &e.encode(Record::Hello {
            protocol: PROTOCOL_VERSION,
            kernel: "6.12.117".into(),
            cmdline: "console=ttyS0".into(),
            harness: "0.1.0".into(),
        });
        s += &e.encode(Record::Case(CaseResult {
            name: "xfs-aligned-shared-write".into(),
            fs: "xfs".into(),
            expected: Mapping::Pmd,
            verdict: Mapping::Pmd,
            signals: vec![Signal {
                name: "ptdump".into(),
                says: Some(Mapping::Pmd),
                evidence: "0x7f..-0x7f.. 2M RW PSE pmd".into(),
                state: None,
            }],
            disagreement: false,
            duration_ms: 12,
        }));
        s += &e.encode(Record::Error {
            case: Some("x".into()),
            kind: ErrorKind::Crashed,
            message: "boom".into(),
        });
        s += &e.done();
        s
    }

    #[test]
    fn round_trip() {
        let s = Decoder::decode_all(&sample()).unwrap();
        assert_eq!(s.records.len(), 4);
        assert_eq!(s.cases().count(), 1);
        assert_eq!(s.errors().count(), 1);
        assert_eq!(s.hello().unwrap().0, "6.12.117");
    }

    #[test]
    fn foreign_lines_are_ignored() {
        let text = format!("[    1.0] random kernel noise\n{}", sample());
        assert!(Decoder::decode_all(&text).is_ok());
    }

    #[test]
    fn truncated_stream_is_an_error() {
        let text = sample();
        let cut: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
        assert_eq!(
            Decoder::decode_all(&cut),
            Err(StreamError::Truncated { records: 3 })
        );
    }

    #[test]
    fn empty_stream_is_truncated() {
        assert_eq!(
            Decoder::decode_all(""),
            Err(StreamError::Truncated { records: 0 })
        );
    }

    #[test]
    fn dropped_line_is_a_sequence_error() {
        let text = sample();
        let lines: Vec<&str> = text.lines().collect();
        let joined = [lines[0], lines[2], lines[3]].join("\n");
        assert!(matches!(
            Decoder::decode_all(&joined),
            Err(StreamError::Sequence {
                expected: 1,
                got: 2,
                ..
            })
        ));
    }

    #[test]
    fn garbled_line_is_an_error() {
        let text = sample().replacen("\"verdict\":\"pmd\"", "\"verdict\":\"pm", 1);
        assert!(matches!(
            Decoder::decode_all(&text),
            Err(StreamError::Garbled { line: 2, .. })
        ));
    }

    #[test]
    fn wrong_version_is_reported() {
        let text = sample().replacen(&format!("{{\"v\":{PROTOCOL_VERSION},"), "{\"v\":9,", 1);
        assert_eq!(
            Decoder::decode_all(&text),
            Err(StreamError::Version { line: 1, got: 9 })
        );
    }

    #[test]
    fn forged_done_counts_are_caught() {
        let text = sample().replace("\"cases\":1", "\"cases\":2");
        assert!(matches!(
            Decoder::decode_all(&text),
            Err(StreamError::CountMismatch { what: "cases", .. })
        ));
    }

    #[test]
    fn records_after_done_are_an_error() {
        let mut text = sample();
        let first = text.lines().next().unwrap().to_owned();
        text.push_str(&first);
        assert!(matches!(
            Decoder::decode_all(&text),
            Err(StreamError::TrailingRecords { .. })
        ));
    }
}
