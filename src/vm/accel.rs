//! Choosing the accelerator: `--accel kvm|tcg` as asked, or `auto`: a short
//! KVM probe boot of the kernel, falling back to TCG when it fails. On some
//! hosts /dev/kvm is there but KVM is not usable (`-cpu host` aborting on
//! an MSR, named models hanging silently), so only a boot tells.
//!
//! The probe runs at most once per daxkit process, and its verdict is also
//! kept in the cache (`accel-probe.json`) for as long as the host stays up
//! with the same QEMU binary: `git bisect run daxkit ...` starts one daxkit
//! per step, and 5 s of probing per step would double a TCG boot. The
//! verdict, with its reason, is reported with every run.

use super::launch::QemuGuard;
use super::plan::{self, Accel};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which accelerator to ask for (`--accel`): `Auto` probes KVM. Stored
/// (`bisect.json`) as `auto`, `kvm`, `tcg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccelArg {
    Auto,
    Kvm,
    Tcg,
}

/// The accelerator used and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub accel: Accel,
    pub reason: String,
}

/// How long the probe boot may take. A minimal kernel reaches its
/// "no root fs" panic in well under a second under KVM (TCG: ~1.5 s); a
/// broken KVM either aborts at once or hangs forever.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(4);

static PROBED: Mutex<Option<Choice>> = Mutex::new(None);

/// What the on-disk verdict is valid for: this boot of the host (KVM
/// modules, firmware settings) and this QEMU binary.
pub fn host_key(qemu: &Path) -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let qemu = crate::exec::find_tool(&qemu.to_string_lossy()).unwrap_or_else(|| qemu.to_owned());
    let meta = std::fs::metadata(&qemu).ok();
    let stamp = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "boot {} qemu {} {} bytes mtime {stamp}",
        boot.trim(),
        qemu.display(),
        meta.map(|m| m.len()).unwrap_or(0)
    )
}

/// The verdict kept in `file` for this host boot and `qemu`, if any
/// (what `daxkit doctor` reports without probing).
pub fn cached_verdict(file: &Path, qemu: &Path) -> Option<Choice> {
    load_cached(file, &host_key(qemu))
}

fn load_cached(file: &Path, key: &str) -> Option<Choice> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).ok()?).ok()?;
    if v["key"] != key {
        return None;
    }
    let accel = match v["accel"].as_str()? {
        "kvm" => Accel::Kvm,
        "tcg" => Accel::Tcg,
        _ => return None,
    };
    Some(Choice {
        accel,
        reason: format!("{} (cached in {})", v["reason"].as_str()?, file.display()),
    })
}

fn store_cached(file: &Path, key: &str, c: &Choice) {
    let v = serde_json::json!({"key": key, "accel": c.accel.name(), "reason": c.reason});
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, v.to_string()).is_ok() {
        let _ = std::fs::rename(&tmp, file);
    }
}

/// Resolves `--accel`. `scratch` is the run folder (the probe's console
/// log stays there as evidence); `cache` the on-disk verdict file, if any.
pub fn choose(
    arg: AccelArg,
    qemu: &Path,
    kernel: &Path,
    scratch: &Path,
    cache: Option<&Path>,
) -> Choice {
    match arg {
        AccelArg::Kvm => Choice {
            accel: Accel::Kvm,
            reason: "--accel kvm".into(),
        },
        AccelArg::Tcg => Choice {
            accel: Accel::Tcg,
            reason: "--accel tcg".into(),
        },
        AccelArg::Auto => {
            let mut cached = PROBED.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = cached.as_ref() {
                return Choice {
                    accel: c.accel,
                    reason: format!("{} (probed earlier in this daxkit run)", c.reason),
                };
            }
            let key = host_key(qemu);
            if let Some(c) = cache.and_then(|f| load_cached(f, &key)) {
                *cached = Some(c.clone());
                return c;
            }
            let c = probe(qemu, kernel, scratch);
            if let Some(f) = cache {
                store_cached(f, &key, &c);
            }
            *cached = Some(c.clone());
            c
        }
    }
}

fn tcg(why: String) -> Choice {
    Choice {
        accel: Accel::Tcg,
        reason: format!("auto: TCG, {why}"),
    }
}

/// What a probe console must show: the kernel ran up to looking for its
/// root filesystem (no initrd given), which needs working CPU, timer and
/// interrupts under KVM.
pub fn probe_console_ok(console: &str) -> bool {
    console.contains("Linux version")
        && (console.contains("VFS: Unable to mount root fs")
            || console.contains("Kernel panic - not syncing")
            || console.contains("Run /init as init process"))
}

pub fn probe(qemu: &Path, kernel: &Path, scratch: &Path) -> Choice {
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        return tcg(format!("/dev/kvm not usable ({e})"));
    }
    let console = scratch.join("kvm-probe-console.log");
    let log = scratch.join("kvm-probe-qemu.log");
    let _ = std::fs::write(&console, "");
    let cmd = plan::probe_plan(qemu, kernel, &console);
    let start = Instant::now();
    let mut q = match QemuGuard::spawn(&cmd, &log) {
        Ok(q) => q,
        Err(e) => return tcg(format!("KVM probe could not start QEMU: {e:#}")),
    };
    let status = loop {
        if let Some(s) = q.try_wait() {
            break Some(s);
        }
        if start.elapsed() > PROBE_TIMEOUT || crate::exec::interrupted() {
            q.kill();
            break None;
        }
        // A probe that already reached the panic has answered.
        if probe_console_ok(&std::fs::read_to_string(&console).unwrap_or_default()) {
            q.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let text = std::fs::read_to_string(&console).unwrap_or_default();
    if probe_console_ok(&text) {
        return Choice {
            accel: Accel::Kvm,
            reason: format!(
                "auto: KVM (probe boot reached the root-fs panic in {:.1} s)",
                took.as_secs_f64()
            ),
        };
    }
    match status {
        Some(s) => {
            let qlog = std::fs::read_to_string(&log).unwrap_or_default();
            let last = qlog
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output");
            tcg(format!("KVM probe boot failed ({s}: {last})"))
        }
        None => tcg(format!(
            "KVM probe boot showed no progress in {} s (console: {} bytes)",
            PROBE_TIMEOUT.as_secs(),
            text.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_console_verdicts() {
        let ok = "[    0.000000] Linux version 6.12.117 ...\n[    0.9] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n";
        assert!(probe_console_ok(ok));
        assert!(!probe_console_ok(""));
        assert!(!probe_console_ok("[    0.000000] Linux version 6.12.117\n"));
    }

    #[test]
    fn explicit_choices_do_not_probe() {
        let c = choose(
            AccelArg::Tcg,
            Path::new("/nonexistent-qemu"),
            Path::new("/k"),
            Path::new("/tmp"),
            None,
        );
        assert_eq!(c.accel, Accel::Tcg);
        let c = choose(
            AccelArg::Kvm,
            Path::new("/nonexistent-qemu"),
            Path::new("/k"),
            Path::new("/tmp"),
            None,
        );
        assert_eq!(c.accel, Accel::Kvm);
    }

    #[test]
    fn probe_that_cannot_start_qemu_falls_back_to_tcg() {
        let dir = tempfile::tempdir().unwrap();
        let c = probe(Path::new("/nonexistent-qemu"), Path::new("/k"), dir.path());
        assert_eq!(c.accel, Accel::Tcg);
        assert!(c.reason.starts_with("auto: TCG"), "{}", c.reason);
    }

    #[test]
    fn verdict_cache_is_keyed_by_host_and_qemu() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("accel-probe.json");
        let key = host_key(Path::new("qemu-system-x86_64"));
        assert!(key.contains("boot ") && key.contains("bytes"), "{key}");
        let c = Choice {
            accel: Accel::Kvm,
            reason: "auto: KVM (probe)".into(),
        };
        store_cached(&f, &key, &c);
        let back = load_cached(&f, &key).unwrap();
        assert_eq!(back.accel, Accel::Kvm);
        assert!(
            back.reason.starts_with("auto: KVM (probe) (cached in"),
            "{}",
            back.reason
        );
        assert!(load_cached(&f, "another boot").is_none());
        assert!(load_cached(&dir.path().join("none"), &key).is_none());
    }
}
