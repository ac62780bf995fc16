//! Command-line interface: the flags (no I/O here) and the dispatch to the
//! stage module each subcommand is named after.

use crate::{
    apply, bisect, build, check_series, exec, fetch, home::Home, image, kconfig, report, reproduce,
    series, tree, ui, vm,
};
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
    Config(ConfigArgs),
    /// Apply, configure and build bzImage (incremental, ccache, progress).
    Build(ConfigArgs),
    /// Build the guest initramfs (harness as /init, mkfs tools and their libraries).
    Image(image::ImageArgs),
    /// Boot a kernel in QEMU with emulated NVDIMMs and run the cases.
    Run(vm::RunArgs),
    /// Boot a kernel with the debug-shell image and a shell on the console.
    Shell(vm::ShellArgs),
    /// The main job: stock vs stock + series (each variant), the full case
    /// matrix, one report (Markdown, JSON, JUnit, HTML, summary line).
    Reproduce(reproduce::ReproduceArgs),
    /// `reproduce` for CI: no progress bars, JSON on stdout, report files
    /// copied to --out, exit code 0 / 1 / 125.
    Ci(reproduce::CiArgs),
    /// Find the first commit that breaks a case: `git bisect run` with
    /// daxkit's build+boot+case step, in daxkit's own worktree.
    Bisect(bisect::BisectArgs),
    /// Patch by patch: applies, checkpatch --strict, builds on its own, and
    /// with --run passes the cases (like ktest's patchcheck).
    CheckSeries(check_series::CheckSeriesArgs),
    /// Reports: `report merge OUT_DIR IN_DIR...` joins CI jobs' run folders.
    #[command(subcommand)]
    Report(report::ReportCmd),
    /// Print the CI job matrix (series x kernel x case group) for GitHub Actions or GitLab CI.
    Matrix(report::MatrixArgs),
    /// Write a whole CI pipeline (GitHub workflow or .gitlab-ci.yml): each
    /// kernel built once, tests fanned out over the artifacts, one report.
    Pipeline(crate::pipeline::PipelineArgs),
    /// Pack kept kernels (bzImage, config, stamp, commit, toolchain) and
    /// the guest image for `daxkit ci --kernels DIR`; builds what is missing.
    Export(crate::export::ExportArgs),
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

#[derive(Debug, Subcommand)]
pub enum KernelCmd {
    /// Install (if needed) and import linux-source-X into the cache; print the base tag.
    Fetch {
        /// Kernel series of Debian's linux-source package.
        #[arg(long, default_value = "6.12", value_parser = ["6.12", "6.1"])]
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
    #[arg(long = "kernel", default_value = "6.12", value_parser = ["6.12", "6.1"])]
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
    #[arg(long, value_enum, default_value_t = Profile::Default)]
    pub profile: Profile,
    /// Compiler for the kernel build, e.g. "distcc gcc" (default: ccache gcc; ccache is installed if missing).
    #[arg(long)]
    pub cc: Option<String>,
    /// Build this make target (e.g. fs/dax.o) instead of bzImage; prints its path.
    #[arg(long, value_name = "TARGET")]
    pub make_target: Option<String>,
}

/// Which kernel self-checks the config turns on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// base, dax, probes and rust fragments.
    #[default]
    Default,
    /// The defaults plus kernel-config/debug.config.
    Debug,
}

pub fn run(cli: Cli) -> Result<i32> {
    ui::set_quiet(cli.quiet);
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
            let (base, series) = target(&home, &t)?;
            let applied = apply::apply(&home, &base, series.as_ref())?;
            println!("{}", applied.describe());
        }
        Command::Config(c) => {
            let (base, series) = target(&home, &c.target)?;
            let applied = apply::apply(&home, &base, series.as_ref())?;
            let report =
                kconfig::configure(&home, &applied, &kconfig::fragments(&c, series.as_ref())?)?;
            println!("{}", report.summary());
        }
        Command::Build(c) => {
            let (base, series) = target(&home, &c.target)?;
            let applied = apply::apply(&home, &base, series.as_ref())?;
            let cfg =
                kconfig::configure(&home, &applied, &kconfig::fragments(&c, series.as_ref())?)?;
            let out = build::build(
                &home,
                &applied,
                &cfg.stamp,
                &build::BuildOptions::from_args(&c),
            )?;
            ui::note(format!("build log {}", out.log.display()));
            println!("{}", out.bzimage.display());
        }
        Command::Reproduce(a) => return reproduce::cmd(&home, &a),
        Command::Ci(a) => return reproduce::ci(&home, &a),
        Command::Bisect(a) => return bisect::cmd(&home, &a),
        Command::CheckSeries(a) => return check_series::cmd(&home, &a),
        Command::BisectStep { plan } => return bisect::step_cmd(&plan),
        Command::RequireTool { tools } => {
            for t in tools {
                println!("{}", exec::require_tool(&t)?.display());
            }
        }
        Command::Report(c) => return report::cmd_report(&c),
        Command::Matrix(a) => return report::cmd_matrix(&a),
        Command::Pipeline(a) => return crate::pipeline::cmd(&a),
        Command::Export(a) => return crate::export::cmd(&home, &a),
        Command::Image(a) => return image::cmd(&home, &a),
        Command::Run(a) => return vm::cmd(&home, &a),
        Command::Shell(a) => return vm::shell(&home, &a),
    }
    let _ = exec::interrupted;
    Ok(crate::exit::GOOD)
}

/// Resolves the base tree and loads the series, as every tree command does.
pub fn target(home: &Home, t: &TargetArgs) -> Result<(tree::BaseTree, Option<series::Series>)> {
    let series = t.series.as_deref().map(series::load).transpose()?;
    let base = tree::resolve(home, t, series.as_ref())?;
    Ok((base, series))
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
}
