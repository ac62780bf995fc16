//! `daxkit report merge`: joins the reports of several run folders (one per
//! CI job of a `daxkit matrix`) into one.
//!
//! Variants that are the same kernel run split across jobs — same name,
//! commit and command line, no case in common — are joined into one
//! column. Any other variants are concatenated; where two of them share a
//! name, each is labelled with its source folder (`stock [dax-pmd-6.1-…]`).
//! [`merge`] is pure; [`merge_dirs`] reads the folders.

use super::json;
use super::model::{Report, Variant, READS_FORMATS, REPORT_FORMAT};
use super::view::CaseKey;
use anyhow::{bail, Result};
use daxkit_harness::judge::{Evidence, KtapResult, KtapSuite, Outcome};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A report and where it came from (the label used when names clash).
#[derive(Debug, Clone)]
pub struct Input {
    pub source: String,
    pub report: Report,
}

struct Group {
    variant: Variant,
    sources: Vec<String>,
}

fn cases(v: &Variant) -> BTreeSet<CaseKey> {
    v.run.cases.iter().map(CaseKey::of).collect()
}

/// Same kernel, same command line, disjoint cases: one run split in parts.
fn joinable(a: &Variant, b: &Variant) -> bool {
    a.name == b.name
        && a.commit == b.commit
        && a.config == b.config
        && a.append == b.append
        && cases(a).is_disjoint(&cases(b))
}

fn join_text(a: &str, b: &str, sep: &str) -> String {
    if a == b || b.is_empty() {
        a.to_owned()
    } else if a.is_empty() {
        b.to_owned()
    } else {
        format!("{a}{sep}{b}")
    }
}

/// Joins the evidence of two parts of one run: plans, results, errors
/// and splats add up; a part that did not complete makes the whole not
/// complete. The judge then sees the whole run as if it had been one.
fn join_evidence(into: &mut Evidence, e: Evidence) {
    // The part that did not complete speaks for how the whole ended,
    // hello included: a part that died in boot keeps the whole "died in
    // boot" (cannot test), whatever the other parts saw.
    if into.outcome == Outcome::Completed && e.outcome != Outcome::Completed {
        into.outcome = e.outcome;
        into.build_blame = e.build_blame;
        into.guest_kernel = e.guest_kernel.clone();
    } else if into.guest_kernel.is_none() && into.outcome == Outcome::Completed {
        into.guest_kernel = e.guest_kernel.clone();
    }
    into.detail = join_text(&into.detail, &e.detail, "; ");
    into.plan = match (into.plan.take(), e.plan) {
        (Some(mut a), Some(b)) => {
            a.cases.extend(b.cases);
            a.skipped.extend(b.skipped);
            Some(a)
        }
        // A part without a plan leaves the whole without one.
        _ => None,
    };
    into.cases.extend(e.cases);
    into.errors.extend(e.errors);
    into.setup_failed.extend(e.setup_failed);
    into.splats.extend(e.splats);
    for r in e.required {
        if !into.required.contains(&r) {
            into.required.push(r);
        }
    }
    for (k, m) in e.expect {
        into.expect.entry(k).or_insert(m);
    }
    // Every part booted the same kernel, so KUnit ran in each: one copy
    // per suite, but a part where a suite failed or never finished wins.
    for suite in e.ktap {
        match into.ktap.iter_mut().find(|s| s.name == suite.name) {
            Some(s) if ktap_worse(&suite, s) => *s = suite,
            Some(_) => {}
            None => into.ktap.push(suite),
        }
    }
}

/// Does suite `a` show a failure that `b` does not?
fn ktap_worse(a: &KtapSuite, b: &KtapSuite) -> bool {
    let failures = |s: &KtapSuite| {
        s.tests
            .iter()
            .filter(|t| t.result == KtapResult::NotOk)
            .count()
            + usize::from(s.result.is_none())
    };
    failures(a) > failures(b)
}

fn join(into: &mut Variant, v: Variant) {
    into.run_dir = join_text(&into.run_dir, &v.run_dir, " + ");
    join_evidence(&mut into.run, v.run);
    let mut more = v.repeats.into_iter();
    for r in into.repeats.iter_mut() {
        if let Some(e) = more.next() {
            join_evidence(r, e);
        }
    }
    into.repeats.extend(more);
    into.allow_flaky &= v.allow_flaky;
    for a in v.accel {
        if !into.accel.contains(&a) {
            into.accel.push(a);
        }
    }
    into.hello_s = match (into.hello_s, v.hello_s) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    into.total_s += v.total_s;
    // One benchmark per kernel is enough; a second would only be a repeat.
    if into.bench.is_empty() {
        into.bench = v.bench;
    }
}

pub fn merge(inputs: Vec<Input>, created: String) -> Result<Report> {
    let Some(first) = inputs.first() else {
        bail!("nothing to merge: no input reports");
    };
    let mut base = first.report.clone();
    base.variants.clear();
    // One job's record would rerun only that job.
    if inputs.len() > 1 {
        base.reproducer = None;
    }
    let mut titles: Vec<String> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for input in inputs {
        if !READS_FORMATS.contains(&input.report.format) {
            bail!(
                "{}: report format {}, but this daxkit merges formats {}",
                input.source,
                input.report.format,
                READS_FORMATS.map(|f| f.to_string()).join(" and ")
            );
        }
        if !titles.contains(&input.report.title) {
            titles.push(input.report.title.clone());
        }
        if base.series.is_none() {
            base.series = input.report.series.clone();
        }
        for v in input.report.variants {
            match groups.iter_mut().find(|g| joinable(&g.variant, &v)) {
                Some(g) => {
                    join(&mut g.variant, v);
                    g.sources.push(input.source.clone());
                }
                None => groups.push(Group {
                    variant: v,
                    sources: vec![input.source.clone()],
                }),
            }
        }
    }
    for (name, label) in labels_for_clashes(&groups) {
        groups[name].variant.name = format!("{} [{label}]", groups[name].variant.name);
    }
    base.variants = groups.into_iter().map(|g| g.variant).collect();
    base.title = titles.join(" + ");
    base.format = REPORT_FORMAT;
    base.created = created;
    base.daxkit = env!("CARGO_PKG_VERSION").to_owned();
    Ok(base)
}

/// What tells apart the groups whose names clash, as (group index, label):
/// the guest kernels when they differ, else the source folders (their
/// common prefix when a group was joined from several, e.g. the case-group
/// jobs `dax-pmd-6.1-eligible` + `dax-pmd-6.1-fallback` → `dax-pmd-6.1`).
fn labels_for_clashes(groups: &[Group]) -> Vec<(usize, String)> {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, g) in groups.iter().enumerate() {
        by_name.entry(&g.variant.name).or_default().push(i);
    }
    let mut out = Vec::new();
    for idx in by_name.values().filter(|v| v.len() > 1) {
        let kernels: Vec<Option<&String>> = idx
            .iter()
            .map(|&i| groups[i].variant.run.guest_kernel.as_ref())
            .collect();
        let distinct: BTreeSet<_> = kernels.iter().collect();
        let by_kernel = distinct.len() == kernels.len() && kernels.iter().all(Option::is_some);
        let mut labels: Vec<String> = idx
            .iter()
            .map(|&i| {
                let g = &groups[i];
                match (&g.variant.run.guest_kernel, by_kernel) {
                    (Some(k), true) => k.clone(),
                    _ => sources_label(&g.sources),
                }
            })
            .collect();
        let unique: BTreeSet<&String> = labels.iter().collect();
        if unique.len() != labels.len() {
            for (n, l) in labels.iter_mut().enumerate() {
                *l = format!("{l} #{}", n + 1);
            }
        }
        out.extend(idx.iter().copied().zip(labels));
    }
    out.sort();
    out
}

fn sources_label(sources: &[String]) -> String {
    let mut s: Vec<&String> = sources.iter().collect();
    s.dedup();
    if s.len() == 1 {
        return s[0].clone();
    }
    let first = s[0].as_str();
    let common = s[1..].iter().fold(first.len(), |n, x| {
        first
            .char_indices()
            .zip(x.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(n)
    });
    let prefix = first[..common].trim_end_matches(['-', '_', '/', '.']);
    if prefix.is_empty() {
        s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" + ")
    } else {
        prefix.to_owned()
    }
}

/// The report of a run folder: `DIR/report.json`, or a report file itself.
pub fn report_path(input: &Path) -> PathBuf {
    if input.is_dir() {
        input.join("report.json")
    } else {
        input.to_path_buf()
    }
}

/// Labels for the inputs: the folder names, or whole paths when two
/// folders have the same name.
fn labels(ins: &[PathBuf]) -> Vec<String> {
    let short: Vec<String> = ins
        .iter()
        .map(|p| {
            let p = if p.file_name() == Some("report.json".as_ref()) {
                p.parent().unwrap_or(p)
            } else {
                p
            };
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string())
        })
        .collect();
    let unique: BTreeSet<&String> = short.iter().collect();
    if unique.len() == short.len() {
        short
    } else {
        ins.iter().map(|p| p.display().to_string()).collect()
    }
}

/// Reads `IN/report.json` of every input and merges them. An input that is
/// also the output is refused: its report would be overwritten.
pub fn merge_dirs(out: &Path, ins: &[PathBuf]) -> Result<Report> {
    if ins.is_empty() {
        bail!("report merge: give at least one input folder");
    }
    let out_abs = std::fs::canonicalize(out).ok();
    let mut inputs = Vec::new();
    for (path, source) in ins.iter().zip(labels(ins)) {
        if out_abs.is_some() && std::fs::canonicalize(path).ok() == out_abs {
            bail!(
                "report merge: the output folder {} is also an input; write the merged report elsewhere",
                out.display()
            );
        }
        let report = json::load(&report_path(path))?;
        inputs.push(Input { source, report });
    }
    merge(inputs, crate::home::utc_stamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn input(source: &str, r: Report) -> Input {
        Input {
            source: source.into(),
            report: r,
        }
    }

    /// The fixture split the way a case-group matrix splits it.
    fn split(r: &Report, take: impl Fn(usize) -> bool) -> Report {
        fn keep<T: Clone>(v: &[T], take: &impl Fn(usize) -> bool) -> Vec<T> {
            v.iter()
                .enumerate()
                .filter(|(i, _)| take(*i))
                .map(|(_, c)| c.clone())
                .collect()
        }
        let mut r = r.clone();
        for v in &mut r.variants {
            v.run.cases = keep(&v.run.cases, &take);
            if let Some(p) = &mut v.run.plan {
                p.cases = keep(&p.cases, &take);
            }
        }
        r
    }

    #[test]
    fn case_groups_of_one_kernel_join_into_one_column() {
        let full = fixture::report();
        let a = split(&full, |i| i < 6);
        let mut b = split(&full, |i| i >= 6);
        for v in &mut b.variants {
            v.bench.clear();
        }
        let m = merge(
            vec![input("job-a", a), input("job-b", b)],
            "20261129T000000Z".into(),
        )
        .unwrap();
        let names: Vec<&str> = m.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["stock", "dax-pmd (C)", "dax-pmd (Rust)"]);
        for (got, want) in m.variants.iter().zip(&full.variants) {
            assert_eq!(got.run.cases, want.run.cases, "{}", got.name);
            assert_eq!(got.run.plan, want.run.plan, "{}", got.name);
            assert_eq!(got.bench, want.bench);
            assert_eq!(got.run.outcome, want.run.outcome);
            assert_eq!(
                got.judgement().class,
                want.judgement().class,
                "{}",
                got.name
            );
        }
        assert_eq!(m.variants[0].total_s, 2.0 * full.variants[0].total_s);
        assert_eq!(m.variants[0].run_dir, full.variants[0].run_dir);
        assert_eq!(m.exit_code(), full.exit_code());
        assert_eq!(m.created, "20261129T000000Z");
        assert_eq!(m.title, full.title);
    }

    #[test]
    fn clashing_names_are_labelled_by_source() {
        let a = fixture::report();
        let mut b = fixture::report();
        b.title = "dax-pmd v1 on Linux 6.1.119".into();
        for v in &mut b.variants {
            v.commit = format!("61{}", &v.commit[2..]);
        }
        let m = merge(
            vec![input("k6.12", a), input("k6.1", b)],
            "20261129T000000Z".into(),
        )
        .unwrap();
        let names: Vec<&str> = m.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "stock [k6.12]",
                "dax-pmd (C) [k6.12]",
                "dax-pmd (Rust) [k6.12]",
                "stock [k6.1]",
                "dax-pmd (C) [k6.1]",
                "dax-pmd (Rust) [k6.1]"
            ]
        );
        assert_eq!(
            m.title,
            "dax-pmd v1 on Linux 6.12.117 + dax-pmd v1 on Linux 6.1.119"
        );
    }

    #[test]
    fn same_cases_twice_are_not_joined() {
        let r = fixture::report();
        let m = merge(vec![input("a", r.clone()), input("b", r)], "x".into()).unwrap();
        assert_eq!(m.variants.len(), 6);
        assert_eq!(m.variants[0].name, "stock [a]");
    }

    #[test]
    fn joined_groups_are_labelled_by_their_common_source_prefix() {
        let check = |s: &[&str], want: &str| {
            let v: Vec<String> = s.iter().map(|x| x.to_string()).collect();
            assert_eq!(sources_label(&v), want);
        };
        check(&["a"], "a");
        check(
            &["dax-pmd-6.1-eligible", "dax-pmd-6.1-fallback"],
            "dax-pmd-6.1",
        );
        check(&["x", "y"], "x + y");
        check(&["job", "job"], "job");
    }

    #[test]
    fn clashes_are_told_apart_by_guest_kernel_when_it_differs() {
        let a = fixture::report();
        let mut b = fixture::report();
        for v in &mut b.variants {
            v.commit = format!("61{}", &v.commit[2..]);
            v.run.guest_kernel = Some("6.1.119".into());
        }
        let m = merge(vec![input("a", a), input("b", b)], "x".into()).unwrap();
        assert_eq!(m.variants[0].name, "stock [6.12.117]");
        assert_eq!(m.variants[3].name, "stock [6.1.119]");
    }

    #[test]
    fn nothing_to_merge() {
        assert!(merge(Vec::new(), "x".into()).is_err());
    }

    #[test]
    fn duplicate_folder_names_use_paths() {
        let l = labels(&["a/run".into(), "b/run".into()]);
        assert_eq!(l, ["a/run", "b/run"]);
        let l = labels(&["r/one".into(), "r/two/report.json".into()]);
        assert_eq!(l, ["one", "two"]);
    }
}
