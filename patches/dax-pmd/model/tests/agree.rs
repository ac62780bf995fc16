//! The Rust decisions (called from C through fs/dax_pmd.h), the C decisions
//! of the patched fs/dax.c and v6.12 agree: tables of the expected reason,
//! the boundary grids, and property tests over the whole input space.

mod common;

use common::*;
use dax_pmd_model::kernel::bindings as b;
use dax_pmd_model::{c_check, c_classify, rust_check, rust_classify, v6_12_check, Fault};
use proptest::prelude::*;

fn check(f: &Fault) -> u32 {
    let (c, rust, old) = (c_check(f), rust_check(f), v6_12_check(f));
    assert_eq!(c, rust, "C and Rust disagree on {f:#x?}");
    assert_eq!(c != NONE, old, "the series and v6.12 disagree on {f:#x?}");
    c
}

#[test]
fn every_reason_of_the_check() {
    let e = eligible();
    assert_eq!(check(&e), NONE);
    assert_eq!(
        check(&Fault {
            write: false,
            shared: false,
            ..e
        }),
        NONE
    );
    assert_eq!(
        check(&Fault { pgoff: 1, ..e }),
        b::dax_pmd_fallback_DAX_PMD_FALLBACK_COLOUR
    );
    assert_eq!(
        check(&Fault { shared: false, ..e }),
        b::dax_pmd_fallback_DAX_PMD_FALLBACK_COW
    );
    let inside = Fault {
        vm_start: e.vm_start + PAGE,
        address: e.address + PAGE,
        pgoff: 1,
        ..e
    };
    assert_eq!(
        check(&inside),
        b::dax_pmd_fallback_DAX_PMD_FALLBACK_VMA_START
    );
    let short = Fault {
        vm_end: e.vm_start + PMD - PAGE,
        ..e
    };
    assert_eq!(check(&short), b::dax_pmd_fallback_DAX_PMD_FALLBACK_VMA_END);
    assert_eq!(
        check(&Fault {
            max_pgoff: NR - 1,
            ..e
        }),
        b::dax_pmd_fallback_DAX_PMD_FALLBACK_EOF
    );
    // In order: colour before COW before the VMA before the file size.
    let all = Fault {
        pgoff: 1,
        shared: false,
        vm_end: 0,
        max_pgoff: 0,
        ..e
    };
    assert_eq!(check(&all), b::dax_pmd_fallback_DAX_PMD_FALLBACK_COLOUR);
    assert_eq!(
        check(&Fault { pgoff: 0, ..all }),
        b::dax_pmd_fallback_DAX_PMD_FALLBACK_COW
    );
    // At the top of the address space pmd_addr + PMD_SIZE wraps to 0.
    let top = 0usize.wrapping_sub(PMD);
    assert_eq!(
        check(&Fault {
            address: top,
            vm_start: top,
            vm_end: top + (PMD - PAGE),
            ..e
        }),
        NONE
    );
}

#[test]
fn check_grid() {
    let grid = fault_grid();
    assert_eq!(grid.len(), 5832);
    let mut seen = std::collections::BTreeSet::new();
    for f in &grid {
        seen.insert(check(f));
    }
    assert_eq!(
        seen.len(),
        6,
        "the grid reaches every reason of the check: {seen:?}"
    );
}

fn classify(e: &common_extent::E) -> (u32, u32) {
    let (c, rust) = (c_classify(e), rust_classify(e));
    assert_eq!(c, rust, "C and Rust disagree on {e:#x?}");
    assert_eq!(
        c.0,
        v6_12_action(e),
        "the series and v6.12 disagree on {e:#x?}"
    );
    c
}

mod common_extent {
    pub type E = dax_pmd_model::Extent;
}

#[test]
fn every_decision_of_the_classification() {
    let pmd = PMD as u64;
    let short = b::dax_pmd_fallback_DAX_PMD_FALLBACK_SHORT_EXTENT;
    let kind = b::dax_pmd_fallback_DAX_PMD_FALLBACK_IOMAP_TYPE;
    assert_eq!(
        classify(&extent(b::IOMAP_MAPPED, true, pmd)),
        (INSERT, NONE)
    );
    assert_eq!(
        classify(&extent(b::IOMAP_MAPPED, false, pmd)),
        (INSERT, NONE)
    );
    assert_eq!(
        classify(&extent(b::IOMAP_HOLE, false, pmd)),
        (LOAD_ZERO, NONE)
    );
    assert_eq!(
        classify(&extent(b::IOMAP_UNWRITTEN, false, pmd)),
        (LOAD_ZERO, NONE)
    );
    assert_eq!(
        classify(&extent(b::IOMAP_UNWRITTEN, true, pmd)),
        (FALL_BACK, kind)
    );
    let shared = dax_pmd_model::Extent {
        flags: b::IOMAP_F_SHARED,
        ..extent(b::IOMAP_UNWRITTEN, true, pmd)
    };
    assert_eq!(classify(&shared), (INSERT, NONE));
    assert_eq!(
        classify(&extent(b::IOMAP_MAPPED, true, pmd - 4096)),
        (FALL_BACK, short)
    );
    let src = dax_pmd_model::Extent {
        src: true,
        src_length: 4096,
        ..extent(b::IOMAP_MAPPED, true, pmd)
    };
    assert_eq!(classify(&src), (FALL_BACK, short));
}

#[test]
fn classification_grid() {
    let grid = extent_grid();
    assert_eq!(grid.len(), 1920);
    let mut seen = std::collections::BTreeSet::new();
    for e in &grid {
        seen.insert(classify(e));
    }
    assert_eq!(seen.len(), 4, "the grid reaches every decision: {seen:?}");
}

proptest! {
    #[test]
    fn check_agrees_everywhere(pgoff: usize, address: usize, write: bool, shared: bool,
                               vm_start: usize, vm_end: usize, xa_index: usize, max_pgoff: usize) {
        check(&Fault { pgoff, address, write, shared, vm_start, vm_end, xa_index, max_pgoff });
    }

    #[test]
    fn check_agrees_near_the_boundaries(page in 0usize..4096, colour in 0usize..512, pc in 0usize..512,
                                        write: bool, shared: bool, s in -600isize..600, e in -600isize..600,
                                        m in -600isize..600) {
        let address = page * PMD + (colour << 12);
        let pmd_addr = page * PMD;
        let pgoff = 9 * NR + pc;
        let xa_index = pgoff & !COLOUR;
        check(&Fault {
            pgoff, address, write, shared,
            vm_start: pmd_addr.wrapping_add_signed(s * 4096),
            vm_end: (pmd_addr + PMD).wrapping_add_signed(e * 4096),
            xa_index,
            max_pgoff: ((xa_index | COLOUR) + 1).wrapping_add_signed(m),
        });
    }

    #[test]
    fn classification_agrees(kind in 0u32..6, flags in 0u32..8, write: bool, offset in -(1i64 << 22)..(1i64 << 22),
                             length in 0u64..(1 << 23), src: bool, src_offset in -(1i64 << 22)..(1i64 << 22),
                             src_length in 0u64..(1 << 23), len in 0u64..(1 << 22)) {
        let offset = offset.min(0);
        let src_offset = src_offset.min(0);
        classify(&dax_pmd_model::Extent { kind, flags, write, offset, length, src, src_offset, src_length, len });
    }
}
