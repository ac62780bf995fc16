//! `daxkit doctor` and `daxkit gc` as a user runs them: the real binary on
//! this machine (doctor) and on a fixture cache (gc). A fresh home each, so
//! no kernel cache is touched and doctor never boots a KVM probe.

use std::path::Path;
use std::process::Command;

fn daxkit(home: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(args)
        .env("DAXKIT_HOME", home)
        .envs(env.iter().copied())
        .output()
        .expect("running daxkit");
    (
        o.status.code().expect("exit code"),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const SECTIONS: [&str; 7] = [
    "host",
    "tools (import, build, image)",
    "rust (CONFIG_RUST, guest harness)",
    "kernel tree",
    "qemu",
    "cache",
    "optional tools",
];

#[test]
fn doctor_shows_every_section_and_exits_by_its_verdict() {
    let d = tempfile::tempdir().unwrap();
    let (code, out, err) = daxkit(d.path(), &["doctor"], &[]);
    for s in SECTIONS {
        assert!(out.contains(&format!("\n{s}\n")), "no section {s}:\n{out}");
    }
    for item in [
        "gcc",
        "libelf headers",
        "rustc",
        "musl target",
        "make rustavailable",
        "qemu-system-x86_64",
        "KVM",
        "free space",
        "ccache",
    ] {
        assert!(out.contains(&format!(" {item}")), "no {item}:\n{out}");
    }
    // No tree in a fresh home: said, not imported.
    assert!(out.contains("no 6.12 tree checked out"), "{out}");
    assert!(!d.path().join("repos").exists());
    let last = out.lines().last().unwrap_or_default();
    let blocked = out.lines().any(|l| l.starts_with("  ✗ "));
    if blocked {
        assert_eq!(code, 128, "{out}{err}");
        assert!(
            last.starts_with("not ready: `daxkit reproduce` needs "),
            "{last}"
        );
    } else {
        assert_eq!(code, 0, "{out}{err}");
        assert!(last.starts_with("ready: "), "{last}");
    }

    let (jcode, json, _) = daxkit(d.path(), &["doctor", "--format", "json"], &[]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("doctor's JSON");
    assert_eq!(jcode, code);
    assert_eq!(v["verdict"]["ready"], !blocked);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(
        checks.iter().any(|c| c["status"] == "missing"),
        blocked,
        "{json}"
    );
}

/// Without installs allowed nothing is "installed on first use": each
/// missing requirement blocks, and the exit code says so.
#[test]
fn doctor_without_installs_blocks_on_anything_missing() {
    let d = tempfile::tempdir().unwrap();
    let (code, json, _) = daxkit(
        d.path(),
        &["doctor", "--format", "json"],
        &[("DAXKIT_NO_INSTALL", "1")],
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("doctor's JSON");
    let checks = v["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["status"] != "on-demand"), "{json}");
    assert!(checks
        .iter()
        .any(|c| c["what"] == "installs"
            && c["detail"].as_str().unwrap().contains("DAXKIT_NO_INSTALL")));
    let missing = checks.iter().any(|c| c["status"] == "missing");
    assert_eq!(code, if missing { 128 } else { 0 }, "{json}");
}

#[test]
fn gc_dry_run_lists_what_a_real_run_removes() {
    let d = tempfile::tempdir().unwrap();
    let runs = d.path().join("runs");
    for (name, age_days) in [("a-run", 3), ("b-run", 2), ("c-run", 1)] {
        let dir = runs.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("console.log"), "x").unwrap();
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400 * age_days);
        for p in [dir.join("console.log"), dir.clone()] {
            std::fs::File::open(&p).unwrap().set_modified(t).unwrap();
        }
    }
    let (code, out, err) = daxkit(d.path(), &["gc", "--keep-runs", "1", "--dry-run"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("run      ") && out.contains("runs/a-run"),
        "{out}"
    );
    let would: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("would remove "))
        .collect();
    assert_eq!(would.len(), 2, "{out}");
    assert!(would[0].contains("runs/a-run") || would[1].contains("runs/a-run"));
    assert!(runs.join("a-run").exists() && runs.join("b-run").exists());

    let (code, out, err) = daxkit(d.path(), &["gc", "--keep-runs", "1"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("removed run "))
            .count(),
        2,
        "{out}"
    );
    assert!(!runs.join("a-run").exists() && !runs.join("b-run").exists());
    assert!(runs.join("c-run").exists());

    // Flags that prune nothing by themselves are a usage mistake.
    let (code, _, err) = daxkit(d.path(), &["gc", "--dry-run"], &[]);
    assert_eq!(code, 128, "{err}");
    let (code, _, err) = daxkit(d.path(), &["gc", "--older-than", "14"], &[]);
    assert_eq!(code, 128, "{err}");
}
