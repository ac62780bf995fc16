//! Kernel features the cases and the runner rely on, checked from inside
//! the guest by the files they create, each mapped to the Kconfig option a
//! kernel developer has to turn on. A missing one becomes an error record
//! naming the option, instead of a case that silently reports `unknown`.

use std::path::{Path, PathBuf};

use crate::protocol::{PmemMode, RunPlan};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// Absolute path that exists when the feature is there.
    pub path: &'static str,
    pub config: &'static str,
    /// Who needs it, for the message.
    pub why: &'static str,
}

/// The table. Order is the order of the error records.
pub const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        path: "/proc/self/smaps",
        config: "CONFIG_PROC_PAGE_MONITOR",
        why: "the smaps signal",
    },
    Requirement {
        path: "/proc/self/pagemap",
        config: "CONFIG_PROC_PAGE_MONITOR",
        why: "the PAGEMAP_SCAN signal",
    },
    Requirement {
        path: "/sys/kernel/debug/page_tables/current_kernel",
        config: "CONFIG_PTDUMP_DEBUGFS (needs CONFIG_DEBUG_KERNEL, CONFIG_DEBUG_FS)",
        why: "the page-table dump signal",
    },
    Requirement {
        path: "/sys/kernel/tracing/events/fs_dax",
        config: "CONFIG_FS_DAX with CONFIG_FTRACE and CONFIG_EVENT_TRACING",
        why: "the fs_dax:dax_pmd_fault_done trace signal",
    },
    Requirement {
        path: "/sys/kernel/mm/transparent_hugepage",
        config: "CONFIG_TRANSPARENT_HUGEPAGE (CONFIG_FS_DAX_PMD depends on it)",
        why: "PMD-sized DAX faults",
    },
    Requirement {
        path: "/sys/bus/nd",
        config: "CONFIG_LIBNVDIMM with CONFIG_ACPI_NFIT, CONFIG_BLK_DEV_PMEM, CONFIG_NVDIMM_PFN",
        why: "NVDIMM namespaces",
    },
    Requirement {
        path: "/proc/sysrq-trigger",
        config: "CONFIG_MAGIC_SYSRQ",
        why: "the kernel-panic fault injection",
    },
];

/// The requirements that matter for `plan`. Pure.
pub fn wanted(plan: &RunPlan) -> Vec<Requirement> {
    REQUIREMENTS
        .iter()
        .filter(|r| match r.path {
            "/sys/bus/nd" => plan.pmem == PmemMode::Nvdimm,
            "/proc/sysrq-trigger" => plan.fault == Some(crate::protocol::Fault::KernelPanic),
            _ => true,
        })
        .copied()
        .collect()
}

/// Checks `reqs` under `root` (`/` in the guest); returns error messages
/// for the missing ones.
pub fn missing(root: &Path, reqs: &[Requirement]) -> Vec<String> {
    reqs.iter()
        .filter(|r| !rooted(root, r.path).exists())
        .map(|r| {
            format!(
                "kernel lacks {}: {} is missing (enable {})",
                r.why, r.path, r.config
            )
        })
        .collect()
}

fn rooted(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Fault;

    #[test]
    fn plan_selects_requirements() {
        let mut plan = RunPlan::default();
        let n = wanted(&plan).len();
        assert!(!wanted(&plan)
            .iter()
            .any(|r| r.config == "CONFIG_MAGIC_SYSRQ"));
        plan.fault = Some(Fault::KernelPanic);
        assert_eq!(wanted(&plan).len(), n + 1);
        plan.pmem = PmemMode::Memmap;
        assert!(!wanted(&plan).iter().any(|r| r.path == "/sys/bus/nd"));
    }

    #[test]
    fn missing_names_the_config_option() {
        let root = std::env::temp_dir().join(format!("daxkit-req-{}", crate::sys::getpid()));
        std::fs::create_dir_all(root.join("proc/self")).unwrap();
        std::fs::write(root.join("proc/self/smaps"), "").unwrap();
        let reqs = &REQUIREMENTS[..3];
        let m = missing(&root, reqs);
        assert_eq!(m.len(), 2);
        assert!(m[0].contains("/proc/self/pagemap") && m[0].contains("CONFIG_PROC_PAGE_MONITOR"));
        assert!(m[1].contains("CONFIG_PTDUMP_DEBUGFS"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
