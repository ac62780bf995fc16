//! daxkit-harness: the guest side of daxkit.
//!
//! The `protocol` module is the one contract between guest and host and is
//! always built; everything that only makes sense inside the guest (PID 1,
//! pmem setup, workloads, probes) sits behind the `guest` feature so the
//! host CLI compiles just the protocol.

#[cfg(feature = "guest")]
pub mod bench;
#[cfg(feature = "guest")]
pub mod case;
#[cfg(feature = "guest")]
pub mod cases;
pub mod protocol;
pub mod signals;
