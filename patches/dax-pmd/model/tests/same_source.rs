//! The code under test is the series' own text: the Rust copy in this crate
//! is byte for byte the `fs/dax_pmd.rs` the series adds, and the C function
//! and enum build.rs compiled come from the series' patches.

use dax_pmd_model::{patchtext, series_dir, C_ENUM, C_ENUM_PATCH, C_FUNCTION, C_FUNCTION_PATCH};

fn patches() -> Vec<(String, String)> {
    let dir = series_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn rust_copy_is_the_file_the_series_adds() {
    let added: Vec<(String, String)> = patches()
        .into_iter()
        .filter_map(|(name, text)| patchtext::new_file(&text, "fs/dax_pmd.rs").map(|f| (name, f)))
        .collect();
    assert_eq!(
        added.len(),
        1,
        "exactly one patch must add fs/dax_pmd.rs, found {:?}",
        added.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    let copy = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dax_pmd.rs"),
    )
    .unwrap();
    assert!(
        copy == added[0].1,
        "src/dax_pmd.rs differs from fs/dax_pmd.rs in {}: copy the patch's file \
         (or regenerate the patch) so that the tested code is the submitted code",
        added[0].0
    );
}

#[test]
fn no_later_patch_modifies_the_rust_file() {
    let touching: Vec<String> = patches()
        .into_iter()
        .filter(|(_, text)| text.contains("diff --git a/fs/dax_pmd.rs b/fs/dax_pmd.rs"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        touching.len(),
        1,
        "patches touching fs/dax_pmd.rs: {touching:?}"
    );
}

#[test]
fn c_text_comes_from_the_series() {
    // Patch 2 introduces both; a later patch may carry them whole as context.
    assert!(C_FUNCTION_PATCH >= "0002-", "{C_FUNCTION_PATCH}");
    assert!(C_ENUM_PATCH >= "0002-", "{C_ENUM_PATCH}");
    assert!(C_FUNCTION.starts_with("static enum dax_pmd_fallback\ndax_pmd_check_fallback("));
    assert!(C_FUNCTION.trim_end().ends_with('}'));
    assert!(C_ENUM.trim_end().ends_with("};"));
}

/// `DAX_PMD_FALLBACK_VMA_START` → `VmaStart`.
fn camel(c_name: &str) -> String {
    c_name
        .trim_start_matches("DAX_PMD_FALLBACK_")
        .split('_')
        .map(|w| {
            let w = w.to_ascii_lowercase();
            let mut cs = w.chars();
            cs.next()
                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn rust_enum_has_the_c_values() {
    use dax_pmd_model::dax_pmd::DaxPmdFallback as R;
    let rust = [R::None, R::Colour, R::Cow, R::VmaStart, R::VmaEnd, R::Eof];
    let c: Vec<(String, u32)> = C_ENUM
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (name, rest) = l.split_once(" = ")?;
            let value = rest.split(',').next()?.trim().parse().ok()?;
            Some((camel(name), value))
        })
        .collect();
    assert!(c.len() > rust.len(), "C enum: {c:?}");
    for r in rust {
        let name = format!("{r:?}");
        let value = c.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(
            value,
            Some(r as u32),
            "{name}: C {value:?}, Rust {}",
            r as u32
        );
    }
}
