//! Command-line interface: the flags (no I/O here), their conversion into
//! the stages' plain specs, and the dispatch to the stage module each
//! subcommand is named after.
//!
//! The layering rule (ARCHITECTURE.md): only this module (with `main.rs`
//! and `completions.rs`) knows clap. Stages take specs (`tree::Target`,
//! `pipeline::KernelSpec`, `vm::RunSpec`, ...), never flags;
//! `tests/layering.rs` enforces it.

mod args;
mod values;

pub use args::*;

use crate::{
    apply, bisect, build, check_series, ci_pipeline, completions, doctor, exec, export, fetch, gc,
    home::Home, image, kconfig, pipeline, report, reproduce, rerun, review, tree, ui, vm,
};
use anyhow::Result;
use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(name = "daxkit", version, about, long_about = None)]
pub struct Cli {
    /// Cache directory for kernel repos, worktrees, builds, images and runs.
    #[arg(long, global = true, env = "DAXKIT_HOME")]
    pub home: Option<PathBuf>,
    /// Only errors and results; no progress.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Kernel sources: import Debian's linux-source tarball as a git base.
    #[command(subcommand)]
    Kernel(KernelCmd),
    /// Apply a patch series, one commit per patch, in a daxkit worktree.
    Apply(TargetArgs),
    /// Write .config from kernel-config/ fragments and the series', and verify every option.
    Config(KernelCmdArgs),
    /// Apply, configure and build bzImage (incremental, ccache, progress).
    Build(KernelCmdArgs),
    /// Build the guest initramfs (harness as /init, mkfs tools and their libraries).
    Image(ImageArgs),
    /// Boot a kernel in QEMU with emulated NVDIMMs and run the cases.
    Run(RunArgs),
    /// Boot a kernel with the debug-shell image and a shell on the console.
    Shell(ShellArgs),
    /// The main job: stock vs stock + series (each variant), the full case
    /// matrix, one report (Markdown, JSON, JUnit, HTML, summary line).
    Reproduce(ReproduceArgs),
    /// `reproduce` for CI: no progress bars, JSON on stdout, report files
    /// copied to --out, exit code 0 / 1 / 125.
    Ci(CiArgs),
    /// Find the first commit that breaks a case: `git bisect run` with
    /// daxkit's build+boot+case step, in daxkit's own worktree.
    Bisect(BisectArgs),
    /// Patch by patch: applies, checkpatch --strict, builds on its own, and
    /// with --run passes the cases (like ktest's patchcheck).
    CheckSeries(CheckSeriesArgs),
    /// Repeat the run a report.json records (same command, same folder, a
    /// new run folder) and say which inputs (versions, patch-ids, fragment
    /// hashes, base) and which case outcomes differ; exits like the new run.
    Rerun(RerunArgs),
    /// Review a series from its mail thread: b4 picks the newest revision,
    /// its trailers and base; then check-series and reproduce; one folder
    /// with the reports and a ready-to-send reply (reply.eml).
    Review(ReviewArgs),
    /// Reports: `report merge OUT_DIR IN_DIR...` joins CI jobs' run folders.
    #[command(subcommand)]
    Report(ReportCmd),
    /// Print the CI job matrix (series x kernel x case group) for GitHub Actions or GitLab CI.
    Matrix(MatrixArgs),
    /// Write a whole CI pipeline (GitHub workflow or .gitlab-ci.yml): each
    /// kernel built once, tests fanned out over the artifacts, one report.
    Pipeline(PipelineArgs),
    /// Pack kept kernels (bzImage, config, stamp, commit, toolchain) and
    /// the guest image for `daxkit ci --kernels DIR`; builds what is missing.
    Export(ExportArgs),
    /// Check every host prerequisite (tools, Rust, kernel tree, QEMU, KVM,
    /// cache space, ccache); exit 0 when `daxkit reproduce` can run, else 128.
    Doctor(DoctorArgs),
    /// List the cache (kernels, images, runs, worktrees, repos) with sizes
    /// and ages, and prune it; never removes what a running daxkit holds.
    ///
    /// Without a pruning flag it only lists. Pruning removes kept kernels,
    /// images, run folders and the assets other daxkit versions unpacked; worktrees (with their build dirs) and
    /// imported repos only with --worktrees / --repos, as they take a cold
    /// build or a new import to get back. Age is the time since last use.
    /// What a running daxkit holds is kept: a build dir under build, a
    /// kernel, run folder or image a daxkit is using.
    Gc(GcArgs),
    /// Print a shell completion script: `daxkit completions bash > /etc/bash_completion.d/daxkit`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (daxkit.1 and one per subcommand) into DIR, or print daxkit.1.
    Manpage {
        /// Folder for the pages, e.g. /usr/local/share/man/man1.
        dir: Option<PathBuf>,
    },
    /// Print the path of each host tool, installing a missing one the way
    /// daxkit does (for tests that run a tool themselves).
    #[command(hide = true)]
    RequireTool {
        #[arg(required = true)]
        tools: Vec<String>,
    },
    /// One `git bisect run` step (called by `daxkit bisect`).
    #[command(hide = true)]
    BisectStep {
        /// The bisect's plan (bisect.json in its folder).
        plan: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
pub struct RerunArgs {
    /// A report.json written by `daxkit reproduce`, `ci` or `review` (or its run folder).
    pub report: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum KernelCmd {
    /// Install (if needed) and import linux-source-X into the cache; print the base tag.
    Fetch {
        /// Kernel series of Debian's linux-source package.
        #[arg(long, default_value = fetch::DEFAULT_KERNEL, value_parser = PossibleValuesParser::new(fetch::KERNELS))]
        version: String,
    },
}

/// Which tree and which series a command works on.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Series: a name under patches/, a folder of `git format-patch` output,
    /// or an mbox file. Without it, the base kernel alone.
    pub series: Option<String>,
    /// Use this kernel git tree (e.g. a linux.git clone) instead of Debian's
    /// tarball. It is only read: its checkout, index and branches stay as they are.
    #[arg(long)]
    pub tree: Option<PathBuf>,
    /// Base revision in --tree (default: the series' base, else HEAD).
    #[arg(long)]
    pub base: Option<String>,
    /// linux-source version when no --tree is given.
    #[arg(long = "kernel", default_value = fetch::DEFAULT_KERNEL, value_parser = PossibleValuesParser::new(fetch::KERNELS))]
    pub kernel: String,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Extra Kconfig fragment(s), merged after the defaults and the series'.
    #[arg(long = "fragment", value_name = "FILE")]
    pub fragments: Vec<PathBuf>,
    /// Leave out the Rust fragment (CONFIG_RUST) from the defaults.
    #[arg(long)]
    pub no_rust: bool,
    /// Kernel config profile: `debug` adds kernel-config/debug.config to the
    /// defaults (lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_VM, lockup and hung-task
    /// detectors), so the health gate catches more on the fault path.
    #[arg(long, value_enum, default_value_t = kconfig::Profile::Default)]
    pub profile: kconfig::Profile,
    /// Compiler for the kernel build, e.g. "distcc gcc" (default: ccache gcc; ccache is installed if missing).
    #[arg(long)]
    pub cc: Option<String>,
    /// Build this make target (e.g. fs/dax.o) instead of bzImage; prints its path.
    #[arg(long, value_name = "TARGET")]
    pub make_target: Option<String>,
}

impl TargetArgs {
    pub fn spec(&self) -> tree::Target {
        tree::Target {
            series: self.series.clone(),
            tree: self.tree.clone(),
            base: self.base.clone(),
            kernel: self.kernel.clone(),
        }
    }
}

/// `config` and `build`: the kernel's flags and `--dry-run`.
#[derive(Debug, Clone, Args)]
pub struct KernelCmdArgs {
    #[command(flatten)]
    pub kernel: ConfigArgs,
    /// Print the plan (base, fragments, make commands, kept kernel) and
    /// change nothing: no install, import, apply, checkout or make.
    #[arg(long)]
    pub dry_run: bool,
}

impl ConfigArgs {
    pub fn spec(&self) -> pipeline::KernelSpec {
        pipeline::KernelSpec {
            target: self.target.spec(),
            config: kconfig::ConfigSpec {
                fragments: self.fragments.clone(),
                no_rust: self.no_rust,
                profile: self.profile,
            },
            build: build::BuildOptions::new(self.cc.clone(), self.make_target.clone()),
        }
    }
}

pub fn run(cli: Cli) -> Result<i32> {
    // `ci` runs in logs: plain lines even when a terminal is attached.
    let mode = match cli.command {
        Command::Ci(_) => ui::Mode::Plain,
        _ => ui::Mode::Terminal,
    };
    ui::init(mode, cli.quiet);
    if without_home(&cli.command)? {
        return Ok(crate::exit::GOOD);
    }
    let home = match cli.home {
        Some(p) => Home::at(p)?,
        None => Home::from_env()?,
    };
    crate::assets::init(&home)?;
    match cli.command {
        Command::Kernel(KernelCmd::Fetch { version }) => {
            let base = fetch::fetch(&home, &version)?;
            println!("{}", base.describe());
        }
        Command::Apply(t) => {
            let (base, series) = pipeline::target(&home, &t.spec())?;
            let applied = apply::apply(&home, &base, series.as_ref())?;
            println!("{}", applied.describe());
        }
        Command::Config(c) if c.dry_run => {
            let plan = pipeline::dry_run(
                &home,
                &c.kernel.spec(),
                pipeline::Stop::Config,
                crate::host::Host::get(),
            )?;
            print!("{plan}");
        }
        Command::Build(c) if c.dry_run => {
            let plan = pipeline::dry_run(
                &home,
                &c.kernel.spec(),
                pipeline::Stop::Build,
                crate::host::Host::get(),
            )?;
            print!("{plan}");
        }
        Command::Config(c) => {
            let k = c.kernel.spec();
            let (base, series) = pipeline::target(&home, &k.target)?;
            let applied = apply::apply(&home, &base, series.as_ref())?;
            let report = kconfig::configure(
                &home,
                &applied,
                &kconfig::fragments(&k.config, series.as_ref())?,
            )?;
            println!("{}", report.summary());
        }
        Command::Build(c) => {
            let k = c.kernel.spec();
            let (base, series) = pipeline::target(&home, &k.target)?;
            let applied = apply::apply(&home, &base, series.as_ref())?;
            let cfg = kconfig::configure(
                &home,
                &applied,
                &kconfig::fragments(&k.config, series.as_ref())?,
            )?;
            let out = build::build(&home, &applied, &cfg.stamp, &k.build)?;
            ui::note(format!("build log {}", out.log.display()));
            println!("{}", out.bzimage.display());
        }
        Command::Reproduce(a) => return reproduce::cmd(&home, &a.spec()),
        Command::Ci(a) => return reproduce::ci(&home, &a.spec()),
        Command::Bisect(a) => return bisect::cmd(&home, &a.spec()),
        Command::CheckSeries(a) => return check_series::cmd(&home, &a.spec()),
        Command::Review(a) => return review::cmd(&home, &a.spec(), reproduce_argv),
        Command::Rerun(a) => return rerun::cmd(&home, &a.report, recorded_reproduce),
        Command::BisectStep { plan } => return bisect::step_cmd(&plan),
        Command::RequireTool { tools } => {
            for t in tools {
                println!("{}", exec::require_tool(&t)?.display());
            }
        }
        Command::Report(c) => return report::cmd_report(&c.spec()),
        Command::Matrix(a) => return report::cmd_matrix(&a.spec()),
        Command::Pipeline(a) => return ci_pipeline::cmd(&a.spec()),
        Command::Export(a) => return export::cmd(&home, &a.spec()),
        Command::Image(a) => return image::cmd(&home, &a.spec()),
        Command::Run(a) => return vm::cmd(&home, &a.spec()),
        Command::Shell(a) => return vm::shell(&home, &a.vm.spec()),
        Command::Doctor(a) => return doctor::cmd(&home, &a.spec()),
        Command::Gc(a) => return gc::cmd(&home, &a.spec()),
        // Done by `without_home`.
        Command::Completions { .. } | Command::Manpage { .. } => {}
    }
    let _ = exec::interrupted;
    Ok(crate::exit::GOOD)
}

/// Runs the commands that need no cache (and must not create `.daxkit`
/// where they run); false for every other command.
fn without_home(command: &Command) -> Result<bool> {
    match command {
        Command::Completions { shell } => {
            std::io::stdout().write_all(&completions::completions(*shell))?;
        }
        Command::Manpage { dir: None } => {
            let pages = completions::man_pages()?;
            std::io::stdout().write_all(&pages[0].1)?;
        }
        Command::Manpage { dir: Some(dir) } => {
            for p in completions::write_man_pages(dir)? {
                println!("{}", p.display());
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The `daxkit reproduce` arguments that give `a` (paths made absolute):
/// the command a report's reproducer record names when the run was part
/// of another command (`review`).
pub fn reproduce_argv(a: &reproduce::ReproduceSpec) -> Vec<String> {
    fn name(v: impl clap::ValueEnum) -> String {
        v.to_possible_value()
            .map(|p| p.get_name().to_owned())
            .unwrap_or_default()
    }
    let path = |p: &Path| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_owned())
            .display()
            .to_string()
    };
    let (t, c, b, r) = (&a.kernel.target, &a.kernel.config, &a.kernel.build, &a.runs);
    let mut v = vec!["reproduce".to_owned()];
    let mut opt = |flag: &str, value: String| {
        v.push(flag.to_owned());
        v.push(value);
    };
    if let Some(p) = &t.tree {
        opt("--tree", path(p));
    }
    if let Some(base) = &t.base {
        opt("--base", base.clone());
    }
    opt("--kernel", t.kernel.clone());
    for f in &c.fragments {
        opt("--fragment", path(f));
    }
    opt("--profile", name(c.profile));
    if let Some(cc) = &b.cc {
        opt("--cc", cc.clone());
    }
    if let Some(m) = &b.target {
        opt("--make-target", m.clone());
    }
    for case in &r.cases {
        opt("--case", case.clone());
    }
    for fs in &r.filesystems {
        opt("--fs", fs.clone());
    }
    opt("--bench-mib", r.bench_mib.to_string());
    opt("--accel", name(r.accel));
    opt("--timeout", r.timeout.to_string());
    opt("--repeat", r.repeat.to_string());
    if let Some(f) = r.fault {
        opt("--fault", name(f));
    }
    if c.no_rust {
        v.push("--no-rust".to_owned());
    }
    if r.allow_flaky {
        v.push("--allow-flaky".to_owned());
    }
    if let Some(s) = &t.series {
        // A folder or mbox is a path; a name under patches/ stays a name.
        let p = Path::new(s);
        v.push(if p.exists() && s.contains('/') {
            path(p)
        } else {
            s.clone()
        });
    }
    v
}

/// A report's recorded command (`daxkit rerun`) as `reproduce`
/// arguments; `ci` reruns as `reproduce` (its --out folder is left as it
/// is). `file` names the report in errors.
pub fn recorded_reproduce(command: &[String], file: &Path) -> Result<reproduce::ReproduceSpec> {
    let cli = Cli::try_parse_from(std::iter::once("daxkit".to_owned()).chain(command.to_vec()))
        .map_err(|e| {
            anyhow::anyhow!(
                "{}: its command `daxkit {}` does not parse with this daxkit: {}",
                file.display(),
                command.join(" "),
                e.render().to_string().trim()
            )
        })?;
    match cli.command {
        Command::Reproduce(a) => Ok(a.spec()),
        Command::Ci(c) => Ok(c.reproduce.spec()),
        _ => anyhow::bail!(
            "{}: its command `daxkit {}` is not one rerun repeats (reproduce, ci)",
            file.display(),
            command.join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command the CI matrix hands a runner must parse as-is.
    #[test]
    fn matrix_commands_parse() {
        let jobs = report::matrix::plan(
            &["dax-pmd".to_owned(), "my series".to_owned()],
            &["6.12".to_owned(), "6.1".to_owned()],
            "results",
        );
        assert!(!jobs.is_empty());
        for j in &jobs {
            for cmd in [&j.command, &j.merge] {
                let words = shell_words(cmd);
                let parsed = Cli::try_parse_from(&words);
                assert!(parsed.is_ok(), "{cmd}: {}", parsed.unwrap_err());
            }
        }
    }

    /// Every command a pipeline's jobs run (export, ci --kernels, report
    /// merge) must parse as-is.
    #[test]
    fn pipeline_commands_parse() {
        let spec = ci_pipeline::PipelineSpec {
            format: report::MatrixFormat::Gitlab,
            series: Vec::new(),
            kernel: "6.12".into(),
            timings: None,
            shards: ci_pipeline::DEFAULT_SHARDS,
            output: None,
        };
        let p = ci_pipeline::plan(&spec, &ci_pipeline::default_shards()).unwrap();
        assert!(p.builds.len() >= 3 && !p.tests.is_empty());
        for cmd in p
            .builds
            .iter()
            .map(|b| &b.command)
            .chain(p.tests.iter().map(|t| &t.command))
            .chain([&p.merge])
        {
            let parsed = Cli::try_parse_from(shell_words(cmd));
            assert!(parsed.is_ok(), "{cmd}: {}", parsed.unwrap_err());
        }
        // `ci --kernels --variant` and `export` become their specs.
        let Command::Ci(c) = parse(&[
            "ci",
            "dax-pmd",
            "--kernels",
            "k",
            "--variant",
            "Rust",
            "--case",
            "x",
        ]) else {
            panic!("not ci")
        };
        let c = c.spec();
        assert_eq!(c.select.kernels.as_deref(), Some(std::path::Path::new("k")));
        assert_eq!(c.select.variants, ["Rust"]);
        assert_eq!(c.reproduce.runs.cases, ["x"]);
        let Command::Export(e) = parse(&["export", "dax-pmd", "--variant", "C", "--out", "o"])
        else {
            panic!("not export")
        };
        let e = e.spec();
        assert_eq!(e.variants, ["C"]);
        assert_eq!(e.kernel.target.series.as_deref(), Some("dax-pmd"));
        assert!(!e.no_image);
    }

    fn parse(argv: &[&str]) -> Command {
        let words = std::iter::once("daxkit").chain(argv.iter().copied());
        Cli::try_parse_from(words).unwrap().command
    }

    /// `run`'s flags become the spec the stage reads: run plan, watchdog,
    /// the guest; the defaults are the stages' own.
    #[test]
    fn run_flags_make_the_run_spec() {
        let Command::Run(a) = parse(&[
            "run",
            "--kernel",
            "/k",
            "--case",
            "a",
            "--case",
            "b",
            "--fs",
            "ext4",
            "--pmem",
            "memmap",
            "--bench-mib",
            "64",
            "--fault",
            "kernel-panic",
            "--timeout",
            "9",
            "--accel",
            "tcg",
        ]) else {
            panic!()
        };
        let s = a.spec();
        assert_eq!(
            (s.cases.as_slice(), s.filesystems.as_slice()),
            (
                &["a".to_owned(), "b".to_owned()][..],
                &["ext4".to_owned()][..]
            )
        );
        assert_eq!(
            (s.bench_mib, s.fault),
            (Some(64), Some(vm::FaultArg::KernelPanic))
        );
        assert_eq!(
            (s.vm.pmem, s.vm.accel),
            (vm::PmemArg::Memmap, vm::accel::AccelArg::Tcg)
        );
        let w = s.watchdog();
        let d = vm::launch::Watchdog::default();
        assert_eq!(
            (w.total.as_secs(), w.boot, w.silence),
            (9, d.boot, d.silence)
        );
        let Command::Run(a) = parse(&["run", "--kernel", "/k"]) else {
            panic!()
        };
        assert_eq!(a.spec().watchdog().total, d.total);
        assert_eq!(a.spec().vm.accel, vm::accel::AccelArg::Auto);
        for bad in [
            &["run", "--kernel", "/k", "--fs", "btrfs"][..],
            &["run", "--kernel", "/k", "--repeat", "0"],
            &["config", "--profile", "kasan"],
        ] {
            let words = std::iter::once("daxkit").chain(bad.iter().copied());
            assert!(Cli::try_parse_from(words).is_err(), "{bad:?}");
        }
    }

    /// The workflows' flags: one kernel spec, one set of run options.
    #[test]
    fn workflow_flags_make_the_specs() {
        let Command::Ci(a) = parse(&[
            "ci",
            "my-series",
            "--tree",
            "/t",
            "--fragment",
            "/f.config",
            "--profile",
            "debug",
            "--no-rust",
            "--cc",
            "distcc gcc",
            "--case",
            "x",
            "--accel",
            "kvm",
            "--bench-mib",
            "0",
            "--repeat",
            "2",
            "--out",
            "/o",
        ]) else {
            panic!()
        };
        let s = a.reproduce.spec();
        assert_eq!(s.kernel.target.series.as_deref(), Some("my-series"));
        assert_eq!(
            s.kernel.target.tree.as_deref(),
            Some(std::path::Path::new("/t"))
        );
        assert_eq!(s.kernel.target.kernel, "6.12");
        assert_eq!(s.kernel.config.fragments, [PathBuf::from("/f.config")]);
        assert_eq!(
            (s.kernel.config.profile, s.kernel.config.no_rust),
            (kconfig::Profile::Debug, true)
        );
        assert_eq!(s.kernel.build.cc.as_deref(), Some("distcc gcc"));
        assert_eq!(s.runs.cases, ["x"]);
        assert_eq!(
            (s.runs.accel, s.runs.bench_mib, s.runs.repeat),
            (vm::accel::AccelArg::Kvm, 0, 2)
        );
        assert_eq!(
            s.runs.timeout,
            vm::launch::Watchdog::default().total.as_secs()
        );
        assert_eq!(a.out.as_deref(), Some(std::path::Path::new("/o")));
        let Command::Reproduce(a) = parse(&["reproduce"]) else {
            panic!()
        };
        let s = a.spec();
        assert_eq!(
            (s.kernel.config.profile, s.runs.bench_mib),
            (kconfig::Profile::Default, 256)
        );
        let Command::CheckSeries(a) = parse(&["check-series", "s", "--checks", "objects", "--run"])
        else {
            panic!()
        };
        let s = a.spec();
        assert_eq!((s.checks, s.run), (check_series::Checks::Objects, true));
        let Command::Gc(a) = parse(&["gc", "--older-than", "2d", "--repos"]) else {
            panic!()
        };
        let g = a.spec();
        assert_eq!(
            g.policy.older_than,
            Some(std::time::Duration::from_secs(2 * 86_400))
        );
        assert!(g.policy.repos && !g.dry_run);
    }

    /// Splits a command line of plain words and single-quoted words.
    fn shell_words(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for c in s.chars() {
            match c {
                '\'' => quoted = !quoted,
                ' ' if !quoted => {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                }
                _ => cur.push(c),
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    fn parse_reproduce(args: &[String]) -> reproduce::ReproduceSpec {
        let cli = Cli::try_parse_from(std::iter::once("daxkit".to_owned()).chain(args.to_vec()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        match cli.command {
            Command::Reproduce(a) => a.spec(),
            other => panic!("{other:?}"),
        }
    }

    /// Every flag survives the trip to argv and back, so a review's
    /// reproducer record reruns the run it made.
    #[test]
    fn reproduce_argv_parses_back_to_the_same_args() {
        for args in [
            vec!["reproduce"],
            vec![
                "reproduce",
                "/tmp/x/series",
                "--tree",
                "/src/linux",
                "--base",
                "v6.12",
                "--kernel",
                "6.1",
                "--fragment",
                "/tmp/a.config",
                "--no-rust",
                "--profile",
                "debug",
                "--cc",
                "distcc gcc",
                "--case",
                "xfs-aligned-shared-write",
                "--fs",
                "xfs",
                "--bench-mib",
                "0",
                "--accel",
                "tcg",
                "--timeout",
                "60",
                "--repeat",
                "2",
                "--allow-flaky",
                "--fault",
                "disagree",
            ],
        ] {
            let a = parse_reproduce(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            let again = parse_reproduce(&reproduce_argv(&a));
            assert_eq!(format!("{again:?}"), format!("{a:?}"));
        }
    }

    #[test]
    fn recorded_commands_become_reproduce_args() {
        let f = Path::new("r.json");
        let rec: Vec<String> = ["reproduce", "dax-pmd", "--case", "xfs-aligned-shared-write"]
            .map(str::to_owned)
            .to_vec();
        let a = recorded_reproduce(&rec, f).unwrap();
        assert_eq!(a.kernel.target.series.as_deref(), Some("dax-pmd"));
        assert_eq!(a.runs.cases, ["xfs-aligned-shared-write"]);
        let ci: Vec<String> = ["ci", "--out", "x", "--fs", "xfs"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            recorded_reproduce(&ci, f).unwrap().runs.filesystems,
            ["xfs"]
        );
        let err = format!(
            "{:#}",
            recorded_reproduce(&["doctor".to_owned()], f).unwrap_err()
        );
        assert!(
            err.starts_with("r.json: its command `daxkit doctor`"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            recorded_reproduce(&["reproduce".to_owned(), "--bogus".to_owned()], f).unwrap_err()
        );
        assert!(err.contains("does not parse"), "{err}");
    }
}
