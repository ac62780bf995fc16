//! `config`, `build` and `run` with `--dry-run` print their plan and
//! change nothing: the cache given with `--home` stays as it was (here
//! empty: no base is imported, so the tree commands say they would
//! import it), and nothing is built or booted.

mod common;

use std::path::Path;
use std::process::Command;

fn daxkit(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .arg("--home")
        .arg(home)
        .args(args)
        // Nothing may be installed, whatever the host lacks.
        .env("DAXKIT_NO_INSTALL", "1")
        .env_remove("DAXKIT_HOME")
        .output()
        .expect("running daxkit");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Every path under `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.display().to_string());
            if p.is_dir() {
                todo.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn config_dry_run_prints_fragments_and_make_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = daxkit(home.path(), &["config", "--dry-run", "--no-rust"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("base: "), "{out}");
    assert!(out.contains("fragments, in merge order:"), "{out}");
    assert!(
        out.contains("base.config") && out.contains("dax.config"),
        "{out}"
    );
    assert!(!out.contains("rust.config"), "--no-rust: {out}");
    assert!(out.contains("CONFIG_FS_DAX=y"), "{out}");
    assert!(out.contains("allnoconfig"), "{out}");
    assert!(
        !out.contains("build dir:"),
        "config stops before the build: {out}"
    );
    assert_eq!(files(home.path()), Vec::<String>::new());
}

#[test]
fn build_dry_run_prints_make_build_dir_and_kept_kernel_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = daxkit(
        home.path(),
        &["build", "dax-pmd", "--dry-run", "--cc", "distcc gcc"],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    // No base in this cache: what would happen first, not a failure.
    assert!(out.contains("would"), "{out}");
    assert!(out.contains("series: dax-pmd"), "{out}");
    assert!(out.contains("dax-pmd.config"), "{out}");
    let build_dir = home.path().canonicalize().unwrap().join("work");
    assert!(
        out.contains(&format!("build dir: {}", build_dir.display())),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("make: ")
            && l.contains("'CC=distcc gcc'")
            && l.ends_with(" bzImage")),
        "{out}"
    );
    assert!(out.contains("kept kernel: "), "{out}");
    assert_eq!(files(home.path()), Vec::<String>::new());
}

#[test]
fn run_dry_run_prints_qemu_and_cases_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let k = tempfile::NamedTempFile::new().unwrap();
    let kernel = k.path().to_str().unwrap();
    let (code, out, err) = daxkit(
        home.path(),
        &[
            "run",
            "--kernel",
            kernel,
            "--dry-run",
            "--accel",
            "tcg",
            "--case",
            "xfs-aligned-shared-write",
            "--fs",
            "xfs",
        ],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("# accel: tcg (asked for)"), "{out}");
    assert!(
        out.contains("# cases: xfs-aligned-shared-write on xfs"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("qemu-system-x86_64 ")
            && l.contains("-accel tcg")
            && l.contains(&format!("-kernel {kernel}"))),
        "{out}"
    );
    assert_eq!(files(home.path()), Vec::<String>::new());
    // The real command's input checks hold for the dry run too.
    let (code, _, err) = daxkit(
        home.path(),
        &["run", "--kernel", "/no/such/bzImage", "--dry-run"],
    );
    assert_eq!(code, Some(128), "{err}");
    assert_eq!(files(home.path()), Vec::<String>::new());
}

/// With `--tree` and no series the commit is known, so with `--no-rust`
/// the plan names the kept kernel's stamp; the user's tree and the cache
/// are left as they were (daxkit's repo for the tree is made by the real
/// command only).
#[test]
fn build_dry_run_on_a_user_tree_names_the_commit_and_stamp() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("linux");
    let git = |args: &[&str]| common::git(&tree, args);
    std::fs::create_dir_all(&tree).unwrap();
    git(&["init", "-q", "-b", "master"]);
    std::fs::write(
        tree.join("Makefile"),
        "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 1\n",
    )
    .unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    let head = git(&["rev-parse", "HEAD"]);
    let home = d.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let (code, out, err) = daxkit(
        &home,
        &[
            "build",
            "--tree",
            tree.to_str().unwrap(),
            "--no-rust",
            "--dry-run",
        ],
    );
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains(&format!("at HEAD = {head}")), "{out}");
    assert!(out.contains(&format!("(would check out {head})")), "{out}");
    let kept = out
        .lines()
        .find(|l| l.starts_with("kept kernel: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        kept.contains("/kernels/") && kept.contains("(stamp "),
        "{kept}"
    );
    assert_eq!(files(&home), Vec::<String>::new());
    assert_eq!(git(&["status", "--porcelain"]), "");
}
