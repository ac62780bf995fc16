//! The `pagemap-scan` signal: the PAGEMAP_SCAN ioctl on /proc/self/pagemap
//! (Linux 6.7+, no root needed).
//!
//! The kernel reports runs of pages with their category bits; a PMD-mapped
//! run has `PAGE_IS_PRESENT | PAGE_IS_HUGE`, a PTE-mapped one
//! `PAGE_IS_PRESENT` only. `PAGE_IS_FILE` is not set for DAX (no struct
//! page refcount path), so it is not asked for. The uapi structs are
//! defined here because Debian 12's libc headers predate them; values are
//! from include/uapi/linux/fs.h of 6.12. An old kernel answers ENOTTY or
//! EINVAL: the signal is then "absent", not PTE.

use crate::protocol::Mapping;

pub const PAGE_IS_WPALLOWED: u64 = 1 << 0;
pub const PAGE_IS_WRITTEN: u64 = 1 << 1;
pub const PAGE_IS_FILE: u64 = 1 << 2;
pub const PAGE_IS_PRESENT: u64 = 1 << 3;
pub const PAGE_IS_SWAPPED: u64 = 1 << 4;
pub const PAGE_IS_PFNZERO: u64 = 1 << 5;
pub const PAGE_IS_HUGE: u64 = 1 << 6;
pub const PAGE_IS_SOFT_DIRTY: u64 = 1 << 7;

/// `struct page_region`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub categories: u64,
}

/// `struct pm_scan_arg`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct PmScanArg {
    pub size: u64,
    pub flags: u64,
    pub start: u64,
    pub end: u64,
    pub walk_end: u64,
    pub vec: u64,
    pub vec_len: u64,
    pub max_pages: u64,
    pub category_inverted: u64,
    pub category_mask: u64,
    pub category_anyof_mask: u64,
    pub return_mask: u64,
}

/// `_IOWR('f', 16, struct pm_scan_arg)`.
pub const PAGEMAP_SCAN: u64 =
    (3 << 30) | ((std::mem::size_of::<PmScanArg>() as u64) << 16) | (0x66 << 8) | 16;

/// The categories asked for.
pub const RETURN_MASK: u64 = PAGE_IS_PRESENT | PAGE_IS_HUGE | PAGE_IS_PFNZERO;

fn names(c: u64) -> String {
    let all = [
        (PAGE_IS_WPALLOWED, "WPALLOWED"),
        (PAGE_IS_WRITTEN, "WRITTEN"),
        (PAGE_IS_FILE, "FILE"),
        (PAGE_IS_PRESENT, "PRESENT"),
        (PAGE_IS_SWAPPED, "SWAPPED"),
        (PAGE_IS_PFNZERO, "PFNZERO"),
        (PAGE_IS_HUGE, "HUGE"),
        (PAGE_IS_SOFT_DIRTY, "SOFT_DIRTY"),
    ];
    let v: Vec<&str> = all
        .iter()
        .filter(|(b, _)| c & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join("|")
    }
}

/// Renders regions as text (`start-end 0xCATEGORIES`), the fixture format.
pub fn render(regions: &[Region]) -> String {
    regions
        .iter()
        .map(|r| format!("{:x}-{:x} {:#x}\n", r.start, r.end, r.categories))
        .collect()
}

/// Parses the text of [`render`].
pub fn parse(text: &str) -> Vec<Region> {
    text.lines()
        .filter_map(|l| {
            let (range, cat) = l.trim().split_once(' ')?;
            let (s, e) = range.split_once('-')?;
            Some(Region {
                start: u64::from_str_radix(s, 16).ok()?,
                end: u64::from_str_radix(e, 16).ok()?,
                categories: u64::from_str_radix(cat.trim().trim_start_matches("0x"), 16).ok()?,
            })
        })
        .collect()
}

/// What the regions overlapping `[start, end)` say.
pub fn judge(regions: &[Region], start: u64, end: u64) -> (Option<Mapping>, String) {
    let present: Vec<&Region> = regions
        .iter()
        .filter(|r| r.start < end && start < r.end && r.categories & PAGE_IS_PRESENT != 0)
        .collect();
    let huge = present.iter().any(|r| r.categories & PAGE_IS_HUGE != 0);
    let small = present.iter().any(|r| r.categories & PAGE_IS_HUGE == 0);
    let says = match (huge, small) {
        (true, false) => Some(Mapping::Pmd),
        (false, true) => Some(Mapping::Pte),
        (true, true) => Some(Mapping::Mixed),
        (false, false) => None,
    };
    let mut ev: Vec<String> = present
        .iter()
        .take(4)
        .map(|r| format!("{:x}-{:x} {}", r.start, r.end, names(r.categories)))
        .collect();
    if present.len() > 4 {
        ev.push(format!("... {} more", present.len() - 4));
    }
    if ev.is_empty() {
        ev.push(format!("nothing present in {start:#x}-{end:#x}"));
    }
    (says, ev.join("; "))
}

/// Why a scan gave no regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// The kernel has no PAGEMAP_SCAN (ENOTTY, EINVAL).
    Absent(String),
    Failed(String),
}

/// Scans `[start, end)` of the calling process.
#[cfg(feature = "guest")]
pub fn scan(start: u64, end: u64) -> Result<Vec<Region>, ScanError> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open("/proc/self/pagemap")
        .map_err(|e| ScanError::Failed(format!("opening /proc/self/pagemap: {e}")))?;
    let mut vec = vec![Region::default(); 1024];
    let mut arg = PmScanArg {
        size: std::mem::size_of::<PmScanArg>() as u64,
        start,
        end,
        vec: vec.as_mut_ptr() as u64,
        vec_len: vec.len() as u64,
        return_mask: RETURN_MASK,
        ..PmScanArg::default()
    };
    // SAFETY: `arg` and `vec` outlive the call; the kernel writes at most
    // `vec_len` regions into `vec` and `walk_end` into `arg`.
    let n = unsafe { libc::ioctl(f.as_raw_fd(), PAGEMAP_SCAN as _, &mut arg as *mut PmScanArg) };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::ENOTTY) | Some(libc::EINVAL) => {
                ScanError::Absent(format!("PAGEMAP_SCAN absent: {e}"))
            }
            _ => ScanError::Failed(format!("PAGEMAP_SCAN: {e}")),
        });
    }
    vec.truncate(n as usize);
    Ok(vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_number_matches_the_uapi() {
        assert_eq!(std::mem::size_of::<PmScanArg>(), 96);
        assert_eq!(std::mem::size_of::<Region>(), 24);
        assert_eq!(PAGEMAP_SCAN, 0xc060_6610);
    }

    #[test]
    fn judges() {
        let r = parse("7f0000000000-7f0000200000 0x48\n7f0000200000-7f0000400000 0x8\n7f0000400000-7f0000600000 0x0\n");
        assert_eq!(r.len(), 3);
        assert_eq!(render(&r), "7f0000000000-7f0000200000 0x48\n7f0000200000-7f0000400000 0x8\n7f0000400000-7f0000600000 0x0\n");
        assert_eq!(
            judge(&r, 0x7f00_0000_0000, 0x7f00_0020_0000).0,
            Some(Mapping::Pmd)
        );
        assert_eq!(
            judge(&r, 0x7f00_0020_0000, 0x7f00_0040_0000).0,
            Some(Mapping::Pte)
        );
        assert_eq!(
            judge(&r, 0x7f00_0000_0000, 0x7f00_0060_0000).0,
            Some(Mapping::Mixed)
        );
        assert_eq!(judge(&r, 0x7f00_0040_0000, 0x7f00_0060_0000).0, None);
    }
}
