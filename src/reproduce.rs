//! `daxkit reproduce [SERIES]`: the whole story for one series — stock
//! kernel vs kernel + series (each of the series' variants, e.g. the C and
//! the Rust fault path), the full case matrix on each, and one report.
//!
//! Both kernels are built in the same worktree and build dir, one after
//! the other, so the second build is incremental; built kernels are kept
//! by commit+config, so a rerun only boots.

use crate::apply::{self, Applied};
use crate::build::{self, BuildOptions};
use crate::home::{self, Home};
use crate::pipeline::{self, KernelSpec};
use crate::report::model::{BaseInfo, Fragment, Report, SeriesInfo, Variant, REPORT_FORMAT};
use crate::report::reproducer;
use crate::runs::{self, RunOptions};
use crate::series::{self, Series};
use crate::{kconfig, tree, ui};
use anyhow::Result;
use daxkit_harness::judge::Blame;
use std::path::{Path, PathBuf};

/// The series `reproduce` runs when none is named.
pub const DEFAULT_SERIES: &str = crate::series::DEFAULT;

/// `reproduce` and `ci`: the kernels (series default [`DEFAULT_SERIES`])
/// and how each variant is booted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReproduceSpec {
    pub kernel: KernelSpec,
    pub runs: RunOptions,
}

/// `ci`: [`ReproduceSpec`], where the report files go, and which kernels
/// it boots and where they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiSpec {
    pub reproduce: ReproduceSpec,
    /// Also copy the report files here (the CI system's artifacts).
    pub out: Option<PathBuf>,
    pub select: Selection,
}

/// Which kernels `ci` boots and where they come from (a CI test job).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The kernels `daxkit export` wrote here (and its guest image)
    /// instead of building: a kernel whose stamp is not the one this job
    /// would build is refused with what differs.
    pub kernels: Option<PathBuf>,
    /// Only these variants (`stock`, or a variant of the series); empty:
    /// all.
    pub variants: Vec<String>,
}

impl Selection {
    pub fn wants(&self, name: &str) -> bool {
        self.variants.is_empty() || self.variants.iter().any(|v| v == name)
    }
}

pub fn cmd(home: &Home, a: &ReproduceSpec) -> Result<i32> {
    let (report, out) = run(home, a, reproducer::this_command())?;
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
/// With `--kernels`, the exported kernels and guest image, nothing built.
pub fn ci(home: &Home, c: &CiSpec) -> Result<i32> {
    let mut r = c.reproduce.clone();
    if let Some(img) = c
        .select
        .kernels
        .as_deref()
        .and_then(crate::export::image_in)
    {
        r.runs.image.get_or_insert(img);
    }
    let (report, run_dir) = run_with(home, &r, &c.select, reproducer::this_command())?;
    let mut files = crate::report::write_all(&report, &run_dir)?;
    if let Some(out) = &c.out {
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
/// `command` (daxkit's arguments that rerun it) goes into the report's
/// reproducer record.
pub fn run(home: &Home, a: &ReproduceSpec, command: Vec<String>) -> Result<(Report, PathBuf)> {
    run_with(home, a, &Selection::default(), command)
}

/// [`run`] for the variants `sel` names, from its kernels when it has any.
pub fn run_with(
    home: &Home,
    a: &ReproduceSpec,
    sel: &Selection,
    command: Vec<String>,
) -> Result<(Report, PathBuf)> {
    let spec = a
        .kernel
        .target
        .series
        .clone()
        .unwrap_or_else(|| DEFAULT_SERIES.to_owned());
    let series = series::load(&spec)?;
    let base = pipeline::start(home, &a.kernel, &a.runs, Some(&series))?;
    let opts = a.kernel.build.clone();

    // Inputs first (a series that does not apply, a missing fragment):
    // daxkit's input errors, before any build and without a run folder.
    // Stock: the series' own fragments (and its variants') stay out, as
    // their options do not exist before it; the user's --fragment files,
    // --profile and --no-rust apply to both kernels, so the two differ
    // only by the series (README, "Stock and the user's fragments").
    let stock = apply::apply(home, &base, None)?;
    let stock_frags = kconfig::fragments(&a.kernel.config, None)?;
    let patched = apply::apply(home, &base, Some(&series))?;
    let frags = kconfig::fragments(&a.kernel.config, Some(&series))?;
    let specs = runs::variants_of(Some(&series));
    let kernels = runs::kernel_plans(&frags, &specs)?;
    let configs = specs
        .iter()
        .map(runs::variant_config)
        .collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = specs
        .iter()
        .map(|v| crate::export::variant_name(&v.name).to_owned())
        .collect();
    if let Some(v) = sel
        .variants
        .iter()
        .find(|v| *v != crate::export::STOCK && !names.contains(v))
    {
        return Err(crate::exec::HostError(format!(
            "--variant {v}: series {} has variants {}, {}",
            series.name,
            crate::export::STOCK,
            names.join(", ")
        ))
        .into());
    }
    let out = home.new_run(&format!("reproduce-{}", series.name))?;
    ui::step(format!(
        "reproduce {} → {} ({} variant{}, {} patched kernel{})",
        series.name,
        out.display(),
        specs.len(),
        if specs.len() == 1 { "" } else { "s" },
        kernels.len(),
        if kernels.len() == 1 { "" } else { "s" }
    ));
    // With --kernels, each kernel comes from the export (never built).
    let exported = sel.kernels.as_deref();
    let stock_only = [crate::export::STOCK.to_owned()];
    let stock_dir = out.join("stock");
    let stock_kernel = |dir: &Path| {
        crate::export::kernel_for(
            home,
            exported,
            &stock,
            &stock_frags,
            &stock_only,
            &opts,
            dir,
        )
    };
    // The stock kernel is needed to boot it, and to tell whose fault a
    // series that does not build is.
    let mut stock_kernel_got = None;
    if sel.wants(crate::export::STOCK) {
        stock_kernel_got = Some(stock_kernel(&stock_dir)?);
    }
    // One build per distinct variant config; the variants that share it
    // boot the same kernel with their own command lines. Only the kernels
    // of the variants asked for.
    let mut built: Vec<Option<Result<PathBuf, String>>> = vec![None; specs.len()];
    for (n, k) in kernels.iter().enumerate() {
        let wanted: Vec<String> = k.variants.iter().map(|&i| names[i].clone()).collect();
        if !wanted.iter().any(|v| sel.wants(v)) {
            continue;
        }
        // Not `series-*`: those are the variants' run folders.
        let dir = if kernels.len() == 1 {
            out.join("series")
        } else {
            out.join(format!("kernel-{}", n + 1))
        };
        let kernel = match exported {
            None => build_variant_kernel(home, &patched, k, &specs, &opts, &dir)?,
            Some(_) => crate::export::kernel_for(
                home,
                exported,
                &patched,
                &k.fragments,
                &wanted,
                &opts,
                &dir,
            )?,
        };
        for &i in &k.variants {
            built[i] = Some(kernel.clone());
        }
    }
    if stock_kernel_got.is_none() && built.iter().flatten().any(Result::is_err) {
        stock_kernel_got = Some(stock_kernel(&stock_dir)?);
    }
    let stock_builds = stock_kernel_got.as_ref().is_some_and(Result::is_ok);

    let plan = a.runs.run_plan();
    let boot = |name: &str,
                applied: &Applied,
                config: &[Fragment],
                kernel: &Path,
                append: &[String],
                expect,
                dir: &Path| {
        runs::boot_variant(
            home,
            &runs::Boot {
                name,
                commit: &applied.head,
                config,
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
    let mut variants = Vec::new();
    if sel.wants(crate::export::STOCK) {
        variants.push(match &stock_kernel_got {
            Some(Ok(k)) => boot("stock", &stock, &[], k, &[], None, &stock_dir)?,
            Some(Err(why)) => runs::unbuilt_variant(
                "stock",
                &stock.head,
                &[],
                &[],
                None,
                &stock_dir,
                why,
                Blame::Base,
            ),
            None => anyhow::bail!("stock: no kernel planned (a daxkit bug)"),
        });
    }
    for (((v, kernel), config), vname) in specs.iter().zip(built).zip(&configs).zip(&names) {
        if crate::exec::interrupted() {
            break;
        }
        if !sel.wants(vname) {
            continue;
        }
        let name = v.label(Some(&series));
        let dir = out.join(format!("series-{}", v.slug()));
        let expect = Some(&series.expect);
        variants.push(match kernel {
            Some(Ok(k)) => boot(&name, &patched, config, &k, &v.append, expect, &dir)?,
            // The series broke a base that builds: its fault. A base that
            // does not build either cannot test the series.
            Some(Err(why)) => runs::unbuilt_variant(
                &name,
                &patched.head,
                config,
                &v.append,
                expect,
                &dir,
                &why,
                if stock_builds {
                    Blame::Series
                } else {
                    Blame::Base
                },
            ),
            None => anyhow::bail!("variant {name}: no kernel planned (a daxkit bug)"),
        });
    }
    if crate::exec::interrupted() {
        anyhow::bail!("interrupted; QEMU stopped, run folder {}", out.display());
    }
    let mut report = make_report(&base, Some(&series), &patched, variants)?;
    let all_frags: Vec<PathBuf> = stock_frags
        .iter()
        .chain(&frags)
        .chain(specs.iter().flat_map(|s| &s.config))
        .cloned()
        .collect();
    report.reproducer = Some(reproducer::record(
        command,
        &base.base,
        Some(&series),
        &all_frags,
        &report.variants,
    )?);
    Ok((report, out))
}

/// Builds the kernel of one [`runs::KernelPlan`] (config and log in
/// `dir`). A variant fragment that kbuild does not honour is the same
/// error as any fragment's, naming the variants that asked for it.
pub fn build_variant_kernel(
    home: &Home,
    applied: &Applied,
    k: &runs::KernelPlan,
    specs: &[runs::VariantSpec],
    opts: &BuildOptions,
    dir: &Path,
) -> Result<Result<PathBuf, String>> {
    build_into(home, applied, &k.fragments, opts, dir)
        .map_err(|e| kconfig::for_variants(e, k.names(specs).as_deref()))
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
        Err(e) => {
            let e = pipeline::sort_failure(e, pipeline::make_failed)?;
            ui::warn(format!(
                "{}: build failed: {e:#}",
                tree::short(&applied.head)
            ));
            Ok(Err(format!("{e:#}")))
        }
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
        reproducer: None,
    })
}
