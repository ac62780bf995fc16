//! Reading the guest console: kernel panics, oopses, BUGs and warnings,
//! found with regexes over console.log, and the tail to show the user.
//!
//! Only text in, findings out; the launcher feeds it lines as they arrive.

use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// `WARNING: CPU: 0 PID: 1 at fs/dax.c:...`: reported, the run goes on.
    Warning,
    /// Fatal: the kernel is gone (panic) or will be (oops, BUG; with
    /// `oops=panic` each ends in a panic).
    Fatal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// `panic`, `oops`, `bug`, `warning`.
    pub kind: &'static str,
    /// 1-based line number in console.log.
    pub line: usize,
    pub text: String,
}

fn patterns() -> &'static [(Severity, &'static str, Regex)] {
    static P: OnceLock<Vec<(Severity, &'static str, Regex)>> = OnceLock::new();
    P.get_or_init(|| {
        // Anchored after the optional printk timestamp, so a case that
        // prints "Kernel panic" in its own output on the console is not
        // taken for one unless it looks exactly like the kernel's line.
        let ts = r"^(?:\[\s*\d+\.\d+\]\s*)?";
        [
            (Severity::Fatal, "panic", r"Kernel panic - not syncing: .*"),
            (Severity::Fatal, "oops", r"Oops: .*"),
            (Severity::Fatal, "bug", r"BUG: (?:unable to handle|kernel NULL pointer|Bad page|KASAN|KFENCE).*"),
            (Severity::Fatal, "bug", r"kernel BUG at .*"),
            (Severity::Fatal, "bug", r"general protection fault.*"),
            (Severity::Warning, "warning", r"WARNING: CPU: \d+ PID: \d+ at .*"),
            (Severity::Warning, "warning", r"BUG: (?:sleeping function|scheduling while atomic|workqueue lockup|soft lockup).*"),
        ]
        .into_iter()
        .map(|(s, k, re)| (s, k, Regex::new(&format!("{ts}({re})")).expect("console regex")))
        .collect()
    })
}

/// Scans console lines as they come.
#[derive(Debug, Default)]
pub struct Scanner {
    line: usize,
    pub findings: Vec<Finding>,
    /// The last lines seen, for the tail when nothing was found.
    recent: std::collections::VecDeque<String>,
    /// Lines from a little before the first fatal finding, kept whole.
    fatal_context: Vec<String>,
}

/// How many lines before the first fatal finding the tail shows.
const BEFORE: usize = 10;
/// How many lines the tail shows at most.
pub const TAIL: usize = 60;
/// How many lines the tail shows when nothing fatal was found.
pub const RECENT: usize = 30;

impl Scanner {
    pub fn new() -> Scanner {
        Scanner::default()
    }

    /// One console line (without its newline; a trailing `\r` is dropped).
    pub fn push(&mut self, raw: &str) {
        self.line += 1;
        let text = raw.trim_end_matches(['\r', '\n']);
        let first_fatal = self.fatal().is_none();
        for (severity, kind, re) in patterns() {
            if let Some(c) = re.captures(text) {
                self.findings.push(Finding {
                    severity: *severity,
                    kind,
                    line: self.line,
                    text: c[1].to_owned(),
                });
                break;
            }
        }
        if first_fatal && self.fatal().is_some() {
            let skip = self.recent.len().saturating_sub(BEFORE);
            self.fatal_context = self.recent.iter().skip(skip).cloned().collect();
        }
        if self.fatal().is_some() && self.fatal_context.len() < TAIL {
            self.fatal_context.push(text.to_owned());
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(text.to_owned());
    }

    /// The first fatal finding: what killed the kernel.
    pub fn fatal(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| f.severity == Severity::Fatal)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    /// What to show: from [`BEFORE`] lines before the first fatal finding
    /// on (at most [`TAIL`] lines), else the last [`RECENT`] lines.
    pub fn tail(&self) -> String {
        if self.fatal().is_some() {
            return self.fatal_context.join("\n");
        }
        self.recent.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Scans a whole console log at once.
    #[cfg(test)]
    pub fn scan(text: &str) -> Scanner {
        let mut s = Scanner::new();
        for l in text.lines() {
            s.push(l);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/console")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn check(text: &str, want: Option<(&str, &str)>) {
        let s = Scanner::scan(text);
        match want {
            None => assert!(s.fatal().is_none(), "{:?}", s.fatal()),
            Some((kind, starts)) => {
                let f = s.fatal().expect("no fatal finding");
                assert_eq!(f.kind, kind);
                assert!(f.text.starts_with(starts), "{f:?}");
            }
        }
    }

    #[test]
    fn one_liners() {
        check(
            "[    1.234567] Kernel panic - not syncing: sysrq triggered crash",
            Some(("panic", "Kernel panic - not syncing: sysrq")),
        );
        check(
            "Kernel panic - not syncing: VFS: Unable to mount root fs",
            Some(("panic", "Kernel panic")),
        );
        // No fixture for these: our kernel has no LKDTM, and nothing in
        // userspace oopses it on purpose. Line shapes from 6.12's
        // arch/x86/kernel/dumpstack.c and arch/x86/mm/fault.c.
        check(
            "[    2.0] Oops: Oops: 0002 [#1] SMP NOPTI",
            Some(("oops", "Oops: Oops: 0002")),
        );
        check(
            "[    2.0] Oops: general protection fault, probably for non-canonical address",
            Some(("oops", "Oops: general")),
        );
        check(
            "[    2.0] BUG: kernel NULL pointer dereference, address: 0000000000000000",
            Some(("bug", "BUG: kernel NULL")),
        );
        check(
            "[    2.0] kernel BUG at fs/dax.c:1234!",
            Some(("bug", "kernel BUG at fs/dax.c")),
        );
        check(
            "[    0.1] ACPI: PM: Preparing to enter system sleep state S5",
            None,
        );
        check("[    0.1] reboot: Power down", None);
        // A case printing the words mid-line is not the kernel panicking.
        check("case x: expect no Kernel panic - not syncing here", None);
        let w = Scanner::scan("[    3.0] WARNING: CPU: 0 PID: 1 at fs/dax.c:100 dax_foo+0x1/0x2");
        assert!(w.fatal().is_none());
        assert_eq!(w.warnings().count(), 1);
    }

    /// Real console of our kernel panicking via `echo c > /proc/sysrq-trigger`.
    #[test]
    fn sysrq_panic_fixture() {
        let text = fixture("panic-sysrq.log");
        let s = Scanner::scan(&text);
        let f = s.fatal().expect("panic found");
        assert_eq!(f.kind, "panic");
        assert!(f.text.contains("sysrq triggered crash"), "{f:?}");
        let tail = s.tail();
        assert!(tail.contains("Kernel panic - not syncing"), "{tail}");
        assert!(
            tail.contains("Call Trace") || tail.contains("CPU:"),
            "{tail}"
        );
        assert!(tail.lines().count() <= TAIL);
    }

    /// Real console of our kernel booted without an initramfs.
    #[test]
    fn no_root_panic_fixture() {
        let s = Scanner::scan(&fixture("panic-no-root.log"));
        assert!(s
            .fatal()
            .unwrap()
            .text
            .contains("VFS: Unable to mount root fs"));
    }

    /// Real console of a clean boot and poweroff: nothing fatal.
    #[test]
    fn clean_boot_fixture() {
        let s = Scanner::scan(&fixture("clean-boot.log"));
        assert!(s.fatal().is_none(), "{:?}", s.fatal());
        assert!(s.tail().contains("Power down") || s.tail().lines().count() > 0);
    }

    #[test]
    fn tail_without_findings_is_the_last_lines() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let s = Scanner::scan(&text);
        let t = s.tail();
        assert!(t.ends_with("line 99"));
        assert_eq!(t.lines().count(), 30);
    }

    #[test]
    fn tail_starts_a_little_before_the_panic() {
        let mut text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        text += "[    1.0] Kernel panic - not syncing: x\n";
        text += &(0..200).map(|i| format!("after {i}\n")).collect::<String>();
        let t = Scanner::scan(&text).tail();
        assert!(t.starts_with("line 90\n"), "{t}");
        assert!(t.contains("Kernel panic"));
        assert_eq!(t.lines().count(), TAIL);
    }
}
