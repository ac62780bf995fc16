//! The `daxkit-harness` binary: PID 1 of the daxkit guest (`/init`), or a
//! CLI that runs the same cases on a real machine's DAX mount.
//!
//! Which one is decided by getpid() == 1, not by argv: the kernel starts
//! /init with no arguments we control.

fn main() {
    if daxkit_harness::sys::getpid() == 1 {
        daxkit_harness::init::main();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(daxkit_harness::cli::main(&args));
}
