//! How the composed commands (reproduce, bisect, ci) boot each kernel:
//! the run options they share, turned into `vm::RunArgs`.

use crate::vm::{accel::AccelArg, PmemArg, RunArgs, VmArgs};
use clap::Args;
use std::path::{Path, PathBuf};

/// How each variant is booted and run (shared by reproduce, bisect, ci).
#[derive(Debug, Clone, Args)]
pub struct RunOptions {
    /// Run only this case (repeatable; default: all).
    #[arg(long = "case", value_name = "NAME")]
    pub cases: Vec<String>,
    /// Filesystem to test (repeatable; default: xfs and ext4).
    #[arg(long = "fs", value_parser = ["xfs", "ext4"])]
    pub filesystems: Vec<String>,
    /// Fault benchmark size in MiB (0: no benchmark).
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub bench_mib: u64,
    #[arg(long, value_enum, default_value = "auto")]
    pub accel: AccelArg,
    /// Whole-run limit per boot, seconds.
    #[arg(long, default_value_t = 1800, value_name = "SECS")]
    pub timeout: u64,
}

impl RunOptions {
    pub fn run_args(&self, kernel: &Path, append: &[String]) -> RunArgs {
        RunArgs {
            vm: VmArgs {
                kernel: kernel.to_owned(),
                pmem: PmemArg::Nvdimm,
                accel: self.accel,
                smp: 1,
                append: append.to_vec(),
                image: None,
                qemu: PathBuf::from("qemu-system-x86_64"),
            },
            cases: self.cases.clone(),
            filesystems: self.filesystems.clone(),
            bench_mib: (self.bench_mib > 0).then_some(self.bench_mib),
            timeout: self.timeout,
            boot_timeout: 60,
            silence_timeout: 300,
            fault: None,
            dry_run: false,
        }
    }
}
