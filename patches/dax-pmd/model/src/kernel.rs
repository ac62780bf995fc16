//! A stand-in for the kernel crate, with what `fs/dax_pmd.rs` uses of it:
//! the bindgen names and nesting of the structures in `c/shim.h` (x86-64
//! sizes), the enum values of the patched `fs/dax_pmd.h` (generated), and
//! the prototypes the file's `assert_c_prototype!` compares it with. As in
//! the kernel's bindings, there is no `pgoff_t` (a macro in C).

/// `kernel::ffi`: the kernel's C types.
pub mod ffi {
    #![allow(non_camel_case_types)]
    /// C `unsigned int`.
    pub type c_uint = u32;
    /// C `unsigned long`, `usize` in the kernel's mapping.
    pub type c_ulong = usize;
}

/// `kernel::page`.
pub mod page {
    /// log2 of the page size (x86-64).
    pub const PAGE_SHIFT: usize = 12;
    /// The page size.
    pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
}

/// `kernel::types`.
pub mod types {
    use core::cell::UnsafeCell;

    /// `kernel::types::Opaque`: a C value that C may change.
    #[repr(transparent)]
    pub struct Opaque<T>(UnsafeCell<T>);

    impl<T> Opaque<T> {
        /// A raw pointer to the value.
        pub fn get(&self) -> *mut T {
            self.0.get()
        }
    }
}

/// `kernel::bindings`, as bindgen generates it for `c/shim.h`.
#[allow(non_camel_case_types, non_upper_case_globals, missing_docs)]
pub mod bindings {
    use super::ffi::{c_uint, c_ulong};

    include!(concat!(env!("OUT_DIR"), "/enums.rs"));

    pub type vm_flags_t = c_ulong;
    pub type fault_flag = c_uint;
    pub type u64_ = u64;

    pub const PMD_SIZE: usize = 1 << 21;
    pub const VM_SHARED: u32 = 0x8;
    pub const fault_flag_FAULT_FLAG_WRITE: fault_flag = 1;
    pub const IOMAP_HOLE: u32 = 0;
    pub const IOMAP_DELALLOC: u32 = 1;
    pub const IOMAP_MAPPED: u32 = 2;
    pub const IOMAP_UNWRITTEN: u32 = 3;
    pub const IOMAP_INLINE: u32 = 4;
    pub const IOMAP_F_NEW: u32 = 1;
    pub const IOMAP_F_SHARED: u32 = 4;
    pub const IOMAP_WRITE: u32 = 1;

    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct vm_area_struct__bindgen_ty_1__bindgen_ty_1 {
        pub vm_start: c_ulong,
        pub vm_end: c_ulong,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub union vm_area_struct__bindgen_ty_1 {
        pub __bindgen_anon_1: vm_area_struct__bindgen_ty_1__bindgen_ty_1,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub union vm_area_struct__bindgen_ty_2 {
        pub vm_flags: vm_flags_t,
        pub __vm_flags: vm_flags_t,
    }
    #[repr(C)]
    pub struct vm_area_struct {
        pub __bindgen_anon_1: vm_area_struct__bindgen_ty_1,
        pub __bindgen_anon_2: vm_area_struct__bindgen_ty_2,
    }

    #[repr(C)]
    pub struct vm_fault__bindgen_ty_1 {
        pub vma: *mut vm_area_struct,
        pub pgoff: c_ulong,
        pub address: c_ulong,
    }
    #[repr(C)]
    pub struct vm_fault {
        pub __bindgen_anon_1: vm_fault__bindgen_ty_1,
        pub flags: fault_flag,
    }

    #[repr(C)]
    pub struct xa_state {
        pub xa_index: c_ulong,
    }

    #[repr(C)]
    #[derive(Default)]
    pub struct iomap {
        pub addr: u64_,
        pub offset: i64,
        pub length: u64_,
        pub type_: u16,
        pub flags: u16,
    }
    #[repr(C)]
    #[derive(Default)]
    pub struct iomap_iter {
        pub pos: i64,
        pub len: u64_,
        pub flags: c_uint,
        pub iomap: iomap,
        pub srcmap: iomap,
    }

    #[repr(C)]
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct dax_pmd_decision {
        pub action: dax_pmd_action,
        pub reason: dax_pmd_fallback,
    }

    extern "C" {
        /// `rust/helpers/iomap.c` in the kernel; `c/glue.c` here.
        #[link_name = "model_iomap_length"]
        pub fn iomap_length(iter: *const iomap_iter) -> u64_;
        pub fn dax_pmd_check_fallback(
            vmf: *const vm_fault,
            xas: *const xa_state,
            max_pgoff: c_ulong,
        ) -> dax_pmd_fallback;
        pub fn dax_pmd_classify(iter: *const iomap_iter) -> dax_pmd_decision;
    }
}
