//! Reading the guest console: kernel panics, oopses, BUGs, warnings,
//! lockdep, KASAN/KFENCE/UBSAN reports, lockups, RCU stalls and hung
//! tasks, found with regexes over console.log; which case each fired in
//! (from the guest's [`CaseMark`] lines); and the tail to show the user.
//!
//! Only text in, findings out; the launcher feeds it lines as they arrive.
//! Two views of the same matches: [`Finding`]s (fatal or not, for the
//! launcher: a fatal one ends the boot as a panic) and [`Splat`]s (each
//! with its report block and case, for the judge's kernel health gate).

use daxkit_harness::judge::Splat;
use daxkit_harness::protocol::{CaseMark, KMSG_PREFIX};
use regex::Regex;
use std::collections::VecDeque;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// `WARNING: CPU: 0 PID: 1 at fs/dax.c:...`, lockdep, lockups, ...:
    /// the kernel goes on (the judge still fails the run on the splat).
    Warning,
    /// Fatal: the kernel is gone (panic) or will be (oops, BUG; with
    /// `oops=panic` each ends in a panic).
    Fatal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// The splat kind: `panic`, `oops`, `bug`, `warning`, `lockdep`, ...
    /// (see [`SHAPES`]).
    pub kind: &'static str,
    /// 1-based line number in console.log.
    pub line: usize,
    pub text: String,
}

/// The report lines the kernel prints, first match wins: severity, splat
/// kind, and the line's shape after the printk timestamp (its `pr_fmt`
/// prefix included). Shapes from 6.12; the file each comes from is named.
/// Fatal rows are the ones the launcher always treated as the kernel
/// dying (unchanged); the rest were not failures before the health gate.
pub const SHAPES: &[(Severity, &str, &str)] = &[
    // kernel/panic.c panic()
    (Severity::Fatal, "panic", r"Kernel panic - not syncing: .*"),
    // arch/x86/kernel/dumpstack.c __die_header: "Oops: %s: %04lx [#%d]..."
    (Severity::Fatal, "oops", r"Oops: .*"),
    // mm/kasan/report.c print_error_description, kasan_report_async
    (Severity::Fatal, "kasan", r"BUG: KASAN: .*"),
    // mm/kfence/report.c kfence_report_error
    (Severity::Fatal, "kfence", r"BUG: KFENCE: .*"),
    // arch/x86/mm/fault.c show_fault_oops; mm/page_alloc.c bad_page,
    // mm/memory.c print_bad_pte, mm/filemap.c ("Bad page cache")
    (
        Severity::Fatal,
        "bug",
        r"BUG: (?:unable to handle|kernel NULL pointer|Bad page).*",
    ),
    // lib/bug.c report_bug (BUG(), VM_BUG_ON)
    (Severity::Fatal, "bug", r"kernel BUG at .*"),
    // arch/x86/kernel/traps.c before 5.x put it first on the line
    (Severity::Fatal, "oops", r"general protection fault.*"),
    // kernel/watchdog.c watchdog_timer_fn (pr_fmt "watchdog: ")
    (
        Severity::Warning,
        "soft-lockup",
        r"(?:watchdog: )?BUG: soft lockup - CPU#\d+ stuck for .*",
    ),
    // kernel/watchdog.c watchdog_hardlockup_check ("watchdog: " on 6.12,
    // kernel/watchdog_perf.c's "NMI watchdog: " before 6.6)
    (
        Severity::Warning,
        "hard-lockup",
        r"(?:NMI )?watchdog: Watchdog detected hard LOCKUP on cpu \d+.*",
    ),
    // kernel/rcu/tree_stall.h print_other_cpu_stall / print_cpu_stall,
    // tree_exp.h (expedited), tasks.h (rcu_tasks*); pr_fmt "rcu: "
    (
        Severity::Warning,
        "rcu-stall",
        r"(?:rcu: )?INFO: rcu_\w+ (?:self-)?detected (?:expedited )?stall.*",
    ),
    // kernel/hung_task.c check_hung_task (comm may contain spaces)
    (
        Severity::Warning,
        "hung-task",
        r"INFO: task .+:\d+ blocked for more than \d+ seconds.*",
    ),
    // kernel/sched/core.c __might_resched, __schedule_bug, __cant_sleep,
    // __cant_migrate
    (
        Severity::Warning,
        "might-sleep",
        r"BUG: (?:sleeping function called from invalid context|scheduling while atomic|scheduling in a non-blocking section|assuming atomic context|assuming non migratable context).*",
    ),
    // kernel/locking/lockdep.c: every report's headline
    (
        Severity::Warning,
        "lockdep",
        r"WARNING: (?:possible circular locking dependency detected|possible recursive locking detected|inconsistent lock state|possible irq lock inversion dependency detected|\S+-safe -> \S+-unsafe lock order detected|chain_key collision|Nested lock was not taken|bad unlock balance detected!|bad contention detected!|held lock freed!|.+/\d+ still has locks held!|lock held when returning to user space!|suspicious RCU usage).*",
    ),
    (
        Severity::Warning,
        "lockdep",
        r"\[ BUG: Invalid wait context \].*",
    ),
    // lockdep giving up (it stops checking: the gate would be blind)
    (
        Severity::Warning,
        "lockdep",
        r"BUG: (?:MAX_\w+ too low!|looking up invalid subclass|key \S+ has not been registered!).*",
    ),
    // lib/ubsan.c ubsan_prologue
    (Severity::Warning, "ubsan", r"UBSAN: .*"),
    // kernel/panic.c __warn (WARN_ON, VM_WARN_ON, DEBUG_LIST corruption)
    (
        Severity::Warning,
        "warning",
        r"WARNING: CPU: \d+ PID: \d+ at .*",
    ),
    // every other "BUG: ...": kernel/workqueue.c "workqueue lockup" and
    // "workqueue leaked atomic", lib/smp_processor_id.c, kernel/fork.c
    // "Bad rss-counter state", kernel/locking/spinlock_debug.c, ...
    (Severity::Warning, "bug", r"BUG: .*"),
    // mm/slub.c slab_bug: "BUG kmalloc-64 (Not tainted): Redzone overwritten"
    (Severity::Warning, "bug", r"BUG [^ ]+ \([^)]*\): .*"),
];

fn patterns() -> &'static [(Severity, &'static str, Regex)] {
    static P: OnceLock<Vec<(Severity, &'static str, Regex)>> = OnceLock::new();
    P.get_or_init(|| {
        // Anchored after the optional printk timestamp, so a case that
        // prints "Kernel panic" in its own output on the console is not
        // taken for one unless it looks exactly like the kernel's line.
        let ts = r"^(?:\[\s*\d+\.\d+\]\s*)?";
        SHAPES
            .iter()
            .map(|&(s, k, re)| {
                (
                    s,
                    k,
                    Regex::new(&format!("{ts}({re})$")).expect("console regex"),
                )
            })
            .collect()
    })
}

/// The line without its printk timestamp.
fn body(line: &str) -> &str {
    static TS: OnceLock<Regex> = OnceLock::new();
    let ts = TS.get_or_init(|| Regex::new(r"^\[\s*\d+\.\d+\]\s?").expect("ts regex"));
    ts.find(line).map_or(line, |m| &line[m.end()..])
}

/// `------------[ cut here ]------------` (include/asm-generic/bug.h):
/// starts a WARN, BUG or UBSAN report.
fn is_cut_here(body: &str) -> bool {
    body.trim() == "------------[ cut here ]------------"
}

/// A `=====` rule: starts lockdep, KASAN, KFENCE and SLUB reports (and
/// ends KASAN and KFENCE ones).
fn is_rule(body: &str) -> bool {
    let b = body.trim();
    b.len() >= 20 && b.bytes().all(|c| c == b'=')
}

/// `---[ end trace 0000000000000000 ]---` (kernel/panic.c) or the
/// panic's `---[ end Kernel panic - not syncing: ... ]---`.
fn is_end(body: &str) -> bool {
    body.starts_with("---[ end ")
}

/// Scans console lines as they come.
#[derive(Debug, Default)]
pub struct Scanner {
    line: usize,
    pub findings: Vec<Finding>,
    /// The last lines seen, for the tail when nothing was found.
    recent: VecDeque<String>,
    /// Lines from a little before the first fatal finding, kept whole.
    fatal_context: Vec<String>,
    /// The case running (`fs/name`), from the guest's case markers.
    case: Option<String>,
    splats: Vec<Splat>,
    /// The splat whose excerpt is still growing: index in `splats`, lines.
    open: Option<(usize, usize)>,
    /// The console line of the last splat: excerpts never reach back past it.
    last_splat_line: usize,
}

/// How many lines before the first fatal finding the tail shows.
const BEFORE: usize = 10;
/// How many lines the tail shows at most.
pub const TAIL: usize = 60;
/// How many lines the tail shows when nothing fatal was found.
pub const RECENT: usize = 30;
/// How far back a report's start (`cut here`, `=====`) is looked for.
const LOOKBACK: usize = 5;
/// Lines before a splat in its excerpt when no report start is found.
const CONTEXT: usize = 2;
/// The longest excerpt, in lines (a 6.12 WARN from a user page fault, with
/// both register dumps and the call trace, is ~45 lines) ...
pub const EXCERPT: usize = 60;
/// ... but for lockdep, KASAN and KFENCE reports, which are long, have no
/// `end trace` line, and put the locks held or the object's history after
/// the stack.
pub const LONG_EXCERPT: usize = 100;

fn excerpt_limit(kind: &str) -> usize {
    match kind {
        "lockdep" | "kasan" | "kfence" => LONG_EXCERPT,
        _ => EXCERPT,
    }
}
/// An `Oops:` this close after a `BUG:` line is the same report (x86
/// prints `BUG: kernel NULL pointer dereference`, `#PF:` lines, then
/// `Oops:`; `kernel BUG at` is followed by `Oops: invalid opcode`).
const FOLD: usize = 8;

impl Scanner {
    pub fn new() -> Scanner {
        Scanner::default()
    }

    /// One console line (without its newline; a trailing `\r` is dropped).
    pub fn push(&mut self, raw: &str) {
        self.line += 1;
        let text = raw.trim_end_matches(['\r', '\n']);
        let first_fatal = self.fatal().is_none();
        match CaseMark::parse(text) {
            Some(CaseMark::Start(key)) => self.case = Some(key.to_owned()),
            Some(CaseMark::End(_)) => self.case = None,
            None => {}
        }
        let b = body(text);
        let hit = patterns().iter().find_map(|(severity, kind, re)| {
            re.captures(b).map(|c| (*severity, *kind, c[1].to_owned()))
        });
        // One report, two headlines: the Oops after a BUG line belongs to it.
        let fold = match (&hit, self.open) {
            (Some((_, "oops", _)), Some((i, _))) => {
                let s = &self.splats[i];
                s.kind == "bug" && self.line - s.line <= FOLD
            }
            _ => false,
        };
        if let Some((i, n)) = self.open {
            // A new report, or the harness speaking: this one is over.
            if (hit.is_some() && !fold) || is_cut_here(b) || b.starts_with(KMSG_PREFIX) {
                self.open = None;
            } else {
                let e = &mut self.splats[i].excerpt;
                e.push('\n');
                e.push_str(text);
                let limit = excerpt_limit(&self.splats[i].kind);
                self.open = if is_end(b) || is_rule(b) || n + 1 >= limit {
                    None
                } else {
                    Some((i, n + 1))
                };
            }
        }
        if let Some((severity, kind, matched)) = hit {
            if !fold {
                self.splat(kind, &matched, text);
            }
            self.findings.push(Finding {
                severity,
                kind,
                line: self.line,
                text: matched,
            });
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

    /// Starts a splat at the current line: its excerpt from the report's
    /// start (or a few lines before), its case.
    fn splat(&mut self, kind: &str, matched: &str, text: &str) {
        // A panic is the launcher's outcome (a boot that dies before any
        // case cannot test); during a case it also fails that case.
        if kind == "panic" && self.case.is_none() {
            return;
        }
        // recent[j] is console line self.line - len + j.
        let len = self.recent.len();
        let fresh = (self.line - 1)
            .saturating_sub(self.last_splat_line)
            .min(len);
        let window: Vec<&String> = self.recent.iter().skip(len - fresh).collect();
        let from = window
            .iter()
            .rev()
            .take(LOOKBACK)
            .position(|l| is_cut_here(body(l)) || is_rule(body(l)))
            .map(|back| window.len() - 1 - back)
            .unwrap_or(window.len().saturating_sub(CONTEXT));
        let mut lines: Vec<&str> = window[from..].iter().map(|l| l.as_str()).collect();
        lines.push(text);
        let n = lines.len();
        self.splats.push(Splat {
            kind: kind.to_owned(),
            line: self.line,
            text: matched.to_owned(),
            case: self.case.clone(),
            excerpt: lines.join("\n"),
            allowed: None,
        });
        self.last_splat_line = self.line;
        self.open = (n < excerpt_limit(kind)).then_some((self.splats.len() - 1, n));
    }

    /// The first fatal finding: what killed the kernel.
    pub fn fatal(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| f.severity == Severity::Fatal)
    }

    #[cfg(test)]
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    /// The kernel splats so far, for the judge's health gate (`allowed`
    /// not yet set: see `known_issues::classify`). Each carries its
    /// console line, the matched text (the line without its timestamp),
    /// the case running when it fired (`fs/name`), and its report block:
    /// from the `cut here` or `=====` line (else [`CONTEXT`] lines
    /// before) to the `---[ end trace` line, a closing `=====` rule, the
    /// next report, or [`EXCERPT`] ([`LONG_EXCERPT`]) lines. A panic
    /// outside any case is left to the launcher's outcome.
    pub fn splats(&self) -> &[Splat] {
        &self.splats
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

    /// One row per line shape (kernel 6.12 formats, see [`SHAPES`]): the
    /// console line, and the splat kind and severity it must give (`None`:
    /// not a splat).
    #[test]
    fn shapes_table() {
        use Severity::{Fatal, Warning};
        let rows: &[(&str, Option<(&str, Severity)>)] = &[
            // kernel/panic.c
            ("[   10.101010] Kernel panic - not syncing: Fatal exception", Some(("panic", Fatal))),
            ("[    9.000001] WARNING: CPU: 1 PID: 93 at fs/dax.c:1912 dax_iomap_pmd_fault+0x6b2/0x7a0", Some(("warning", Warning))),
            ("[    9.000001] WARNING: CPU: 0 PID: 1 at dax_insert_entry+0x1/0x2", Some(("warning", Warning))),
            // arch/x86
            ("[    9.1] Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI", Some(("oops", Fatal))),
            ("[    9.1] Oops: invalid opcode: 0000 [#1] SMP NOPTI", Some(("oops", Fatal))),
            ("[    9.1] Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP NOPTI", Some(("oops", Fatal))),
            ("[    9.1] general protection fault: 0000 [#1] SMP PTI", Some(("oops", Fatal))),
            ("[    9.1] BUG: kernel NULL pointer dereference, address: 0000000000000008", Some(("bug", Fatal))),
            ("[    9.1] BUG: unable to handle page fault for address: ffffea0004000008", Some(("bug", Fatal))),
            ("[    9.1] BUG: TASK stack guard page was hit at ffffc90000407ff8 (stack is ffffc90000408000..ffffc9000040c000)", Some(("bug", Warning))),
            // lib/bug.c
            ("[    9.1] kernel BUG at mm/huge_memory.c:2161!", Some(("bug", Fatal))),
            // mm/page_alloc.c, mm/memory.c, kernel/fork.c
            ("[    9.1] BUG: Bad page state in process daxkit-harness  pfn:104200", Some(("bug", Fatal))),
            ("[    9.1] BUG: Bad page map in process daxkit-harness  pte:8000000104200225 pmd:04e3b067", Some(("bug", Fatal))),
            ("[    9.1] BUG: Bad rss-counter state mm:000000006c3c9ea4 type:MM_FILEPAGES val:512", Some(("bug", Warning))),
            // kernel/locking/lockdep.c
            ("[    9.1] WARNING: possible circular locking dependency detected", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: possible recursive locking detected", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: inconsistent lock state", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: possible irq lock inversion dependency detected", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: suspicious RCU usage", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: bad unlock balance detected!", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: held lock freed!", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: Nested lock was not taken", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: daxkit-harness/93 still has locks held!", Some(("lockdep", Warning))),
            ("[    9.1] WARNING: lock held when returning to user space!", Some(("lockdep", Warning))),
            ("[    9.1] [ BUG: Invalid wait context ]", Some(("lockdep", Warning))),
            ("[    9.1] BUG: MAX_LOCKDEP_CHAINS too low!", Some(("lockdep", Warning))),
            ("[    9.1] BUG: key ffff888004d2a7d0 has not been registered!", Some(("lockdep", Warning))),
            // mm/kasan/report.c, mm/kfence/report.c
            ("[    9.1] BUG: KASAN: slab-use-after-free in dax_iomap_pmd_fault+0x6b2/0x7a0", Some(("kasan", Fatal))),
            ("[    9.1] BUG: KFENCE: out-of-bounds read in dax_iomap_fault+0x2a/0x40", Some(("kfence", Fatal))),
            // lib/ubsan.c
            ("[    9.1] UBSAN: shift-out-of-bounds in fs/dax.c:1234:27", Some(("ubsan", Warning))),
            ("[    9.1] UBSAN: array-index-out-of-bounds in mm/huge_memory.c:99:5", Some(("ubsan", Warning))),
            // kernel/watchdog.c (6.12) and watchdog_perf.c (older)
            ("[   48.2] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [daxkit-harness:93]", Some(("soft-lockup", Warning))),
            ("[   48.2] watchdog: Watchdog detected hard LOCKUP on cpu 1", Some(("hard-lockup", Warning))),
            ("[   48.2] NMI watchdog: Watchdog detected hard LOCKUP on cpu 0", Some(("hard-lockup", Warning))),
            // kernel/rcu/tree_stall.h, tree_exp.h, tasks.h
            ("[   70.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", Some(("rcu-stall", Warning))),
            ("[   70.0] rcu: INFO: rcu_sched self-detected stall on CPU", Some(("rcu-stall", Warning))),
            ("[   70.0] rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies s: 97 root: 0x2/.", Some(("rcu-stall", Warning))),
            ("[   70.0] INFO: rcu_tasks detected stalls on tasks:", Some(("rcu-stall", Warning))),
            // kernel/hung_task.c
            ("[  245.8] INFO: task daxkit-harness:93 blocked for more than 122 seconds.", Some(("hung-task", Warning))),
            ("[  245.8] INFO: task kworker/u4:2:45 blocked for more than 120 seconds.", Some(("hung-task", Warning))),
            // kernel/sched/core.c
            ("[    9.1] BUG: sleeping function called from invalid context at mm/page_alloc.c:4162", Some(("might-sleep", Warning))),
            ("[    9.1] BUG: scheduling while atomic: daxkit-harness/93/0x00000002", Some(("might-sleep", Warning))),
            ("[    9.1] BUG: assuming atomic context at fs/dax.c:1500", Some(("might-sleep", Warning))),
            // kernel/workqueue.c, lib/smp_processor_id.c, mm/slub.c
            ("[   40.0] BUG: workqueue lockup - pool cpus=1 node=0 flags=0x0 nice=0 stuck for 31s!", Some(("bug", Warning))),
            ("[    9.1] BUG: workqueue leaked atomic, lock or RCU: kworker/0:1[12]", Some(("bug", Warning))),
            ("[    9.1] BUG: using smp_processor_id() in preemptible [00000000] code: daxkit-harness/93", Some(("bug", Warning))),
            ("[    9.1] BUG kmalloc-64 (Not tainted): Redzone overwritten", Some(("bug", Warning))),
            // Not splats.
            ("[    9.1] traps: daxkit-harness[93] general protection fault ip:4018a3 sp:7ffd4f0a1c10 error:0 in daxkit-harness[1000+9c000]", None),
            ("[    0.1] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!", None),
            ("[    9.1] INFO: lockdep is turned off.", None),
            ("[    9.1] daxkit: case x: WARNING: CPU: 0 PID: 1 at fs/dax.c:1 f", None),
            ("[    9.1] daxkit: case start xfs/write-2m", None),
            ("[    9.1] ---[ end trace 0000000000000000 ]---", None),
            ("[    9.1] ------------[ cut here ]------------", None),
            ("[    0.2] rcu: Hierarchical RCU implementation.", None),
            ("[    0.3] watchdog: Delayed init of the lockup detector failed: -19", None),
            ("[    0.3] ACPI: PM: Preparing to enter system sleep state S5", None),
        ];
        for (line, want) in rows {
            let s = Scanner::scan(line);
            let got = s.findings.first().map(|f| (f.kind, f.severity));
            assert_eq!(got, *want, "{line}");
            if let Some(f) = s.findings.first() {
                // The text is the line without its timestamp.
                assert_eq!(f.text, body(line), "{line}");
                assert_eq!(f.line, 1);
            }
            // Every finding is a splat, but a panic outside any case.
            let splats: Vec<&str> = s.splats().iter().map(|x| x.kind.as_str()).collect();
            match want {
                Some(("panic", _)) | None => assert!(splats.is_empty(), "{line}: {splats:?}"),
                Some((kind, _)) => assert_eq!(splats, [*kind], "{line}"),
            }
        }
        // Every shape has a row.
        for (_, kind, re) in SHAPES {
            let re = Regex::new(&format!("^(?:{re})$")).unwrap();
            assert!(
                rows.iter()
                    .any(|(l, w)| w.is_some_and(|(k, _)| k == *kind) && re.is_match(body(l))),
                "no row for {kind} {re}"
            );
        }
    }

    /// A WARN in a case, with its call trace (6.12's __warn format).
    #[test]
    fn warn_fixture_is_one_splat_in_its_case() {
        let s = Scanner::scan(&fixture("warn-splat.log"));
        assert!(s.fatal().is_none());
        let [w] = s.splats() else {
            panic!("{:#?}", s.splats())
        };
        assert_eq!(w.kind, "warning");
        assert_eq!(w.line, 10);
        assert_eq!(
            w.text,
            "WARNING: CPU: 1 PID: 93 at fs/dax.c:1912 dax_iomap_pmd_fault+0x6b2/0x7a0"
        );
        assert_eq!(w.case.as_deref(), Some("xfs/write-2m"));
        assert_eq!(w.allowed, None);
        let lines: Vec<&str> = w.excerpt.lines().collect();
        assert!(
            lines[0].ends_with("------------[ cut here ]------------"),
            "{}",
            w.excerpt
        );
        assert!(lines
            .last()
            .unwrap()
            .ends_with("---[ end trace 0000000000000000 ]---"));
        assert!(w.excerpt.contains("dax_iomap_fault+0x2a/0x40"));
        assert_eq!(lines.len(), 43, "{}", w.excerpt);
        assert_eq!(s.warnings().count(), 1);
    }

    /// A lockdep report (fs_reclaim taken under an fs lock in the DAX PMD
    /// fault: the GFP_FS-under-fs-locks class), then a might-sleep splat
    /// after the case ended.
    #[test]
    fn lockdep_fixture() {
        let s = Scanner::scan(&fixture("lockdep-splat.log"));
        assert!(s.fatal().is_none());
        let [l, m] = s.splats() else {
            panic!("{:#?}", s.splats())
        };
        assert_eq!(l.kind, "lockdep");
        assert_eq!(
            l.text,
            "WARNING: possible circular locking dependency detected"
        );
        assert_eq!(l.case.as_deref(), Some("ext4/write-2m"));
        // From the ===== rule through the backtrace, not past the case end.
        assert!(
            l.excerpt.lines().next().unwrap().ends_with("====="),
            "{}",
            l.excerpt
        );
        assert!(l.excerpt.contains("*** DEADLOCK ***"));
        assert!(l.excerpt.contains("</TASK>"));
        assert!(!l.excerpt.contains("case end"), "{}", l.excerpt);
        assert_eq!(m.kind, "might-sleep");
        assert_eq!(m.case, None);
        assert!(
            m.excerpt.contains("in_atomic(): 0, irqs_disabled(): 1"),
            "{}",
            m.excerpt
        );
    }

    fn lines(v: &[&str]) -> String {
        v.iter().map(|l| format!("[    5.0] {l}\n")).collect()
    }

    #[test]
    fn cases_come_from_the_markers() {
        let s = Scanner::scan(&lines(&[
            "WARNING: CPU: 0 PID: 1 at fs/dax.c:1 a+0x1/0x2",
            "daxkit: case start xfs/a",
            "WARNING: CPU: 0 PID: 9 at fs/dax.c:2 b+0x1/0x2",
            "daxkit: case end xfs/a",
            "BUG: scheduling while atomic: x/9/0x00000002",
            "daxkit: case start ext4/b",
            // An end marker lost (printk dropped it): the next start wins.
            "daxkit: case start ext4/c",
            "UBSAN: shift-out-of-bounds in fs/dax.c:1:2",
        ]));
        let got: Vec<(&str, Option<&str>)> = s
            .splats()
            .iter()
            .map(|x| (x.kind.as_str(), x.case.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("warning", None),
                ("warning", Some("xfs/a")),
                ("might-sleep", None),
                ("ubsan", Some("ext4/c")),
            ]
        );
    }

    /// x86 prints `BUG: kernel NULL pointer dereference`, `#PF` lines, then
    /// `Oops:`: one splat. With oops=panic, the panic during a case fails it too.
    #[test]
    fn oops_after_bug_is_one_report() {
        let text = lines(&[
            "daxkit: case start xfs/a",
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "#PF: supervisor write access in kernel mode",
            "#PF: error_code(0x0002) - not-present page",
            "PGD 0 P4D 0 ",
            "Oops: Oops: 0002 [#1] SMP NOPTI",
            "CPU: 0 UID: 0 PID: 93 Comm: daxkit-harness Not tainted 6.12.117 #1 ",
            "---[ end trace 0000000000000000 ]---",
            "Kernel panic - not syncing: Fatal exception",
            "Kernel Offset: disabled",
            "---[ end Kernel panic - not syncing: Fatal exception ]---",
        ]);
        let s = Scanner::scan(&text);
        let kinds: Vec<&str> = s.splats().iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(kinds, ["bug", "panic"]);
        let b = &s.splats()[0];
        assert!(b.excerpt.contains("Oops: Oops: 0002"), "{}", b.excerpt);
        assert!(b.excerpt.ends_with("---[ end trace 0000000000000000 ]---"));
        assert_eq!(s.splats()[1].case.as_deref(), Some("xfs/a"));
        // The launcher's view is unchanged: the first fatal line.
        assert_eq!(s.fatal().unwrap().kind, "bug");
        assert_eq!(s.findings.len(), 3);
        // Outside any case the panic is only the launcher's outcome.
        let s = Scanner::scan(&text.replacen("daxkit: case start xfs/a", "x", 1));
        let kinds: Vec<&str> = s.splats().iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(kinds, ["bug"]);
    }

    #[test]
    fn excerpts_start_at_the_report_and_end_at_its_end() {
        // KASAN: from the rule before to the rule after.
        let s = Scanner::scan(&lines(&[
            "unrelated",
            "==================================================================",
            "BUG: KASAN: slab-use-after-free in dax_iomap_pmd_fault+0x6b2/0x7a0",
            "Read of size 8 at addr ffff888004d2a738 by task daxkit-harness/93",
            "==================================================================",
            "after",
        ]));
        let k = &s.splats()[0];
        assert!(k.excerpt.starts_with("[    5.0] ====="), "{}", k.excerpt);
        assert!(k.excerpt.ends_with("====="), "{}", k.excerpt);
        assert_eq!(k.excerpt.lines().count(), 4);
        // No report start: CONTEXT lines before; a new `cut here` ends it.
        let s = Scanner::scan(&lines(&[
            "a",
            "b",
            "c",
            "INFO: task daxkit-harness:93 blocked for more than 122 seconds.",
            "      Not tainted 6.12.117 #1",
            "------------[ cut here ]------------",
            "WARNING: CPU: 0 PID: 1 at fs/dax.c:1 a+0x1/0x2",
        ]));
        let h = &s.splats()[0];
        assert_eq!(h.excerpt.lines().count(), 4, "{}", h.excerpt);
        assert!(h.excerpt.starts_with("[    5.0] b\n"));
        assert!(s.splats()[1]
            .excerpt
            .starts_with("[    5.0] ------------[ cut here ]"));
        // Never longer than EXCERPT, and never reaching back into the
        // previous splat.
        let mut v = vec![
            "WARNING: CPU: 0 PID: 1 at fs/dax.c:1 a+0x1/0x2",
            "BUG: scheduling while atomic: x/9/0x00000002",
        ];
        v.extend(std::iter::repeat_n(" trace", 100));
        let s = Scanner::scan(&lines(&v));
        assert_eq!(s.splats()[0].excerpt.lines().count(), 1);
        assert_eq!(s.splats()[1].excerpt.lines().count(), EXCERPT);
        assert!(s.splats()[1]
            .excerpt
            .starts_with("[    5.0] BUG: scheduling"));
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
