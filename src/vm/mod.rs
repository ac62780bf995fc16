//! `daxkit run` and `daxkit shell`: boot a kernel in QEMU with emulated
//! NVDIMMs (or memmap pmem), feed the guest its run plan, watch it, and
//! turn what came back into a table, `summary.json` and an exit code.
//!
//! The stages inside: [`accel`] (KVM or TCG, probed once), [`plan`] (the
//! QEMU command line as data), [`launch`] (process, watchdog, outcome),
//! [`console`] (panic detection), [`summary`] (verdict, table, JSON).
//!
//! A run folder (`runs/<stamp>-run`) keeps everything: plan.json,
//! qemu.cmdline, initrd.img, nvdimm*.img (sparse), console.log,
//! results.jsonl, qemu.log, summary.json.

pub mod accel;
pub mod console;
pub mod known_issues;
pub mod ktap;
pub mod launch;
pub mod plan;
pub mod summary;

use crate::exec;
use crate::home::Home;
use crate::image::{self, ImageSpec};
use crate::ui;
use anyhow::{bail, Context, Result};
use daxkit_harness::judge::{Evidence, Splat};
use daxkit_harness::protocol::{Fault, Mapping, PmemMode, RunPlan};
use launch::{Outcome, RunFiles, Watchdog};
use plan::{Accel, Console, Firmware, VmSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the guest gets persistent memory (`--pmem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PmemArg {
    Nvdimm,
    Memmap,
}

/// The fault benchmark's size, MiB, where the workflows (`reproduce`,
/// `ci`, `bisect`, `check-series`, the CI matrix) run it by default;
/// `daxkit run` runs none unless asked.
pub const DEFAULT_BENCH_MIB: u64 = 256;

/// A deliberate guest fault (hidden `--fault`, daxkit's own tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultArg {
    KernelPanic,
    Hang,
    CasePanic,
    Disagree,
    Splat,
    DropResult,
}

impl FaultArg {
    pub fn fault(self) -> Fault {
        match self {
            FaultArg::KernelPanic => Fault::KernelPanic,
            FaultArg::Hang => Fault::Hang,
            FaultArg::CasePanic => Fault::CasePanic,
            FaultArg::Disagree => Fault::Disagree,
            FaultArg::Splat => Fault::Splat,
            FaultArg::DropResult => Fault::DropResult,
        }
    }
}

/// One guest: the kernel and how QEMU boots it (`run` and `shell` flags;
/// the workflows fill it from their run options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootSpec {
    /// Kernel to boot (bzImage).
    pub kernel: PathBuf,
    pub pmem: PmemArg,
    pub accel: accel::AccelArg,
    /// Guest CPUs.
    pub smp: u32,
    /// Extra kernel command-line parameters (each may hold several words).
    pub append: Vec<String>,
    /// An initramfs to use instead of building the image.
    pub image: Option<PathBuf>,
    /// QEMU binary.
    pub qemu: PathBuf,
}

/// `daxkit run`: one given kernel, booted once per variant of an optional
/// series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    pub vm: BootSpec,
    /// Only these cases (empty: all).
    pub cases: Vec<String>,
    /// Only these filesystems (empty: xfs and ext4).
    pub filesystems: Vec<String>,
    /// Run the fault benchmark over this many MiB.
    pub bench_mib: Option<u64>,
    /// Whole-run limit, seconds.
    pub timeout: u64,
    /// Limit from QEMU's start to the guest's hello, seconds.
    pub boot_timeout: u64,
    /// Longest silence between two result records, seconds.
    pub silence_timeout: u64,
    pub fault: Option<FaultArg>,
    /// Print the plan and do nothing.
    pub dry_run: bool,
    /// Judge against this series' expectations and boot each variant.
    pub series: Option<String>,
    /// Boots per variant (at least 1).
    pub repeat: u32,
    pub allow_flaky: bool,
}

impl RunSpec {
    /// A run of `kernel` with every default (the CLI's defaults).
    #[cfg(test)]
    pub fn new(kernel: PathBuf) -> RunSpec {
        RunSpec {
            vm: BootSpec {
                kernel,
                pmem: PmemArg::Nvdimm,
                accel: accel::AccelArg::Auto,
                smp: 1,
                append: Vec::new(),
                image: None,
                qemu: PathBuf::from("qemu-system-x86_64"),
            },
            cases: Vec::new(),
            filesystems: Vec::new(),
            bench_mib: None,
            timeout: Watchdog::TOTAL_S,
            boot_timeout: Watchdog::BOOT_S,
            silence_timeout: Watchdog::SILENCE_S,
            fault: None,
            dry_run: false,
            series: None,
            repeat: 1,
            allow_flaky: false,
        }
    }

    /// The plan the guest reads at `PLAN_PATH`.
    pub fn run_plan(&self) -> RunPlan {
        RunPlan {
            cases: self.cases.clone(),
            filesystems: self.filesystems.clone(),
            pmem: pmem_mode(self.vm.pmem),
            bench_mib: self.bench_mib,
            fault: self.fault.map(FaultArg::fault),
        }
    }

    pub fn watchdog(&self) -> Watchdog {
        Watchdog {
            boot: Duration::from_secs(self.boot_timeout),
            silence: Duration::from_secs(self.silence_timeout),
            total: Duration::from_secs(self.timeout),
            ..Watchdog::default()
        }
    }
}

fn pmem_mode(p: PmemArg) -> PmemMode {
    match p {
        PmemArg::Nvdimm => PmemMode::Nvdimm,
        PmemArg::Memmap => PmemMode::Memmap,
    }
}

/// What a VM plan reads from the host: the accelerator [`accel::choose`]
/// picked and the firmware of the probed [`crate::host::Host`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    pub accel: Accel,
    pub firmware: Firmware,
}

/// The VM spec of a run in `run_dir` (pure).
pub fn run_spec(
    a: &BootSpec,
    run_dir: &Path,
    host: Host,
    console: Console,
    rdinit: Option<String>,
) -> VmSpec {
    VmSpec {
        qemu: a.qemu.clone(),
        kernel: a.kernel.clone(),
        initrd: run_dir.join("initrd.img"),
        run_dir: run_dir.to_owned(),
        pmem: pmem_mode(a.pmem),
        accel: host.accel,
        firmware: host.firmware,
        results: matches!(console, Console::File(_)).then(|| run_dir.join("results.jsonl")),
        console,
        rdinit,
        smp: a.smp,
        extra_append: a
            .append
            .iter()
            .flat_map(|s| s.split_whitespace().map(String::from))
            .collect(),
    }
}

pub fn check_kernel(a: &BootSpec) -> Result<PathBuf> {
    let k = a
        .kernel
        .canonicalize()
        .with_context(|| format!("kernel {}", a.kernel.display()))?;
    if !k.is_file() {
        bail!("kernel {} is not a file", k.display());
    }
    Ok(k)
}

/// Creates the sparse NVDIMM backing files (a hole costs no disk space;
/// only what the guest writes is allocated).
fn create_backing(plan: &plan::QemuPlan) -> Result<()> {
    for n in &plan.nvdimms {
        let f = std::fs::File::create(&n.file)
            .with_context(|| format!("creating {}", n.file.display()))?;
        f.set_len(n.size)
            .with_context(|| format!("sizing {}", n.file.display()))?;
    }
    Ok(())
}

fn image_for(home: &Home, a: &BootSpec, debug_shell: bool, test_hooks: bool) -> Result<PathBuf> {
    match &a.image {
        Some(p) => Ok(p.clone()),
        None => Ok(image::build(
            home,
            &ImageSpec {
                debug_shell,
                manifest: None,
                test_hooks,
            },
        )?
        .path),
    }
}

pub fn cmd(home: &Home, a: &RunSpec) -> Result<i32> {
    let rplan = a.run_plan();
    // Inputs first: a typo is daxkit's input error (128), not a verdict,
    // and leaves no run folder behind.
    let kernel = check_kernel(&a.vm)?;
    if !a.dry_run {
        exec::require_tool(&a.vm.qemu.to_string_lossy())?;
        crate::runs::check_case_names(home, &a.cases, &a.filesystems, a.vm.image.as_deref())?;
    }
    let series = a.series.as_deref().map(crate::series::load).transpose()?;
    let variants = crate::runs::variants_of(series.as_ref());
    // One given kernel cannot be the kernel of variants that differ by
    // config: that needs a build per config (reproduce, ci, bisect).
    if crate::runs::kernel_plans(&[], &variants)?.len() > 1 {
        let each: Vec<String> = variants
            .iter()
            .filter(|v| !v.config.is_empty())
            .map(|v| {
                let files: Vec<String> = v
                    .config
                    .iter()
                    .map(|f| f.file_name().unwrap_or_default().to_string_lossy().into())
                    .collect();
                format!(
                    "{} ({})",
                    v.name.as_deref().unwrap_or("?"),
                    files.join(", ")
                )
            })
            .collect();
        anyhow::bail!(
            "series {}: variants {} carry Kconfig fragments, so they need kernels of their own; \
             `run --kernel` boots one given kernel: use `daxkit reproduce` or `daxkit ci`, \
             which build one kernel per variant config",
            series.as_ref().map_or("?", |s| s.name.as_str()),
            each.join(", ")
        );
    }
    if a.dry_run {
        print!(
            "{}",
            dry_run(home, a, &rplan, &kernel, series.as_ref(), &variants)?
        );
        return Ok(crate::exit::GOOD);
    }
    let dir = home.new_run("run")?;
    let mut classes = Vec::new();
    for v in &variants {
        let vdir = if variants.len() == 1 {
            dir.clone()
        } else {
            dir.join(v.slug())
        };
        let mut vm = a.vm.clone();
        vm.kernel = kernel.clone();
        vm.append.extend(v.append.iter().cloned());
        let name = v.label(series.as_ref());
        let variant = crate::runs::boot_variant(
            home,
            &crate::runs::Boot {
                name: &name,
                commit: "",
                config: &[],
                vm,
                plan: &rplan,
                watchdog: a.watchdog(),
                expect: series.as_ref().map(|s| &s.expect),
                dir: &vdir,
                repeat: a.repeat,
                allow_flaky: a.allow_flaky,
            },
        )?;
        let j = variant.judgement();
        print!("{}", summary::table(&variant.run, &j));
        println!(
            "{name}: {} (exit {}); run folder {}",
            j.why(),
            j.code(),
            vdir.display()
        );
        classes.push(j.class);
        if exec::interrupted() {
            break;
        }
    }
    let class = daxkit_harness::judge::combine_variants(&classes);
    if exec::interrupted() {
        bail!("interrupted; QEMU stopped, run folder {}", dir.display());
    }
    Ok(class.code())
}

/// One finished boot, for the commands that compose runs.
pub struct Executed {
    pub finished: launch::Finished,
    /// What the judge reads (expectations, required signals and splats
    /// included); the judgement is `judge::judge(&evidence)`.
    pub evidence: Evidence,
    pub accel: accel::Choice,
}

/// `run --dry-run`: what a run would boot, found without booting, building
/// the image, probing KVM or creating the run folder. The accelerator is
/// the one asked for, else the host's cached verdict, else TCG with a
/// note that the probe boot decides.
fn dry_run(
    home: &Home,
    a: &RunSpec,
    rplan: &RunPlan,
    kernel: &Path,
    series: Option<&crate::series::Series>,
    variants: &[crate::runs::VariantSpec],
) -> Result<String> {
    use std::fmt::Write as _;
    let mut o = String::new();
    let host = crate::host::Host::get();
    let cached = || accel::cached_verdict(&home.root.join("accel-probe.json"), &a.vm.qemu);
    let accel = match a.vm.accel {
        accel::AccelArg::Kvm => Accel::Kvm,
        accel::AccelArg::Tcg => Accel::Tcg,
        accel::AccelArg::Auto => match cached() {
            Some(c) => {
                writeln!(o, "# accel: {} ({})", c.accel.name(), c.reason)?;
                c.accel
            }
            None => {
                writeln!(
                    o,
                    "# accel: auto: a probe boot of the kernel decides (KVM, else TCG); TCG shown"
                )?;
                Accel::Tcg
            }
        },
    };
    if a.vm.accel != accel::AccelArg::Auto {
        writeln!(o, "# accel: {} (asked for)", accel.name())?;
    }
    writeln!(o, "# firmware: {:?}", host.firmware)?;
    if exec::find_tool(&a.vm.qemu.to_string_lossy()).is_none() {
        writeln!(
            o,
            "# {} is not installed: the run installs it first (or stops, naming its package)",
            a.vm.qemu.display()
        )?;
    }
    match &a.vm.image {
        Some(p) => writeln!(o, "# image: {}", p.display())?,
        None => {
            writeln!(
                o,
                "# image: daxkit's initramfs under {} (built first if absent)",
                home.images().display()
            )?;
            if let Some(m) = host.missing_text(exec::Need::Image) {
                writeln!(o, "# image tools: {m}")?;
            }
        }
    }
    let cases = if a.cases.is_empty() {
        "all".to_owned()
    } else {
        a.cases.join(", ")
    };
    let fs = if a.filesystems.is_empty() {
        "xfs, ext4".to_owned()
    } else {
        a.filesystems.join(", ")
    };
    writeln!(
        o,
        "# cases: {cases} on {fs} (names are checked against the harness when the run starts)"
    )?;
    writeln!(o, "# run plan ({}):", daxkit_harness::protocol::PLAN_PATH)?;
    writeln!(o, "{}", serde_json::to_string_pretty(rplan)?)?;
    let dir = home.runs().join("<stamp>-run");
    for v in variants {
        let vdir = if variants.len() == 1 {
            dir.clone()
        } else {
            dir.join(v.slug())
        };
        let mut vm = a.vm.clone();
        vm.kernel = kernel.to_owned();
        vm.append.extend(v.append.iter().cloned());
        let qp = plan::plan(&run_spec(
            &vm,
            &vdir,
            Host {
                accel,
                firmware: host.firmware,
            },
            Console::File(vdir.join("console.log")),
            None,
        ));
        let times = if a.repeat > 1 {
            format!(", {} boots", a.repeat)
        } else {
            String::new()
        };
        writeln!(o, "# qemu ({}{times}):", v.label(series))?;
        writeln!(o, "{}", qp.cmd.display())?;
    }
    Ok(o)
}

/// Boots `vm.kernel` with `rplan` in run folder `dir` and waits for the
/// outcome; writes plan.json, qemu.cmdline, console.log, results.jsonl and
/// summary.json there. Prints nothing but progress.
pub fn execute(
    home: &Home,
    vm: &BootSpec,
    rplan: &RunPlan,
    watchdog: &Watchdog,
    expect: &BTreeMap<String, Mapping>,
    dir: &Path,
) -> Result<Executed> {
    let dir = dir.to_owned();
    ui::step(format!("Run folder {}", dir.display()));
    std::fs::write(dir.join("plan.json"), serde_json::to_string_pretty(rplan)?)?;
    let (kernel, choice) = prepare(home, vm, rplan, &dir, false)?;
    let fw = crate::host::Host::get().firmware;
    ui::note(format!(
        "accelerator: {} ({}); firmware: {fw:?}",
        choice.accel.name(),
        choice.reason,
    ));
    let mut vm = vm.clone();
    vm.kernel = kernel.clone();
    let spec = run_spec(
        &vm,
        &dir,
        Host {
            accel: choice.accel,
            firmware: fw,
        },
        Console::File(dir.join("console.log")),
        None,
    );
    let qp = plan::plan(&spec);
    std::fs::write(dir.join("qemu.cmdline"), qp.cmd.display() + "\n")?;
    create_backing(&qp)?;
    let files = RunFiles {
        console: dir.join("console.log"),
        results: dir.join("results.jsonl"),
        qemu_log: dir.join("qemu.log"),
    };
    ui::step(format!(
        "Booting {} ({})",
        kernel.display(),
        choice.accel.name()
    ));
    // Read before booting: a malformed list is an input error (128)
    // before any time is spent.
    let known = known_issues::KnownIssues::load_default()?;
    let finished = launch::run(&qp.cmd, &files, watchdog);
    // The NVDIMM contents are scratch: keep the folder small.
    for n in &qp.nvdimms {
        let _ = std::fs::remove_file(&n.file);
    }
    let _ = std::fs::remove_file(dir.join("initrd.img"));
    let finished = finished?;
    let mut evidence = summary::evidence(&finished.outcome);
    evidence.expect = expect.clone();
    evidence.required = required_signals(&kernel);
    evidence.splats = splats(&finished, &known);
    // Built-in KUnit suites ran at boot and printed KTAP on the console.
    // (A console QEMU never wrote has none; bytes that are not UTF-8 are
    // not KTAP.)
    let console = std::fs::read(&files.console).unwrap_or_default();
    evidence.ktap = ktap::parse(&String::from_utf8_lossy(&console));
    let j = daxkit_harness::judge::judge(&evidence);
    let json = summary::summary_json(
        &finished,
        &evidence,
        &j,
        &choice,
        &kernel.display().to_string(),
        spec.firmware,
    );
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    report(&finished, &dir);
    Ok(Executed {
        finished,
        evidence,
        accel: choice,
    })
}

/// The kernel splats of a boot, for the judge's health gate, with the
/// known issues (`patches/known-issues.yaml`) that cover any marked.
fn splats(f: &launch::Finished, known: &known_issues::KnownIssues) -> Vec<Splat> {
    let today = known_issues::Date::today();
    for n in known.expired_hits(f.console.splats(), today) {
        ui::warn(n);
    }
    known_issues::classify(f.console.splats(), known, today)
}

/// The signals the kernel's config guarantees, when its config is kept
/// beside it (daxkit's kept kernels: `config`; a build dir: `.config`).
/// Unknown config: none required, and the guest's absent/failed states
/// alone decide.
pub fn required_signals(kernel: &Path) -> Vec<String> {
    let mut candidates = vec![
        kernel.with_file_name("config"),
        kernel.with_file_name(".config"),
    ];
    // O=build/arch/x86/boot/bzImage → build/.config
    if let Some(build) = kernel.ancestors().nth(4) {
        candidates.push(build.join(".config"));
    }
    let Some(text) = candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
    else {
        ui::warn(format!(
            "no kernel config beside {}: which signals it guarantees is unknown",
            kernel.display()
        ));
        return Vec::new();
    };
    let config: BTreeMap<String, String> = crate::kconfig::read_config(&text).into_iter().collect();
    daxkit_harness::judge::required_signals(&config, config_version(&text))
}

/// `# Linux/x86 6.12.117 Kernel Configuration` → (6, 12).
fn config_version(text: &str) -> (u32, u32) {
    text.lines()
        .take(5)
        .find_map(|l| {
            let v = l.strip_prefix("# Linux/")?.split_whitespace().nth(1)?;
            let mut it = v.split('.').map(|n| n.parse::<u32>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((0, 0))
}

fn report(f: &launch::Finished, dir: &Path) {
    if let Some((kernel, _)) = f.outcome.stream().and_then(|s| s.hello()) {
        ui::note(format!(
            "guest kernel {kernel}; hello after {:.2} s, run took {:.2} s",
            f.timings.hello.unwrap_or_default().as_secs_f64(),
            f.timings.total.as_secs_f64()
        ));
    }
    let tail = match &f.outcome {
        Outcome::Panic { tail, .. }
        | Outcome::Timeout { tail, .. }
        | Outcome::ProtocolError { tail, .. } => Some(tail.as_str()),
        Outcome::QemuFailed { log_tail, .. } => Some(log_tail.as_str()),
        _ => None,
    };
    if let Some(t) = tail {
        ui::warn(format!(
            "--- console tail ({}) ---\n{t}\n---",
            dir.join("console.log").display()
        ));
    }
}

/// What every boot needs before QEMU starts: the kernel checked, QEMU
/// present, the run's initrd (cached image + plan) in `dir`, and the
/// accelerator chosen.
fn prepare(
    home: &Home,
    vm: &BootSpec,
    rplan: &RunPlan,
    dir: &Path,
    debug_shell: bool,
) -> Result<(PathBuf, accel::Choice)> {
    let kernel = check_kernel(vm)?;
    exec::require_tool(&vm.qemu.to_string_lossy())?;
    // A kept kernel stays for this daxkit's later boots (`daxkit gc`).
    if let Some(dir) = kernel
        .parent()
        .filter(|d| d.parent() == Some(&home.root.join("kernels")))
    {
        crate::gc::hold(dir);
    }
    let hooks = rplan.fault.is_some_and(|f| f.needs_test_hooks());
    let image = image_for(home, vm, debug_shell, hooks)?;
    if image.starts_with(home.images()) {
        crate::gc::hold(&image);
    }
    image::run_initrd(&image, rplan, &dir.join("initrd.img"))?;
    let choice = accel::choose(
        vm.accel,
        &vm.qemu,
        &kernel,
        dir,
        Some(&home.root.join("accel-probe.json")),
    );
    Ok((kernel, choice))
}

/// `daxkit shell`: the debug-shell image on the terminal.
pub fn shell(home: &Home, a: &BootSpec) -> Result<i32> {
    let dir = home.new_run("shell")?;
    let rplan = RunPlan {
        pmem: pmem_mode(a.pmem),
        ..RunPlan::default()
    };
    let (kernel, choice) = prepare(home, a, &rplan, &dir, true)?;
    let mut vm = a.clone();
    vm.kernel = kernel;
    let spec = run_spec(
        &vm,
        &dir,
        Host {
            accel: choice.accel,
            firmware: crate::host::Host::get().firmware,
        },
        Console::Stdio,
        Some("/shell-init".into()),
    );
    let qp = plan::plan(&spec);
    std::fs::write(dir.join("qemu.cmdline"), qp.cmd.display() + "\n")?;
    create_backing(&qp)?;
    ui::step(format!(
        "Shell on {} ({}; {}); Ctrl-A X quits QEMU",
        vm.kernel.display(),
        choice.accel.name(),
        choice.reason
    ));
    let mut q = launch::QemuGuard::spawn_interactive(&qp.cmd)?;
    let status = q.wait();
    for n in &qp.nvdimms {
        let _ = std::fs::remove_file(&n.file);
    }
    ui::note(format!(
        "QEMU exited ({})",
        status.map(|s| s.to_string()).unwrap_or_default()
    ));
    Ok(crate::exit::GOOD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_makes_the_run_plan_and_watchdog() {
        let a = RunSpec {
            cases: vec!["a".into(), "b".into()],
            filesystems: vec!["ext4".into()],
            bench_mib: Some(64),
            fault: Some(FaultArg::KernelPanic),
            timeout: 9,
            boot_timeout: 3,
            silence_timeout: 4,
            vm: BootSpec {
                pmem: PmemArg::Memmap,
                ..RunSpec::new("/k".into()).vm
            },
            ..RunSpec::new("/k".into())
        };
        assert_eq!(
            a.run_plan(),
            RunPlan {
                cases: vec!["a".into(), "b".into()],
                filesystems: vec!["ext4".into()],
                pmem: PmemMode::Memmap,
                bench_mib: Some(64),
                fault: Some(Fault::KernelPanic),
            }
        );
        let w = a.watchdog();
        assert_eq!(
            (w.total.as_secs(), w.boot.as_secs(), w.silence.as_secs()),
            (9, 3, 4)
        );
    }

    #[test]
    fn spec_of_a_run() {
        let a = RunSpec {
            vm: BootSpec {
                append: vec!["loglevel=8 foo".into()],
                pmem: PmemArg::Memmap,
                ..RunSpec::new("/k".into()).vm
            },
            ..RunSpec::new("/k".into())
        };
        let s = run_spec(
            &a.vm,
            Path::new("/r"),
            Host {
                accel: Accel::Tcg,
                firmware: Firmware::Seabios,
            },
            Console::File("/r/console.log".into()),
            None,
        );
        assert_eq!(s.initrd, Path::new("/r/initrd.img"));
        assert_eq!(s.results.as_deref(), Some(Path::new("/r/results.jsonl")));
        assert_eq!(s.extra_append, ["loglevel=8", "foo"]);
        let p = plan::plan(&s);
        assert!(p.append.ends_with("memmap=2G!1G loglevel=8 foo"));
        // A shell has no result port.
        let s = run_spec(
            &a.vm,
            Path::new("/r"),
            Host {
                accel: Accel::Tcg,
                firmware: Firmware::Seabios,
            },
            Console::Stdio,
            Some("/shell-init".into()),
        );
        assert!(s.results.is_none());
    }
}
