//! The review folder's contents from a known review: the reply (parsed by
//! Python's `email`), b4's review-check JSON, KCIDB data validated against
//! kcidb-io's schema; and b4's base guess on a real `git format-patch`.

use super::*;
use crate::exec::{test_tool, Cmd};
use crate::report::fixture;

fn msg(id: &str, subject: &str) -> Message {
    Message {
        message_id: id.into(),
        subject: subject.into(),
        from: "Jane Dev <jane@example.org>".into(),
        to: "linux-fsdevel@vger.kernel.org, Tess Ter <tess@example.org>".into(),
        cc: "\"Williams, Dan\" <dan@example.org>, nvdimm@lists.linux.dev, jane@example.org".into(),
        date: "Wed, 02 Dec 2026 10:00:00 +0000".into(),
        in_reply_to: String::new(),
        references: "<v1-cover@example.org>".into(),
        body: "diff --git a/x b/x\n".into(),
    }
}

fn row(i: usize, subject: &str) -> PatchRow {
    PatchRow {
        index: i,
        commit: format!("{i:040}"),
        subject: subject.into(),
        checkpatch: (0, 0, 0),
        checkpatch_ok: true,
        build_ok: true,
        build_s: 61.0,
        cases: None,
        note: String::new(),
        base_fails_too: false,
        checks: Vec::new(),
        checks_s: 0.0,
    }
}

/// A review of a 3-patch v2 whose checks all passed.
fn passing() -> Review {
    let subjects = [
        "fs/proc: account DAX mappings in smaps",
        "dax: report why a PMD fault fell back, with a subject long enough to be cut in the table",
        "rust: dax: the PMD fallback decision in Rust",
    ];
    let mut report = fixture::report();
    let stock = report.variants[0].clone();
    report.variants = vec![stock.clone(), stock.clone(), stock];
    report.variants[1].name = "dax-pmd (C)".into();
    report.variants[2].name = "dax-pmd (Rust)".into();
    let mut r = Review {
        thread: Thread {
            source: "v2.mbox".into(),
            top: msg("v2-cover@example.org", "[PATCH v2 0/3] dax: DAX PMD/PTE in smaps, PMD fallback reasons, a Rust fallback decision"),
            has_cover: true,
            revision: 2,
            patches: subjects
                .iter()
                .enumerate()
                .map(|(i, s)| msg(&format!("v2-{}@example.org", i + 1), &format!("[PATCH v2 {}/3] {s}", i + 1)))
                .collect(),
            prerequisites: Vec::new(),
            collected: vec![vec!["Reviewed-by: Rev <rev@example.org>".into()], vec![], vec![]],
        },
        base: "e70c644094d1a9c04a1fd5356eb76f7a50a91777".into(),
        base_how: "the thread's base-commit".into(),
        kernel_version: "6.12.118".into(),
        apply_failure: None,
        apply_failed_patch: None,
        check_series: Some(subjects.iter().enumerate().map(|(i, s)| row(i + 1, s)).collect()),
        check_series_code: Some(exit::GOOD),
        report: Some(report),
        reproducer: "daxkit review v2-cover@example.org --base e70c644094d1a9c04a1fd5356eb76f7a50a91777 --case xfs-aligned-shared-write --fs xfs".into(),
        tester: Some("Tess Ter <tess@example.org>".into()),
        exit_code: 0,
    };
    r.exit_code = r.verdict();
    r
}

/// The same review with a patch that fails checkpatch and the fixture's
/// real failures: a mismatch on C and a panic on Rust.
fn failing() -> Review {
    let mut r = passing();
    r.report = Some(fixture::report());
    let rows = r.check_series.as_mut().unwrap();
    rows[1].checkpatch = (1, 2, 0);
    rows[1].checkpatch_ok = false;
    rows[1].note = "ERROR: trailing whitespace #42: FILE: fs/dax.c:1800".into();
    r.check_series_code = Some(exit::BAD);
    r.exit_code = r.verdict();
    r
}

/// (headers, body, defects) of a message as Python's `email` reads it.
fn parse(eml: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("reply.eml");
    std::fs::write(&f, eml).unwrap();
    let code = r#"
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
h = {k: str(m[k]) for k in ['From','To','Cc','Subject','In-Reply-To','References','Message-ID','Date','Content-Type']}
h['body'] = m.get_content()
h['defects'] = [str(d) for d in m.defects]
h['date_ok'] = m['Date'].datetime is not None
print(json.dumps(h))
"#;
    let out = Cmd::new(test_tool("python3"))
        .args(["-c", code])
        .arg(&f)
        .read()
        .unwrap();
    serde_json::from_str(&out).unwrap()
}

fn assert_wrapped(body: &str) {
    for l in body.lines() {
        assert!(
            l.chars().count() <= reply::WIDTH,
            "longer than 72 columns: {l:?}"
        );
    }
}

#[test]
fn a_passing_review_replies_with_tested_by() {
    let r = passing();
    assert_eq!(r.exit_code, exit::GOOD);
    let m = parse(&reply::render(&r, "20261202T140000Z"));
    assert_eq!(m["defects"], serde_json::json!([]));
    assert_eq!(m["From"], "Tess Ter <tess@example.org>");
    assert_eq!(m["To"], "Jane Dev <jane@example.org>");
    // The thread's To and Cc, without the author (To) or the tester.
    assert_eq!(
        m["Cc"],
        "linux-fsdevel@vger.kernel.org, \"Williams, Dan\" <dan@example.org>, nvdimm@lists.linux.dev"
    );
    assert_eq!(
        m["Subject"],
        "Re: [PATCH v2 0/3] dax: DAX PMD/PTE in smaps, PMD fallback reasons, a Rust fallback decision"
    );
    assert_eq!(m["In-Reply-To"], "<v2-cover@example.org>");
    assert_eq!(
        m["References"],
        "<v1-cover@example.org> <v2-cover@example.org>"
    );
    assert!(m["Message-ID"].as_str().unwrap().ends_with("@example.org>"));
    assert_eq!(m["date_ok"], true);
    assert!(m["Content-Type"]
        .as_str()
        .unwrap()
        .starts_with("text/plain"));
    let body = m["body"].as_str().unwrap();
    assert_wrapped(body);
    assert_eq!(
        body.trim_end().lines().last(),
        Some("Tested-by: Tess Ter <tess@example.org>"),
        "{body}"
    );
    assert!(!body.contains("What failed"), "{body}");
    // The exact reproducer: the report's record after the command.
    assert!(
        body.contains(
            "Patch-ids (git patch-id --stable):\n  1 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a\n"
        ),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "Kconfig fragments (sha256):\n  kernel-config/base.config\n    {}\n",
            "aa".repeat(32)
        )),
        "{body}"
    );
    assert!(
        body.replace('\n', " ").contains("gcc 12.2.0, rustc 1.83.0"),
        "{body}"
    );
    // The per-patch table (a long subject cut to fit) and the case table.
    // No case runs per patch (check-series without --run): no cases column.
    assert!(
        body.contains("  patch  checkpatch  build   subject"),
        "{body}"
    );
    assert!(
        body.contains("  1/3    0/0/0 ok    ok 61s  fs/proc: account DAX mappings in smaps\n"),
        "{body}"
    );
    assert!(
        body.contains("  2/3    0/0/0 ok    ok 61s  dax: report why"),
        "{body}"
    );
    assert!(body.contains("~\n"), "the long subject is cut: {body}");
    let header = body
        .lines()
        .find(|l| l.trim_start().starts_with("case "))
        .unwrap();
    assert!(
        header.contains("stock") && header.contains("C") && header.contains("Rust"),
        "{header}"
    );
    let n_cases = crate::report::view::case_keys(r.report.as_ref().unwrap()).len();
    assert!(n_cases > 0);
    assert_eq!(
        body.lines()
            .filter(|l| l.starts_with("  xfs/") || l.starts_with("  ext4/"))
            .count(),
        n_cases,
        "{body}"
    );
    assert!(
        body.contains("$ daxkit review v2-cover@example.org --base"),
        "{body}"
    );
    assert!(body.contains("Hi Jane Dev,"));
}

#[test]
fn a_failing_review_quotes_the_failures_without_tested_by() {
    let r = failing();
    assert_eq!(r.exit_code, exit::BAD);
    let m = parse(&reply::render(&r, "20261202T140000Z"));
    let body = m["body"].as_str().unwrap();
    assert_wrapped(body);
    assert!(!body.contains("Tested-by"), "{body}");
    assert!(body.contains("What failed, with its evidence:"), "{body}");
    assert!(body.contains("- Patch 2/3 \"dax: report why"), "{body}");
    assert!(body.contains("  > ERROR: trailing whitespace"), "{body}");
    // The C variant's mismatch and the Rust variant's panic, with the judge's words.
    assert!(body.contains("- dax-pmd (C): bad"), "{body}");
    assert!(body.contains("- dax-pmd (Rust):"), "{body}");
    let rep = r.report.as_ref().unwrap();
    for v in rep.variants.iter().filter(|v| !v.good()) {
        let why = v.judgement().why();
        let first = why.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        assert!(
            body.replace("\n  > ", " ").contains(&first),
            "{first}: {body}"
        );
    }
    assert!(
        reply::summary_line(&r).contains("bad"),
        "{}",
        reply::summary_line(&r)
    );
}

#[test]
fn no_identity_no_tested_by_line() {
    let mut r = passing();
    r.tester = None;
    let eml = reply::render(&r, "x");
    assert!(!eml.lines().any(|l| l.starts_with("Tested-by:")), "{eml}");
    assert!(!eml.starts_with("From:"), "{eml}");
    assert!(eml.contains("git config user.name and"), "{eml}");
}

#[test]
fn b4_review_checks_per_patch() {
    for (r, last) in [(passing(), "pass"), (failing(), "fail")] {
        let checks = checks::review_checks(&r);
        assert_eq!(checks.len(), 3);
        for c in checks.iter().flatten() {
            let v = serde_json::to_value(c).unwrap();
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["details", "status", "summary", "tool", "url"]);
            assert!(["pass", "warn", "fail"].contains(&c.status), "{c:?}");
        }
        let rep = checks[2]
            .iter()
            .find(|c| c.tool == "daxkit-reproduce")
            .unwrap();
        assert_eq!(rep.status, last);
    }
    let f = checks::review_checks(&failing());
    let cp = f[1].iter().find(|c| c.tool == "daxkit-checkpatch").unwrap();
    assert_eq!(
        (cp.status, cp.summary.as_str()),
        (
            "fail",
            "checkpatch.pl --strict: 1 errors, 2 warnings, 0 checks"
        )
    );
}

#[test]
fn kcidb_data_is_valid_for_kcidb_io() {
    let home = Home::from_env().unwrap();
    let venv = test_lock(|| b4::require_python_package(&home, "kcidb-io", "kcidb_io"))
        .unwrap_or_else(|e| panic!("this test needs kcidb-io: {e:#}"));
    let dir = tempfile::tempdir().unwrap();
    for (name, r) in [("pass", passing()), ("fail", failing())] {
        let data = checks::kcidb(&r);
        let f = dir.path().join(format!("{name}.json"));
        std::fs::write(&f, serde_json::to_string(&data).unwrap()).unwrap();
        let out = Cmd::new(venv.python())
            .args([
                "-c",
                "import json, sys, kcidb_io\n\
                 d = json.load(open(sys.argv[1]))\n\
                 kcidb_io.schema.LATEST.validate(d)\n\
                 print(kcidb_io.schema.LATEST.major, kcidb_io.schema.LATEST.minor, len(d['checkouts']), len(d['builds']), len(d['tests']))",
            ])
            .arg(&f)
            .read()
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let n: Vec<usize> = out.split_whitespace().map(|x| x.parse().unwrap()).collect();
        assert_eq!(&n[..2], &[5, 3], "the schema version daxkit writes");
        // base and base+series; 3 patch builds + 3 kernels; checkpatch x3 + a run and its cases per variant.
        assert_eq!(n[2], 2);
        assert_eq!(n[3], 6);
        assert!(n[4] > 3 + 3, "{out}");
    }
    // A test that failed is FAIL, one that passed PASS.
    let data = checks::kcidb(&failing());
    let statuses: Vec<&str> = data["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"FAIL") && statuses.contains(&"PASS"),
        "{statuses:?}"
    );
    // Bad data is refused by the same check (the test can fail).
    let mut bad = checks::kcidb(&passing());
    bad["builds"][0]["origin"] = serde_json::json!("Not An Origin");
    let f = dir.path().join("bad.json");
    std::fs::write(&f, bad.to_string()).unwrap();
    assert!(Cmd::new(venv.python())
        .args(["-c", "import json, sys, kcidb_io; kcidb_io.schema.LATEST.validate(json.load(open(sys.argv[1])))"])
        .arg(&f)
        .read()
        .is_err());
}

fn test_lock<T>(f: impl FnOnce() -> T) -> T {
    crate::exec::test_lock(f)
}

#[test]
fn revisions() {
    assert_eq!(revision_of("[PATCH v4 10/12] x"), 4);
    assert_eq!(revision_of("[PATCH 0/3] x v5"), 1);
    assert_eq!(revision_of("[RFC PATCH v2] x"), 2);
    assert_eq!(revision_of("x"), 1);
}

/// b4 guesses the base of a thread without base-commit from the blob
/// ids in its `index` lines, within the tree.
#[test]
fn b4_guesses_the_base_within_the_tree() {
    let home = Home::from_env().unwrap();
    let venv =
        test_lock(|| b4::require_b4(&home)).unwrap_or_else(|e| panic!("this test needs b4: {e:#}"));
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("linux");
    std::fs::create_dir_all(repo.join("fs")).unwrap();
    let git = |args: &[&str]| {
        Cmd::new("git")
            .args(["-c", "user.name=A", "-c", "user.email=a@example.org"])
            .args(args.iter().copied())
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .cwd(&repo)
            .read()
            .unwrap()
    };
    git(&["init", "-q", "-b", "master"]);
    let text: String = (1..=40).map(|i| format!("line {i}\n")).collect();
    std::fs::write(repo.join("fs/dax.c"), &text).unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    git(&["tag", "base"]);
    std::fs::write(
        repo.join("fs/dax.c"),
        text.replace("line 20\n", "line twenty\n"),
    )
    .unwrap();
    git(&[
        "commit",
        "-qam",
        "dax: twenty\n\nSigned-off-by: A <a@example.org>",
    ]);
    let mail = git(&["format-patch", "-1", "--stdout", "--no-base"]);
    git(&["reset", "-q", "--hard", "base"]);
    let mbox = t.path().join("t.mbox");
    // Sent today, as a list would date it.
    let mail = mail.replacen(
        "Date: ",
        &format!(
            "Message-Id: <g@example.org>\nDate: {}\nX-Old-Date: ",
            reply::rfc2822(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64
            )
        ),
        1,
    );
    std::fs::write(&mbox, mail).unwrap();
    let scratch = t.path().join("scratch");
    let view = b4::GitView::new(&scratch, &repo.join(".git")).unwrap();
    let am = b4::am(&venv, &mbox, Some(&view), false, &scratch.join("no-guess")).unwrap();
    let log = std::fs::read_to_string(&am.log).unwrap();
    // No base-commit: nothing chosen, though it applies to HEAD as is.
    assert_eq!(
        am.base,
        BaseFinding {
            applies_to_head: true,
            ..BaseFinding::default()
        },
        "{log}"
    );
    let e = choose_base(None, &am.base, false, "linux", "g@example.org")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("it has no base-commit") && e.contains("--base HEAD"),
        "{e}"
    );
    let am = b4::am(&venv, &mbox, Some(&view), true, &scratch.join("guess")).unwrap();
    let log = std::fs::read_to_string(&am.log).unwrap();
    assert_eq!(am.base.guessed.as_deref(), Some("exact match"), "{log}");
    let chosen = am.base.chosen.clone().unwrap();
    assert_eq!(
        resolve_in(&repo.join(".git"), &chosen).unwrap(),
        git(&["rev-parse", "base"]).trim(),
        "{log}"
    );
    let (rev, how) = choose_base(None, &am.base, true, "linux", "g@example.org").unwrap();
    assert_eq!(rev, chosen);
    assert!(
        how.starts_with("guessed by b4 in linux (exact match)"),
        "{how}"
    );
    // b4 wrote nothing into the tree.
    assert_eq!(git(&["status", "--porcelain"]).trim(), "");

    // A bare repository (as daxkit's import of Debian's tarball is): the
    // thread's base-commit is found there, through the same git view.
    let bare = t.path().join("bare.git");
    Cmd::new("git")
        .args(["clone", "-q", "--bare"])
        .arg(&repo)
        .arg(&bare)
        .read()
        .unwrap();
    let base = git(&["rev-parse", "base"]).trim().to_owned();
    let with_base = std::fs::read_to_string(&mbox).unwrap().replacen(
        "\n-- \n",
        &format!("\n-- \nbase-commit: {base}\n"),
        1,
    );
    assert!(with_base.contains("base-commit:"));
    let mbox2 = t.path().join("based.mbox");
    std::fs::write(&mbox2, with_base).unwrap();
    let view = b4::GitView::new(&t.path().join("bare-scratch"), &bare).unwrap();
    let am = b4::am(
        &venv,
        &mbox2,
        Some(&view),
        false,
        &t.path().join("bare-scratch/am"),
    )
    .unwrap();
    let log = std::fs::read_to_string(&am.log).unwrap();
    assert_eq!(am.base.chosen.as_deref(), Some(base.as_str()), "{log}");
    assert_eq!((am.base.unknown, am.base.guessed), (None, None), "{log}");
    // And one it lacks is named.
    let unknown = std::fs::read_to_string(&mbox2)
        .unwrap()
        .replace(&base, &"9".repeat(40));
    std::fs::write(&mbox2, unknown).unwrap();
    let am = b4::am(
        &venv,
        &mbox2,
        Some(&view),
        false,
        &t.path().join("bare-scratch/am2"),
    )
    .unwrap();
    assert_eq!(am.base.unknown.as_deref(), Some("9".repeat(40).as_str()));
    assert_eq!(am.base.chosen, None);
}

#[test]
fn checkpatch_findings_are_the_evidence() {
    let text = "WARNING:LONG_LINE: line length of 101 exceeds 100 columns\n#42: FILE: fs/dax.c:1800:\n+\tfoo();\n\nCHECK:PARENTHESIS_ALIGNMENT: x\n#50: FILE: fs/dax.c:1810:\nERROR:TRAILING_WHITESPACE: trailing whitespace\n#60: FILE: fs/dax.c:1820:\n\ntotal: 1 errors, 1 warnings, 1 checks, 40 lines checked\n";
    assert_eq!(
        checkpatch_evidence(text),
        "WARNING:LONG_LINE: line length of 101 exceeds 100 columns (#42: FILE: fs/dax.c:1800:)\n\
         ERROR:TRAILING_WHITESPACE: trailing whitespace (#60: FILE: fs/dax.c:1820:)"
    );
    assert_eq!(
        checkpatch_evidence("total: 0 errors, 0 warnings, 0 checks\n"),
        ""
    );
}
