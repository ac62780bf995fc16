//! Userspace proof of the dax-pmd series: the PMD fault decisions in Rust
//! (`fs/dax_pmd.rs`) decide as the C ones (`fs/dax.c`), and both as v6.12.
//!
//! `build.rs` applies the series to `base/fs/dax.c` (v6.12) and compiles
//! what the patched tree has: the C decisions, v6.12's
//! `dax_fault_check_fallback()`, and `c/glue.c`, which calls the decisions
//! through the patched `fs/dax_pmd.h` the way `fs/dax.c` does, so that the
//! Rust functions are reached from C with the kernel's argument order.
//! [`dax_pmd`] is the patched `fs/dax_pmd.rs` itself, compiled against
//! [`kernel`], a stand-in for the kernel crate; [`mutants`] are copies of it
//! with one mistake each, which the tests must catch.

use kernel::ffi::{c_uint, c_ulong};

pub mod kernel;

/// The series' `fs/dax_pmd.rs`.
pub mod dax_pmd {
    include!(concat!(env!("OUT_DIR"), "/dax_pmd.rs"));
}

/// The type of `dax_pmd_check_fallback()`.
pub type Check = unsafe extern "C" fn(
    *const kernel::bindings::vm_fault,
    *const kernel::bindings::xa_state,
    c_ulong,
) -> kernel::bindings::dax_pmd_fallback;
/// The type of `dax_pmd_classify()`.
pub type Classify =
    unsafe extern "C" fn(*const kernel::bindings::iomap_iter) -> kernel::bindings::dax_pmd_decision;

/// Copies of `fs/dax_pmd.rs` with one mutation each (build.rs `MUTATIONS`).
#[allow(dead_code)]
pub mod mutants {
    use super::{Check, Classify};
    include!(concat!(env!("OUT_DIR"), "/mutants.rs"));
}

pub mod patchtext;

/// The inputs of `dax_pmd_check_fallback()`: a fault, its VMA, the xarray
/// index and the file size (`struct model_fault` in `c/glue.c`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub pgoff: c_ulong,
    pub address: c_ulong,
    pub write: bool,
    pub shared: bool,
    pub vm_start: c_ulong,
    pub vm_end: c_ulong,
    pub xa_index: c_ulong,
    pub max_pgoff: c_ulong,
}

/// The extent `dax_pmd_classify()` is given (`struct model_extent`): its
/// start and length relative to the fault's position, and those of a
/// source extent.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub kind: c_uint,
    pub flags: c_uint,
    pub write: bool,
    pub offset: i64,
    pub length: u64,
    pub src: bool,
    pub src_offset: i64,
    pub src_length: u64,
    pub len: u64,
}

extern "C" {
    fn model_check_rust(f: *const Fault) -> c_uint;
    fn model_check_c(f: *const Fault) -> c_uint;
    fn model_v6_12_check(f: *const Fault) -> bool;
    fn model_classify_rust(e: *const Extent) -> c_uint;
    fn model_classify_c(e: *const Extent) -> c_uint;
    fn model_layout(i: c_uint) -> c_ulong;
}

/// The Rust decision, called from C through `fs/dax_pmd.h`.
pub fn rust_check(f: &Fault) -> u32 {
    // SAFETY: `f` is a valid `struct model_fault`; the glue builds the
    // kernel structures on its stack for the call.
    unsafe { model_check_rust(f) }
}

/// The C decision of the patched `fs/dax.c`.
pub fn c_check(f: &Fault) -> u32 {
    // SAFETY: as in `rust_check`.
    unsafe { model_check_c(f) }
}

/// v6.12's `dax_fault_check_fallback()`: does the fault fall back?
pub fn v6_12_check(f: &Fault) -> bool {
    // SAFETY: as in `rust_check`.
    unsafe { model_v6_12_check(f) }
}

/// A mutant's decision, called from Rust with the structures glue.c builds.
pub fn mutant_check(check: Check, f: &Fault) -> u32 {
    use kernel::bindings::*;
    let mut vma = vm_area_struct {
        __bindgen_anon_1: vm_area_struct__bindgen_ty_1 {
            __bindgen_anon_1: vm_area_struct__bindgen_ty_1__bindgen_ty_1 {
                vm_start: f.vm_start,
                vm_end: f.vm_end,
            },
        },
        __bindgen_anon_2: vm_area_struct__bindgen_ty_2 {
            __vm_flags: if f.shared { VM_SHARED as usize } else { 0 },
        },
    };
    let vmf = vm_fault {
        __bindgen_anon_1: vm_fault__bindgen_ty_1 {
            vma: &mut vma,
            pgoff: f.pgoff,
            address: f.address,
        },
        flags: if f.write {
            fault_flag_FAULT_FLAG_WRITE
        } else {
            0
        },
    };
    let xas = xa_state {
        xa_index: f.xa_index,
    };
    // SAFETY: the structures live on this stack for the call and nothing
    // writes them.
    unsafe { check(&vmf, &xas, f.max_pgoff) }
}

/// A decision as `(action, reason)`.
pub type Decision = (u32, u32);

fn split(d: c_uint) -> Decision {
    (d & 0xffff, d >> 16)
}

/// The Rust classification, called from C through `fs/dax_pmd.h`.
pub fn rust_classify(e: &Extent) -> Decision {
    // SAFETY: `e` is a valid `struct model_extent`.
    split(unsafe { model_classify_rust(e) })
}

/// The C classification of the patched `fs/dax.c`.
pub fn c_classify(e: &Extent) -> Decision {
    // SAFETY: as in `rust_classify`.
    split(unsafe { model_classify_c(e) })
}

/// A mutant's classification, called from Rust.
pub fn mutant_classify(classify: Classify, e: &Extent) -> Decision {
    use kernel::bindings::*;
    let pos: i64 = 512 << 21;
    let mut iter = iomap_iter {
        pos,
        len: e.len,
        flags: if e.write { IOMAP_WRITE } else { 0 },
        ..Default::default()
    };
    iter.iomap.offset = pos + e.offset;
    iter.iomap.length = e.length;
    iter.iomap.type_ = e.kind as u16;
    iter.iomap.flags = e.flags as u16;
    if e.src {
        iter.srcmap.type_ = IOMAP_MAPPED as u16;
        iter.srcmap.offset = pos + e.src_offset;
        iter.srcmap.length = e.src_length;
    }
    // SAFETY: `iter` lives on this stack for the call and nothing writes it.
    let d = unsafe { classify(&iter) };
    (d.action, d.reason)
}

/// The sizes and offsets of the C structures in `c/shim.h`, in the order of
/// `model_layout()`.
pub fn c_layout() -> Vec<usize> {
    (0..15)
        // SAFETY: `model_layout()` takes any index.
        .map(|i| unsafe { model_layout(i) })
        .collect()
}

/// The same of the Rust mirror in [`kernel::bindings`].
pub fn rust_layout() -> Vec<usize> {
    use core::mem::{offset_of, size_of};
    use kernel::bindings::*;
    vec![
        size_of::<vm_area_struct>(),
        offset_of!(vm_area_struct__bindgen_ty_1__bindgen_ty_1, vm_end),
        offset_of!(vm_area_struct, __bindgen_anon_2),
        size_of::<vm_fault>(),
        offset_of!(vm_fault__bindgen_ty_1, pgoff),
        offset_of!(vm_fault__bindgen_ty_1, address),
        offset_of!(vm_fault, flags),
        size_of::<iomap>(),
        offset_of!(iomap, type_),
        offset_of!(iomap, flags),
        size_of::<iomap_iter>(),
        offset_of!(iomap_iter, flags),
        offset_of!(iomap_iter, iomap),
        offset_of!(iomap_iter, srcmap),
        size_of::<dax_pmd_decision>(),
    ]
}

/// The series folder (`patches/dax-pmd/`), which holds this crate.
pub fn series_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the model crate lives in the series folder")
        .to_owned()
}

/// The files of the patched tree that build.rs compiled, by kernel path.
pub fn patched(file: &str) -> String {
    let path = std::path::Path::new(env!("OUT_DIR"))
        .join("tree")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The C functions build.rs compiled, verbatim.
pub const C_CHECK: &str = include_str!(concat!(env!("OUT_DIR"), "/c_check.txt"));
/// See [`C_CHECK`].
pub const C_CLASSIFY: &str = include_str!(concat!(env!("OUT_DIR"), "/c_classify.txt"));
/// v6.12's `dax_fault_check_fallback()`, from `base/fs/dax.c`.
pub const V6_12_CHECK: &str = include_str!(concat!(env!("OUT_DIR"), "/v6_12_check.txt"));
