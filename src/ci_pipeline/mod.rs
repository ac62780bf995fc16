//! `daxkit pipeline --format github|gitlab [SERIES]...`: a whole CI
//! pipeline that builds each kernel once and fans the tests out over the
//! artifacts (as BPF CI's vmtest and tuxsuite plans do).
//!
//! ```text
//! build  one job per distinct (tree, commit, config):  daxkit export … --out kernels
//!        → artifact kernels/ (kept bzImage, config, stamp, commit, toolchain; guest image)
//! test   one job per (variant × case shard):  daxkit ci … --kernels kernels --variant V --case …
//!        → artifact results/<job id>/ (never builds: a kernel whose stamp differs is refused)
//! merge  daxkit report merge results/merged results/<job id>…  → report (JUnit on GitLab)
//! ```
//!
//! Caches: the imported kernel repo (`$DAXKIT_HOME/repos`) keyed on the
//! base tag, ccache keyed on base tag and config hash.
//!
//! Shards: the harness' case groups, or with `--timings report.json` the
//! cases split by their recorded durations ([`shards`]).
//! [`plan`] is pure; [`github`] and [`gitlab`] render it.

pub mod github;
pub mod gitlab;

use crate::export::STOCK;
use crate::kconfig::{ConfigSpec, Profile};
use crate::report::matrix::{self, shell_word, BENCH_GROUP, BENCH_MIB, CASE_GROUPS};
use crate::report::model::Report;
use crate::report::MatrixFormat;
use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `daxkit pipeline`: which engine, series and kernel, how the cases are
/// sharded, where the file goes.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineSpec {
    pub format: MatrixFormat,
    /// Series to test (empty: dax-pmd).
    pub series: Vec<String>,
    /// linux-source version.
    pub kernel: String,
    /// Split the cases into shards by the durations in this report.json.
    pub timings: Option<PathBuf>,
    /// Shards per variant with `timings` (fewer when one case alone would
    /// make a shard longer than 1.5x the mean).
    pub shards: u64,
    /// Write here instead of stdout.
    pub output: Option<PathBuf>,
}

/// The default of `--shards`: as many as the harness' case groups.
pub const DEFAULT_SHARDS: u64 = CASE_GROUPS.len() as u64;

/// A build job: one kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildJob {
    pub id: String,
    /// `stock (dax-pmd base)`, `dax-pmd (C, Rust)`: for job titles.
    pub title: String,
    /// The base's tag (cache key).
    pub base_tag: String,
    /// SHA-256 (16 hex) of the merged fragment (cache key).
    pub config_hash: String,
    pub command: String,
}

/// A test job: one variant, one shard of cases.
#[derive(Debug, Clone, PartialEq)]
pub struct TestJob {
    pub id: String,
    pub title: String,
    /// The build jobs whose kernels it reads.
    pub needs: Vec<String>,
    pub base_tag: String,
    pub cases: Vec<String>,
    pub bench: bool,
    pub out: String,
    pub command: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The `daxkit pipeline` command that wrote it.
    pub generated_by: String,
    pub builds: Vec<BuildJob>,
    pub tests: Vec<TestJob>,
    pub merge: String,
    pub merged_dir: String,
}

/// Where the jobs put things (relative to the checkout).
pub const KERNELS_DIR: &str = "kernels";
pub const RESULTS_DIR: &str = "results";

/// One shard of cases for one variant's boots.
#[derive(Debug, Clone, PartialEq)]
pub struct Shard {
    pub name: String,
    pub cases: Vec<String>,
    /// Runs the fault benchmark.
    pub bench: bool,
    /// Estimated seconds (from timings; 0 without).
    pub seconds: f64,
}

/// A job id engines accept everywhere (GitHub: `[A-Za-z0-9_-]`).
pub fn id_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The case groups of the harness, the benchmark with its group.
pub fn default_shards() -> Vec<Shard> {
    CASE_GROUPS
        .iter()
        .map(|g| Shard {
            name: g.name.to_owned(),
            cases: g.cases.iter().map(|c| (*c).to_owned()).collect(),
            bench: g.name == BENCH_GROUP,
            seconds: 0.0,
        })
        .collect()
}

/// Recorded seconds per case (the longest over the report's variants and
/// repeats) and of the fault benchmark (its runs' MiB over MiB/s).
pub fn timings(r: &Report) -> (BTreeMap<String, f64>, f64) {
    let mut cases: BTreeMap<String, f64> = BTreeMap::new();
    let mut bench: f64 = 0.0;
    for v in &r.variants {
        for e in std::iter::once(&v.run).chain(&v.repeats) {
            for c in &e.cases {
                let s = c.duration_ms as f64 / 1000.0;
                let t = cases.entry(c.name.clone()).or_insert(0.0);
                *t = t.max(s);
            }
        }
        let b: f64 = v
            .bench
            .iter()
            .filter(|b| b.mib_per_s > 0.0)
            .map(|b| b.mib as f64 / b.mib_per_s)
            .sum();
        bench = bench.max(b);
    }
    (cases, bench)
}

/// Splits `cases` into at most `n` shards by their durations: longest
/// first onto the lightest shard (the benchmark is one more item), with
/// fewer shards while the longest would exceed 1.5x the mean. A case
/// without a recorded duration counts as the mean of those with one.
pub fn shards(
    cases: &[String],
    durations: &BTreeMap<String, f64>,
    bench_s: f64,
    n: usize,
) -> Vec<Shard> {
    let known: Vec<f64> = cases
        .iter()
        .filter_map(|c| durations.get(c))
        .copied()
        .collect();
    let fallback = if known.is_empty() {
        1.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    // (seconds, case name or None for the benchmark)
    let mut items: Vec<(f64, Option<&String>)> = cases
        .iter()
        .map(|c| (durations.get(c).copied().unwrap_or(fallback), Some(c)))
        .collect();
    if bench_s > 0.0 {
        items.push((bench_s, None));
    }
    items.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut n = n.clamp(1, items.len().max(1));
    loop {
        let mut out: Vec<Shard> = (1..=n)
            .map(|i| Shard {
                name: format!("shard{i}"),
                cases: Vec::new(),
                bench: false,
                seconds: 0.0,
            })
            .collect();
        for (s, item) in &items {
            let lightest = out
                .iter_mut()
                .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
                .expect("n >= 1");
            lightest.seconds += s;
            match item {
                Some(c) => lightest.cases.push((*c).clone()),
                None => lightest.bench = true,
            }
        }
        // A shard of the benchmark alone would run every case (`ci`
        // without --case): the benchmark joins the lightest shard of cases.
        if let Some(i) = out.iter().position(|s| s.bench && s.cases.is_empty()) {
            let b = out.remove(i);
            if let Some(to) = out
                .iter_mut()
                .filter(|s| !s.cases.is_empty())
                .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
            {
                to.bench = true;
                to.seconds += b.seconds;
            }
        }
        out.retain(|s| !s.cases.is_empty());
        for (i, s) in out.iter_mut().enumerate() {
            s.name = format!("shard{}", i + 1);
        }
        if n == 1 || balanced(&out) {
            return out;
        }
        n -= 1;
    }
}

/// No shard above 1.5x the mean.
pub fn balanced(shards: &[Shard]) -> bool {
    let total: f64 = shards.iter().map(|s| s.seconds).sum();
    let mean = total / shards.len().max(1) as f64;
    shards.iter().all(|s| s.seconds <= 1.5 * mean + 1e-9)
}

fn config_hash(frags: &[PathBuf]) -> Result<String> {
    let merged = crate::kconfig::merge(frags)?;
    let text: String = merged
        .iter()
        .map(|(k, r)| format!("CONFIG_{k}={}\n", r.value))
        .collect();
    Ok(format!("{:x}", Sha256::digest(text.as_bytes()))[..16].to_owned())
}

/// The config a pipeline's jobs build with: daxkit's defaults.
fn default_config() -> ConfigSpec {
    ConfigSpec {
        fragments: Vec::new(),
        no_rust: false,
        profile: Profile::Default,
    }
}

/// The pipeline for `series` (default dax-pmd) on `kernel`, with the
/// case shards `shards_for` gives each variant.
pub fn plan(a: &PipelineSpec, shard_list: &[Shard]) -> Result<Pipeline> {
    let specs = if a.series.is_empty() {
        vec![matrix::DEFAULT_SERIES.to_owned()]
    } else {
        a.series.clone()
    };
    let k = &a.kernel;
    let mut builds: Vec<BuildJob> = Vec::new();
    let mut tests: Vec<TestJob> = Vec::new();
    // Stock kernels shared by series on the same base and config.
    let mut stock_of: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut seen: Vec<String> = Vec::new();
    for spec in &specs {
        let series = crate::series::load(spec)?;
        if seen.contains(&series.name) {
            bail!("series {} given twice ({spec})", series.name);
        }
        seen.push(series.name.clone());
        let base_tag = series
            .base
            .rev
            .clone()
            .unwrap_or_else(|| format!("debian-{k}"));
        let sid = id_part(&series.name);
        let stock_frags = crate::kconfig::fragments(&default_config(), None)?;
        let frags = crate::kconfig::fragments(&default_config(), Some(&series))?;
        let stock_hash = config_hash(&stock_frags)?;
        let key = (base_tag.clone(), stock_hash.clone());
        let new_stock = !stock_of.contains_key(&key);
        let stock_build = stock_of
            .entry(key)
            .or_insert_with(|| format!("build-stock-{}-{}", id_part(&base_tag), id_part(k)))
            .clone();
        let series_word = shell_word(spec);
        if new_stock {
            builds.push(BuildJob {
                id: stock_build.clone(),
                title: format!("stock {base_tag} ({k})"),
                base_tag: base_tag.clone(),
                config_hash: stock_hash,
                command: format!(
                    "daxkit export {series_word} --kernel {k} --variant {STOCK} --out {KERNELS_DIR}"
                ),
            });
        }
        // One build job per kernel of the series (runs::kernel_plans: one
        // per distinct variant config); each test job needs the stock
        // kernel (whose fault a series that does not build is) and its
        // variant's kernel.
        let mut build_of: BTreeMap<String, String> = BTreeMap::new();
        let plans = crate::export::kernel_plans(Some(&series), &frags)?;
        for p in &plans {
            let id = if plans.len() == 1 {
                format!("build-{sid}-{}", id_part(k))
            } else {
                format!(
                    "build-{sid}-{}-{}",
                    id_part(k),
                    id_part(&p.variants.join("-"))
                )
            };
            let variants: String = p
                .variants
                .iter()
                .map(|v| format!(" --variant {}", shell_word(v)))
                .collect();
            builds.push(BuildJob {
                id: id.clone(),
                title: format!("{} ({}) on {base_tag}", series.name, p.variants.join(", ")),
                base_tag: base_tag.clone(),
                config_hash: config_hash(&p.fragments)?,
                command: format!(
                    "daxkit export {series_word} --kernel {k}{variants} --out {KERNELS_DIR}"
                ),
            });
            for v in &p.variants {
                build_of.insert(v.clone(), id.clone());
            }
        }
        let mut variants: Vec<String> = Vec::new();
        if new_stock {
            variants.push(STOCK.to_owned());
        }
        variants.extend(plans.iter().flat_map(|p| p.variants.clone()));
        for v in &variants {
            for s in shard_list {
                let id = if *v == STOCK {
                    format!(
                        "test-stock-{}-{}-{}",
                        id_part(&base_tag),
                        id_part(k),
                        s.name
                    )
                } else {
                    format!("test-{sid}-{}-{}-{}", id_part(k), id_part(v), s.name)
                };
                let out = format!("{RESULTS_DIR}/{id}");
                let mut cmd = format!(
                    "daxkit ci {series_word} --kernel {k} --kernels {KERNELS_DIR} --variant {}",
                    shell_word(v)
                );
                for c in &s.cases {
                    cmd.push_str(&format!(" --case {}", shell_word(c)));
                }
                cmd.push_str(&format!(
                    " --bench-mib {} --out {out}",
                    if s.bench { BENCH_MIB } else { 0 }
                ));
                tests.push(TestJob {
                    title: format!(
                        "{} {} on {k}: {}",
                        if *v == STOCK { "stock" } else { &series.name },
                        if *v == STOCK { "" } else { v.as_str() },
                        s.name
                    )
                    .replace("  ", " "),
                    id,
                    needs: std::iter::once(stock_build.clone())
                        .chain(build_of.get(v).cloned())
                        .collect(),
                    base_tag: base_tag.clone(),
                    cases: s.cases.clone(),
                    bench: s.bench,
                    out,
                    command: cmd,
                });
            }
        }
    }
    let merged_dir = format!("{RESULTS_DIR}/merged");
    let merge = std::iter::once(format!("daxkit report merge {merged_dir}"))
        .chain(tests.iter().map(|t| t.out.clone()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut generated_by = format!(
        "daxkit pipeline --format {}",
        match a.format {
            MatrixFormat::Github => "github",
            MatrixFormat::Gitlab => "gitlab",
        }
    );
    if k != crate::fetch::DEFAULT_KERNEL {
        generated_by.push_str(&format!(" --kernel {k}"));
    }
    if let Some(t) = &a.timings {
        generated_by.push_str(&format!(
            " --timings {} --shards {}",
            shell_word(&t.display().to_string()),
            a.shards
        ));
    }
    for s in &a.series {
        generated_by.push_str(&format!(" {}", shell_word(s)));
    }
    Ok(Pipeline {
        generated_by,
        builds,
        tests,
        merge,
        merged_dir,
    })
}

pub fn cmd(a: &PipelineSpec) -> Result<i32> {
    let shard_list = match &a.timings {
        None => default_shards(),
        Some(t) => {
            let r = crate::report::json::load(t)
                .with_context(|| format!("--timings {}", t.display()))?;
            let (durations, bench) = timings(&r);
            if durations.is_empty() {
                bail!(
                    "--timings {}: the report has no case with a duration",
                    t.display()
                );
            }
            let all: Vec<String> = CASE_GROUPS
                .iter()
                .flat_map(|g| g.cases.iter().map(|c| (*c).to_owned()))
                .collect();
            let s = shards(&all, &durations, bench, a.shards as usize);
            for sh in &s {
                crate::ui::note(format!(
                    "{}: {:.1}s, {} cases{}",
                    sh.name,
                    sh.seconds,
                    sh.cases.len(),
                    if sh.bench { " and the benchmark" } else { "" }
                ));
            }
            s
        }
    };
    let p = plan(a, &shard_list)?;
    let text = match a.format {
        MatrixFormat::Github => github::render(&p),
        MatrixFormat::Gitlab => gitlab::render(&p),
    };
    match &a.output {
        Some(f) => {
            if let Some(d) = f.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(f, &text).with_context(|| format!("writing {}", f.display()))?;
            println!("{}", f.display());
        }
        None => print!("{text}"),
    }
    Ok(crate::exit::GOOD)
}

/// The step that makes `daxkit` available on a runner: an installed one,
/// else `cargo install` from the checkout.
pub const INSTALL: &str = "command -v daxkit >/dev/null || cargo install --locked --path .";

/// A YAML mapping from (key, value) pairs, in order.
pub fn map<const N: usize>(pairs: [(&str, serde_yaml::Value); N]) -> serde_yaml::Value {
    serde_yaml::Value::Mapping(
        pairs
            .into_iter()
            .map(|(k, v)| (serde_yaml::Value::String(k.to_owned()), v))
            .collect(),
    )
}

pub fn s(v: &str) -> serde_yaml::Value {
    serde_yaml::Value::String(v.to_owned())
}

pub fn seq<I: IntoIterator<Item = serde_yaml::Value>>(v: I) -> serde_yaml::Value {
    serde_yaml::Value::Sequence(v.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("case-{i:02}")).collect()
    }

    #[test]
    fn shards_balance_skewed_timings() {
        // One long case, a few medium, many short: no shard above 1.5x
        // the mean, every case exactly once, the benchmark in one shard.
        let cases = names(17);
        let mut d = BTreeMap::new();
        for (i, c) in cases.iter().enumerate() {
            let s = match i {
                0 => 30.0,
                1..=4 => 9.0,
                _ => 1.0 + (i % 3) as f64,
            };
            d.insert(c.clone(), s);
        }
        let out = shards(&cases, &d, 12.0, 3);
        assert_eq!(out.len(), 3);
        assert!(balanced(&out), "{out:?}");
        let mean = out.iter().map(|s| s.seconds).sum::<f64>() / 3.0;
        for s in &out {
            assert!(
                s.seconds <= 1.5 * mean,
                "{} {} > 1.5 x {mean}",
                s.name,
                s.seconds
            );
        }
        let mut all: Vec<String> = out.iter().flat_map(|s| s.cases.clone()).collect();
        all.sort();
        assert_eq!(all, cases);
        assert_eq!(out.iter().filter(|s| s.bench).count(), 1);
    }

    #[test]
    fn a_case_longer_than_the_rest_means_fewer_shards() {
        let cases = names(4);
        let d: BTreeMap<String, f64> = cases
            .iter()
            .zip([100.0, 1.0, 1.0, 1.0])
            .map(|(c, s)| (c.clone(), s))
            .collect();
        // Four shards would put 100 s against a mean of 25.75.
        let out = shards(&cases, &d, 0.0, 4);
        assert!(balanced(&out), "{out:?}");
        assert!(out.len() < 4);
    }

    #[test]
    fn unknown_cases_count_as_the_mean() {
        let cases = names(6);
        let d: BTreeMap<String, f64> = [(cases[0].clone(), 4.0), (cases[1].clone(), 2.0)]
            .into_iter()
            .collect();
        let out = shards(&cases, &d, 0.0, 2);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out.iter().map(|s| s.seconds).sum::<f64>(),
            4.0 + 2.0 + 4.0 * 3.0
        );
        assert!(balanced(&out));
    }

    #[test]
    fn timings_of_the_fixture_report() {
        let r = crate::report::json::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/report/run-a/report.json"),
        )
        .unwrap();
        let (d, bench) = timings(&r);
        assert!(!d.is_empty());
        assert!(bench > 0.0, "{bench}");
        let all: Vec<String> = CASE_GROUPS
            .iter()
            .flat_map(|g| g.cases.iter().map(|c| (*c).to_owned()))
            .collect();
        let out = shards(&all, &d, bench, 3);
        assert!(balanced(&out), "{out:?}");
    }

    fn args(series: &[&str]) -> PipelineSpec {
        PipelineSpec {
            format: MatrixFormat::Gitlab,
            series: series.iter().map(|s| (*s).to_owned()).collect(),
            kernel: "6.12".into(),
            timings: None,
            shards: 3,
            output: None,
        }
    }

    #[test]
    fn one_build_per_kernel_tests_per_variant_and_shard() {
        let p = plan(&args(&[]), &default_shards()).unwrap();
        let builds: Vec<&str> = p.builds.iter().map(|b| b.id.as_str()).collect();
        // C and Rust each carry a config fragment: a kernel each.
        assert_eq!(
            builds,
            [
                "build-stock-debian-6_12_118-6_12",
                "build-dax-pmd-6_12-C",
                "build-dax-pmd-6_12-Rust"
            ]
        );
        // stock, C, Rust x eligible, fallback, environment.
        assert_eq!(p.tests.len(), 3 * CASE_GROUPS.len());
        assert_eq!(
            p.builds[1].command,
            "daxkit export dax-pmd --kernel 6.12 --variant C --out kernels"
        );
        assert_eq!(
            p.builds[2].command,
            "daxkit export dax-pmd --kernel 6.12 --variant Rust --out kernels"
        );
        let t = p
            .tests
            .iter()
            .find(|t| t.id == "test-dax-pmd-6_12-Rust-environment")
            .unwrap();
        assert_eq!(
            t.command,
            "daxkit ci dax-pmd --kernel 6.12 --kernels kernels --variant Rust \
             --case xfs-nodax-mount --case xfs-4k-namespace --bench-mib 0 \
             --out results/test-dax-pmd-6_12-Rust-environment"
        );
        // The stock kernel and its variant's.
        assert_eq!(t.needs, [builds[0], builds[2]]);
        let stock = p
            .tests
            .iter()
            .find(|t| t.id.starts_with("test-stock-"))
            .unwrap();
        assert_eq!(stock.needs, [builds[0]]);
        // Each variant's benchmark runs once, in the eligible shard.
        assert_eq!(p.tests.iter().filter(|t| t.bench).count(), 3);
        // The merge joins every test job's folder.
        for t in &p.tests {
            assert!(p.merge.contains(&format!(" {}", t.out)), "{}", t.id);
            assert_ne!(p.builds[0].config_hash, p.builds[1].config_hash);
            assert_ne!(p.builds[1].config_hash, p.builds[2].config_hash);
        }
    }

    #[test]
    fn series_on_one_base_share_the_stock_kernel() {
        let d = tempfile::tempdir().unwrap();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/series/pmd-regression");
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap().path();
            std::fs::copy(&e, d.path().join(e.file_name().unwrap())).unwrap();
        }
        let y = d.path().join("series.yaml");
        let text = std::fs::read_to_string(&y)
            .unwrap()
            .replace("name: pmd-regression", "name: other one")
            .replace("base:\n", "base:\n  rev: debian-6.12.118\n");
        std::fs::write(&y, text).unwrap();
        let spec = d.path().display().to_string();
        let p = plan(&args(&["dax-pmd", &spec]), &default_shards()).unwrap();
        let ids: Vec<&str> = p.builds.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "build-stock-debian-6_12_118-6_12",
                "build-dax-pmd-6_12-C",
                "build-dax-pmd-6_12-Rust",
                "build-other_one-6_12"
            ]
        );
        // stock once, dax-pmd's two variants, the other series' one.
        assert_eq!(p.tests.len(), 4 * CASE_GROUPS.len());
        let other: Vec<&TestJob> = p
            .tests
            .iter()
            .filter(|t| t.id.starts_with("test-other_one"))
            .collect();
        assert_eq!(other.len(), CASE_GROUPS.len());
        assert_eq!(
            other[0].needs,
            ["build-stock-debian-6_12_118-6_12", "build-other_one-6_12"]
        );
        assert!(
            other[0].command.starts_with(&format!("daxkit ci {spec} ")),
            "{}",
            other[0].command
        );
        let e = plan(&args(&["dax-pmd", "dax-pmd"]), &default_shards()).unwrap_err();
        assert!(format!("{e:#}").contains("series dax-pmd given twice"));
    }

    #[test]
    fn ids_are_github_job_ids() {
        assert_eq!(id_part("6.12"), "6_12");
        assert_eq!(id_part("my series"), "my_series");
        assert_eq!(id_part("dax-pmd"), "dax-pmd");
    }
}
