//! Picking a PMD-capable file offset from the file's extents (FIEMAP).
//!
//! A DAX PMD needs the 2 MiB of file at a 2 MiB-aligned offset to be one
//! extent starting on a 2 MiB-aligned device block (`dax_iomap_direct_access`
//! rejects a misaligned pfn). xfs with `su=2m` lays files out that way;
//! ext4 may not, so its cases look for such an extent first, as ndctl's
//! dax-pmd test does. [`pick`] is pure; [`extents`] does the ioctl.

use super::map::PMD;

/// One extent, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub logical: u64,
    pub physical: u64,
    pub length: u64,
    pub flags: u32,
}

/// The first 2 MiB-aligned file offset whose 2 MiB lie in one extent that
/// is 2 MiB-aligned on the device. Physical offsets are relative to the
/// block device, whose start is 2 MiB-aligned on a 2 MiB fsdax namespace.
pub fn pick(extents: &[Extent]) -> Option<u64> {
    extents.iter().find_map(|e| {
        let mut l = e.logical.next_multiple_of(PMD);
        while l + PMD <= e.logical + e.length {
            if (e.physical + (l - e.logical)) % PMD == 0 {
                return Some(l);
            }
            l += PMD;
        }
        None
    })
}

/// Renders extents for an error message.
pub fn describe(extents: &[Extent]) -> String {
    extents
        .iter()
        .map(|e| {
            format!(
                "logical {:#x} physical {:#x} length {:#x}",
                e.logical, e.physical, e.length
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The file's extents (up to 64).
#[cfg(feature = "guest")]
pub fn extents(fd: &std::os::fd::OwnedFd) -> Result<Vec<Extent>, String> {
    use std::os::fd::AsRawFd;
    const MAX: usize = 64;
    // struct fiemap (32 bytes) followed by struct fiemap_extent[MAX] (56 bytes each).
    #[repr(C)]
    struct Fiemap {
        start: u64,
        length: u64,
        flags: u32,
        mapped_extents: u32,
        extent_count: u32,
        reserved: u32,
        extents: [[u64; 7]; MAX],
    }
    const FIEMAP_FLAG_SYNC: u32 = 1;
    // _IOWR('f', 11, struct fiemap)
    const FS_IOC_FIEMAP: u64 = 0xc020_660b;
    let mut m = Fiemap {
        start: 0,
        length: u64::MAX,
        flags: FIEMAP_FLAG_SYNC,
        mapped_extents: 0,
        extent_count: MAX as u32,
        reserved: 0,
        extents: [[0; 7]; MAX],
    };
    // SAFETY: `m` is a struct fiemap with room for `extent_count` extents.
    if unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_FIEMAP as _, &mut m as *mut Fiemap) } != 0 {
        return Err(format!(
            "FS_IOC_FIEMAP: {}",
            std::io::Error::last_os_error()
        ));
    }
    // struct fiemap_extent: fe_logical, fe_physical, fe_length, 2 x u64
    // reserved, then u32 fe_flags and 3 x u32 reserved.
    Ok(m.extents[..m.mapped_extents as usize]
        .iter()
        .map(|e| Extent {
            logical: e[0],
            physical: e[1],
            length: e[2],
            flags: (e[5] & 0xffff_ffff) as u32,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    const M: u64 = 1 << 20;

    fn x(logical: u64, physical: u64, length: u64) -> Extent {
        Extent {
            logical,
            physical,
            length,
            flags: 0,
        }
    }

    #[test]
    fn picks_aligned_extents() {
        assert_eq!(pick(&[x(0, 4 * M, 4 * M)]), Some(0));
        // Physical colour 1 MiB off: the aligned chunk starts 1 MiB later
        // in the device, which is 3 MiB into the file: not a file PMD.
        assert_eq!(pick(&[x(0, 5 * M, 8 * M)]), None);
        assert_eq!(
            pick(&[x(0, 5 * M, 3 * M), x(3 * M, 9 * M, 5 * M)]),
            Some(4 * M)
        );
        assert_eq!(pick(&[x(0, 4 * M, 2 * M - 4096)]), None);
        assert_eq!(pick(&[]), None);
    }
}
