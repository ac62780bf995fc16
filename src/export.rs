//! `daxkit export`: kept kernels as portable artifacts, and their use by
//! `daxkit ci --kernels DIR`.
//!
//! ```text
//! DIR/<stamp16>/bzImage          the kept kernel
//!              /config           its .config
//!              /stamp            hash of (commit, merged fragments): what names it
//!              /commit           the commit it was built from
//!              /kernel.json      all of that, the merged fragment, the files'
//!                                SHA-256 and the toolchain's versions
//! DIR/image/initramfs.cpio.gz    the guest image (same inputs, same bytes)
//! ```
//!
//! A kernel that did not build is exported too (`kernel.json` with
//! `build_failed` and no bzImage), so the jobs that would boot it judge it
//! the way `daxkit ci` does instead of failing for a missing file.
//!
//! `ci --kernels` computes the stamp the job would build (apply, fragments,
//! the host's Rust fit: [`kconfig::plan`]) and takes only the kernel with
//! exactly that stamp, after checking its files against `kernel.json`. Any
//! other kernel is refused with what differs (commit, options), never used.

use crate::apply::{self, Applied};
use crate::build::{self, BuildOptions};
use crate::exec::{Cmd, HostError};
use crate::home::Home;
use crate::kconfig::{self, Planned};
use crate::pipeline::KernelSpec;
use crate::series::Series;
use crate::{image, runs, tree, ui};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const EXPORT_FORMAT: u32 = 1;
/// The variant name of the base kernel without the series.
pub const STOCK: &str = "stock";

/// A variant's name for `--variant`: a series without variants boots its
/// kernel once, as `series`.
pub fn variant_name(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or("series")
}

/// `daxkit export`: which kernels, and where they go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSpec {
    pub kernel: KernelSpec,
    /// Only the kernels these variants boot (`stock`: the base kernel);
    /// empty: every kernel `daxkit ci` of the series would build.
    pub variants: Vec<String>,
    /// Folder to write the kernels (`<stamp16>/`) and `image/` into.
    pub out: PathBuf,
    /// Leave the guest image out.
    pub no_image: bool,
}

/// Versions of what built the kernel, for the reader (not in the stamp).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Toolchain {
    pub daxkit: String,
    pub gcc: String,
    pub make: String,
    pub rustc: Option<String>,
    pub bindgen: Option<String>,
}

/// `kernel.json`: one exported kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelManifest {
    pub format: u32,
    pub stamp: String,
    pub commit: String,
    /// The base's name (`debian-6.12.117`).
    pub base: String,
    pub kernel_version: String,
    /// The series applied on the base; `None` for stock.
    pub series: Option<String>,
    /// Variants that boot this kernel (`stock` for the base alone).
    pub variants: Vec<String>,
    /// The merged fragment kbuild was given.
    pub merged: String,
    /// Fragment file names in merge order (after the Rust fit).
    pub fragments: Vec<String>,
    pub config_sha256: Option<String>,
    pub bzimage_sha256: Option<String>,
    /// make's first error when the kernel did not build.
    pub build_failed: Option<String>,
    pub toolchain: Toolchain,
}

impl KernelManifest {
    fn role(&self) -> String {
        match &self.series {
            Some(s) => format!("{s} ({})", self.variants.join(", ")),
            None => STOCK.to_owned(),
        }
    }
}

/// One kernel to build and the names of the variants that boot it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedKernel {
    pub fragments: Vec<PathBuf>,
    /// Variant names (`stock` for the base alone).
    pub variants: Vec<String>,
}

/// The kernels of a series on top of `frags` (the common fragments, the
/// series' own included), from [`runs::kernel_plans`]: one per distinct
/// merged variant config (dax-pmd: C and Rust). Without a series, stock.
pub fn kernel_plans(series: Option<&Series>, frags: &[PathBuf]) -> Result<Vec<NamedKernel>> {
    let Some(s) = series else {
        return Ok(vec![NamedKernel {
            fragments: frags.to_vec(),
            variants: vec![STOCK.to_owned()],
        }]);
    };
    let specs = runs::variants_of(Some(s));
    Ok(runs::kernel_plans(frags, &specs)?
        .into_iter()
        .map(|k| NamedKernel {
            variants: k
                .variants
                .iter()
                .map(|&i| variant_name(&specs[i].name).to_owned())
                .collect(),
            fragments: k.fragments,
        })
        .collect())
}

pub fn cmd(home: &Home, a: &ExportSpec) -> Result<i32> {
    if a.kernel.build.target.is_some() {
        bail!("export packs bzImage kernels; --make-target does not apply");
    }
    let (base, series) = crate::pipeline::target(home, &a.kernel.target)?;
    // Stock first (as `ci` builds it), then the series' kernels: the same
    // applies and fragments `ci` computes, so the same stamps.
    let stock = apply::apply(home, &base, None)?;
    let mut plans: Vec<(&Applied, NamedKernel)> =
        kernel_plans(None, &kconfig::fragments(&a.kernel.config, None)?)?
            .into_iter()
            .map(|p| (&stock, p))
            .collect();
    let patched = series
        .as_ref()
        .map(|s| apply::apply(home, &base, Some(s)))
        .transpose()?;
    if let Some(patched) = &patched {
        let frags = kconfig::fragments(&a.kernel.config, series.as_ref())?;
        plans.extend(
            kernel_plans(series.as_ref(), &frags)?
                .into_iter()
                .map(|p| (patched, p)),
        );
    }
    let known: Vec<&String> = plans.iter().flat_map(|(_, p)| &p.variants).collect();
    if let Some(v) = a.variants.iter().find(|v| !known.contains(v)) {
        return Err(HostError(format!(
            "export: no variant {v:?}{}: its kernels boot {}",
            series
                .as_ref()
                .map(|s| format!(" in series {}", s.name))
                .unwrap_or_default(),
            known
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    let opts: BuildOptions = a.kernel.build.clone();
    let kernels = a.out.clone();
    std::fs::create_dir_all(&kernels).with_context(|| format!("creating {}", kernels.display()))?;
    let mut code = crate::exit::GOOD;
    for (applied, p) in &plans {
        let applied: &Applied = applied;
        if !a.variants.is_empty() && !p.variants.iter().any(|v| a.variants.contains(v)) {
            continue;
        }
        let planned = kconfig::plan(home, applied, &p.fragments)?;
        let cfg = kconfig::configure(home, applied, &p.fragments)?;
        debug_assert_eq!(cfg.stamp, planned.stamp);
        let built = match build::build(home, applied, &cfg.stamp, &opts) {
            Ok(b) => Ok(b.bzimage),
            Err(e) => {
                let e = crate::pipeline::sort_failure(e, crate::pipeline::make_failed)?;
                ui::warn(format!(
                    "{}: build failed: {e:#}",
                    tree::short(&applied.head)
                ));
                code = crate::exit::BAD;
                Err(format!("{e:#}"))
            }
        };
        let m = manifest(&base, applied, &planned, p, &built)?;
        let dir = pack(&kernels, &m, built.as_ref().ok().map(|b| b.as_path()))?;
        println!("{}", dir.display());
    }
    if !a.no_image {
        let img = image::build(
            home,
            &image::ImageSpec {
                debug_shell: false,
                manifest: None,
                test_hooks: false,
            },
        )?;
        let dir = a.out.join("image");
        std::fs::create_dir_all(&dir)?;
        let to = dir.join(IMAGE_FILE);
        std::fs::copy(&img.path, &to)
            .with_context(|| format!("copying {} to {}", img.path.display(), to.display()))?;
        println!("{}", to.display());
    }
    Ok(code)
}

pub const IMAGE_FILE: &str = "initramfs.cpio.gz";

fn manifest(
    base: &tree::BaseTree,
    applied: &Applied,
    planned: &Planned,
    plan: &NamedKernel,
    built: &std::result::Result<PathBuf, String>,
) -> Result<KernelManifest> {
    let kernel_version = tree::version_at(&base.repo, &base.base)?;
    let kept = built.as_ref().ok().and_then(|b| b.parent());
    Ok(KernelManifest {
        format: EXPORT_FORMAT,
        stamp: planned.stamp.clone(),
        commit: applied.head.clone(),
        base: base.base_name.clone(),
        kernel_version,
        series: applied.series_name.clone(),
        variants: plan.variants.clone(),
        merged: planned.merged.clone(),
        fragments: planned
            .frags
            .iter()
            .map(|f| {
                f.file_name()
                    .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into())
            })
            .collect(),
        config_sha256: kept.map(|k| sha256_file(&k.join("config"))).transpose()?,
        bzimage_sha256: built.as_ref().ok().map(|b| sha256_file(b)).transpose()?,
        build_failed: built.as_ref().err().cloned(),
        toolchain: toolchain(),
    })
}

/// Writes one kernel's folder `<stamp16>` in `kernels` (replacing an older export
/// of the same stamp); returns it.
pub fn pack(kernels: &Path, m: &KernelManifest, bzimage: Option<&Path>) -> Result<PathBuf> {
    let dir = kernels.join(&m.stamp[..16.min(m.stamp.len())]);
    let tmp = dir.with_extension("tmp");
    std::fs::remove_dir_all(&tmp).ok();
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    if let Some(b) = bzimage {
        std::fs::copy(b, tmp.join("bzImage"))
            .with_context(|| format!("copying {}", b.display()))?;
        if let Some(cfg) = b.parent().map(|k| k.join("config")) {
            std::fs::copy(&cfg, tmp.join("config"))
                .with_context(|| format!("copying {}", cfg.display()))?;
        }
    }
    std::fs::write(tmp.join("stamp"), format!("{}\n", m.stamp))?;
    std::fs::write(tmp.join("commit"), format!("{}\n", m.commit))?;
    std::fs::write(
        tmp.join("kernel.json"),
        serde_json::to_string_pretty(m)? + "\n",
    )?;
    std::fs::remove_dir_all(&dir).ok();
    std::fs::rename(&tmp, &dir)?;
    Ok(dir)
}

fn first_line(cmd: Cmd) -> Option<String> {
    cmd.read()
        .ok()
        .and_then(|s| s.lines().next().map(|l| l.trim().to_owned()))
}

pub fn toolchain() -> Toolchain {
    let v = |tool: &str| first_line(Cmd::new(tool).arg("--version"));
    Toolchain {
        daxkit: env!("CARGO_PKG_VERSION").to_owned(),
        gcc: v("gcc").unwrap_or_else(|| "unknown".into()),
        make: v("make").unwrap_or_else(|| "unknown".into()),
        rustc: v("rustc"),
        bindgen: v("bindgen"),
    }
}

pub fn sha256_file(p: &Path) -> Result<String> {
    let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// Every `*/kernel.json` in `dir`, with its folder.
pub fn read_exports(dir: &Path) -> Result<Vec<(PathBuf, KernelManifest)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        HostError(format!(
            "--kernels {}: no exported kernels ({e}); make them with `daxkit export --out {}`",
            dir.display(),
            dir.display()
        ))
    })?;
    let mut out = Vec::new();
    for e in entries {
        let k = e?.path();
        let json = k.join("kernel.json");
        if !json.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&json)
            .with_context(|| format!("reading {}", json.display()))?;
        let m: KernelManifest = serde_json::from_str(&text)
            .with_context(|| format!("{}: not an exported kernel", json.display()))?;
        if m.format != EXPORT_FORMAT {
            bail!(
                "{}: export format {} (this daxkit reads {EXPORT_FORMAT})",
                json.display(),
                m.format
            );
        }
        out.push((k, m));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// What the job would build: for messages and for the lookup.
#[derive(Debug, Clone)]
pub struct Wanted<'a> {
    pub series: Option<&'a str>,
    pub variants: &'a [String],
    pub commit: &'a str,
    pub merged: &'a str,
    pub stamp: &'a str,
}

impl Wanted<'_> {
    fn role(&self) -> String {
        match self.series {
            Some(s) => format!("{s} ({})", self.variants.join(", ")),
            None => STOCK.to_owned(),
        }
    }
}

/// The differing option lines of two merged fragments, `-` the export's,
/// `+` the job's.
pub fn option_diff(export: &str, job: &str) -> Vec<String> {
    let opt = |l: &str| -> Option<(String, String)> {
        let l = l.trim();
        if let Some(rest) = l.strip_prefix("# ") {
            let name = rest.strip_suffix(" is not set")?;
            return Some((name.to_owned(), "n".to_owned()));
        }
        let (k, v) = l.split_once('=')?;
        Some((k.to_owned(), v.to_owned()))
    };
    let a: std::collections::BTreeMap<String, String> = export.lines().filter_map(opt).collect();
    let b: std::collections::BTreeMap<String, String> = job.lines().filter_map(opt).collect();
    let mut out = Vec::new();
    for k in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        match (a.get(k), b.get(k)) {
            (x, y) if x == y => {}
            (x, y) => out.push(format!(
                "{k}: {} in the export, {} for this job",
                x.map_or("not requested", |s| s.as_str()),
                y.map_or("not requested", |s| s.as_str())
            )),
        }
    }
    out
}

/// Why the export `m` is not the kernel `w` would build.
pub fn mismatch(m: &KernelManifest, w: &Wanted) -> String {
    let mut why = Vec::new();
    if m.commit != w.commit {
        why.push(format!(
            "commit {} in the export, {} for this job",
            m.commit, w.commit
        ));
    }
    let opts = option_diff(&m.merged, w.merged);
    if !opts.is_empty() {
        let n = opts.len();
        let mut shown: Vec<String> = opts.into_iter().take(8).collect();
        if n > shown.len() {
            shown.push(format!("… {} more", n - 8));
        }
        why.push(format!("config differs: {}", shown.join("; ")));
    }
    if why.is_empty() && kconfig::stamp(&m.commit, &m.merged) != m.stamp {
        why.push("its kernel.json stamp is not the hash of its commit and config".into());
    }
    if why.is_empty() {
        why.push("stamps differ".into());
    }
    why.join("; ")
}

/// The exported kernel for `w`: `Ok(Ok(bzImage))`, `Ok(Err(why))` when the
/// export records that it did not build, and an error naming what differs
/// when `dir` has no kernel with exactly `w`'s stamp.
pub fn take(dir: &Path, w: &Wanted) -> Result<std::result::Result<PathBuf, String>> {
    let all = read_exports(dir)?;
    if let Some((k, m)) = all.iter().find(|(_, m)| m.stamp == w.stamp) {
        let json = k.join("kernel.json");
        let refuse = |why: String| -> anyhow::Error {
            HostError(format!(
                "refusing the exported kernel {} for {}: {why}",
                k.display(),
                w.role()
            ))
            .into()
        };
        if kconfig::stamp(&m.commit, &m.merged) != m.stamp {
            return Err(refuse(format!(
                "{} says stamp {} but its commit and config hash to {}",
                json.display(),
                m.stamp,
                kconfig::stamp(&m.commit, &m.merged)
            )));
        }
        let stamp_file = std::fs::read_to_string(k.join("stamp")).unwrap_or_default();
        if stamp_file.trim() != m.stamp {
            return Err(refuse(format!(
                "its stamp file says {:?}, kernel.json {}",
                stamp_file.trim(),
                m.stamp
            )));
        }
        if let Some(why) = &m.build_failed {
            return Ok(Err(why.clone()));
        }
        let bz = k.join("bzImage");
        let want = m.bzimage_sha256.as_deref().unwrap_or_default();
        let got = sha256_file(&bz).map_err(|e| refuse(format!("{e:#}")))?;
        if got != want {
            return Err(refuse(format!(
                "bzImage has SHA-256 {got}, kernel.json says {want}"
            )));
        }
        let cfg = k.join("config");
        if let Some(want) = &m.config_sha256 {
            let got = sha256_file(&cfg).map_err(|e| refuse(format!("{e:#}")))?;
            if &got != want {
                return Err(refuse(format!(
                    "config has SHA-256 {got}, kernel.json says {want}"
                )));
            }
        }
        ui::note(format!(
            "using exported kernel {} for {} (stamp {}, built with {})",
            k.display(),
            w.role(),
            &m.stamp[..16],
            m.toolchain.gcc
        ));
        return Ok(Ok(bz));
    }
    let same_role: Vec<&(PathBuf, KernelManifest)> = all
        .iter()
        .filter(|(_, m)| {
            m.series.as_deref() == w.series && m.variants.iter().any(|v| w.variants.contains(v))
        })
        .collect();
    let wanted = format!(
        "this job would build stamp {} (commit {})",
        &w.stamp[..16.min(w.stamp.len())],
        tree::short(w.commit)
    );
    if same_role.is_empty() {
        let have: Vec<String> = all
            .iter()
            .map(|(k, m)| format!("{} ({})", m.role(), k.display()))
            .collect();
        return Err(HostError(format!(
            "--kernels {}: no kernel for {}; {wanted}; the folder holds {}",
            dir.display(),
            w.role(),
            if have.is_empty() {
                "none".to_owned()
            } else {
                have.join(", ")
            }
        ))
        .into());
    }
    let reasons: Vec<String> = same_role
        .iter()
        .map(|(k, m)| format!("{}: {}", k.display(), mismatch(m, w)))
        .collect();
    Err(HostError(format!(
        "refusing the exported kernel for {}: {wanted}, and the export's stamp differs — {}",
        w.role(),
        reasons.join(" | ")
    ))
    .into())
}

/// The exported guest image in `dir`, if there is one.
pub fn image_in(dir: &Path) -> Option<PathBuf> {
    Some(dir.join("image").join(IMAGE_FILE)).filter(|p| p.is_file())
}

/// The kernel for one of `ci`'s builds: from `--kernels` when given
/// (never built then), else configured and built.
pub fn kernel_for(
    home: &Home,
    kernels: Option<&Path>,
    applied: &Applied,
    frags: &[PathBuf],
    variants: &[String],
    opts: &BuildOptions,
    dir: &Path,
) -> Result<std::result::Result<PathBuf, String>> {
    let Some(kdir) = kernels else {
        return crate::reproduce::build_into(home, applied, frags, opts, dir);
    };
    let planned = kconfig::plan(home, applied, frags)?;
    let got = take(
        kdir,
        &Wanted {
            series: applied.series_name.as_deref(),
            variants,
            commit: &applied.head,
            merged: &planned.merged,
            stamp: &planned.stamp,
        },
    )?;
    std::fs::create_dir_all(dir)?;
    if let Ok(bz) = &got {
        if let Some(cfg) = bz.parent().map(|k| k.join("config")) {
            let _ = std::fs::copy(cfg, dir.join("config"));
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_for(commit: &str, merged: &str, bz: Option<&Path>) -> KernelManifest {
        KernelManifest {
            format: EXPORT_FORMAT,
            stamp: kconfig::stamp(commit, merged),
            commit: commit.into(),
            base: "debian-6.12.117".into(),
            kernel_version: "6.12.117".into(),
            series: Some("dax-pmd".into()),
            variants: vec!["C".into(), "Rust".into()],
            merged: merged.into(),
            fragments: vec!["base.config".into()],
            config_sha256: None,
            bzimage_sha256: bz.map(|b| sha256_file(b).unwrap()),
            build_failed: None,
            toolchain: toolchain(),
        }
    }

    fn wanted<'a>(commit: &'a str, merged: &'a str, stamp: &'a str, v: &'a [String]) -> Wanted<'a> {
        Wanted {
            series: Some("dax-pmd"),
            variants: v,
            commit,
            merged,
            stamp,
        }
    }

    /// Exports a fixture kernel; returns the export folder and its bzImage.
    fn export(dir: &Path, commit: &str, merged: &str) -> PathBuf {
        let kept = dir.join("kept");
        std::fs::create_dir_all(&kept).unwrap();
        std::fs::write(kept.join("bzImage"), b"kernel bytes").unwrap();
        std::fs::write(kept.join("config"), merged).unwrap();
        let mut m = manifest_for(commit, merged, Some(&kept.join("bzImage")));
        m.config_sha256 = Some(sha256_file(&kept.join("config")).unwrap());
        pack(&dir.join("out"), &m, Some(&kept.join("bzImage"))).unwrap()
    }

    const MERGED: &str = "CONFIG_FS_DAX=y\nCONFIG_RUST=y\n# CONFIG_MODULES is not set\n";

    #[test]
    fn the_matching_kernel_is_taken_after_its_files_are_checked() {
        let d = tempfile::tempdir().unwrap();
        let k = export(d.path(), "aaaa1111", MERGED);
        for f in ["bzImage", "config", "stamp", "commit", "kernel.json"] {
            assert!(k.join(f).is_file(), "{f}");
        }
        let stamp = kconfig::stamp("aaaa1111", MERGED);
        let v = vec!["C".to_owned()];
        let out = d.path().join("out");
        let got = take(&out, &wanted("aaaa1111", MERGED, &stamp, &v)).unwrap();
        assert_eq!(got, Ok(k.join("bzImage")));

        // A bzImage swapped after the export is refused, naming the file.
        std::fs::write(k.join("bzImage"), b"other kernel").unwrap();
        let e = take(&out, &wanted("aaaa1111", MERGED, &stamp, &v)).unwrap_err();
        let e = format!("{e:#}");
        assert!(e.contains("refusing the exported kernel"), "{e}");
        assert!(e.contains("bzImage has SHA-256"), "{e}");
    }

    #[test]
    fn another_commit_or_config_is_refused_with_what_differs() {
        let d = tempfile::tempdir().unwrap();
        export(d.path(), "aaaa1111", MERGED);
        let out = d.path().join("out");
        let v = vec!["Rust".to_owned()];

        let job = MERGED.replace("CONFIG_RUST=y\n", "");
        let stamp = kconfig::stamp("aaaa1111", &job);
        let e = format!(
            "{:#}",
            take(&out, &wanted("aaaa1111", &job, &stamp, &v)).unwrap_err()
        );
        assert!(
            e.contains("refusing the exported kernel for dax-pmd (Rust)"),
            "{e}"
        );
        assert!(
            e.contains("RUST: y in the export, not requested for this job"),
            "{e}"
        );
        assert!(!e.contains("commit aaaa1111 in the export"), "{e}");

        let stamp = kconfig::stamp("bbbb2222", MERGED);
        let e = format!(
            "{:#}",
            take(&out, &wanted("bbbb2222", MERGED, &stamp, &v)).unwrap_err()
        );
        assert!(
            e.contains("commit aaaa1111 in the export, bbbb2222 for this job"),
            "{e}"
        );
        assert!(!e.contains("config differs"), "{e}");
    }

    #[test]
    fn no_kernel_for_the_role_names_what_the_folder_holds() {
        let d = tempfile::tempdir().unwrap();
        export(d.path(), "aaaa1111", MERGED);
        let out = d.path().join("out");
        let v = vec![STOCK.to_owned()];
        let stamp = kconfig::stamp("cccc", MERGED);
        let w = Wanted {
            series: None,
            ..wanted("cccc", MERGED, &stamp, &v)
        };
        let e = format!("{:#}", take(&out, &w).unwrap_err());
        assert!(e.contains("no kernel for stock"), "{e}");
        assert!(e.contains("the folder holds dax-pmd (C, Rust)"), "{e}");
        let e = format!("{:#}", take(&d.path().join("nowhere"), &w).unwrap_err());
        assert!(e.contains("no exported kernels"), "{e}");
    }

    #[test]
    fn a_tampered_manifest_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let k = export(d.path(), "aaaa1111", MERGED);
        let json = k.join("kernel.json");
        let mut m: KernelManifest =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        // Claims to be another config under the same stamp.
        m.merged = "CONFIG_FS_DAX=y\n".into();
        std::fs::write(&json, serde_json::to_string(&m).unwrap()).unwrap();
        let stamp = kconfig::stamp("aaaa1111", MERGED);
        let v = vec!["C".to_owned()];
        let e = format!(
            "{:#}",
            take(
                &d.path().join("out"),
                &wanted("aaaa1111", MERGED, &stamp, &v)
            )
            .unwrap_err()
        );
        assert!(e.contains("but its commit and config hash to"), "{e}");
    }

    #[test]
    fn a_kernel_that_did_not_build_is_its_outcome() {
        let d = tempfile::tempdir().unwrap();
        let mut m = manifest_for("aaaa1111", MERGED, None);
        m.build_failed = Some("fs/dax.c:12: error: x".into());
        let k = pack(d.path(), &m, None).unwrap();
        assert!(!k.join("bzImage").exists());
        let v = vec!["C".to_owned()];
        let got = take(d.path(), &wanted("aaaa1111", MERGED, &m.stamp, &v)).unwrap();
        assert_eq!(got, Err("fs/dax.c:12: error: x".to_owned()));
    }

    #[test]
    fn option_diffs() {
        assert_eq!(
            option_diff(
                "CONFIG_A=y\n# CONFIG_B is not set\n",
                "CONFIG_A=m\nCONFIG_C=y\n"
            ),
            [
                "CONFIG_A: y in the export, m for this job",
                "CONFIG_B: n in the export, not requested for this job",
                "CONFIG_C: not requested in the export, y for this job",
            ]
        );
        assert!(option_diff(MERGED, MERGED).is_empty());
    }

    /// A test job lists the cases with the exported image's own harness.
    #[test]
    fn the_harness_comes_out_of_the_image() {
        use crate::image::cpio::{Archive, Kind};
        let d = tempfile::tempdir().unwrap();
        let home = Home::at(d.path().join("home")).unwrap();
        let mut a = Archive::new();
        let script = b"#!/bin/sh\necho 'xfs-hole-read  pmd  dax-xfs'\n".to_vec();
        a.add_with_parents("/init", Kind::File(script.clone()), 0o755);
        a.add_with_parents("/sbin/mkfs.xfs", Kind::File(b"x".to_vec()), 0o755);
        let img = d.path().join(IMAGE_FILE);
        std::fs::write(&img, crate::image::gzip(&a.to_bytes()).unwrap()).unwrap();
        let bin = crate::image::harness_of(&home, &img).unwrap();
        assert_eq!(std::fs::read(&bin).unwrap(), script);
        let out = Cmd::new(&bin).arg("list").read().unwrap();
        assert!(out.contains("xfs-hole-read"), "{out}");
        // Same image, same file.
        assert_eq!(crate::image::harness_of(&home, &img).unwrap(), bin);
    }
}
