//! The subcommands' flags (clap derive, no I/O) and their conversion into
//! the plain specs the stages take (`spec()`). Flags two commands share
//! are one flattened group ([`CaseArgs`], [`AccelArg`]), and every
//! default that a stage also knows comes from the stage's constant.

use super::ConfigArgs;
use crate::vm::{self, launch::Watchdog};
use crate::{
    bisect, check_series, ci_pipeline, doctor, export, fetch, gc, image, kconfig, report,
    reproduce, review, runs,
};
use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `--case` and `--fs`: which cases run (`run`, and the workflows' run
/// options).
#[derive(Debug, Clone, Args)]
pub struct CaseArgs {
    /// Run only this case (repeatable; default: all).
    #[arg(long = "case", value_name = "NAME")]
    pub cases: Vec<String>,
    /// Filesystem to test (repeatable; default: xfs and ext4).
    #[arg(long = "fs", value_parser = ["xfs", "ext4"])]
    pub filesystems: Vec<String>,
}

/// `--accel` (`run`, `shell`, and the workflows' run options).
#[derive(Debug, Clone, Args)]
pub struct AccelArg {
    /// KVM, TCG, or auto: KVM if a quick probe boot works, else TCG.
    #[arg(long, value_enum, default_value = "auto")]
    pub accel: vm::accel::AccelArg,
}

/// How each variant is booted and run (reproduce, ci, bisect,
/// check-series): [`runs::RunOptions`].
#[derive(Debug, Clone, Args)]
pub struct RunOptionsArgs {
    #[command(flatten)]
    pub select: CaseArgs,
    /// Fault benchmark size in MiB (0: no benchmark).
    #[arg(long, default_value_t = vm::DEFAULT_BENCH_MIB, value_name = "N")]
    pub bench_mib: u64,
    #[command(flatten)]
    pub accel: AccelArg,
    /// Whole-run limit per boot, seconds.
    #[arg(long, default_value_t = Watchdog::TOTAL_S, value_name = "SECS")]
    pub timeout: u64,
    /// Boot each variant N times; a case whose verdict differs between
    /// boots is flaky and fails (unless --allow-flaky).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Report flaky cases without failing.
    #[arg(long)]
    pub allow_flaky: bool,
    /// Use this initramfs instead of building the image (`daxkit export`
    /// packs one; `ci --kernels` uses it).
    #[arg(long, value_name = "CPIO_GZ")]
    pub image: Option<PathBuf>,
    /// Make the guest fail on purpose (tests of daxkit itself).
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<vm::FaultArg>,
}

impl RunOptionsArgs {
    pub fn spec(&self) -> runs::RunOptions {
        runs::RunOptions {
            cases: self.select.cases.clone(),
            filesystems: self.select.filesystems.clone(),
            bench_mib: self.bench_mib,
            accel: self.accel.accel,
            timeout: self.timeout,
            repeat: self.repeat,
            allow_flaky: self.allow_flaky,
            image: self.image.clone(),
            fault: self.fault,
        }
    }
}

/// The guest of `run` and `shell`: [`vm::BootSpec`].
#[derive(Debug, Clone, Args)]
pub struct VmArgs {
    /// Kernel to boot (bzImage).
    #[arg(long, value_name = "BZIMAGE")]
    pub kernel: PathBuf,
    /// Where the guest gets persistent memory: ACPI NVDIMMs, or the legacy
    /// memmap= kernel parameter.
    #[arg(long, value_enum, default_value = "nvdimm")]
    pub pmem: vm::PmemArg,
    #[command(flatten)]
    pub accel: AccelArg,
    /// Guest CPUs.
    #[arg(long, default_value_t = 1, hide = true)]
    pub smp: u32,
    /// Extra kernel command-line parameters (e.g. "loglevel=8").
    #[arg(long, value_name = "PARAMS")]
    pub append: Vec<String>,
    /// Use this initramfs instead of building the image.
    #[arg(long, value_name = "CPIO_GZ")]
    pub image: Option<PathBuf>,
    /// QEMU binary.
    #[arg(long, default_value = "qemu-system-x86_64", hide = true)]
    pub qemu: PathBuf,
}

impl VmArgs {
    pub fn spec(&self) -> vm::BootSpec {
        vm::BootSpec {
            kernel: self.kernel.clone(),
            pmem: self.pmem,
            accel: self.accel.accel,
            smp: self.smp,
            append: self.append.clone(),
            image: self.image.clone(),
            qemu: self.qemu.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub vm: VmArgs,
    #[command(flatten)]
    pub select: CaseArgs,
    /// Run the fault benchmark over this many MiB.
    #[arg(long, value_name = "N")]
    pub bench_mib: Option<u64>,
    /// Whole-run limit, seconds.
    #[arg(long, default_value_t = Watchdog::TOTAL_S, value_name = "SECS")]
    pub timeout: u64,
    /// Limit from QEMU's start to the guest's hello, seconds.
    #[arg(long, default_value_t = Watchdog::BOOT_S, value_name = "SECS")]
    pub boot_timeout: u64,
    /// Longest silence between two result records, seconds.
    #[arg(long, default_value_t = Watchdog::SILENCE_S, value_name = "SECS")]
    pub silence_timeout: u64,
    /// Make the guest fail on purpose (tests of daxkit itself).
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<vm::FaultArg>,
    /// Print the plan (QEMU command line, run plan) and do nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Judge against this series' expectations and boot each of its
    /// variants (their kernel parameters); the kernel should be one built
    /// with the series. Exit 1 if any variant is bad.
    #[arg(long, value_name = "SERIES")]
    pub series: Option<String>,
    /// Boot each variant N times; a case whose verdict differs between
    /// boots is flaky and fails the run (unless --allow-flaky).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Report flaky cases without failing the run.
    #[arg(long)]
    pub allow_flaky: bool,
}

impl RunArgs {
    pub fn spec(&self) -> vm::RunSpec {
        vm::RunSpec {
            vm: self.vm.spec(),
            cases: self.select.cases.clone(),
            filesystems: self.select.filesystems.clone(),
            bench_mib: self.bench_mib,
            timeout: self.timeout,
            boot_timeout: self.boot_timeout,
            silence_timeout: self.silence_timeout,
            fault: self.fault,
            dry_run: self.dry_run,
            series: self.series.clone(),
            repeat: self.repeat,
            allow_flaky: self.allow_flaky,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ShellArgs {
    #[command(flatten)]
    pub vm: VmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ImageArgs {
    /// Add busybox and a shell init (/shell-init) for `daxkit shell`.
    #[arg(long)]
    pub debug_shell: bool,
    /// Manifest to build from (default: the shipped vm-images/initramfs.yaml).
    #[arg(long, value_name = "YAML")]
    pub manifest: Option<PathBuf>,
    /// Build the harness with its test hooks (fault injection for
    /// daxkit's own tests); never used for real runs.
    #[arg(long, hide = true)]
    pub test_hooks: bool,
}

impl ImageArgs {
    pub fn spec(&self) -> image::ImageSpec {
        image::ImageSpec {
            debug_shell: self.debug_shell,
            manifest: self.manifest.clone(),
            test_hooks: self.test_hooks,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub runs: RunOptionsArgs,
}

impl ReproduceArgs {
    pub fn spec(&self) -> reproduce::ReproduceSpec {
        reproduce::ReproduceSpec {
            kernel: self.config.spec(),
            runs: self.runs.spec(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CiArgs {
    #[command(flatten)]
    pub reproduce: ReproduceArgs,
    /// Also copy the report files here (for the CI system's artifacts).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Use the kernels `daxkit export` wrote into DIR (and its guest
    /// image) instead of building: a kernel whose stamp is not the one
    /// this job would build is refused with what differs.
    #[arg(long, value_name = "DIR")]
    pub kernels: Option<PathBuf>,
    /// Boot only this variant (repeatable): `stock`, or a variant of the
    /// series (`C`, `Rust`). Default: all.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
}

impl CiArgs {
    pub fn spec(&self) -> reproduce::CiSpec {
        reproduce::CiSpec {
            reproduce: self.reproduce.spec(),
            out: self.out.clone(),
            select: reproduce::Selection {
                kernels: self.kernels.clone(),
                variants: self.variants.clone(),
            },
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only the kernels these variants boot (repeatable; `stock` is the
    /// base kernel). Default: every kernel `daxkit ci` of the series
    /// would build (stock and one per distinct variant config).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Folder to write the kernels (`<stamp>/`) and `image/` into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Leave the guest image out.
    #[arg(long)]
    pub no_image: bool,
}

impl ExportArgs {
    pub fn spec(&self) -> export::ExportSpec {
        export::ExportSpec {
            kernel: self.config.spec(),
            variants: self.variants.clone(),
            out: self.out.clone(),
            no_image: self.no_image,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct PipelineArgs {
    /// The CI system to write the pipeline for.
    #[arg(long, value_enum)]
    pub format: report::MatrixFormat,
    /// Series to test (default: dax-pmd).
    pub series: Vec<String>,
    /// linux-source version.
    #[arg(long = "kernel", default_value = fetch::DEFAULT_KERNEL, value_parser = PossibleValuesParser::new(fetch::KERNELS))]
    pub kernel: String,
    /// Split the cases into shards by the durations in this report.json
    /// (a previous run's), so no shard takes much more than the mean.
    #[arg(long, value_name = "REPORT_JSON")]
    pub timings: Option<PathBuf>,
    /// Shards per variant with --timings (fewer when a case alone would
    /// make a shard longer than 1.5x the mean).
    #[arg(long, default_value_t = ci_pipeline::DEFAULT_SHARDS, value_parser = clap::value_parser!(u64).range(1..64))]
    pub shards: u64,
    /// Write here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl PipelineArgs {
    pub fn spec(&self) -> ci_pipeline::PipelineSpec {
        ci_pipeline::PipelineSpec {
            format: self.format,
            series: self.series.clone(),
            kernel: self.kernel.clone(),
            timings: self.timings.clone(),
            shards: self.shards,
            output: self.output.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct BisectArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub runs: RunOptionsArgs,
    /// A revision where the cases pass. With a series: `base` (default),
    /// `patch:K` (the first K patches), `series`, or any commit.
    #[arg(long)]
    pub good: Option<String>,
    /// A revision where they fail. With a series, default `series`.
    #[arg(long)]
    pub bad: Option<String>,
}

impl BisectArgs {
    pub fn spec(&self) -> bisect::BisectSpec {
        bisect::BisectSpec {
            kernel: self.config.spec(),
            runs: self.runs.spec(),
            good: self.good.clone(),
            bad: self.bad.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CheckSeriesArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Also boot each patch's kernel and run the cases.
    #[arg(long)]
    pub run: bool,
    /// The kernel-standard checks after each patch's build: `all` (no new
    /// W=1 or sparse warnings in touched files, rustfmt and clippy clean
    /// touched Rust files, and a second build with the other CONFIG_RUST
    /// setting), `objects` (all but the second build), `none`.
    #[arg(long, value_enum, default_value = "all")]
    pub checks: check_series::Checks,
    #[command(flatten)]
    pub runs: RunOptionsArgs,
}

impl CheckSeriesArgs {
    pub fn spec(&self) -> check_series::CheckSeriesSpec {
        check_series::CheckSeriesSpec {
            kernel: self.config.spec(),
            run: self.run,
            checks: self.checks,
            runs: self.runs.spec(),
            out_dir: None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// Join the report.json of several run folders (e.g. one per CI job)
    /// into one report: OUT_DIR/{report.json,report.md,report.xml,report.html,summary.txt}.
    /// Exits like the runs: 0 all good, 1 any bad, 125 any could not be tested.
    Merge {
        /// Folder to write the merged report into.
        out_dir: PathBuf,
        /// Run folders holding report.json (or report.json files).
        #[arg(required = true)]
        in_dirs: Vec<PathBuf>,
    },
    /// For scripts (benches/fault.sh): one JSON line per run folder saying
    /// whether its fault benchmark counts (both runs present, whole result
    /// stream, each run's mapping confirmed by both page-table readers).
    /// Exits 0 when every folder's does, else 1.
    #[command(hide = true)]
    Bench {
        /// Run folders holding results.jsonl.
        #[arg(required = true)]
        run_dirs: Vec<PathBuf>,
    },
}

impl ReportCmd {
    pub fn spec(&self) -> report::ReportCmd {
        match self {
            ReportCmd::Merge { out_dir, in_dirs } => report::ReportCmd::Merge {
                out_dir: out_dir.clone(),
                in_dirs: in_dirs.clone(),
            },
            ReportCmd::Bench { run_dirs } => report::ReportCmd::Bench {
                run_dirs: run_dirs.clone(),
            },
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct MatrixArgs {
    /// The CI system to write the matrix for.
    #[arg(long, value_enum)]
    pub format: report::MatrixFormat,
    /// Series to test (repeatable; default: dax-pmd).
    #[arg(long = "series", value_name = "NAME")]
    pub series: Vec<String>,
    /// Kernel to test on (repeatable; default: 6.12).
    #[arg(long = "kernel", value_parser = PossibleValuesParser::new(fetch::KERNELS))]
    pub kernels: Vec<String>,
    /// Folder the jobs write their results under.
    #[arg(long, default_value = "results", value_name = "DIR")]
    pub results: String,
}

impl MatrixArgs {
    pub fn spec(&self) -> report::MatrixSpec {
        report::MatrixSpec {
            format: self.format,
            series: self.series.clone(),
            kernels: self.kernels.clone(),
            results: self.results.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Install what is missing (as root with apt-get, through the installs
    /// daxkit does on demand; not with DAXKIT_NO_INSTALL): what the main
    /// job needs, and ccache. Test-only tools are left to the tests.
    #[arg(long)]
    pub fix: bool,
    /// Kernel series whose imported tree `make rustavailable` is asked.
    #[arg(long = "kernel", default_value = fetch::DEFAULT_KERNEL, value_parser = PossibleValuesParser::new(fetch::KERNELS))]
    pub kernel: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = doctor::Format::Text)]
    pub format: doctor::Format,
}

impl DoctorArgs {
    pub fn spec(&self) -> doctor::DoctorSpec {
        doctor::DoctorSpec {
            fix: self.fix,
            kernel: self.kernel.clone(),
            format: self.format,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct GcArgs {
    /// Keep the newest N run folders, remove older ones.
    #[arg(long, value_name = "N")]
    pub keep_runs: Option<usize>,
    /// Remove entries unused for longer than this (e.g. 14d, 12h, 2w).
    #[arg(long, value_name = "DURATION", value_parser = gc::parse_duration)]
    pub older_than: Option<std::time::Duration>,
    /// Remove the least recently used kernels, images, runs and old assets until the
    /// whole cache is under this size (e.g. 20G, 500M).
    #[arg(long, value_name = "SIZE", value_parser = gc::parse_size)]
    pub max_size: Option<u64>,
    /// Also prune worktrees with their build dirs (work/<id>/): the next
    /// build is cold (~15 min). Off by default.
    #[arg(long)]
    pub worktrees: bool,
    /// Also prune imported repos (repos/<id>.git) and their worktrees: the
    /// next run imports the tree again. Off by default.
    #[arg(long)]
    pub repos: bool,
    /// List what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl GcArgs {
    pub fn spec(&self) -> gc::GcSpec {
        gc::GcSpec {
            policy: gc::Policy {
                keep_runs: self.keep_runs,
                older_than: self.older_than,
                max_size: self.max_size,
                worktrees: self.worktrees,
                repos: self.repos,
            },
            dry_run: self.dry_run,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    /// The thread: a message-id or lore URL (fetched with b4), or a local
    /// mbox file or maildir folder.
    #[arg(required_unless_present = "compare")]
    pub source: Option<String>,
    /// Compare two revisions instead: OLD and NEW are review folders,
    /// threads, mboxes or series folders (patches matched by patch-id or
    /// subject; with review folders, checks and cases too).
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with = "source")]
    pub compare: Option<Vec<String>>,
    /// No network: a message-id or URL is refused with what to do instead.
    #[arg(long)]
    pub offline: bool,
    /// Without a usable `base-commit:` in the thread, let b4 guess the
    /// base within the tree (from the blob ids in the patches).
    #[arg(long)]
    pub guess_base: bool,
    /// Take the Kconfig fragments, expectations and variants from this
    /// series (a name under patches/ or a folder); `none` for none.
    #[arg(long, default_value = reproduce::DEFAULT_SERIES, value_name = "SERIES")]
    pub like: String,
    /// Review folder (default: a new run folder `runs/<stamp>-review`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Review a thread whose cover letter names prerequisite patches
    /// (`prerequisite-patch-id:`) that the base does not contain.
    #[arg(long)]
    pub ignore_prerequisites: bool,
    /// Also boot each patch's kernel in check-series (`check-series --run`).
    #[arg(long)]
    pub run_each_patch: bool,
    /// check-series' kernel-standard checks (`check-series --checks`).
    #[arg(long, value_enum, default_value = "all")]
    pub checks: check_series::Checks,
    /// Use this kernel git tree instead of Debian's tarball (read only).
    #[arg(long)]
    pub tree: Option<PathBuf>,
    /// Base revision, overriding the thread's `base-commit:`.
    #[arg(long)]
    pub base: Option<String>,
    /// linux-source version when no --tree is given.
    #[arg(long = "kernel", default_value = fetch::DEFAULT_KERNEL, value_parser = PossibleValuesParser::new(fetch::KERNELS))]
    pub kernel: String,
    /// Extra Kconfig fragment(s).
    #[arg(long = "fragment", value_name = "FILE")]
    pub fragments: Vec<PathBuf>,
    /// Leave out the Rust fragment (CONFIG_RUST) from the defaults.
    #[arg(long)]
    pub no_rust: bool,
    /// Kernel config profile (see `config --profile`).
    #[arg(long, value_enum, default_value_t = kconfig::Profile::Default)]
    pub profile: kconfig::Profile,
    /// Compiler for the kernel build.
    #[arg(long)]
    pub cc: Option<String>,
    #[command(flatten)]
    pub runs: RunOptionsArgs,
}

impl ReviewArgs {
    pub fn spec(&self) -> review::ReviewSpec {
        review::ReviewSpec {
            source: self.source.clone(),
            compare: self.compare.clone(),
            offline: self.offline,
            guess_base: self.guess_base,
            like: self.like.clone(),
            out: self.out.clone(),
            ignore_prerequisites: self.ignore_prerequisites,
            run_each_patch: self.run_each_patch,
            checks: self.checks,
            tree: self.tree.clone(),
            base: self.base.clone(),
            kernel: self.kernel.clone(),
            fragments: self.fragments.clone(),
            no_rust: self.no_rust,
            profile: self.profile,
            cc: self.cc.clone(),
            runs: self.runs.spec(),
        }
    }
}
