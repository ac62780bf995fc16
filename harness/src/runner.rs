//! The run: which environments to set up, in which order, and which cases
//! run in each; then setting each one up (pmem → mkfs → mount → DAX proof),
//! running its cases in child processes, and tearing it down.
//!
//! [`select`] is the pure part (plan + case list → environments, cases and
//! the error records for what cannot run). The invariant the host relies
//! on: every selected case yields exactly one `case` or `error` record.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::case::{Case, Env, Needs};
use crate::fs::{self, FsType};
use crate::pmem::{self, FsdaxPlan, Sysfs, SZ_2M, SZ_4K};
use crate::protocol::{
    CaseMark, CaseResult, ErrorKind, Fault, Mapping, Plan, Planned, PmemMode, Record, RunPlan,
    Skipped,
};
use crate::report::Sink;
use crate::{child, kmsg, sys};

use crate::{bench, cases};

/// Per-case limit; a case that runs longer is killed and reported.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Which fsdax namespace an environment sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The first NVDIMM, pfn alignment 2 MiB.
    Align2M,
    /// The second NVDIMM, pfn alignment 4 KiB.
    Align4K,
}

impl Slot {
    pub fn align(self) -> u64 {
        match self {
            Slot::Align2M => SZ_2M,
            Slot::Align4K => SZ_4K,
        }
    }

    /// Index of the NVDIMM region (QEMU device order).
    fn region_index(self) -> usize {
        match self {
            Slot::Align2M => 0,
            Slot::Align4K => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvSpec {
    pub needs: Needs,
    pub name: &'static str,
    pub fs: FsType,
    pub dax: bool,
    pub slot: Slot,
}

impl EnvSpec {
    pub fn mountpoint(&self) -> PathBuf {
        PathBuf::from("/mnt").join(self.name)
    }
}

/// The environments, in run order.
pub const ENVS: [EnvSpec; 4] = [
    EnvSpec {
        needs: Needs::DaxXfs,
        name: "dax-xfs",
        fs: FsType::Xfs,
        dax: true,
        slot: Slot::Align2M,
    },
    EnvSpec {
        needs: Needs::NoDaxXfs,
        name: "nodax-xfs",
        fs: FsType::Xfs,
        dax: false,
        slot: Slot::Align2M,
    },
    EnvSpec {
        needs: Needs::DaxExt4,
        name: "dax-ext4",
        fs: FsType::Ext4,
        dax: true,
        slot: Slot::Align2M,
    },
    EnvSpec {
        needs: Needs::Dax4kXfs,
        name: "dax4k-xfs",
        fs: FsType::Xfs,
        dax: true,
        slot: Slot::Align4K,
    },
];

pub fn spec(needs: Needs) -> &'static EnvSpec {
    // ENVS covers every Needs variant (see the `every_need_has_an_env` test).
    ENVS.iter().find(|e| e.needs == needs).unwrap_or(&ENVS[0])
}

/// What to run.
pub struct Selection<'a> {
    pub envs: Vec<(EnvSpec, Vec<&'a Case>)>,
    /// Records to send first: errors for what cannot run (unknown names,
    /// excluded filesystems) and setup notes for what is left out.
    pub errors: Vec<Record>,
    /// Cases the plan leaves out, with the reason.
    pub skipped: Vec<Skipped>,
}

impl Selection<'_> {
    /// The plan record: every case that will run, on its filesystem.
    pub fn plan(&self) -> Plan {
        Plan {
            cases: self
                .envs
                .iter()
                .flat_map(|(spec, cases)| {
                    cases.iter().map(|c| Planned {
                        name: c.name.to_owned(),
                        fs: spec.fs.name().to_owned(),
                        expected: c.expected,
                    })
                })
                .collect(),
            skipped: self.skipped.clone(),
        }
    }
}

/// A case (or the run, `case: None`) that failed while running.
fn error(case: Option<&str>, message: String) -> Record {
    Record::Error {
        case: case.map(Into::into),
        kind: ErrorKind::Crashed,
        message,
    }
}

/// A case that could not run: its environment is missing or failed.
fn not_run_error(case: &str, message: String) -> Record {
    Record::Error {
        case: Some(case.into()),
        kind: ErrorKind::NotRun,
        message,
    }
}

/// Turns the plan into environments with their cases. Pure.
///
/// With no case filter every environment the filesystems allow is set up,
/// even without cases: proving DAX on each is a result in itself. With a
/// filter, only environments some selected case needs.
pub fn select<'a>(plan: &RunPlan, all: &'a [Case]) -> Selection<'a> {
    let mut errors = Vec::new();
    let mut fss = Vec::new();
    if plan.filesystems.is_empty() {
        fss = vec![FsType::Xfs, FsType::Ext4];
    }
    for name in &plan.filesystems {
        match FsType::parse(name) {
            Some(f) => fss.push(f),
            None => errors.push(error(
                None,
                format!("unknown filesystem {name:?} in the run plan (known: xfs, ext4)"),
            )),
        }
    }
    let mut chosen: Vec<&Case> = Vec::new();
    for name in &plan.cases {
        match all.iter().find(|c| c.name == name) {
            Some(c) if !chosen.iter().any(|x| x.name == c.name) => chosen.push(c),
            Some(_) => {}
            None => errors.push(not_run_error(
                name,
                format!(
                    "unknown case (known: {})",
                    all.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    if plan.cases.is_empty() {
        chosen = all.iter().collect();
    }
    let mut envs = Vec::new();
    let mut skipped = Vec::new();
    for spec in ENVS {
        let cases: Vec<&Case> = all
            .iter()
            .filter(|c| c.needs == spec.needs && chosen.iter().any(|x| x.name == c.name))
            .collect();
        let not_run = |why: String, errors: &mut Vec<Record>| {
            if cases.is_empty() {
                errors.push(error(None, format!("{} skipped: {why}", spec.name)));
            }
            for c in &cases {
                errors.push(not_run_error(c.name, format!("not run: {why}")));
            }
        };
        if !fss.contains(&spec.fs) {
            // Without a case list, the filesystems narrow the selection;
            // a case asked for by name but excluded is an error.
            if !plan.cases.is_empty() && !cases.is_empty() {
                not_run(
                    format!(
                        "{} needs {}, which the plan's filesystems {:?} exclude",
                        spec.name,
                        spec.fs.name(),
                        plan.filesystems
                    ),
                    &mut errors,
                );
            }
            continue;
        }
        if !plan.cases.is_empty() && cases.is_empty() {
            continue;
        }
        if plan.pmem == PmemMode::Memmap && spec.slot == Slot::Align4K {
            // Like a filesystem left out: without a case list the pmem
            // mode narrows the selection (reported, not an error); a case
            // asked for by name that cannot run is an error.
            if plan.cases.is_empty() {
                skipped.extend(cases.iter().map(|c| Skipped {
                    name: c.name.to_owned(),
                    fs: spec.fs.name().to_owned(),
                    expected: c.expected,
                    reason: format!(
                        "{}: pmem mode memmap has a single legacy /dev/pmem0 with no pfn \
                         device, so no 4 KiB-aligned fsdax namespace",
                        spec.name
                    ),
                }));
                continue;
            }
            not_run(
                format!(
                    "{} needs a second NVDIMM with a 4 KiB-aligned fsdax namespace; \
                     pmem mode memmap has a single legacy /dev/pmem0 with no pfn device",
                    spec.name
                ),
                &mut errors,
            );
            continue;
        }
        envs.push((spec, cases));
    }
    Selection {
        envs,
        errors,
        skipped,
    }
}

/// Runs one case in a child process; a crash, panic or timeout becomes an
/// error record for that case. Case markers on the console bracket it, so
/// the host attributes a kernel splat to the case it fired in.
pub fn run_case(case: &Case, env: &Env, timeout: Duration) -> Record {
    let key = format!("{}/{}", env.fs, case.name);
    kmsg::log(&CaseMark::Start(&key).message());
    hooks::during_case();
    let start = Instant::now();
    let outcome = child::run(timeout, || (case.run)(case, env));
    kmsg::log(&CaseMark::End(&key).message());
    let rec = match outcome {
        Ok(Ok(r)) => Record::Case(r),
        Ok(Err(msg)) => error(Some(case.name), format!("[{}] {msg}", env.fs)),
        // The guest could not even start the case: infrastructure.
        Err(e) => not_run_error(
            case.name,
            format!("fork for the case failed: {}", sys::errno_text(&e)),
        ),
    };
    match &rec {
        Record::Case(r) => kmsg::log(&format!(
            "case {} on {}: expected {} got {} ({} ms)",
            case.name,
            env.fs,
            r.expected,
            r.verdict,
            start.elapsed().as_millis()
        )),
        Record::Error { message, .. } => kmsg::warn(&format!("case {}: {message}", case.name)),
        _ => {}
    }
    rec
}

/// Runs `cases` on a prepared environment, one record each.
pub fn run_cases(env: &Env, cases: &[&Case], timeout: Duration, sink: &mut dyn Sink) {
    for case in cases {
        let rec = run_case(case, env, timeout);
        if let Some(rec) = hooks::after_case(rec) {
            sink.send(rec);
        }
        sys::reap_zombies();
    }
}

/// The `test-hooks` faults, applied to the first case that runs; without
/// the feature they do nothing (and [`run_guest`] says so).
mod hooks {
    use crate::protocol::{Fault, Record};
    use std::sync::atomic::{AtomicU8, Ordering};

    /// The fault still to inject: 0 none, else `Fault` as 1 + index.
    static PENDING: AtomicU8 = AtomicU8::new(0);
    const FAULTS: [Fault; 3] = [Fault::Disagree, Fault::Splat, Fault::DropResult];

    pub fn arm(f: Option<Fault>) {
        let i = FAULTS.iter().position(|x| Some(*x) == f);
        PENDING.store(i.map_or(0, |i| i as u8 + 1), Ordering::SeqCst);
    }

    fn take() -> Option<Fault> {
        match PENDING.swap(0, Ordering::SeqCst) {
            0 => None,
            i => FAULTS.get(i as usize - 1).copied(),
        }
    }

    /// While the first case runs (between its console markers).
    pub fn during_case() {
        if cfg!(feature = "test-hooks") && PENDING.load(Ordering::SeqCst) == 2 {
            take();
            // A kernel-shaped warning, as the console scanner sees one;
            // written raw (no `daxkit:` prefix) at KERN_WARNING.
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open("/dev/kmsg") {
                use std::io::Write;
                let _ = f.write_all(
                    b"<4>WARNING: CPU: 0 PID: 1 at harness/src/runner.rs:0 daxkit_test_hook+0x0/0x0\n",
                );
            }
        }
    }

    /// The first case's record, changed by the armed fault.
    pub fn after_case(rec: Record) -> Option<Record> {
        if !cfg!(feature = "test-hooks") || !matches!(rec, Record::Case(_)) {
            return Some(rec);
        }
        match PENDING.load(Ordering::SeqCst) {
            1 => {
                take();
                let Record::Case(mut c) = rec else {
                    return None;
                };
                if let Some(s) = c.signals.iter_mut().find(|s| s.name == "trace") {
                    let pt = c.verdict;
                    s.says = Some(if pt == crate::protocol::Mapping::Pmd {
                        crate::protocol::Mapping::Pte
                    } else {
                        crate::protocol::Mapping::Pmd
                    });
                    s.state = Some(crate::protocol::SignalState::Told);
                    s.evidence = format!("test hook: forced to contradict {pt}");
                }
                Some(Record::Case(c))
            }
            3 => {
                take();
                None
            }
            _ => Some(rec),
        }
    }
}

fn injected_panic(_: &Case, _: &Env) -> Result<CaseResult, String> {
    panic!("injected fault: case-panic (this panic must become an error record)");
}

/// The case run for `Fault::CasePanic`.
pub const PANIC_CASE: Case = Case {
    name: "fault-case-panic",
    description: "panics on purpose to test crash handling",
    needs: Needs::DaxXfs,
    expected: Mapping::Unknown,
    reason: "fault injection",
    run: injected_panic,
};

/// The guest run after boot: pmem, then each environment in order.
pub fn run_guest(plan: &RunPlan, sink: &mut dyn Sink, timeout: Duration) {
    let all = cases::all();
    let sel = select(plan, &all);
    let mut announced = sel.plan();
    if plan.fault == Some(Fault::CasePanic) {
        announced.cases.insert(
            0,
            Planned {
                name: PANIC_CASE.name.into(),
                fs: "none".into(),
                expected: PANIC_CASE.expected,
            },
        );
    }
    sink.send(Record::Plan(announced));
    for e in sel.errors {
        sink.send(e);
    }
    if let Some(f) = plan.fault.filter(|f| f.needs_test_hooks()) {
        if cfg!(feature = "test-hooks") {
            hooks::arm(Some(f));
        } else {
            sink.send(error(
                None,
                format!("fault {f:?} needs a harness built with --features test-hooks"),
            ));
        }
    }
    if plan.fault == Some(Fault::CasePanic) {
        let env = Env {
            needs: Needs::DaxXfs,
            fs: "none",
            dir: PathBuf::from("/tmp"),
            device: PathBuf::new(),
        };
        sink.send(run_case(&PANIC_CASE, &env, timeout));
    }
    let mut slots: Vec<Slot> = Vec::new();
    for (spec, _) in &sel.envs {
        if !slots.contains(&spec.slot) {
            slots.push(spec.slot);
        }
    }
    let devices = setup_pmem(plan.pmem, &slots, sink);
    let mut bench_done = false;
    // The filesystem the previous environment left cleanly unmounted:
    // dax-xfs and nodax-xfs share it, so the only difference between them
    // is the mount option (same on-disk layout), and a mkfs is saved.
    let mut made: Option<(Slot, FsType, &'static str)> = None;
    for (spec, cases) in &sel.envs {
        let dev = match devices.get(&spec.slot) {
            Some(Ok(d)) => d,
            Some(Err(why)) => {
                not_run(sink, spec, cases, &format!("no pmem device: {why}"));
                continue;
            }
            None => continue,
        };
        let reuse = made
            .take()
            .filter(|&(slot, fs, _)| slot == spec.slot && fs == spec.fs)
            .map(|(_, _, by)| by);
        let Some(env) = setup_env(spec, dev, reuse, sink) else {
            not_run(sink, spec, cases, "environment setup failed");
            continue;
        };
        run_cases(&env, cases, timeout, sink);
        if spec.needs == Needs::DaxXfs {
            if let Some(mib) = plan.bench_mib {
                run_bench(&env, mib, timeout, sink);
                bench_done = true;
            }
        }
        let step = format!("umount {}", spec.name);
        match fs::umount(&env.dir) {
            Ok(()) => {
                setup(sink, &step, true, env.dir.display().to_string());
                made = Some((spec.slot, spec.fs, spec.name));
            }
            Err(e) => sink.send(error(None, e)),
        }
        sys::reap_zombies();
    }
    if plan.bench_mib.is_some() && !bench_done {
        sink.send(error(
            None,
            "benchmark not run: it needs the dax-xfs environment, which was not set up".into(),
        ));
    }
}

fn not_run(sink: &mut dyn Sink, spec: &EnvSpec, cases: &[&Case], why: &str) {
    for c in cases {
        sink.send(not_run_error(
            c.name,
            format!("not run: {}: {why}", spec.name),
        ));
    }
}

fn setup(sink: &mut dyn Sink, step: &str, ok: bool, detail: String) {
    kmsg::log(&format!("{step}: {detail}"));
    sink.send(Record::Setup {
        step: step.into(),
        ok,
        detail,
    });
}

/// Benchmarks run in a child too: they fault in a lot of memory.
pub fn run_bench(env: &Env, mib: u64, timeout: Duration, sink: &mut dyn Sink) {
    let limit = timeout.max(Duration::from_secs(mib / 8 + 60));
    match child::run(limit, || Ok(bench::run(env, mib))) {
        Ok(Ok(results)) => {
            for r in results {
                sink.send(Record::Bench(r));
            }
        }
        // The benchmark is not a case: its failure means no numbers
        // (cannot test), not a misbehaving kernel.
        Ok(Err(msg)) => sink.send(not_run_error("bench", msg)),
        Err(e) => sink.send(not_run_error("bench", sys::errno_text(&e))),
    }
}

/// mkfs, mount, prove the DAX state. `None` after an error record.
/// `reuse`: the environment whose filesystem on this device can be mounted
/// again instead of making a new one.
fn setup_env(
    spec: &EnvSpec,
    dev: &pmem::Device,
    reuse: Option<&str>,
    sink: &mut dyn Sink,
) -> Option<Env> {
    let dir = spec.mountpoint();
    let made = match reuse {
        Some(by) => Ok(format!(
            "reusing the {} made for {by} on {}",
            spec.fs.name(),
            dev.dev.display()
        )),
        None => fs::mkfs(spec.fs, &dev.dev),
    };
    match made {
        Ok(d) => setup(sink, &format!("mkfs {}", spec.name), true, d),
        Err(e) => {
            sink.send(error(None, format!("{}: {e}", spec.name)));
            return None;
        }
    }
    match fs::mount(spec.fs, &dev.dev, &dir, spec.dax) {
        Ok(d) => setup(sink, &format!("mount {}", spec.name), true, d),
        Err(e) => {
            sink.send(error(None, format!("{}: {e}", spec.name)));
            return None;
        }
    }
    match fs::prove_dax(&dir, spec.dax) {
        Ok(d) => setup(sink, &format!("dax {}", spec.name), true, d),
        Err(e) => {
            sink.send(error(None, format!("{}: {e}", spec.name)));
            let _ = fs::umount(&dir);
            return None;
        }
    }
    Some(Env {
        needs: spec.needs,
        fs: spec.fs.name(),
        dir,
        device: dev.dev.clone(),
    })
}

/// Brings up the fsdax namespaces the environments need, one per slot.
fn setup_pmem(
    mode: PmemMode,
    slots: &[Slot],
    sink: &mut dyn Sink,
) -> HashMap<Slot, Result<pmem::Device, String>> {
    let mut out = HashMap::new();
    if slots.is_empty() {
        return out;
    }
    if mode == PmemMode::Memmap {
        let d = pmem::memmap_device();
        report_device(sink, "pmem memmap", &d);
        for s in slots {
            out.insert(*s, d.clone());
        }
        return out;
    }
    let sys = Sysfs::default();
    let regions = match pmem::scan(&sys) {
        Ok(r) if r.is_empty() => Err(format!(
            "no NVDIMM region under {} (QEMU: -machine nvdimm=on and -device nvdimm; \
             kernel: CONFIG_ACPI_NFIT, CONFIG_LIBNVDIMM)",
            sys.devices.display()
        )),
        Ok(r) => Ok(r),
        Err(e) => Err(e.to_string()),
    };
    for slot in slots {
        let res = regions.clone().and_then(|regions| {
            let i = slot.region_index();
            let region = regions.get(i).ok_or_else(|| {
                format!(
                    "found {} NVDIMM region(s), the {}-aligned namespace needs region{i} \
                     (one more -device nvdimm)",
                    regions.len(),
                    human_size(slot.align())
                )
            })?;
            convert(&sys, region, slot.align())
        });
        report_device(sink, &format!("fsdax {}", human_size(slot.align())), &res);
        out.insert(*slot, res);
    }
    out
}

fn convert(sys: &Sysfs, region: &pmem::Region, align: u64) -> Result<pmem::Device, String> {
    let plan = pmem::plan_fsdax(region, align, &pmem::new_uuid()?, &pmem::new_uuid()?)?;
    let dev = pmem::apply(sys, region, &plan).map_err(|e| format!("{}: {e}", region.name))?;
    if dev.align != align {
        let how = match plan {
            FsdaxPlan::Existing { .. } => " (an fsdax info block from an earlier run?)",
            FsdaxPlan::Convert { .. } => "",
        };
        return Err(format!(
            "{}: {} has align {}, wanted {align}{how}",
            region.name, dev.holder, dev.align
        ));
    }
    Ok(dev)
}

fn report_device(sink: &mut dyn Sink, step: &str, d: &Result<pmem::Device, String>) {
    match d {
        Ok(d) => {
            let mut detail = format!(
                "{} on {}/{} align {} size {} MiB, data at {}",
                d.dev.display(),
                d.region,
                d.holder,
                match d.align {
                    0 => "n/a (no pfn device)".to_string(),
                    a => a.to_string(),
                },
                d.size >> 20,
                match d.data_start {
                    Some(a) if a % SZ_2M == 0 => format!("{a:#x} (2 MiB aligned)"),
                    Some(a) => format!("{a:#x} (NOT 2 MiB aligned)"),
                    None => "? (no resource attribute)".into(),
                }
            );
            if !d.log.is_empty() {
                detail += &format!("; {}", d.log.join(", "));
            }
            setup(sink, step, true, detail);
        }
        Err(e) => {
            kmsg::warn(&format!("{step}: {e}"));
            sink.send(error(None, format!("{step}: {e}")));
        }
    }
}

fn human_size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n % 1024 == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &Case, env: &Env) -> Result<CaseResult, String> {
        Ok(CaseResult {
            name: "x".into(),
            fs: env.fs.into(),
            expected: Mapping::Pmd,
            verdict: Mapping::Pmd,
            signals: vec![],
            disagreement: false,
            duration_ms: 0,
        })
    }

    fn case(name: &'static str, needs: Needs) -> Case {
        Case {
            name,
            description: "",
            needs,
            expected: Mapping::Pmd,
            reason: "",
            run: ok,
        }
    }

    fn cases() -> Vec<Case> {
        vec![
            case("a-xfs", Needs::DaxXfs),
            case("b-ext4", Needs::DaxExt4),
            case("c-nodax", Needs::NoDaxXfs),
            case("d-4k", Needs::Dax4kXfs),
        ]
    }

    fn summary(sel: &Selection) -> (Vec<String>, Vec<String>) {
        let envs = sel
            .envs
            .iter()
            .map(|(s, c)| {
                let names: Vec<_> = c.iter().map(|c| c.name).collect();
                format!("{}:{}", s.name, names.join(","))
            })
            .collect();
        let errs = sel
            .errors
            .iter()
            .map(|e| match e {
                Record::Error { case, message, .. } => {
                    format!("{}|{message}", case.as_deref().unwrap_or("-"))
                }
                Record::Setup { step, detail, .. } => format!("setup {step}|{detail}"),
                _ => unreachable!(),
            })
            .collect();
        (envs, errs)
    }

    fn check(plan: &RunPlan, envs: &[&str], errs: &[&str]) {
        let all = cases();
        let (e, r) = summary(&select(plan, &all));
        assert_eq!(e, envs);
        assert_eq!(r.len(), errs.len(), "{r:?}");
        for (got, want) in r.iter().zip(errs) {
            assert!(
                got.starts_with(want),
                "{got:?} does not start with {want:?}"
            );
        }
    }

    #[test]
    fn default_plan_runs_everything_in_order() {
        check(
            &RunPlan::default(),
            &[
                "dax-xfs:a-xfs",
                "nodax-xfs:c-nodax",
                "dax-ext4:b-ext4",
                "dax4k-xfs:d-4k",
            ],
            &[],
        );
    }

    #[test]
    fn plan_json_with_defaults_and_filters() {
        let plan: RunPlan =
            serde_json::from_str(r#"{"cases":["b-ext4","nope","b-ext4"],"filesystems":["ext4"]}"#)
                .unwrap();
        check(
            &plan,
            &["dax-ext4:b-ext4"],
            &["nope|unknown case (known: a-xfs, "],
        );
        let plan: RunPlan = serde_json::from_str("{}").unwrap();
        assert_eq!(plan, RunPlan::default());
    }

    #[test]
    fn excluded_filesystem_is_an_error_per_case() {
        let plan = RunPlan {
            cases: vec!["a-xfs".into(), "b-ext4".into()],
            filesystems: vec!["ext4".into(), "btrfs".into()],
            ..RunPlan::default()
        };
        check(
            &plan,
            &["dax-ext4:b-ext4"],
            &[
                "-|unknown filesystem \"btrfs\"",
                "a-xfs|not run: dax-xfs needs xfs",
            ],
        );
    }

    #[test]
    fn filesystems_alone_narrow_the_selection() {
        let plan = RunPlan {
            filesystems: vec!["ext4".into()],
            ..RunPlan::default()
        };
        check(&plan, &["dax-ext4:b-ext4"], &[]);
    }

    #[test]
    fn memmap_skips_the_4k_environment_with_a_reason() {
        let plan = RunPlan {
            pmem: PmemMode::Memmap,
            ..RunPlan::default()
        };
        check(
            &plan,
            &["dax-xfs:a-xfs", "nodax-xfs:c-nodax", "dax-ext4:b-ext4"],
            &[],
        );
        // The plan record names the skipped case and why, and does not
        // list it among the cases to run.
        let all = cases();
        let p = select(&plan, &all).plan();
        assert_eq!(p.cases.len(), 3);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(
            (p.skipped[0].name.as_str(), p.skipped[0].fs.as_str()),
            ("d-4k", "xfs")
        );
        assert!(p.skipped[0].reason.contains("pmem mode memmap"), "{p:?}");
        // Asked for by name, it is an error.
        let named = RunPlan {
            cases: vec!["d-4k".into()],
            ..plan.clone()
        };
        check(
            &named,
            &[],
            &["d-4k|not run: dax4k-xfs needs a second NVDIMM"],
        );
    }

    #[test]
    fn every_need_has_an_env() {
        for n in [
            Needs::DaxXfs,
            Needs::DaxExt4,
            Needs::NoDaxXfs,
            Needs::Dax4kXfs,
        ] {
            assert_eq!(spec(n).needs, n);
        }
        assert_eq!(spec(Needs::Dax4kXfs).slot.align(), 4096);
        assert_eq!(human_size(SZ_2M), "2 MiB");
        assert_eq!(human_size(SZ_4K), "4 KiB");
    }

    #[test]
    fn a_panicking_case_becomes_an_error_record() {
        let env = Env {
            needs: Needs::DaxXfs,
            fs: "xfs",
            dir: std::env::temp_dir(),
            device: PathBuf::new(),
        };
        match run_case(&PANIC_CASE, &env, Duration::from_secs(10)) {
            Record::Error { case, message, .. } => {
                assert_eq!(case.as_deref(), Some("fault-case-panic"));
                assert!(message.starts_with("[xfs] panicked: "), "{message}");
            }
            r => panic!("{r:?}"),
        }
        assert!(matches!(
            run_case(&case("a", Needs::DaxXfs), &env, Duration::from_secs(10)),
            Record::Case(_)
        ));
    }
}
