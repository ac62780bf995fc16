//! The shipped series' cover letter quotes one committed `daxkit
//! reproduce` run: the run it names must be committed beside it, and each
//! figure it quotes must be that run's. A number in the cover letter that
//! no artifact backs is a claim, not a measurement.

use regex::Regex;
use serde_json::Value;
use std::path::Path;

const SERIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/patches/dax-pmd");

fn cover() -> String {
    std::fs::read_to_string(Path::new(SERIES).join("0000-cover-letter.patch")).unwrap()
}

/// The run the cover letter names (`results/reproduce-<stamp>.json`).
fn run(cover: &str) -> Value {
    let re = Regex::new(r"results/(reproduce-\d{8}T\d{6}Z)\.json").unwrap();
    let names: Vec<&str> = re
        .captures_iter(cover)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(names.len(), 1, "the cover letter names one run: {names:?}");
    let path = Path::new(SERIES).join(format!("results/{}.json", names[0]));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is not committed: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn variant<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no variant {name} in the run"))
}

/// The fault benchmark's MiB/s of one variant and mapping (`pmd`/`pte`).
fn mib_s(run: &Value, name: &str, mapping: &str) -> f64 {
    variant(run, name)["bench"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["mapping"] == mapping)
        .unwrap_or_else(|| panic!("no {mapping} benchmark for {name}"))["mib_per_s"]
        .as_f64()
        .unwrap()
}

#[test]
fn the_cover_letters_figures_are_the_committed_runs() {
    let cover = cover();
    let run = run(&cover);
    assert_eq!(run["exit_code"], 0, "the quoted run passed");
    // `    stock        184.7       70.9    2.61x`
    let row = Regex::new(r"(?m)^\s+(stock|C|Rust)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x$").unwrap();
    let rows: Vec<_> = row.captures_iter(&cover).collect();
    assert_eq!(rows.len(), 3, "one benchmark row per kernel");
    for c in rows {
        let variant = match &c[1] {
            "stock" => "stock",
            "C" => "dax-pmd (C)",
            _ => "dax-pmd (Rust)",
        };
        let (pmd, pte) = (mib_s(&run, variant, "pmd"), mib_s(&run, variant, "pte"));
        assert_eq!(format!("{pmd:.1}"), c[2].to_string(), "{variant} PMD MiB/s");
        assert_eq!(format!("{pte:.1}"), c[3].to_string(), "{variant} PTE MiB/s");
        assert_eq!(
            format!("{:.2}", pmd / pte),
            c[4].to_string(),
            "{variant} PMD/PTE"
        );
    }
}

#[test]
fn the_cover_letters_case_counts_are_the_committed_runs() {
    let cover = cover();
    let run = run(&cover);
    assert!(cover.contains("each map all 17 cases"));
    assert!(cover.contains("passes 4/4 at boot on the C and on the Rust"));
    for name in ["stock", "dax-pmd (C)", "dax-pmd (Rust)"] {
        let v = variant(&run, name);
        let cases = v["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 17, "{name}");
        for c in cases {
            assert_eq!(c["verdict"], c["expected"], "{name}: {}", c["name"]);
        }
        let kunit_ok: usize = v["ktap"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["name"] == "dax_pmd")
            .flat_map(|s| s["tests"].as_array().unwrap())
            .filter(|t| t["result"] == "ok")
            .count();
        assert_eq!(kunit_ok, if name == "stock" { 0 } else { 4 }, "{name}");
    }
}
