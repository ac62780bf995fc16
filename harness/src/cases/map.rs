//! Files and mappings for the workloads: create a file, place a mapping at
//! a chosen 2 MiB colour, touch every page of a range.
//!
//! A 2 MiB-aligned address comes from an oversized PROT_NONE reservation:
//! the file is mapped with MAP_FIXED inside it and the slack is unmapped,
//! so the VMA bounds are exactly what the case asked for.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const PAGE: u64 = 4096;
pub const PMD: u64 = 2 << 20;
pub const MIB: u64 = 1 << 20;

fn os_err(what: impl std::fmt::Display) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// How the file's blocks are provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alloc {
    /// `posix_fallocate` the whole size.
    Fallocate,
    /// `ftruncate` only: a sparse file, every block a hole.
    Sparse,
}

/// Creates (truncating) `path` of `size` bytes.
pub fn create(path: &Path, size: u64, alloc: Alloc) -> Result<OwnedFd, String> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: `c` is a valid NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
            0o644,
        )
    };
    if fd < 0 {
        return Err(os_err(format!("creating {}", path.display())));
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    match alloc {
        Alloc::Fallocate => {
            // SAFETY: plain syscall on a valid fd.
            let rc = unsafe { libc::posix_fallocate(fd.as_raw_fd(), 0, size as libc::off_t) };
            if rc != 0 {
                return Err(format!(
                    "posix_fallocate {} bytes on {}: {}",
                    size,
                    path.display(),
                    std::io::Error::from_raw_os_error(rc)
                ));
            }
        }
        Alloc::Sparse => {
            // SAFETY: plain syscall on a valid fd.
            if unsafe { libc::ftruncate(fd.as_raw_fd(), size as libc::off_t) } != 0 {
                return Err(os_err(format!("ftruncate {}", path.display())));
            }
        }
    }
    Ok(fd)
}

/// A file mapping, unmapped on drop.
pub struct Mapping {
    pub addr: u64,
    pub len: u64,
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the range this value mapped.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len as usize) };
    }
}

/// An address whose offset from a 2 MiB boundary is `colour`, with `len`
/// bytes free after it (kept reserved PROT_NONE until mapped over).
pub fn reserve(len: u64, colour: u64) -> Result<u64, String> {
    let total = len + 2 * PMD + colour;
    // SAFETY: a fresh anonymous PROT_NONE reservation; no memory is touched.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            total as usize,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(os_err("reserving address space"));
    }
    let base = base as u64;
    let addr = base.next_multiple_of(PMD) + colour;
    // SAFETY: both ranges lie inside the reservation made above.
    unsafe {
        if addr > base {
            libc::munmap(base as *mut libc::c_void, (addr - base) as usize);
        }
        let tail = addr + len;
        if base + total > tail {
            libc::munmap(tail as *mut libc::c_void, (base + total - tail) as usize);
        }
    }
    Ok(addr)
}

/// Maps `len` bytes of `fd` at file `offset` to exactly `addr`.
pub fn map_at(
    fd: &OwnedFd,
    addr: u64,
    len: u64,
    offset: u64,
    flags: libc::c_int,
) -> Result<Mapping, String> {
    // SAFETY: MAP_FIXED over our own reservation at `addr`; nothing else
    // lives there.
    let p = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            len as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            flags | libc::MAP_FIXED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(os_err(format!(
            "mmap {len:#x} bytes at {addr:#x}, file offset {offset:#x}, flags {flags:#x}"
        )));
    }
    Ok(Mapping { addr, len })
}

/// Maps `len` bytes of `fd` at `offset` so the address has 2 MiB `colour`.
pub fn map(
    fd: &OwnedFd,
    len: u64,
    offset: u64,
    colour: u64,
    flags: libc::c_int,
) -> Result<Mapping, String> {
    let addr = reserve(len, colour)?;
    map_at(fd, addr, len, offset, flags)
}

/// Writes one byte in every page of `[addr, addr + len)`.
pub fn write_pages(addr: u64, len: u64) {
    for a in (addr..addr + len).step_by(PAGE as usize) {
        // SAFETY: the caller mapped the range writable and shared or private.
        unsafe { std::ptr::write_volatile(a as *mut u8, 0x5a) };
    }
}

/// Reads one byte from every page of `[addr, addr + len)`; returns their sum.
pub fn read_pages(addr: u64, len: u64) -> u64 {
    let mut sum = 0u64;
    for a in (addr..addr + len).step_by(PAGE as usize) {
        // SAFETY: the caller mapped the range readable.
        sum += u64::from(unsafe { std::ptr::read_volatile(a as *const u8) });
    }
    sum
}

pub fn madvise(addr: u64, len: u64, advice: libc::c_int) -> Result<(), String> {
    // SAFETY: advice on a range this process mapped.
    if unsafe { libc::madvise(addr as *mut libc::c_void, len as usize, advice) } != 0 {
        return Err(os_err(format!("madvise {advice} on {addr:#x}+{len:#x}")));
    }
    Ok(())
}

/// `prctl(PR_SET_THP_DISABLE, 1)`: THP off for this whole process.
pub fn disable_thp() -> Result<(), String> {
    // SAFETY: plain prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) } != 0 {
        return Err(os_err("prctl(PR_SET_THP_DISABLE)"));
    }
    Ok(())
}

/// Page faults taken by this process so far, minor and major: a DAX fault
/// that allocates blocks (IOMAP_F_NEW, e.g. converting a preallocated
/// unwritten extent) is counted as major, so minor faults alone miss the
/// PTE faults of a fresh file.
pub fn faults() -> u64 {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    (ru.ru_minflt + ru.ru_majflt) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_gives_the_colour() {
        for colour in [0, PAGE, MIB] {
            let a = reserve(4 * MIB, colour).unwrap();
            assert_eq!(a % PMD, colour);
            // SAFETY: the reservation made above.
            unsafe { libc::munmap(a as *mut libc::c_void, (4 * MIB) as usize) };
        }
    }
}
