//! `daxkit matrix`: the CI job matrix (series × kernel × case group) for
//! runners to fan out over, as a GitHub Actions `strategy.matrix` (JSON,
//! `{"include": [...]}`) or a GitLab CI `parallel:matrix` job (YAML).
//!
//! Every job holds the exact `daxkit ci` command its runner executes and the
//! `daxkit report merge` command that joins all jobs' result folders.
//! Pure: [`plan`] turns the choices into jobs, [`github`] and [`gitlab`]
//! render them.
//!
//! In a GitHub workflow (artifacts named by job id, so the merge job's
//! download lands in `results/<id>`, the folders the merge command names):
//!
//! ```text
//! plan:  run: echo "matrix=$(daxkit matrix --format github)" >> "$GITHUB_OUTPUT"
//! run:   strategy: { fail-fast: false, matrix: ${{ fromJSON(needs.plan.outputs.matrix) }} }
//!        steps: - run: ${{ matrix.command }}
//!               - uses: actions/upload-artifact@v4   (if: always(); name: ${{ matrix.id }}, path: ${{ matrix.out }})
//! merge: steps: - uses: actions/download-artifact@v4 (path: results)
//!               - run: ${{ fromJSON(needs.plan.outputs.matrix).include[0].merge }}
//! ```
//!
//! The case groups mirror the harness' own grouping (`harness/src/cases/`:
//! eligible, fallback, environment). The harness lists its cases only with
//! its `guest` feature, which the host does not build, so the names are
//! repeated here; `tests/report.rs` checks them against the harness source.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseGroup {
    pub name: &'static str,
    pub what: &'static str,
    pub cases: &'static [&'static str],
}

pub const CASE_GROUPS: &[CaseGroup] = &[
    CaseGroup {
        name: "eligible",
        what: "PMD-eligible mappings (and the fault benchmark)",
        cases: &[
            "xfs-aligned-shared-write",
            "ext4-aligned-shared-write",
            "xfs-map-sync-write",
            "ext4-map-sync-write",
            "xfs-hole-read",
            "ext4-hole-read",
        ],
    },
    CaseGroup {
        name: "fallback",
        what: "mappings a fallback rule forces to PTEs",
        cases: &[
            "xfs-colour-mismatch",
            "xfs-private-write",
            "xfs-vma-smaller-than-pmd",
            "xfs-pmd-straddles-vma",
            "xfs-file-ends-inside-pmd",
            "xfs-madv-nohugepage",
            "xfs-prctl-thp-disable",
            "xfs-pte-prefaulted",
            "xfs-half-prefaulted",
        ],
    },
    CaseGroup {
        name: "environment",
        what: "the mount or the namespace decides",
        cases: &["xfs-nodax-mount", "xfs-4k-namespace"],
    },
];

/// The group that also runs the fault benchmark (once per series × kernel).
pub const BENCH_GROUP: &str = "eligible";
pub const BENCH_MIB: u64 = crate::vm::DEFAULT_BENCH_MIB;
pub const DEFAULT_SERIES: &str = crate::series::DEFAULT;
pub const DEFAULT_KERNEL: &str = crate::fetch::DEFAULT_KERNEL;

/// One CI job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// `dax-pmd-6.12-eligible`: job name, artifact name, results folder name.
    pub id: String,
    pub series: String,
    pub kernel: String,
    pub group: String,
    /// Space-separated case names.
    pub cases: String,
    /// The job's results folder (the artifact to upload).
    pub out: String,
    /// What the runner executes.
    pub command: String,
    /// What joins every job's folder once all have run.
    pub merge: String,
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Series × kernel × case group, in that order. Empty lists mean the
/// defaults (the embedded `dax-pmd` series, 6.12). `results` is the folder
/// every job writes under (`results/<id>`), and the merge writes
/// `results/merged`.
pub fn plan(series: &[String], kernels: &[String], results: &str) -> Vec<Job> {
    let default_series = [DEFAULT_SERIES.to_owned()];
    let default_kernels = [DEFAULT_KERNEL.to_owned()];
    let series = if series.is_empty() {
        &default_series[..]
    } else {
        series
    };
    let kernels = if kernels.is_empty() {
        &default_kernels[..]
    } else {
        kernels
    };
    let results = results.trim_end_matches('/');
    let mut jobs = Vec::new();
    for s in series {
        for k in kernels {
            for g in CASE_GROUPS {
                let id = format!("{}-{}-{}", slug(s), slug(k), g.name);
                let out = format!("{results}/{id}");
                let mut cmd = vec![
                    "daxkit".to_owned(),
                    "ci".to_owned(),
                    shell_word(s),
                    "--kernel".to_owned(),
                    shell_word(k),
                ];
                for c in g.cases {
                    cmd.push("--case".to_owned());
                    cmd.push((*c).to_owned());
                }
                // `ci` runs the benchmark unless told `--bench-mib 0`.
                cmd.push("--bench-mib".to_owned());
                cmd.push(if g.name == BENCH_GROUP {
                    BENCH_MIB.to_string()
                } else {
                    "0".to_owned()
                });
                cmd.push("--out".to_owned());
                cmd.push(shell_word(&out));
                jobs.push(Job {
                    id,
                    series: s.clone(),
                    kernel: k.clone(),
                    group: g.name.to_owned(),
                    cases: g.cases.join(" "),
                    out,
                    command: cmd.join(" "),
                    merge: String::new(),
                });
            }
        }
    }
    let merge = std::iter::once(format!(
        "daxkit report merge {}",
        shell_word(&format!("{results}/merged"))
    ))
    .chain(jobs.iter().map(|j| shell_word(&j.out)))
    .collect::<Vec<_>>()
    .join(" ");
    for j in &mut jobs {
        j.merge = merge.clone();
    }
    jobs
}

/// GitHub Actions: `strategy: matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}`
/// with `run: ${{ matrix.command }}`; the merge job reads
/// `fromJSON(...).include[0].merge`. One line, as `$GITHUB_OUTPUT` wants.
pub fn github(jobs: &[Job]) -> String {
    #[derive(Serialize)]
    struct Matrix<'a> {
        include: &'a [Job],
    }
    // Plain strings: serializing cannot fail.
    serde_json::to_string(&Matrix { include: jobs }).unwrap_or_default()
}

/// GitLab CI: one `daxkit` job with `parallel:matrix` over the job ids and
/// a `daxkit-merge` job after it.
///
/// GitLab names each matrix job after its variable values and refuses (or
/// silently drops the pipeline for) names over 255 characters, so the
/// matrix holds only the short id; each job's exact command and settings
/// come from a `rules:` entry matching that id.
pub fn gitlab(jobs: &[Job]) -> String {
    use serde_yaml::{Mapping, Value};
    let s = |v: &str| Value::String(v.to_owned());
    let mut rules = Vec::new();
    for j in jobs {
        let vars: BTreeMap<&str, &str> = [
            ("DAXKIT_SERIES", j.series.as_str()),
            ("DAXKIT_KERNEL", j.kernel.as_str()),
            ("DAXKIT_CASE_GROUP", j.group.as_str()),
            ("DAXKIT_OUT", j.out.as_str()),
            ("DAXKIT_COMMAND", j.command.as_str()),
        ]
        .into_iter()
        .collect();
        let mut rule = Mapping::new();
        rule.insert(s("if"), s(&format!("$DAXKIT_JOB == \"{}\"", j.id)));
        rule.insert(
            s("variables"),
            Value::Mapping(vars.into_iter().map(|(k, v)| (s(k), s(v))).collect()),
        );
        rules.push(Value::Mapping(rule));
    }
    let ids: Vec<Value> = jobs.iter().map(|j| s(&j.id)).collect();
    let mut matrix_entry = Mapping::new();
    matrix_entry.insert(s("DAXKIT_JOB"), Value::Sequence(ids));
    let mut parallel = Mapping::new();
    parallel.insert(
        s("matrix"),
        Value::Sequence(vec![Value::Mapping(matrix_entry)]),
    );
    let artifacts = |path: &str| {
        let mut a = Mapping::new();
        a.insert(s("when"), s("always"));
        a.insert(s("paths"), Value::Sequence(vec![s(path)]));
        Value::Mapping(a)
    };
    let mut job = Mapping::new();
    job.insert(s("parallel"), Value::Mapping(parallel));
    job.insert(s("rules"), Value::Sequence(rules));
    job.insert(
        s("script"),
        Value::Sequence(vec![s("eval \"$DAXKIT_COMMAND\"")]),
    );
    job.insert(s("artifacts"), artifacts("$DAXKIT_OUT"));
    let merged_dir = jobs
        .first()
        .map(|j| {
            j.out
                .rsplit_once('/')
                .map_or("merged".to_owned(), |(d, _)| format!("{d}/merged"))
        })
        .unwrap_or_default();
    let mut merge = Mapping::new();
    merge.insert(s("needs"), Value::Sequence(vec![s("daxkit")]));
    merge.insert(s("when"), s("always"));
    merge.insert(
        s("script"),
        Value::Sequence(vec![s(jobs.first().map_or("", |j| j.merge.as_str()))]),
    );
    merge.insert(s("artifacts"), {
        let mut a = match artifacts(&merged_dir) {
            Value::Mapping(m) => m,
            _ => Mapping::new(),
        };
        let mut reports = Mapping::new();
        reports.insert(s("junit"), s(&format!("{merged_dir}/report.xml")));
        a.insert(s("reports"), Value::Mapping(reports));
        a.insert(s("expose_as"), s("daxkit report"));
        Value::Mapping(a)
    });
    let mut top = Mapping::new();
    top.insert(s("daxkit"), Value::Mapping(job));
    top.insert(s("daxkit-merge"), Value::Mapping(merge));
    let yaml = serde_yaml::to_string(&Value::Mapping(top)).unwrap_or_default();
    format!(
        "# daxkit CI matrix: {} jobs (series x kernel x case group); generated by `daxkit matrix --format gitlab`\n{yaml}",
        jobs.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_plan_is_one_series_one_kernel_every_group() {
        let jobs = plan(&[], &[], "results");
        let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "dax-pmd-6.12-eligible",
                "dax-pmd-6.12-fallback",
                "dax-pmd-6.12-environment"
            ]
        );
        assert_eq!(
            jobs[2].command,
            "daxkit ci dax-pmd --kernel 6.12 --case xfs-nodax-mount --case xfs-4k-namespace \
             --bench-mib 0 --out results/dax-pmd-6.12-environment"
        );
        assert!(jobs[0].command.contains("--bench-mib 256 --out"));
        assert!(jobs[1].command.contains("--bench-mib 0 --out"));
        assert_eq!(
            jobs[0].merge,
            "daxkit report merge results/merged results/dax-pmd-6.12-eligible \
             results/dax-pmd-6.12-fallback results/dax-pmd-6.12-environment"
        );
    }

    #[test]
    fn product_order_and_quoting() {
        let jobs = plan(
            &["dax-pmd".into(), "my series".into()],
            &["6.12".into(), "6.1".into()],
            "out/",
        );
        assert_eq!(jobs.len(), 2 * 2 * CASE_GROUPS.len());
        assert_eq!(jobs[3].id, "dax-pmd-6.1-eligible");
        let odd = &jobs[6];
        assert_eq!(odd.id, "my_series-6.12-eligible");
        assert!(odd
            .command
            .starts_with("daxkit ci 'my series' --kernel 6.12 "));
        assert!(odd.command.ends_with("--out out/my_series-6.12-eligible"));
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("a-b_1.2/c"), "a-b_1.2/c");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$(x)"), "'$(x)'");
    }

    #[test]
    fn github_is_an_include_list() {
        let v: serde_json::Value =
            serde_json::from_str(&github(&plan(&[], &[], "results"))).unwrap();
        let inc = v["include"].as_array().unwrap();
        assert_eq!(inc.len(), 3);
        assert_eq!(inc[0]["group"], "eligible");
        assert_eq!(v.as_object().unwrap().len(), 1, "only `include`");
    }

    #[test]
    fn gitlab_job_names_stay_short() {
        let jobs = plan(
            &["dax-pmd".into()],
            &["6.12".into(), "6.1".into()],
            "results",
        );
        let y: serde_yaml::Value = serde_yaml::from_str(&gitlab(&jobs)).unwrap();
        let ids = y["daxkit"]["parallel"]["matrix"][0]["DAXKIT_JOB"]
            .as_sequence()
            .unwrap();
        assert_eq!(ids.len(), 6);
        for id in ids {
            // GitLab names the job `daxkit: [<id>]`; the limit is 255.
            assert!(id.as_str().unwrap().len() + 10 < 255);
        }
        let rules = y["daxkit"]["rules"].as_sequence().unwrap();
        assert_eq!(rules.len(), 6);
        assert_eq!(rules[4]["if"], "$DAXKIT_JOB == \"dax-pmd-6.1-fallback\"");
        assert_eq!(
            rules[4]["variables"]["DAXKIT_COMMAND"].as_str(),
            Some(jobs[4].command.as_str())
        );
        assert_eq!(
            y["daxkit-merge"]["script"][0].as_str(),
            Some(jobs[0].merge.as_str())
        );
        assert_eq!(
            y["daxkit-merge"]["artifacts"]["reports"]["junit"],
            "results/merged/report.xml"
        );
    }
}
