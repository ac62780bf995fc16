//! Choosing the accelerator: `--accel kvm|tcg` as asked, or `auto`: a short
//! KVM probe boot of the kernel, falling back to TCG when it fails. On some
//! hosts /dev/kvm is there but KVM is not usable (`-cpu host` aborting on
//! an MSR, named models hanging silently), so only a boot tells.
//!
//! The probe runs at most once per daxkit process (a bisect boots many
//! kernels) and its verdict, with the reason, is reported with the run.

use super::launch::QemuGuard;
use super::plan::{self, Accel};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

static PROBED: Mutex<Option<Choice>> = Mutex::new(None);

/// Resolves `--accel`. `scratch` is the run folder (the probe's console
/// log stays there as evidence).
pub fn choose(arg: AccelArg, qemu: &Path, kernel: &Path, scratch: &Path) -> Choice {
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
            let c = probe(qemu, kernel, scratch);
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
        );
        assert_eq!(c.accel, Accel::Tcg);
        let c = choose(
            AccelArg::Kvm,
            Path::new("/nonexistent-qemu"),
            Path::new("/k"),
            Path::new("/tmp"),
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
}
