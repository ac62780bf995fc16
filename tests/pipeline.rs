//! The emitted CI files, checked by the engines' own rules: actionlint on
//! the GitHub workflow, check-jsonschema with its vendored
//! `github-workflows` and `gitlab-ci` schemas on both. Fast: no kernel.
//! The tools are installed the way daxkit installs things
//! (`daxkit require-tool`: a venv under the daxkit home; honours
//! DAXKIT_NO_INSTALL).

mod common;

use common::{daxkit_env, home, text};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(name: &str) -> PathBuf {
    let h = home();
    let o = daxkit_env(
        &["require-tool", name],
        &[("DAXKIT_HOME", h.to_str().unwrap())],
    );
    assert!(
        o.status.success(),
        "this test needs `{name}`:\n{}",
        text(&o)
    );
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

/// Writes the pipeline for `args` to `file` and returns its text.
fn pipeline(file: &Path, args: &[&str]) -> String {
    let mut a = vec!["pipeline", "-o", file.to_str().unwrap()];
    a.extend_from_slice(args);
    let o = daxkit_env(&a, &[]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::read_to_string(file).unwrap()
}

fn run_ok(cmd: &mut Command) -> String {
    let o = cmd.output().expect("running the checker");
    let out = format!(
        "{cmd:?}: exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{out}");
    out
}

fn check_schema(schema: &str, file: &Path) -> String {
    run_ok(
        Command::new(tool("check-jsonschema"))
            .args(["--builtin-schema", schema])
            .arg(file),
    )
}

fn fixture_report() -> String {
    common::repo_root()
        .join("tests/fixtures/report/run-a/report.json")
        .display()
        .to_string()
}

#[test]
fn github_workflow_passes_actionlint_and_the_schema() {
    let d = tempfile::tempdir().unwrap();
    let wf = d.path().join(".github/workflows/daxkit.yml");
    let timed = d.path().join(".github/workflows/timed.yml");
    let report = fixture_report();
    for (file, args) in [
        (&wf, vec!["--format", "github"]),
        (
            &timed,
            vec!["--format", "github", "--timings", &report, "dax-pmd"],
        ),
    ] {
        let y = pipeline(file, &args);
        assert!(y.contains("daxkit export dax-pmd"), "{y}");
        run_ok(
            Command::new(tool("actionlint"))
                .arg("-no-color")
                .arg(file)
                .current_dir(d.path()),
        );
        check_schema("vendor.github-workflows", file);
    }
    // A broken workflow fails both: the checks can fail.
    let bad = d.path().join(".github/workflows/bad.yml");
    let y = std::fs::read_to_string(&wf)
        .unwrap()
        .replacen("runs-on:", "runs-onn:", 1);
    std::fs::write(&bad, y).unwrap();
    let o = Command::new(tool("actionlint")).arg(&bad).output().unwrap();
    assert!(
        !o.status.success(),
        "actionlint accepted a job without runs-on"
    );
    let o = Command::new(tool("check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success(), "the schema accepted runs-onn");
}

#[test]
fn gitlab_ci_passes_the_schema() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join(".gitlab-ci.yml");
    let report = fixture_report();
    for args in [
        vec!["--format", "gitlab"],
        vec!["--format", "gitlab", "--timings", &report, "--shards", "2"],
    ] {
        let y = pipeline(&f, &args);
        assert!(
            y.contains("reports:\n      junit: results/merged/report.xml"),
            "{y}"
        );
        check_schema("vendor.gitlab-ci", &f);
    }
    let y = std::fs::read_to_string(&f).unwrap();
    // Two shards per variant from the timings, each job named by its shard.
    assert!(y.contains("test-dax-pmd-6_12-Rust-shard2:"), "{y}");
    assert!(!y.contains("shard3"), "{y}");
    let bad = d.path().join("bad.yml");
    std::fs::write(&bad, y.replacen("when: always", "when: sometimes", 1)).unwrap();
    let o = Command::new(tool("check-jsonschema"))
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success(), "the schema accepted `when: sometimes`");
}

/// The parts a runner relies on: each build job's artifact is what each
/// test job reads; the report job needs every test job.
#[test]
fn gitlab_jobs_pass_artifacts_in_order() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join(".gitlab-ci.yml");
    let y: serde_yaml::Value =
        serde_yaml::from_str(&pipeline(&f, &["--format", "gitlab"])).unwrap();
    let jobs = y.as_mapping().unwrap();
    let stage = |j: &serde_yaml::Value| j["stage"].as_str().map(str::to_owned);
    let builds: Vec<&serde_yaml::Value> = jobs
        .iter()
        .filter(|(_, j)| stage(j).as_deref() == Some("build"))
        .map(|(k, _)| k)
        .collect();
    // stock, and one kernel per distinct variant config (C, Rust).
    assert_eq!(builds.len(), 3);
    let tests: Vec<(&serde_yaml::Value, &serde_yaml::Value)> = jobs
        .iter()
        .filter(|(_, j)| stage(j).as_deref() == Some("test"))
        .collect();
    assert_eq!(tests.len(), 9);
    for (name, t) in &tests {
        let needs: Vec<&serde_yaml::Value> = t["needs"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|n| &n["job"])
            .collect();
        let script = t["script"][0].as_str().unwrap();
        // The stock kernel, and the variant's own kernel (C's is not Rust's).
        assert_eq!(needs[0], builds[0], "{name:?}");
        let variant = script
            .split(" --variant ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap();
        if variant == "stock" {
            assert_eq!(needs.len(), 1, "{name:?}");
        } else {
            assert_eq!(needs.len(), 2, "{name:?}");
            let own = needs[1].as_str().unwrap();
            assert!(own.ends_with(&format!("-{variant}")), "{name:?}: {own}");
        }
        assert!(script.contains(" --kernels kernels "), "{script}");
        assert!(!script.contains("export"), "{script}");
    }
    let report = &y["daxkit-report"];
    assert_eq!(report["when"], "always");
    assert_eq!(report["needs"].as_sequence().unwrap().len(), 9);
}

/// docs/ci holds `daxkit pipeline`'s output for the shipped series, which
/// the README shows: regenerate with `DAXKIT_BLESS=1 cargo test --test
/// pipeline shipped_examples_are_current`.
#[test]
fn shipped_examples_are_current() {
    let d = tempfile::tempdir().unwrap();
    for (format, file) in [
        ("gitlab", "gitlab-ci.yml"),
        ("github", "github-workflow.yml"),
    ] {
        let got = pipeline(&d.path().join(file), &["--format", format]);
        let path = common::repo_root().join("docs/ci").join(file);
        if std::env::var_os("DAXKIT_BLESS").is_some() {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let shipped = std::fs::read_to_string(&path).unwrap();
        assert!(
            got == shipped,
            "docs/ci/{file} is stale: rerun with DAXKIT_BLESS=1 \
             (or `daxkit pipeline --format {format} -o docs/ci/{file}`)"
        );
    }
}
