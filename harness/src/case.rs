//! The contract between the guest runner and the workloads.
//!
//! The runner (`runner.rs`) prepares an [`Env`] — a mounted filesystem on a
//! pmem namespace — and runs every [`Case`] whose [`Needs`] match it, each
//! in a child process of its own, so a panic or a crash in a case becomes an
//! error record, never a dead PID 1. The workloads (`cases/`) only map,
//! touch and measure; the signals (`signals/`) only read the kernel's view.

use crate::protocol::{CaseResult, Mapping};
use std::path::PathBuf;

/// The environment a case needs the runner to set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Needs {
    /// xfs (`-d su=2m,sw=1 -m reflink=0`) on a 2 MiB-aligned fsdax namespace, `-o dax`.
    DaxXfs,
    /// ext4 on a 2 MiB-aligned fsdax namespace, `-o dax`.
    DaxExt4,
    /// xfs on the same namespace mounted without DAX (`-o dax=never`).
    NoDaxXfs,
    /// xfs on an fsdax namespace whose pfn alignment is 4 KiB, `-o dax`.
    Dax4kXfs,
}

/// A prepared environment, handed to each case.
#[derive(Debug, Clone)]
pub struct Env {
    pub needs: Needs,
    /// Filesystem name for the report (`xfs`, `ext4`).
    pub fs: &'static str,
    /// A directory on the mounted filesystem the case may create files in.
    pub dir: PathBuf,
    /// The block device (`/dev/pmem0`), for FIEMAP-based alignment checks.
    pub device: PathBuf,
}

/// One workload.
pub struct Case {
    pub name: &'static str,
    pub description: &'static str,
    pub needs: Needs,
    /// What a stock kernel does, and why.
    pub expected: Mapping,
    pub reason: &'static str,
    /// Runs in its own process; returns the result with its signals.
    pub run: fn(&Case, &Env) -> Result<CaseResult, String>,
}
