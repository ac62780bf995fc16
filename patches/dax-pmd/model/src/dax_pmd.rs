// SPDX-License-Identifier: GPL-2.0

//! The PMD fallback decision of the DAX fault path, in Rust.
//!
//! `dax_pmd_check_fallback()` in `fs/dax.c` decides, from the fault, the VMA
//! and the file size alone, whether a PMD fault on a DAX file must fall back
//! to PTEs. [`dax_pmd_check_fallback_rust`] makes the same decision; `fs/dax.c`
//! calls it instead of the C function when the kernel is booted with
//! `dax_pmd_impl=rust`.
//!
//! The file uses `core` only, so that it builds unchanged outside the kernel,
//! where it is tested against the C function.

use core::ffi::c_ulong;

/// log2 of the page size: 4 KiB pages (x86-64).
pub const PAGE_SHIFT: u32 = 12;

/// log2 of the size a PMD entry maps: 2 MiB (x86-64).
pub const PMD_SHIFT: u32 = 21;

/// The size a PMD entry maps.
pub const PMD_SIZE: c_ulong = 1 << PMD_SHIFT;

const PMD_MASK: c_ulong = !(PMD_SIZE - 1);

/// Index of a page within its PMD, the PMD "colour".
const PG_PMD_COLOUR: c_ulong = (PMD_SIZE >> PAGE_SHIFT) - 1;

/// Why a PMD fault falls back to PTEs.
///
/// The values are those of `enum dax_pmd_fallback` in `include/linux/dax.h`;
/// only the reasons decided by [`dax_pmd_check_fallback_rust`] are listed.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaxPmdFallback {
    /// A PMD may be tried.
    None = 0,
    /// The address and the file offset are not congruent modulo the PMD size.
    Colour = 1,
    /// A write fault in a private mapping: copy on write needs PTEs.
    Cow = 2,
    /// The PMD would start before the VMA.
    VmaStart = 3,
    /// The PMD would end after the VMA.
    VmaEnd = 4,
    /// The PMD would extend beyond the end of the file.
    Eof = 5,
}

/// Decides whether a PMD fault must fall back to PTEs.
///
/// `pgoff` and `address` are those of the fault, `write` tells a write fault,
/// `shared` a shared mapping, `vm_start` and `vm_end` are the VMA bounds,
/// `xa_index` is the page index of the PMD entry and `max_pgoff` the file size
/// in pages. The checks and their order are those of
/// `dax_pmd_check_fallback()` in `fs/dax.c`, and so are the results, including
/// the unsigned wrap-around of a PMD at the top of the address space.
#[no_mangle]
pub extern "C" fn dax_pmd_check_fallback_rust(
    pgoff: c_ulong,
    address: c_ulong,
    write: bool,
    shared: bool,
    vm_start: c_ulong,
    vm_end: c_ulong,
    xa_index: c_ulong,
    max_pgoff: c_ulong,
) -> DaxPmdFallback {
    let pmd_addr = address & PMD_MASK;

    // A PMD range in the page table must overlap exactly with a PMD range
    // of the file.
    if pgoff & PG_PMD_COLOUR != (address >> PAGE_SHIFT) & PG_PMD_COLOUR {
        return DaxPmdFallback::Colour;
    }
    if write && !shared {
        return DaxPmdFallback::Cow;
    }
    if pmd_addr < vm_start {
        return DaxPmdFallback::VmaStart;
    }
    if pmd_addr.wrapping_add(PMD_SIZE) > vm_end {
        return DaxPmdFallback::VmaEnd;
    }
    if xa_index | PG_PMD_COLOUR >= max_pgoff {
        return DaxPmdFallback::Eof;
    }
    DaxPmdFallback::None
}
