//! The `trace` signal: the `fs_dax` tracepoints read back from tracefs.
//!
//! `dax_pmd_fault_done` ends every PMD fault attempt with its result
//! (`NOPAGE` when a 2 MiB entry went in, `FALLBACK` when the kernel gave up
//! and retried with PTEs); `dax_pte_fault_done` ends every 4 KiB fault;
//! `dax_pmd_load_hole` marks a huge zero page mapped over a hole. The
//! parser is pure; [`Session`] (guest only) enables the events for one pid
//! and collects the text. Tracefs is global: the runner runs one case at a
//! time, so a session clears the buffer when it starts.

use crate::protocol::Mapping;

/// One parsed trace line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub pid: u32,
    pub name: String,
    pub address: Option<u64>,
    /// The `VM_FAULT_*` result flags of `*_done` events (`NOPAGE`, `FALLBACK`).
    pub result: Option<String>,
    /// `reason` of the `dax_pmd_fallback` event that the dax-pmd series
    /// adds (`colour`, `cow`, `vma_end`, ...); absent on stock kernels.
    pub reason: Option<String>,
}

fn is_flags(tok: &str) -> bool {
    !tok.is_empty()
        && tok
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c == '|')
}

fn parse_line(line: &str) -> Option<Event> {
    if line.trim_start().starts_with('#') {
        return None;
    }
    let toks: Vec<&str> = line.split_whitespace().collect();
    // The timestamp is the first `N.N:` token; the event name follows it.
    let ts = toks.iter().position(|t| {
        t.strip_suffix(':')
            .is_some_and(|n| n.contains('.') && n.parse::<f64>().is_ok())
    })?;
    let name = toks.get(ts + 1)?.strip_suffix(':')?.to_owned();
    let pid = toks[..ts]
        .iter()
        .find_map(|t| t.rsplit_once('-').and_then(|(_, p)| p.parse().ok()))
        .unwrap_or(0);
    let body = &toks[ts + 2..];
    let address = body
        .windows(2)
        .find(|w| w[0] == "address")
        .and_then(|w| u64::from_str_radix(w[1].trim_start_matches("0x"), 16).ok());
    let result = match body {
        [.., prev, last] if prev.starts_with("0x") && is_flags(last) => Some((*last).to_owned()),
        _ => None,
    };
    let reason = body
        .windows(2)
        .find(|w| w[0] == "reason")
        .map(|w| w[1].to_owned());
    Some(Event {
        pid,
        name,
        address,
        result,
        reason,
    })
}

/// Parses the text of tracefs `trace`.
pub fn parse(text: &str) -> Vec<Event> {
    text.lines().filter_map(parse_line).collect()
}

/// Counts of the events that tell PMD from PTE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// PMD faults that installed a 2 MiB entry (`NOPAGE`, or `NEEDDSYNC`
    /// for MAP_SYNC, where the entry goes in after the fsync).
    pub pmd_done: u64,
    pub pmd_fallback: u64,
    pub pmd_other: u64,
    pub pte_done: u64,
    pub pmd_zero_page: u64,
    pub pte_zero_page: u64,
}

/// Counts the events whose address lies in `[start, end)`.
pub fn count(events: &[Event], start: u64, end: u64) -> Counts {
    let mut c = Counts::default();
    for e in events {
        if !e.address.is_some_and(|a| start <= a && a < end) {
            continue;
        }
        let res = e.result.as_deref().unwrap_or("");
        let has = |f: &str| res.split('|').any(|x| x == f);
        match e.name.as_str() {
            "dax_pmd_fault_done" if has("FALLBACK") => c.pmd_fallback += 1,
            "dax_pmd_fault_done" if has("NOPAGE") || has("NEEDDSYNC") => c.pmd_done += 1,
            "dax_pmd_fault_done" => c.pmd_other += 1,
            "dax_pte_fault_done" => c.pte_done += 1,
            "dax_pmd_load_hole" => c.pmd_zero_page += 1,
            "dax_load_hole" => c.pte_zero_page += 1,
            _ => {}
        }
    }
    c
}

/// Why PMD faults in `[start, end)` fell back, from the dax-pmd series'
/// `dax_pmd_fallback` event: reason and count, by reason.
pub fn fallback_reasons(events: &[Event], start: u64, end: u64) -> Vec<(String, u64)> {
    let mut by: std::collections::BTreeMap<String, u64> = Default::default();
    for e in events {
        if e.name == "dax_pmd_fallback" && e.address.is_some_and(|a| start <= a && a < end) {
            if let Some(r) = &e.reason {
                *by.entry(r.clone()).or_default() += 1;
            }
        }
    }
    by.into_iter().collect()
}

/// What the fault events in `[start, end)` say.
pub fn judge(events: &[Event], start: u64, end: u64) -> (Option<Mapping>, String) {
    let c = count(events, start, end);
    let ev = format!(
        "dax_pmd_fault_done NOPAGE/NEEDDSYNC {} FALLBACK {} other {}; dax_pte_fault_done {}; \
         dax_pmd_load_hole {}; dax_load_hole {}",
        c.pmd_done, c.pmd_fallback, c.pmd_other, c.pte_done, c.pmd_zero_page, c.pte_zero_page
    );
    let mut ev = ev;
    let reasons = fallback_reasons(events, start, end);
    if !reasons.is_empty() {
        let list: Vec<String> = reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
        ev += &format!("; dax_pmd_fallback reasons: {}", list.join(", "));
    }
    let says = match (c.pmd_done > 0, c.pte_done > 0) {
        (true, false) => Some(Mapping::Pmd),
        (false, true) => Some(Mapping::Pte),
        (true, true) => Some(Mapping::Mixed),
        (false, false) => None,
    };
    (says, ev)
}

#[cfg(feature = "guest")]
pub use session::Session;

/// How [`Session::start`] says the kernel has no fs_dax trace events.
pub const NOT_MOUNTED: &str = "tracefs with events/fs_dax not mounted";

#[cfg(feature = "guest")]
mod session {
    use std::fs;
    use std::path::{Path, PathBuf};

    const ROOTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

    /// The fs_dax events enabled for one process, buffer cleared.
    pub struct Session {
        root: PathBuf,
    }

    fn write(root: &Path, file: &str, what: &str) -> Result<(), String> {
        fs::write(root.join(file), what)
            .map_err(|e| format!("writing {what:?} to tracefs {file}: {e}"))
    }

    impl Session {
        /// Clears the buffer, filters on `pid` and enables `events/fs_dax`.
        pub fn start(pid: u32) -> Result<Session, String> {
            let root = ROOTS
                .iter()
                .map(PathBuf::from)
                .find(|r| r.join("events/fs_dax").is_dir())
                .ok_or(super::NOT_MOUNTED)?;
            write(&root, "events/fs_dax/enable", "0")?;
            write(&root, "trace", "")?;
            write(&root, "set_event_pid", &pid.to_string())?;
            write(&root, "events/fs_dax/enable", "1")?;
            Ok(Session { root })
        }

        /// Disables the events and returns the text of `trace`.
        pub fn read(&self) -> Result<String, String> {
            write(&self.root, "events/fs_dax/enable", "0")?;
            fs::read_to_string(self.root.join("trace"))
                .map_err(|e| format!("reading tracefs trace: {e}"))
        }

        /// Disables the events and drops the pid filter.
        pub fn stop(&self) {
            let _ = write(&self.root, "events/fs_dax/enable", "0");
            let _ = write(&self.root, "set_event_pid", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verbatim lines of 6.12 guests' traces (tests/fixtures/linux-6.12/
    /// xfs-vma-smaller-than-pmd and xfs-aligned-shared-write).
    const SAMPLE: &str = "\
# tracer: nop
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
          dprobe-65      [000] .....    12.082614: dax_pmd_fault: dev 259:0 ino 0x1003 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK address 0x7fc887c00000 vm_start 0x7fc887c00000 vm_end 0x7fc887d00000 pgoff 0x0 max_pgoff 0x800 
          dprobe-65      [000] .....    12.082656: dax_pmd_fault_done: dev 259:0 ino 0x1003 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK address 0x7fc887c00000 vm_start 0x7fc887c00000 vm_end 0x7fc887d00000 pgoff 0x0 max_pgoff 0x800 FALLBACK
          dprobe-65      [000] .N...    12.091325: dax_pte_fault_done: dev 259:0 ino 0x1003 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK address 0x7fc887c00000 pgoff 0x0 MAJOR|NOPAGE
          dprobe-60      [000] .N...     7.445559: dax_pmd_fault_done: dev 259:0 ino 0x1003 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|VMA_LOCK address 0x7fc887800000 vm_start 0x7fc887800000 vm_end 0x7fc887c00000 pgoff 0x0 max_pgoff 0x800 NOPAGE
";

    /// The dax-pmd series' event; the body is verbatim from a patched
    /// 6.12 guest (`trace_event=fs_dax:dax_pmd_fallback tp_printk`), put in
    /// the trace buffer's line shape.
    #[test]
    fn fallback_reasons_of_the_series_event() {
        let text = "\
          dprobe-70      [000] .....    11.377176: dax_pmd_fallback: dev 259:0 ino 0x1003 address 0x7f1547e00000 pgoff 0x1 reason colour
          dprobe-70      [000] .....    11.377200: dax_pmd_fallback: dev 259:0 ino 0x1003 address 0x7f1548000000 pgoff 0x201 reason colour
          dprobe-70      [000] .....    11.377300: dax_pmd_fallback: dev 259:0 ino 0x1003 address 0x7f1548000000 pgoff 0x201 reason vma_end
          dprobe-70      [000] .....    11.377400: dax_pmd_fallback: dev 259:0 ino 0x1003 address 0x1000 pgoff 0x0 reason cow
";
        let e = parse(text);
        assert_eq!(e[0].reason.as_deref(), Some("colour"));
        let r = fallback_reasons(&e, 0x7f15_47e0_0000, 0x7f15_4840_0000);
        assert_eq!(r, [("colour".to_owned(), 2), ("vma_end".to_owned(), 1)]);
        let (_, ev) = judge(&e, 0x7f15_47e0_0000, 0x7f15_4840_0000);
        assert!(
            ev.ends_with("dax_pmd_fallback reasons: colour 2, vma_end 1"),
            "{ev}"
        );
        // Stock kernels have no such event: the evidence says nothing of it.
        let (_, ev) = judge(&parse(SAMPLE), 0, u64::MAX);
        assert!(!ev.contains("reasons"), "{ev}");
    }

    #[test]
    fn parses_lines() {
        let e = parse(SAMPLE);
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].pid, 65);
        assert_eq!(e[0].name, "dax_pmd_fault");
        assert_eq!(e[0].result, None);
        assert_eq!(e[1].result.as_deref(), Some("FALLBACK"));
        assert_eq!(e[2].name, "dax_pte_fault_done");
        assert_eq!(e[2].result.as_deref(), Some("MAJOR|NOPAGE"));
        assert_eq!(e[3].address, Some(0x7fc8_8780_0000));
    }

    #[test]
    fn judges_ranges() {
        let e = parse(SAMPLE);
        let pmd = 0x7fc8_8780_0000;
        let pte = 0x7fc8_87c0_0000;
        assert_eq!(judge(&e, pmd, pmd + 0x40_0000).0, Some(Mapping::Pmd));
        assert_eq!(judge(&e, pte, pte + 0x10_0000).0, Some(Mapping::Pte));
        assert_eq!(judge(&e, pmd, pte + 0x10_0000).0, Some(Mapping::Mixed));
        assert_eq!(judge(&e, 0, 0x1000).0, None);
        let c = count(&e, pte, pte + 0x10_0000);
        assert_eq!((c.pmd_fallback, c.pte_done, c.pmd_done), (1, 1, 0));
    }
}
