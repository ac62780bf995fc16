//! End to end, issues "series" and "workflows": the main job on the shipped
//! dax-pmd series — stock 6.12 vs 6.12 + series built with the C and with
//! the Rust PMD fault decisions — through `daxkit ci`, checking the report
//! it writes.

mod common;
use common::{daxkit, text, tree_lock};
use serde_json::Value;

fn signal<'a>(case: &'a Value, name: &str) -> &'a Value {
    case["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| &s["says"])
        .unwrap_or(&Value::Null)
}

#[test]
#[ignore = "e2e: builds two kernels and boots three"]
fn dax_pmd_series_c_and_rust_agree_and_smaps_reports_dax() {
    let _g = tree_lock();
    let out = tempfile::tempdir().unwrap();
    let o = daxkit(&[
        "ci",
        "dax-pmd",
        "--bench-mib",
        "64",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("ci stdout is not JSON ({e}):\n{}", text(&o)));
    assert_eq!(stdout["exit_code"], 0);
    assert!(stdout["summary"]
        .as_str()
        .unwrap()
        .starts_with("daxkit: dax-pmd v2"));

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    let variants = report["variants"].as_array().unwrap();
    let names: Vec<&str> = variants
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stock", "dax-pmd (C)", "dax-pmd (Rust)"]);
    for v in variants {
        assert_eq!(v["outcome"], "completed", "{}: {}", v["name"], v["detail"]);
        assert_eq!(v["exit_code"], 0, "{}: {}", v["name"], v["detail"]);
        assert!(v["cases"].as_array().unwrap().len() >= 15, "{}", v["name"]);
        assert!(
            !v["bench"].as_array().unwrap().is_empty(),
            "{}: no bench",
            v["name"]
        );
    }

    // The C and the Rust decision give the same verdict on every case.
    let verdicts = |v: &Value| -> Vec<(String, String, String)> {
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["fs"].as_str().unwrap().to_owned(),
                    c["name"].as_str().unwrap().to_owned(),
                    c["verdict"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(verdicts(&variants[1]), verdicts(&variants[2]));

    // Stock smaps cannot see DAX; the patched kernel's smaps tells PMD
    // from PTE and agrees with the page-table dump.
    let case = |v: &Value, name: &str| -> Value {
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing in {}", v["name"]))
    };
    let stock_aligned = case(&variants[0], "xfs-aligned-shared-write");
    assert!(signal(&stock_aligned, "smaps").is_null(), "{stock_aligned}");
    for v in &variants[1..] {
        for name in [
            "xfs-aligned-shared-write",
            "ext4-aligned-shared-write",
            "xfs-colour-mismatch",
            "xfs-vma-smaller-than-pmd",
        ] {
            let c = case(v, name);
            let smaps = signal(&c, "smaps");
            assert!(
                !smaps.is_null(),
                "{}: {name}: no smaps signal: {c}",
                v["name"]
            );
            assert_eq!(smaps, signal(&c, "ptdump"), "{}: {name}: {c}", v["name"]);
        }
    }

    // The series' dax_pmd_fallback tracepoint says why each PMD fault fell
    // back, and the C and the Rust decision give the same reasons.
    let reasons = |v: &Value| -> Vec<(String, String)> {
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let ev = c["signals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["name"] == "trace")
                    .map(|s| s["evidence"].as_str().unwrap().to_owned())
                    .unwrap_or_default();
                let r = ev.split_once("reasons: ").map(|(_, r)| r.to_owned());
                (
                    c["name"].as_str().unwrap().to_owned(),
                    r.unwrap_or_default(),
                )
            })
            .collect()
    };
    let c_reasons = reasons(&variants[1]);
    assert_eq!(c_reasons, reasons(&variants[2]));
    let colour = c_reasons
        .iter()
        .find(|(n, _)| n == "xfs-colour-mismatch")
        .unwrap();
    assert!(colour.1.starts_with("colour "), "{colour:?}");
    let cow = c_reasons
        .iter()
        .find(|(n, _)| n == "xfs-private-write")
        .unwrap();
    assert!(cow.1.starts_with("cow "), "{cow:?}");
    assert!(reasons(&variants[0]).iter().all(|(_, r)| r.is_empty()));

    // Each variant is the kernel it names (C and Rust are a Kconfig choice),
    // and its KUnit suite dax_pmd passed at boot.
    for (v, want) in [(&variants[1], "C"), (&variants[2], "Rust")] {
        let console =
            std::fs::read_to_string(format!("{}/console.log", v["run_dir"].as_str().unwrap()))
                .unwrap();
        assert!(
            console.contains(&format!("decisions in {want}")),
            "{}: console lacks the KUnit line naming the implementation",
            v["name"]
        );
        assert!(
            console.lines().any(|l| {
                // `[    0.912345] ok 1 dax_pmd`: the suite's KTAP result line
                let l = l.rsplit_once("] ").map_or(l, |(_, l)| l).trim_end();
                l.starts_with("ok ") && l.ends_with(" dax_pmd")
            }),
            "{}: the KUnit suite dax_pmd did not pass",
            v["name"]
        );
    }

    for f in ["report.md", "report.xml", "report.html", "summary.txt"] {
        assert!(out.path().join(f).is_file(), "{f} not written");
    }
}
