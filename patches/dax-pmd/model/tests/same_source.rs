//! The code under test is the tree the series leaves: build.rs applied every
//! patch to v6.12's fs/dax.c, and compiled the functions of the result.

use dax_pmd_model::{c_layout, patched, rust_layout, C_CHECK, C_CLASSIFY, V6_12_CHECK};

#[test]
fn the_c_compiled_is_the_patched_tree_s() {
    let dax_c = patched("fs/dax.c");
    assert!(dax_c.contains(C_CHECK) && dax_c.contains(C_CLASSIFY));
    assert!(C_CHECK.starts_with("enum dax_pmd_fallback dax_pmd_check_fallback("));
    assert!(C_CLASSIFY.starts_with("struct dax_pmd_decision dax_pmd_classify("));
    // The series replaced v6.12's function, which is compiled from the base.
    assert!(!dax_c.contains("static bool dax_fault_check_fallback("));
    assert!(V6_12_CHECK.starts_with("static bool dax_fault_check_fallback("));
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("base/fs/dax.c"),
    )
    .unwrap();
    assert!(base.contains(V6_12_CHECK));
}

#[test]
fn the_rust_compiled_is_the_patched_tree_s() {
    let rs = patched("fs/dax_pmd.rs");
    assert!(rs.contains("pub unsafe extern \"C\" fn dax_pmd_check_fallback("));
    assert!(rs.contains("assert_c_prototype!(dax_pmd_classify);"));
    let h = patched("fs/dax_pmd.h");
    assert!(h.contains("struct dax_pmd_decision dax_pmd_classify(const struct iomap_iter *iter);"));
}

#[test]
fn the_rust_mirror_of_the_structures_has_the_c_layout() {
    assert_eq!(rust_layout(), c_layout());
}
