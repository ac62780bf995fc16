//! Cases where a stock kernel maps 2 MiB PMDs: every rule of
//! `dax_fault_check_fallback` satisfied, and the blocks 2 MiB-aligned.

use super::map::{Alloc, PMD};
use super::workload::{self, Access, Offset, Share, Spec, ELIGIBLE};
use crate::case::{Case, Env, Needs};
use crate::protocol::{CaseResult, Mapping};

/// ext4's baseline: a larger file, mapped where FIEMAP found an extent
/// that is 2 MiB-aligned on the device.
const EXT4_ELIGIBLE: Spec = Spec {
    file_size: 16 * PMD,
    offset: Offset::AlignedExtent,
    map_len: PMD,
    ..ELIGIBLE
};

type R = Result<CaseResult, String>;

fn xfs_aligned(c: &Case, e: &Env) -> R {
    workload::run(c, e, &ELIGIBLE)
}

fn ext4_aligned(c: &Case, e: &Env) -> R {
    workload::run(c, e, &EXT4_ELIGIBLE)
}

fn xfs_map_sync(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            share: Share::Sync,
            ..ELIGIBLE
        },
    )
}

fn ext4_map_sync(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            share: Share::Sync,
            ..EXT4_ELIGIBLE
        },
    )
}

const HOLE: Spec = Spec {
    alloc: Alloc::Sparse,
    access: Access::Read,
    ..ELIGIBLE
};

fn xfs_hole_read(c: &Case, e: &Env) -> R {
    workload::run(c, e, &HOLE)
}

fn ext4_hole_read(c: &Case, e: &Env) -> R {
    workload::run(c, e, &HOLE)
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "xfs-aligned-shared-write",
            description: "xfs (su=2m), posix_fallocate'd 8 MiB file, 4 MiB MAP_SHARED at a \
                          2 MiB-aligned address and file offset 0, one write per 4 KiB page",
            needs: Needs::DaxXfs,
            expected: Mapping::Pmd,
            reason: "colour, VMA, file size and sharing all allow a PMD, and xfs's stripe \
                     unit lays the extent on 2 MiB device boundaries",
            run: xfs_aligned,
        },
        Case {
            name: "ext4-aligned-shared-write",
            description: "ext4, posix_fallocate'd 32 MiB file, 2 MiB MAP_SHARED at an aligned \
                          address, at a file offset whose extent FIEMAP shows 2 MiB-aligned on \
                          the device, written",
            needs: Needs::DaxExt4,
            expected: Mapping::Pmd,
            reason: "same rules as xfs; FIEMAP guarantees the blocks are 2 MiB-aligned",
            run: ext4_aligned,
        },
        Case {
            name: "xfs-map-sync-write",
            description: "the xfs baseline mapped MAP_SHARED_VALIDATE | MAP_SYNC",
            needs: Needs::DaxXfs,
            expected: Mapping::Pmd,
            reason: "MAP_SYNC only makes the fault fsync metadata first (VM_FAULT_NEEDDSYNC, \
                     then dax_finish_sync_fault inserts the same 2 MiB entry)",
            run: xfs_map_sync,
        },
        Case {
            name: "ext4-map-sync-write",
            description: "the ext4 baseline mapped MAP_SHARED_VALIDATE | MAP_SYNC",
            needs: Needs::DaxExt4,
            expected: Mapping::Pmd,
            reason: "as on xfs: MAP_SYNC syncs metadata, then inserts the PMD",
            run: ext4_map_sync,
        },
        Case {
            name: "xfs-hole-read",
            description: "a sparse 8 MiB file (ftruncate only), 4 MiB MAP_SHARED aligned, one \
                          read per 4 KiB page",
            needs: Needs::DaxXfs,
            expected: Mapping::Pmd,
            reason: "measured on 6.12: a PMD read fault on a hole maps the huge zero page \
                     read-only (dax_pmd_load_hole, NOPAGE); ptdump shows `USR ro PSE pmd`, \
                     PAGEMAP_SCAN PRESENT|PFNZERO|HUGE",
            run: xfs_hole_read,
        },
        Case {
            name: "ext4-hole-read",
            description: "a sparse 8 MiB file on ext4, 4 MiB MAP_SHARED aligned, read",
            needs: Needs::DaxExt4,
            expected: Mapping::Pmd,
            reason: "as on xfs: the hole is 2 MiB of nothing, so the huge zero page fits",
            run: ext4_hole_read,
        },
    ]
}
