//! The fault benchmark: what 2 MiB PMDs buy over 4 KiB PTEs.
//!
//! On the DaxXfs environment, N MiB of a preallocated file are mapped once
//! PMD-eligible (aligned address and offset) and once PTE-forced (file
//! offset 4 KiB off the address colour), and one byte per 4 KiB page is
//! written. Each run reports the faults it took (getrusage minor + major:
//! DAX counts a fault that allocates blocks as major), ns per fault and
//! MiB/s. After the faults (outside the timing) both page-table readers,
//! PAGEMAP_SCAN and ptdump, are read over the range with the cases' code
//! and go into the record; the host judges them (`judge::bench_verified`)
//! and leaves any run whose readers do not both confirm the intended
//! mapping out of the ratio. The host computes the ratio.

use crate::case::Env;
use crate::cases::map::{self, Alloc, MIB, PAGE, PMD};
use crate::protocol::{BenchResult, BENCH_PMD_ELIGIBLE, BENCH_PTE_FORCED};
use crate::signals;
use std::time::Instant;

struct Variant {
    name: &'static str,
    offset: u64,
}

const VARIANTS: [Variant; 2] = [
    Variant {
        name: BENCH_PMD_ELIGIBLE,
        offset: 0,
    },
    Variant {
        name: BENCH_PTE_FORCED,
        offset: PAGE,
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
    // Read while the range is still mapped; never assumed from the intent.
    let signals = signals::read_page_tables(m.addr, m.addr + len, |_, _| {}).to_vec();
    let mapping = signals::verdict(&signals).0;
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
        signals,
    })
}
