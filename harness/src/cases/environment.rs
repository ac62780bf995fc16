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
            expected: Mapping::Pte,
            reason: "the namespace's data does not start on a 2 MiB physical boundary, so \
                     dax_iomap_direct_access rejects the misaligned pfn and the PMD falls back",
            run: baseline,
        },
    ]
}
