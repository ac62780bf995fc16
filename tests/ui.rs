//! What a user sees on stderr: `--quiet` leaves only the error, colour
//! only on a terminal and never with `NO_COLOR`. The command is `daxkit
//! config` on a fixture tree whose `make allnoconfig` fails: a step, then
//! an error, and no kernel.

mod common;
use common::git;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fixture kernel tree whose `allnoconfig` fails; returns (tree, home).
fn failing_tree(dir: &Path) -> (PathBuf, PathBuf) {
    let tree = dir.join("linux");
    std::fs::create_dir_all(&tree).unwrap();
    git(dir, &["init", "-q", "-b", "master", "linux"]);
    std::fs::write(
        tree.join("Makefile"),
        "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\nEXTRAVERSION =\n\
         allnoconfig:\n\t@echo no config today; exit 1\n",
    )
    .unwrap();
    git(&tree, &["add", "."]);
    git(&tree, &["commit", "-qm", "base"]);
    (tree, dir.join("home"))
}

fn config_args(tree: &Path) -> Vec<String> {
    vec![
        "config".into(),
        "--no-rust".into(),
        "--tree".into(),
        tree.display().to_string(),
    ]
}

fn stderr_of(args: &[String], home: &Path) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(args)
        .env("DAXKIT_HOME", home)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn quiet_leaves_only_the_error() {
    let t = tempfile::tempdir().unwrap();
    let (tree, home) = failing_tree(t.path());
    let args = config_args(&tree);
    let (code, loud) = stderr_of(&args, &home);
    assert_eq!(code, Some(128), "{loud}");
    assert!(loud.contains("==> configuring"), "{loud}");
    let at = loud.find("daxkit: error: ").expect(&loud);
    let error = &loud[at..];
    assert!(error.contains("no config today"), "{error}");

    let mut quiet = vec!["--quiet".to_owned()];
    quiet.extend(args);
    let (code, stderr) = stderr_of(&quiet, &home);
    assert_eq!(code, Some(128), "{stderr}");
    assert_eq!(stderr, error, "--quiet printed more than the error");
}

/// Runs `daxkit ARGS` with a terminal as stdout and stderr (`script`),
/// returns what the terminal showed.
fn on_a_terminal(args: &[String], home: &Path, no_color: Option<&str>) -> String {
    let mut line = shell_quote(env!("CARGO_BIN_EXE_daxkit"));
    for a in args {
        line += " ";
        line += &shell_quote(a);
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env("DAXKIT_HOME", home)
        .env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let o = cmd.output().expect("running script(1) from util-linux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let t = tempfile::tempdir().unwrap();
    let (tree, home) = failing_tree(t.path());
    let args = config_args(&tree);
    let tty = on_a_terminal(&args, &home, None);
    assert!(tty.contains("configuring"), "{tty}");
    assert!(
        tty.contains("\x1b[1;31merror:"),
        "no colour on a terminal: {tty:?}"
    );
    // no-color.org: set and not empty disables colour; empty does not.
    let plain = on_a_terminal(&args, &home, Some("1"));
    assert!(plain.contains("daxkit: error: "), "{plain}");
    assert!(
        !plain.contains('\x1b'),
        "colour despite NO_COLOR: {plain:?}"
    );
    let empty = on_a_terminal(&args, &home, Some(""));
    assert!(empty.contains("\x1b[1;31merror:"), "{empty:?}");
    // Not a terminal: no colour either.
    let (_, piped) = stderr_of(&args, &home);
    assert!(!piped.contains('\x1b'), "{piped:?}");
}
