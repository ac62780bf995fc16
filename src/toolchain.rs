//! The Rust toolchain for CONFIG_RUST, per kernel tree, checked the way
//! the kernel checks it.
//!
//! Two questions, in this order:
//!
//! 1. [`fit`]: can the host's rustc and bindgen build this tree at all?
//!    From 6.11 on the kernel states a minimum (`scripts/min-tool-version.sh`);
//!    before 6.11 it supported exactly one pinned version (Debian's 6.1
//!    wants rustc 1.62 / bindgen 0.56 and fails with 1.95 / 0.73 on
//!    `--blacklist-type` in rust/Makefile), and `rust_is_available.sh`
//!    only warns "too new", so the tree's own check cannot tell.
//! 2. [`ensure_available`]: `make rustavailable` (the tree's
//!    `scripts/rust_is_available.sh`, which is also what Kconfig's
//!    RUST_IS_AVAILABLE runs). Each missing piece it names — rust-src,
//!    bindgen, libclang — is installed when allowed ([`exec::may_install`])
//!    and the tree asked again; otherwise the error names each piece and
//!    where it comes from. Without this, Kconfig silently drops CONFIG_RUST.
//!
//! Both failures are [`HostError`]s (exit 128), never a build failure.

use crate::exec::{self, find_tool, Cmd, HostError, Provider};
use anyhow::{Context, Result};
use std::fmt;
use std::path::Path;

/// A dotted tool version, `1.78.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// The first word of `text` that reads as `X.Y[.Z]` (`rustc 1.95.0
    /// (59807616e 2026-04-14)`, `bindgen 0.73.2`, `1.62.0`).
    pub fn find(text: &str) -> Option<Version> {
        text.split_whitespace().find_map(|w| {
            let mut it = w.split('.').map(|n| n.parse::<u32>().ok());
            let (a, b) = (it.next()??, it.next()??);
            let c = it.next().map_or(Some(0), |c| c)?;
            Some(Version(a, b, c))
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The first kernel that supports a minimum Rust version rather than
/// exactly one (Documentation/rust/quick-start.rst: "A recent version of
/// the Rust compiler is required" from 6.11; "A particular version" before).
pub const MIN_VERSION_POLICY_SINCE: (u32, u32) = (6, 11);

/// What a tree asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRust {
    /// `VERSION.PATCHLEVEL` from the tree's Makefile.
    pub kernel: (u32, u32),
    /// `scripts/min-tool-version.sh rustc`; `None` when the tree has no
    /// Rust support.
    pub rustc: Option<Version>,
    /// `scripts/min-tool-version.sh bindgen`.
    pub bindgen: Option<Version>,
}

/// What the host has (`None`: not installed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRust {
    pub rustc: Option<Version>,
    pub bindgen: Option<Version>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// The host's versions (or what daxkit would install) can build it.
    Fits,
    /// Why Rust cannot be had for this tree on this host (one line).
    Unfit(String),
}

/// Whether the host's rustc/bindgen can build the tree's Rust code. A tool
/// the host lacks counts as fitting a minimum (daxkit installs the latest),
/// never a pinned version.
pub fn fit(tree: &TreeRust, host: &HostRust) -> Fit {
    let (maj, min) = tree.kernel;
    let (Some(need_rustc), Some(need_bindgen)) = (tree.rustc, tree.bindgen) else {
        return Fit::Unfit(format!(
            "Linux {maj}.{min} has no Rust support (its scripts/min-tool-version.sh names no rustc/bindgen)"
        ));
    };
    let show = |v: Option<Version>| v.map_or("none".to_owned(), |v| v.to_string());
    let tools = [
        ("rustc", need_rustc, host.rustc),
        ("bindgen", need_bindgen, host.bindgen),
    ];
    if tree.kernel < MIN_VERSION_POLICY_SINCE {
        let same = |need: Version, have: Option<Version>| {
            have.is_some_and(|h| (h.0, h.1) == (need.0, need.1))
        };
        if tools.iter().all(|(_, need, have)| same(*need, *have)) {
            return Fit::Fits;
        }
        return Fit::Unfit(format!(
            "Linux {maj}.{min} builds Rust only with rustc {}.{}.x and bindgen {}.{}.x (kernels before {}.{} pin one version); this host has rustc {}, bindgen {}",
            need_rustc.0,
            need_rustc.1,
            need_bindgen.0,
            need_bindgen.1,
            MIN_VERSION_POLICY_SINCE.0,
            MIN_VERSION_POLICY_SINCE.1,
            show(host.rustc),
            show(host.bindgen)
        ));
    }
    let old: Vec<String> = tools
        .iter()
        .filter_map(|(tool, need, have)| {
            have.filter(|h| h < need)
                .map(|h| format!("{tool} {h} is older than its minimum {need}"))
        })
        .collect();
    if old.is_empty() {
        Fit::Fits
    } else {
        Fit::Unfit(format!("Linux {maj}.{min}: {}", old.join("; ")))
    }
}

/// Reads `VERSION`/`PATCHLEVEL` and the Rust minimums from the tree.
pub fn tree_rust(src: &Path) -> Result<TreeRust> {
    let makefile = src.join("Makefile");
    let text = std::fs::read_to_string(&makefile)
        .with_context(|| format!("reading {}", makefile.display()))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim_start().strip_prefix('='))
            .and_then(|v| v.trim().parse::<u32>().ok())
    };
    let kernel = match (field("VERSION"), field("PATCHLEVEL")) {
        (Some(v), Some(p)) => (v, p),
        _ => anyhow::bail!("{}: no VERSION/PATCHLEVEL", makefile.display()),
    };
    let script = src.join("scripts/min-tool-version.sh");
    let min = |tool: &str| {
        if !script.is_file() {
            return None;
        }
        Cmd::new("sh")
            .arg(&script)
            .arg(tool)
            .read()
            .ok()
            .and_then(|s| Version::find(&s))
    };
    Ok(TreeRust {
        kernel,
        rustc: min("rustc"),
        bindgen: min("bindgen"),
    })
}

/// The host's rustc and bindgen versions.
pub fn host_rust() -> HostRust {
    let version = |tool: &str| {
        let path = find_tool(tool)?;
        Cmd::new(path)
            .arg("--version")
            .read()
            .ok()
            .and_then(|s| Version::find(&s))
    };
    HostRust {
        rustc: version("rustc"),
        bindgen: version("bindgen"),
    }
}

/// [`fit`] for the tree at `src` and this host.
pub fn check_fit(src: &Path) -> Result<Fit> {
    Ok(fit(&tree_rust(src)?, &host_rust()))
}

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

    /// Whether daxkit installs this piece (not rustc: that is rustup's).
    pub fn installable(self) -> bool {
        !matches!(self, Piece::Rustc | Piece::RustcTooOld)
    }

    /// Installs it; `false` when daxkit does not install this piece.
    pub fn install(self) -> Result<bool> {
        match self {
            Piece::Rustc | Piece::RustcTooOld => return Ok(false),
            Piece::Bindgen => exec::install(Provider::Cargo("bindgen-cli"))?,
            Piece::BindgenTooOld => {
                crate::ui::step("cargo install --locked --force bindgen-cli");
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
    if !has(Piece::Libclang)
        && (has(Piece::Bindgen) || more.contains(&Piece::Bindgen))
        && !libclang_found()
    {
        more.push(Piece::Libclang);
    }
    if !has(Piece::RustSrc) && !has(Piece::Rustc) && rust_src_installed() == Some(false) {
        more.push(Piece::RustSrc);
    }
    more
}

/// Whether the dynamic loader's cache has a libclang, where bindgen
/// looks for it (libclang-cpp14 alone, without libclang.so, does not count).
pub fn libclang_found() -> bool {
    libclang_in_ldconfig(
        &Cmd::new("/sbin/ldconfig")
            .arg("-p")
            .read()
            .unwrap_or_default(),
    )
}

/// `libclang.so*` or `libclang-14.so*` in `ldconfig -p` output; Debian's
/// `libclang-cpp.so.14` is the C++ library, which bindgen cannot use.
fn libclang_in_ldconfig(out: &str) -> bool {
    out.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("libclang.so")
            || (l.starts_with("libclang-") && !l.starts_with("libclang-cpp"))
    })
}

/// Whether rustup has the rust-src component; `None` without rustup.
pub fn rust_src_installed() -> Option<bool> {
    let installed = Cmd::new("rustup")
        .args(["component", "list", "--installed"])
        .read()
        .ok()?;
    Some(installed.lines().any(|l| l.starts_with("rust-src")))
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

    fn v(s: &str) -> Option<Version> {
        Version::find(s)
    }

    #[test]
    fn versions() {
        assert_eq!(
            v("rustc 1.95.0 (59807616e 2026-04-14)"),
            Some(Version(1, 95, 0))
        );
        assert_eq!(v("bindgen 0.73.2"), Some(Version(0, 73, 2)));
        assert_eq!(v("1.62.0\n"), Some(Version(1, 62, 0)));
        assert_eq!(v("bindgen 0.56"), Some(Version(0, 56, 0)));
        assert_eq!(v("rustc: unknown tool"), None);
        assert!(Version(1, 100, 0) > Version(1, 95, 3));
    }

    fn tree(kernel: (u32, u32), rustc: &str, bindgen: &str) -> TreeRust {
        TreeRust {
            kernel,
            rustc: v(rustc),
            bindgen: v(bindgen),
        }
    }

    fn host(rustc: &str, bindgen: &str) -> HostRust {
        HostRust {
            rustc: v(rustc),
            bindgen: v(bindgen),
        }
    }

    #[test]
    fn fit_table() {
        let debian_612 = tree((6, 12), "1.78.0", "0.65.1");
        let debian_61 = tree((6, 1), "1.62.0", "0.56.0");
        let v6_11 = tree((6, 11), "1.78.0", "0.65.1");
        let v6_10 = tree((6, 10), "1.78.0", "0.65.1");
        let no_rust = tree((5, 15), "", "");
        for (t, h, fits, reason) in [
            // This host (Debian 12, rustup stable, cargo-installed bindgen).
            (&debian_612, host("1.95.0", "0.73.2"), true, ""),
            (&debian_612, host("1.78.0", "0.65.1"), true, ""),
            // Missing tools fit a minimum: daxkit installs the latest.
            (&debian_612, host("1.95.0", ""), true, ""),
            (&v6_11, host("1.95.0", "0.73.2"), true, ""),
            (
                &debian_612,
                host("1.77.2", "0.73.2"),
                false,
                "rustc 1.77.2 is older than its minimum 1.78.0",
            ),
            (
                &debian_612,
                host("1.95.0", "0.60.1"),
                false,
                "bindgen 0.60.1 is older than its minimum 0.65.1",
            ),
            // Pinned: exactly one version, newer does not fit.
            (
                &debian_61,
                host("1.95.0", "0.73.2"),
                false,
                "Linux 6.1 builds Rust only with rustc 1.62.x and bindgen 0.56.x",
            ),
            (&debian_61, host("1.62.0", "0.56.0"), true, ""),
            (&debian_61, host("1.62.1", "0.56.2"), true, ""),
            (
                &debian_61,
                host("1.62.0", "0.73.2"),
                false,
                "this host has rustc 1.62.0, bindgen 0.73.2",
            ),
            (&debian_61, host("1.62.0", ""), false, "bindgen none"),
            (
                &debian_61,
                host("1.61.0", "0.56.0"),
                false,
                "pin one version",
            ),
            (&v6_10, host("1.78.0", "0.65.1"), true, ""),
            (
                &v6_10,
                host("1.79.0", "0.65.1"),
                false,
                "Linux 6.10 builds Rust only with rustc 1.78.x",
            ),
            (
                &no_rust,
                host("1.95.0", "0.73.2"),
                false,
                "Linux 5.15 has no Rust support",
            ),
        ] {
            match fit(t, &h) {
                Fit::Fits => assert!(fits, "{t:?} {h:?} fits, expected: {reason}"),
                Fit::Unfit(why) => {
                    assert!(!fits, "{t:?} {h:?}: {why}");
                    assert!(why.contains(reason), "{why} lacks {reason}");
                }
            }
        }
    }

    #[test]
    fn libclang_cpp_is_not_libclang() {
        let cpp_only = "1 libs found in cache `/etc/ld.so.cache'\n\tlibclang-cpp.so.14 (libc6,x86-64) => /lib/x86_64-linux-gnu/libclang-cpp.so.14\n";
        assert!(!libclang_in_ldconfig(cpp_only));
        let dev = format!("{cpp_only}\tlibclang-14.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libclang-14.so.1\n");
        assert!(libclang_in_ldconfig(&dev));
        assert!(libclang_in_ldconfig(
            "\tlibclang.so.1 (libc6,x86-64) => /usr/lib/libclang.so.1\n"
        ));
    }

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
