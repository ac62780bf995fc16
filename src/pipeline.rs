//! The steps the tree workflows (`reproduce`, `ci`, `bisect`,
//! `check-series`, and `apply`/`config`/`build`) share, as functions they
//! compose: what they are asked to build ([`KernelSpec`], filled by the
//! CLI from its flags), the preamble that turns it into a base tree
//! ([`target`], [`start`]), and whose fault a kernel that did not
//! configure or build is ([`sort_failure`] with each workflow's rule).
//! Nothing here knows the command line.

use crate::home::Home;
use crate::runs::RunOptions;
use crate::series::{self, Series};
use crate::{build, exec, kconfig, tree};
use anyhow::Result;

/// One kernel job's inputs: which tree and series, which fragments, how
/// make runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSpec {
    pub target: tree::Target,
    pub config: kconfig::ConfigSpec,
    pub build: build::BuildOptions,
}

/// Loads the target's series (if it names one) and resolves the base
/// tree, as every tree command does.
pub fn target(home: &Home, t: &tree::Target) -> Result<(tree::BaseTree, Option<Series>)> {
    let series = t.series.as_deref().map(series::load).transpose()?;
    let base = tree::resolve(home, t, series.as_ref())?;
    Ok((base, series))
}

/// The workflows' inputs after their series: the case names checked
/// against the harness (an unknown one is daxkit's input error, 128,
/// before anything is built), then the base tree.
pub fn start(
    home: &Home,
    k: &KernelSpec,
    runs: &RunOptions,
    series: Option<&Series>,
) -> Result<tree::BaseTree> {
    crate::runs::check_case_names(home, &runs.cases, &runs.filesystems, runs.image.as_deref())?;
    tree::resolve(home, &k.target, series)
}

/// Whose a failed configure-and-build is. The host's problems
/// ([`exec::HostError`]) and Ctrl-C stop every workflow (`Err`: exit 128
/// or 130); beyond that, `kernels_fault` is the workflow's rule for what
/// is the kernel's failure (`Ok`: an outcome — a variant that did not
/// build, a bisect skip, a patch's row), anything else stops it too.
pub fn sort_failure(
    e: anyhow::Error,
    kernels_fault: fn(&anyhow::Error) -> bool,
) -> Result<anyhow::Error> {
    if exec::interrupted() || exec::is_host_error(&e) || !kernels_fault(&e) {
        Err(e)
    } else {
        Ok(e)
    }
}

/// `reproduce`'s rule: only make failing is the kernel's. Its configs are
/// made strictly, so an option that does not hold is an input error.
pub fn make_failed(e: &anyhow::Error) -> bool {
    e.is::<build::BuildFailed>()
}

/// `bisect`'s rule: the commit's kernel cannot be built — make failed,
/// kbuild cannot make the config asked for, or a command of the build
/// failed. A bisect skips such a commit (125).
pub fn cannot_build(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<build::BuildFailed>()
            || c.is::<kconfig::ConfigDoesNotHold>()
            || c.is::<exec::CommandFailed>()
    })
}

/// `check-series`' rule: anything but the host's problems is the patch's
/// (a row that says why).
pub fn any_failure(_: &anyhow::Error) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_sorted_by_the_workflows_rule() {
        let host = || anyhow::Error::new(exec::HostError("no make".into()));
        let other = || anyhow::anyhow!("reading a file");
        for rule in [make_failed, cannot_build, any_failure] {
            assert!(sort_failure(host(), rule).is_err());
        }
        assert!(sort_failure(other(), make_failed).is_err());
        assert!(sort_failure(other(), cannot_build).is_err());
        assert!(sort_failure(other(), any_failure).is_ok());
        let made = || {
            anyhow::Error::new(build::BuildFailed {
                wall_s: 1.0,
                errors: Vec::new(),
                tail: String::new(),
                log: "/b.log".into(),
            })
        };
        assert!(sort_failure(made(), make_failed).is_ok());
        assert!(sort_failure(made().context("kernel of C"), cannot_build).is_ok());
    }
}
