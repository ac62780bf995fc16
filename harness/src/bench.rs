//! The fault benchmark: what 2 MiB PMDs buy over 4 KiB PTEs.
//!
//! On the DaxXfs environment, N MiB of a preallocated file are mapped once
//! PMD-eligible (aligned address and offset) and once PTE-forced (file
//! offset 4 KiB off the address colour), and one byte per 4 KiB page is
//! written. Each run reports the faults it took (getrusage minor + major:
//! DAX counts a fault that allocates blocks as major), ns per fault and
//! MiB/s; the mapping it reports is what PAGEMAP_SCAN saw
//! afterwards, so a run that did not get the intended entries says so.
//! The host computes the ratio.

use crate::case::Env;
use crate::cases::map::{self, Alloc, MIB, PAGE, PMD};
use crate::protocol::{BenchResult, Mapping};
use crate::signals::pagemap_scan;
use std::time::Instant;

struct Variant {
    name: &'static str,
    offset: u64,
    intended: Mapping,
}

const VARIANTS: [Variant; 2] = [
    Variant {
        name: "pmd-eligible",
        offset: 0,
        intended: Mapping::Pmd,
    },
    Variant {
        name: "pte-forced",
        offset: PAGE,
        intended: Mapping::Pte,
    },
];

/// Runs both variants on `env` with `mib` MiB each; a variant that cannot
/// run (no space, mmap refused) is left out, with its reason on stderr.
pub fn run(env: &Env, mib: u64) -> Vec<BenchResult> {
    VARIANTS
        .iter()
        .filter_map(|v| match run_one(env, mib, v) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("daxkit-harness: bench {}: {e}", v.name);
                None
            }
        })
        .collect()
}

fn run_one(env: &Env, mib: u64, v: &Variant) -> Result<BenchResult, String> {
    let path = env.dir.join(format!("bench-{}.dat", v.name));
    let res = measure(&path, mib, v);
    let _ = std::fs::remove_file(&path);
    res
}

fn measure(path: &std::path::Path, mib: u64, v: &Variant) -> Result<BenchResult, String> {
    let len = mib * MIB;
    let fd = map::create(path, len + PMD, Alloc::Fallocate)?;
    let m = map::map(&fd, len, v.offset, 0, libc::MAP_SHARED)?;
    let f0 = map::faults();
    let t0 = Instant::now();
    map::write_pages(m.addr, len);
    let ns = t0.elapsed().as_nanos() as f64;
    let faults = map::faults().saturating_sub(f0);
    let mapping = match pagemap_scan::scan(m.addr, m.addr + len) {
        Ok(r) => pagemap_scan::judge(&r, m.addr, m.addr + len)
            .0
            .unwrap_or(Mapping::Unknown),
        Err(_) => v.intended,
    };
    Ok(BenchResult {
        name: v.name.to_owned(),
        mapping,
        mib,
        faults,
        ns_per_fault: if faults == 0 { 0.0 } else { ns / faults as f64 },
        mib_per_s: if ns == 0.0 {
            0.0
        } else {
            mib as f64 / (ns / 1e9)
        },
    })
}
