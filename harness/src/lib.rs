//! daxkit-harness: the guest side of daxkit.
//!
//! The `protocol` module is the one contract between guest and host and
//! `judge` the one place results become verdicts; both are always built; everything that only makes sense inside the guest (PID 1,
//! pmem setup, workloads, probes) sits behind the `guest` feature so the
//! host CLI compiles just the protocol.

#[cfg(feature = "guest")]
pub mod bench;
#[cfg(feature = "guest")]
pub mod case;
#[cfg(feature = "guest")]
pub mod cases;
pub mod judge;
pub mod protocol;
pub mod signals;

// The guest runtime: boot, pmem, filesystems, runner, CLI.
#[cfg(feature = "guest")]
pub mod child;
#[cfg(feature = "guest")]
pub mod cli;
#[cfg(feature = "guest")]
pub mod fs;
#[cfg(feature = "guest")]
pub mod init;
#[cfg(feature = "guest")]
pub mod kmsg;
#[cfg(feature = "guest")]
pub mod pmem;
#[cfg(feature = "guest")]
pub mod report;
#[cfg(feature = "guest")]
pub mod requirements;
#[cfg(feature = "guest")]
pub mod runner;
#[cfg(feature = "guest")]
pub mod sys;
