//! `config`, `build` and `run` with `--dry-run` print their plan and
//! change nothing: the cache given with `--home` stays as it was (here
//! empty: no base is imported, so the tree commands say they would
//! import it), and nothing is built or booted.

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
