//! CONFIG_RUST per tree, on fixture trees whose Makefile answers
//! `rustavailable` with the words of the real `scripts/rust_is_available.sh`
//! and whose `allnoconfig` writes the merged fragment as `.config`: the
//! default rust fragment is left out where the host's Rust cannot build the
//! tree, an explicit CONFIG_RUST=y is refused, and a missing piece is a
//! host error (128) naming its package — never a silently dropped option.

mod common;
use common::git;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A tree for Linux `patchlevel` (6.x) with the given rustc/bindgen
/// minimums and a `rustavailable` recipe.
fn tree(root: &Path, patchlevel: u32, rustc: &str, bindgen: &str, rustavailable: &str) -> PathBuf {
    let tree = root.join(format!("linux-6.{patchlevel}"));
    std::fs::create_dir_all(tree.join("scripts")).unwrap();
    git(
        root,
        &["init", "-q", "-b", "master", tree.to_str().unwrap()],
    );
    std::fs::write(
        tree.join("Makefile"),
        format!(
            "VERSION = 6\nPATCHLEVEL = {patchlevel}\nSUBLEVEL = 0\nEXTRAVERSION =\n\
             allnoconfig:\n\tcp \"$(KCONFIG_ALLCONFIG)\" \"$(O)/.config\"\n\
             rustavailable:\n{rustavailable}"
        ),
    )
    .unwrap();
    std::fs::write(
        tree.join("scripts/min-tool-version.sh"),
        format!(
            "case \"$1\" in\nrustc) echo {rustc} ;;\nbindgen) echo {bindgen} ;;\n*) echo \"$1: unknown tool\" >&2; exit 1 ;;\nesac\n"
        ),
    )
    .unwrap();
    git(&tree, &["add", "."]);
    git(&tree, &["commit", "-qm", "base"]);
    tree
}

const AVAILABLE: &str = "\t@echo 'Rust is available!'\n";
const NO_BINDGEN: &str = "\t@echo '***' >&2; echo \"*** Rust bindings generator 'bindgen' could not be found.\" >&2; echo '***' >&2; exit 1\n";
const NO_LIBCLANG: &str = "\t@echo \"*** Running 'bindgen' to check the libclang version (used by the Rust\" >&2; echo '*** bindings generator) failed with code 101. This may be caused by' >&2; exit 1\n";

fn daxkit(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(args)
        .env("DAXKIT_HOME", root.join("home"))
        .envs(env.iter().copied())
        .current_dir(root)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn made_config(root: &Path) -> String {
    let work = root.join("home/work");
    for e in std::fs::read_dir(&work).unwrap() {
        let c = e.unwrap().path().join("build/.config");
        if c.is_file() {
            return std::fs::read_to_string(c).unwrap();
        }
    }
    panic!("no .config under {}", work.display());
}

#[test]
fn pinned_tree_leaves_default_rust_out_and_refuses_an_explicit_request() {
    let t = tempfile::tempdir().unwrap();
    // Like Debian's 6.1: one pinned version no current rustup gives.
    let src = tree(t.path(), 1, "1.0.0", "0.1.0", AVAILABLE);
    let o = daxkit(t.path(), &["config", "--tree", src.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("leaving the rust fragment out"), "{out}");
    assert!(
        out.contains("Linux 6.1 builds Rust only with rustc 1.0.x"),
        "{out}"
    );
    let config = made_config(t.path());
    assert!(config.contains("CONFIG_FS_DAX=y"), "{config}");
    assert!(!config.contains("CONFIG_RUST=y"), "{config}");

    let frag = t.path().join("mine.config");
    std::fs::write(&frag, "# mine\nCONFIG_RUST=y\n").unwrap();
    let o = daxkit(
        t.path(),
        &[
            "config",
            "--tree",
            src.to_str().unwrap(),
            "--fragment",
            frag.to_str().unwrap(),
        ],
        &[],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(128), "{out}");
    assert!(out.contains("mine.config:2"), "{out}");
    assert!(out.contains("rustc 1.0.x"), "{out}");
}

#[test]
fn missing_pieces_are_a_host_error_naming_each_package() {
    let t = tempfile::tempdir().unwrap();
    let src = tree(t.path(), 12, "1.0.0", "0.1.0", NO_BINDGEN);
    let no_install = [("DAXKIT_NO_INSTALL", "1")];
    let o = daxkit(
        t.path(),
        &["config", "--tree", src.to_str().unwrap()],
        &no_install,
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(128), "{out}");
    assert!(out.contains("cargo install --locked bindgen-cli"), "{out}");
    assert!(out.contains("DAXKIT_NO_INSTALL"), "{out}");

    let t = tempfile::tempdir().unwrap();
    let src = tree(t.path(), 12, "1.0.0", "0.1.0", NO_LIBCLANG);
    let o = daxkit(
        t.path(),
        &["config", "--tree", src.to_str().unwrap()],
        &no_install,
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(128), "{out}");
    assert!(out.contains("libclang-dev"), "{out}");

    // --no-rust does not ask.
    let o = daxkit(
        t.path(),
        &["config", "--no-rust", "--tree", src.to_str().unwrap()],
        &no_install,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_fitting_tree_that_says_available_keeps_config_rust() {
    let t = tempfile::tempdir().unwrap();
    let src = tree(t.path(), 12, "1.0.0", "0.1.0", AVAILABLE);
    let o = daxkit(
        t.path(),
        &["config", "--tree", src.to_str().unwrap()],
        &[("DAXKIT_NO_INSTALL", "1")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(made_config(t.path()).contains("CONFIG_RUST=y"));
}
