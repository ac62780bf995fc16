//! `daxkit check-series [SERIES]`: patch by patch, as ktest's patchcheck
//! does — each patch applies, passes `checkpatch.pl --strict` from the tree,
//! builds incrementally on its own (the series is bisectable), and with
//! `--run` passes the case matrix. Prints a table, one row per patch.

use crate::apply::{self, Applied};
use crate::build::{self, BuildOptions};
use crate::exec::{self, Cmd};
use crate::home::Home;
use crate::pipeline::{self, KernelSpec};
use crate::runs::{self, RunOptions};
use crate::{exit, kconfig, kernel_checks, series, tree, ui};
use anyhow::{bail, Result};
use daxkit_harness::judge::{self, Class};
use serde::Serialize;
use std::time::Instant;

/// `daxkit check-series`: the kernels (a series is required), what to
/// check after each patch's build, and how `run` boots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSeriesSpec {
    pub kernel: KernelSpec,
    /// Also boot each patch's kernel and run the cases.
    pub run: bool,
    pub checks: Checks,
    pub runs: RunOptions,
    /// Write the per-patch files here instead of a new run folder (set by
    /// `review`, which keeps them in its review folder).
    pub out_dir: Option<std::path::PathBuf>,
}

/// The kernel-standard checks after each patch's build: `All` (W=1,
/// sparse, rustfmt, clippy, the other CONFIG_RUST build), `Objects` (all
/// but the second build), `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    All,
    Objects,
    None,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PatchRow {
    pub index: usize,
    pub commit: String,
    pub subject: String,
    /// (errors, warnings, checks) from checkpatch.
    pub checkpatch: (u32, u32, u32),
    pub checkpatch_ok: bool,
    pub build_ok: bool,
    pub build_s: f64,
    /// Exit code of the case run, when `--run`.
    pub cases: Option<i32>,
    pub note: String,
    /// The build failed and so does the base's: not the patch's doing.
    pub base_fails_too: bool,
    /// The kernel-standard checks ([`crate::kernel_checks`]).
    pub checks: Vec<kernel_checks::CheckRow>,
    /// Wall seconds those took.
    pub checks_s: f64,
}

impl PatchRow {
    fn ok(&self) -> bool {
        self.checkpatch_ok
            && self.build_ok
            && self.checks_ok()
            && self.cases.is_none_or(|c| c == exit::GOOD)
    }

    fn checks_ok(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|c| c.status == kernel_checks::Status::Fail)
    }
}

pub fn cmd(home: &Home, a: &CheckSeriesSpec) -> Result<i32> {
    let Some(spec) = a.kernel.target.series.as_deref() else {
        bail!("check-series needs a SERIES");
    };
    let s = series::load(spec)?;
    // Else checkpatch skips its SPDX check with a traceback and still
    // says "total: 0 errors".
    exec::require_file(&exec::SPDXCHECK_PLY)?;
    let base = pipeline::start(home, &a.kernel, &a.runs, Some(&s))?;
    // Applying all of it first names the first patch that does not apply.
    let applied = apply::apply(home, &base, Some(&s))?;
    if applied.already_in_base {
        bail!("series {} is already in the base: nothing to check", s.name);
    }
    let frags = kconfig::fragments(&a.kernel.config, Some(&s))?;
    let opts = a.kernel.build.clone();
    let dir = match &a.out_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => home.new_run(&format!("check-{}", s.name))?,
    };
    let variants = runs::variants_of(Some(&s));
    let kernels = runs::kernel_plans(&frags, &variants)?;
    let configs = variants
        .iter()
        .map(runs::variant_config)
        .collect::<Result<Vec<_>>>()?;
    let plan = a.runs.run_plan();
    let mut rows = Vec::new();
    let mut base_builds: Option<bool> = None;
    for (i, ((commit, subject), patch)) in applied.commits.iter().zip(&s.patches).enumerate() {
        ui::step(format!("patch {}/{} {subject}", i + 1, s.patches.len()));
        tree::checkout(home, &base, commit)?;
        let at = Applied {
            head: commit.clone(),
            ..applied.clone()
        };
        let patch_file = dir.join(format!("{:04}.patch", i + 1));
        std::fs::write(&patch_file, patch_mail(&at, commit)?)?;
        let cp_file = dir.join(format!("{:04}.checkpatch.txt", i + 1));
        let (counts, cp_out) = checkpatch(&at, &patch_file);
        std::fs::write(&cp_file, &cp_out)?;
        // checkpatch that did not run says nothing of the patch: the
        // host's problem (128), not a ✗.
        let Some(counts) = counts else {
            tree::checkout(home, &base, &applied.head)?;
            return Err(crate::exec::HostError(format!(
                "checkpatch.pl did not run on patch {} (no `total:` line); its output: {}",
                i + 1,
                cp_file.display()
            ))
            .into());
        };
        let mut row = PatchRow {
            index: i + 1,
            commit: commit.clone(),
            subject: subject.clone(),
            checkpatch: counts,
            checkpatch_ok: counts.0 == 0 && counts.1 == 0,
            build_ok: false,
            build_s: 0.0,
            cases: None,
            note: String::new(),
            base_fails_too: false,
            checks: Vec::new(),
            checks_s: 0.0,
        };
        let t = Instant::now();
        // One build per distinct variant config: each must build at every
        // patch. This patch's own build logs, next to its checkpatch output.
        let mut bzimages: Vec<Option<std::path::PathBuf>> = vec![None; variants.len()];
        let mut failed: Option<(Option<String>, anyhow::Error)> = None;
        for (n, k) in kernels.iter().enumerate() {
            let log = if kernels.len() == 1 {
                dir.join(format!("{:04}.build.log", i + 1))
            } else {
                dir.join(format!("{:04}.build-{}.log", i + 1, n + 1))
            };
            let opts = BuildOptions {
                log_copy: Some(log),
                ..opts.clone()
            };
            let names = k.names(&variants);
            match kconfig::configure_lenient(home, &at, &k.fragments)
                .and_then(|cfg| build::build(home, &at, &cfg.stamp, &opts))
            {
                Ok(b) => {
                    for &v in &k.variants {
                        bzimages[v] = Some(b.bzimage.clone());
                    }
                }
                Err(e) => match pipeline::sort_failure(e, pipeline::any_failure) {
                    Ok(e) => {
                        let e = kconfig::for_variants(e, names.as_deref());
                        failed = Some((names, e));
                        break;
                    }
                    // The host, not the patch (128), or Ctrl-C (130): not a row.
                    Err(e) => {
                        let _ = tree::checkout(home, &base, &applied.head);
                        return Err(kconfig::for_variants(e, names.as_deref()));
                    }
                },
            }
        }
        row.build_s = t.elapsed().as_secs_f64();
        match failed {
            None => {
                row.build_ok = true;
                if a.checks != Checks::None {
                    let t = Instant::now();
                    let parent = match i {
                        0 => base.base.clone(),
                        _ => applied.commits[i - 1].0.clone(),
                    };
                    // The build dir holds the last kernel built: check
                    // with its config.
                    let last = kernels.last().map_or(&frags, |k| &k.fragments);
                    let checked = kernel_checks::run(
                        home,
                        &at,
                        &parent,
                        i + 1,
                        &patch.diff,
                        last,
                        &opts,
                        &dir,
                        a.checks == Checks::All,
                    );
                    match checked {
                        Ok(c) => row.checks = c,
                        Err(e) => {
                            let _ = tree::checkout(home, &base, &applied.head);
                            return Err(e.context(format!("checks of patch {}", i + 1)));
                        }
                    }
                    row.checks_s = t.elapsed().as_secs_f64();
                }
                if a.run {
                    // Every variant of the series, judged against the
                    // series' expectations; the patch is bad if any is.
                    let mut classes = Vec::new();
                    let mut notes = Vec::new();
                    for ((v, bz), config) in variants.iter().zip(&bzimages).zip(&configs) {
                        let Some(bz) = bz else {
                            bail!(
                                "variant {}: no kernel built (a daxkit bug)",
                                v.label(Some(&s))
                            );
                        };
                        let run_dir = dir.join(format!("{:04}-run-{}", i + 1, v.slug()));
                        let name = v.label(Some(&s));
                        let variant = runs::boot_variant(
                            home,
                            &runs::Boot {
                                name: &name,
                                commit,
                                config,
                                vm: a.runs.vm_args(bz, &v.append),
                                plan: &plan,
                                watchdog: a.runs.watchdog(),
                                expect: Some(&s.expect),
                                dir: &run_dir,
                                repeat: a.runs.repeat,
                                allow_flaky: a.runs.allow_flaky,
                            },
                        )?;
                        let j = variant.judgement();
                        if j.class != Class::Good {
                            notes.push(format!("{name}: {}", j.why()));
                        }
                        classes.push(j.class);
                    }
                    let class = judge::combine_variants(&classes);
                    if crate::exec::interrupted() {
                        tree::checkout(home, &base, &applied.head)?;
                        bail!("interrupted; worktree restored, folder {}", dir.display());
                    }
                    row.cases = Some(class.code());
                    row.note = notes.join("; ");
                }
            }
            Some((names, e)) => {
                let whose = if kernels.len() == 1 {
                    String::new()
                } else {
                    format!("kernel of {}: ", names.as_deref().unwrap_or("kernel"))
                };
                row.note = format!("{whose}{}", format!("{e:#}").lines().next().unwrap_or(""));
                // Whose fault: does the base build with the same configs?
                if *base_builds.get_or_insert_with(|| {
                    let at_base = Applied {
                        head: base.base.clone(),
                        ..applied.clone()
                    };
                    let _ = tree::checkout(home, &base, &base.base);
                    kernels.iter().all(|k| {
                        kconfig::configure_lenient(home, &at_base, &k.fragments)
                            .and_then(|cfg| build::build(home, &at_base, &cfg.stamp, &opts))
                            .is_ok()
                    })
                }) {
                    row.note += " (the base builds)";
                } else {
                    row.base_fails_too = true;
                    row.note += " (the base does not build either: cannot test)";
                }
            }
        }
        rows.push(row);
    }
    tree::checkout(home, &base, &applied.head)?;
    std::fs::write(
        dir.join("check-series.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    print!("{}", table(&rows));
    let checks: Vec<kernel_checks::CheckRow> =
        rows.iter().flat_map(|r| r.checks.iter().cloned()).collect();
    if !checks.is_empty() {
        println!();
        print!("{}", kernel_checks::table(&checks));
        let (b, c): (f64, f64) = rows
            .iter()
            .fold((0.0, 0.0), |(b, c), r| (b + r.build_s, c + r.checks_s));
        println!("time: builds {b:.0} s, checks {c:.0} s");
    }
    println!("folder: {}", dir.display());
    // checkpatch findings and a build the series broke are the series'
    // (bad); a build whose base fails too cannot test; the case runs are
    // the judge's classes; the worst wins.
    let classes: Vec<Class> = rows
        .iter()
        .map(|r| {
            if !r.build_ok && r.base_fails_too {
                Class::CannotTest
            } else if !r.checkpatch_ok || !r.build_ok || !r.checks_ok() {
                Class::Bad
            } else {
                match r.cases {
                    Some(exit::BAD) => Class::Bad,
                    Some(exit::SKIP) => Class::CannotTest,
                    _ => Class::Good,
                }
            }
        })
        .collect();
    Ok(judge::combine_variants(&classes).code())
}

/// The applied commit as the mail `git format-patch` makes of it, the
/// input checkpatch is written for: its diffstat is how checkpatch sees
/// that a patch adding files also updates MAINTAINERS.
fn patch_mail(at: &Applied, commit: &str) -> Result<String> {
    Cmd::new("git")
        .arg("-C")
        .arg(&at.worktree)
        .args(["format-patch", "-1", "--stdout", "--no-signature", commit])
        .read()
}

/// Runs the tree's own checkpatch; returns (errors, warnings, checks).
fn checkpatch(at: &Applied, patch: &std::path::Path) -> (Option<(u32, u32, u32)>, String) {
    let script = at.worktree.join("scripts/checkpatch.pl");
    let out = Cmd::new("perl")
        .arg(&script)
        .args(["--strict", "--no-color", "--show-types"])
        .arg(patch)
        .cwd(&at.worktree)
        .read_unchecked();
    let text = match out {
        Ok(t) => t,
        Err(e) => return (None, format!("{e:#}")),
    };
    (parse_checkpatch_total(&text), text)
}

/// `total: 0 errors, 1 warnings, 2 checks, 40 lines checked`
pub fn parse_checkpatch_total(text: &str) -> Option<(u32, u32, u32)> {
    let line = text.lines().find(|l| l.starts_with("total: "))?;
    let nums: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    Some((*nums.first()?, *nums.get(1)?, *nums.get(2)?))
}

pub fn table(rows: &[PatchRow]) -> String {
    let mut s =
        String::from("patch  commit        checkpatch (E/W/C)  build          cases  subject\n");
    for r in rows {
        let cp = format!(
            "{}/{}/{} {}",
            r.checkpatch.0,
            r.checkpatch.1,
            r.checkpatch.2,
            mark(r.checkpatch_ok)
        );
        let build = format!("{} {:>6.1}s", mark(r.build_ok), r.build_s);
        let cases = r.cases.map_or("-".to_owned(), |c| {
            if c == 0 {
                "✓".into()
            } else {
                format!("✗ {c}")
            }
        });
        s += &format!(
            "{:>5}  {}  {:<18}  {:<13}  {:<5}  {}\n",
            r.index,
            tree::short(&r.commit),
            cp,
            build,
            cases,
            r.subject
        );
        if !r.note.is_empty() && !r.ok() {
            s += &format!("       {}\n", r.note);
        }
    }
    s
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpatch_totals() {
        assert_eq!(
            parse_checkpatch_total("x\ntotal: 0 errors, 1 warnings, 2 checks, 40 lines checked\n"),
            Some((0, 1, 2))
        );
        assert_eq!(parse_checkpatch_total("no total"), None);
    }
}
