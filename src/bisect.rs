//! `daxkit bisect`: one command that finds the first bad commit for a DAX
//! case. It drives `git bisect run` in daxkit's own worktree with daxkit's
//! own step (`daxkit bisect-step`: build, boot, run the cases), mapping
//! outcomes to 0 good, 1 bad, 125 skip (build, boot or infrastructure
//! failure; boots are retried once before a skip) and >127 abort.
//!
//! The user's checkout and bisect state are never touched: the bisect
//! runs in `work/<id>/src` of daxkit's repo (alternates onto a `--tree`).
//! Works on a tree with history (`--tree linux.git --good v6.11 --bad
//! v6.12`) and within a series (`--good base --bad patch:3`).

use crate::apply::{self, Applied};
use crate::build::{self, BuildOptions};
use crate::exec::{self, Cmd};
use crate::home::Home;
use crate::pipeline::{self, KernelSpec};
use crate::runs::{self, RunOptions};
use crate::vm;
use crate::{exit, kconfig, series, tree, ui};
use anyhow::{bail, Context, Result};
use daxkit_harness::judge::{self, Class};
use daxkit_harness::protocol::Mapping;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `daxkit bisect`: the kernels, how each step boots, and the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BisectSpec {
    pub kernel: KernelSpec,
    pub runs: RunOptions,
    /// A revision where the cases pass (with a series: `base`, `patch:K`,
    /// `series`, or any commit; default `base`).
    pub good: Option<String>,
    /// A revision where they fail (with a series, default `series`).
    pub bad: Option<String>,
}

/// A step plan's variant by the label [`cmd`] stored as its name.
fn step_label(v: &runs::VariantSpec) -> &str {
    v.name.as_deref().unwrap_or("kernel")
}

/// What each `bisect-step` needs, written once into the bisect's folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepPlan {
    pub home: PathBuf,
    pub base: tree::BaseTree,
    pub fragments: Vec<PathBuf>,
    pub cc: Option<String>,
    pub cases: Vec<String>,
    pub filesystems: Vec<String>,
    pub accel: vm::accel::AccelArg,
    pub timeout: u64,
    /// The series' expectations (`fs/name` or `name`), if any.
    #[serde(default)]
    pub expect: BTreeMap<String, Mapping>,
    /// Each way to boot (named by its label; its own fragments, merged
    /// after `fragments`; its kernel parameters); one kernel is built per
    /// distinct config, and a step is bad if any variant is. One plain
    /// boot without a series.
    #[serde(default)]
    pub variants: Vec<runs::VariantSpec>,
    #[serde(default = "one")]
    pub repeat: u32,
    #[serde(default)]
    pub allow_flaky: bool,
    /// A deliberate guest fault (daxkit's own tests).
    #[serde(default)]
    pub fault: Option<vm::FaultArg>,
    /// Where steps write `steps/<commit>.json` and their run folders.
    pub dir: PathBuf,
}

fn one() -> u32 {
    1
}

/// One step's result, kept as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub commit: String,
    pub subject: String,
    pub code: i32,
    pub why: String,
    pub run_dir: Option<PathBuf>,
    /// Wall seconds spent configuring and building (0 when kept).
    pub build_s: f64,
    /// Wall seconds spent booting and running the cases (all attempts).
    pub boot_s: f64,
}

pub fn cmd(home: &Home, a: &BisectSpec) -> Result<i32> {
    let s = a
        .kernel
        .target
        .series
        .as_deref()
        .map(series::load)
        .transpose()?;
    let base = pipeline::start(home, &a.kernel, &a.runs, s.as_ref())?;
    let applied = apply::apply(home, &base, s.as_ref())?;
    let rev = |r: &str| resolve_rev(&base, &applied, r);
    let good = match (&a.good, &s) {
        (Some(g), _) => rev(g)?,
        (None, Some(_)) => base.base.clone(),
        (None, None) => bail!("--good REV is needed (without a series there is no default)"),
    };
    let bad = match (&a.bad, &s) {
        (Some(b), _) => rev(b)?,
        (None, Some(_)) => applied.head.clone(),
        (None, None) => bail!("--bad REV is needed (without a series there is no default)"),
    };
    if good == bad {
        bail!(
            "--good and --bad are the same commit {}: nothing to bisect",
            tree::short(&good)
        );
    }
    if !is_ancestor(&base.repo, &good, &bad)? {
        if is_ancestor(&base.repo, &bad, &good)? {
            bail!(
                "--good {} is a descendant of --bad {}: swapped? (bisect looks for the first bad commit after a good one)",
                tree::short(&good),
                tree::short(&bad)
            );
        }
        bail!(
            "--good {} is not an ancestor of --bad {}",
            tree::short(&good),
            tree::short(&bad)
        );
    }
    let fragments = kconfig::fragments(&a.kernel.config, s.as_ref())?;
    let dir = home.new_run("bisect")?;
    let plan = StepPlan {
        home: home.root.clone(),
        base: base.clone(),
        fragments,
        cc: a.kernel.build.cc.clone(),
        cases: a.runs.cases.clone(),
        filesystems: a.runs.filesystems.clone(),
        accel: a.runs.accel,
        timeout: a.runs.timeout,
        expect: s.as_ref().map(|s| s.expect.clone()).unwrap_or_default(),
        variants: runs::variants_of(s.as_ref())
            .into_iter()
            .map(|v| runs::VariantSpec {
                name: Some(v.label(s.as_ref())),
                ..v
            })
            .collect(),
        repeat: a.runs.repeat,
        allow_flaky: a.runs.allow_flaky,
        fault: a.runs.fault,
        dir: dir.clone(),
    };
    let plan_path = dir.join("bisect.json");
    std::fs::write(&plan_path, serde_json::to_string_pretty(&plan)?)?;
    ui::step(format!(
        "bisecting {}..{} in {} (folder {})",
        tree::short(&good),
        tree::short(&bad),
        applied.worktree.display(),
        dir.display()
    ));
    let wt = applied.worktree.clone();
    let git = |args: &[&str]| {
        Cmd::new("git")
            .arg("-C")
            .arg(&wt)
            .args(args.iter().copied())
    };
    // A bisect interrupted earlier: start again from a clean state.
    let _ = git(&["bisect", "reset"]).read();

    // The endpoints first, so that a wrong --good/--bad is an error now,
    // not a wrong answer at the end.
    for (what, rev, want) in [("bad", &bad, exit::BAD), ("good", &good, exit::GOOD)] {
        tree::checkout(home, &base, rev)?;
        let r = step(&plan, rev)?;
        if r.code == exit::INTERRUPTED || exec::interrupted() {
            let _ = tree::checkout(home, &base, &applied.head);
            bail!("bisect interrupted while testing --{what}; worktree restored, rerun to start again");
        }
        if r.code != want {
            let _ = tree::checkout(home, &base, &applied.head);
            bail!(
                "--{what} {} {:?} does not test {what}: {} (exit {}); evidence {}",
                tree::short(rev),
                r.subject,
                r.why,
                r.code,
                r.run_dir
                    .as_deref()
                    .map_or("-".into(), |p| p.display().to_string())
            );
        }
    }

    // The steps run a copy of this binary: a rebuild of daxkit during a
    // long bisect must not change (or delete) the tool under the bisect.
    let exe = dir.join("daxkit");
    std::fs::copy(std::env::current_exe()?, &exe)
        .context("copying daxkit into the bisect folder")?;
    let log = dir.join("bisect.log");
    let res = (|| -> Result<()> {
        git(&["bisect", "start", &bad, &good]).read()?;
        git(&["bisect", "run"])
            .arg(&exe)
            .arg("bisect-step")
            .arg(&plan_path)
            .env("DAXKIT_HOME", &home.root)
            // A SIGKILLed daxkit must not leave git driving more steps.
            // (The step running then finishes: git starts it through sh,
            // which outlives git, so it cannot follow git's death.)
            .die_with_daxkit(libc::SIGTERM)
            .run_logged(&log, |l| {
                if l.contains("is the first bad commit") || l.starts_with("running") {
                    ui::note(l);
                }
            })
    })();
    let bisect_log = git(&["bisect", "log"]).read().unwrap_or_default();
    std::fs::write(dir.join("git-bisect.log"), &bisect_log)?;
    // Always leave the worktree where it was and no bisect state behind.
    let _ = git(&["bisect", "reset"]).read();
    let _ = tree::checkout(home, &base, &applied.head);
    if exec::interrupted() {
        bail!(
            "bisect interrupted; worktree reset, rerun to start again (log {})",
            log.display()
        );
    }
    res.with_context(|| format!("git bisect run (log {})", log.display()))?;
    let text = std::fs::read_to_string(&log)?;
    let Some(first_bad) = text.lines().find_map(|l| {
        l.strip_suffix(" is the first bad commit")
            .map(str::to_owned)
    }) else {
        bail!(
            "git bisect ended without a first bad commit (all skipped?); log {}",
            log.display()
        );
    };
    let evidence = read_step(&dir, &first_bad);
    println!("first bad commit: {first_bad}");
    if let Some(r) = evidence {
        println!("  {}", r.subject);
        println!("  {}", r.why);
        if let Some(d) = r.run_dir {
            println!("  evidence: {}", d.display());
        }
    }
    let steps = read_steps(&dir);
    let (b, r): (f64, f64) = steps
        .iter()
        .fold((0.0, 0.0), |(b, r), s| (b + s.build_s, r + s.boot_s));
    println!(
        "{} steps (endpoints included): build {b:.0} s, boot+cases {r:.0} s, {:.0} s per step",
        steps.len(),
        (b + r) / steps.len().max(1) as f64
    );
    println!("bisect folder: {}", dir.display());
    Ok(exit::GOOD)
}

/// `good`/`bad` forms: `base`, `series`, `patch:K`, or a revision.
fn resolve_rev(base: &tree::BaseTree, applied: &Applied, r: &str) -> Result<String> {
    if r == "base" {
        return Ok(base.base.clone());
    }
    if r == "series" {
        return Ok(applied.head.clone());
    }
    if let Some(k) = r.strip_prefix("patch:") {
        let k: usize = k
            .parse()
            .with_context(|| format!("{r:?}: K must be a number"))?;
        if k == 0 {
            return Ok(base.base.clone());
        }
        return applied
            .commits
            .get(k - 1)
            .map(|(c, _)| c.clone())
            .with_context(|| format!("{r:?}: the series has {} patches", applied.commits.len()));
    }
    if let Some(user) = &base.user_tree {
        if let Ok(repo) = git2::Repository::open(user) {
            if let Ok(c) = repo.revparse_single(r).and_then(|o| o.peel_to_commit()) {
                return Ok(c.id().to_string());
            }
        }
    }
    tree::rev_parse(&base.repo, r)
}

fn is_ancestor(repo: &Path, a: &str, b: &str) -> Result<bool> {
    let r = git2::Repository::open_bare(repo)?;
    let (a, b) = (git2::Oid::from_str(a)?, git2::Oid::from_str(b)?);
    Ok(r.graph_descendant_of(b, a)?)
}

fn read_steps(dir: &Path) -> Vec<StepResult> {
    let Ok(rd) = std::fs::read_dir(dir.join("steps")) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok())
        .collect()
}

fn read_step(dir: &Path, commit: &str) -> Option<StepResult> {
    let text = std::fs::read_to_string(dir.join("steps").join(format!("{commit}.json"))).ok()?;
    serde_json::from_str(&text).ok()
}

/// `daxkit bisect-step PLAN`: what `git bisect run` calls, in the worktree.
pub fn step_cmd(plan_path: &Path) -> Result<i32> {
    let plan: StepPlan = serde_json::from_str(
        &std::fs::read_to_string(plan_path)
            .with_context(|| format!("reading {}", plan_path.display()))?,
    )?;
    let home = Home::at(&plan.home)?;
    let wt = home.worktree(&plan.base.id);
    let head = Cmd::new("git")
        .arg("-C")
        .arg(&wt)
        .args(["rev-parse", "HEAD"])
        .read()?;
    let r = step(&plan, head.trim())?;
    Ok(r.code)
}

/// Builds, boots and runs the cases at `commit` (already checked out in
/// the worktree); records and returns the result.
fn step(plan: &StepPlan, commit: &str) -> Result<StepResult> {
    let home = Home::at(&plan.home)?;
    let subject = subject_of(&plan.base.repo, commit).unwrap_or_default();
    ui::step(format!("bisect step {} {subject}", tree::short(commit)));
    let applied = Applied {
        base: plan.base.clone(),
        head: commit.to_owned(),
        commits: Vec::new(),
        already_in_base: false,
        series_name: None,
        worktree: home.worktree(&plan.base.id),
    };
    let step_dir = plan.dir.join("steps").join(tree::short(commit));
    std::fs::create_dir_all(&step_dir)?;
    let mut result = StepResult {
        commit: commit.to_owned(),
        subject,
        code: exit::SKIP,
        why: String::new(),
        run_dir: Some(step_dir.clone()),
        build_s: 0.0,
        boot_s: 0.0,
    };
    let started = std::time::Instant::now();
    let specs = if plan.variants.is_empty() {
        vec![runs::VariantSpec {
            name: Some("kernel".to_owned()),
            config: Vec::new(),
            append: Vec::new(),
        }]
    } else {
        plan.variants.clone()
    };
    let kernels = runs::kernel_plans(&plan.fragments, &specs)?;
    // One kernel per distinct variant config. A series' own options do
    // not exist before the patch that adds them (lenient). A config that
    // kbuild cannot make as asked at this commit, or a failed build,
    // cannot test the variants that need it (skip); anything else (a
    // missing tool, daxkit's own I/O) aborts the bisect (128) rather than
    // skipping every commit.
    let mut bzimages: Vec<Option<PathBuf>> = vec![None; specs.len()];
    let mut unbuilt: Vec<String> = Vec::new();
    for (n, k) in kernels.iter().enumerate() {
        let log = if kernels.len() == 1 {
            step_dir.join("build.log")
        } else {
            step_dir.join(format!("build-{}.log", n + 1))
        };
        let names = k.names(&specs);
        let kernel = kconfig::configure_lenient(&home, &applied, &k.fragments).and_then(|cfg| {
            let opts = BuildOptions {
                cc: plan.cc.clone(),
                jobs: exec::cores(),
                target: None,
                log_copy: Some(log),
            };
            build::build(&home, &applied, &cfg.stamp, &opts)
        });
        match kernel {
            Ok(b) => {
                for &i in &k.variants {
                    bzimages[i] = Some(b.bzimage.clone());
                }
            }
            Err(e) => {
                let e = match pipeline::sort_failure(e, pipeline::cannot_build) {
                    Ok(e) => kconfig::for_variants(e, names.as_deref()),
                    Err(e) => {
                        let e = kconfig::for_variants(e, names.as_deref());
                        return Err(e.context(format!("building {}", tree::short(commit))));
                    }
                };
                let what = if kernels.len() == 1 {
                    String::new()
                } else {
                    format!("kernel of {}: ", names.as_deref().unwrap_or("kernel"))
                };
                unbuilt.push(format!("{what}{}", first_line(&format!("{e:#}"))));
            }
        }
    }
    result.build_s = started.elapsed().as_secs_f64();
    let booting = std::time::Instant::now();
    if bzimages.iter().all(Option::is_none) {
        result.why = format!("skip: cannot build: {}", unbuilt.join("; "));
    } else {
        let opts = RunOptions {
            cases: plan.cases.clone(),
            filesystems: plan.filesystems.clone(),
            bench_mib: 0,
            accel: plan.accel,
            timeout: plan.timeout,
            repeat: plan.repeat,
            allow_flaky: plan.allow_flaky,
            image: None,
            fault: plan.fault,
        };
        let rplan = opts.run_plan();
        // A boot the infrastructure spoiled (QEMU failed, a timeout, a
        // garbled stream, a panic before hello) is retried once before
        // a skip; a cannot-test the guest reported (a failed signal, a
        // missing result) would only repeat. Both attempts' evidence
        // stays in the step folder. A variant whose kernel did not build
        // cannot test this commit (a bad one that did build still wins).
        let mut tries = Vec::new();
        for attempt in 1..=2 {
            let mut classes = Vec::new();
            let mut whys = Vec::new();
            let mut spoiled = false;
            for (v, bz) in specs.iter().zip(&bzimages) {
                let Some(bz) = bz else {
                    whys.push(format!("{}: cannot build", step_label(v)));
                    classes.push(Class::CannotTest);
                    continue;
                };
                let dir = step_dir.join(format!("boot-{attempt}-{}", runs::slug(step_label(v))));
                let config = runs::variant_config(v)?;
                let variant = runs::boot_variant(
                    &home,
                    &runs::Boot {
                        name: step_label(v),
                        commit,
                        config: &config,
                        vm: opts.vm_args(bz, &v.append),
                        plan: &rplan,
                        watchdog: opts.watchdog(),
                        expect: Some(&plan.expect),
                        dir: &dir,
                        repeat: opts.repeat,
                        allow_flaky: opts.allow_flaky,
                    },
                )?;
                let j = variant.judgement();
                whys.push(format!("{}: {}", step_label(v), j.why()));
                classes.push(j.class);
                spoiled |= infrastructure_failed(&variant.run);
                result.run_dir = Some(dir);
                if exec::interrupted() {
                    break;
                }
            }
            let class = judge::combine_variants(&classes);
            result.code = class.code();
            let mut why = whys.join("; ");
            if !unbuilt.is_empty() {
                why += &format!(" (cannot build: {})", unbuilt.join("; "));
            }
            tries.push(format!("attempt {attempt}: {why}"));
            result.why = tries.join(" | ");
            if exec::interrupted() {
                result.code = exit::INTERRUPTED;
                break;
            }
            if class != Class::CannotTest || !spoiled {
                break;
            }
            ui::note(format!(
                "boot could not test ({}); retrying",
                whys.join("; ")
            ));
        }
    }
    result.boot_s = booting.elapsed().as_secs_f64();
    let out = plan.dir.join("steps").join(format!("{commit}.json"));
    std::fs::write(&out, serde_json::to_string_pretty(&result)?)?;
    ui::note(format!(
        "→ exit {} ({}); build {:.0} s, boot+cases {:.0} s",
        result.code, result.why, result.build_s, result.boot_s
    ));
    Ok(result)
}

/// The boot itself went wrong (not the guest's verdict): worth one retry.
fn infrastructure_failed(e: &judge::Evidence) -> bool {
    use judge::Outcome::*;
    match e.outcome {
        QemuFailed | Timeout | ProtocolError => true,
        Panic => e.guest_kernel.is_none(),
        _ => false,
    }
}

fn subject_of(repo: &Path, commit: &str) -> Option<String> {
    let r = git2::Repository::open_bare(repo).ok()?;
    let c = r.find_commit(git2::Oid::from_str(commit).ok()?).ok()?;
    c.summary().map(str::to_owned)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
