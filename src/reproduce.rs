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
use crate::runs::RunOptions;
use crate::series::{self, Series};
use crate::vm::{self, launch::Outcome};
use crate::{exit, kconfig, tree, ui};
use anyhow::{Context, Result};
use clap::Args;
use std::collections::BTreeMap;
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
    let (report, run_dir) = run(home, &a.reproduce)?;
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
pub fn run(home: &Home, a: &ReproduceArgs) -> Result<(Report, PathBuf)> {
    let spec = a
        .config
        .target
        .series
        .clone()
        .unwrap_or_else(|| DEFAULT_SERIES.to_owned());
    let series = series::load(&spec)?;
    crate::runs::check_case_names(home, &a.runs.cases)?;
    let base = tree::resolve(home, &a.config.target, Some(&series))?;
    let out = home.new_run(&format!("reproduce-{}", series.name))?;
    ui::step(format!("reproduce {} → {}", series.name, out.display()));
    let opts = BuildOptions::from_args(&a.config);

    // Stock: the default fragments only (the series' own options do not
    // exist before it).
    let stock_cfg = ConfigArgs {
        fragments: a.config.fragments.clone(),
        ..a.config.clone()
    };
    let stock = apply::apply(home, &base, None)?;
    let stock_frags = kconfig::fragments(&stock_cfg, None)?;
    let stock_kernel = build_into(home, &stock, &stock_frags, &opts, &out.join("stock"));
    let patched = apply::apply(home, &base, Some(&series))?;
    let frags = kconfig::fragments(&a.config, Some(&series))?;
    let patched_kernel = build_into(home, &patched, &frags, &opts, &out.join("series"));

    let mut variants = vec![run_variant(
        home,
        "stock",
        &stock,
        stock_kernel,
        &[],
        &BTreeMap::new(),
        &a.runs,
        &out.join("stock"),
    )?];
    let specs = if series.variants.is_empty() {
        vec![series::VariantSpec {
            name: String::new(),
            append: Vec::new(),
        }]
    } else {
        series.variants.clone()
    };
    for v in &specs {
        let name = if v.name.is_empty() {
            series.name.clone()
        } else {
            format!("{} ({})", series.name, v.name)
        };
        let dir = out.join(format!("series-{}", slug(&v.name)));
        variants.push(run_variant(
            home,
            &name,
            &patched,
            patched_kernel.clone(),
            &v.append,
            &series.expect,
            &a.runs,
            &dir,
        )?);
    }
    let report = make_report(&base, Some(&series), &patched, variants)?;
    Ok((report, out))
}

/// Configures and builds `applied`, keeping config and build log in
/// `dir`. A build failure is an outcome of the variant, not an error.
pub fn build_into(
    home: &Home,
    applied: &Applied,
    frags: &[PathBuf],
    opts: &BuildOptions,
    dir: &Path,
) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let cfg = kconfig::configure(home, applied, frags).map_err(|e| format!("{e:#}"))?;
    let _ = std::fs::copy(&cfg.config, dir.join("config"));
    let res = build::build(home, applied, &cfg.stamp, opts);
    match res {
        Ok(b) => {
            let _ = std::fs::copy(&b.log, dir.join("build.log"));
            Ok(b.bzimage)
        }
        Err(e) => {
            let log = home.build_dir(&applied.base.id).join("daxkit-build.log");
            let _ = std::fs::copy(&log, dir.join("build.log"));
            Err(format!("{e:#}"))
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn run_variant(
    home: &Home,
    name: &str,
    applied: &Applied,
    kernel: Result<PathBuf, String>,
    append: &[String],
    expect: &BTreeMap<String, daxkit_harness::protocol::Mapping>,
    runs: &RunOptions,
    dir: &Path,
) -> Result<Variant> {
    std::fs::create_dir_all(dir)?;
    let mut v = Variant {
        name: name.to_owned(),
        commit: applied.head.clone(),
        append: append.to_vec(),
        run_dir: dir.display().to_string(),
        outcome: String::new(),
        detail: String::new(),
        exit_code: exit::GOOD,
        guest_kernel: None,
        accel: String::new(),
        hello_s: None,
        total_s: 0.0,
        cases: Vec::new(),
        expect: expect.clone(),
        errors: Vec::new(),
        bench: Vec::new(),
    };
    let kernel = match kernel {
        Ok(k) => k,
        Err(e) => {
            ui::warn(format!("{name}: build failed: {e}"));
            v.outcome = "build-failed".into();
            v.detail = e.lines().next().unwrap_or("build failed").to_owned();
            v.exit_code = exit::BAD;
            return Ok(v);
        }
    };
    ui::step(format!("{name}: booting {}", kernel.display()));
    let ex = vm::execute(home, &runs.run_args(&kernel, append), dir)
        .with_context(|| format!("running variant {name}"))?;
    v.outcome = ex.finished.outcome.name().to_owned();
    v.detail = ex.verdict.why.clone();
    v.exit_code = ex.verdict.code;
    v.accel = ex.accel.accel.name().to_owned();
    v.hello_s = ex.finished.timings.hello.map(|d| d.as_secs_f64());
    v.total_s = ex.finished.timings.total.as_secs_f64();
    if let Some(s) = ex.finished.outcome.stream() {
        v.guest_kernel = s.hello().map(|(k, _)| k.to_owned());
        v.cases = s.cases().cloned().collect();
        v.errors = s
            .errors()
            .map(|(c, m)| (c.map(str::to_owned), m.to_owned()))
            .collect();
        v.bench = s
            .records
            .iter()
            .filter_map(|r| match r {
                daxkit_harness::protocol::Record::Bench(b) => Some(b.clone()),
                _ => None,
            })
            .collect();
    }
    if matches!(ex.finished.outcome, Outcome::Interrupted) {
        anyhow::bail!("interrupted; QEMU stopped, run folder {}", dir.display());
    }
    Ok(v)
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

fn slug(s: &str) -> String {
    let s: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if s.is_empty() {
        "default".into()
    } else {
        s
    }
}
