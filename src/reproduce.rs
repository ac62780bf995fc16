//! `daxkit reproduce [SERIES]`: the whole story for one series — stock
//! kernel vs kernel + series (each of the series' variants, e.g. the C and
//! the Rust fault path), the full case matrix on each, and one report.
//!
//! Both kernels are built in the same worktree and build dir, one after
//! the other, so the second build is incremental; built kernels are kept
//! by commit+config, so a rerun only boots.

use crate::apply::{self, Applied};
use crate::build::{self, BuildOptions};
use crate::cli::ConfigArgs;
use crate::home::{self, Home};
use crate::report::model::{BaseInfo, Report, SeriesInfo, Variant, REPORT_FORMAT};
use crate::runs::{self, RunOptions};
use crate::series::{self, Series};
use crate::{kconfig, tree, ui};
use anyhow::Result;
use clap::Args;
use daxkit_harness::judge::Blame;
use std::path::{Path, PathBuf};

/// The series `reproduce` runs when none is named.
pub const DEFAULT_SERIES: &str = "dax-pmd";

#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub runs: RunOptions,
}

#[derive(Debug, Clone, Args)]
pub struct CiArgs {
    #[command(flatten)]
    pub reproduce: ReproduceArgs,
    /// Also copy the report files here (for the CI system's artifacts).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub select: Selection,
}

/// Which kernels `ci` boots and where they come from (a CI test job).
#[derive(Debug, Clone, Default, Args)]
pub struct Selection {
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

impl Selection {
    pub fn wants(&self, name: &str) -> bool {
        self.variants.is_empty() || self.variants.iter().any(|v| v == name)
    }
}

pub fn cmd(home: &Home, a: &ReproduceArgs) -> Result<i32> {
    let (report, out) = run(home, a)?;
    let files = crate::report::write_all(&report, &out)?;
    print!("{}", crate::report::markdown::render(&report));
    println!();
    println!("{}", crate::report::summary_line(&report));
    for f in files {
        ui::note(format!("wrote {}", f.display()));
    }
    Ok(report.exit_code())
}

/// `daxkit ci`: the same pipeline, non-interactive: progress only as plain
/// lines on stderr, and on stdout one JSON object with the exit code, the
/// one-line summary and the report files.
pub fn ci(home: &Home, a: &CiArgs) -> Result<i32> {
    let mut r = a.reproduce.clone();
    if let Some(img) = a
        .select
        .kernels
        .as_deref()
        .and_then(crate::export::image_in)
    {
        r.runs.image.get_or_insert(img);
    }
    let (report, run_dir) = run_with(home, &r, &a.select)?;
    let mut files = crate::report::write_all(&report, &run_dir)?;
    if let Some(out) = &a.out {
        files = crate::report::write_all(&report, out)?;
    }
    let code = report.exit_code();
    let json = serde_json::json!({
        "exit_code": code,
        "summary": crate::report::summary_line(&report),
        "run_dir": run_dir,
        "files": files,
    });
    println!("{json}");
    Ok(code)
}

/// Builds, boots and collects; returns the report and the run folder.
/// A kernel that does not build is a variant's outcome; a missing tool,
/// an unsatisfiable config or a bad series is an error (exit 128).
pub fn run(home: &Home, a: &ReproduceArgs) -> Result<(Report, PathBuf)> {
    run_with(home, a, &Selection::default())
}

/// [`run`] for the variants `sel` names, with its kernels when it has any.
pub fn run_with(home: &Home, a: &ReproduceArgs, sel: &Selection) -> Result<(Report, PathBuf)> {
    let spec = a
        .config
        .target
        .series
        .clone()
        .unwrap_or_else(|| DEFAULT_SERIES.to_owned());
    let series = series::load(&spec)?;
    crate::runs::check_case_names_in(
        home,
        &a.runs.cases,
        &a.runs.filesystems,
        a.runs.image.as_deref(),
    )?;
    let base = tree::resolve(home, &a.config.target, Some(&series))?;
    let opts = BuildOptions::from_args(&a.config);

    // Inputs first (a series that does not apply, a missing fragment):
    // daxkit's input errors, before any build and without a run folder.
    // Stock: the series' own fragments stay out (its options do not exist
    // before it); the user's --fragment files apply to both kernels.
    let stock = apply::apply(home, &base, None)?;
    let stock_frags = kconfig::fragments(&a.config, None)?;
    let patched = apply::apply(home, &base, Some(&series))?;
    let frags = kconfig::fragments(&a.config, Some(&series))?;
    let specs = runs::variants_of(Some(&series));
    let names: Vec<String> = specs
        .iter()
        .map(|v| crate::export::variant_name(&v.name).to_owned())
        .collect();
    if let Some(v) = sel
        .variants
        .iter()
        .find(|v| *v != crate::export::STOCK && !names.contains(v))
    {
        anyhow::bail!(
            "--variant {v}: series {} has variants stock, {}",
            series.name,
            names.join(", ")
        );
    }
    let out = home.new_run(&format!("reproduce-{}", series.name))?;
    ui::step(format!("reproduce {} → {}", series.name, out.display()));
    let kernels = sel.kernels.as_deref();
    let stock_only = [crate::export::STOCK.to_owned()];
    let kernel = |applied: &Applied, frags: &[PathBuf], variants: &[String], dir: &Path| {
        crate::export::kernel_for(home, kernels, applied, frags, variants, &opts, dir)
    };
    let series_wanted = names.iter().any(|n| sel.wants(n));
    // The stock kernel is needed to boot it, and to tell whose fault a
    // series that does not build is.
    let mut stock_kernel = None;
    if sel.wants(crate::export::STOCK) {
        stock_kernel = Some(kernel(
            &stock,
            &stock_frags,
            &stock_only,
            &out.join("stock"),
        )?);
    }
    let patched_kernel = if series_wanted {
        kernel(&patched, &frags, &names, &out.join("series"))?
    } else {
        Err("not selected".to_owned())
    };
    if series_wanted && patched_kernel.is_err() && stock_kernel.is_none() {
        stock_kernel = Some(kernel(
            &stock,
            &stock_frags,
            &stock_only,
            &out.join("stock"),
        )?);
    }
    let stock_builds = stock_kernel.as_ref().is_some_and(|k| k.is_ok());

    let plan = a.runs.run_plan();
    let boot =
        |name: &str, applied: &Applied, kernel: &Path, append: &[String], expect, dir: &Path| {
            runs::boot_variant(
                home,
                &runs::Boot {
                    name,
                    commit: &applied.head,
                    vm: a.runs.vm_args(kernel, append),
                    plan: &plan,
                    watchdog: a.runs.watchdog(),
                    expect,
                    dir,
                    repeat: a.runs.repeat,
                    allow_flaky: a.runs.allow_flaky,
                },
            )
        };
    let stock_dir = out.join("stock");
    let mut variants = Vec::new();
    if sel.wants(crate::export::STOCK) {
        variants.push(match stock_kernel.as_ref() {
            Some(Ok(k)) => boot("stock", &stock, k, &[], None, &stock_dir)?,
            Some(Err(why)) => runs::unbuilt_variant(
                "stock",
                &stock.head,
                &[],
                None,
                &stock_dir,
                why,
                Blame::Base,
            ),
            None => anyhow::bail!("stock: no kernel planned (a daxkit bug)"),
        });
    }
    for v in specs {
        if crate::exec::interrupted() {
            break;
        }
        if !sel.wants(crate::export::variant_name(&v.name)) {
            continue;
        }
        let name = v.label(Some(&series));
        let dir = out.join(format!("series-{}", runs::slug(&v.name)));
        variants.push(match &patched_kernel {
            Ok(k) => boot(&name, &patched, k, &v.append, Some(&series.expect), &dir)?,
            // The series broke a base that builds: its fault. A base that
            // does not build either cannot test the series.
            Err(why) => runs::unbuilt_variant(
                &name,
                &patched.head,
                &v.append,
                Some(&series.expect),
                &dir,
                why,
                if stock_builds {
                    Blame::Series
                } else {
                    Blame::Base
                },
            ),
        });
    }
    if crate::exec::interrupted() {
        anyhow::bail!("interrupted; QEMU stopped, run folder {}", out.display());
    }
    let report = make_report(&base, Some(&series), &patched, variants)?;
    Ok((report, out))
}

/// Configures and builds `applied`, keeping config and build log in
/// `dir`. `Ok(Err(why))` when make failed (an outcome of the variant);
/// `Err` for daxkit's own or the host's failures (config, tools).
pub fn build_into(
    home: &Home,
    applied: &Applied,
    frags: &[PathBuf],
    opts: &BuildOptions,
    dir: &Path,
) -> Result<Result<PathBuf, String>> {
    std::fs::create_dir_all(dir)?;
    let cfg = kconfig::configure(home, applied, frags)?;
    let _ = std::fs::copy(&cfg.config, dir.join("config"));
    let opts = BuildOptions {
        log_copy: Some(dir.join("build.log")),
        ..opts.clone()
    };
    match build::build(home, applied, &cfg.stamp, &opts) {
        Ok(b) => Ok(Ok(b.bzimage)),
        Err(e) if e.is::<build::BuildFailed>() && !crate::exec::interrupted() => {
            ui::warn(format!(
                "{}: build failed: {e:#}",
                tree::short(&applied.head)
            ));
            Ok(Err(format!("{e:#}")))
        }
        Err(e) => Err(e),
    }
}

pub fn make_report(
    base: &tree::BaseTree,
    series: Option<&Series>,
    patched: &Applied,
    variants: Vec<Variant>,
) -> Result<Report> {
    let kernel_version = tree::version_at(&base.repo, &base.base)?;
    let title = match series {
        Some(s) => format!("{} v{} on Linux {kernel_version}", s.name, s.version),
        None => format!("Linux {kernel_version}"),
    };
    Ok(Report {
        format: REPORT_FORMAT,
        daxkit: env!("CARGO_PKG_VERSION").to_owned(),
        created: home::utc_stamp(),
        title,
        base: BaseInfo {
            name: base.base_name.clone(),
            commit: base.base.clone(),
            kernel_version,
        },
        series: series.map(|s| SeriesInfo {
            name: s.name.clone(),
            version: s.version,
            patches: patched.commits.clone(),
        }),
        variants,
    })
}
