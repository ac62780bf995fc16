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

/// Checks `--case` names against the harness's own list (the static guest
/// binary runs on the host too), so a typo fails before any kernel build.
pub fn check_case_names(home: &crate::home::Home, names: &[String]) -> anyhow::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(home.images())?;
    let bin = crate::image::build_harness(&home.images().join("harness-build.log"))?;
    let list = crate::exec::Cmd::new(&bin).arg("list").read()?;
    let known = known_cases(&list);
    let unknown: Vec<&String> = names.iter().filter(|n| !known.contains(n)).collect();
    if !unknown.is_empty() {
        anyhow::bail!(
            "unknown case {}: known cases are {}",
            unknown
                .iter()
                .map(|u| format!("{u:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            known.join(", ")
        );
    }
    Ok(())
}

/// Case names from `daxkit-harness list` (first column).
pub fn known_cases(list: &str) -> Vec<String> {
    list.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}
