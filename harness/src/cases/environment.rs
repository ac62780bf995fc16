//! Cases where the mount or the namespace, not the mapping, decides: the
//! xfs baseline workload run on a different [`Needs`].

use super::workload::{self, ELIGIBLE};
use crate::case::{Case, Env, Needs};
use crate::protocol::{CaseResult, Mapping};

fn baseline(c: &Case, e: &Env) -> Result<CaseResult, String> {
    workload::run(c, e, &ELIGIBLE)
}

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "xfs-nodax-mount",
            description: "the xfs baseline on a filesystem mounted without DAX",
            needs: Needs::NoDaxXfs,
            expected: Mapping::NotDax,
            reason: "without -o dax the file has no STATX_ATTR_DAX and goes through the page cache",
            run: baseline,
        },
        Case {
            name: "xfs-4k-namespace",
            description: "the xfs baseline on an fsdax namespace whose pfn alignment is 4 KiB",
            needs: Needs::Dax4kXfs,
            expected: Mapping::Pmd,
            reason: "measured on 6.12/x86-64: nd_pfn_init aligns the data offset to \
                     max(pfn align, memremap_compat_align()) = 2 MiB (SUBSECTION_SIZE), so \
                     the blocks are still 2 MiB-aligned physically and the PMD goes in; the \
                     4 KiB align only changes what the namespace promises",
            run: baseline,
        },
    ]
}
