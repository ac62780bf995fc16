//! Guest initramfs builder (owned by the guest work; placeholder interface).
use crate::home::Home;
use anyhow::{bail, Result};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ImageArgs {}

pub fn cmd(_home: &Home, _a: &ImageArgs) -> Result<i32> {
    bail!("daxkit image: not built yet")
}
