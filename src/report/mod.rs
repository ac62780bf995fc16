//! Reports: the data model ([`model`]), its renderings (JSON, JUnit XML,
//! Markdown, a self-contained HTML page, the one-line summary), `daxkit
//! report merge` and `daxkit matrix`.
//!
//! Renderers are pure functions of a [`model::Report`]; only [`write_all`]
//! and the two commands touch the file system. Nothing here runs a kernel.

pub mod bench;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod merge;
pub mod model;
pub mod reproducer;
pub mod summary;
pub mod view;

#[cfg(test)]
pub(crate) mod fixture;

use anyhow::{Context, Result};
use model::Report;
use std::path::{Path, PathBuf};

/// The files a report folder holds, in the order [`write_all`] writes them.
pub const FILES: [&str; 5] = [
    "report.json",
    "report.md",
    "report.xml",
    "report.html",
    "summary.txt",
];

/// Renders `report` into `dir` (created if missing) as report.json,
/// report.md, report.xml (JUnit), report.html and summary.txt. Each file is
/// written to a temporary name and renamed, so a reader never sees half a
/// report. Returns the paths written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating report folder {}", dir.display()))?;
    let contents = [
        json::render(report),
        markdown::render(report),
        junit::render(report),
        html::render(report),
        summary::line(report) + "\n",
    ];
    let mut written = Vec::new();
    for (name, text) in FILES.iter().zip(contents) {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The one line a reviewer pastes on the list (`summary.txt`).
pub fn summary_line(report: &Report) -> String {
    summary::line(report)
}

/// `daxkit report ...` (the flags and their help are in `cli`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportCmd {
    /// Join the report.json of several run folders (`in_dirs`) into one
    /// report in `out_dir`; exits like the runs.
    Merge {
        out_dir: PathBuf,
        in_dirs: Vec<PathBuf>,
    },
    /// One JSON line per run folder saying whether its fault benchmark
    /// counts; exits 0 when every folder's does, else 1.
    Bench { run_dirs: Vec<PathBuf> },
}

/// `daxkit matrix --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixFormat {
    /// JSON for a GitHub Actions `strategy.matrix` (`{"include": [...]}`).
    Github,
    /// YAML: a GitLab CI job with `parallel:matrix`, and the merge job.
    Gitlab,
}

/// `daxkit matrix`: which jobs, in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixSpec {
    pub format: MatrixFormat,
    /// Series to test (empty: dax-pmd).
    pub series: Vec<String>,
    /// Kernels to test on (empty: 6.12).
    pub kernels: Vec<String>,
    /// Folder the jobs write their results under.
    pub results: String,
}

pub fn cmd_report(c: &ReportCmd) -> Result<i32> {
    match c {
        ReportCmd::Merge { out_dir, in_dirs } => {
            let report = merge::merge_dirs(out_dir, in_dirs)?;
            for p in write_all(&report, out_dir)? {
                println!("{}", p.display());
            }
            println!("{}", summary_line(&report));
            Ok(report.exit_code())
        }
        ReportCmd::Bench { run_dirs } => {
            // A folder that is not there is a typo (128), not a bad run.
            if let Some(d) = run_dirs.iter().find(|d| !d.is_dir()) {
                anyhow::bail!("report bench: {} is not a run folder", d.display());
            }
            let mut all = true;
            for d in run_dirs {
                let c = bench::check_dir(d);
                all &= c.verified;
                println!("{}", serde_json::to_string(&c)?);
            }
            Ok(if all {
                crate::exit::GOOD
            } else {
                crate::exit::BAD
            })
        }
    }
}

pub fn cmd_matrix(a: &MatrixSpec) -> Result<i32> {
    let jobs = matrix::plan(&a.series, &a.kernels, &a.results);
    let out = match a.format {
        MatrixFormat::Github => matrix::github(&jobs) + "\n",
        MatrixFormat::Gitlab => matrix::gitlab(&jobs),
    };
    print!("{out}");
    Ok(crate::exit::GOOD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_all_writes_the_five_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/report");
        let r = fixture::report();
        let paths = write_all(&r, &out).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, FILES);
        assert_eq!(json::load(&out.join("report.json")).unwrap(), r);
        let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
        assert_eq!(summary.lines().count(), 1);
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty());
    }

    /// A build that failed before any boot, and a report with no variant
    /// at all, still render everywhere (and the XML stays well-formed).
    #[test]
    fn degenerate_reports_render() {
        let mut r = fixture::report();
        r.variants.truncate(1);
        let v = &mut r.variants[0];
        v.run = daxkit_harness::judge::Evidence {
            outcome: daxkit_harness::judge::Outcome::BuildFailed,
            detail: "make bzImage failed: fs/dax.c:1234: error: expected ';'".into(),
            ..Default::default()
        };
        v.bench.clear();
        for r in [
            r.clone(),
            Report {
                variants: vec![],
                ..r
            },
        ] {
            let xml = junit::render(&r);
            roxmltree::Document::parse(&xml).unwrap();
            let html = html::render(&r);
            assert!(html.contains("id=\"summary\""));
            assert!(markdown::render(&r).contains("No variant ran the fault benchmark."));
            assert!(!summary_line(&r).is_empty());
            assert_eq!(json::parse(&json::render(&r), "mem").unwrap(), r);
        }
        let xml = junit::render(&fixture_build_failed());
        assert!(
            xml.contains("<error type=\"build-failed\" message=\"cannot test: cannot build: make bzImage failed"),
            "{xml}"
        );
    }

    /// A benchmark run whose page-table readers did not confirm its
    /// mapping is left out of the ratio and named, with the same words,
    /// in the Markdown, the HTML and summary.txt.
    #[test]
    fn unverified_bench_run_is_excluded_and_named_everywhere() {
        use daxkit_harness::protocol::SignalState;
        let mut r = fixture::report();
        let c = &mut r.variants[1];
        assert_eq!(c.name, "dax-pmd (C)");
        let dump = c.bench[1]
            .signals
            .iter_mut()
            .find(|s| s.name == "ptdump")
            .unwrap();
        dump.says = None;
        dump.state = Some(SignalState::Failed);
        dump.evidence = "unavailable: reading /sys/kernel/debug/page_tables/current_kernel: \
                         Input/output error (os error 5)"
            .into();
        let why = "unverified: pte-forced: signal-failed: ptdump failed: unavailable: \
                   reading /sys/kernel/debug/page_tables/current_kernel: Input/output error \
                   (os error 5)";
        assert_eq!(
            view::bench_pair(&r.variants[1])
                .unwrap()
                .caveat()
                .as_deref(),
            Some(why)
        );

        let md = markdown::render(&r);
        assert!(
            md.contains(&format!(
                "| dax-pmd (C) | TCG | 801.0 | 329.6 | 2496879 | 11851 | 128 | 65536 | **—** ({why}) |"
            )),
            "{md}"
        );
        assert!(md.contains("| **2.40x** |"));
        assert!(!md.contains("2.43x"));

        let html = html::render(&r);
        assert!(html.contains(&format!("<span class=\"unverified\">({why})</span>")));
        assert_eq!(
            html.matches("<rect class=\"bar pmd unverified\"").count(),
            1
        );
        assert_eq!(
            html.matches("<rect class=\"bar pte unverified\"").count(),
            1
        );
        assert!(html.contains(">unverified</text>"));
        assert!(html.contains(">2.40x</text>"));
        assert!(!html.contains("2.43x"));

        let line = summary_line(&r);
        assert!(
            line.ends_with(&format!(
                "; PMD/PTE fault throughput 2.4x (TCG; 2016 series: 2.58x); \
                 fault benchmark (C) {why}"
            )),
            "{line}"
        );
        assert!(
            !line.contains("2.43") && !line.contains("(stock)"),
            "{line}"
        );
    }

    fn fixture_build_failed() -> Report {
        let mut r = fixture::report();
        r.variants.truncate(1);
        r.variants[0].run = daxkit_harness::judge::Evidence {
            outcome: daxkit_harness::judge::Outcome::BuildFailed,
            detail: "make bzImage failed".into(),
            ..Default::default()
        };
        r
    }
}
