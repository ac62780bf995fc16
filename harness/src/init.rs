//! PID 1 in the daxkit guest: the boot sequence from the first mount to the
//! power-off, and the results port.
//!
//! [`main`] reads as the boot sequence. Nothing on this path may panic: a
//! panic in PID 1 is a kernel panic, and the host would see a dead guest
//! instead of a reason. So errors become error records, and the panic hook
//! (for bugs) sends one too, closes the stream and powers off.
//!
//! Results go to the second serial port (`/dev/ttyS1`, the host reads only
//! that one); diagnostics go to `/dev/kmsg`, i.e. the console on ttyS0.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Mutex, TryLockError};

use crate::protocol::{ErrorKind, Fault, Record, RunPlan, PLAN_PATH, PROTOCOL_VERSION};
use crate::report::{LineSink, Sink, Tally};
use crate::{kmsg, requirements, runner, sys};

/// A filesystem PID 1 mounts, and the option that provides it.
struct MountSpec {
    source: &'static str,
    target: &'static str,
    fstype: &'static str,
    flags: libc::c_ulong,
    config: &'static str,
}

const NOSUID_NODEV_NOEXEC: libc::c_ulong = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;

/// In order: each later mount point lives in an earlier filesystem.
const MOUNTS: &[MountSpec] = &[
    MountSpec {
        source: "proc",
        target: "/proc",
        fstype: "proc",
        flags: NOSUID_NODEV_NOEXEC,
        config: "CONFIG_PROC_FS",
    },
    MountSpec {
        source: "sysfs",
        target: "/sys",
        fstype: "sysfs",
        flags: NOSUID_NODEV_NOEXEC,
        config: "CONFIG_SYSFS",
    },
    MountSpec {
        source: "devtmpfs",
        target: "/dev",
        fstype: "devtmpfs",
        flags: libc::MS_NOSUID,
        config: "CONFIG_DEVTMPFS",
    },
    MountSpec {
        source: "debugfs",
        target: "/sys/kernel/debug",
        fstype: "debugfs",
        flags: NOSUID_NODEV_NOEXEC,
        config: "CONFIG_DEBUG_FS",
    },
    MountSpec {
        source: "tracefs",
        target: "/sys/kernel/tracing",
        fstype: "tracefs",
        flags: NOSUID_NODEV_NOEXEC,
        config: "CONFIG_TRACING (CONFIG_FTRACE)",
    },
];

/// The port the host reads results from.
pub const RESULTS_PORT: &str = "/dev/ttyS1";

/// The results port: a tty in raw mode (or, failing that, the console).
pub struct Port {
    file: File,
    path: &'static str,
}

impl Write for Port {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Port {
    fn open() -> Port {
        match open_tty(RESULTS_PORT) {
            Ok(file) => Port {
                file,
                path: RESULTS_PORT,
            },
            Err(e) => {
                kmsg::warn(&format!(
                    "cannot open results port {RESULTS_PORT}: {}; results go to the console \
                     (QEMU needs a second -serial)",
                    sys::errno_text(&e)
                ));
                let file = open_tty("/dev/console")
                    .or_else(|_| File::options().write(true).open("/dev/null"));
                match file {
                    Ok(file) => Port {
                        file,
                        path: "/dev/console",
                    },
                    Err(_) => power_off("no results port and no console"),
                }
            }
        }
    }

    /// Waits until every byte has left the UART.
    fn drain(&mut self) {
        let _ = self.file.flush();
        let _ = self.file.sync_all(); // EINVAL on a tty; harmless
        let _ = sys::tcdrain(self.file.as_raw_fd());
    }
}

fn open_tty(path: &str) -> io::Result<File> {
    let file = File::options()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(path)?;
    sys::make_raw(file.as_raw_fd())?;
    Ok(file)
}

static SINK: Mutex<Option<LineSink<Port>>> = Mutex::new(None);

/// The runner's view of the results port.
struct PortSink;

impl Sink for PortSink {
    fn send(&mut self, r: Record) {
        if let Some(s) = SINK.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            s.send(r);
        }
    }

    fn finish(&mut self) {
        if let Some(s) = SINK.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            s.finish();
            s.get_mut().drain();
        }
    }

    fn tally(&self) -> Tally {
        SINK.lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.tally())
            .unwrap_or_default()
    }
}

fn send(r: Record) {
    PortSink.send(r);
}

fn setup(step: &str, ok: bool, detail: String) {
    kmsg::log(&format!("{step}: {detail}"));
    send(Record::Setup {
        step: step.into(),
        ok,
        detail,
    });
}

fn error(message: String) {
    kmsg::warn(&message);
    send(Record::Error {
        case: None,
        kind: ErrorKind::Crashed,
        message,
    });
}

/// The boot sequence.
pub fn main() -> ! {
    install_panic_hook();
    let mounts = mount_all();
    ensure_stdio();
    kmsg::init();
    let port = open_results_port();
    say_hello(port);
    report_mounts(mounts);
    let plan = read_plan();
    inject_fault(plan.fault);
    check_requirements(&plan);
    runner::run_guest(&plan, &mut PortSink, runner::DEFAULT_TIMEOUT);
    shutdown();
}

/// A panic in PID 1 is a bug in the harness: report it, close the stream,
/// power off. Without this the kernel panics with "Attempted to kill init".
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = format!(
            "harness PID 1 panicked: {}",
            info.to_string().replace('\n', " ")
        );
        close_after_panic(&msg);
        power_off(&msg);
    }));
}

fn open_results_port() -> &'static str {
    kmsg::log(&format!("harness {} is PID 1", env!("CARGO_PKG_VERSION")));
    let port = Port::open();
    let path = port.path;
    *SINK.lock().unwrap_or_else(|p| p.into_inner()) = Some(LineSink::new(port));
    path
}

fn say_hello(port: &str) {
    send(Record::Hello {
        protocol: PROTOCOL_VERSION,
        kernel: sys::kernel_release(),
        cmdline: read_trimmed("/proc/cmdline"),
        harness: env!("CARGO_PKG_VERSION").into(),
    });
    setup(
        "boot",
        true,
        format!("uptime {} s at hello; results on {port}", uptime()),
    );
}

fn report_mounts(mounts: Vec<(&'static MountSpec, io::Result<()>)>) {
    for (m, res) in mounts {
        match res {
            Ok(()) => setup(
                &format!("mount {}", m.target),
                true,
                format!("{} on {} type {}", m.source, m.target, m.fstype),
            ),
            Err(e) => error(format!(
                "mount {} ({}): {} (enable {})",
                m.target,
                m.fstype,
                sys::errno_text(&e),
                m.config
            )),
        }
    }
}

/// The plan, or the end of the run if it cannot be read.
fn read_plan() -> RunPlan {
    match load_plan(Path::new(PLAN_PATH)) {
        Ok((plan, from)) => {
            let json = serde_json::to_string(&plan).unwrap_or_default();
            setup("plan", true, format!("{from}: {json}"));
            plan
        }
        Err(e) => {
            error(e);
            shutdown();
        }
    }
}

fn check_requirements(plan: &RunPlan) {
    for msg in requirements::missing(Path::new("/"), &requirements::wanted(plan)) {
        error(msg);
    }
}

fn mount_all() -> Vec<(&'static MountSpec, io::Result<()>)> {
    MOUNTS
        .iter()
        .map(|m| {
            let res = std::fs::create_dir_all(m.target)
                .and_then(|()| sys::mount(m.source, Path::new(m.target), m.fstype, m.flags, None))
                .or_else(|e| match e.raw_os_error() {
                    Some(libc::EBUSY) => Ok(()), // already mounted (devtmpfs automount)
                    _ => Err(e),
                });
            (m, res)
        })
        .collect()
}

/// The kernel opens /dev/console as fds 0-2 only if the initramfs has the
/// node; otherwise they are closed and the first file we open would become
/// stdin. Point them at the console now that devtmpfs is mounted.
fn ensure_stdio() {
    // SAFETY: fcntl(F_GETFD) only queries.
    let closed = (0..3).any(|fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1);
    if !closed {
        return;
    }
    if let Ok(c) = File::options().read(true).write(true).open("/dev/console") {
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard fds.
            unsafe { libc::dup2(c.as_raw_fd(), fd) };
        }
        if c.as_raw_fd() > 2 {
            drop(c);
        } else {
            std::mem::forget(c); // it is one of 0-2 now
        }
    }
}

/// The run plan: absent means defaults, unreadable is an error (running
/// the defaults instead would report results for a run nobody asked for).
pub fn load_plan(path: &Path) -> Result<(RunPlan, String), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(|p| (p, path.display().to_string()))
            .map_err(|e| format!("run plan {}: {e}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((
            RunPlan::default(),
            format!("{} absent, defaults", path.display()),
        )),
        Err(e) => Err(format!(
            "run plan {}: {}",
            path.display(),
            sys::errno_text(&e)
        )),
    }
}

fn inject_fault(fault: Option<Fault>) {
    match fault {
        // The runner does these.
        None | Some(Fault::CasePanic | Fault::Disagree | Fault::Splat | Fault::DropResult) => {}
        Some(Fault::KernelPanic) => {
            setup(
                "fault",
                true,
                "kernel-panic: echo c > /proc/sysrq-trigger".into(),
            );
            drain();
            sys::sync();
            if let Err(e) = std::fs::write("/proc/sysrq-trigger", "c") {
                error(format!(
                    "fault kernel-panic: writing /proc/sysrq-trigger: {} (enable CONFIG_MAGIC_SYSRQ)",
                    sys::errno_text(&e)
                ));
            }
        }
        Some(Fault::Hang) => {
            setup("fault", true, "hang: no more records, no power-off".into());
            drain();
            kmsg::warn("fault hang: sleeping forever");
            sys::pause_forever();
        }
    }
}

fn drain() {
    if let Some(s) = SINK.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        s.get_mut().drain();
    }
}

/// Closes the stream, flushes everything and powers off.
fn shutdown() -> ! {
    setup("end", true, format!("uptime {} s", uptime()));
    PortSink.finish();
    let t = PortSink.tally();
    sys::reap_zombies();
    kmsg::log(&format!(
        "done: {} cases, {} errors; uptime {} s; powering off",
        t.cases,
        t.errors,
        uptime()
    ));
    power_off("end of run");
}

/// Best effort from the panic hook: the lock may be held by the code that
/// panicked, in which case the record is lost but the kmsg line is not.
fn close_after_panic(msg: &str) {
    kmsg::warn(msg);
    let mut guard = match SINK.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => return,
    };
    if let Some(s) = guard.as_mut() {
        s.send(Record::Error {
            case: None,
            kind: ErrorKind::Crashed,
            message: msg.into(),
        });
        s.finish();
        s.get_mut().drain();
    }
}

fn power_off(why: &str) -> ! {
    sys::sync();
    let e = sys::power_off();
    kmsg::warn(&format!(
        "reboot(RB_POWER_OFF) failed ({why}): {}; exiting PID 1 instead",
        sys::errno_text(&e)
    ));
    // Exiting PID 1 panics the kernel; with panic=-1 and QEMU -no-reboot
    // the VM still ends instead of hanging.
    std::process::exit(1)
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn uptime() -> String {
    read_trimmed("/proc/uptime")
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_absent_is_defaults_garbled_is_an_error() {
        let dir = std::env::temp_dir().join(format!("daxkit-plan-{}", sys::getpid()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("plan.json");
        let (plan, from) = load_plan(&p).unwrap();
        assert_eq!(plan, RunPlan::default());
        assert!(from.ends_with("absent, defaults"));
        std::fs::write(
            &p,
            r#"{"cases":["a"],"pmem":"memmap","fault":"case-panic"}"#,
        )
        .unwrap();
        let (plan, _) = load_plan(&p).unwrap();
        assert_eq!(plan.cases, ["a"]);
        assert_eq!(plan.fault, Some(Fault::CasePanic));
        std::fs::write(&p, r#"{"pmem":"floppy"}"#).unwrap();
        assert!(load_plan(&p).unwrap_err().starts_with("run plan "));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn mount_table_is_ordered() {
        for (i, m) in MOUNTS.iter().enumerate() {
            for later in &MOUNTS[i + 1..] {
                assert!(
                    !Path::new(m.target).starts_with(later.target),
                    "{} must come after {}",
                    m.target,
                    later.target
                );
            }
        }
    }
}
