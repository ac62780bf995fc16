//! Diagnostics to the kernel log (`/dev/kmsg`), so they interleave with the
//! kernel's own messages on the console with one clock.
//!
//! PID 1 calls [`init`] once /dev is mounted; before that [`log`] writes to
//! stderr (the console). The CLI calls [`silence`] unless asked to be
//! verbose: its output is the result table.

use crate::protocol::KMSG_PREFIX;
use std::fs::File;
use std::io::Write;
use std::sync::OnceLock;

enum Target {
    Kmsg(File),
    Off,
}

static KMSG: OnceLock<Target> = OnceLock::new();

/// Opens /dev/kmsg and lifts the userspace printk rate limit (default
/// `ratelimit` drops all but ~10 lines per 5 s, which would eat a run's log).
pub fn init() {
    let _ = std::fs::write("/proc/sys/kernel/printk_devkmsg", "on\n");
    if let Ok(f) = std::fs::OpenOptions::new().write(true).open("/dev/kmsg") {
        let _ = KMSG.set(Target::Kmsg(f));
    }
}

/// Drops all diagnostics.
pub fn silence() {
    let _ = KMSG.set(Target::Off);
}

/// One line at KERN_INFO (`warn` = KERN_WARNING), prefixed [`KMSG_PREFIX`].
fn emit(level: u8, msg: &str) {
    for line in msg.lines() {
        match KMSG.get() {
            // One write(2) per record: /dev/kmsg takes a record per write.
            Some(Target::Kmsg(f)) => {
                let mut f: &File = f;
                let _ = f.write_all(format!("<{level}>{KMSG_PREFIX}{line}\n").as_bytes());
            }
            Some(Target::Off) => {}
            None => eprintln!("{KMSG_PREFIX}{line}"),
        }
    }
}

pub fn log(msg: &str) {
    emit(6, msg);
}

pub fn warn(msg: &str) {
    emit(4, msg);
}
