//! QEMU launcher (owned by the guest work; placeholder interface).
use crate::home::Home;
use anyhow::{bail, Result};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct RunArgs {}

pub fn cmd(_home: &Home, _a: &RunArgs) -> Result<i32> {
    bail!("daxkit run: not built yet")
}
