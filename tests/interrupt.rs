//! SIGINT sent to the daxkit process alone (`timeout -s INT`, a CI cancel,
//! systemd) stops the running command's whole process tree and exits 130.
//! The long child is a fixture tree's `make allnoconfig` (what `daxkit
//! config` runs) that starts a shell which starts a `sleep`: no kernel.

mod common;
use common::git;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Alive and not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => false,
    }
}

fn read_pid(p: &Path) -> Option<i32> {
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

#[test]
fn sigint_to_daxkit_alone_stops_make_and_its_jobs_and_exits_130() {
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("linux");
    std::fs::create_dir_all(&tree).unwrap();
    git(t.path(), &["init", "-q", "-b", "master", "linux"]);
    std::fs::write(
        tree.join("Makefile"),
        "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\nEXTRAVERSION =\n\
         allnoconfig:\n\
         \t@echo started\n\
         \tsh -c 'echo $$$$ > \"$$PIDDIR/sh.pid\"; sleep 300 & echo $$! > \"$$PIDDIR/sleep.pid\"; wait'\n",
    )
    .unwrap();
    git(&tree, &["add", "."]);
    git(&tree, &["commit", "-qm", "base"]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(["config", "--no-rust", "--tree"])
        .arg(&tree)
        .env("DAXKIT_HOME", t.path().join("home"))
        .env("PIDDIR", t.path())
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sleep_pid = t.path().join("sleep.pid");
    let start = Instant::now();
    while read_pid(&sleep_pid).is_none() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "daxkit ended ({status}) before make started:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "make never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pids = [
        read_pid(&t.path().join("sh.pid")).unwrap(),
        read_pid(&sleep_pid).unwrap(),
    ];
    // SIGINT to daxkit alone, not to its process group.
    // SAFETY: plain kill(2) on our child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(30) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let still: Vec<i32> = pids.iter().copied().filter(|p| alive(*p)).collect();
    for p in pids.iter().chain([&(child.id() as i32)]) {
        // Leave nothing behind whatever happened.
        unsafe { libc::kill(*p, libc::SIGKILL) };
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let status =
        status.unwrap_or_else(|| panic!("daxkit still running 30 s after SIGINT:\n{stderr}"));
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        still.is_empty(),
        "still running after daxkit exited: {still:?}\n{stderr}"
    );
}
