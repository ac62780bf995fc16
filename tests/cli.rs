//! Usage errors are daxkit-input errors (exit 128), never clap's 2, which
//! `git bisect run` would read as "bad"; --help and --version exit 0.

use std::process::Command;

fn daxkit(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(args)
        .env("DAXKIT_HOME", std::env::temp_dir().join("daxkit-cli-test"))
        .output()
        .expect("running daxkit");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn help_exits_0() {
    let (code, out, _) = daxkit(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Usage:"), "{out}");
    let (code, out, _) = daxkit(&["build", "--help"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("--fragment"), "{out}");
}

#[test]
fn version_exits_0() {
    let (code, out, _) = daxkit(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("daxkit "), "{out}");
}

#[test]
fn unknown_flag_exits_128() {
    let (code, _, err) = daxkit(&["build", "--no-such-flag"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(err.contains("--no-such-flag"), "{err}");
}

#[test]
fn missing_required_arg_exits_128() {
    let (code, _, err) = daxkit(&["bisect-step"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(err.contains("<PLAN>"), "{err}");
    let (code, _, err) = daxkit(&["report", "merge"]);
    assert_eq!(code, Some(128), "{err}");
}

#[test]
fn bad_value_and_unknown_subcommand_exit_128() {
    let (code, _, err) = daxkit(&["kernel", "fetch", "--version", "5.10"]);
    assert_eq!(code, Some(128), "{err}");
    assert!(err.contains("5.10"), "{err}");
    let (code, _, err) = daxkit(&["no-such-command"]);
    assert_eq!(code, Some(128), "{err}");
    // No subcommand at all: clap prints help to stderr; still a usage error.
    let (code, _, _) = daxkit(&[]);
    assert_eq!(code, Some(128));
}
