//! The one workload every case is a variation of, described by a [`Spec`]:
//! create a file, map it at a chosen colour, optionally spoil or restrict
//! the range first, then touch it between [`Probe::start`] and
//! [`Probe::finish`] and turn the signals into a [`CaseResult`].

use super::fiemap;
use super::map::{self, Alloc, PMD};
use crate::case::{Case, Env};
use crate::protocol::CaseResult;
use crate::signals::{self, Probe};
use std::time::Instant;

/// How the file is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    Shared,
    Private,
    /// `MAP_SHARED_VALIDATE | MAP_SYNC`.
    Sync,
}

/// What the measured access does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Write,
    Read,
}

/// What happens between mapping and the measured access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    Nothing,
    /// `madvise(MADV_NOHUGEPAGE)` on the mapping.
    NoHugepage,
    /// `prctl(PR_SET_THP_DISABLE, 1)` for the process.
    ThpDisable,
    /// Write the 4 KiB page at this offset of the mapping through a
    /// separate 4 KiB mapping first, leaving a PTE-sized entry in the
    /// file's DAX mapping tree.
    PteFirst(u64),
}

/// Where the mapping starts in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    At(u64),
    /// A PMD-capable offset found with FIEMAP (ext4).
    AlignedExtent,
}

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub file_size: u64,
    pub alloc: Alloc,
    pub offset: Offset,
    pub map_len: u64,
    /// Address offset from a 2 MiB boundary.
    pub colour: u64,
    pub share: Share,
    pub before: Before,
    pub access: Access,
    /// The touched (and judged) part of the mapping: `(offset, len)`;
    /// `None` is the whole mapping.
    pub touch: Option<(u64, u64)>,
}

/// The PMD-eligible baseline: an 8 MiB preallocated file, its first 4 MiB
/// (two PMDs) mapped shared at a 2 MiB-aligned address and written.
pub const ELIGIBLE: Spec = Spec {
    file_size: 4 * PMD,
    alloc: Alloc::Fallocate,
    offset: Offset::At(0),
    map_len: 2 * PMD,
    colour: 0,
    share: Share::Shared,
    before: Before::Nothing,
    access: Access::Write,
    touch: None,
};

/// Why, by what the case did before the access, the kernel never tries a
/// PMD fault: these fallbacks happen before `->huge_fault`, so the
/// `dax_pmd_fallback` trace event of the dax-pmd series cannot name them.
/// `None` when the PMD fault is tried (and the kernel names its fallback).
pub fn fallback_before_huge_fault(before: Before) -> Option<&'static str> {
    match before {
        Before::NoHugepage => Some(
            "vma_thp_disabled: madvise(MADV_NOHUGEPAGE) set VM_NOHUGEPAGE, which \
             __thp_vma_allowable_orders() checks before ->huge_fault",
        ),
        Before::ThpDisable => Some(
            "vma_thp_disabled: prctl(PR_SET_THP_DISABLE) set MMF_DISABLE_THP, which \
             __thp_vma_allowable_orders() checks before ->huge_fault",
        ),
        // The 4 KiB write went through another VMA: this one's PMD is
        // still none, so the PMD fault is tried and falls back on the
        // xarray entry (`entry`).
        Before::PteFirst(_) | Before::Nothing => None,
    }
}

/// Adds what the case knows about a fallback before `->huge_fault` to the
/// evidence of the `trace` signal, which sees no PMD fault at all then.
fn name_fallback_before_huge_fault(signals: &mut [crate::protocol::Signal], before: Before) {
    let Some(why) = fallback_before_huge_fault(before) else {
        return;
    };
    for s in signals.iter_mut().filter(|s| s.name == "trace") {
        s.evidence += &format!("; no PMD fault tried ({why})");
    }
}

fn flags(share: Share) -> libc::c_int {
    match share {
        Share::Shared => libc::MAP_SHARED,
        Share::Private => libc::MAP_PRIVATE,
        Share::Sync => libc::MAP_SHARED_VALIDATE | libc::MAP_SYNC,
    }
}

/// Runs `spec` for `case` in `env`; the file is removed afterwards.
pub fn run(case: &Case, env: &Env, spec: &Spec) -> Result<CaseResult, String> {
    let path = env.dir.join(format!("{}.dat", case.name));
    let res = run_on(case, env, spec, &path);
    let _ = std::fs::remove_file(&path);
    res
}

fn run_on(
    case: &Case,
    env: &Env,
    spec: &Spec,
    path: &std::path::Path,
) -> Result<CaseResult, String> {
    let t0 = Instant::now();
    let fd = map::create(path, spec.file_size, spec.alloc)?;
    let offset = match spec.offset {
        Offset::At(o) => o,
        Offset::AlignedExtent => {
            let ext = fiemap::extents(&fd)?;
            fiemap::pick(&ext).ok_or_else(|| {
                format!(
                    "no 2 MiB-aligned extent in {} on {}: {}",
                    path.display(),
                    env.device.display(),
                    fiemap::describe(&ext)
                )
            })?
        }
    };
    if spec.before == Before::ThpDisable {
        map::disable_thp()?;
    }
    let m = map::map(&fd, spec.map_len, offset, spec.colour, flags(spec.share))?;
    let (toff, tlen) = spec.touch.unwrap_or((0, spec.map_len));
    let (start, end) = (m.addr + toff, m.addr + toff + tlen);
    match spec.before {
        Before::NoHugepage => map::madvise(m.addr, m.len, libc::MADV_NOHUGEPAGE)?,
        Before::PteFirst(at) => {
            // Any address will do: a 4 KiB VMA can never take a PMD.
            let small = map::map(&fd, map::PAGE, offset + at, map::PAGE, libc::MAP_SHARED)?;
            map::write_pages(small.addr, small.len);
        }
        Before::Nothing | Before::ThpDisable => {}
    }

    let probe = Probe::start(case.name, start, end);
    match spec.access {
        Access::Write => map::write_pages(start, tlen),
        Access::Read => {
            std::hint::black_box(map::read_pages(start, tlen));
        }
    }
    let mut sigs = probe.finish(path);
    name_fallback_before_huge_fault(&mut sigs, spec.before);
    let (verdict, disagreement) = signals::verdict(&sigs);
    drop(m);
    Ok(CaseResult {
        name: case.name.to_owned(),
        fs: env.fs.to_owned(),
        expected: case.expected,
        verdict,
        signals: sigs,
        disagreement,
        duration_ms: t0.elapsed().as_millis() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Mapping;

    #[test]
    fn fallbacks_before_huge_fault_are_named_in_the_trace_evidence() {
        let mut sigs = vec![
            signals::signal(
                "trace",
                (Some(Mapping::Pte), "dax_pte_fault_done 1024".into()),
            ),
            signals::signal(
                "vmstat",
                (Some(Mapping::Pte), "thp_fault_fallback +0".into()),
            ),
        ];
        name_fallback_before_huge_fault(&mut sigs, Before::NoHugepage);
        assert!(sigs[0]
            .evidence
            .starts_with("dax_pte_fault_done 1024; no PMD fault tried"));
        assert!(sigs[0].evidence.contains("MADV_NOHUGEPAGE"));
        assert_eq!(sigs[1].evidence, "thp_fault_fallback +0");
        assert!(fallback_before_huge_fault(Before::ThpDisable)
            .is_some_and(|w| w.contains("PR_SET_THP_DISABLE")));
        assert_eq!(fallback_before_huge_fault(Before::PteFirst(0)), None);
        assert_eq!(fallback_before_huge_fault(Before::Nothing), None);
    }
}
