//! daxkit: apply a DAX patch series, configure and build the kernel, boot it
//! in QEMU with emulated NVDIMMs, and check PMD vs PTE faults in the guest.
//!
//! `main` only parses arguments and maps the outcome to an exit code; each
//! subcommand lives in the module named after it.

mod apply;
mod assets;
mod bisect;
mod build;
mod build_steps;
mod check_series;
mod ci_pipeline;
mod cli;
mod completions;
mod doctor;
mod exec;
mod export;
mod fetch;
mod gc;
mod home;
mod host;
mod image;
mod kconfig;
mod kernel_checks;
mod pipeline;
mod report;
mod reproduce;
mod rerun;
mod review;
mod runs;
mod series;
mod toolchain;
mod tree;
mod ui;
mod vm;

use clap::Parser;

/// Exit codes, shaped for `git bisect run`: 0 good, 1 bad, 125 cannot test,
/// and anything above 127 aborts a bisect — which is what an error in
/// daxkit itself (bad input, missing tool) should do.
/// The constants are the judge's (`daxkit_harness::judge::exit`).
pub mod exit {
    pub use daxkit_harness::judge::exit::{BAD, ERROR, GOOD, INTERRUPTED};
    /// `git bisect run`'s "cannot test this commit".
    pub const SKIP: i32 = daxkit_harness::judge::exit::CANNOT_TEST;
}

fn main() {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => std::process::exit(usage_exit(&e)),
    };
    exec::install_interrupt_handler();
    let code = match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            ui::error(format!("{err:#}"));
            if exec::is_interrupted(&err) {
                exit::INTERRUPTED
            } else {
                exit::ERROR
            }
        }
    };
    std::process::exit(code);
}

/// Prints clap's message and returns the exit code: 0 for `--help` and
/// `--version`, [`exit::ERROR`] for any usage error (clap's own 2 would
/// read as "bad" to `git bisect run`).
fn usage_exit(e: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    let _ = e.print();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => exit::GOOD,
        _ => exit::ERROR,
    }
}
