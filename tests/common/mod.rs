//! Shared helpers for the end-to-end tests: run the real `daxkit` binary
//! against the real cache, and build each kernel once per test binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The cache e2e tests use: the one `daxkit` itself picks when started in
/// the checkout (src/home.rs: `$DAXKIT_HOME`, the checkout's `.daxkit` if
/// there is one, else `$XDG_CACHE_HOME/daxkit` or `~/.cache/daxkit`), so the
/// kernels the README's main job built are reused, not rebuilt.
pub fn home() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(h) = var("DAXKIT_HOME") {
        return h;
    }
    let local = repo_root().join(".daxkit");
    if local.is_dir() {
        return local;
    }
    match var("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        Some(x) => x.join("daxkit"),
        None => var("HOME").expect("HOME is set").join(".cache/daxkit"),
    }
}

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn daxkit(args: &[&str]) -> Output {
    daxkit_env(args, &[])
}

pub fn daxkit_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(args)
        .env("DAXKIT_HOME", home())
        .envs(env.iter().copied())
        .current_dir(repo_root())
        .output()
        .expect("running daxkit")
}

/// A host tool a test runs itself (chromium, distccd), installed the way
/// daxkit installs what it lacks (root with apt, unless DAXKIT_NO_INSTALL),
/// else the test fails naming the package: `daxkit require-tool`.
pub fn require_tool(tool: &str) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(["require-tool", tool])
        .output()
        .expect("running daxkit require-tool");
    assert!(
        o.status.success(),
        "this test needs `{tool}`:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// One kernel build at a time per test binary (the build dir is shared;
/// daxkit's own lock would serialize too, but this keeps output readable).
static BUILD: Mutex<()> = Mutex::new(());

/// Held by every test that moves the shared worktree or build dir.
pub fn tree_lock() -> std::sync::MutexGuard<'static, ()> {
    BUILD.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds the default-config kernel for `args` (e.g. `[]` for stock 6.12,
/// `["tests/fixtures/series/eof-comment"]`) and returns its bzImage.
pub fn kernel(args: &[&str]) -> PathBuf {
    let _g = tree_lock();
    kernel_locked(args)
}

/// [`kernel`] for a test that already holds [`tree_lock`].
pub fn kernel_locked(args: &[&str]) -> PathBuf {
    let mut a = vec!["build", "--quiet"];
    a.extend_from_slice(args);
    let o = daxkit(&a);
    assert!(o.status.success(), "daxkit {a:?} failed:\n{}", text(&o));
    let path = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(
        path.is_file(),
        "daxkit build printed {path:?}, which is not a file"
    );
    path
}

/// `git -C dir ARGS` with a fixed identity (fixture trees); stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Fix Ture")
        .env("GIT_AUTHOR_EMAIL", "fix@example.org")
        .env("GIT_COMMITTER_NAME", "Fix Ture")
        .env("GIT_COMMITTER_EMAIL", "fix@example.org")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The commits of `tree` after `base` as `git format-patch --base=base`
/// output in `out` (a series folder); `tree` goes back to `base`.
pub fn series_of(tree: &Path, base: &str, out: &Path) {
    git(
        tree,
        &[
            "format-patch",
            "-q",
            &format!("--base={base}"),
            "-o",
            out.to_str().unwrap(),
            &format!("{base}..HEAD"),
        ],
    );
    git(tree, &["reset", "-q", "--hard", base]);
}
