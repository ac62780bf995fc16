//! Small, safe wrappers over the few syscalls the guest runtime needs.
//!
//! Every wrapper turns a `-1` return into an [`io::Error`] carrying errno,
//! so callers can attach the object they were working on (a sysfs path, a
//! device, a mount point). Nothing here decides policy: no retries, no
//! logging, no panics.
//!
//! These are the runtime's shared syscalls (mount, reboot, the console's
//! termios, statx, fallocate, FIEMAP, reaping). The FFI that belongs to one
//! piece sits beside it: fork, pipe, poll and waitpid in `child.rs`; open,
//! mmap, madvise, prctl and the volatile touches of a mapping in
//! `cases/map.rs`; FIEMAP of a case in
//! `cases/fiemap.rs`; the PAGEMAP_SCAN ioctl in `signals/pagemap_scan.rs`;
//! statx in `signals/probe.rs`; the stdio fds of PID 1 in `init.rs`.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `STATX_ATTR_DAX` from `include/uapi/linux/stat.h` (Linux 5.8+): the file
/// is in the DAX state, its mmaps map device memory directly.
pub const STATX_ATTR_DAX: u64 = 0x0020_0000;

fn cstr(s: impl AsRef<OsStr>) -> io::Result<CString> {
    CString::new(s.as_ref().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

pub fn getpid() -> u32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    unsafe { libc::getpid() as u32 }
}

/// mount(2). `data` is the filesystem's option string (`dax=always`).
pub fn mount(
    source: &str,
    target: &Path,
    fstype: &str,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let (src, tgt, fst) = (cstr(source)?, cstr(target)?, cstr(fstype)?);
    let data = data.map(cstr).transpose()?;
    let data_ptr = data
        .as_ref()
        .map_or(std::ptr::null(), |d| d.as_ptr() as *const libc::c_void);
    // SAFETY: all pointers are valid NUL-terminated strings (or null data).
    check(unsafe { libc::mount(src.as_ptr(), tgt.as_ptr(), fst.as_ptr(), flags, data_ptr) })?;
    Ok(())
}

pub fn umount(target: &Path) -> io::Result<()> {
    let tgt = cstr(target)?;
    // SAFETY: valid NUL-terminated path.
    check(unsafe { libc::umount2(tgt.as_ptr(), 0) })?;
    Ok(())
}

/// Flushes every filesystem. Cannot fail.
pub fn sync() {
    // SAFETY: no preconditions.
    unsafe { libc::sync() }
}

/// reboot(RB_POWER_OFF). Returns only on failure.
pub fn power_off() -> io::Error {
    // SAFETY: no memory is passed; the call either powers off or fails.
    unsafe { libc::reboot(libc::RB_POWER_OFF) };
    io::Error::last_os_error()
}

/// `uname -r`.
pub fn kernel_release() -> String {
    // SAFETY: utsname is plain old data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return "unknown".into();
    }
    let bytes: Vec<u8> = u
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What `statx(2)` says about a file's DAX state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaxAttr {
    /// The kernel reports the DAX attribute for this file at all.
    pub supported: bool,
    /// The file is DAX.
    pub dax: bool,
}

pub fn statx_dax(path: &Path) -> io::Result<DaxAttr> {
    let p = cstr(path)?;
    // SAFETY: statx is plain old data; the kernel fills it.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: valid path and buffer.
    check(unsafe {
        libc::statx(
            libc::AT_FDCWD,
            p.as_ptr(),
            libc::AT_STATX_SYNC_AS_STAT,
            libc::STATX_BASIC_STATS,
            &mut st,
        )
    })?;
    Ok(DaxAttr {
        supported: st.stx_attributes_mask & STATX_ATTR_DAX != 0,
        dax: st.stx_attributes & STATX_ATTR_DAX != 0,
    })
}

/// statfs(2) `f_type`: which filesystem a path lives on.
pub fn fs_magic(path: &Path) -> io::Result<u64> {
    let p = cstr(path)?;
    // SAFETY: statfs is plain old data.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid path and buffer.
    check(unsafe { libc::statfs(p.as_ptr(), &mut st) })?;
    Ok(st.f_type as u64)
}

/// posix_fallocate(3) on an open file.
pub fn fallocate(fd: &impl AsRawFd, len: u64) -> io::Result<()> {
    // SAFETY: plain syscall on a valid fd.
    let rc = unsafe { libc::posix_fallocate(fd.as_raw_fd(), 0, len as libc::off_t) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

/// One extent from FIEMAP: where a file range sits on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub logical: u64,
    pub physical: u64,
    pub length: u64,
}

/// FS_IOC_FIEMAP for the first `max` extents (after syncing the file).
pub fn fiemap(fd: &impl AsRawFd, max: usize) -> io::Result<Vec<Extent>> {
    const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;
    const FIEMAP_FLAG_SYNC: u32 = 1;
    // struct fiemap (32 bytes) followed by `max` struct fiemap_extent (56
    // bytes), as u64 words; the u32 pairs are split little-endian (x86).
    let mut buf = vec![0u64; 4 + 7 * max];
    buf[1] = u64::MAX; // fm_length
    buf[2] = u64::from(FIEMAP_FLAG_SYNC); // fm_flags (low half), fm_mapped_extents (high)
    buf[3] = max as u64; // fm_extent_count (low half), fm_reserved (high)
                         // SAFETY: the buffer is large enough for the header and `max` extents.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_FIEMAP as _, buf.as_mut_ptr()) })?;
    let mapped = (buf[2] >> 32) as usize;
    Ok((0..mapped.min(max))
        .map(|i| {
            let e = &buf[4 + 7 * i..];
            Extent {
                logical: e[0],
                physical: e[1],
                length: e[2],
            }
        })
        .collect())
}

/// Puts a tty into raw mode: no echo, no CR/LF translation (ONLCR would
/// turn our `\n` into `\r\n`), no signals, 8 bits. Protocol lines must reach
/// the host byte for byte.
pub fn make_raw(fd: RawFd) -> io::Result<()> {
    // SAFETY: termios is plain old data; tcgetattr fills it.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: valid fd and buffer.
    check(unsafe { libc::tcgetattr(fd, &mut t) })?;
    // SAFETY: valid termios.
    unsafe { libc::cfmakeraw(&mut t) };
    // SAFETY: valid termios; speed constant.
    unsafe {
        libc::cfsetispeed(&mut t, libc::B115200);
        libc::cfsetospeed(&mut t, libc::B115200);
    }
    t.c_cflag |= libc::CLOCAL;
    // SAFETY: valid fd and termios.
    check(unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) })?;
    Ok(())
}

/// Waits until everything written to a tty has been transmitted.
pub fn tcdrain(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain syscall on an fd.
    check(unsafe { libc::tcdrain(fd) })?;
    Ok(())
}

/// Reaps every exited child without blocking (PID 1 inherits orphans).
/// Returns how many were reaped.
pub fn reap_zombies() -> usize {
    let mut n = 0;
    loop {
        let mut status = 0;
        // SAFETY: valid status pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            return n;
        }
        n += 1;
    }
}

/// Blocks forever (used by the `hang` fault).
pub fn pause_forever() -> ! {
    loop {
        // SAFETY: no preconditions.
        unsafe { libc::pause() };
    }
}

/// Human name of a signal number.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_owned()
}

/// Short errno description for reports: `EBUSY (os error 16)` style.
pub fn errno_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!("{} ({e})", errno_name(n)),
        None => e.to_string(),
    }
}

fn errno_name(n: i32) -> &'static str {
    match n {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ENOSYS => "ENOSYS",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ENOTTY => "ENOTTY",
        _ => "errno",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_text_names_the_errno() {
        let e = io::Error::from_raw_os_error(libc::EBUSY);
        assert!(errno_text(&e).starts_with("EBUSY ("), "{}", errno_text(&e));
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(64), "signal 64");
    }

    #[test]
    fn fiemap_on_a_regular_file() {
        // tmpfs has no FIEMAP; only check the call is well-formed where it
        // is supported (ext4/xfs CI hosts), and that errors are errors.
        let dir = std::env::temp_dir().join(format!("daxkit-fiemap-{}", getpid()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = std::fs::File::create(dir.join("f")).unwrap();
        fallocate(&f, 1 << 20).unwrap();
        if let Ok(ext) = fiemap(&f, 4) {
            assert!(ext.iter().map(|e| e.length).sum::<u64>() >= 1 << 20 || ext.is_empty());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
