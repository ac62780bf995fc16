//! Guest initramfs: builds the harness as a static musl binary, packs it as
//! `/init` with the manifest's programs (and the shared libraries their ELF
//! files need) into a deterministic gzip'd cpio, and caches it in
//! `images/` under a content hash. Per-run data (the [`RunPlan`]) never goes
//! into the cached image: [`run_initrd`] appends a tiny second cpio archive
//! holding it, which the kernel unpacks on top.
//!
//! The harness is built from the sources daxkit was built from: its
//! checkout's workspace, or for an installed daxkit the standalone harness
//! workspace it embeds (src/assets.rs), built into that copy's `target/`.

pub mod cpio;
pub mod elf;
pub mod manifest;

use crate::exec::Cmd;
use crate::home::Home;
use crate::ui;
use anyhow::{ensure, Context, Result};
use daxkit_harness::protocol::{RunPlan, PLAN_PATH};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub const GUEST_TARGET: &str = "x86_64-unknown-linux-musl";

/// Which image to build (`daxkit image`, and each boot's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageSpec {
    /// Add busybox and a shell init (/shell-init) for `daxkit shell`.
    pub debug_shell: bool,
    /// Manifest to build from (default: the shipped vm-images/initramfs.yaml).
    pub manifest: Option<PathBuf>,
    /// Build the harness with its test hooks (fault injection for
    /// daxkit's own tests); never used for real runs.
    pub test_hooks: bool,
}

/// A built (or cached) image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub path: PathBuf,
    /// First 16 hex digits of the SHA-256 of the uncompressed archive.
    pub key: String,
    pub entries: usize,
    pub cached: bool,
}

pub fn default_manifest() -> Result<PathBuf> {
    crate::assets::path("vm-images/initramfs.yaml")
}

pub fn cmd(home: &Home, a: &ImageSpec) -> Result<i32> {
    let image = build(home, a)?;
    println!("{}", image.path.display());
    Ok(crate::exit::GOOD)
}

/// Builds the harness and the image, or finds it in the cache.
pub fn build(home: &Home, a: &ImageSpec) -> Result<Image> {
    let manifest_path = match &a.manifest {
        Some(m) => m.clone(),
        None => default_manifest()?,
    };
    let m = manifest::Manifest::load(&manifest_path)?;
    std::fs::create_dir_all(home.images())?;
    let log = home.images().join("harness-build.log");
    let harness = build_harness_with(&log, a.test_hooks)?;
    // Debug info is 5/6 of the binary and the guest never reads it; the
    // symbols stay for backtraces. `strip` is deterministic, so is the image.
    let stripped = home
        .images()
        .join(format!("harness.stripped.{}", std::process::id()));
    Cmd::new(crate::exec::require_tool("strip")?)
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(&harness)
        .run_logged(&log, |_| {})?;
    let harness_bytes =
        std::fs::read(&stripped).with_context(|| format!("reading {}", stripped.display()))?;
    let _ = std::fs::remove_file(&stripped);
    let info = elf::parse(&harness_bytes)
        .with_context(|| format!("reading the ELF headers of {}", harness.display()))?;
    ensure!(
        info.is_static(),
        "{} is not static (needs {:?}, interpreter {:?})",
        harness.display(),
        info.needed,
        info.interp
    );
    require_programs(&m, a.debug_shell)?;
    let base = manifest_path.parent().unwrap_or(Path::new("."));
    let archive = m.expand(base, &harness_bytes, a.debug_shell)?;
    store(home, &archive)
}

/// Host programs the image copies (mkfs.xfs, busybox, ...): a missing one
/// is installed when allowed, or named with its package.
pub fn require_programs(m: &manifest::Manifest, debug_shell: bool) -> Result<()> {
    let wanted = m.programs.iter().chain(
        m.debug_shell
            .iter()
            .filter(|_| debug_shell)
            .flat_map(|d| &d.programs),
    );
    for p in wanted {
        if !p.from.exists() {
            if let Some(name) = p.from.file_name() {
                crate::exec::require_tool(&name.to_string_lossy())?;
            }
        }
    }
    Ok(())
}

/// Writes `archive` gzip'd into the cache unless an image with its content
/// hash is there already.
pub fn store(home: &Home, archive: &cpio::Archive) -> Result<Image> {
    let raw = archive.to_bytes();
    let key = hex(&Sha256::digest(&raw))[..16].to_owned();
    let path = home.images().join(format!("initramfs-{key}.cpio.gz"));
    let entries = archive.paths().count();
    if path.is_file() {
        crate::gc::touch(&path);
        ui::note(format!("image {key} cached ({entries} entries)"));
        return Ok(Image {
            path,
            key,
            entries,
            cached: true,
        });
    }
    ui::step(format!(
        "Packing initramfs ({entries} entries, {} KiB)",
        raw.len() / 1024
    ));
    let gz = gzip(&raw)?;
    // Write then rename: concurrent builders of the same key race harmlessly.
    std::fs::create_dir_all(home.images())?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &gz).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(Image {
        path,
        key,
        entries,
        cached: false,
    })
}

/// Deterministic gzip: no file name, mtime 0, fixed level.
pub fn gzip(raw: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(3) // Unix, whatever the build host
        .write(Vec::new(), flate2::Compression::new(6));
    enc.write_all(raw)?;
    Ok(enc.finish()?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `cargo build -p daxkit-harness --release --target x86_64-unknown-linux-musl`;
/// returns the binary. musl's Rust target links statically by default.
pub fn build_harness(log: &Path) -> Result<PathBuf> {
    build_harness_with(log, false)
}

/// [`build_harness`], or with `test_hooks` the harness with its fault
/// injection compiled in, in a target dir of its own (so the two builds
/// never overwrite each other's binary).
pub fn build_harness_with(log: &Path, test_hooks: bool) -> Result<PathBuf> {
    ui::step(if test_hooks {
        "Building the guest harness with test hooks (static, musl)"
    } else {
        "Building the guest harness (static, musl)"
    });
    crate::exec::require_rustup("target", GUEST_TARGET)?;
    let assets = crate::assets::get()?;
    let root = assets.harness_workspace();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // An installed daxkit's harness copy has a target dir of its own; a
    // checkout shares the developer's (and honours CARGO_TARGET_DIR).
    let mut target_dir = match assets.source {
        crate::assets::Source::Checkout => std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target")),
        crate::assets::Source::Embedded => root.join("target"),
    };
    let mut cmd = Cmd::new(cargo).args([
        "build",
        "-p",
        "daxkit-harness",
        "--release",
        "--target",
        GUEST_TARGET,
    ]);
    if test_hooks {
        target_dir = target_dir.join("test-hooks");
        cmd = cmd.args(["--features", "test-hooks"]);
    }
    cmd.arg("--target-dir")
        .arg(&target_dir)
        .cwd(root)
        .run_logged(log, |_| {})
        .context("building the guest harness")?;
    Ok(target_dir.join(GUEST_TARGET).join("release/daxkit-harness"))
}

/// The harness (`/init`) of a built image, written executable under
/// `images/` by the image's name: the case list without building one.
pub fn harness_of(home: &Home, image: &Path) -> Result<PathBuf> {
    let gz =
        std::fs::read(image).with_context(|| format!("reading the image {}", image.display()))?;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut raw)
        .with_context(|| format!("decompressing the image {}", image.display()))?;
    let init = cpio::read_file(&raw, "/init")
        .with_context(|| format!("{} has no /init", image.display()))?;
    let key = hex(&Sha256::digest(&init))[..16].to_owned();
    std::fs::create_dir_all(home.images())?;
    let out = home.images().join(format!("harness-{key}"));
    if !out.is_file() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = out.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &init).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
        std::fs::rename(&tmp, &out)?;
    }
    Ok(out)
}

/// The second archive of a run: `PLAN_PATH` with the plan as JSON.
pub fn plan_archive(plan: &RunPlan) -> Result<Vec<u8>> {
    let mut a = cpio::Archive::new();
    let json = serde_json::to_vec_pretty(plan)?;
    a.add_with_parents(PLAN_PATH, cpio::Kind::File(json), 0o644);
    Ok(a.to_bytes())
}

/// The run's initrd: the cached image, uncompressed, then the plan
/// archive. The kernel unpacks concatenated archives in order (each one
/// 4-byte aligned, which newc archives are by construction).
///
/// Uncompressed because inflating 5 MiB inside a TCG guest costs ~0.25 s of
/// boot (measured: docs/benchmarks.md), against ~20 ms on the host; the
/// cache keeps the compact .gz.
pub fn run_initrd(image: &Path, plan: &RunPlan, out: &Path) -> Result<()> {
    let gz =
        std::fs::read(image).with_context(|| format!("reading the image {}", image.display()))?;
    let mut bytes = Vec::with_capacity(gz.len() * 3);
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut bytes)
        .with_context(|| format!("decompressing the image {}", image.display()))?;
    ensure!(
        bytes.starts_with(b"070701") && bytes.len().is_multiple_of(4),
        "{} is not a gzip'd newc cpio archive",
        image.display()
    );
    bytes.extend(plan_archive(plan)?);
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Cmd;

    fn archive() -> cpio::Archive {
        let path = default_manifest().unwrap();
        let m = manifest::Manifest::load(&path).unwrap();
        crate::exec::test_lock(|| require_programs(&m, false)).unwrap();
        crate::exec::test_tool("cpio");
        m.expand(path.parent().unwrap(), b"not really the harness", false)
            .unwrap()
    }

    #[test]
    fn two_builds_give_the_same_bytes() {
        let home = tempfile::tempdir().unwrap();
        let (h1, h2) = (home.path().join("a"), home.path().join("b"));
        let i1 = store(&Home::at(&h1).unwrap(), &archive()).unwrap();
        let i2 = store(&Home::at(&h2).unwrap(), &archive()).unwrap();
        assert_eq!(i1.key, i2.key);
        assert!(!i1.cached);
        assert_eq!(
            std::fs::read(&i1.path).unwrap(),
            std::fs::read(&i2.path).unwrap()
        );
        // And the second store in the same home is a cache hit.
        let again = store(&Home::at(&h1).unwrap(), &archive()).unwrap();
        assert!(again.cached);
        assert_eq!(again.path, i1.path);
    }

    #[test]
    fn different_content_different_key() {
        let home = tempfile::tempdir().unwrap();
        let home = Home::at(home.path()).unwrap();
        let mut a = archive();
        let k1 = store(&home, &a).unwrap().key;
        a.add("/etc/extra", cpio::Kind::File(b"1".to_vec()), 0o644);
        assert_ne!(k1, store(&home, &a).unwrap().key);
    }

    #[test]
    fn gzip_header_is_fixed() {
        let gz = gzip(b"hello").unwrap();
        // magic, deflate, no flags, mtime 0, xfl, OS=3 (Unix).
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&gz[4..8], &[0, 0, 0, 0]);
        assert_eq!(gz[9], 3);
    }

    /// The concatenated initrd unpacks with GNU cpio as the kernel would
    /// (gunzip the first member, then read the plain archive after it).
    #[test]
    fn run_initrd_carries_the_plan_after_the_image() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join("h")).unwrap();
        let image = store(&home, &archive()).unwrap();
        let plan = RunPlan {
            cases: vec!["x".into()],
            ..RunPlan::default()
        };
        let initrd = dir.path().join("initrd");
        run_initrd(&image.path, &plan, &initrd).unwrap();
        let bytes = std::fs::read(&initrd).unwrap();
        // The image archive, then the plan archive right after its trailer.
        let raw = archive().to_bytes();
        assert_eq!(&bytes[..raw.len()], &raw[..]);
        let plain = &bytes[raw.len()..];
        assert_eq!(&plain[..6], b"070701");
        let tail = dir.path().join("tail.cpio");
        std::fs::write(&tail, plain).unwrap();
        let listing = Cmd::new("sh")
            .args(["-c", "cpio -it --quiet < \"$1\"", "sh"])
            .arg(&tail)
            .read()
            .unwrap();
        assert_eq!(
            listing.lines().collect::<Vec<_>>(),
            ["daxkit", "daxkit/plan.json"]
        );
        // GNU cpio reads the first archive up to its trailer.
        let first = Cmd::new("sh")
            .args(["-c", "cpio -it --quiet < \"$1\"", "sh"])
            .arg(&initrd)
            .read()
            .unwrap();
        assert!(first.lines().any(|l| l == "sbin/mkfs.xfs"), "{first}");
        assert!(!first.contains("plan.json"));
        // A file that is not our image is refused.
        std::fs::write(dir.path().join("bad.gz"), gzip(b"hello").unwrap()).unwrap();
        assert!(run_initrd(&dir.path().join("bad.gz"), &plan, &initrd).is_err());
    }
}
