//! End-to-end tests of `daxkit run`: the real kernel in QEMU with the real
//! harness, checked through the exit code and the run folder.
//!
//! The kernel is the stock 6.12 one that `daxkit build` makes from
//! kernel-config/ (or `DAXKIT_TEST_BZIMAGE`). These tests are `#[ignore]`d
//! so that `cargo test` stays fast; the README's test command
//! (`-- --include-ignored`) runs them. They force `--accel tcg` except where the probe is the
//! point, so they behave the same on hosts with and without KVM.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

/// The kernel under test: `DAXKIT_TEST_BZIMAGE` if set, else the stock
/// 6.12 kernel with the default config, built (or taken from the cache)
/// by `daxkit build` once per test binary.
fn kernel() -> Option<PathBuf> {
    static KERNEL: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    Some(
        KERNEL
            .get_or_init(|| match std::env::var_os("DAXKIT_TEST_BZIMAGE") {
                Some(k) if !k.is_empty() => {
                    let k = PathBuf::from(k);
                    assert!(
                        k.is_file(),
                        "DAXKIT_TEST_BZIMAGE={} is not a file",
                        k.display()
                    );
                    k
                }
                _ => common::kernel(&[]),
            })
            .clone(),
    )
}

/// The image is built once per test binary into a shared home, then every
/// test gets its own home with `--image`, so runs never share a folder.
fn image() -> PathBuf {
    static IMAGE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    IMAGE.get_or_init(|| build_image(&[])).clone()
}

/// The image with the harness's test hooks (fault injection).
fn hooks_image() -> PathBuf {
    static IMAGE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    IMAGE.get_or_init(|| build_image(&["--test-hooks"])).clone()
}

fn build_image(extra: &[&str]) -> PathBuf {
    let home = std::env::temp_dir().join(format!(
        "daxkit-e2e-images{}-{}",
        extra.join(""),
        std::process::id()
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(["--quiet", "image"])
        .args(extra)
        .env("DAXKIT_HOME", &home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "daxkit image {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    dir: PathBuf,
    summary: Value,
    _home: tempfile::TempDir,
}

impl Run {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    fn records(&self) -> Vec<Value> {
        self.file("results.jsonl")
            .lines()
            .filter_map(|l| l.split_once("@daxkit "))
            .map(|(_, j)| serde_json::from_str(j).unwrap())
            .collect()
    }

    fn setup_ok(&self, step: &str) -> bool {
        self.records()
            .iter()
            .any(|r| r["type"] == "setup" && r["step"] == step && r["ok"] == true)
    }

    fn explain(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}\nsummary: {:#}\nconsole tail:\n{}",
            self.code,
            self.stdout,
            self.stderr,
            self.summary,
            self.file("console.log")
                .lines()
                .rev()
                .take(25)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

fn run(kernel: &Path, args: &[&str]) -> Run {
    run_with(kernel, &image(), args)
}

fn run_with(kernel: &Path, image: &Path, args: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .arg("run")
        .arg("--kernel")
        .arg(kernel)
        .arg("--image")
        .arg(image)
        .args(args)
        .env("DAXKIT_HOME", home.path())
        .output()
        .unwrap();
    let runs: Vec<PathBuf> = std::fs::read_dir(home.path().join("runs"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(runs.len(), 1, "expected one run folder: {runs:?}\n{stderr}");
    let dir = runs[0].clone();
    let summary = std::fs::read_to_string(dir.join("summary.json"))
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap_or(Value::Null);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        dir,
        summary,
        _home: home,
    }
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn nvdimm_boot_mounts_xfs_and_ext4_with_dax() {
    let Some(k) = kernel() else { return };
    let r = run(&k, &["--accel", "tcg"]);
    assert_eq!(r.summary["outcome"], "completed", "{}", r.explain());
    for step in [
        "dax dax-xfs",
        "dax dax-ext4",
        "mount dax-xfs",
        "mount dax-ext4",
    ] {
        assert!(
            r.setup_ok(step),
            "no successful setup {step:?}\n{}",
            r.explain()
        );
    }
    let recs = r.records();
    assert_eq!(recs.first().unwrap()["type"], "hello");
    assert_eq!(recs.last().unwrap()["type"], "done");
    assert!(
        r.summary["evidence"]["cases"].as_array().unwrap().len() > 2,
        "{}",
        r.explain()
    );
    // Stock 6.12 gets what every case expects, on two agreeing page-table
    // readers each, and the table was printed.
    assert_eq!(r.code, 0, "{}", r.explain());
    assert!(
        r.stdout
            .contains("page-table readers pagemap-scan and ptdump agree"),
        "{}",
        r.explain()
    );
    assert!(
        r.stdout.contains("xfs-aligned-shared-write"),
        "{}",
        r.explain()
    );
    // The run folder keeps what the issue asks for; the scratch is gone.
    for f in [
        "plan.json",
        "qemu.cmdline",
        "console.log",
        "results.jsonl",
        "summary.json",
    ] {
        assert!(r.dir.join(f).is_file(), "{f} missing");
    }
    assert!(!r.dir.join("nvdimm0.img").exists());
    assert!(r.file("qemu.cmdline").contains("nvdimm,id=nvdimm1"));
    assert!(r.summary["timings_ms"]["hello"].as_u64().unwrap() < 30_000);
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn memmap_boot_mounts_xfs_with_dax() {
    let Some(k) = kernel() else { return };
    let r = run(&k, &["--accel", "tcg", "--pmem", "memmap", "--fs", "xfs"]);
    assert_eq!(r.summary["outcome"], "completed", "{}", r.explain());
    assert!(r.setup_ok("dax dax-xfs"), "{}", r.explain());
    assert!(
        !r.setup_ok("mount dax-ext4"),
        "ext4 was not asked for\n{}",
        r.explain()
    );
    // The guest RAM layout we rely on: [1G, 3G) became legacy pmem.
    let console = r.file("console.log");
    assert!(
        console.contains("[mem 0x0000000040000000-0x00000000bfffffff] persistent (type 12)"),
        "{}",
        r.explain()
    );
    assert!(!r.file("qemu.cmdline").contains("nvdimm"));
    // The 4 KiB-namespace case cannot run on memmap pmem: the plan skips
    // it with the reason, its status is "skipped" (never ok), and a skip
    // by the plan leaves the run good (usable by bisect).
    let plan = r
        .records()
        .into_iter()
        .find(|x| x["type"] == "plan")
        .unwrap();
    assert_eq!(
        plan["skipped"][0]["name"],
        "xfs-4k-namespace",
        "{}",
        r.explain()
    );
    let skipped = r.summary["judgement"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "xfs-4k-namespace")
        .cloned()
        .unwrap();
    assert_eq!(skipped["status"], "skipped", "{}", r.explain());
    assert!(r.stdout.contains("skipped by the plan"), "{}", r.explain());
    assert_eq!(r.code, 0, "{}", r.explain());
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn kernel_panic_is_a_panic_outcome_with_the_console_tail() {
    let Some(k) = kernel() else { return };
    let r = run(
        &k,
        &["--accel", "tcg", "--fault", "kernel-panic", "--fs", "xfs"],
    );
    assert_eq!(r.summary["outcome"], "panic", "{}", r.explain());
    // After hello: the kernel died running the cases, which is "bad".
    assert_eq!(r.code, 1, "{}", r.explain());
    let tail = r.summary["detail"]["console_tail"].as_str().unwrap();
    assert!(
        tail.contains("Kernel panic - not syncing: sysrq triggered crash"),
        "{tail}"
    );
    assert!(r.stderr.contains("console tail"), "{}", r.explain());
    // QEMU ended with the guest (panic=-1 + -no-reboot), not by our kill
    // after the whole-run limit.
    assert!(r.summary["timings_ms"]["total"].as_u64().unwrap() < 60_000);
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn hang_is_a_silence_timeout() {
    let Some(k) = kernel() else { return };
    let r = run(
        &k,
        &[
            "--accel",
            "tcg",
            "--fault",
            "hang",
            "--fs",
            "xfs",
            "--silence-timeout",
            "4",
        ],
    );
    assert_eq!(r.summary["outcome"], "timeout", "{}", r.explain());
    assert_eq!(r.code, 125, "{}", r.explain());
    assert!(
        r.summary["detail"]["phase"]
            .as_str()
            .unwrap()
            .starts_with("silence after"),
        "{}",
        r.explain()
    );
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn no_hello_in_time_is_a_boot_timeout() {
    let Some(k) = kernel() else { return };
    // 0 s: the guest now says hello after ~1.0 s under TCG, so a 1 s limit
    // raced it (seen: hello at 1.012 s, before the watchdog's next poll).
    let r = run(&k, &["--accel", "tcg", "--boot-timeout", "0"]);
    assert_eq!(r.summary["outcome"], "timeout", "{}", r.explain());
    assert_eq!(r.summary["detail"]["phase"], "boot (no hello record)");
    assert_eq!(r.code, 125);
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn case_panic_is_an_error_record_and_a_bad_run() {
    let Some(k) = kernel() else { return };
    let r = run(
        &k,
        &["--accel", "tcg", "--fault", "case-panic", "--fs", "xfs"],
    );
    assert_eq!(r.summary["outcome"], "completed", "{}", r.explain());
    assert!(
        !r.summary["evidence"]["errors"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{}",
        r.explain()
    );
    assert_eq!(r.code, 1, "{}", r.explain());
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn qemu_refusing_the_kernel_is_qemu_failed() {
    let Some(_) = kernel() else { return };
    let bogus = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bogus.path(), b"not a kernel").unwrap();
    let r = run(bogus.path(), &["--accel", "tcg"]);
    assert_eq!(r.summary["outcome"], "qemu-failed", "{}", r.explain());
    assert_eq!(r.code, 125);
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn auto_accel_reports_its_choice() {
    let Some(k) = kernel() else { return };
    let r = run(&k, &["--accel", "auto", "--boot-timeout", "1"]);
    let reason = r.summary["accel_reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("auto: "), "{}", r.explain());
    assert!(r.dir.join("kvm-probe-console.log").exists() || reason.contains("/dev/kvm"));
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn panic_during_boot_cannot_test() {
    let Some(k) = kernel() else { return };
    // No such init: the kernel panics before the harness says hello.
    let r = run(
        &k,
        &["--accel", "tcg", "--append", "rdinit=/daxkit-no-such-init"],
    );
    assert_eq!(r.summary["outcome"], "panic", "{}", r.explain());
    assert_eq!(r.code, 125, "{}", r.explain());
    let what = r.summary["detail"]["what"].as_str().unwrap();
    assert!(what.starts_with("Kernel panic - not syncing: "), "{what}");
}

/// One aligned case, with a deliberate fault from the harness's test hooks.
fn hooked(fault: &str) -> Run {
    let k = kernel().unwrap();
    run_with(
        &k,
        &hooks_image(),
        &[
            "--accel",
            "tcg",
            "--case",
            "xfs-aligned-shared-write",
            "--fs",
            "xfs",
            "--fault",
            fault,
        ],
    )
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn signals_that_disagree_fail_the_run_with_each_signals_evidence() {
    let r = hooked("disagree");
    assert_eq!(r.code, 1, "{}", r.explain());
    assert!(r.stdout.contains("FAIL disagree"), "{}", r.explain());
    // Each signal's evidence is shown: the forced one and the readers.
    for s in ["trace=PTE (test hook", "pagemap-scan=PMD", "ptdump=PMD"] {
        assert!(r.stdout.contains(s), "{s}\n{}", r.explain());
    }
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn a_kernel_warning_fails_the_run_and_names_the_case() {
    let r = hooked("splat");
    assert_eq!(r.code, 1, "{}", r.explain());
    let splat = &r.summary["evidence"]["splats"][0];
    assert_eq!(splat["kind"], "warning", "{}", r.explain());
    assert_eq!(
        splat["case"],
        "xfs/xfs-aligned-shared-write",
        "{}",
        r.explain()
    );
    assert!(
        r.stdout.contains("kernel warning at console line")
            && r.stdout.contains("(xfs/xfs-aligned-shared-write)"),
        "{}",
        r.explain()
    );
    // The console excerpt comes with it.
    assert!(
        r.stdout
            .contains("daxkit: case start xfs/xfs-aligned-shared-write"),
        "{}",
        r.explain()
    );
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn a_missing_case_result_cannot_test() {
    let r = hooked("drop-result");
    assert_eq!(r.code, 125, "{}", r.explain());
    assert!(r.stdout.contains("?? missing"), "{}", r.explain());
    assert!(
        r.stdout.contains("planned, but no result came back"),
        "{}",
        r.explain()
    );
}

#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn repeats_boot_each_time_and_agree() {
    let Some(k) = kernel() else { return };
    let r = run(
        &k,
        &[
            "--accel",
            "tcg",
            "--case",
            "xfs-aligned-shared-write",
            "--fs",
            "xfs",
            "--repeat",
            "2",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.explain());
    for k in ["repeat-1", "repeat-2"] {
        assert!(
            r.dir.join(k).join("summary.json").is_file(),
            "{k}\n{}",
            r.explain()
        );
    }
}

/// Input errors are daxkit's (128), found before any boot or run folder.
#[test]
#[ignore = "e2e: needs the kernel built"]
fn input_errors_exit_128_before_booting() {
    let Some(k) = kernel() else { return };
    let k = k.to_str().unwrap();
    let home = tempfile::tempdir().unwrap();
    let daxkit = |args: &[&str], env: &[(&str, &str)]| {
        Command::new(env!("CARGO_BIN_EXE_daxkit"))
            .args(args)
            .env("DAXKIT_HOME", home.path())
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 3] = [
        (
            &["run", "--kernel", k, "--case", "no-such-case"],
            &[],
            "unknown case \"no-such-case\"",
        ),
        (
            &[
                "run",
                "--kernel",
                k,
                "--case",
                "xfs-aligned-shared-write",
                "--fs",
                "ext4",
            ],
            &[],
            "runs on xfs, which --fs ext4 leaves out",
        ),
        // A missing tool names the package that provides it.
        (
            &[
                "run",
                "--kernel",
                k,
                "--qemu",
                "/nonexistent/qemu-system-x86_64",
            ],
            &[("DAXKIT_NO_INSTALL", "1")],
            "qemu-system-x86",
        ),
    ];
    for (args, env, want) in cases {
        let o = daxkit(args, env);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(128), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(
            !home.path().join("runs").exists()
                || std::fs::read_dir(home.path().join("runs"))
                    .unwrap()
                    .next()
                    .is_none(),
            "{args:?} left a run folder"
        );
    }
}

/// The pid of a QEMU whose parent is `parent`, from /proc.
fn qemu_child_of(parent: u32) -> Option<i32> {
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) state ppid ...`; comm may hold spaces, not ')'.
        let (head, rest) = stat.rsplit_once(") ")?;
        let comm = head.split_once(" (")?.1;
        let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
        (ppid == parent && comm.starts_with("qemu-system")).then_some(pid)
    })
}

/// Alive and not a zombie.
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        let state = s.rsplit(')').next().unwrap_or("").trim_start();
        !state.starts_with('Z') && !state.starts_with('X')
    })
}

/// A SIGKILL of daxkit (nothing of daxkit runs then: no guard, no
/// handler) leaves no QEMU behind, through the parent-death signal.
#[test]
#[ignore = "e2e: boots the kernel in QEMU"]
fn qemu_dies_when_daxkit_is_killed() {
    use std::time::{Duration, Instant};
    let Some(k) = kernel() else { return };
    let home = tempfile::tempdir().unwrap();
    let mut daxkit = Command::new(env!("CARGO_BIN_EXE_daxkit"))
        .args(["run", "--accel", "tcg", "--kernel"])
        .arg(&k)
        .arg("--image")
        .arg(image())
        .env("DAXKIT_HOME", home.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Under way: QEMU is daxkit's child and the kernel writes the console.
    let start = Instant::now();
    let qemu = loop {
        let booting = std::fs::read_dir(home.path().join("runs"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|r| std::fs::metadata(r.path().join("console.log")).is_ok_and(|m| m.len() > 0));
        if let Some(q) = qemu_child_of(daxkit.id()).filter(|_| booting) {
            break q;
        }
        if let Some(s) = daxkit.try_wait().unwrap() {
            panic!("daxkit ended ({s}) before the boot was under way");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no booting QEMU under daxkit"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    daxkit.kill().unwrap(); // SIGKILL
    daxkit.wait().unwrap();
    let start = Instant::now();
    while alive(qemu) && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = alive(qemu);
    if left {
        // Do not leave it running for the next test.
        // SAFETY: kill(2) on the pid this test found.
        unsafe { libc::kill(qemu, libc::SIGKILL) };
    }
    assert!(
        !left,
        "QEMU (pid {qemu}) outlived the SIGKILLed daxkit by 2 s"
    );
}
