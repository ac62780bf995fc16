//! End to end, issue 14's "a reproducer in every report": a cheap real
//! run of the shipped series (one case on xfs, no benchmark; its kernels
//! are kept, so a warm cache only boots), then `daxkit rerun` on its
//! report.json: the same inputs and the same verdict.

mod common;
use common::{daxkit, text, tree_lock};
use serde_json::Value;
use std::path::PathBuf;

/// The cheap real run: one case on xfs, no benchmark. The record must
/// name exactly this command.
const CI: &[&str] = &[
    "ci",
    "dax-pmd",
    "--case",
    "xfs-aligned-shared-write",
    "--fs",
    "xfs",
    "--bench-mib",
    "0",
];

#[test]
#[ignore = "e2e: builds (or reuses) the stock and dax-pmd kernels and boots each variant twice"]
fn rerun_repeats_a_run_with_the_same_inputs_and_verdict() {
    let _g = tree_lock();
    let o = daxkit(CI);
    let code = o.status.code();
    assert!(matches!(code, Some(0 | 1 | 125)), "{}", text(&o));
    let ci: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("ci stdout is not JSON ({e}):\n{}", text(&o)));
    let run_dir = PathBuf::from(ci["run_dir"].as_str().unwrap());
    let report = run_dir.join("report.json");
    let old: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();

    // The record: the command as given, and every input filled in.
    let rec = &old["reproducer"];
    assert_eq!(rec["command"], serde_json::json!(CI), "{rec}");
    assert_eq!(rec["base"], old["base"]["commit"], "{rec}");
    let patches = rec["patches"].as_array().unwrap();
    assert_eq!(
        patches.len(),
        old["series"]["patches"].as_array().unwrap().len()
    );
    assert!(patches
        .iter()
        .all(|p| p["patch_id"].as_str().unwrap().len() == 40));
    let frags = rec["fragments"].as_array().unwrap();
    assert!(
        frags
            .iter()
            .any(|f| f["file"] == "kernel-config/base.config"),
        "{rec}"
    );
    assert!(frags
        .iter()
        .all(|f| f["sha256"].as_str().unwrap().len() == 64));
    for tool in ["gcc", "qemu", "kernel"] {
        assert_ne!(rec["host"][tool], "none", "{tool}: {rec}");
    }
    assert!(
        ["kvm", "tcg"].contains(&rec["accel"].as_str().unwrap()),
        "{rec}"
    );
    let md = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(md.contains("## Reproducer"), "{md}");

    let r = daxkit(&["rerun", report.to_str().unwrap()]);
    assert_eq!(r.status.code(), code, "{}", text(&r));
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("inputs: the same\n"), "{}", text(&r));
    assert!(out.contains("outcomes: the same\n"), "{}", text(&r));
    let new_dir = out
        .lines()
        .find_map(|l| l.strip_prefix("rerun → "))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no new run folder:\n{}", text(&r)));
    assert_ne!(new_dir, run_dir);
    let new: Value =
        serde_json::from_str(&std::fs::read_to_string(new_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(new["reproducer"], old["reproducer"]);
    assert_eq!(new["exit_code"], old["exit_code"]);
}
