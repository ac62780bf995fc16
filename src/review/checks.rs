//! Machine-readable results: per patch, the JSON b4's review checks take
//! (`tool`, `status` pass/warn/fail, `summary`, `url`, `details`; b4's
//! `review/checks.py` reads a list of them from an external check), and
//! the review as KCIDB I/O data (schema v5.3: checkouts, builds, tests)
//! for `kci-dev submit`.

use super::Review;
use crate::exit;
use crate::report::view;
use daxkit_harness::judge::{CaseStatus, Class};
use serde::Serialize;
use serde_json::{json, Value};

/// One result in b4's review-check format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub tool: String,
    pub status: &'static str,
    pub summary: String,
    pub url: String,
    pub details: String,
}

fn check(tool: &str, status: &'static str, summary: String, details: String) -> Check {
    Check {
        tool: tool.to_owned(),
        status,
        summary,
        url: String::new(),
        details,
    }
}

/// Per patch (in order), its checks.
pub fn review_checks(r: &Review) -> Vec<Vec<Check>> {
    let n = r.thread.patches.len();
    let mut out: Vec<Vec<Check>> = vec![Vec::new(); n];
    if let (Some(i), Some(e)) = (r.apply_failed_patch, &r.apply_failure) {
        if let Some(v) = out.get_mut(i.saturating_sub(1)) {
            v.push(check(
                "daxkit-apply",
                "fail",
                format!("does not apply to {}", crate::tree::short(&r.base)),
                e.clone(),
            ));
        }
    }
    for row in r.check_series.iter().flatten() {
        let Some(v) = out.get_mut(row.index.saturating_sub(1)) else {
            continue;
        };
        let (e, w, c) = row.checkpatch;
        v.push(check(
            "daxkit-checkpatch",
            if !row.checkpatch_ok {
                "fail"
            } else if c > 0 {
                "warn"
            } else {
                "pass"
            },
            format!("checkpatch.pl --strict: {e} errors, {w} warnings, {c} checks"),
            String::new(),
        ));
        v.push(check(
            "daxkit-build",
            match (row.build_ok, row.base_fails_too) {
                (true, _) => "pass",
                (false, true) => "warn",
                (false, false) => "fail",
            },
            if row.build_ok {
                format!("builds on its own ({:.0} s)", row.build_s)
            } else {
                "does not build on its own".to_owned()
            },
            row.note.clone(),
        ));
        if let Some(code) = row.cases {
            v.push(check(
                "daxkit-cases",
                if code == exit::GOOD { "pass" } else { "fail" },
                format!("cases at this patch: exit {code}"),
                row.note.clone(),
            ));
        }
    }
    // The whole series' run belongs to its last patch.
    if let (Some(rep), Some(last)) = (&r.report, out.last_mut()) {
        let good = rep.exit_code() == exit::GOOD;
        last.push(check(
            "daxkit-reproduce",
            if good { "pass" } else { "fail" },
            crate::report::summary_line(rep),
            super::reply::failures(r)
                .into_iter()
                .filter(|(t, _)| !t.starts_with("Patch "))
                .map(|(t, e)| format!("{t}\n{e}"))
                .collect::<Vec<_>>()
                .join("\n\n"),
        ));
    }
    out
}

/// KCIDB origin: lower-case letters, digits and `_`.
const ORIGIN: &str = "daxkit";

fn status_of(class: Class) -> &'static str {
    match class {
        Class::Good => "PASS",
        Class::Bad => "FAIL",
        Class::CannotTest | Class::Interrupted => "ERROR",
    }
}

fn case_status(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Pass => "PASS",
        CaseStatus::Skipped => "SKIP",
        CaseStatus::Missing => "MISS",
        CaseStatus::CannotTell | CaseStatus::SignalFailed => "ERROR",
        _ => "FAIL",
    }
}

/// A KCIDB path component: `[a-zA-Z0-9_-]+`.
fn part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// sha256 over the newline-terminated sha256 of each patch, as KCIDB's
/// `patchset_hash` is defined.
fn patchset_hash(r: &Review) -> String {
    use sha2::{Digest, Sha256};
    let mut all = String::new();
    for p in &r.thread.patches {
        all += &format!("{:x}\n", Sha256::digest(p.body.as_bytes()));
    }
    format!("{:x}", Sha256::digest(all.as_bytes()))
}

/// The review as KCIDB I/O data (v5.3): the base and base+series
/// checkouts, a build per patch (check-series) and per reproduced kernel,
/// a test per checkpatch run and per case on every variant.
pub fn kcidb(r: &Review) -> Value {
    let key = &patchset_hash(r)[..16];
    let base_co = format!("{ORIGIN}:{key}:base");
    let series_co = format!("{ORIGIN}:{key}:series");
    let msgid = &r.thread.top.message_id;
    let mut checkouts = vec![json!({
        "id": base_co, "origin": ORIGIN,
        "git_commit_hash": r.base,
        "patchset_hash": "",
        "valid": true,
        "comment": format!("Linux {} (base of the review)", r.kernel_version),
    })];
    let mut series = json!({
        "id": series_co, "origin": ORIGIN,
        "git_commit_hash": r.base,
        "patchset_hash": patchset_hash(r),
        "valid": r.apply_failure.is_none(),
        "comment": format!("v{} of {}: {}", r.thread.revision, msgid, r.thread.top.subject),
    });
    if !msgid.is_empty() {
        series["message_id"] = json!(msgid);
    }
    checkouts.push(series);
    let mut builds = Vec::new();
    let mut tests = Vec::new();
    for row in r.check_series.iter().flatten() {
        let id = format!("{ORIGIN}:{key}:patch-{}", row.index);
        builds.push(json!({
            "id": id, "origin": ORIGIN, "checkout_id": series_co,
            "architecture": "x86_64", "compiler": "gcc", "config_name": "daxkit",
            "duration": row.build_s,
            "status": if row.build_ok { "PASS" } else if row.base_fails_too { "ERROR" } else { "FAIL" },
            "comment": format!("patch {}: {}", row.index, row.subject),
        }));
        let (e, w, c) = row.checkpatch;
        tests.push(json!({
            "id": format!("{id}:checkpatch"), "origin": ORIGIN, "build_id": id,
            "path": "checkpatch",
            "status": if row.checkpatch_ok { "PASS" } else { "FAIL" },
            "comment": format!("checkpatch.pl --strict: {e} errors, {w} warnings, {c} checks"),
        }));
    }
    if let Some(rep) = &r.report {
        for v in &rep.variants {
            let stock = view::is_stock(rep, v);
            let id = format!("{ORIGIN}:{key}:{}", part(&v.name));
            let j = v.judgement();
            builds.push(json!({
                "id": id, "origin": ORIGIN,
                "checkout_id": if stock { &base_co } else { &series_co },
                "architecture": "x86_64", "compiler": "gcc", "config_name": "daxkit",
                "status": if v.run.outcome == daxkit_harness::judge::Outcome::BuildFailed { "FAIL" } else { "PASS" },
                "comment": format!("{} {}", v.name, v.append.join(" ")).trim().to_owned(),
            }));
            tests.push(json!({
                "id": format!("{id}:run"), "origin": ORIGIN, "build_id": id,
                "path": "daxkit", "status": status_of(j.class),
                "comment": j.why(),
            }));
            for c in &j.cases {
                tests.push(json!({
                    "id": format!("{id}:{}.{}", part(&c.fs), part(&c.name)),
                    "origin": ORIGIN, "build_id": id,
                    "path": format!("daxkit.{}.{}", part(&c.fs), part(&c.name)),
                    "status": case_status(c.status),
                    "comment": format!("{} (expected {}): {}", c.verdict, c.expected, c.why),
                }));
            }
        }
    }
    json!({
        "version": {"major": 5, "minor": 3},
        "checkouts": checkouts,
        "builds": builds,
        "tests": tests,
    })
}
