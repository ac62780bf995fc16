//! Each mutant of fs/dax_pmd.rs (build.rs `MUTATIONS`: flipped comparisons,
//! swapped arguments and fields, dropped conditions) decides differently
//! from v6.12 somewhere on the boundary grids, and the unmutated file, called
//! the same way, never does: the grids catch each of these mistakes.

mod common;

use common::*;
use dax_pmd_model::{dax_pmd, mutant_check, mutant_classify, mutants, v6_12_check};

#[test]
fn the_unmutated_file_passes_the_grids() {
    for f in fault_grid() {
        assert_eq!(
            mutant_check(dax_pmd::dax_pmd_check_fallback, &f) != NONE,
            v6_12_check(&f),
            "{f:#x?}"
        );
    }
    for e in extent_grid() {
        assert_eq!(
            mutant_classify(dax_pmd::dax_pmd_classify, &e).0,
            v6_12_action(&e),
            "{e:#x?}"
        );
    }
}

#[test]
fn every_mutant_is_caught() {
    let (faults, extents) = (fault_grid(), extent_grid());
    let mut missed = Vec::new();
    for (name, check, classify) in mutants::ALL {
        let caught = faults
            .iter()
            .any(|f| (mutant_check(*check, f) != NONE) != v6_12_check(f))
            || extents
                .iter()
                .any(|e| mutant_classify(*classify, e).0 != v6_12_action(e));
        if !caught {
            missed.push(*name);
        }
    }
    assert!(
        missed.is_empty(),
        "mutants the grids do not catch: {missed:?}"
    );
    assert!(mutants::ALL.len() >= 10);
}
