//! Inputs shared by the tests: the boundary grids and the reasons.
#![allow(dead_code)]

use dax_pmd_model::kernel::bindings as b;
use dax_pmd_model::{Extent, Fault};

pub const PAGE: usize = 1 << 12;
pub const PMD: usize = 1 << 21;
pub const NR: usize = PMD / PAGE;
pub const COLOUR: usize = NR - 1;

pub const NONE: u32 = b::dax_pmd_fallback_DAX_PMD_FALLBACK_NONE;
pub const INSERT: u32 = b::dax_pmd_action_DAX_PMD_INSERT;
pub const LOAD_ZERO: u32 = b::dax_pmd_action_DAX_PMD_LOAD_ZERO;
pub const FALL_BACK: u32 = b::dax_pmd_action_DAX_PMD_FALL_BACK;

/// A fault that may use a PMD: the first page of a 4 MiB shared mapping of
/// a 4 MiB file, written.
pub fn eligible() -> Fault {
    let address = 64 * PMD;
    Fault {
        pgoff: 0,
        address,
        write: true,
        shared: true,
        vm_start: address,
        vm_end: address + 2 * PMD,
        xa_index: 0,
        max_pgoff: 2 * NR,
    }
}

/// Every combination of the inputs at and around each boundary, at the
/// bottom, in the middle and at the top of the address space.
pub fn fault_grid() -> Vec<Fault> {
    let steps = [-1isize, 0, 1];
    let mut v = Vec::new();
    for base in [PMD, 64 * PMD, 0usize.wrapping_sub(PMD)] {
        for ac in [0, 1, COLOUR] {
            for pc in [0, 1, COLOUR] {
                for ws in 0..4 {
                    for s in steps {
                        for e in steps {
                            for fault_index in [false, true] {
                                for m in steps {
                                    let pgoff = 7 * NR + pc;
                                    let xa_index =
                                        if fault_index { pgoff } else { pgoff & !COLOUR };
                                    v.push(Fault {
                                        pgoff,
                                        address: base + (ac << 12),
                                        write: ws & 1 != 0,
                                        shared: ws & 2 != 0,
                                        vm_start: base.wrapping_add_signed(s * PAGE as isize),
                                        vm_end: base
                                            .wrapping_add(PMD)
                                            .wrapping_add_signed(e * PAGE as isize),
                                        xa_index,
                                        max_pgoff: ((xa_index | COLOUR) + 1).wrapping_add_signed(m),
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    v
}

pub fn extent(kind: u32, write: bool, length: u64) -> Extent {
    Extent {
        kind,
        flags: 0,
        write,
        offset: 0,
        length,
        src: false,
        src_offset: 0,
        src_length: 0,
        len: PMD as u64,
    }
}

/// Every extent type, flag, direction and length around PMD_SIZE, with and
/// without a source extent, starting at or before the position.
pub fn extent_grid() -> Vec<Extent> {
    let (page, pmd) = (PAGE as u64, PMD as u64);
    let lengths = [0, page, pmd - page, pmd, pmd + page, 2 * pmd];
    let mut v = Vec::new();
    for kind in [
        b::IOMAP_HOLE,
        b::IOMAP_DELALLOC,
        b::IOMAP_MAPPED,
        b::IOMAP_UNWRITTEN,
        b::IOMAP_INLINE,
    ] {
        for flags in [
            0,
            b::IOMAP_F_NEW,
            b::IOMAP_F_SHARED,
            b::IOMAP_F_NEW | b::IOMAP_F_SHARED,
        ] {
            for write in [false, true] {
                for length in lengths {
                    for offset in [0, -(page as i64)] {
                        for src in [None, Some(pmd - page), Some(pmd), Some(2 * pmd)] {
                            v.push(Extent {
                                kind,
                                flags,
                                write,
                                offset,
                                length,
                                src: src.is_some(),
                                src_offset: 0,
                                src_length: src.unwrap_or(0),
                                len: pmd,
                            });
                        }
                    }
                }
            }
        }
    }
    v
}

/// v6.12's action for an extent: the `iomap_iter()` loop of
/// `dax_iomap_pmd_fault()` and the checks of `dax_fault_iter(..., true)`,
/// written out here (v6.12 has no one function to compile for it).
pub fn v6_12_action(e: &Extent) -> u32 {
    let pos: i64 = 512 << 21;
    let mut end = (pos + e.offset) as u64 + e.length;
    if e.src {
        end = end.min((pos + e.src_offset) as u64 + e.src_length);
    }
    if e.len.min(end.wrapping_sub(pos as u64)) < PMD as u64 {
        return FALL_BACK;
    }
    if !e.write && (e.kind == b::IOMAP_UNWRITTEN || e.kind == b::IOMAP_HOLE) {
        return LOAD_ZERO;
    }
    if e.kind != b::IOMAP_MAPPED && e.flags & b::IOMAP_F_SHARED == 0 {
        return FALL_BACK;
    }
    INSERT
}
