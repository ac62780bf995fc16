//! The C `dax_pmd_check_fallback()` (built from patch 2's text) and the Rust
//! `dax_pmd_check_fallback_rust()` (fs/dax_pmd.rs of patch 3) return the same
//! reason for every input: tables with the expected reasons, an exhaustive
//! grid over the boundaries, and property tests over the whole input space
//! and around the boundaries.

use core::ffi::c_ulong;
use dax_pmd_model::dax_pmd::{DaxPmdFallback as R, PAGE_SHIFT, PMD_SIZE};
use dax_pmd_model::{c_decision, rust_decision, Fault};
use proptest::prelude::*;

const PAGE: c_ulong = 1 << PAGE_SHIFT;
/// Pages per PMD.
const NR: c_ulong = PMD_SIZE / PAGE;
/// Page index within a PMD.
const COLOUR: c_ulong = NR - 1;

fn decide(f: &Fault) -> u32 {
    let (c, rust) = (c_decision(f), rust_decision(f));
    assert_eq!(c, rust, "C and Rust disagree on {f:#x?}");
    c
}

/// A fault that gets a PMD: 2 MiB-aligned shared write fault at the start of
/// a 4 MiB VMA mapping a 4 MiB file from offset 0.
fn eligible() -> Fault {
    let address = 0x7f00_0000_0000;
    Fault {
        pgoff: 0,
        address,
        write: true,
        shared: true,
        vm_start: address,
        vm_end: address + 2 * PMD_SIZE,
        xa_index: 0,
        max_pgoff: 2 * NR,
    }
}

/// The fault as the kernel makes it: `xa_index` is `pgoff` rounded down to
/// the PMD (XA_STATE_ORDER with PMD_ORDER).
fn kernel_like(mut f: Fault) -> Fault {
    f.xa_index = f.pgoff & !COLOUR;
    f
}

fn check(name: &str, f: Fault, expected: R) {
    assert_eq!(decide(&f), expected as u32, "{name}: {f:#x?}");
}

#[test]
fn table_of_reasons() {
    let e = eligible();
    check("eligible", e, R::None);
    check("read fault, shared", Fault { write: false, ..e }, R::None);
    check(
        "read fault, private",
        Fault {
            write: false,
            shared: false,
            ..e
        },
        R::None,
    );
    check(
        "write fault, private: cow",
        Fault { shared: false, ..e },
        R::Cow,
    );
    check(
        "second PMD of the VMA",
        kernel_like(Fault {
            pgoff: NR + 5,
            address: e.address + PMD_SIZE + 5 * PAGE,
            ..e
        }),
        R::None,
    );
    check(
        "address one page into the PMD, same colour",
        kernel_like(Fault {
            pgoff: 1,
            address: e.address + PAGE,
            ..e
        }),
        R::None,
    );
    check(
        "colour: pgoff one page off",
        Fault { pgoff: 1, ..e },
        R::Colour,
    );
    check(
        "colour: address one page off",
        Fault {
            address: e.address + PAGE,
            ..e
        },
        R::Colour,
    );
    check(
        "colour wins over cow",
        Fault {
            pgoff: 1,
            shared: false,
            ..e
        },
        R::Colour,
    );
    check(
        "colour ignores bits above the PMD",
        Fault {
            pgoff: 7 * NR,
            xa_index: 7 * NR,
            max_pgoff: 8 * NR,
            ..e
        },
        R::None,
    );
    check(
        "vma_start: VMA starts one page into the PMD",
        Fault {
            vm_start: e.address + PAGE,
            ..kernel_like(Fault {
                pgoff: 1,
                address: e.address + PAGE,
                ..e
            })
        },
        R::VmaStart,
    );
    check(
        "vma_end: VMA one page short of the PMD",
        Fault {
            vm_end: e.address + PMD_SIZE - PAGE,
            ..e
        },
        R::VmaEnd,
    );
    check(
        "vma_end: VMA ends exactly at the PMD end",
        Fault {
            vm_end: e.address + PMD_SIZE,
            ..e
        },
        R::None,
    );
    check(
        "vma_start wins over vma_end",
        Fault {
            vm_start: e.address + PAGE,
            vm_end: e.address + 2 * PAGE,
            ..kernel_like(Fault {
                pgoff: 1,
                address: e.address + PAGE,
                ..e
            })
        },
        R::VmaStart,
    );
    check(
        "cow wins over vma_start",
        Fault {
            vm_start: e.address + PAGE,
            shared: false,
            ..kernel_like(Fault {
                pgoff: 1,
                address: e.address + PAGE,
                ..e
            })
        },
        R::Cow,
    );
    check(
        "eof: file ends one page before the PMD end",
        Fault {
            max_pgoff: NR - 1,
            ..e
        },
        R::Eof,
    );
    check(
        "eof: file ends exactly at the PMD end",
        Fault { max_pgoff: NR, ..e },
        R::None,
    );
    check("eof: file of one page", Fault { max_pgoff: 1, ..e }, R::Eof);
    check(
        "vma_end wins over eof",
        Fault {
            vm_end: e.address + PAGE,
            max_pgoff: 1,
            ..e
        },
        R::VmaEnd,
    );
    check(
        "eof: xa_index near the top of the index space",
        Fault {
            xa_index: c_ulong::MAX - COLOUR,
            max_pgoff: c_ulong::MAX,
            ..e
        },
        R::Eof,
    );
    // A PMD at the very top of the address space: pmd_addr + PMD_SIZE wraps
    // to 0 in C; the Rust code must wrap the same way, not panic.
    let top = c_ulong::MAX & !(PMD_SIZE - 1);
    check(
        "PMD at the top of the address space (wraps)",
        Fault {
            address: top,
            vm_start: top,
            vm_end: c_ulong::MAX,
            ..e
        },
        R::None,
    );
    check(
        "PMD at address 0",
        Fault {
            address: 0,
            vm_start: 0,
            vm_end: PMD_SIZE,
            ..e
        },
        R::None,
    );
}

/// Every combination of values at and around each boundary.
#[test]
fn exhaustive_boundary_grid() {
    let top = c_ulong::MAX & !(PMD_SIZE - 1);
    let pmds = [0, PMD_SIZE, 0x7f00_0000_0000, top];
    let in_pmd = [0, 1, PAGE - 1, PAGE, PMD_SIZE - PAGE, PMD_SIZE - 1];
    let mut seen = [0u64; 6];
    let mut n = 0u64;
    for pmd in pmds {
        for off in in_pmd {
            let address = pmd + off;
            let colour = (address >> PAGE_SHIFT) & COLOUR;
            for pgoff in [
                colour,
                (colour + 1) & COLOUR,
                (colour + COLOUR) & COLOUR,
                NR + colour,
                c_ulong::MAX - COLOUR + colour,
            ] {
                let xa_index = pgoff & !COLOUR;
                for vm_start in [pmd.wrapping_sub(PAGE), pmd, pmd + 1, pmd + PAGE, address] {
                    for vm_end in [
                        pmd.wrapping_add(PMD_SIZE - PAGE),
                        pmd.wrapping_add(PMD_SIZE - 1),
                        pmd.wrapping_add(PMD_SIZE),
                        pmd.wrapping_add(PMD_SIZE + 1),
                        c_ulong::MAX,
                    ] {
                        for max_pgoff in [
                            0,
                            1,
                            xa_index | COLOUR,
                            (xa_index | COLOUR).wrapping_add(1),
                            (xa_index | COLOUR).wrapping_add(2),
                            c_ulong::MAX,
                        ] {
                            for (write, shared) in
                                [(false, false), (false, true), (true, false), (true, true)]
                            {
                                let f = Fault {
                                    pgoff,
                                    address,
                                    write,
                                    shared,
                                    vm_start,
                                    vm_end,
                                    xa_index,
                                    max_pgoff,
                                };
                                seen[decide(&f) as usize] += 1;
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(n, 4 * 6 * 5 * 5 * 5 * 6 * 4);
    assert!(
        seen.iter().all(|&s| s > 0),
        "every reason reached: {seen:?}"
    );
}

/// Values that sit on or next to a boundary of the decision.
fn near(points: Vec<c_ulong>) -> impl Strategy<Value = c_ulong> {
    (proptest::sample::select(points), -2i64..=2, any::<bool>()).prop_map(|(p, d, bytes)| {
        let step = if bytes { 1 } else { PAGE };
        p.wrapping_add_signed(d * step as i64)
    })
}

/// Faults built around the boundaries: PMD-aligned or near-aligned
/// addresses, pgoff of the same or a neighbouring colour, VMA edges at and
/// around the PMD, file size around the end of the PMD.
fn boundary_fault() -> impl Strategy<Value = Fault> {
    let pmd = prop_oneof![
        Just(0 as c_ulong),
        Just(c_ulong::MAX & !(PMD_SIZE - 1)),
        (0..(1 as c_ulong) << 27).prop_map(|k| k * PMD_SIZE),
        any::<c_ulong>().prop_map(|a| a & !(PMD_SIZE - 1)),
    ];
    (
        pmd,
        0..NR,
        any::<bool>(),
        any::<bool>(),
        any::<c_ulong>(),
        -2i64..=2,
    )
        .prop_flat_map(|(pmd, page, write, shared, file_pmd, colour_delta)| {
            let address_page = pmd.wrapping_add(page * PAGE);
            let address = near(vec![address_page, pmd, pmd.wrapping_add(PMD_SIZE - 1)]);
            let colour = (page as i64 + colour_delta).rem_euclid(NR as i64) as c_ulong;
            let pgoff = (file_pmd & !COLOUR) | colour;
            let xa_index = prop_oneof![
                4 => Just(pgoff & !COLOUR),
                1 => any::<c_ulong>(),
            ];
            let vm_start = near(vec![pmd, address_page, 0]);
            let vm_end = near(vec![
                pmd.wrapping_add(PMD_SIZE),
                pmd.wrapping_add(2 * PMD_SIZE),
                c_ulong::MAX,
            ]);
            (
                address,
                Just(pgoff),
                Just(write),
                Just(shared),
                vm_start,
                vm_end,
                xa_index,
            )
        })
        .prop_flat_map(
            |(address, pgoff, write, shared, vm_start, vm_end, xa_index)| {
                let end = xa_index | COLOUR;
                let max_pgoff = near(vec![end, end.wrapping_add(1), 0, c_ulong::MAX]);
                (
                    Just(address),
                    Just(pgoff),
                    Just(write),
                    Just(shared),
                    Just(vm_start),
                    Just(vm_end),
                    Just(xa_index),
                    max_pgoff,
                )
            },
        )
        .prop_map(
            |(address, pgoff, write, shared, vm_start, vm_end, xa_index, max_pgoff)| Fault {
                pgoff,
                address,
                write,
                shared,
                vm_start,
                vm_end,
                xa_index,
                max_pgoff,
            },
        )
}

fn any_fault() -> impl Strategy<Value = Fault> {
    (any::<[c_ulong; 6]>(), any::<bool>(), any::<bool>()).prop_map(|(v, write, shared)| Fault {
        pgoff: v[0],
        address: v[1],
        write,
        shared,
        vm_start: v[2],
        vm_end: v[3],
        xa_index: v[4],
        max_pgoff: v[5],
    })
}

/// The decision written as a specification, independent of both codes.
fn spec(f: &Fault) -> R {
    let pmd_addr = f.address & !(PMD_SIZE - 1);
    if f.pgoff % NR != (f.address / PAGE) % NR {
        R::Colour
    } else if f.write && !f.shared {
        R::Cow
    } else if pmd_addr < f.vm_start {
        R::VmaStart
    } else if (pmd_addr as u128 + PMD_SIZE as u128) % (1u128 << c_ulong::BITS) > f.vm_end as u128 {
        R::VmaEnd
    } else if (f.xa_index | COLOUR) >= f.max_pgoff {
        R::Eof
    } else {
        R::None
    }
}

/// Cases per property; `PROPTEST_CASES` overrides it.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn agree_on_boundaries(f in boundary_fault()) {
        prop_assert_eq!(decide(&f), spec(&f) as u32);
    }

    #[test]
    fn agree_on_the_whole_input_space(f in any_fault()) {
        prop_assert_eq!(decide(&f), spec(&f) as u32);
    }

    #[test]
    fn agree_on_colour_matched_faults(f in any_fault()) {
        // Uniform inputs almost always differ in colour; force a match so
        // that the later checks are reached too.
        let f = Fault { pgoff: (f.pgoff & !COLOUR) | ((f.address >> PAGE_SHIFT) & COLOUR), ..f };
        prop_assert_eq!(decide(&f), spec(&f) as u32);
    }
}
