//! Integration tests of `daxkit apply` on small fixture git trees: real git
//! repositories and real `git format-patch` output, made per test.

mod common;
use common::git;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    /// A "kernel" tree with a Makefile and fs/dax.c, tagged `base`; then a
    /// 3-patch series exported with format-patch into `series/`, and the
    /// tree reset to `base`.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let tree = root.join("linux");
        std::fs::create_dir_all(tree.join("fs")).unwrap();
        git(&root, &["init", "-q", "-b", "master", "linux"]);
        std::fs::write(
            tree.join("Makefile"),
            "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\n",
        )
        .unwrap();
        let dax: String = (1..=60).map(|i| format!("line {i}\n")).collect();
        std::fs::write(tree.join("fs/dax.c"), &dax).unwrap();
        git(&tree, &["add", "."]);
        git(&tree, &["commit", "-qm", "base"]);
        git(&tree, &["tag", "base"]);
        for (i, (from, to)) in [
            ("line 5\n", "line five\n"),
            ("line 30\n", "line thirty\n"),
            ("line 55\n", "line fifty-five\n"),
        ]
        .iter()
        .enumerate()
        {
            let t = std::fs::read_to_string(tree.join("fs/dax.c")).unwrap();
            std::fs::write(tree.join("fs/dax.c"), t.replace(from, to)).unwrap();
            git(
                &tree,
                &[
                    "commit",
                    "-qam",
                    &format!(
                        "dax: change {}\n\nBody {i}.\n\nSigned-off-by: Fix Ture <fix@example.org>",
                        i + 1
                    ),
                ],
            );
        }
        let series = root.join("series");
        common::series_of(&tree, "base", &series);
        Fixture { _dir: dir, root }
    }

    fn tree(&self) -> PathBuf {
        self.root.join("linux")
    }

    fn daxkit(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_daxkit"))
            .args(args)
            .env("DAXKIT_HOME", self.root.join("home"))
            .current_dir(&self.root)
            .output()
            .unwrap()
    }

    fn apply(&self, series: &str) -> Output {
        let tree = self.tree();
        self.daxkit(&["apply", series, "--tree", tree.to_str().unwrap()])
    }

    fn worktree_file(&self) -> String {
        let work = self.root.join("home/work");
        let id = std::fs::read_dir(&work)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::read_to_string(id.join("src/fs/dax.c")).unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn user_state(tree: &Path) -> (String, String, String) {
    (
        git(tree, &["rev-parse", "HEAD"]),
        git(tree, &["for-each-ref"]),
        git(tree, &["status", "--porcelain"]),
    )
}

#[test]
fn applies_series_as_commits_without_touching_user_tree() {
    let f = Fixture::new();
    let before = user_state(&f.tree());
    let o = f.apply("series");
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("dax: change 1") && out.contains("dax: change 3"),
        "{out}"
    );
    let dax = f.worktree_file();
    assert!(dax.contains("line five\n") && dax.contains("line fifty-five\n"));
    assert_eq!(user_state(&f.tree()), before, "user tree changed");
    assert!(
        !f.tree().join(".git/worktrees").exists(),
        "worktree registered in the user's repo"
    );
}

#[test]
fn commits_keep_author_date_and_message_and_rerun_is_identical() {
    let f = Fixture::new();
    let o1 = f.apply("series");
    assert!(o1.status.success(), "{}", text(&o1));
    let o2 = f.apply("series");
    assert!(o2.status.success(), "{}", text(&o2));
    assert_eq!(o1.stdout, o2.stdout, "rerun gave different commits");
    let repo = std::fs::read_dir(f.root.join("home/repos"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let log = git(
        &repo,
        &[
            "log",
            "--format=%an|%ae|%ad|%s|%b",
            "--date=raw",
            "-3",
            "daxkit/series",
        ],
    );
    let orig = git(
        &f.tree(),
        &[
            "log",
            "--format=%an|%ae|%ad|%s|%b",
            "--date=raw",
            "-3",
            "master@{1}",
        ],
    );
    assert_eq!(log, orig);
}

#[test]
fn already_applied_series_is_detected() {
    let f = Fixture::new();
    git(&f.tree(), &["reset", "-q", "--hard", "master@{1}"]);
    // The series' base-commit trailer names `base`; test against HEAD.
    let tree = f.tree();
    let o = f.daxkit(&[
        "apply",
        "series",
        "--tree",
        tree.to_str().unwrap(),
        "--base",
        "HEAD",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("already applied"),
        "{}",
        text(&o)
    );
}

#[test]
fn conflicting_patch_names_patch_file_and_hunk_and_leaves_nothing() {
    let f = Fixture::new();
    // Good run first, so there is a worktree whose state must survive.
    assert!(f.apply("series").status.success());
    let before = f.worktree_file();
    // Break patch 2's context, as if the base had moved.
    let p2 = std::fs::read_dir(f.root.join("series"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("0002"))
        .unwrap();
    let t = std::fs::read_to_string(&p2).unwrap();
    std::fs::write(&p2, t.replace(" line 29\n", " line twenty-nine\n")).unwrap();
    let o = f.apply("series");
    assert_eq!(o.status.code(), Some(128), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("patch 2/3"), "{err}");
    assert!(err.contains("dax: change 2"), "{err}");
    assert!(err.contains("fs/dax.c, hunk #1 @@ -27,7 +27,7 @@"), "{err}");
    assert_eq!(
        f.worktree_file(),
        before,
        "worktree changed by a failed apply"
    );
}

#[test]
fn dirty_user_tree_is_refused_and_untouched() {
    let f = Fixture::new();
    std::fs::write(f.tree().join("fs/dax.c"), "local edit\n").unwrap();
    let o = f.apply("series");
    assert_eq!(o.status.code(), Some(128), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("uncommitted changes (e.g. fs/dax.c)"),
        "{}",
        text(&o)
    );
    assert_eq!(
        std::fs::read_to_string(f.tree().join("fs/dax.c")).unwrap(),
        "local edit\n"
    );
}

#[test]
fn mbox_is_ordered_by_patch_number() {
    let f = Fixture::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(f.root.join("series"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.reverse(); // out of order on purpose
    let mbox: String = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mbox = mbox.replace("Subject: [PATCH ", "Subject: [PATCH v2 ");
    std::fs::write(f.root.join("s.mbox"), mbox).unwrap();
    let o = f.apply("s.mbox");
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let (a, b) = (out.find("change 1").unwrap(), out.find("change 3").unwrap());
    assert!(a < b, "{out}");
}

#[test]
fn series_yaml_errors_name_file_line_and_missing_patch() {
    let f = Fixture::new();
    let s = f.root.join("series");
    std::fs::write(
        s.join("series.yaml"),
        "name: t\npatches:\n  - 0001-dax-change-1.patch\nexpect: [\n",
    )
    .unwrap();
    let o = f.apply("series");
    assert_eq!(o.status.code(), Some(128));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("series.yaml:4:9: expect: invalid type"),
        "{err}"
    );
    std::fs::write(
        s.join("series.yaml"),
        "name: t\npatches:\n  - 0009-nope.patch\n",
    )
    .unwrap();
    let o = f.apply("series");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("patch 1/1") && err.contains("0009-nope.patch"),
        "{err}"
    );
}
