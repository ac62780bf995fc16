//! The Rust toolchain for CONFIG_RUST, per kernel tree, checked the way
//! the kernel checks it.
//!
//! [`ensure_available`]: `make rustavailable` (the tree's
//! `scripts/rust_is_available.sh`, which is also what Kconfig's
//! RUST_IS_AVAILABLE runs). Each missing piece it names — rust-src,
//! bindgen, libclang — is installed when allowed ([`exec::may_install`])
//! and the tree asked again; otherwise the error names each piece and
//! where it comes from. Without this, Kconfig silently drops CONFIG_RUST.
//!
//! A failure is a [`HostError`] (exit 128), never a build failure.

use crate::exec::{self, find_tool, Cmd, HostError, Provider};
use anyhow::Result;
use std::path::Path;

/// One piece of the Rust toolchain that `rust_is_available.sh` found
/// missing or unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Rustc,
    RustcTooOld,
    Bindgen,
    BindgenTooOld,
    Libclang,
    RustSrc,
}

impl Piece {
    /// What it is, and where it comes from.
    pub fn describe(self) -> &'static str {
        match self {
            Piece::Rustc => "rustc: not found (install Rust with rustup, https://rustup.rs)",
            Piece::RustcTooOld => "rustc: too old for this tree (rustup update stable)",
            Piece::Bindgen => "bindgen: not found (cargo install --locked bindgen-cli)",
            Piece::BindgenTooOld => {
                "bindgen: too old for this tree (cargo install --locked --force bindgen-cli)"
            }
            Piece::Libclang => {
                "libclang for bindgen: not found (Debian package libclang-dev, apt-get install libclang-dev)"
            }
            Piece::RustSrc => {
                "rust-src (the core library's source): not found (rustup component add rust-src)"
            }
        }
    }

    /// Installs it; `false` when daxkit does not install this piece.
    fn install(self) -> Result<bool> {
        match self {
            Piece::Rustc | Piece::RustcTooOld => return Ok(false),
            Piece::Bindgen => exec::install(Provider::Cargo("bindgen-cli"))?,
            Piece::BindgenTooOld => {
                eprintln!("==> cargo install --locked --force bindgen-cli");
                Cmd::new("cargo")
                    .args(["install", "--locked", "--force", "bindgen-cli"])
                    .read()?;
            }
            Piece::Libclang => exec::install(Provider::Apt("libclang-dev"))?,
            Piece::RustSrc => exec::require_rustup("component", "rust-src")?,
        }
        Ok(true)
    }
}

/// The pieces `rust_is_available.sh` (6.1 … 6.12 wording) says are missing.
pub fn missing_pieces(output: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for line in output.lines() {
        let l = line.trim_start_matches('*').trim();
        let piece = if l.starts_with("Rust compiler '") && l.ends_with("could not be found.") {
            Piece::Rustc
        } else if l.starts_with("Rust compiler '") && l.ends_with("is too old.") {
            Piece::RustcTooOld
        } else if l.starts_with("Rust bindings generator '") && l.ends_with("could not be found.") {
            Piece::Bindgen
        } else if l.starts_with("Rust bindings generator '") && l.ends_with("is too old.") {
            Piece::BindgenTooOld
        } else if l.contains("to check the libclang version")
            || (l.starts_with("libclang (used by the Rust bindings generator")
                && l.ends_with("is too old."))
        {
            Piece::Libclang
        } else if l.starts_with("Source code for the 'core' standard library could not be found") {
            Piece::RustSrc
        } else {
            continue;
        };
        if !out.contains(&piece) {
            out.push(piece);
        }
    }
    out
}

/// The script stops at the first problem; when daxkit may not install,
/// these probes name the pieces it did not get to (for the message only).
fn other_missing(found: &[Piece]) -> Vec<Piece> {
    let mut more = Vec::new();
    let has = |p: Piece| found.contains(&p);
    if !has(Piece::Rustc) && !has(Piece::Bindgen) && find_tool("bindgen").is_none() {
        more.push(Piece::Bindgen);
    }
    if !has(Piece::Libclang) && (has(Piece::Bindgen) || more.contains(&Piece::Bindgen)) {
        // bindgen finds libclang through the dynamic loader's cache.
        let cached = Cmd::new("/sbin/ldconfig")
            .arg("-p")
            .read()
            .unwrap_or_default()
            .lines()
            .any(|l| l.trim_start().starts_with("libclang.so") || l.contains("libclang-"));
        if !cached {
            more.push(Piece::Libclang);
        }
    }
    if !has(Piece::RustSrc) && !has(Piece::Rustc) {
        let installed = Cmd::new("rustup")
            .args(["component", "list", "--installed"])
            .read();
        if installed.is_ok_and(|s| !s.lines().any(|l| l.starts_with("rust-src"))) {
            more.push(Piece::RustSrc);
        }
    }
    more
}

/// `make rustavailable` for the tree at `src` (scratch output in
/// `scratch`): `Ok(None)` when Rust is available, else the script's words.
pub fn rustavailable(src: &Path, scratch: &Path) -> Result<Option<String>> {
    std::fs::create_dir_all(scratch)?;
    let (ok, out) = Cmd::new("make")
        .arg("-C")
        .arg(src)
        .arg(format!("O={}", scratch.display()))
        .arg("ARCH=x86_64")
        .arg("rustavailable")
        .read_status()?;
    Ok((!ok).then_some(out))
}

/// Asks the tree whether Rust is available; installs each missing piece
/// when allowed and asks again. Fails with a [`HostError`] naming every
/// missing piece and where it comes from.
pub fn ensure_available(src: &Path, scratch: &Path) -> Result<()> {
    let mut installed: Vec<Piece> = Vec::new();
    loop {
        let Some(out) = rustavailable(src, scratch)? else {
            return Ok(());
        };
        let missing = missing_pieces(&out);
        let why = exec::tail_of(out.trim_end(), 12);
        let Some(&next) = missing.first() else {
            return Err(HostError(format!(
                "CONFIG_RUST: `make rustavailable` says Rust is not available, for a reason daxkit does not know:\n{why}"
            ))
            .into());
        };
        if installed.contains(&next) {
            return Err(HostError(format!(
                "CONFIG_RUST: installed {} but `make rustavailable` still fails:\n{why}",
                next.describe()
            ))
            .into());
        }
        if !exec::may_install() || !next.install()? {
            let mut all = missing.clone();
            all.extend(other_missing(&missing));
            let list: Vec<String> = all.iter().map(|p| format!("  {}", p.describe())).collect();
            return Err(HostError(format!(
                "CONFIG_RUST needs a Rust toolchain this host lacks ({}):\n{}\n`make rustavailable` said:\n{why}",
                if exec::may_install() {
                    "daxkit does not install this"
                } else {
                    "not installing: not root with apt-get, or DAXKIT_NO_INSTALL is set"
                },
                list.join("\n")
            ))
            .into());
        }
        installed.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real `make rustavailable` output of Debian's 6.12 tree.
    #[test]
    fn pieces_from_rust_is_available() {
        let bindgen = "***\n*** Rust bindings generator 'bindgen' could not be found.\n***\n***\n*** Please see Documentation/rust/quick-start.rst for details\n*** on how to set up the Rust support.\n***\nmake[2]: *** [/src/Makefile:1801: rustavailable] Error 1\n";
        assert_eq!(missing_pieces(bindgen), [Piece::Bindgen]);
        let libclang = "***\n*** Running 'bindgen' to check the libclang version (used by the Rust\n*** bindings generator) failed with code 101. This may be caused by\n*** a failure to locate libclang. See output and docs below for details:\n***\n\nthread 'main' (14528) panicked at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/bindgen-0.73.2/lib.rs:618:27:\nUnable to find libclang: \"couldn't find any valid shared libraries matching: ['libclang.so', 'libclang-*.so', 'libclang.so.*', 'libclang-*.so.*'], set the `LIBCLANG_PATH` environment variable to a path where one of these files can be found (invalid: [])\"\n";
        assert_eq!(missing_pieces(libclang), [Piece::Libclang]);
        let src = "***\n*** Source code for the 'core' standard library could not be found\n*** at '/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/src/rust/library/core/src/lib.rs'.\n***\n";
        assert_eq!(missing_pieces(src), [Piece::RustSrc]);
        let rustc = "***\n*** Rust compiler 'rustc' could not be found.\n***\n";
        assert_eq!(missing_pieces(rustc), [Piece::Rustc]);
        let old = "*** Rust bindings generator 'bindgen' is too old.\n***   Your version:    0.60.1\n***   Minimum version: 0.65.1\n";
        assert_eq!(missing_pieces(old), [Piece::BindgenTooOld]);
        let old_clang =
            "*** libclang (used by the Rust bindings generator 'bindgen') is too old.\n";
        assert_eq!(missing_pieces(old_clang), [Piece::Libclang]);
        // 6.1's "too new" is a warning of a passing check, not a piece.
        let warn = "Rust is available!\n***\n*** Rust compiler 'rustc' is too new. This may or may not work.\n***   Your version:     1.95.0\n";
        assert!(missing_pieces(warn).is_empty());
        for p in [Piece::Bindgen, Piece::Libclang, Piece::RustSrc] {
            assert!(p.describe().contains("install") || p.describe().contains("rustup"));
        }
        assert!(Piece::Libclang.describe().contains("libclang-dev"));
        assert!(Piece::Bindgen.describe().contains("bindgen-cli"));
    }
}
