//! End to end, issue 14: `daxkit review` on a thread of the shipped series
//! (made at test time, with a Reviewed-by reply and the base-commit of the
//! installed Debian import): b4, check-series patch by patch, reproduce
//! (stock vs every variant), and the review folder with a reply that
//! carries Tested-by exactly when every check passed.

mod common;
#[path = "support/thread.rs"]
mod thread;

use common::{daxkit, daxkit_env, text, tree_lock};
use serde_json::Value;
use std::process::Command;

#[test]
#[ignore = "e2e: builds each patch, the stock and the series kernel, and boots every variant"]
fn review_of_the_shipped_series_from_its_thread() {
    let _g = tree_lock();
    // The base the thread names: the installed import (its sublevel moves).
    let o = daxkit(&["kernel", "fetch"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let repo = String::from_utf8_lossy(&o.stdout)
        .rsplit_once("repo ")
        .map(|(_, r)| r.trim().trim_end_matches(')').to_owned())
        .unwrap();
    let tag = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let base = String::from_utf8_lossy(
        &Command::new("git")
            .args([
                "--git-dir",
                &repo,
                "rev-parse",
                &format!("{tag}^{{commit}}"),
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_owned();
    assert_eq!(base.len(), 40, "{repo} {tag}");

    let t = tempfile::tempdir().unwrap();
    let mbox = t.path().join("thread.mbox");
    std::fs::write(
        &mbox,
        thread::mbox(&thread::thread("e2e", 2, &thread::Base::Set(base.clone()))),
    )
    .unwrap();
    let cfg = t.path().join("gitconfig");
    std::fs::write(
        &cfg,
        "[user]\n\tname = Tess Ter\n\temail = tess@example.org\n",
    )
    .unwrap();
    let out = t.path().join("review");
    let o = daxkit_env(
        &[
            "review",
            mbox.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--bench-mib",
            "0",
            // The kernel-standard checks have their own e2e (check-series);
            // here they would double this test's time in CI.
            "--checks",
            "none",
        ],
        &[("GIT_CONFIG_GLOBAL", cfg.to_str().unwrap())],
    );
    let all = text(&o);
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("review.json"))
            .unwrap_or_else(|e| panic!("no review.json ({e}):\n{all}")),
    )
    .unwrap();
    let n = thread::shipped().1.len();
    assert_eq!(r["base"], base.as_str(), "{all}");
    assert_eq!(r["base_how"], "the thread's base-commit");
    assert_eq!(r["thread"]["revision"], 2);
    assert_eq!(r["thread"]["patches"].as_array().unwrap().len(), n);
    assert_eq!(
        o.status.code(),
        r["exit_code"].as_i64().map(|c| c as i32),
        "{all}"
    );
    // check-series ran each patch; reproduce wrote its report here.
    let rows = r["check_series"]
        .as_array()
        .unwrap_or_else(|| panic!("{all}"));
    assert_eq!(rows.len(), n, "{all}");
    assert!(rows.iter().all(|row| row["build_ok"] == true), "{all}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let variants = report["variants"].as_array().unwrap();
    assert!(variants.len() >= 2, "stock and the series' variants");
    for f in [
        "report.md",
        "check-series.txt",
        "kcidb.json",
        "reply.eml",
        "series/series.yaml",
    ] {
        assert!(out.join(f).is_file(), "{f} missing:\n{all}");
    }
    for i in 1..=n {
        assert!(out.join(format!("checks/{i:04}.json")).is_file());
    }
    // The shipped series passes: the reply carries Tested-by.
    assert_eq!(o.status.code(), Some(0), "{all}");
    let reply = std::fs::read_to_string(out.join("reply.eml")).unwrap();
    assert!(
        reply.contains(&format!("In-Reply-To: <{}>", thread::top_id("e2e", 2))),
        "{reply}"
    );
    assert!(
        reply
            .trim_end()
            .ends_with("Tested-by: Tess Ter <tess@example.org>"),
        "{reply}"
    );
    let body = reply.split_once("\n\n").unwrap().1;
    assert!(body.lines().all(|l| l.chars().count() <= 72), "{body}");
    // The command is wrapped at 72 columns with shell line continuations.
    let command = regex::Regex::new(r" \\\n\s+")
        .unwrap()
        .replace_all(body, " ");
    assert!(command.contains(&format!("--base {base}")), "{body}");
}
