//! `daxkit kernel fetch`: Debian's linux-source-X tarball imported into a
//! bare git repository in the cache, as one commit tagged `debian-X.Y.Z`.
//!
//! A tarball has no history; one commit per sublevel in one repo per series
//! (`repos/debian-6.12.git`) keeps moving to a new Debian sublevel an
//! incremental checkout and build, not a fresh tree.

use crate::exec::Cmd;
use crate::home::Home;
use crate::ui;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelBase {
    /// Cache repo id, e.g. `debian-6.12`.
    pub id: String,
    pub repo: PathBuf,
    /// Exact kernel version from the tarball's Makefile, e.g. `6.12.117`.
    pub version: String,
    /// `debian-6.12.117`.
    pub tag: String,
    pub commit: String,
}

impl KernelBase {
    pub fn describe(&self) -> String {
        format!(
            "{} {} ({}, repo {})",
            self.tag,
            &self.commit[..12.min(self.commit.len())],
            self.version,
            self.repo.display()
        )
    }
}

/// The Debian `linux-source-X` series daxkit imports (`--kernel`,
/// `kernel fetch --version`), the default first.
pub const KERNELS: &[&str] = &[DEFAULT_KERNEL, "6.1"];
/// The series used when none is asked for.
pub const DEFAULT_KERNEL: &str = "6.12";

/// The Debian package that ships the tarball of `series`.
pub fn package(series: &str) -> &'static str {
    match series {
        "6.1" => "linux-source-6.1",
        _ => "linux-source-6.12",
    }
}

pub fn tarball(series: &str) -> PathBuf {
    PathBuf::from(format!("/usr/src/linux-source-{series}.tar.xz"))
}

/// Installs (when missing and possible) and imports linux-source-`series`.
pub fn fetch(home: &Home, series: &str) -> Result<KernelBase> {
    let tar = tarball(series);
    if !tar.is_file() {
        install_package(package(series))?;
    }
    let id = format!("debian-{series}");
    let repo = home.repo(&id);
    // The package's sublevel moves with Debian's security updates; the
    // tarball's mtime+size identifies what we imported.
    let stamp = tarball_stamp(&tar)?;
    if let Some(base) = already_imported(&repo, &id, &stamp)? {
        return Ok(base);
    }
    import(home, &tar, &id, &repo, &stamp)
}

/// What [`fetch`] would do, found without doing it (`--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchPlan {
    /// Imported already from the tarball that is installed now.
    Imported(KernelBase),
    /// The tarball is installed but not (or an older one) imported.
    Import { tarball: PathBuf },
    /// The package has to be installed first (or named, when daxkit may
    /// not install).
    Install { package: &'static str },
}

impl FetchPlan {
    pub fn describe(&self, series: &str) -> String {
        match self {
            FetchPlan::Imported(kb) => kb.describe(),
            FetchPlan::Import { tarball } => format!(
                "would import {} as one commit tagged debian-<its version>",
                tarball.display()
            ),
            FetchPlan::Install { package } => format!(
                "would install {package}, then import {} as one commit tagged debian-<its version>",
                tarball(series).display()
            ),
        }
    }
}

/// Reads what is installed and imported; changes nothing.
pub fn plan(home: &Home, series: &str) -> Result<FetchPlan> {
    let tar = tarball(series);
    if !tar.is_file() {
        return Ok(FetchPlan::Install {
            package: package(series),
        });
    }
    let id = format!("debian-{series}");
    let repo = home.repo(&id);
    Ok(match already_imported(&repo, &id, &tarball_stamp(&tar)?)? {
        Some(kb) => FetchPlan::Imported(kb),
        None => FetchPlan::Import { tarball: tar },
    })
}

/// The cache id of linux-source-`series`'s repo, worktree and build dir.
pub fn repo_id(series: &str) -> String {
    format!("debian-{series}")
}

/// The tarball comes from a Debian package: installed when daxkit may
/// install (root, apt, no DAXKIT_NO_INSTALL), else named.
fn install_package(package: &'static str) -> Result<()> {
    if !crate::exec::may_install() {
        return Err(crate::exec::HostError(format!(
            "{package} is not installed: run `sudo apt-get install {package}`"
        ))
        .into());
    }
    crate::exec::install(crate::exec::Provider::Apt(package))
        .with_context(|| format!("installing Debian package {package}"))
}

/// The version and commit of the linux-source-`series` import in `home`,
/// whichever tarball it came from (for `daxkit doctor`; never imports).
pub fn imported(home: &Home, series: &str) -> Option<(String, String)> {
    let text = std::fs::read_to_string(
        home.repo(&format!("debian-{series}"))
            .join("daxkit-imported"),
    )
    .ok()?;
    let mut lines = text.lines().skip(1);
    Some((lines.next()?.to_owned(), lines.next()?.to_owned()))
}

fn tarball_stamp(tar: &Path) -> Result<String> {
    let m = tar
        .metadata()
        .with_context(|| format!("reading {}", tar.display()))?;
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Ok(format!("{} {} {}", tar.display(), m.len(), mtime))
}

fn already_imported(repo: &Path, id: &str, stamp: &str) -> Result<Option<KernelBase>> {
    let marker = repo.join("daxkit-imported");
    let Ok(text) = std::fs::read_to_string(&marker) else {
        return Ok(None);
    };
    let mut lines = text.lines();
    let (Some(s), Some(version), Some(commit)) = (lines.next(), lines.next(), lines.next()) else {
        return Ok(None);
    };
    if s != stamp {
        return Ok(None);
    }
    Ok(Some(KernelBase {
        id: id.to_owned(),
        repo: repo.to_owned(),
        version: version.to_owned(),
        tag: format!("debian-{version}"),
        commit: commit.to_owned(),
    }))
}

fn import(home: &Home, tar: &Path, id: &str, repo: &Path, stamp: &str) -> Result<KernelBase> {
    crate::exec::require_tools(crate::exec::Need::Fetch)?;
    ui::step(format!(
        "importing {} into {}",
        tar.display(),
        repo.display()
    ));
    // Extract next to the repo, then rename: an interrupted import leaves
    // only a scratch folder that the next run removes.
    let scratch = home.root.join("repos").join(format!(".import-{id}"));
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("removing stale {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)?;
    Cmd::new("tar")
        .arg("-xf")
        .arg(tar)
        .args(["--strip-components=1", "-C"])
        .arg(&scratch)
        .read()
        .with_context(|| format!("extracting {}", tar.display()))?;
    let version = makefile_version(&scratch.join("Makefile"))?;
    let tag = format!("debian-{version}");
    if !repo.join("HEAD").exists() {
        Cmd::new("git")
            .args(["init", "-q", "--bare"])
            .arg(repo)
            .read()?;
    }
    let git = |args: &[&str]| {
        Cmd::new("git")
            .arg(format!("--git-dir={}", repo.display()))
            .arg(format!("--work-tree={}", scratch.display()))
            .args(args.iter().copied())
            // Fixed identity and date: the same tarball gives the same commit.
            .env("GIT_AUTHOR_NAME", "Debian linux-source")
            .env("GIT_AUTHOR_EMAIL", "debian-kernel@lists.debian.org")
            .env("GIT_COMMITTER_NAME", "daxkit")
            .env("GIT_COMMITTER_EMAIL", "daxkit@localhost")
            .env("GIT_AUTHOR_DATE", "1970-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "1970-01-01T00:00:00Z")
            .read()
    };
    // The tarball ships no .gitignore-d build products, so add everything;
    // -f keeps files the kernel's own .gitignore would hide.
    git(&["add", "-A", "-f", "."])?;
    let parent = git(&["rev-parse", "-q", "--verify", "refs/heads/main"]).ok();
    let msg = format!("Linux {version} (Debian linux-source, {})", tar.display());
    let mut args = vec!["commit-tree", "-m", msg.as_str()];
    let parent = parent.map(|p| p.trim().to_owned());
    if let Some(p) = &parent {
        args.extend(["-p", p.as_str()]);
    }
    let tree = git(&["write-tree"])?.trim().to_owned();
    args.push(tree.as_str());
    let commit = git(&args)?.trim().to_owned();
    git(&["update-ref", "refs/heads/main", &commit])?;
    git(&["tag", "-f", &tag, &commit])?;
    std::fs::remove_file(repo.join("index")).ok();
    std::fs::remove_dir_all(&scratch).ok();
    std::fs::write(
        repo.join("daxkit-imported"),
        format!("{stamp}\n{version}\n{commit}\n"),
    )?;
    ui::note(format!("tagged {tag} = {commit}"));
    Ok(KernelBase {
        id: id.to_owned(),
        repo: repo.to_owned(),
        version,
        tag,
        commit,
    })
}

/// `VERSION.PATCHLEVEL.SUBLEVEL` from a kernel Makefile.
pub fn makefile_version(makefile: &Path) -> Result<String> {
    let text = std::fs::read_to_string(makefile)
        .with_context(|| format!("reading {}", makefile.display()))?;
    parse_makefile_version(&text)
        .with_context(|| format!("{}: no VERSION/PATCHLEVEL/SUBLEVEL", makefile.display()))
}

pub fn parse_makefile_version(text: &str) -> Option<String> {
    let field = |name: &str| {
        text.lines().take(20).find_map(|l| {
            l.strip_prefix(name)?
                .trim_start()
                .strip_prefix('=')
                .map(str::trim)
        })
    };
    let (v, p, s) = (field("VERSION")?, field("PATCHLEVEL")?, field("SUBLEVEL")?);
    let extra = field("EXTRAVERSION").unwrap_or("");
    Some(format!("{v}.{p}.{s}{extra}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_makefile() {
        let mk = "# SPDX\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n";
        assert_eq!(parse_makefile_version(mk).as_deref(), Some("6.12.117"));
        let rc = mk.replace("EXTRAVERSION =", "EXTRAVERSION = -rc3");
        assert_eq!(parse_makefile_version(&rc).as_deref(), Some("6.12.117-rc3"));
        assert_eq!(parse_makefile_version("VERSION = 6\n"), None);
    }
}
