//! A small kernel-like git tree made from a patch's own hunks: for each
//! file it modifies, the lines its hunks expect (context and removed
//! lines) at the line numbers they name, filler elsewhere. That patch
//! applies to it exactly; a later patch touching other code does not.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args([
            "-c",
            "user.name=Fix Ture",
            "-c",
            "user.email=fix@example.org",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// Preimages of the files `diff` modifies.
pub fn preimages(diff: &str) -> BTreeMap<String, Vec<String>> {
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cur: Option<String> = None;
    let mut old_line = 0usize;
    let mut in_hunk = false;
    for l in diff.lines() {
        if let Some(rest) = l.strip_prefix("diff --git a/") {
            cur = rest.split(" b/").next().map(str::to_owned);
            in_hunk = false;
            continue;
        }
        if l.starts_with("--- /dev/null") {
            cur = None;
            continue;
        }
        let Some(f) = cur.clone() else { continue };
        if let Some(h) = l.strip_prefix("@@ -") {
            let start: usize = h.split([',', ' ']).next().unwrap().parse().unwrap();
            let lines = files.entry(f.clone()).or_default();
            while lines.len() + 1 < start {
                lines.push(format!("/* filler {} */", lines.len() + 1));
            }
            old_line = start;
            in_hunk = true;
            continue;
        }
        if !in_hunk || l.starts_with("--- ") || l.starts_with("+++ ") {
            continue;
        }
        if let Some(t) = l.strip_prefix(' ').or_else(|| l.strip_prefix('-')) {
            let lines = files.get_mut(&f).unwrap();
            if lines.len() + 1 == old_line {
                lines.push(t.to_owned());
            }
            old_line += 1;
        } else if l.is_empty() {
            // An empty context line whose leading space was trimmed.
            let lines = files.get_mut(&f).unwrap();
            if lines.len() + 1 == old_line {
                lines.push(String::new());
            }
            old_line += 1;
        } else if !l.starts_with('+') && !l.starts_with('\\') {
            in_hunk = false;
        }
    }
    for lines in files.values_mut() {
        for _ in 0..5 {
            lines.push(format!("/* filler {} */", lines.len() + 1));
        }
    }
    files
}

/// A git tree (tagged `base`) where `patch` (a mail) applies; returns
/// (tree, base commit).
pub fn tree_for(root: &Path, patch: &str) -> (PathBuf, String) {
    let tree = root.join("linux");
    std::fs::create_dir_all(&tree).unwrap();
    git(root, &["init", "-q", "-b", "master", "linux"]);
    std::fs::write(
        tree.join("Makefile"),
        "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 118\nEXTRAVERSION =\n",
    )
    .unwrap();
    let diff = &patch[patch.find("\ndiff --git ").unwrap() + 1..];
    let diff = diff.split("\n-- \n").next().unwrap();
    for (f, lines) in preimages(diff) {
        let p = tree.join(&f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    }
    git(&tree, &["add", "."]);
    git(&tree, &["commit", "-qm", "base"]);
    git(&tree, &["tag", "base"]);
    let commit = git(&tree, &["rev-parse", "HEAD"]);
    (tree, commit)
}
