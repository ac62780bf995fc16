//! `daxkit review` on threads made at test time from the shipped series
//! (tests/support/thread.rs), against a small tree where the first patch
//! applies and the second does not (tests/support/tree.rs): b4's step
//! (newest revision, trailers, base), the review folder and the reply,
//! and the exit codes, without a kernel. The whole review of the shipped
//! series on the real kernel is `e2e_review.rs`.

mod common;
#[path = "support/thread.rs"]
mod thread;
#[path = "support/tree.rs"]
mod tree;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use thread::Base;

struct Fx {
    _dir: tempfile::TempDir,
    root: PathBuf,
    tree: PathBuf,
    base: String,
}

fn fixture() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let (_, patches) = thread::shipped();
    let (tree, base) = tree::tree_for(&root, &patches[0]);
    std::fs::write(
        root.join("gitconfig"),
        "[user]\n\tname = Tess Ter\n\temail = tess@example.org\n",
    )
    .unwrap();
    Fx {
        _dir: dir,
        root,
        tree,
        base,
    }
}

/// The venv with b4 is shared by every test (and the developer's runs).
fn venv() -> PathBuf {
    common::home().join("tools/venv")
}

impl Fx {
    fn write(&self, name: &str, mails: &[String]) -> PathBuf {
        let p = self.root.join(name);
        std::fs::write(&p, thread::mbox(mails)).unwrap();
        p
    }

    fn review(&self, thread: &Path, extra: &[&str]) -> (Output, PathBuf) {
        let out = self.root.join(format!(
            "review-{}",
            thread.file_name().unwrap().to_string_lossy()
        ));
        let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
            .arg("--home")
            .arg(self.root.join("home"))
            .arg("review")
            .arg(thread)
            .arg("--tree")
            .arg(&self.tree)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .env("DAXKIT_VENV", venv())
            .env("GIT_CONFIG_GLOBAL", self.root.join("gitconfig"))
            .current_dir(&self.root)
            .output()
            .unwrap();
        (o, out)
    }
}

fn review_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("review.json")).unwrap()).unwrap()
}

/// Headers and body of reply.eml as Python's `email` package reads them.
fn parse_reply(path: &Path) -> serde_json::Value {
    let code = r#"
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
print(json.dumps({k: str(m[k]) for k in ['From','To','Cc','Subject','In-Reply-To','References','Message-ID','Date','Content-Type']} | {'body': m.get_content(), 'defects': [str(d) for d in m.defects]}))
"#;
    let o = Command::new(venv().join("bin/python3"))
        .args(["-c", code])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn n_patches() -> usize {
    thread::shipped().1.len()
}

#[test]
fn newest_revision_its_trailers_and_base_and_a_patch_that_does_not_apply() {
    let fx = fixture();
    let v1 = thread::thread("t", 1, &Base::Set(fx.base.clone()));
    let v2 = thread::thread("t", 2, &Base::Set(fx.base.clone()));
    let file = fx.write("v1-v2.mbox", &[v1, v2].concat());
    let (o, out) = fx.review(&file, &[]);
    let text = common::text(&o);
    // Patch 1 applies to the tree, patch 2 does not: the series' fault.
    assert_eq!(o.status.code(), Some(1), "{text}");
    let r = review_json(&out);
    let has_cover = thread::shipped().0.is_some();
    assert_eq!(r["thread"]["revision"], 2, "{text}");
    assert_eq!(r["thread"]["top"]["message_id"], thread::top_id("t", 2));
    assert_eq!(r["thread"]["has_cover"], has_cover);
    assert_eq!(
        r["thread"]["patches"].as_array().unwrap().len(),
        n_patches()
    );
    assert_eq!(r["base"], fx.base.as_str());
    assert_eq!(r["base_how"], "the thread's base-commit");
    assert_eq!(r["apply_failed_patch"], 2, "{text}");
    // b4 collected the Reviewed-by sent to patch 1 (and the cover's Acked-by for all).
    let collected = &r["thread"]["collected"];
    assert!(
        collected[0]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "Reviewed-by: Rev Iewer <rev@example.org>"),
        "{collected}"
    );
    if has_cover {
        for c in collected.as_array().unwrap() {
            assert!(
                c.as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t.as_str().unwrap().starts_with("Acked-by: Ann")),
                "{collected}"
            );
        }
    }
    // The series daxkit ran: v2's patches from b4, on the thread's base.
    let yaml = std::fs::read_to_string(out.join("series/series.yaml")).unwrap();
    assert!(yaml.contains(&format!("rev: {}", fx.base)), "{yaml}");
    assert!(yaml.contains("version: 2"), "{yaml}");
    let mbx = std::fs::read_to_string(out.join("b4/series.mbx")).unwrap();
    assert!(mbx.contains("[PATCH v2 1/"), "{mbx}");
    assert!(!mbx.contains("[PATCH 1/"), "b4 took v1 patches");
    // The reply: to v2's cover letter, the thread's To/Cc, the failure, no Tested-by.
    let m = parse_reply(&out.join("reply.eml"));
    assert_eq!(m["In-Reply-To"], format!("<{}>", thread::top_id("t", 2)));
    assert!(m["References"]
        .as_str()
        .unwrap()
        .contains(&thread::top_id("t", 2)));
    assert!(
        m["Subject"].as_str().unwrap().starts_with("Re: [PATCH v2 "),
        "{m}"
    );
    if has_cover {
        assert!(m["Subject"]
            .as_str()
            .unwrap()
            .contains(&format!(" 0/{}]", n_patches())));
    }
    assert_eq!(m["From"], "Tess Ter <tess@example.org>");
    assert_eq!(m["To"], "daxkit developers <daxkit@localhost>");
    let cc = m["Cc"].as_str().unwrap();
    assert!(
        cc.contains(thread::TO)
            && cc.contains("dan.j.williams@example.org")
            && cc.contains("nvdimm@lists.linux.dev"),
        "{cc}"
    );
    assert_eq!(m["defects"], serde_json::json!([]));
    let body = m["body"].as_str().unwrap();
    assert!(body.contains("does not apply"), "{body}");
    assert!(
        body.contains(&format!("Patch 2/{}", n_patches()))
            || body.contains(&format!("patch 2/{}", n_patches())),
        "{body}"
    );
    assert!(!body.contains("Tested-by:"), "{body}");
    let command = body
        .replace(" \\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        command.contains(&format!(
            "$ daxkit review {} --base {} --tree {}",
            thread::top_id("t", 2),
            fx.base,
            fx.tree.display()
        )),
        "{body}"
    );
    // Paths in the review folder are relative to it.
    assert!(body.contains("(series/0002_"), "{body}");
    assert!(!body.contains(&out.display().to_string()), "{body}");
    for l in body.lines() {
        assert!(l.chars().count() <= 72, "longer than 72: {l:?}");
    }
    // b4 review-check JSON for the patch that failed.
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checks/0002.json")).unwrap())
            .unwrap();
    assert_eq!(c[0]["tool"], "daxkit-apply");
    assert_eq!(c[0]["status"], "fail");
}

#[test]
fn a_thread_without_base_commit_is_refused_or_guessed() {
    let fx = fixture();
    let file = fx.write("nobase.mbox", &thread::thread("nb", 1, &Base::Drop));
    let (o, _) = fx.review(&file, &[]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(
        text.contains(&format!(
            "thread <{}> has no usable base: it has no base-commit",
            thread::top_id("nb", 1)
        )),
        "{text}"
    );
    assert!(text.contains("--guess-base"), "{text}");
    // b4 guesses from the patches' blob ids, which this tree does not have.
    let (o, out) = fx.review(&file, &["--guess-base"]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(text.contains("b4 could not guess one"), "{text}");
    assert!(std::fs::read_to_string(out.join("b4/b4.log"))
        .unwrap()
        .contains("attempting to guess base-commit"));
    // A base-commit the tree does not have is named.
    let file = fx.write(
        "unknown.mbox",
        &thread::thread(
            "un",
            1,
            &Base::Set("0123456789abcdef0123456789abcdef01234567".into()),
        ),
    );
    let (o, _) = fx.review(&file, &[]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(
        text.contains("its base-commit 0123456789abcdef0123456789abcdef01234567 is not in"),
        "{text}"
    );
    // --base overrides.
    let (o, out) = fx.review(&file, &["--base", "base"]);
    assert_eq!(o.status.code(), Some(1), "{}", common::text(&o));
    assert_eq!(review_json(&out)["base_how"], "--base base");
}

#[test]
fn a_maildir_thread_and_bad_sources() {
    let fx = fixture();
    let md = fx.root.join("maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    for (i, m) in thread::thread("md", 3, &Base::Set(fx.base.clone()))
        .iter()
        .enumerate()
    {
        let m = m.split_once('\n').unwrap().1; // no mbox From line in a maildir
        std::fs::write(md.join("new").join(format!("{i}.mail")), m).unwrap();
    }
    let (o, out) = fx.review(&md, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", common::text(&o));
    assert_eq!(review_json(&out)["thread"]["revision"], 3);
    // Neither a file nor a message-id: an input error naming it.
    let (o, _) = fx.review(Path::new("no-such-thread.mbox"), &[]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(text.contains("no-such-thread.mbox"), "{text}");
    // A message-id with --offline: says what to do instead.
    let (o, _) = fx.review(Path::new("<20261202.1-1-x@example.org>"), &["--offline"]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(
        text.contains("20261202.1-1-x@example.org cannot be fetched"),
        "{text}"
    );
    // Online, a message-id no list has (or no network at all): b4 cannot
    // fetch it, a host error that says to pass the thread as a file.
    let (o, _) = fx.review(Path::new("daxkit-no-such-thread.20261202@example.org"), &[]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(
        text.contains("b4 could not fetch thread daxkit-no-such-thread.20261202@example.org"),
        "{text}"
    );
    assert!(text.contains("save the thread as an mbox"), "{text}");
    // No b4 and no installs allowed: the host's problem, naming the fix.
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .arg("--home")
        .arg(fx.root.join("home"))
        .arg("review")
        .arg(&md)
        .env("DAXKIT_VENV", fx.root.join("no-venv"))
        .env("DAXKIT_NO_INSTALL", "1")
        .output()
        .unwrap();
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(
        text.contains("DAXKIT_NO_INSTALL is set") && text.contains("pip install 'b4==0.16.*'"),
        "{text}"
    );
    // A file with no patches in it.
    let empty = fx.write(
        "empty.mbox",
        &[thread::reply(
            "x@y",
            &[],
            "hello",
            "Acked-by: A <a@b>",
            &thread::now(),
        )],
    );
    let (o, _) = fx.review(&empty, &[]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(text.contains("b4 found no"), "{text}");
}

#[test]
fn prerequisite_patches_must_be_in_the_base() {
    let fx = fixture();
    // A commit on top of the base, and its patch-id.
    std::fs::write(fx.tree.join("PREREQ"), "needed first\n").unwrap();
    tree::git(&fx.tree, &["add", "PREREQ"]);
    tree::git(&fx.tree, &["commit", "-qm", "prerequisite"]);
    let with = tree::git(&fx.tree, &["rev-parse", "HEAD"]);
    let show = Command::new("git")
        .args(["show", "HEAD"])
        .current_dir(&fx.tree)
        .output()
        .unwrap()
        .stdout;
    let mut pid = Command::new("git")
        .args(["patch-id", "--stable"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    pid.stdin.take().unwrap().write_all(&show).unwrap();
    let id = String::from_utf8(pid.wait_with_output().unwrap().stdout).unwrap();
    let id = id.split_whitespace().next().unwrap().to_owned();
    let missing = "1111111111111111111111111111111111111111";
    let mk = |name: &str, base: &str, ids: &[&str]| {
        let mails = thread::thread(name, 1, &Base::Set(base.to_owned()));
        let lines: String = ids
            .iter()
            .map(|i| format!("prerequisite-patch-id: {i}\n"))
            .collect();
        let mails: Vec<String> = mails
            .into_iter()
            .map(|m| {
                m.replacen(
                    &format!("base-commit: {base}\n"),
                    &format!("base-commit: {base}\n{lines}"),
                    1,
                )
            })
            .collect();
        fx.write(&format!("{name}.mbox"), &mails)
    };
    // In the base's history: reviewed on it (patch 2 still does not apply).
    let (o, out) = fx.review(&mk("pre-ok", &with, &[&id]), &[]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert_eq!(
        review_json(&out)["thread"]["prerequisites"],
        serde_json::json!([id])
    );
    assert!(
        text.contains("all 1 prerequisite patches are in the base"),
        "{text}"
    );
    // Not there: refused, naming it, unless --ignore-prerequisites.
    let file = mk("pre-missing", &with, &[&id, missing]);
    let (o, _) = fx.review(&file, &[]);
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(128), "{text}");
    assert!(
        text.contains(&format!(
            "needs 1 prerequisite patches (prerequisite-patch-id {missing})"
        )),
        "{text}"
    );
    let (o, _) = fx.review(&file, &["--ignore-prerequisites"]);
    assert_eq!(o.status.code(), Some(1), "{}", common::text(&o));
}

#[test]
fn compare_two_revisions() {
    let fx = fixture();
    let v1 = fx.write(
        "c-v1.mbox",
        &thread::thread("c", 1, &Base::Set(fx.base.clone())),
    );
    let v2 = fx.write(
        "c-v2.mbox",
        &thread::thread("c", 2, &Base::Set(fx.base.clone())),
    );
    let n = n_patches();
    // Two threads (through b4), and the shipped series folder against a thread.
    for (old, new) in [
        (v1.display().to_string(), v2.display().to_string()),
        (
            thread::series_dir().display().to_string(),
            v2.display().to_string(),
        ),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
            .arg("--home")
            .arg(fx.root.join("home"))
            .args(["review", "--compare", &old, &new])
            .env("DAXKIT_VENV", venv())
            .output()
            .unwrap();
        let text = common::text(&o);
        assert_eq!(o.status.code(), Some(0), "{text}");
        // Same diffs in both (trailers and the subject tag do not count).
        assert_eq!(text.matches(" same diff ").count(), n, "{text}");
        assert!(text.contains("new: v2 ("), "{text}");
        assert!(
            !text.contains(" dropped ") && !text.contains(" new  "),
            "{text}"
        );
    }
    // Review folders carry their checks; none here has case results.
    let (_, a) = fx.review(&v1, &[]);
    let (_, b) = fx.review(&v2, &[]);
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .arg("--home")
        .arg(fx.root.join("home"))
        .args(["review", "--compare"])
        .arg(&a)
        .arg(&b)
        .env("DAXKIT_VENV", venv())
        .output()
        .unwrap();
    let text = common::text(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("old: v1 (") && text.contains("new: v2 ("),
        "{text}"
    );
    assert!(text.contains("no case results on both sides"), "{text}");
    // Bad input names itself.
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .arg("--home")
        .arg(fx.root.join("home"))
        .args(["review", "--compare", "nope-old", "nope-new"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(128));
    assert!(common::text(&o).contains("nope-old"));
}
