//! `daxkit ci --kernels` on a small fixture tree: the real path from the
//! command line (tree, apply, fragments, stamp) to the refusal of an
//! exported kernel that is not the job's, before any build or boot.

mod common;
use common::git;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tree tagged `base` and a one-patch format-patch series.
fn fixture(root: &Path) -> (PathBuf, PathBuf) {
    let tree = root.join("linux");
    std::fs::create_dir_all(tree.join("fs")).unwrap();
    git(root, &["init", "-q", "-b", "master", "linux"]);
    std::fs::write(
        tree.join("Makefile"),
        "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\n",
    )
    .unwrap();
    std::fs::write(tree.join("fs/dax.c"), "int dax;\n").unwrap();
    git(&tree, &["add", "."]);
    git(&tree, &["commit", "-qm", "base"]);
    git(&tree, &["tag", "base"]);
    std::fs::write(tree.join("fs/dax.c"), "int dax = 1;\n").unwrap();
    git(
        &tree,
        &[
            "commit",
            "-qam",
            "dax: one\n\nSigned-off-by: Fix Ture <fix@example.org>",
        ],
    );
    let series = root.join("series");
    common::series_of(&tree, "base", &series);
    (tree, series)
}

/// An export folder holding one stock kernel of `commit` and `merged`,
/// as `daxkit export` writes it.
fn export(dir: &Path, commit: &str, merged: &str) {
    use sha2::{Digest, Sha256};
    let stamp = format!(
        "{:x}",
        Sha256::digest(format!("{commit}\n{merged}").as_bytes())
    );
    let k = dir.join(&stamp[..16]);
    std::fs::create_dir_all(&k).unwrap();
    std::fs::write(k.join("bzImage"), b"not a kernel").unwrap();
    std::fs::write(k.join("stamp"), format!("{stamp}\n")).unwrap();
    std::fs::write(k.join("commit"), format!("{commit}\n")).unwrap();
    let m = json!({
        "format": 1, "stamp": stamp, "commit": commit, "base": "base",
        "kernel_version": "6.12.117", "series": null, "variants": ["stock"],
        "merged": merged, "fragments": ["base.config"],
        "config_sha256": null,
        "bzimage_sha256": format!("{:x}", Sha256::digest(b"not a kernel")),
        "build_failed": null,
        "toolchain": {"daxkit": "0", "gcc": "gcc", "make": "make", "rustc": null, "bindgen": null}
    });
    std::fs::write(k.join("kernel.json"), m.to_string()).unwrap();
}

#[test]
fn ci_refuses_exported_kernels_that_are_not_the_jobs() {
    let d = tempfile::tempdir().unwrap();
    let (tree, series) = fixture(d.path());
    let base = git(&tree, &["rev-parse", "base"]);
    let kernels = d.path().join("kernels");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "ci",
            series.to_str().unwrap(),
            "--tree",
            tree.to_str().unwrap(),
            "--no-rust",
            "--kernels",
            kernels.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
            .args(&args)
            .env("DAXKIT_HOME", d.path().join("home"))
            .env("DAXKIT_NO_INSTALL", "1")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };

    // No folder at all.
    let (code, err) = run(&["--variant", "stock"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(err.contains("no exported kernels"), "{err}");

    // The right commit, another config: the options are named.
    export(&kernels, &base, "CONFIG_DAX=y\nCONFIG_NOT_OURS=y\n");
    let (code, err) = run(&["--variant", "stock"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(
        err.contains("refusing the exported kernel for stock"),
        "{err}"
    );
    assert!(
        err.contains("CONFIG_NOT_OURS: y in the export, not requested for this job"),
        "{err}"
    );
    assert!(!err.contains("in the export, {base}"), "{err}");
    assert!(!err.contains("building bzImage"), "{err}");

    // Another commit: both commits are named.
    std::fs::remove_dir_all(&kernels).unwrap();
    export(
        &kernels,
        "0123456789abcdef0123456789abcdef01234567",
        "CONFIG_DAX=y\n",
    );
    let (code, err) = run(&["--variant", "stock"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(
        err.contains(&format!(
            "commit 0123456789abcdef0123456789abcdef01234567 in the export, {base} for this job"
        )),
        "{err}"
    );

    // The series' kernel is not in the folder: what it holds is named.
    let (code, err) = run(&["--variant", "series"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(err.contains("no kernel for series (series)"), "{err}");
    assert!(err.contains("the folder holds stock"), "{err}");

    // A variant the series does not have.
    let (code, err) = run(&["--variant", "Rust"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(
        err.contains("--variant Rust: series series has variants stock, series"),
        "{err}"
    );
}
