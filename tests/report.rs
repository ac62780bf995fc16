//! Integration tests of `daxkit report merge` and `daxkit matrix` through
//! the real binary, and of the HTML report in real headless Chromium
//! (Debian's `chromium` package; the test fails, never skips, without it).
//!
//! Input: `tests/fixtures/report/run-a/report.json`, the unit tests'
//! three-variant fixture (stock, C with a mismatch and a disagreement,
//! Rust that panicked), split the way a CI matrix splits a run.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn fixture() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/run-a/report.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn daxkit(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(args)
        .env("DAXKIT_HOME", home)
        .output()
        .expect("running daxkit")
}

/// `daxkit report merge OUT IN...`.
fn merge(home: &Path, out: &Path, inputs: &[&Path]) -> Output {
    let mut args = vec!["report", "merge", out.to_str().unwrap()];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    daxkit(home, &args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The fixture with only the cases `keep` accepts, in every variant.
fn only_cases(keep: &dyn Fn(&str) -> bool) -> Value {
    let mut r = fixture();
    for v in r["variants"].as_array_mut().unwrap() {
        let cases: Vec<Value> = v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| keep(c["name"].as_str().unwrap()))
            .cloned()
            .collect();
        v["cases"] = Value::Array(cases);
        // The guest of a split job plans only its own cases.
        if let Some(plan) = v["plan"]["cases"].as_array() {
            let planned: Vec<Value> = plan
                .iter()
                .filter(|c| keep(c["name"].as_str().unwrap()))
                .cloned()
                .collect();
            v["plan"]["cases"] = Value::Array(planned);
        }
    }
    r
}

fn write_report(dir: &Path, r: &Value) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(r).unwrap(),
    )
    .unwrap();
}

fn matrix(home: &Path, args: &[&str]) -> Value {
    let mut a = vec!["matrix", "--format", "github"];
    a.extend_from_slice(args);
    let o = daxkit(home, &a);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn merge_joins_case_groups_and_writes_five_files() {
    let t = tempfile::tempdir().unwrap();
    let xfs = t.path().join("job-xfs");
    let ext4 = t.path().join("job-ext4");
    write_report(&xfs, &only_cases(&|n| n.starts_with("xfs-")));
    let mut e = only_cases(&|n| n.starts_with("ext4-"));
    for v in e["variants"].as_array_mut().unwrap() {
        v["bench"] = Value::Array(vec![]);
    }
    write_report(&ext4, &e);
    let out = t.path().join("merged");
    let o = merge(t.path(), &out, &[&xfs, &ext4]);
    // The fixture has a bad variant: merge exits like the runs did.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let files = [
        "report.json",
        "report.md",
        "report.xml",
        "report.html",
        "summary.txt",
    ];
    for f in files {
        assert!(out.join(f).is_file(), "{f} missing");
        assert!(stdout(&o).contains(&out.join(f).display().to_string()));
    }
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let names: Vec<&str> = merged["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stock", "dax-pmd (C)", "dax-pmd (Rust)"]);
    let orig = fixture();
    assert_eq!(
        merged["variants"][0]["cases"].as_array().unwrap().len(),
        orig["variants"][0]["cases"].as_array().unwrap().len()
    );
    assert_eq!(merged["variants"][0]["bench"], orig["variants"][0]["bench"]);
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert_eq!(
        summary.trim_end(),
        "daxkit: dax-pmd v1 on 6.12.117: BAD (exit 1): stock 15/15; \
         +series (C) [c.config: CONFIG_FS_DAX_PMD_RUST=n] 15/18 (bad), \
         (Rust) [rust.config: CONFIG_FS_DAX_PMD_RUST=y CONFIG_KUNIT=y] 11/18 (bad: panic); \
         smaps now agrees with ptdump/pagemap on 14/15 (C), 10/10 (Rust); \
         PMD/PTE fault throughput 2.4x (TCG; 2016 series: 2.58x)"
    );
    assert!(stdout(&o).trim_end().ends_with(summary.trim_end()));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| [ext4/hole-read](#ext4-hole-read) | PMD ✓ | PMD ✓ | — missing |"));
    let xml = std::fs::read_to_string(out.join("report.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    assert_eq!(
        doc.root_element()
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .count(),
        3
    );
}

#[test]
fn merge_labels_clashing_variants_by_folder() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("kernel-6.12");
    let b = t.path().join("kernel-6.1");
    write_report(&a, &fixture());
    let mut r = fixture();
    r["base"]["kernel_version"] = "6.1.119".into();
    for v in r["variants"].as_array_mut().unwrap() {
        v["commit"] = "6161616161616161616161616161616161616161".into();
    }
    write_report(&b, &r);
    let out = t.path().join("merged");
    let o = merge(t.path(), &out, &[&a, &b.join("report.json")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let names: Vec<&str> = merged["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 6);
    assert_eq!(names[0], "stock [kernel-6.12]");
    assert_eq!(names[3], "stock [kernel-6.1]");
}

#[test]
fn merge_refuses_another_format_naming_the_file() {
    let t = tempfile::tempdir().unwrap();
    let good = t.path().join("good");
    let old = t.path().join("old");
    write_report(&good, &fixture());
    let mut r = fixture();
    r["format"] = 0.into();
    write_report(&old, &r);
    let out = t.path().join("merged");
    let o = merge(t.path(), &out, &[&good, &old]);
    assert_eq!(o.status.code(), Some(128));
    let err = stderr(&o);
    let file = old.join("report.json").display().to_string();
    assert!(
        err.contains(&format!(
            "{file}: report format 0, but this daxkit reads formats 2 and 3"
        )),
        "{err}"
    );
    assert!(!out.exists(), "nothing written on error");
}

/// A format-2 report (before variant configs and KUnit results) merges
/// with a current one; the merged report is the current format.
#[test]
fn merge_reads_the_previous_format() {
    let t = tempfile::tempdir().unwrap();
    let new = t.path().join("job-xfs");
    let old = t.path().join("job-ext4");
    write_report(&new, &only_cases(&|n| n.starts_with("xfs-")));
    let mut r = only_cases(&|n| n.starts_with("ext4-"));
    r["format"] = 2.into();
    for v in r["variants"].as_array_mut().unwrap() {
        let o = v.as_object_mut().unwrap();
        o.remove("config");
        o.remove("ktap");
        o.insert("bench".into(), Value::Array(vec![]));
    }
    write_report(&old, &r);
    let out = t.path().join("merged");
    let o = merge(t.path(), &out, &[&new, &old]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(merged["format"], 3);
    // An old variant has no config, so it does not join the new one of
    // the same name (another kernel, as far as the report can tell).
    let names: Vec<&str> = merged["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names[0], "stock");
}

#[test]
fn merge_names_a_missing_report() {
    let t = tempfile::tempdir().unwrap();
    let empty = t.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = merge(t.path(), &t.path().join("m"), &[&empty]);
    assert_eq!(o.status.code(), Some(128));
    assert!(
        stderr(&o).contains(&format!(
            "reading report {}",
            empty.join("report.json").display()
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn matrix_github_runs_end_to_end_through_its_merge_command() {
    let t = tempfile::tempdir().unwrap();
    let m = matrix(
        t.path(),
        &["--series", "dax-pmd", "--kernel", "6.12", "--kernel", "6.1"],
    );
    let jobs = m["include"].as_array().unwrap();
    assert_eq!(jobs.len(), 2 * 3, "1 series x 2 kernels x 3 case groups");
    for j in jobs {
        let cmd = j["command"].as_str().unwrap();
        assert!(
            cmd.starts_with(&format!(
                "daxkit ci dax-pmd --kernel {} --case ",
                j["kernel"].as_str().unwrap()
            )),
            "{cmd}"
        );
        assert!(cmd.ends_with(&format!("--out {}", j["out"].as_str().unwrap())));
        for c in j["cases"].as_str().unwrap().split(' ') {
            assert!(cmd.contains(&format!("--case {c} ")), "{cmd}");
        }
        assert_eq!(j["merge"], jobs[0]["merge"]);
    }
    // Play the runners: each job's folder gets the fixture cut to its cases
    // and kernel, then run the merge command exactly as the matrix says.
    for j in jobs {
        let cases: Vec<String> = j["cases"]
            .as_str()
            .unwrap()
            .split(' ')
            .map(str::to_owned)
            .collect();
        let mut r = only_cases(&|n| cases.iter().any(|c| c == n));
        if j["kernel"] == "6.1" {
            for v in r["variants"].as_array_mut().unwrap() {
                v["commit"] = "6161616161616161616161616161616161616161".into();
            }
        }
        write_report(&t.path().join(j["out"].as_str().unwrap()), &r);
    }
    let merge: Vec<&str> = jobs[0]["merge"].as_str().unwrap().split(' ').collect();
    assert_eq!(&merge[..3], ["daxkit", "report", "merge"]);
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(&merge[1..])
        .current_dir(t.path())
        .env("DAXKIT_HOME", t.path().join("home"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let merged: Value = serde_json::from_str(
        &std::fs::read_to_string(t.path().join("results/merged/report.json")).unwrap(),
    )
    .unwrap();
    let variants = merged["variants"].as_array().unwrap();
    // Per kernel, the three groups join back into one column per variant.
    let names: Vec<&str> = variants
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert_eq!(
        names,
        [
            "stock [dax-pmd-6.12]",
            "dax-pmd (C) [dax-pmd-6.12]",
            "dax-pmd (Rust) [dax-pmd-6.12]",
            "stock [dax-pmd-6.1]",
            "dax-pmd (C) [dax-pmd-6.1]",
            "dax-pmd (Rust) [dax-pmd-6.1]"
        ]
    );
    let stock_cases = variants[0]["cases"].as_array().unwrap().len();
    assert_eq!(
        stock_cases,
        fixture()["variants"][0]["cases"].as_array().unwrap().len()
    );
}

#[test]
fn matrix_gitlab_is_a_parallel_matrix_job_and_a_merge_job() {
    let t = tempfile::tempdir().unwrap();
    let o = daxkit(
        t.path(),
        &["matrix", "--format", "gitlab", "--kernel", "6.12"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let y: serde_yaml::Value = serde_yaml::from_str(&stdout(&o)).unwrap();
    let ids = y["daxkit"]["parallel"]["matrix"][0]["DAXKIT_JOB"]
        .as_sequence()
        .unwrap();
    assert_eq!(ids.len(), 3);
    let rules = y["daxkit"]["rules"].as_sequence().unwrap();
    assert_eq!(rules.len(), 3);
    let cmd = rules[0]["variables"]["DAXKIT_COMMAND"].as_str().unwrap();
    assert!(cmd.starts_with("daxkit ci dax-pmd --kernel 6.12 --case xfs-aligned-shared-write"));
    assert_eq!(
        y["daxkit"]["script"][0].as_str(),
        Some("eval \"$DAXKIT_COMMAND\"")
    );
    assert!(y["daxkit-merge"]["script"][0]
        .as_str()
        .unwrap()
        .starts_with("daxkit report merge results/merged results/dax-pmd-6.12-eligible "));
}

#[test]
fn matrix_rejects_an_unknown_format() {
    let t = tempfile::tempdir().unwrap();
    let o = daxkit(t.path(), &["matrix", "--format", "jenkins"]);
    assert_eq!(
        o.status.code(),
        Some(128),
        "usage errors exit 128, not clap's 2 (bisect would read bad)"
    );
    assert!(stderr(&o).contains("jenkins"));
}

/// Case names the harness defines (`name: "…"` in harness/src/cases/),
/// read from its source since the host does not build the guest feature.
fn harness_case_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("harness/src/cases");
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for line in text.lines() {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix("name: \"") {
                if let Some(end) = rest.find('"') {
                    names.push(rest[..end].to_owned());
                }
            }
        }
    }
    names.sort();
    names
}

#[test]
fn case_groups_cover_every_harness_case_once() {
    let t = tempfile::tempdir().unwrap();
    let m = matrix(t.path(), &[]);
    let mut grouped: Vec<String> = m["include"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|j| {
            j["cases"]
                .as_str()
                .unwrap()
                .split(' ')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    grouped.sort();
    let harness = harness_case_names();
    assert!(harness.len() >= 15, "{harness:?}");
    assert_eq!(
        grouped, harness,
        "src/report/matrix.rs CASE_GROUPS is out of date with harness/src/cases/"
    );
}

// ---- the HTML page in real headless Chromium ----

/// Debian's chromium (installed through daxkit when allowed, else the
/// test fails naming the package); Ubuntu's chromium-browser if present.
fn chromium() -> PathBuf {
    let ubuntu = Path::new("/usr/bin/chromium-browser");
    if ubuntu.exists() {
        return ubuntu.to_owned();
    }
    common::require_tool("chromium")
}

fn headless(profile: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Measures what the page shows, from inside the browser; appended to a
/// copy of the page (the page itself has no script, and its CSP forbids
/// one, so the copy relaxes the CSP for this script only).
const MEASURE: &str = r#"<script>
const box = e => { const b = e.getBoundingClientRect(); return { w: b.width, h: b.height }; };
const all = s => [...document.querySelectorAll(s)];
const out = {
  summary: document.querySelector('#summary').innerText,
  summaryBox: box(document.querySelector('#summary')),
  rows: all('#results tr[data-case]').map(t => ({
    case: t.dataset.case, h: box(t).h, cells: [...t.querySelectorAll('td')].map(td => td.innerText) })),
  bars: all('#bench-chart rect.bar').map(b => ({ cls: b.getAttribute('class'), variant: b.dataset.variant,
    mibs: parseFloat(b.dataset.mibS), h: box(b).h, w: box(b).w, fill: getComputedStyle(b).fill })),
  ratios: all('#bench-chart text.ratio').map(t => t.textContent),
  chart: box(document.querySelector('#bench-chart')),
  legend: document.querySelector('#bench-legend').innerText,
};
const pre = document.createElement('pre');
pre.id = 'measure';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"#;

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let browser = chromium();
    let t = tempfile::tempdir().unwrap();
    let run = t.path().join("run-a");
    write_report(&run, &fixture());
    let out = t.path().join("merged");
    let o = merge(t.path(), &out, &[&run]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let csp = "default-src 'none'; style-src 'unsafe-inline'";
    assert!(html.contains(csp));
    let probe = t.path().join("probe.html");
    std::fs::write(
        &probe,
        html.replace(
            csp,
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        )
        .replace("</body>", &format!("{MEASURE}</body>")),
    )
    .unwrap();

    let started = Instant::now();
    let dom = headless(&t.path().join("profile-dom"))
        .arg("--window-size=1280,900")
        .arg("--dump-dom")
        .arg(format!("file://{}", probe.display()))
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", browser.display()));
    let dom_text = stdout(&dom);
    let start = dom_text.find("<pre id=\"measure\">").unwrap_or_else(|| {
        panic!(
            "no measurement in the DOM; chromium said:\n{}",
            stderr(&dom)
        )
    }) + "<pre id=\"measure\">".len();
    let end = start + dom_text[start..].find("</pre>").unwrap();
    let m: Value = serde_json::from_str(&unescape(&dom_text[start..end])).unwrap();

    // The summary shows, on its own line box, with the derived numbers.
    let summary = m["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("daxkit: dax-pmd v1 on 6.12.117: BAD (exit 1): stock 15/15;"),
        "{summary}"
    );
    assert!(
        summary.contains("2.4x (TCG; 2016 series: 2.58x)"),
        "{summary}"
    );
    assert!(m["summaryBox"]["h"].as_f64().unwrap() > 10.0);
    // One visible row per case (15, and the patched kernels' 3 KUnit
    // tests), one cell per variant.
    let rows = m["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 18);
    for r in rows {
        assert!(r["h"].as_f64().unwrap() > 10.0, "{r}");
        assert_eq!(r["cells"].as_array().unwrap().len(), 3, "{r}");
    }
    let prefaulted = rows
        .iter()
        .find(|r| r["case"] == "xfs/pte-prefaulted")
        .unwrap();
    assert_eq!(
        prefaulted["cells"],
        serde_json::json!(["PTE ✓", "PMD ✗ (expected PTE)", "error ✗"])
    );
    // The chart: a PMD and a PTE bar per benchmarked variant, drawn with
    // heights in proportion to the throughput, and the ratios.
    let bars = m["bars"].as_array().unwrap();
    assert_eq!(bars.len(), 4, "{bars:?}");
    for b in bars {
        assert!(
            b["h"].as_f64().unwrap() > 5.0 && b["w"].as_f64().unwrap() > 5.0,
            "{b}"
        );
    }
    let stock: Vec<&Value> = bars.iter().filter(|b| b["variant"] == "stock").collect();
    let (pmd, pte) = (stock[0], stock[1]);
    assert_eq!(pmd["cls"], "bar pmd");
    assert_ne!(pmd["fill"], pte["fill"], "PMD and PTE bars look alike");
    let drawn = pmd["h"].as_f64().unwrap() / pte["h"].as_f64().unwrap();
    let data = pmd["mibs"].as_f64().unwrap() / pte["mibs"].as_f64().unwrap();
    assert!((drawn - data).abs() < 0.02, "drawn {drawn} vs data {data}");
    assert_eq!(m["ratios"], serde_json::json!(["2.40x", "2.43x"]));
    assert!(m["chart"]["w"].as_f64().unwrap() > 300.0);
    let legend = m["legend"].as_str().unwrap();
    assert!(legend.contains("PMD: 2 MiB entries"), "{legend}");
    assert!(
        legend.contains(
            "1406.7 vs 544.5 MiB/s (fio printed 1406.7MB/s and 557610KB/s, base 1024) = 2.58x"
        ),
        "{legend}"
    );

    // And a picture of the unmodified page, for people to look at.
    let shot = std::env::var_os("DAXKIT_REPORT_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| t.path().join("report.png"));
    let o = headless(&t.path().join("profile-shot"))
        .arg("--window-size=1280,2000")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot ({e}); chromium said:\n{}", stderr(&o)));
    assert_eq!(&png[1..4], b"PNG");
    let (w, h) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1280, 2000));
    eprintln!(
        "chromium: measured and screenshot in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// `report bench` on a folder that is not there is a typo (128), which
/// `benches/fault.sh` must not read as an unverified run (1).
#[test]
fn report_bench_on_a_missing_folder_is_an_input_error() {
    let t = tempfile::tempdir().unwrap();
    let o = daxkit(t.path(), &["report", "bench", "/nonexistent/daxkit-run"]);
    assert_eq!(o.status.code(), Some(128), "{}", stderr(&o));
    assert!(stderr(&o).contains("/nonexistent/daxkit-run is not a run folder"));
}

/// A format-3 report from before the reproducer record (no
/// `reproducer`) merges with a current one; the merged report of several
/// runs keeps no record (one job's would rerun only that job), and every
/// file of a single run's report shows the record.
#[test]
fn merge_reads_reports_without_a_reproducer_record() {
    let t = tempfile::tempdir().unwrap();
    let new = t.path().join("job-xfs");
    let old = t.path().join("job-ext4");
    let r = only_cases(&|n| n.starts_with("xfs-"));
    assert!(r["reproducer"].is_object(), "the fixture has a record");
    write_report(&new, &r);
    let mut r = only_cases(&|n| n.starts_with("ext4-"));
    r.as_object_mut().unwrap().remove("reproducer");
    write_report(&old, &r);
    let out = t.path().join("merged");
    let o = merge(t.path(), &out, &[&new, &old]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(merged["format"], 3);
    assert!(merged.get("reproducer").is_none(), "{merged}");

    // One run's report, rendered again: the record in every format.
    let one = t.path().join("one");
    let o = merge(t.path(), &one, &[&new]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let read = |f: &str| std::fs::read_to_string(one.join(f)).unwrap();
    let json: Value = serde_json::from_str(&read("report.json")).unwrap();
    assert_eq!(json["reproducer"], fixture()["reproducer"]);
    let cmd = "daxkit reproduce dax-pmd --case xfs-aligned-shared-write";
    assert!(read("report.md").contains(&format!("| command | `{cmd}` |")));
    assert!(read("report.html").contains(&format!("<code>{cmd}</code>")));
    let xml = read("report.xml");
    assert!(xml.contains(&format!(
        "<property name=\"reproducer.command\" value=\"{cmd}\"/>"
    )));
    assert!(xml.contains("<property name=\"reproducer.gcc\" value=\"12.2.0\"/>"));
}

/// `daxkit rerun` on a report without a record is an input error (128)
/// naming the file; so is a recorded series that is gone, before any
/// build or boot.
#[test]
fn rerun_refuses_what_it_cannot_reproduce() {
    let t = tempfile::tempdir().unwrap();
    let old = t.path().join("old");
    let mut r = fixture();
    r.as_object_mut().unwrap().remove("reproducer");
    write_report(&old, &r);
    let file = old.join("report.json");
    let o = daxkit(t.path(), &["rerun", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(128), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("{}: no reproducer record", file.display())),
        "{}",
        stderr(&o)
    );

    let gone = t.path().join("gone");
    let mut r = fixture();
    r["reproducer"]["cwd"] = t.path().to_str().unwrap().into();
    r["reproducer"]["command"] = serde_json::json!(["reproduce", "./no-such-series"]);
    write_report(&gone, &r);
    let file = gone.join("report.json");
    let o = daxkit(t.path(), &["rerun", gone.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(128), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("rerun of {}", file.display())) && err.contains("no-such-series"),
        "{err}"
    );
    assert!(!t.path().join("runs").exists(), "no run folder: {err}");

    let mut r = fixture();
    r["reproducer"]["cwd"] = "/nonexistent/folder".into();
    write_report(&gone, &r);
    let o = daxkit(t.path(), &["rerun", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(128), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/nonexistent/folder is gone"),
        "{}",
        stderr(&o)
    );
}
