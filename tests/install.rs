//! An installed daxkit works from any folder (issue 10): `cargo install
//! --path . --root DIR`, then, from an unrelated folder with a fresh HOME,
//! `doctor` passes and it finds its shipped series, fragments and image manifest (embedded),
//! builds the guest harness from its embedded source, keeps its cache in
//! `~/.cache/daxkit` and writes nothing into the folder it runs in.

mod common;
use common::{repo_root, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `cargo install` into `prefix`, debug (the test is about where files
/// come from, not speed), with a target dir kept beside the test's own so
/// a rerun is incremental. The installed binary lies outside that target
/// dir, so it reads its embedded copy as any installed daxkit does.
fn install(prefix: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = Path::new(env!("CARGO_BIN_EXE_daxkit"))
        .ancestors()
        .nth(2)
        .unwrap()
        .join("install");
    let o = Command::new(cargo)
        .args(["install", "--locked", "--debug", "--path"])
        .arg(repo_root())
        .arg("--root")
        .arg(prefix)
        .arg("--target-dir")
        .arg(&target)
        .output()
        .unwrap();
    assert!(o.status.success(), "cargo install failed:\n{}", text(&o));
    let bin = prefix.join("bin/daxkit");
    assert!(
        bin.is_file(),
        "{} missing after cargo install",
        bin.display()
    );
    bin
}

/// The installed `daxkit ARGS` in `cwd`, as a new user with HOME at
/// `home`: no DAXKIT_HOME, no XDG_CACHE_HOME. Rustup and Cargo stay where
/// they are installed (a new user has their own in their own HOME).
fn run(bin: &Path, cwd: &Path, home: &Path, args: &[&str]) -> Output {
    let real_home = PathBuf::from(std::env::var_os("HOME").unwrap());
    let or_default = |var: &str, dir: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| real_home.join(dir))
    };
    let o = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .env_remove("DAXKIT_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("CARGO_TARGET_DIR")
        .env("HOME", home)
        .env("RUSTUP_HOME", or_default("RUSTUP_HOME", ".rustup"))
        .env("CARGO_HOME", or_default("CARGO_HOME", ".cargo"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "installed daxkit {args:?}:\n{}",
        text(&o)
    );
    o
}

#[test]
#[ignore = "e2e: installs daxkit, imports the kernel into a fresh home, builds the harness"]
fn installed_daxkit_runs_from_any_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(&tmp.path().join("prefix"));
    let home = tmp.path().join("home");
    let cwd = tmp.path().join("anywhere");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();
    let cache = home.join(".cache/daxkit");

    // The shipped series by name, applied in the default cache.
    let o = run(&bin, &cwd, &home, &["apply", "dax-pmd"]);
    assert!(cache.join("repos/debian-6.12.git").is_dir(), "{}", text(&o));
    // Its files come from the unpacked copy, not from this checkout.
    let assets: Vec<PathBuf> = std::fs::read_dir(cache.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join(".complete").is_file())
        .collect();
    assert_eq!(assets.len(), 1, "one unpacked copy: {assets:?}");
    let assets = &assets[0];
    assert!(assets.join("patches/dax-pmd/series.yaml").is_file());

    // The default fragments and the series' own, from that copy.
    let o = run(&bin, &cwd, &home, &["config", "dax-pmd"]);
    let out = text(&o);
    assert!(
        out.contains(&assets.join("kernel-config").display().to_string()),
        "config does not name the embedded fragments:\n{out}"
    );
    assert!(!out.contains(&repo_root().display().to_string()), "{out}");

    // Every host prerequisite, seen from the installed binary: exit 0
    // means the main job can run here.
    let o = run(&bin, &cwd, &home, &["doctor"]);
    assert!(text(&o).contains("ccache"), "{}", text(&o));

    // The harness, built from the embedded source in that copy.
    let o = run(&bin, &cwd, &home, &["image"]);
    let image = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(image.starts_with(cache.join("images")), "{}", text(&o));
    assert!(assets
        .join("target/x86_64-unknown-linux-musl/release/daxkit-harness")
        .is_file());

    // Nothing was written where it ran.
    let left: Vec<_> = std::fs::read_dir(&cwd).unwrap().collect();
    assert!(left.is_empty(), "daxkit wrote into its cwd: {left:?}");
}
