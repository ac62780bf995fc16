//! The one judge: a run's evidence in, each case's status and the run's
//! exit code out.
//!
//! Every path that turns guest results into a verdict goes through here:
//! `daxkit run`, `reproduce`, `ci`, each bisect step, `check-series --run`,
//! `report merge`, and `daxkit-harness run` on real pmem. Pure functions of
//! plain data, so the same evidence gives the same answer in every command
//! and a table of tests pins every rule (README, "Exit codes").
//!
//! The rules, in short:
//! - A PMD / PTE / mixed verdict needs two page-table readers (PAGEMAP_SCAN
//!   and ptdump) that agree. Where the kernel lacks one (PAGEMAP_SCAN is
//!   6.7+), one reader plus another signal that can tell is accepted and the
//!   reduced rule is named in the verdict; never silently fewer.
//! - Any two signals that could tell and disagree fail the case (bad).
//! - A signal that failed at run time, or one the kernel config guarantees
//!   but that is absent, makes the case "cannot test".
//! - The guest reports its plan; each planned case returns exactly one
//!   result, or the run cannot test. Skips have their own status.
//! - A kernel splat (WARNING, BUG, lockdep, lockup, ...) not on the known
//!   issues list makes the run bad, attributed to the case that ran.
//! - Exit code: 130 interrupted, else 1 if anything is bad, else 125 if
//!   anything could not be tested, else 0.

use crate::protocol::{BenchResult, CaseResult, ErrorKind, Mapping, Plan, Signal, Stream};
use crate::signals::{self, SignalState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Exit codes, shaped for `git bisect run`: 0 good, 1 bad, 125 cannot
/// test; above 127 aborts a bisect (host or input error), 130 interrupted.
pub mod exit {
    pub const GOOD: i32 = 0;
    pub const BAD: i32 = 1;
    pub const CANNOT_TEST: i32 = 125;
    pub const ERROR: i32 = 128;
    pub const INTERRUPTED: i32 = 130;
}

/// What a finding means for the run, in increasing precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Good,
    CannotTest,
    Bad,
    Interrupted,
}

impl Class {
    pub fn code(self) -> i32 {
        match self {
            Class::Good => exit::GOOD,
            Class::Bad => exit::BAD,
            Class::CannotTest => exit::CANNOT_TEST,
            Class::Interrupted => exit::INTERRUPTED,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Class::Good => "good",
            Class::Bad => "bad",
            Class::CannotTest => "cannot test",
            Class::Interrupted => "interrupted",
        }
    }
}

/// How a boot (or a build that should have led to one) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The guest closed its result stream and powered off.
    #[default]
    Completed,
    /// The kernel panicked (or oopsed with oops=panic).
    Panic,
    /// The watchdog stopped a silent or overlong run.
    Timeout,
    /// The result stream was truncated, garbled or reordered.
    ProtocolError,
    /// QEMU did not start or died on its own.
    QemuFailed,
    /// The kernel did not build (see [`Evidence::build_blame`]).
    BuildFailed,
    /// Ctrl-C or SIGINT/SIGTERM.
    Interrupted,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Panic => "panic",
            Outcome::Timeout => "timeout",
            Outcome::ProtocolError => "protocol-error",
            Outcome::QemuFailed => "qemu-failed",
            Outcome::BuildFailed => "build-failed",
            Outcome::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whose fault a failed build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Blame {
    /// The series under test broke a base that builds: bad.
    Series,
    /// The base itself does not build (or, in a bisect step, any commit
    /// that does not build): cannot test.
    #[default]
    Base,
}

/// A kernel splat found on the console: WARNING, BUG, Oops, lockdep,
/// KASAN/UBSAN, lockups, RCU stalls, hung tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Splat {
    /// `warning`, `bug`, `oops`, `lockdep`, `kasan`, `ubsan`,
    /// `soft-lockup`, `hard-lockup`, `rcu-stall`, `hung-task`,
    /// `might-sleep`, `panic`.
    pub kind: String,
    /// 1-based line in console.log.
    pub line: usize,
    /// The line that matched.
    pub text: String,
    /// The case running when it fired (`fs/name`), if any.
    pub case: Option<String>,
    /// The console lines around it, for the report.
    pub excerpt: String,
    /// The known-issues entry that covers it (reason and link), if any:
    /// then it is shown but does not fail the run.
    pub allowed: Option<String>,
}

/// How one case came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseStatus {
    /// Verdict as expected, on enough agreeing evidence.
    Pass,
    /// Verdict differs from the expectation.
    Mismatch,
    /// Signals that could tell disagree with each other.
    Disagree,
    /// The case process failed (error, crash, timeout in the guest).
    Crashed,
    /// A kernel splat fired while it ran.
    Splat,
    /// A KUnit test reported `not ok`, or its suite never finished.
    Failed,
    /// Its verdict differs between repeats.
    Flaky,
    /// Not enough signals could tell.
    CannotTell,
    /// A signal failed at run time, or one the kernel guarantees is absent.
    SignalFailed,
    /// Planned, but no result came back (or its environment failed).
    Missing,
    /// Left out by the plan (e.g. no 4 KiB namespace with memmap pmem).
    Skipped,
}

impl CaseStatus {
    pub fn class(self) -> Class {
        match self {
            CaseStatus::Pass | CaseStatus::Skipped => Class::Good,
            CaseStatus::Mismatch
            | CaseStatus::Disagree
            | CaseStatus::Crashed
            | CaseStatus::Splat
            | CaseStatus::Failed
            | CaseStatus::Flaky => Class::Bad,
            CaseStatus::CannotTell | CaseStatus::SignalFailed | CaseStatus::Missing => {
                Class::CannotTest
            }
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            CaseStatus::Pass => "pass",
            CaseStatus::Mismatch => "mismatch",
            CaseStatus::Disagree => "disagree",
            CaseStatus::Crashed => "crashed",
            CaseStatus::Splat => "splat",
            CaseStatus::Failed => "failed",
            CaseStatus::Flaky => "flaky",
            CaseStatus::CannotTell => "cannot-tell",
            CaseStatus::SignalFailed => "signal-failed",
            CaseStatus::Missing => "missing",
            CaseStatus::Skipped => "skipped",
        }
    }
}

/// What the signals of one case add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalVerdict {
    /// The mapping the evidence shows (`Unknown` when it cannot tell).
    pub mapping: Mapping,
    /// `Pass` here means "enough agreeing evidence"; the expectation is
    /// compared by [`judge_case`]. Otherwise `Disagree`, `CannotTell` or
    /// `SignalFailed`.
    pub status: CaseStatus,
    /// The rule that applied and the signals that judged.
    pub rule: String,
}

fn sv(mapping: Mapping, status: CaseStatus, rule: impl Into<String>) -> SignalVerdict {
    SignalVerdict {
        mapping,
        status,
        rule: rule.into(),
    }
}

/// Whether two signals' answers can both be true of one range. vmstat
/// only counts fallbacks (system-wide), so its PTE means "some PTEs",
/// which a mixed range has too.
fn compatible(a: &Signal, am: Mapping, b: &Signal, bm: Mapping) -> bool {
    let weak_pte = |s: &Signal, m| s.name == signals::VMSTAT && m == Mapping::Pte;
    am == bm
        || (weak_pte(a, am) && bm == Mapping::Mixed)
        || (weak_pte(b, bm) && am == Mapping::Mixed)
}

fn told(s: &Signal) -> String {
    match s.says {
        Some(m) => format!("{}={m} ({})", s.name, s.evidence),
        None => format!("{}=? ({})", s.name, s.evidence),
    }
}

/// Combines one case's signals under the evidence rules. `required` are
/// the signals the kernel config guarantees (an absent one cannot test).
pub fn judge_signals(sigs: &[Signal], required: &[String]) -> SignalVerdict {
    if sigs
        .iter()
        .any(|s| s.name == signals::STATX && s.says == Some(Mapping::NotDax))
    {
        return sv(
            Mapping::NotDax,
            CaseStatus::Pass,
            "statx-dax: STATX_ATTR_DAX not set, so the mapping is page cache \
             (page-table readers not compared)",
        );
    }
    // Signals that could tell and contradict each other are the kernel's
    // fault whatever else failed: checked first.
    let telling: Vec<(&Signal, Mapping)> = sigs
        .iter()
        .filter(|s| s.name != signals::STATX)
        .filter_map(|s| s.says.map(|m| (s, m)))
        .collect();
    for (i, (a, am)) in telling.iter().enumerate() {
        for (b, bm) in &telling[i + 1..] {
            if !compatible(a, *am, b, *bm) {
                let all: Vec<String> = telling.iter().map(|(s, _)| told(s)).collect();
                return sv(
                    Mapping::Unknown,
                    CaseStatus::Disagree,
                    format!("signals disagree: {}", all.join("; ")),
                );
            }
        }
    }
    // A signal that failed is never dropped silently.
    let failed: Vec<String> = sigs
        .iter()
        .filter_map(|s| match s.state() {
            SignalState::Failed => Some(format!("{} failed: {}", s.name, s.evidence)),
            SignalState::Absent if required.contains(&s.name) => Some(format!(
                "{} is guaranteed by the kernel config but absent: {}",
                s.name, s.evidence
            )),
            _ => None,
        })
        .collect();
    let missing_required: Vec<&String> = required
        .iter()
        .filter(|r| !sigs.iter().any(|s| &s.name == *r))
        .collect();
    if !failed.is_empty() || !missing_required.is_empty() {
        let mut why = failed;
        why.extend(
            missing_required
                .iter()
                .map(|r| format!("{r} is guaranteed by the kernel config but was not read")),
        );
        return sv(Mapping::Unknown, CaseStatus::SignalFailed, why.join("; "));
    }
    let readers: Vec<&Signal> = signals::PAGE_TABLE_READERS
        .iter()
        .filter_map(|n| sigs.iter().find(|s| s.name == *n))
        .collect();
    let agreeing: Vec<(&Signal, Mapping)> = telling
        .iter()
        .filter(|(s, _)| signals::PAGE_TABLE_READERS.contains(&s.name.as_str()))
        .copied()
        .collect();
    let others: Vec<&str> = telling
        .iter()
        .filter(|(s, _)| !signals::PAGE_TABLE_READERS.contains(&s.name.as_str()))
        .map(|(s, _)| s.name.as_str())
        .collect();
    let Some(&(_, mapping)) = agreeing.first() else {
        let said: Vec<String> = readers.iter().map(|s| told(s)).collect();
        return sv(
            Mapping::Unknown,
            CaseStatus::CannotTell,
            format!(
                "no page-table reader could tell ({})",
                if said.is_empty() {
                    "none was read".to_owned()
                } else {
                    said.join("; ")
                }
            ),
        );
    };
    let corroborated = |rule: String| {
        if others.is_empty() {
            rule
        } else {
            format!("{rule}; corroborated by {}", others.join(", "))
        }
    };
    if agreeing.len() >= 2 {
        let names: Vec<&str> = agreeing.iter().map(|(s, _)| s.name.as_str()).collect();
        return sv(
            mapping,
            CaseStatus::Pass,
            corroborated(format!("page-table readers {} agree", names.join(" and "))),
        );
    }
    let reader = agreeing[0].0;
    // The other page-table reader: absent from this kernel, or present and
    // unable to tell (which is not enough).
    let other = signals::PAGE_TABLE_READERS
        .iter()
        .find(|n| **n != reader.name)
        .copied()
        .unwrap_or_default();
    match sigs.iter().find(|s| s.name == other) {
        Some(o) if o.state() != SignalState::Absent => sv(
            Mapping::Unknown,
            CaseStatus::CannotTell,
            format!(
                "only {} could tell; {} could not ({}), and two page-table readers must agree",
                reader.name, o.name, o.evidence
            ),
        ),
        absent => {
            let why = absent.map_or("not read".to_owned(), |o| o.evidence.clone());
            if others.is_empty() {
                return sv(
                    Mapping::Unknown,
                    CaseStatus::CannotTell,
                    format!(
                        "only {} could tell ({other} is absent on this kernel: {why}), \
                         and no other signal could",
                        reader.name
                    ),
                );
            }
            sv(
                mapping,
                CaseStatus::Pass,
                format!(
                    "reduced rule: {other} absent on this kernel ({why}); {} and {} agree",
                    reader.name,
                    others.join(", ")
                ),
            )
        }
    }
}

/// One case's judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseJudgement {
    pub name: String,
    pub fs: String,
    pub expected: Mapping,
    /// What the evidence shows (`unknown` when it could not tell).
    pub verdict: Mapping,
    pub status: CaseStatus,
    /// The rule that applied, or why the case got its status.
    pub why: String,
}

impl CaseJudgement {
    /// `fs/name`, the key the series' `expect` and the reports use.
    pub fn key(&self) -> String {
        format!("{}/{}", self.fs, self.name)
    }
}

/// The expectation for a case: `fs/name`, then `name` in the series'
/// `expect`, else the guest's (stock kernel's) expectation.
pub fn expected(
    expect: &BTreeMap<String, Mapping>,
    name: &str,
    fs: &str,
    stock: Mapping,
) -> Mapping {
    expect
        .get(&format!("{fs}/{name}"))
        .or_else(|| expect.get(name))
        .copied()
        .unwrap_or(stock)
}

/// Judges one case result against its expectation.
pub fn judge_case(
    c: &CaseResult,
    expect: &BTreeMap<String, Mapping>,
    required: &[String],
) -> CaseJudgement {
    let expected = expected(expect, &c.name, &c.fs, c.expected);
    let v = judge_signals(&c.signals, required);
    let (status, why) = match v.status {
        CaseStatus::Pass if v.mapping == expected => (CaseStatus::Pass, v.rule),
        CaseStatus::Pass => (
            CaseStatus::Mismatch,
            format!("got {}, expected {expected}: {}", v.mapping, v.rule),
        ),
        s => (s, v.rule),
    };
    CaseJudgement {
        name: c.name.clone(),
        fs: c.fs.clone(),
        expected,
        verdict: v.mapping,
        status,
        why,
    }
}

/// Whether a fault-benchmark run's numbers may be used: its page-table
/// readers, judged under the same evidence rules as a case, confirm the
/// mapping the run was meant to get (pmd-eligible → PMD, pte-forced →
/// PTE). `Err` says why not; such a run is reported as unverified and
/// left out of every ratio and average. Records without signals (older
/// guests, which trusted PAGEMAP_SCAN alone) are unverified.
pub fn bench_verified(b: &BenchResult) -> Result<(), String> {
    let Some(intended) = b.intended() else {
        return Err(format!(
            "unknown run {:?}, so no intended mapping to check",
            b.name
        ));
    };
    if b.signals.is_empty() {
        return Err(
            "no page-table evidence in the record (a guest before both readers were read)"
                .to_owned(),
        );
    }
    let v = judge_signals(&b.signals, &[]);
    match v.status {
        CaseStatus::Pass if v.mapping == intended => Ok(()),
        CaseStatus::Pass => Err(format!(
            "got {}, intended {intended}: {}",
            v.mapping, v.rule
        )),
        s => Err(format!("{}: {}", s.word(), v.rule)),
    }
}

/// An error record from the guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestError {
    pub case: Option<String>,
    #[serde(default)]
    pub kind: ErrorKind,
    pub message: String,
}

/// Everything one boot left behind that the judge reads. Reports store
/// it as is (`report.json`), so `report merge` judges the same evidence
/// again with the same rules.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Evidence {
    pub outcome: Outcome,
    /// The launcher's one-line account (panic line, timeout phase, ...).
    pub detail: String,
    /// `uname -r` from the guest's hello (the kernel booted to our PID 1).
    pub guest_kernel: Option<String>,
    pub plan: Option<Plan>,
    pub cases: Vec<CaseResult>,
    pub errors: Vec<GuestError>,
    /// Setup steps that failed (`step: detail`).
    pub setup_failed: Vec<String>,
    pub splats: Vec<Splat>,
    /// Signals the kernel config guarantees.
    pub required: Vec<String>,
    /// Expectations of the series variant (`fs/name` or `name`).
    pub expect: BTreeMap<String, Mapping>,
    /// For [`Outcome::BuildFailed`].
    pub build_blame: Blame,
    /// The built-in KUnit suites' KTAP results, read from the console.
    pub ktap: Vec<KtapSuite>,
}

/// The "filesystem" of KUnit cases in case keys: `kunit/suite.test`.
pub const KUNIT: &str = "kunit";

/// A KTAP result line's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KtapResult {
    Ok,
    NotOk,
    /// `ok N name # SKIP reason` (or `not ok ... # SKIP`).
    Skip,
}

/// One test's KTAP result as the console showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KtapTest {
    pub name: String,
    pub result: KtapResult,
    /// The directive after `#` on the result line (`SKIP reason`).
    #[serde(default)]
    pub directive: String,
    /// Its diagnostic lines (`# ...`, printed before the result line),
    /// and the results of its own subtests (parameters) that were not ok.
    #[serde(default)]
    pub diagnostic: Vec<String>,
    /// 1-based line of the result in console.log.
    pub line: usize,
}

/// One KUnit suite (a subtest of the boot's KTAP document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KtapSuite {
    pub name: String,
    /// 1-based console line where it started.
    pub line: usize,
    pub tests: Vec<KtapTest>,
    /// The suite's own result line; `None` when it never finished.
    pub result: Option<KtapResult>,
    /// Diagnostic lines of the suite itself (init failures, totals).
    #[serde(default)]
    pub diagnostic: Vec<String>,
}

/// KUnit results as cases (`kunit/suite.test`): `not ok` is failed with
/// its diagnostic lines as the why, a skip is skipped, a suite that
/// started but never finished is failed, and so is a suite reported
/// `not ok` with no failing test to blame (its init failed).
fn judge_ktap(suites: &[KtapSuite]) -> Vec<CaseJudgement> {
    let case = |name: String, status, why: String| CaseJudgement {
        name,
        fs: KUNIT.to_owned(),
        expected: Mapping::Unknown,
        verdict: Mapping::Unknown,
        status,
        why,
    };
    let diag = |lines: &[String]| {
        if lines.is_empty() {
            "no diagnostic lines".to_owned()
        } else {
            lines.join(" | ")
        }
    };
    let mut out = Vec::new();
    for s in suites {
        for t in &s.tests {
            let name = format!("{}.{}", s.name, t.name);
            out.push(match t.result {
                KtapResult::Ok => case(
                    name,
                    CaseStatus::Pass,
                    format!("ok (console line {})", t.line),
                ),
                KtapResult::Skip => case(
                    name,
                    CaseStatus::Skipped,
                    format!("skipped: {}", t.directive.trim_start_matches("SKIP").trim()),
                ),
                KtapResult::NotOk => case(
                    name,
                    CaseStatus::Failed,
                    format!("not ok at console line {}: {}", t.line, diag(&t.diagnostic)),
                ),
            });
        }
        let tests_failed = s.tests.iter().any(|t| t.result == KtapResult::NotOk);
        match s.result {
            None => out.push(case(
                s.name.clone(),
                CaseStatus::Failed,
                format!(
                    "suite started at console line {} but never finished ({} tests reported): {}",
                    s.line,
                    s.tests.len(),
                    diag(&s.diagnostic)
                ),
            )),
            Some(KtapResult::NotOk) if !tests_failed => out.push(case(
                s.name.clone(),
                CaseStatus::Failed,
                format!("suite not ok with no failing test: {}", diag(&s.diagnostic)),
            )),
            Some(KtapResult::Skip) if s.tests.is_empty() => out.push(case(
                s.name.clone(),
                CaseStatus::Skipped,
                "suite skipped".to_owned(),
            )),
            _ => {}
        }
    }
    out
}

impl Evidence {
    /// The evidence of a result stream (complete or partial).
    pub fn from_stream(outcome: Outcome, detail: impl Into<String>, s: &Stream) -> Evidence {
        Evidence {
            outcome,
            detail: detail.into(),
            guest_kernel: s.hello().map(|(k, _)| k.to_owned()),
            plan: s.plan().cloned(),
            cases: s.cases().cloned().collect(),
            errors: s.guest_errors(),
            setup_failed: s.setup_failed(),
            ..Evidence::default()
        }
    }

    fn hello(&self) -> bool {
        self.guest_kernel.is_some()
    }
}

/// A finding about the run as a whole (not one case's verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub class: Class,
    pub what: String,
}

/// The judge's answer for one boot (or for repeats of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    pub class: Class,
    pub cases: Vec<CaseJudgement>,
    pub issues: Vec<Issue>,
    /// Notes that do not change the class (allowed splats, skips).
    pub notes: Vec<String>,
}

impl Judgement {
    pub fn code(&self) -> i32 {
        self.class.code()
    }

    /// One line: the class and what decided it, bad findings first.
    pub fn why(&self) -> String {
        let n = self.cases.len();
        let passed = self
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::Pass)
            .count();
        let skipped = self
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::Skipped)
            .count();
        if self.class == Class::Good {
            let mut s = format!("all {passed} cases as expected");
            if skipped > 0 {
                s += &format!(" ({skipped} skipped by the plan)");
            }
            return s;
        }
        let mut parts = Vec::new();
        for class in [Class::Interrupted, Class::Bad, Class::CannotTest] {
            for i in self.issues.iter().filter(|i| i.class == class) {
                parts.push(i.what.clone());
            }
            let cases: Vec<String> = self
                .cases
                .iter()
                .filter(|c| c.status.class() == class)
                .map(|c| match c.status {
                    CaseStatus::Mismatch => format!(
                        "{} mismatch: {} (expected {})",
                        c.key(),
                        c.verdict,
                        c.expected
                    ),
                    s => format!("{} {}", c.key(), s.word()),
                })
                .collect();
            if !cases.is_empty() {
                parts.push(cases.join(", "));
            }
        }
        format!(
            "{}: {} ({passed}/{n} cases passed)",
            self.class.word(),
            parts.join("; ")
        )
    }
}

fn issue(class: Class, what: impl Into<String>) -> Issue {
    Issue {
        class,
        what: what.into(),
    }
}

/// Judges one boot.
pub fn judge(e: &Evidence) -> Judgement {
    let mut issues = Vec::new();
    let mut notes = Vec::new();
    match e.outcome {
        Outcome::Completed => {}
        Outcome::Interrupted => issues.push(issue(Class::Interrupted, "interrupted")),
        Outcome::BuildFailed => issues.push(match e.build_blame {
            Blame::Series => issue(
                Class::Bad,
                format!(
                    "the series does not build on a base that does: {}",
                    e.detail
                ),
            ),
            Blame::Base => issue(Class::CannotTest, format!("cannot build: {}", e.detail)),
        }),
        Outcome::Panic if e.hello() => issues.push(issue(
            Class::Bad,
            format!("kernel died during the cases: {}", e.detail),
        )),
        Outcome::Panic => issues.push(issue(
            Class::CannotTest,
            format!("kernel died during boot: {}", e.detail),
        )),
        Outcome::Timeout | Outcome::ProtocolError | Outcome::QemuFailed => {
            issues.push(issue(Class::CannotTest, e.detail.clone()))
        }
    }
    for s in &e.splats {
        let at = s.case.as_deref().unwrap_or("outside any case");
        match &s.allowed {
            Some(why) => notes.push(format!(
                "known issue ({why}): {} at console line {} ({at})",
                s.text, s.line
            )),
            None => issues.push(issue(
                Class::Bad,
                format!(
                    "kernel {} at console line {} ({at}): {}",
                    s.kind, s.line, s.text
                ),
            )),
        }
    }
    for step in &e.setup_failed {
        issues.push(issue(Class::CannotTest, format!("setup failed: {step}")));
    }
    for err in e.errors.iter().filter(|x| x.case.is_none()) {
        issues.push(issue(Class::CannotTest, format!("guest: {}", err.message)));
    }
    if e.required.is_empty() && e.outcome != Outcome::BuildFailed {
        notes.push(
            "no kernel config beside the kernel: which signals it guarantees is unknown, \
             so an absent signal only narrows the evidence (rules name it)"
                .into(),
        );
    }
    let mut cases = Vec::new();
    let ran = matches!(e.outcome, Outcome::Completed)
        || e.hello() && !matches!(e.outcome, Outcome::BuildFailed);
    if ran {
        cases = judge_cases(e, &mut issues, &mut notes);
    }
    // KUnit ran at boot, before the guest's hello: its results count
    // whatever became of the boot afterwards.
    cases.extend(judge_ktap(&e.ktap));
    // A splat fails the case it fired in, whatever its verdict.
    for s in e.splats.iter().filter(|s| s.allowed.is_none()) {
        if let Some(c) = cases
            .iter_mut()
            .find(|c| s.case.as_deref() == Some(c.key().as_str()))
        {
            if c.status.class() != Class::Bad {
                c.status = CaseStatus::Splat;
                c.why = format!("kernel {} during the case: {}", s.kind, s.text);
            }
        }
    }
    if ran && e.outcome == Outcome::Completed && e.plan.as_ref().is_some_and(|p| p.cases.is_empty())
    {
        issues.push(issue(Class::CannotTest, "the plan has no case to run"));
    }
    // Every outcome but `Completed` added an issue above, so a run that
    // did not complete is never good.
    Judgement {
        class: worst(&issues, &cases, false),
        cases,
        issues,
        notes,
    }
}

/// Per-case judgements, completeness against the plan included.
fn judge_cases(
    e: &Evidence,
    issues: &mut Vec<Issue>,
    notes: &mut Vec<String>,
) -> Vec<CaseJudgement> {
    let mut out: Vec<CaseJudgement> = Vec::new();
    let Some(plan) = &e.plan else {
        issues.push(issue(
            Class::CannotTest,
            "the guest did not report its plan, so missing cases cannot be told",
        ));
        return e
            .cases
            .iter()
            .map(|c| judge_case(c, &e.expect, &e.required))
            .collect();
    };
    for p in &plan.cases {
        let results: Vec<&CaseResult> = e
            .cases
            .iter()
            .filter(|c| c.name == p.name && c.fs == p.fs)
            .collect();
        let errors: Vec<&GuestError> = e
            .errors
            .iter()
            .filter(|x| x.case.as_deref() == Some(p.name.as_str()))
            .collect();
        let expected = expected(&e.expect, &p.name, &p.fs, p.expected);
        let blank = |status, why: String| CaseJudgement {
            name: p.name.clone(),
            fs: p.fs.clone(),
            expected,
            verdict: Mapping::Unknown,
            status,
            why,
        };
        out.push(match (results.as_slice(), errors.as_slice()) {
            ([c], []) => judge_case(c, &e.expect, &e.required),
            ([], [x]) => match x.kind {
                ErrorKind::Crashed => blank(CaseStatus::Crashed, x.message.clone()),
                ErrorKind::NotRun => blank(CaseStatus::Missing, x.message.clone()),
            },
            ([], []) if e.outcome == Outcome::Completed => blank(
                CaseStatus::Missing,
                "planned, but no result came back".into(),
            ),
            ([], []) => blank(
                CaseStatus::Missing,
                format!("not reached: the run ended ({})", e.outcome),
            ),
            (r, x) => blank(
                CaseStatus::Missing,
                format!(
                    "{} results and {} errors for one planned case: the stream cannot be trusted",
                    r.len(),
                    x.len()
                ),
            ),
        });
    }
    for s in &plan.skipped {
        notes.push(format!("{}/{} skipped: {}", s.fs, s.name, s.reason));
        out.push(CaseJudgement {
            name: s.name.clone(),
            fs: s.fs.clone(),
            expected: expected(&e.expect, &s.name, &s.fs, s.expected),
            verdict: Mapping::Unknown,
            status: CaseStatus::Skipped,
            why: s.reason.clone(),
        });
    }
    for c in &e.cases {
        if !plan.cases.iter().any(|p| p.name == c.name && p.fs == c.fs) {
            issues.push(issue(
                Class::CannotTest,
                format!("result for {}/{} which was not in the plan", c.fs, c.name),
            ));
        }
    }
    for x in &e.errors {
        if let Some(name) = &x.case {
            if !plan.cases.iter().any(|p| &p.name == name) {
                let class = match x.kind {
                    ErrorKind::Crashed => Class::Bad,
                    ErrorKind::NotRun => Class::CannotTest,
                };
                issues.push(issue(class, format!("{name}: {}", x.message)));
            }
        }
    }
    out
}

/// The run's class: the worst of its issues and its cases (a flaky case
/// counts as good when `allow_flaky`).
fn worst(issues: &[Issue], cases: &[CaseJudgement], allow_flaky: bool) -> Class {
    issues
        .iter()
        .map(|i| i.class)
        .chain(cases.iter().map(|c| match c.status {
            CaseStatus::Flaky if allow_flaky => Class::Good,
            s => s.class(),
        }))
        .max()
        .unwrap_or(Class::Good)
}

/// Combines the judgements of repeated boots of one variant. A case that
/// passed in one repeat and was bad in another is flaky: bad, unless
/// `allow_flaky` (then noted, and good). Any other case takes its worst
/// repeat (one a repeat never reached could not be tested there).
/// Run-level issues of every repeat are kept.
pub fn combine_repeats(runs: &[Judgement], allow_flaky: bool) -> Judgement {
    let Some(first) = runs.first() else {
        return Judgement {
            class: Class::CannotTest,
            cases: Vec::new(),
            issues: vec![issue(Class::CannotTest, "no run")],
            notes: Vec::new(),
        };
    };
    if runs.len() == 1 {
        return first.clone();
    }
    let mut issues = Vec::new();
    let mut notes = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        issues.extend(
            r.issues
                .iter()
                .map(|x| issue(x.class, format!("repeat {}: {}", i + 1, x.what))),
        );
        notes.extend(r.notes.iter().map(|n| format!("repeat {}: {n}", i + 1)));
    }
    // Every case any repeat planned or ran, in first-seen order.
    let mut keys: Vec<&CaseJudgement> = Vec::new();
    for r in runs {
        for c in &r.cases {
            if !keys.iter().any(|k| k.key() == c.key()) {
                keys.push(c);
            }
        }
    }
    let mut cases = Vec::new();
    for c in keys {
        // A repeat that never reached the case (it timed out, or died
        // before its plan) could not test it.
        let each: Vec<CaseJudgement> = runs
            .iter()
            .map(|r| {
                r.cases
                    .iter()
                    .find(|x| x.key() == c.key())
                    .cloned()
                    .unwrap_or_else(|| CaseJudgement {
                        verdict: Mapping::Unknown,
                        status: CaseStatus::Missing,
                        why: "not reached in this repeat".into(),
                        ..c.clone()
                    })
            })
            .collect();
        // Flaky: it passed at least once and was bad at least once. Any
        // other mix is judged by its worst repeat (a case that never
        // passed is not excused by --allow-flaky).
        let passed = each.iter().any(|x| x.status == CaseStatus::Pass);
        let bad = each.iter().any(|x| x.status.class() == Class::Bad);
        if !(passed && bad) {
            let worst = each
                .iter()
                .max_by_key(|x| x.status.class())
                .cloned()
                .unwrap_or_else(|| c.clone());
            cases.push(worst);
            continue;
        }
        let all: Vec<String> = each
            .iter()
            .enumerate()
            .map(|(i, x)| {
                format!(
                    "repeat {}: {} {} ({})",
                    i + 1,
                    x.verdict,
                    x.status.word(),
                    x.why
                )
            })
            .collect();
        let why = format!("verdict differs between repeats: {}", all.join("; "));
        if allow_flaky {
            notes.push(format!("{} flaky, allowed by --allow-flaky", c.key()));
        }
        cases.push(CaseJudgement {
            status: CaseStatus::Flaky,
            why,
            ..c.clone()
        });
    }
    Judgement {
        class: worst(&issues, &cases, allow_flaky),
        cases,
        issues,
        notes,
    }
}

/// The exit code of several variants (stock and a series' variants, or a
/// bisect step's variants): the worst class wins; no variant at all is
/// nothing tested.
pub fn combine_variants(classes: &[Class]) -> Class {
    classes.iter().copied().max().unwrap_or(Class::CannotTest)
}

/// The signals a kernel config guarantees: the option that provides each
/// is set (`y`), and for PAGEMAP_SCAN the kernel is 6.7 or newer.
pub fn required_signals(config: &BTreeMap<String, String>, version: (u32, u32)) -> Vec<String> {
    let on = |o: &str| config.get(o).is_some_and(|v| v == "y");
    let mut out = Vec::new();
    if on("PTDUMP_DEBUGFS") {
        out.push(signals::PTDUMP.to_owned());
    }
    if on("PROC_PAGE_MONITOR") && version >= (6, 7) {
        out.push(signals::PAGEMAP_SCAN.to_owned());
    }
    if on("PROC_PAGE_MONITOR") {
        out.push(signals::SMAPS.to_owned());
    }
    if on("FTRACE") && on("FS_DAX") && on("TRACING") {
        out.push(signals::TRACE.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Planned, Skipped};
    use crate::signals::{signal, silent, PAGEMAP_SCAN, PTDUMP, SMAPS, STATX, TRACE, VMSTAT};
    use Mapping::*;

    fn says(name: &str, m: Mapping) -> Signal {
        signal(name, (Some(m), format!("{name} evidence")))
    }
    fn mute(name: &str) -> Signal {
        signal(name, (None, "no data".into()))
    }
    fn absent(name: &str) -> Signal {
        silent(
            name,
            SignalState::Absent,
            "absent: not in this kernel".into(),
        )
    }
    fn failed(name: &str) -> Signal {
        silent(name, SignalState::Failed, "unavailable: EINVAL".into())
    }

    /// Every evidence rule, one row each: (signals, required, mapping,
    /// status, a word of the rule).
    #[test]
    fn evidence_rules() {
        let req = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        #[rustfmt::skip]
        type Row = (Vec<Signal>, Vec<String>, Mapping, CaseStatus, &'static str);
        let rows: Vec<Row> = vec![
            // Two page-table readers agree.
            (
                vec![says(PAGEMAP_SCAN, Pmd), says(PTDUMP, Pmd)],
                req(&[]),
                Pmd,
                CaseStatus::Pass,
                "pagemap-scan and ptdump agree",
            ),
            (
                vec![
                    says(PAGEMAP_SCAN, Pte),
                    says(PTDUMP, Pte),
                    says(TRACE, Pte),
                    mute(SMAPS),
                ],
                req(&[]),
                Pte,
                CaseStatus::Pass,
                "corroborated by trace",
            ),
            // One reader is not enough while the other is there but mute.
            (
                vec![says(PAGEMAP_SCAN, Pmd), mute(PTDUMP), says(TRACE, Pmd)],
                req(&[]),
                Unknown,
                CaseStatus::CannotTell,
                "two page-table readers must agree",
            ),
            // The kernel lacks one (PAGEMAP_SCAN before 6.7): reduced rule, named.
            (
                vec![absent(PAGEMAP_SCAN), says(PTDUMP, Pmd), says(TRACE, Pmd)],
                req(&[]),
                Pmd,
                CaseStatus::Pass,
                "reduced rule: pagemap-scan absent",
            ),
            (
                vec![absent(PAGEMAP_SCAN), says(PTDUMP, Pmd), mute(TRACE)],
                req(&[]),
                Unknown,
                CaseStatus::CannotTell,
                "no other signal could",
            ),
            // ... unless the kernel config guarantees it.
            (
                vec![absent(PAGEMAP_SCAN), says(PTDUMP, Pmd), says(TRACE, Pmd)],
                req(&[PAGEMAP_SCAN]),
                Unknown,
                CaseStatus::SignalFailed,
                "guaranteed by the kernel config but absent",
            ),
            (
                vec![says(PTDUMP, Pmd), says(TRACE, Pmd)],
                req(&[PAGEMAP_SCAN]),
                Unknown,
                CaseStatus::SignalFailed,
                "was not read",
            ),
            // A signal that failed at run time is never dropped.
            (
                vec![failed(TRACE), says(PAGEMAP_SCAN, Pmd), says(PTDUMP, Pmd)],
                req(&[]),
                Unknown,
                CaseStatus::SignalFailed,
                "trace failed: unavailable: EINVAL",
            ),
            // A disagreement is bad even when another signal failed.
            (
                vec![failed(TRACE), says(PAGEMAP_SCAN, Pmd), says(PTDUMP, Pte)],
                req(&[]),
                Unknown,
                CaseStatus::Disagree,
                "signals disagree",
            ),
            // Any disagreement between signals that could tell.
            (
                vec![says(PAGEMAP_SCAN, Pmd), says(PTDUMP, Pte)],
                req(&[]),
                Unknown,
                CaseStatus::Disagree,
                "ptdump=PTE (ptdump evidence)",
            ),
            (
                vec![says(PAGEMAP_SCAN, Pmd), says(PTDUMP, Pmd), says(TRACE, Pte)],
                req(&[]),
                Unknown,
                CaseStatus::Disagree,
                "trace=PTE",
            ),
            (
                vec![says(PAGEMAP_SCAN, Pmd), says(PTDUMP, Pmd), says(SMAPS, Pte)],
                req(&[]),
                Unknown,
                CaseStatus::Disagree,
                "smaps=PTE",
            ),
            (
                vec![
                    says(PAGEMAP_SCAN, Pmd),
                    says(PTDUMP, Pmd),
                    says(VMSTAT, Pte),
                ],
                req(&[]),
                Unknown,
                CaseStatus::Disagree,
                "vmstat=PTE",
            ),
            // vmstat's PTE means "some fallback": a mixed range has that too.
            (
                vec![
                    says(PAGEMAP_SCAN, Mixed),
                    says(PTDUMP, Mixed),
                    says(VMSTAT, Pte),
                ],
                req(&[]),
                Mixed,
                CaseStatus::Pass,
                "corroborated by vmstat",
            ),
            // Not DAX at all: page cache, page tables not compared.
            (
                vec![says(STATX, NotDax), says(PTDUMP, Pmd)],
                req(&[]),
                NotDax,
                CaseStatus::Pass,
                "STATX_ATTR_DAX not set",
            ),
            (
                vec![],
                req(&[]),
                Unknown,
                CaseStatus::CannotTell,
                "none was read",
            ),
            (
                vec![mute(PAGEMAP_SCAN), mute(PTDUMP), says(TRACE, Pmd)],
                req(&[]),
                Unknown,
                CaseStatus::CannotTell,
                "no page-table reader could tell",
            ),
        ];
        for (i, (sigs, required, mapping, status, word)) in rows.into_iter().enumerate() {
            let v = judge_signals(&sigs, &required);
            assert_eq!((v.mapping, v.status), (mapping, status), "row {i}: {v:?}");
            assert!(
                v.rule.contains(word),
                "row {i}: {:?} lacks {word:?}",
                v.rule
            );
        }
    }

    fn bench(name: &str, signals: Vec<Signal>) -> BenchResult {
        BenchResult {
            name: name.into(),
            mapping: Unknown,
            mib: 256,
            faults: 128,
            ns_per_fault: 1.0,
            mib_per_s: 1.0,
            signals,
        }
    }

    /// A benchmark run counts only when both page-table readers agree on
    /// the mapping it was meant to get.
    #[test]
    fn bench_runs_need_both_readers_on_the_intended_mapping() {
        use crate::protocol::{BENCH_PMD_ELIGIBLE as PMD_RUN, BENCH_PTE_FORCED as PTE_RUN};
        let both = |m| vec![says(PAGEMAP_SCAN, m), says(PTDUMP, m)];
        let rows: Vec<(&str, Vec<Signal>, Option<&str>)> = vec![
            (PMD_RUN, both(Pmd), None),
            (PTE_RUN, both(Pte), None),
            (PMD_RUN, both(Pte), Some("got PTE, intended PMD")),
            (PTE_RUN, both(Mixed), Some("got mixed, intended PTE")),
            (PMD_RUN, vec![], Some("no page-table evidence")),
            (
                PMD_RUN,
                vec![says(PAGEMAP_SCAN, Pmd)],
                Some("cannot-tell: only pagemap-scan could tell"),
            ),
            (
                PMD_RUN,
                vec![says(PAGEMAP_SCAN, Pmd), absent(PTDUMP)],
                Some("cannot-tell: only pagemap-scan could tell (ptdump is absent"),
            ),
            (
                PTE_RUN,
                vec![says(PAGEMAP_SCAN, Pte), mute(PTDUMP)],
                Some("cannot-tell: only pagemap-scan could tell; ptdump could not"),
            ),
            (
                PMD_RUN,
                vec![says(PAGEMAP_SCAN, Pmd), failed(PTDUMP)],
                Some("signal-failed: ptdump failed"),
            ),
            (
                PMD_RUN,
                vec![says(PAGEMAP_SCAN, Pmd), says(PTDUMP, Pte)],
                Some("disagree: signals disagree"),
            ),
            ("warm-up", both(Pmd), Some("unknown run \"warm-up\"")),
        ];
        for (i, (name, sigs, want)) in rows.into_iter().enumerate() {
            let b = bench(name, sigs);
            let got = bench_verified(&b);
            match want {
                None => assert_eq!(got, Ok(()), "row {i}"),
                Some(w) => {
                    let why = got.expect_err(&format!("row {i} verified"));
                    assert!(
                        why.starts_with(w),
                        "row {i}: {why:?} does not start with {w:?}"
                    );
                }
            }
            assert_eq!(b.verified(), want.is_none(), "row {i}");
        }
    }

    /// Bench records of older guests have no `signals`: they still decode,
    /// and are unverified.
    #[test]
    fn old_bench_records_decode_unverified() {
        let old = r#"{"name":"pmd-eligible","mapping":"pmd","mib":256,"faults":128,"ns_per_fault":1.0,"mib_per_s":800.0}"#;
        let b: BenchResult = serde_json::from_str(old).unwrap();
        assert!(b.signals.is_empty());
        assert!(!b.verified());
    }

    /// Records from older guests carry no state: it is read from the
    /// evidence prefix the probe always wrote.
    #[test]
    fn state_of_old_records() {
        let old = |says, ev: &str| Signal {
            name: TRACE.into(),
            says,
            evidence: ev.into(),
            state: None,
        };
        assert_eq!(old(Some(Pmd), "x").state(), SignalState::Told);
        assert_eq!(old(None, "unavailable: EIO").state(), SignalState::Failed);
        assert_eq!(old(None, "absent: ENOTTY").state(), SignalState::Absent);
        assert_eq!(old(None, "no event").state(), SignalState::CannotTell);
    }

    fn case(name: &str, expected: Mapping, got: Mapping) -> CaseResult {
        CaseResult {
            name: name.into(),
            fs: "xfs".into(),
            expected,
            verdict: got,
            signals: vec![says(PAGEMAP_SCAN, got), says(PTDUMP, got)],
            disagreement: false,
            duration_ms: 1,
        }
    }

    fn planned(names: &[&str]) -> Plan {
        Plan {
            cases: names
                .iter()
                .map(|n| Planned {
                    name: (*n).into(),
                    fs: "xfs".into(),
                    expected: Pmd,
                })
                .collect(),
            skipped: vec![],
        }
    }

    fn ev(names: &[&str], cases: Vec<CaseResult>) -> Evidence {
        Evidence {
            guest_kernel: Some("6.12.117".into()),
            plan: Some(planned(names)),
            cases,
            required: vec![PTDUMP.into(), PAGEMAP_SCAN.into()],
            ..Evidence::default()
        }
    }

    fn splat(case: Option<&str>, allowed: Option<&str>) -> Splat {
        Splat {
            kind: "warning".into(),
            line: 812,
            text: "WARNING: CPU: 0 PID: 71 at fs/dax.c:1234 dax_iomap_pmd_fault+0x1/0x2".into(),
            case: case.map(Into::into),
            excerpt: "------------[ cut here ]------------".into(),
            allowed: allowed.map(Into::into),
        }
    }

    fn err(case: Option<&str>, kind: ErrorKind) -> GuestError {
        GuestError {
            case: case.map(Into::into),
            kind,
            message: "boom".into(),
        }
    }

    /// Every run-level rule, one row each: (evidence, exit code, a word of
    /// the one-line why).
    #[test]
    fn run_rules() {
        let good = || ev(&["a", "b"], vec![case("a", Pmd, Pmd), case("b", Pmd, Pmd)]);
        let with = |f: &dyn Fn(&mut Evidence)| {
            let mut e = good();
            f(&mut e);
            e
        };
        let rows: Vec<(&str, Evidence, i32, &str)> = vec![
            ("all as expected", good(), 0, "all 2 cases as expected"),
            (
                "mismatch",
                ev(&["a"], vec![case("a", Pmd, Pte)]),
                1,
                "xfs/a mismatch",
            ),
            (
                "series expectation by fs/name",
                with(&|e| {
                    e.expect.insert("xfs/a".into(), Pte);
                }),
                1,
                "xfs/a mismatch",
            ),
            (
                "series expectation by name",
                with(&|e| {
                    e.cases[1] = case("b", Pmd, Pte);
                    e.expect.insert("b".into(), Pte);
                }),
                0,
                "all 2",
            ),
            (
                "planned case without a result",
                with(&|e| {
                    e.cases.pop();
                }),
                125,
                "xfs/b missing",
            ),
            (
                "a result twice",
                with(&|e| e.cases.push(case("b", Pmd, Pmd))),
                125,
                "xfs/b missing",
            ),
            (
                "a result that was not planned",
                with(&|e| e.cases.push(case("c", Pmd, Pmd))),
                125,
                "xfs/c which was not in the plan",
            ),
            (
                "no plan",
                with(&|e| e.plan = None),
                125,
                "did not report its plan",
            ),
            (
                "empty plan",
                ev(&[], vec![]),
                125,
                "the plan has no case to run",
            ),
            (
                "a case that crashed",
                with(&|e| {
                    e.cases.pop();
                    e.errors.push(err(Some("b"), ErrorKind::Crashed));
                }),
                1,
                "xfs/b crashed",
            ),
            (
                "a case that could not run",
                with(&|e| {
                    e.cases.pop();
                    e.errors.push(err(Some("b"), ErrorKind::NotRun));
                }),
                125,
                "xfs/b missing",
            ),
            (
                "a guest error outside any case",
                with(&|e| e.errors.push(err(None, ErrorKind::Crashed))),
                125,
                "guest: boom",
            ),
            (
                "a setup step failed",
                with(&|e| e.setup_failed.push("mkfs dax-ext4: ENOSPC".into())),
                125,
                "setup failed: mkfs dax-ext4",
            ),
            (
                "a splat during a case",
                with(&|e| e.splats.push(splat(Some("xfs/b"), None))),
                1,
                "xfs/b splat",
            ),
            (
                "a splat outside any case",
                with(&|e| e.splats.push(splat(None, None))),
                1,
                "kernel warning at console line 812 (outside any case)",
            ),
            (
                "a known issue",
                with(&|e| e.splats.push(splat(Some("xfs/b"), Some("bug 1 (link)")))),
                0,
                "all 2",
            ),
            (
                "bad beats cannot test",
                with(&|e| {
                    e.cases[0] = case("a", Pmd, Pte);
                    e.cases.pop();
                }),
                1,
                "xfs/a mismatch",
            ),
            (
                "interrupted beats all",
                with(&|e| {
                    e.outcome = Outcome::Interrupted;
                    e.cases[0] = case("a", Pmd, Pte);
                }),
                130,
                "interrupted",
            ),
            (
                "panic during boot",
                Evidence {
                    outcome: Outcome::Panic,
                    detail: "Kernel panic - not syncing: VFS".into(),
                    ..Evidence::default()
                },
                125,
                "kernel died during boot",
            ),
            (
                "panic during the cases",
                with(&|e| {
                    e.outcome = Outcome::Panic;
                    e.cases.pop();
                }),
                1,
                "kernel died during the cases",
            ),
            (
                "timeout",
                with(&|e| {
                    e.outcome = Outcome::Timeout;
                    e.detail = "timeout in cases (300 s)".into();
                    e.cases.pop();
                }),
                125,
                "timeout in cases",
            ),
            (
                "a garbled result stream",
                with(&|e| {
                    e.outcome = Outcome::ProtocolError;
                    e.detail = "result stream: garbled result record on line 9".into();
                    e.cases.pop();
                }),
                125,
                "garbled result record",
            ),
            (
                "a crash of something not in the plan",
                with(&|e| e.errors.push(err(Some("z"), ErrorKind::Crashed))),
                1,
                "z: boom",
            ),
            (
                "the benchmark (not a case) failed",
                with(&|e| e.errors.push(err(Some("bench"), ErrorKind::NotRun))),
                125,
                "bench: boom",
            ),
            (
                "QEMU failed",
                Evidence {
                    outcome: Outcome::QemuFailed,
                    detail: "QEMU failed (exit 1)".into(),
                    ..Evidence::default()
                },
                125,
                "QEMU failed",
            ),
            (
                "the series broke the build",
                Evidence {
                    outcome: Outcome::BuildFailed,
                    detail: "fs/dax.c:1: error".into(),
                    build_blame: Blame::Series,
                    ..Evidence::default()
                },
                1,
                "the series does not build",
            ),
            (
                "the base does not build",
                Evidence {
                    outcome: Outcome::BuildFailed,
                    detail: "fs/dax.c:1: error".into(),
                    build_blame: Blame::Base,
                    ..Evidence::default()
                },
                125,
                "cannot build",
            ),
        ];
        for (what, e, code, word) in rows {
            let j = judge(&e);
            assert_eq!(j.code(), code, "{what}: {}", j.why());
            assert!(
                j.why().contains(word),
                "{what}: {:?} lacks {word:?}",
                j.why()
            );
        }
    }

    fn ktest(name: &str, result: KtapResult, diagnostic: &[&str]) -> KtapTest {
        KtapTest {
            name: name.into(),
            result,
            directive: if result == KtapResult::Skip {
                "SKIP no hardware".into()
            } else {
                String::new()
            },
            diagnostic: diagnostic.iter().map(|d| d.to_string()).collect(),
            line: 40,
        }
    }

    fn ksuite(result: Option<KtapResult>, tests: Vec<KtapTest>) -> KtapSuite {
        KtapSuite {
            name: "dax_pmd".into(),
            line: 30,
            tests,
            result,
            diagnostic: vec!["dax_pmd: pass:1 fail:0 skip:0 total:1".into()],
        }
    }

    /// KUnit results from the console, one rule a row: (what, suites,
    /// exit code, a word of the one-line why, each KUnit case's
    /// `key status`).
    #[test]
    fn ktap_rules() {
        use KtapResult::{NotOk, Ok as KOk, Skip};
        let good = || ev(&["a"], vec![case("a", Pmd, Pmd)]);
        type Row<'a> = (&'a str, Vec<KtapSuite>, i32, &'a str, Vec<&'a str>);
        let rows: Vec<Row> = vec![
            (
                "every test ok",
                vec![ksuite(Some(KOk), vec![ktest("t1", KOk, &[])])],
                0,
                "all 2 cases as expected",
                vec!["kunit/dax_pmd.t1 pass"],
            ),
            (
                "a skip is skipped, not a pass or a failure",
                vec![ksuite(
                    Some(KOk),
                    vec![ktest("t1", KOk, &[]), ktest("t2", Skip, &[])],
                )],
                0,
                "all 2 cases as expected",
                vec!["kunit/dax_pmd.t1 pass", "kunit/dax_pmd.t2 skipped"],
            ),
            (
                "not ok fails with its diagnostic lines",
                vec![ksuite(
                    Some(NotOk),
                    vec![
                        ktest("t1", KOk, &[]),
                        ktest("t2", NotOk, &["t2: EXPECTATION FAILED at x.c:9"]),
                    ],
                )],
                1,
                "kunit/dax_pmd.t2 failed",
                vec!["kunit/dax_pmd.t1 pass", "kunit/dax_pmd.t2 failed"],
            ),
            (
                "a suite that never finished fails",
                vec![ksuite(None, vec![ktest("t1", KOk, &[])])],
                1,
                "kunit/dax_pmd failed",
                vec!["kunit/dax_pmd.t1 pass", "kunit/dax_pmd failed"],
            ),
            (
                "a suite not ok with every test ok (init failed) fails",
                vec![ksuite(Some(NotOk), vec![ktest("t1", KOk, &[])])],
                1,
                "kunit/dax_pmd failed",
                vec!["kunit/dax_pmd.t1 pass", "kunit/dax_pmd failed"],
            ),
            (
                "a suite skipped as a whole",
                vec![ksuite(Some(Skip), vec![])],
                0,
                "all 1 cases as expected",
                vec!["kunit/dax_pmd skipped"],
            ),
        ];
        for (what, suites, code, word, want) in rows {
            let mut e = good();
            e.ktap = suites;
            let j = judge(&e);
            assert_eq!(j.code(), code, "{what}: {}", j.why());
            assert!(
                j.why().contains(word),
                "{what}: {:?} lacks {word:?}",
                j.why()
            );
            let got: Vec<String> = j
                .cases
                .iter()
                .filter(|c| c.fs == KUNIT)
                .map(|c| format!("{} {}", c.key(), c.status.word()))
                .collect();
            assert_eq!(got, want, "{what}");
        }
        // The diagnostic lines are the failure's evidence.
        let mut e = good();
        e.ktap = vec![ksuite(
            Some(NotOk),
            vec![ktest(
                "t2",
                NotOk,
                &["t2: EXPECTATION FAILED at x.c:9", "Expected a == b"],
            )],
        )];
        let j = judge(&e);
        let c = j.cases.iter().find(|c| c.name == "dax_pmd.t2").unwrap();
        assert_eq!(
            c.why,
            "not ok at console line 40: t2: EXPECTATION FAILED at x.c:9 | Expected a == b"
        );
        // KUnit runs before the guest's hello: a boot that then died still
        // reports its KUnit failures (bad beats the boot's cannot-test).
        let e = Evidence {
            outcome: Outcome::Timeout,
            detail: "no hello".into(),
            ktap: vec![ksuite(Some(NotOk), vec![ktest("t2", NotOk, &[])])],
            ..Evidence::default()
        };
        let j = judge(&e);
        assert_eq!(j.code(), exit::BAD, "{}", j.why());
        assert!(j.why().contains("kunit/dax_pmd.t2 failed"), "{}", j.why());
    }

    #[test]
    fn a_plan_that_skips_everything_tested_nothing() {
        let mut e = ev(&[], vec![]);
        e.plan.as_mut().unwrap().skipped.push(Skipped {
            name: "d".into(),
            fs: "xfs".into(),
            expected: Pmd,
            reason: "memmap".into(),
        });
        assert_eq!(judge(&e).code(), 125);
    }

    #[test]
    fn unknown_config_is_said() {
        let mut e = ev(&["a"], vec![case("a", Pmd, Pmd)]);
        e.required.clear();
        let j = judge(&e);
        assert_eq!(j.code(), 0);
        assert!(
            j.notes.iter().any(|n| n.contains("no kernel config")),
            "{j:?}"
        );
    }

    #[test]
    fn skipped_cases_have_their_own_status_and_exit_0() {
        let mut e = ev(&["a"], vec![case("a", Pmd, Pmd)]);
        e.plan.as_mut().unwrap().skipped.push(Skipped {
            name: "d".into(),
            fs: "xfs".into(),
            expected: Pmd,
            reason: "pmem mode memmap has no 4 KiB namespace".into(),
        });
        let j = judge(&e);
        assert_eq!(j.code(), 0);
        let d = j.cases.iter().find(|c| c.name == "d").unwrap();
        assert_eq!(d.status, CaseStatus::Skipped);
        assert!(j.why().contains("1 skipped by the plan"), "{}", j.why());
        assert!(
            j.notes.iter().any(|n| n.contains("memmap")),
            "{:?}",
            j.notes
        );
    }

    #[test]
    fn repeats_find_flaky_cases() {
        let a = judge(&ev(
            &["a", "b"],
            vec![case("a", Pmd, Pmd), case("b", Pmd, Pmd)],
        ));
        let b = judge(&ev(
            &["a", "b"],
            vec![case("a", Pmd, Pmd), case("b", Pmd, Pte)],
        ));
        assert_eq!(combine_repeats(&[a.clone(), a.clone()], false).code(), 0);
        let flaky = combine_repeats(&[a.clone(), b.clone()], false);
        assert_eq!(flaky.code(), 1);
        let fb = flaky.cases.iter().find(|c| c.name == "b").unwrap();
        assert_eq!(fb.status, CaseStatus::Flaky);
        assert!(
            fb.why.contains("repeat 1: PMD pass") && fb.why.contains("repeat 2: PTE mismatch"),
            "{}",
            fb.why
        );
        let allowed = combine_repeats(&[a.clone(), b.clone()], true);
        assert_eq!(allowed.code(), 0);
        assert!(allowed
            .notes
            .iter()
            .any(|n| n.contains("allowed by --allow-flaky")));
        // Consistently bad is bad, not flaky.
        assert_eq!(combine_repeats(&[b.clone(), b.clone()], true).code(), 1);
        // Never passed is not flaky either, even when its verdicts differ.
        let mixed = judge(&ev(
            &["a", "b"],
            vec![case("a", Pmd, Pmd), case("b", Pmd, Mixed)],
        ));
        assert_eq!(combine_repeats(&[b.clone(), mixed], true).code(), 1);
        // A repeat that died before the cases could not test them: 125,
        // not "flaky" (which would be 1 and mislead a bisect).
        let died = judge(&Evidence {
            outcome: Outcome::Panic,
            detail: "Kernel panic - not syncing: VFS".into(),
            ..Evidence::default()
        });
        let j = combine_repeats(&[a.clone(), died], false);
        assert_eq!(j.code(), 125, "{}", j.why());
        assert!(
            j.cases.iter().all(|c| c.status == CaseStatus::Missing),
            "{j:?}"
        );
        // A run-level problem in any repeat stays.
        let timeout = judge(&Evidence {
            outcome: Outcome::Timeout,
            detail: "timeout in boot (60 s)".into(),
            ..Evidence::default()
        });
        let j = combine_repeats(&[a.clone(), timeout], true);
        assert_eq!(j.code(), 125, "{}", j.why());
        assert!(j.why().contains("repeat 2: timeout in boot"), "{}", j.why());
    }

    #[test]
    fn variants_combine_worst_first() {
        use Class::*;
        assert_eq!(combine_variants(&[]), CannotTest);
        assert_eq!(combine_variants(&[Good, Good]).code(), 0);
        assert_eq!(combine_variants(&[Good, CannotTest]).code(), 125);
        assert_eq!(combine_variants(&[CannotTest, Bad, Good]).code(), 1);
        assert_eq!(combine_variants(&[Bad, Interrupted]).code(), 130);
    }

    #[test]
    fn required_signals_follow_the_config() {
        let cfg: BTreeMap<String, String> = [
            ("PTDUMP_DEBUGFS", "y"),
            ("PROC_PAGE_MONITOR", "y"),
            ("FTRACE", "y"),
            ("TRACING", "y"),
            ("FS_DAX", "y"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            required_signals(&cfg, (6, 12)),
            [PTDUMP, PAGEMAP_SCAN, SMAPS, TRACE]
        );
        // PAGEMAP_SCAN is 6.7+.
        assert_eq!(required_signals(&cfg, (6, 1)), [PTDUMP, SMAPS, TRACE]);
        assert!(required_signals(&BTreeMap::new(), (6, 12)).is_empty());
    }
}
