//! What the tree workflows (`reproduce`, `ci`, `bisect`, `check-series`,
//! and `config`/`build`) are asked to build, as plain values: the CLI
//! fills a [`KernelSpec`] from its flags, the workflows read it. Nothing
//! here knows the command line.

use crate::{build, kconfig, tree};

/// One kernel job's inputs: which tree and series, which fragments, how
/// make runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSpec {
    pub target: tree::Target,
    pub config: kconfig::ConfigSpec,
    pub build: build::BuildOptions,
}
