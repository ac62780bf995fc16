//! Collecting every signal around one access, inside the case's process.
//!
//! [`Probe::start`] snapshots /proc/vmstat and starts a trace session for
//! this pid; the case then touches its range; [`Probe::finish`] reads the
//! rest (smaps, PAGEMAP_SCAN, ptdump, statx) and judges each signal on
//! the range. With `DAXKIT_CAPTURE_DIR` set, every raw input is also saved
//! as `<dir>/<case>.<signal>.txt`, which is how tests/fixtures/ was made.

use super::{
    judge_statx, pagemap_scan, ptdump, signal, silent, smaps, trace, vmstat, SignalState,
    PAGEMAP_SCAN, PTDUMP, SMAPS, STATX, TRACE, VMSTAT,
};
use crate::protocol::Signal;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub const PTDUMP_PATH: &str = "/sys/kernel/debug/page_tables/current_kernel";
pub const CAPTURE_ENV: &str = "DAXKIT_CAPTURE_DIR";

/// Signals being collected for `[start, end)` of this process.
pub struct Probe {
    case: String,
    start: u64,
    end: u64,
    vmstat_before: Result<BTreeMap<String, u64>, String>,
    trace: Result<trace::Session, String>,
    capture: Option<PathBuf>,
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}"))
}

/// The kernel has the signal but reading it failed: never dropped
/// silently, the judge makes the case "cannot test".
fn unavailable(name: &str, why: String) -> Signal {
    silent(name, SignalState::Failed, format!("unavailable: {why}"))
}

/// This kernel does not have the signal at all.
fn absent(name: &str, why: String) -> Signal {
    silent(name, SignalState::Absent, format!("absent: {why}"))
}

impl Probe {
    pub fn start(case: &str, start: u64, end: u64) -> Probe {
        let capture = std::env::var_os(CAPTURE_ENV).map(PathBuf::from);
        let before = read("/proc/vmstat");
        let trace = trace::Session::start(std::process::id());
        let probe = Probe {
            case: case.to_owned(),
            start,
            end,
            vmstat_before: before.as_deref().map(vmstat::parse).map_err(Clone::clone),
            trace,
            capture,
        };
        if let Ok(t) = &before {
            probe.save("vmstat-before", t);
        }
        probe
    }

    fn save(&self, signal: &str, text: &str) {
        if let Some(dir) = &self.capture {
            let _ = std::fs::write(dir.join(format!("{}.{signal}.txt", self.case)), text);
        }
    }

    /// Saves the range judged, so a capture can be replayed by the tests.
    fn save_range(&self) {
        self.save("range", &format!("{:x}-{:x}\n", self.start, self.end));
    }

    /// Reads every signal; `file` is the mapped file (for statx).
    pub fn finish(self, file: &Path) -> Vec<Signal> {
        let (s, e) = (self.start, self.end);
        self.save_range();
        let mut out = Vec::new();

        // Trace first: stop recording before reading anything else.
        out.push(match &self.trace {
            Ok(_) => match self.trace_text() {
                Ok(t) => {
                    self.save(TRACE, &t);
                    signal(TRACE, trace::judge(&trace::parse(&t), s, e))
                }
                Err(why) => unavailable(TRACE, why),
            },
            Err(why) if why.starts_with(trace::NOT_MOUNTED) => absent(TRACE, why.clone()),
            Err(why) => unavailable(TRACE, why.clone()),
        });

        out.push(match (&self.vmstat_before, read("/proc/vmstat")) {
            (Ok(before), Ok(t)) => {
                self.save(VMSTAT, &t);
                signal(VMSTAT, vmstat::judge(before, &vmstat::parse(&t)))
            }
            (Err(why), _) => unavailable(VMSTAT, why.clone()),
            (_, Err(why)) => unavailable(VMSTAT, why),
        });

        out.push(match read("/proc/self/smaps") {
            Ok(t) => {
                self.save(SMAPS, &t);
                signal(SMAPS, smaps::judge(&smaps::parse(&t), s))
            }
            Err(why) => unavailable(SMAPS, why),
        });

        out.extend(read_page_tables(s, e, |name, raw| self.save(name, raw)));

        out.push(match statx_attributes(file) {
            Ok((attrs, mask)) => signal(STATX, judge_statx(attrs, mask)),
            Err(why) => unavailable(STATX, why),
        });
        out
    }

    fn trace_text(&self) -> Result<String, String> {
        match &self.trace {
            Ok(session) => session.read(),
            Err(why) => Err(why.clone()),
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        if let Ok(session) = &self.trace {
            session.stop();
        }
    }
}

/// Both page-table readers (PAGEMAP_SCAN, then ptdump) over `[start, end)`
/// of the calling process, each judged on the range; `save` gets each
/// reader's raw text. The cases read them in [`Probe::finish`], the fault
/// benchmark after its faults, so both are judged by the same code.
pub fn read_page_tables(start: u64, end: u64, save: impl Fn(&str, &str)) -> [Signal; 2] {
    let (s, e) = (start, end);
    let scan = match pagemap_scan::scan(s, e) {
        Ok(r) => {
            save(PAGEMAP_SCAN, &pagemap_scan::render(&r));
            signal(PAGEMAP_SCAN, pagemap_scan::judge(&r, s, e))
        }
        Err(pagemap_scan::ScanError::Absent(why)) => absent(PAGEMAP_SCAN, why),
        Err(pagemap_scan::ScanError::Failed(why)) => unavailable(PAGEMAP_SCAN, why),
    };
    let dump = match std::fs::read_to_string(PTDUMP_PATH) {
        Ok(t) => {
            save(PTDUMP, &t);
            signal(PTDUMP, ptdump::judge(&ptdump::parse(&t), s, e))
        }
        // debugfs is mounted by PID 1; no file means no PTDUMP_DEBUGFS.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            absent(PTDUMP, format!("{PTDUMP_PATH}: {err}"))
        }
        Err(err) => unavailable(PTDUMP, format!("reading {PTDUMP_PATH}: {err}")),
    };
    [scan, dump]
}

/// `(stx_attributes, stx_attributes_mask)` of `path`.
pub fn statx_attributes(path: &Path) -> Result<(u64, u64), String> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: an all-zero statx is a valid value of the plain C struct.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `st` is a valid out-pointer.
    let rc = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            c.as_ptr(),
            0,
            libc::STATX_BASIC_STATS,
            &mut st,
        )
    };
    if rc != 0 {
        return Err(format!(
            "statx {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok((st.stx_attributes, st.stx_attributes_mask))
}
