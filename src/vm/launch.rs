//! Running QEMU: the kill-on-drop guard, live reading of the console and
//! result files, the watchdog, and the [`Outcome`] of a boot.
//!
//! QEMU is the one child not run through `exec::Cmd`: it is long-lived and
//! must die with daxkit on every path: Ctrl-C, error and panic through
//! [`QemuGuard`]'s kill on drop, and a SIGKILL of daxkit (nothing of
//! daxkit runs then) through the kernel's parent-death signal
//! ([`exec::die_with_daxkit`]). Nothing here decides
//! what the results mean; that is `summary`'s job.

use super::console::Scanner;
use crate::exec::{self, Cmd};
use crate::ui::{self, Milestone};
use daxkit_harness::judge;
use daxkit_harness::protocol::{Decoder, Record, Stream, StreamError};
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running QEMU, killed and reaped when dropped.
pub struct QemuGuard {
    child: Option<Child>,
}

impl QemuGuard {
    /// Starts `cmd` with stdin from /dev/null and stdout+stderr to `log`.
    pub fn spawn(cmd: &Cmd, log: &Path) -> anyhow::Result<QemuGuard> {
        use anyhow::Context;
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let mut c = Command::new(&cmd.program);
        // QEMU holds gigabytes of guest memory and a CPU: SIGKILL, since a
        // guest under TCG may take long to notice anything gentler.
        exec::die_with_daxkit(&mut c, libc::SIGKILL);
        let child = c
            .args(&cmd.args)
            .envs(cmd.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting `{}`", cmd.display()))?;
        Ok(QemuGuard { child: Some(child) })
    }

    /// Starts `cmd` on the terminal (for `daxkit shell`).
    pub fn spawn_interactive(cmd: &Cmd) -> anyhow::Result<QemuGuard> {
        use anyhow::Context;
        let mut c = Command::new(&cmd.program);
        exec::die_with_daxkit(&mut c, libc::SIGKILL);
        let child = c
            .args(&cmd.args)
            .spawn()
            .with_context(|| format!("starting `{}`", cmd.display()))?;
        Ok(QemuGuard { child: Some(child) })
    }

    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    pub fn wait(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.wait().ok())
    }

    pub fn kill(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for QemuGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            if let Ok(None) = c.try_wait() {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }
}

/// Reads the complete lines appended to a file since the last call.
#[derive(Debug)]
pub struct FileTail {
    path: PathBuf,
    pos: u64,
    partial: Vec<u8>,
}

impl FileTail {
    pub fn new(path: &Path) -> FileTail {
        FileTail {
            path: path.to_owned(),
            pos: 0,
            partial: Vec::new(),
        }
    }

    /// New complete lines; with `flush`, a last unterminated line too.
    pub fn lines(&mut self, flush: bool) -> Vec<String> {
        let mut buf = Vec::new();
        if let Ok(mut f) = File::open(&self.path) {
            if f.seek(SeekFrom::Start(self.pos)).is_ok() {
                if let Ok(n) = f.read_to_end(&mut buf) {
                    self.pos += n as u64;
                }
            }
        }
        self.partial.extend_from_slice(&buf);
        let mut out = Vec::new();
        while let Some(i) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            out.push(String::from_utf8_lossy(&line[..i]).into_owned());
        }
        if flush && !self.partial.is_empty() {
            out.push(String::from_utf8_lossy(&self.partial).into_owned());
            self.partial.clear();
        }
        out
    }
}

/// The three clocks of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watchdog {
    /// From QEMU's start to the hello record.
    pub boot: Duration,
    /// Longest time without a result record once the guest said hello.
    pub silence: Duration,
    /// The whole run.
    pub total: Duration,
    /// After `done`, how long the guest may take to power off.
    pub shutdown: Duration,
    /// After a fatal console finding, how long the kernel may take to
    /// finish printing and reboot (which ends QEMU) before we kill it.
    pub panic_grace: Duration,
}

impl Watchdog {
    /// Default [`Watchdog::boot`], seconds (`--boot-timeout`).
    pub const BOOT_S: u64 = 60;
    /// Default [`Watchdog::silence`], seconds (`--silence-timeout`).
    pub const SILENCE_S: u64 = 300;
    /// Default [`Watchdog::total`], seconds (`--timeout`).
    pub const TOTAL_S: u64 = 1800;
}

impl Default for Watchdog {
    fn default() -> Self {
        Watchdog {
            boot: Duration::from_secs(Watchdog::BOOT_S),
            silence: Duration::from_secs(Watchdog::SILENCE_S),
            total: Duration::from_secs(Watchdog::TOTAL_S),
            shutdown: Duration::from_secs(10),
            panic_grace: Duration::from_secs(3),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No hello record yet.
    Boot,
    /// Silence after the named record (`hello`, `case xfs-...`, ...).
    Silence { after: String },
    /// The whole-run limit.
    Run,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Boot => write!(f, "boot (no hello record)"),
            Phase::Silence { after } => write!(f, "silence after {after}"),
            Phase::Run => write!(f, "whole run"),
        }
    }
}

/// How a boot ended. Data, not an error: each maps to an exit code.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A complete, validated result stream.
    Completed(Stream),
    /// The kernel panicked (or oopsed/BUGed, which `oops=panic` makes a panic).
    Panic {
        what: String,
        tail: String,
        partial: Stream,
    },
    Timeout {
        phase: Phase,
        limit: Duration,
        tail: String,
        partial: Stream,
    },
    /// The result stream was garbled, out of order or truncated.
    ProtocolError {
        err: StreamError,
        tail: String,
        partial: Stream,
    },
    /// QEMU itself failed (bad arguments, missing file, crash) before the
    /// guest said anything.
    QemuFailed { status: String, log_tail: String },
    /// Ctrl-C.
    Interrupted,
}

impl Outcome {
    /// The judge's name for how the boot ended (its stable name is
    /// [`judge::Outcome::name`]).
    pub fn kind(&self) -> judge::Outcome {
        match self {
            Outcome::Completed(_) => judge::Outcome::Completed,
            Outcome::Panic { .. } => judge::Outcome::Panic,
            Outcome::Timeout { .. } => judge::Outcome::Timeout,
            Outcome::ProtocolError { .. } => judge::Outcome::ProtocolError,
            Outcome::QemuFailed { .. } => judge::Outcome::QemuFailed,
            Outcome::Interrupted => judge::Outcome::Interrupted,
        }
    }

    /// Records received, complete or not.
    pub fn stream(&self) -> Option<&Stream> {
        match self {
            Outcome::Completed(s) => Some(s),
            Outcome::Panic { partial, .. }
            | Outcome::Timeout { partial, .. }
            | Outcome::ProtocolError { partial, .. } => Some(partial),
            _ => None,
        }
    }
}

/// Files of one boot, all in the run folder.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub console: PathBuf,
    pub results: PathBuf,
    pub qemu_log: PathBuf,
}

/// When things happened, for the summary and the boot benchmark.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    pub hello: Option<Duration>,
    pub done: Option<Duration>,
    pub total: Duration,
}

/// Everything a finished boot left behind.
#[derive(Debug)]
pub struct Finished {
    pub outcome: Outcome,
    pub console: Scanner,
    pub timings: Timings,
    pub exit_status: Option<String>,
}

const POLL: Duration = Duration::from_millis(20);

/// Boots `cmd` and watches it until it ends one way or another.
pub fn run(cmd: &Cmd, files: &RunFiles, wd: &Watchdog) -> anyhow::Result<Finished> {
    // QEMU's file chardevs append to existing files: start empty.
    for f in [&files.console, &files.results] {
        File::create(f)?;
    }
    let start = Instant::now();
    let mut qemu = QemuGuard::spawn(cmd, &files.qemu_log)?;
    if let Some(pid) = qemu.id() {
        ui::boot(Milestone::QemuStarted { pid });
    }
    let mut kernel_output = false;
    let (mut cases, mut planned) = (0, 0);
    let mut console_tail = FileTail::new(&files.console);
    let mut results_tail = FileTail::new(&files.results);
    let mut scanner = Scanner::new();
    let mut decoder = Decoder::new();
    let mut timings = Timings::default();
    let mut last_record = (start, "boot".to_owned());
    let mut fatal_at: Option<Instant> = None;
    let mut early: Option<Outcome> = None;
    let mut status = None;

    loop {
        let exited = qemu.try_wait();
        // Read after try_wait: once QEMU is gone, this read sees everything.
        let flush = exited.is_some();
        for l in console_tail.lines(flush) {
            if !kernel_output {
                kernel_output = true;
                ui::boot(Milestone::KernelOutput);
            }
            scanner.push(&l);
        }
        if fatal_at.is_none() && scanner.fatal().is_some() {
            fatal_at = Some(Instant::now());
        }
        for l in results_tail.lines(flush) {
            match decoder.push_line(&l) {
                Ok(Some(rec)) => {
                    let now = Instant::now();
                    match rec {
                        Record::Hello { kernel, .. } => {
                            timings.hello = Some(now - start);
                            ui::boot(Milestone::Hello {
                                kernel: kernel.clone(),
                                after: now - start,
                            });
                        }
                        Record::Plan(p) => {
                            planned = p.cases.len();
                            ui::boot(Milestone::Plan { cases: planned });
                        }
                        Record::Case(c) => {
                            cases += 1;
                            ui::boot(Milestone::Case {
                                n: cases,
                                of: planned,
                                name: c.name.clone(),
                                fs: c.fs.clone(),
                            });
                        }
                        Record::Done { .. } => {
                            timings.done = Some(now - start);
                            ui::boot(Milestone::Done { after: now - start });
                        }
                        _ => {}
                    }
                    last_record = (now, describe(rec));
                }
                Ok(None) => {}
                Err(err) => {
                    early.get_or_insert(Outcome::ProtocolError {
                        err,
                        tail: String::new(),
                        partial: decoder.partial().clone(),
                    });
                }
            }
        }
        if let Some(s) = exited {
            status = Some(s);
            break;
        }
        if early.is_some() {
            break;
        }
        let now = Instant::now();
        if exec::interrupted() {
            early = Some(Outcome::Interrupted);
            break;
        }
        if let Some(t) = fatal_at {
            if now - t > wd.panic_grace {
                break;
            }
            std::thread::sleep(POLL);
            continue;
        }
        let timeout = |phase, limit| Outcome::Timeout {
            phase,
            limit,
            tail: String::new(),
            partial: decoder.partial().clone(),
        };
        if let Some(done) = timings.done {
            if now - start > done + wd.shutdown {
                // The results are complete; a guest that does not power
                // off is worth a warning, not a failed run.
                ui::warn("the guest did not power off after its done record; killed QEMU");
                break;
            }
        } else if timings.hello.is_none() && now - start > wd.boot {
            early = Some(timeout(Phase::Boot, wd.boot));
            break;
        } else if timings.hello.is_some() && now - last_record.0 > wd.silence {
            early = Some(timeout(
                Phase::Silence {
                    after: last_record.1.clone(),
                },
                wd.silence,
            ));
            break;
        } else if now - start > wd.total {
            early = Some(timeout(Phase::Run, wd.total));
            break;
        }
        std::thread::sleep(POLL);
    }
    qemu.kill();
    timings.total = start.elapsed();
    // Anything written between the last poll and the kill.
    for l in console_tail.lines(true) {
        scanner.push(&l);
    }
    let tail = scanner.tail();
    let outcome = if let Some(f) = scanner.fatal() {
        // A dying kernel explains everything after it (lost records, silence).
        Outcome::Panic {
            what: f.text.clone(),
            tail: tail.clone(),
            partial: decoder.partial().clone(),
        }
    } else if let Some(o) = early {
        match o {
            Outcome::Timeout {
                phase,
                limit,
                partial,
                ..
            } => Outcome::Timeout {
                phase,
                limit,
                tail: tail.clone(),
                partial,
            },
            Outcome::ProtocolError { err, partial, .. } => Outcome::ProtocolError {
                err,
                tail: tail.clone(),
                partial,
            },
            o => o,
        }
    } else if timings.hello.is_none() && !status.map(|s| s.success()).unwrap_or(true) {
        Outcome::QemuFailed {
            status: status.map(|s| s.to_string()).unwrap_or_default(),
            log_tail: exec::tail_of(
                &std::fs::read_to_string(&files.qemu_log).unwrap_or_default(),
                20,
            ),
        }
    } else {
        let partial = decoder.partial().clone();
        match decoder.finish() {
            Ok(stream) => Outcome::Completed(stream),
            Err(err) => Outcome::ProtocolError { err, tail, partial },
        }
    };
    ui::boot(Milestone::Ended {
        outcome: outcome.kind(),
        after: timings.total,
    });
    Ok(Finished {
        outcome,
        console: scanner,
        timings,
        exit_status: status.map(|s| s.to_string()),
    })
}

/// A record in a few words, for "silence after ..." messages.
fn describe(r: &Record) -> String {
    match r {
        Record::Hello { .. } => "hello".into(),
        Record::Plan(p) => format!("plan of {} cases", p.cases.len()),
        Record::Setup { step, .. } => format!("setup {step:?}"),
        Record::Case(c) => format!("case {} on {}", c.name, c.fs),
        Record::Bench(b) => format!("bench {}", b.name),
        Record::Error { case, .. } => format!("error in {}", case.as_deref().unwrap_or("setup")),
        Record::Done { .. } => "done".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daxkit_harness::protocol::Encoder;

    #[test]
    fn file_tail_returns_complete_lines_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let mut t = FileTail::new(&p);
        assert!(t.lines(false).is_empty()); // no file yet
        std::fs::write(&p, "one\ntw").unwrap();
        assert_eq!(t.lines(false), ["one"]);
        std::fs::write(&p, "one\ntwo\r\nthree").unwrap();
        assert_eq!(t.lines(false), ["two\r"]);
        assert_eq!(t.lines(true), ["three"]);
        assert!(t.lines(true).is_empty());
    }

    /// A fake QEMU (a shell script) drives the watchdog: each outcome comes
    /// from what it writes and how it exits.
    fn fake(script: &str, wd: Watchdog) -> Finished {
        let dir = tempfile::tempdir().unwrap();
        let files = RunFiles {
            console: dir.path().join("console.log"),
            results: dir.path().join("results.jsonl"),
            qemu_log: dir.path().join("qemu.log"),
        };
        let cmd = Cmd::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(&files.console)
            .arg(&files.results);
        run(&cmd, &files, &wd).unwrap()
    }

    fn stream_lines(n_cases: usize, done: bool) -> String {
        let mut e = Encoder::new();
        let mut s = e.encode(Record::Hello {
            protocol: 1,
            kernel: "6.12".into(),
            cmdline: "x".into(),
            harness: "0".into(),
        });
        for i in 0..n_cases {
            s += &e.encode(Record::Setup {
                step: format!("s{i}"),
                ok: true,
                detail: String::new(),
            });
        }
        if done {
            s += &e.done();
        }
        s
    }

    fn quick() -> Watchdog {
        Watchdog {
            boot: Duration::from_millis(800),
            silence: Duration::from_millis(800),
            total: Duration::from_secs(5),
            shutdown: Duration::from_millis(500),
            panic_grace: Duration::from_millis(300),
        }
    }

    #[test]
    fn complete_stream_completes() {
        let lines = stream_lines(2, true);
        let f = fake(
            &format!("printf '%s' '{lines}' > \"$2\"; echo booted >> \"$1\""),
            quick(),
        );
        assert!(
            matches!(f.outcome, Outcome::Completed(ref s) if s.records.len() == 4),
            "{:?}",
            f.outcome
        );
        assert!(f.timings.hello.is_some());
    }

    #[test]
    fn a_boot_reports_its_milestones() {
        let lines = stream_lines(1, true);
        let events = ui::record(|| {
            fake(
                &format!(
                    "echo 'Linux version' >> \"$1\"; sleep 0.2; printf '%s' '{lines}' > \"$2\""
                ),
                quick(),
            );
        });
        let ms: Vec<Milestone> = events
            .into_iter()
            .filter_map(|e| match e {
                ui::Event::Boot(m) => Some(m),
                _ => None,
            })
            .collect();
        assert!(matches!(ms[0], Milestone::QemuStarted { .. }), "{ms:?}");
        assert_eq!(ms[1], Milestone::KernelOutput, "{ms:?}");
        assert!(
            matches!(&ms[2], Milestone::Hello { kernel, .. } if kernel == "6.12"),
            "{ms:?}"
        );
        assert!(matches!(ms[3], Milestone::Done { .. }), "{ms:?}");
        assert!(
            matches!(
                &ms[4],
                Milestone::Ended {
                    outcome: judge::Outcome::Completed,
                    ..
                }
            ),
            "{ms:?}"
        );
        assert_eq!(ms.len(), 5);
    }

    #[test]
    fn silence_at_boot_is_a_boot_timeout() {
        let f = fake("echo 'Linux version' >> \"$1\"; exec sleep 30", quick());
        match f.outcome {
            Outcome::Timeout {
                phase: Phase::Boot,
                tail,
                ..
            } => assert!(tail.contains("Linux version")),
            o => panic!("{o:?}"),
        }
        assert!(
            f.timings.total < Duration::from_secs(3),
            "not killed promptly: {:?}",
            f.timings
        );
    }

    #[test]
    fn silence_after_hello_names_the_last_record() {
        let lines = stream_lines(1, false);
        let f = fake(
            &format!("printf '%s' '{lines}' > \"$2\"; exec sleep 30"),
            quick(),
        );
        match f.outcome {
            Outcome::Timeout {
                phase: Phase::Silence { after },
                partial,
                ..
            } => {
                assert_eq!(after, "setup \"s0\"");
                assert_eq!(partial.records.len(), 2);
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn panic_on_console_wins() {
        let lines = stream_lines(1, false);
        let f = fake(
            &format!(
                "printf '%s' '{lines}' > \"$2\"; printf '[    1.5] Kernel panic - not syncing: boom\\r\\n' >> \"$1\"; exec sleep 30"
            ),
            quick(),
        );
        match f.outcome {
            Outcome::Panic {
                what,
                tail,
                partial,
            } => {
                assert_eq!(what, "Kernel panic - not syncing: boom");
                assert!(tail.contains("boom"));
                assert_eq!(partial.records.len(), 2);
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn truncated_stream_is_a_protocol_error() {
        let lines = stream_lines(1, false);
        let f = fake(&format!("printf '%s' '{lines}' > \"$2\""), quick());
        assert!(
            matches!(
                f.outcome,
                Outcome::ProtocolError {
                    err: StreamError::Truncated { records: 2 },
                    ..
                }
            ),
            "{:?}",
            f.outcome
        );
    }

    #[test]
    fn garbled_record_stops_the_run() {
        let f = fake(
            "printf '@daxkit {\"v\":1,\"seq\":0,\"type\":\"hel\\n' > \"$2\"; exec sleep 30",
            quick(),
        );
        assert!(
            matches!(
                f.outcome,
                Outcome::ProtocolError {
                    err: StreamError::Garbled { .. },
                    ..
                }
            ),
            "{:?}",
            f.outcome
        );
        assert!(f.timings.total < Duration::from_secs(3));
    }

    #[test]
    fn qemu_failing_at_start_is_qemu_failed() {
        let f = fake("echo 'qemu: could not load kernel' >&2; exit 1", quick());
        match f.outcome {
            Outcome::QemuFailed { status, log_tail } => {
                assert!(status.contains('1'));
                assert!(log_tail.contains("could not load kernel"));
            }
            o => panic!("{o:?}"),
        }
    }

    /// Alive and not a zombie.
    fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            let state = s.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        })
    }

    fn read_pid(p: &Path) -> Option<i32> {
        std::fs::read_to_string(p).ok()?.trim().parse().ok()
    }

    /// With `DAXKIT_TEST_PDEATHSIG_DIR` set, plays daxkit for
    /// [`children_die_when_daxkit_is_killed`]: starts a QEMU stand-in
    /// through [`QemuGuard`] and a make stand-in through `Cmd`, each
    /// writing its pid, then waits to be killed. Otherwise does nothing.
    #[test]
    fn pdeathsig_parent() {
        let Some(dir) = std::env::var_os("DAXKIT_TEST_PDEATHSIG_DIR") else {
            return;
        };
        let dir = PathBuf::from(dir);
        let script =
            |name: &str| format!("echo $$ > '{}'; exec sleep 60", dir.join(name).display());
        let _qemu = QemuGuard::spawn(
            &Cmd::new("sh").arg("-c").arg(script("qemu.pid")),
            &dir.join("qemu.log"),
        )
        .unwrap();
        let _ = Cmd::new("sh")
            .arg("-c")
            .arg(script("make.pid"))
            .die_with_daxkit(libc::SIGTERM)
            .run_logged(&dir.join("make.log"), |_| {});
    }

    /// A SIGKILL of daxkit leaves neither QEMU nor make behind: nothing of
    /// daxkit runs then, only the kernel's parent-death signal.
    #[test]
    fn children_die_when_daxkit_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let mut parent = Command::new(std::env::current_exe().unwrap())
            .args([
                "vm::launch::tests::pdeathsig_parent",
                "--exact",
                "--nocapture",
            ])
            .env("DAXKIT_TEST_PDEATHSIG_DIR", dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let files = [dir.path().join("qemu.pid"), dir.path().join("make.pid")];
        let start = Instant::now();
        let pids: Vec<i32> = loop {
            let pids: Vec<i32> = files.iter().filter_map(|f| read_pid(f)).collect();
            if pids.len() == files.len() {
                break pids;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "children never started"
            );
            std::thread::sleep(POLL);
        };
        assert!(pids.iter().all(|&p| alive(p)));
        parent.kill().unwrap(); // SIGKILL
        parent.wait().unwrap();
        let start = Instant::now();
        while pids.iter().any(|&p| alive(p)) && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(POLL);
        }
        for p in pids {
            assert!(!alive(p), "pid {p} outlived its killed parent");
        }
    }

    #[test]
    fn guard_kills_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let g = QemuGuard::spawn(&Cmd::new("sleep").arg("30"), &dir.path().join("log")).unwrap();
        let pid = g.child.as_ref().unwrap().id();
        drop(g);
        // Reaped and gone: /proc/<pid> no longer exists.
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }
}
