//! Cases where one rule of the DAX fault path forces 4 KiB PTEs although
//! the file itself could take PMDs. Each is the xfs baseline with one
//! thing changed (and `xfs-half-prefaulted`, where that change hits only
//! one of two PMDs, so the range is mixed).

use super::map::{MIB, PAGE, PMD};
use super::workload::{self, Before, Offset, Share, Spec, ELIGIBLE};
use crate::case::{Case, Env, Needs};
use crate::protocol::{CaseResult, Mapping};

type R = Result<CaseResult, String>;

fn colour_mismatch(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            offset: Offset::At(PAGE),
            ..ELIGIBLE
        },
    )
}

fn private_write(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            share: Share::Private,
            ..ELIGIBLE
        },
    )
}

fn vma_smaller(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            map_len: MIB,
            ..ELIGIBLE
        },
    )
}

fn pmd_straddles_vma(c: &Case, e: &Env) -> R {
    let spec = Spec {
        offset: Offset::At(MIB),
        colour: MIB,
        map_len: PMD,
        ..ELIGIBLE
    };
    workload::run(c, e, &spec)
}

fn file_ends_inside(c: &Case, e: &Env) -> R {
    let spec = Spec {
        file_size: PMD + MIB,
        touch: Some((PMD, MIB)),
        ..ELIGIBLE
    };
    workload::run(c, e, &spec)
}

fn madv_nohugepage(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            before: Before::NoHugepage,
            ..ELIGIBLE
        },
    )
}

fn prctl_thp_disable(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            before: Before::ThpDisable,
            ..ELIGIBLE
        },
    )
}

fn pte_prefaulted(c: &Case, e: &Env) -> R {
    let spec = Spec {
        before: Before::PteFirst(0),
        touch: Some((0, PMD)),
        ..ELIGIBLE
    };
    workload::run(c, e, &spec)
}

fn half_prefaulted(c: &Case, e: &Env) -> R {
    workload::run(
        c,
        e,
        &Spec {
            before: Before::PteFirst(PMD),
            ..ELIGIBLE
        },
    )
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "xfs-colour-mismatch",
            description: "the xfs baseline mapped from file offset 4 KiB at a 2 MiB-aligned \
                          address, so address and file offset differ in 2 MiB colour",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "dax_fault_check_fallback: the PMD's file range would not be 2 MiB-aligned",
            run: colour_mismatch,
        },
        Case {
            name: "xfs-private-write",
            description: "the xfs baseline mapped MAP_PRIVATE and written (copy-on-write)",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "dax_fault_check_fallback: a write to a private mapping COWs into 4 KiB \
                     anonymous pages",
            run: private_write,
        },
        Case {
            name: "xfs-vma-smaller-than-pmd",
            description: "1 MiB of the xfs file mapped at a 2 MiB-aligned address, written",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "dax_fault_check_fallback: the 2 MiB PMD would extend past vm_end",
            run: vma_smaller,
        },
        Case {
            name: "xfs-pmd-straddles-vma",
            description: "2 MiB of the xfs file from offset 1 MiB, at an address 1 MiB past a \
                          2 MiB boundary (colours match), written",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "dax_fault_check_fallback: each 2 MiB PMD range sticks out of the VMA on \
                     one side",
            run: pmd_straddles_vma,
        },
        Case {
            name: "xfs-file-ends-inside-pmd",
            description: "a 3 MiB preallocated xfs file mapped 4 MiB aligned; the 1 MiB past the \
                          first 2 MiB is written",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "dax_fault_check_fallback: the PMD would extend beyond i_size",
            run: file_ends_inside,
        },
        Case {
            name: "xfs-madv-nohugepage",
            description: "the xfs baseline with madvise(MADV_NOHUGEPAGE) before the write",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "6.12 checks VM_NOHUGEPAGE (vma_thp_disabled) before the DAX shortcut in \
                     __thp_vma_allowable_orders, so no PMD fault is even tried",
            run: madv_nohugepage,
        },
        Case {
            name: "xfs-prctl-thp-disable",
            description: "the xfs baseline in a process with prctl(PR_SET_THP_DISABLE, 1)",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "6.12 checks MMF_DISABLE_THP (vma_thp_disabled) before the DAX shortcut, \
                     so no PMD fault is tried",
            run: prctl_thp_disable,
        },
        Case {
            name: "xfs-pte-prefaulted",
            description: "one 4 KiB page of the first 2 MiB written through a separate 4 KiB \
                          mapping first, then the aligned 2 MiB written",
            needs: Needs::DaxXfs,
            expected: Mapping::Pte,
            reason: "the 4 KiB entry left in the file's DAX tree conflicts with a PMD entry \
                     (grab_mapping_entry), so the PMD fault falls back",
            run: pte_prefaulted,
        },
        Case {
            name: "xfs-half-prefaulted",
            description: "the xfs baseline (4 MiB) after one 4 KiB page of its second 2 MiB \
                          was written through a separate 4 KiB mapping",
            needs: Needs::DaxXfs,
            expected: Mapping::Mixed,
            reason: "the first 2 MiB takes a PMD; the second falls back to PTEs on the \
                     conflicting 4 KiB entry, as in xfs-pte-prefaulted",
            run: half_prefaulted,
        },
    ]
}
