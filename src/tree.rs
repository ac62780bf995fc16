//! Kernel trees: which git repository and base commit a command works on,
//! and the daxkit-owned worktree where that code is checked out.
//!
//! Two sources: Debian's tarball imported by `fetch`, or a user's tree
//! (`--tree`). A user's tree is only read: daxkit makes its own bare repo
//! whose `objects/info/alternates` points at the user's objects, so
//! commits, refs and worktrees are all daxkit's and the user's checkout,
//! index and branches never change.

use crate::exec::Cmd;
use crate::fetch;
use crate::home::Home;
use crate::series::Series;
use crate::ui;
use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Which tree and which series a command works on (from the CLI's
/// `[SERIES] --tree --base --kernel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A name under patches/, a folder of `git format-patch` output, or an
    /// mbox; `None`: the base kernel alone.
    pub series: Option<String>,
    /// A user's kernel git tree (only read), instead of Debian's tarball.
    pub tree: Option<PathBuf>,
    /// Base revision in `tree` (default: the series' base, else HEAD).
    pub base: Option<String>,
    /// linux-source version when there is no `tree`: "6.12" or "6.1".
    pub kernel: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BaseTree {
    /// Cache id: names the repo, worktree and build dir.
    pub id: String,
    /// daxkit's bare repository.
    pub repo: PathBuf,
    /// Base commit (full hex).
    pub base: String,
    /// How the base was named (tag, rev), for reports.
    pub base_name: String,
    /// The user's tree, when the base came from `--tree`.
    pub user_tree: Option<PathBuf>,
}

pub fn resolve(home: &Home, t: &Target, series: Option<&Series>) -> Result<BaseTree> {
    let wanted = t
        .base
        .clone()
        .or_else(|| series.and_then(|s| s.base.rev.clone()));
    let base = match &t.tree {
        Some(user) => user_tree(home, user, wanted.as_deref().unwrap_or("HEAD"))?,
        None => {
            let kb = fetch::fetch(home, &t.kernel)?;
            // A Debian base moves with security updates: a series naming an
            // older sublevel tag of the same series applies to the current one.
            let (base, name) = match wanted.as_deref() {
                Some(rev) if !rev.starts_with(&format!("debian-{}.", t.kernel)) => {
                    (rev_parse(&kb.repo, rev)?, rev.to_owned())
                }
                Some(rev) if rev != kb.tag => {
                    ui::note(format!(
                        "series base {rev}: using {} (the installed sublevel)",
                        kb.tag
                    ));
                    (kb.commit.clone(), kb.tag.clone())
                }
                _ => (kb.commit.clone(), kb.tag.clone()),
            };
            BaseTree {
                id: kb.id,
                repo: kb.repo,
                base,
                base_name: name,
                user_tree: None,
            }
        }
    };
    if let Some(want) = series.and_then(|s| s.base.kernel.as_deref()) {
        let got = version_at(&base.repo, &base.base)?;
        if !(got == want || got.starts_with(&format!("{want}."))) {
            bail!(
                "series {} expects Linux {want}, but base {} is Linux {got}",
                series.map_or("", |s| s.name.as_str()),
                base.base_name
            );
        }
    }
    Ok(base)
}

fn user_tree(home: &Home, path: &Path, rev: &str) -> Result<BaseTree> {
    let base = user_base(home, path, rev)?;
    if !base.repo.join("HEAD").exists() {
        let objects = git2::Repository::open(path)?
            .commondir()
            .join("objects")
            .canonicalize()?;
        git2::Repository::init_bare(&base.repo)
            .with_context(|| format!("creating {}", base.repo.display()))?;
        std::fs::write(
            base.repo.join("objects/info/alternates"),
            format!("{}\n", objects.display()),
        )?;
    }
    Ok(base)
}

/// The base `--tree path` at `rev` names, read without creating daxkit's
/// repo for it (`--dry-run`; [`user_tree`] makes it).
pub fn user_base(home: &Home, path: &Path, rev: &str) -> Result<BaseTree> {
    let user = git2::Repository::open(path)
        .with_context(|| format!("--tree {}: not a git repository", path.display()))?;
    refuse_dirty(&user, path)?;
    let oid = user
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| {
            format!(
                "--tree {}: cannot resolve {rev:?} to a commit",
                path.display()
            )
        })?
        .id();
    let objects = user.commondir().join("objects").canonicalize()?;
    let digest = Sha256::digest(objects.to_string_lossy().as_bytes());
    let name = path
        .canonicalize()?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tree".into());
    let id = format!("tree-{name}-{:x}", digest)[..(5 + name.len() + 1 + 10)].to_owned();
    let repo = home.repo(&id);
    Ok(BaseTree {
        id,
        repo,
        base: oid.to_string(),
        base_name: rev.to_owned(),
        user_tree: Some(path.to_owned()),
    })
}

/// A user tree with uncommitted changes to tracked files is refused: what
/// they meant to test is ambiguous, and daxkit must not touch it.
fn refuse_dirty(repo: &git2::Repository, path: &Path) -> Result<()> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(false).include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts))?;
    let dirty: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().map(str::to_owned))
        .take(5)
        .collect();
    if !dirty.is_empty() {
        bail!(
            "--tree {} has uncommitted changes (e.g. {}): commit or stash them; daxkit leaves your tree untouched",
            path.display(),
            dirty.join(", ")
        );
    }
    Ok(())
}

pub fn rev_parse(repo: &Path, rev: &str) -> Result<String> {
    let r = git2::Repository::open_bare(repo)?;
    let c = r
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("cannot resolve {rev:?} in {}", repo.display()))?;
    Ok(c.id().to_string())
}

/// Kernel version (`6.12.117`) of the tree at `commit`, read from its Makefile.
pub fn version_at(repo: &Path, commit: &str) -> Result<String> {
    let r = git2::Repository::open_bare(repo)?;
    let c = r.find_commit(git2::Oid::from_str(commit)?)?;
    let entry = c.tree()?.get_path(Path::new("Makefile"))?;
    let blob = entry.to_object(&r)?.peel_to_blob()?;
    fetch::parse_makefile_version(&String::from_utf8_lossy(blob.content()))
        .ok_or_else(|| anyhow!("{commit}: Makefile has no kernel version"))
}

/// The daxkit worktree of `base` at `commit`, created on first use. Moving
/// an existing worktree rewrites only the files that differ, so the build
/// directory stays incremental. Local edits in it are refused, not lost.
pub fn checkout(home: &Home, base: &BaseTree, commit: &str) -> Result<PathBuf> {
    let wt = home.worktree(&base.id);
    let gitdir = format!("--git-dir={}", base.repo.display());
    if !wt.join(".git").exists() {
        ui::step(format!(
            "checking out {} into {}",
            short(commit),
            wt.display()
        ));
        if let Some(parent) = wt.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // A half-made worktree from an interrupted run: start it again.
        Cmd::new("git")
            .arg(&gitdir)
            .args(["worktree", "prune"])
            .read()?;
        if wt.exists() {
            std::fs::remove_dir_all(&wt)?;
        }
        Cmd::new("git")
            .arg(&gitdir)
            .args(["worktree", "add", "-f", "--detach"])
            .arg(&wt)
            .arg(commit)
            .read()
            .with_context(|| format!("creating worktree {}", wt.display()))?;
        return Ok(wt);
    }
    let head = Cmd::new("git")
        .arg("-C")
        .arg(&wt)
        .args(["rev-parse", "HEAD"])
        .read()?;
    if head.trim() == commit {
        return Ok(wt);
    }
    let dirty = Cmd::new("git")
        .arg("-C")
        .arg(&wt)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .read()?;
    if !dirty.trim().is_empty() {
        bail!(
            "worktree {} has local changes:\n{}\ncommit them or run `git -C {} checkout .` first; daxkit will not overwrite them",
            wt.display(),
            crate::exec::tail_of(&dirty, 10),
            wt.display()
        );
    }
    ui::step(format!("moving {} to {}", wt.display(), short(commit)));
    Cmd::new("git")
        .arg("-C")
        .arg(&wt)
        .args(["checkout", "-q", "--detach", commit])
        .read()
        .with_context(|| format!("checking out {commit} in {}", wt.display()))?;
    Ok(wt)
}

pub fn short(commit: &str) -> &str {
    &commit[..12.min(commit.len())]
}
