//! `daxkit apply`: a series becomes one commit per patch on top of the base,
//! in daxkit's own repository, then the daxkit worktree moves to it.
//!
//! Patches are applied to trees in the object database (git2
//! `apply_to_tree`), never to a working directory, so a patch that does not
//! apply leaves nothing half-done. Commits keep the patch's author and date
//! and use them as committer too: the same series on the same base always
//! gives the same commit ids, which makes reruns idempotent and bisect
//! results comparable.

use crate::home::Home;
use crate::series::{Patch, Series};
use crate::tree::{self, BaseTree};
use crate::ui;
use anyhow::{bail, Context, Result};
use git2::{ApplyOptions, Diff, Oid, Repository, Signature, Time};
use std::collections::HashMap;
use std::path::PathBuf;

/// How far back from the base to look for patches that are already applied.
const APPLIED_LOOKBACK: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub base: BaseTree,
    /// The commit to build: the last patch's, or the base.
    pub head: String,
    /// (commit, subject) per patch, in order.
    pub commits: Vec<(String, String)>,
    /// The series was already in the base's history.
    pub already_in_base: bool,
    pub series_name: Option<String>,
    pub worktree: PathBuf,
}

impl Applied {
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} at {} (base {} {})",
            self.worktree.display(),
            tree::short(&self.head),
            self.base.base_name,
            tree::short(&self.base.base)
        );
        if self.already_in_base {
            s += "\nseries already applied in the base; nothing to do";
        }
        for (c, subj) in &self.commits {
            s += &format!("\n  {} {subj}", tree::short(c));
        }
        s
    }
}

/// A patch that does not apply, with what a user needs to fix it.
#[derive(Debug, thiserror::Error)]
#[error("patch {index}/{total} {subject:?} ({source_file}) does not apply to {base}: {location}: {reason}")]
pub struct ApplyError {
    pub index: usize,
    pub total: usize,
    pub subject: String,
    pub source_file: String,
    pub base: String,
    /// `fs/dax.c, hunk #2 @@ -1853,7 +1853,9 @@`
    pub location: String,
    pub reason: String,
}

pub fn apply(home: &Home, base: &BaseTree, series: Option<&Series>) -> Result<Applied> {
    let (head, commits, already) = match series {
        Some(s) => commit_series(base, s)?,
        None => (base.base.clone(), Vec::new(), false),
    };
    let worktree = tree::checkout(home, base, &head)?;
    Ok(Applied {
        base: base.clone(),
        head,
        commits,
        already_in_base: already,
        series_name: series.map(|s| s.name.clone()),
        worktree,
    })
}

/// Applies `s` on the base inside daxkit's repo; returns head and commits.
/// (commit, subject) per patch.
pub type Commits = Vec<(String, String)>;

pub fn commit_series(base: &BaseTree, s: &Series) -> Result<(String, Commits, bool)> {
    let repo = Repository::open_bare(&base.repo)
        .with_context(|| format!("opening {}", base.repo.display()))?;
    let base_oid = Oid::from_str(&base.base)?;
    let ids = s
        .patches
        .iter()
        .map(|p| patch_id(&p.diff).with_context(|| format!("{}: unreadable diff", p.source)))
        .collect::<Result<Vec<_>>>()?;
    let found = find_in_history(&repo, base_oid, &ids)?;
    if found.iter().all(Option::is_some) && !found.is_empty() {
        ui::note(format!(
            "series {} is already applied in {} (same patch-ids): using it as is",
            s.name, base.base_name
        ));
        let commits = found
            .iter()
            .zip(&s.patches)
            .map(|(c, p)| {
                (
                    c.map(|c| c.to_string()).unwrap_or_default(),
                    p.subject.clone(),
                )
            })
            .collect();
        return Ok((base.base.clone(), commits, true));
    }
    if let Some((i, c)) = found
        .iter()
        .enumerate()
        .find_map(|(i, c)| c.map(|c| (i, c)))
    {
        bail!(
            "series {}: patch {}/{} {:?} is already in {} as commit {} but others are not: \
             give a base before the series (--base)",
            s.name,
            i + 1,
            s.patches.len(),
            s.patches[i].subject,
            base.base_name,
            tree::short(&c.to_string())
        );
    }
    ui::step(format!(
        "applying {} ({} patches) on {}",
        s.name,
        s.patches.len(),
        base.base_name
    ));
    let mut parent = repo.find_commit(base_oid)?;
    let mut commits = Vec::new();
    for (i, p) in s.patches.iter().enumerate() {
        let oid = apply_one(&repo, &parent, p).map_err(|(location, reason)| ApplyError {
            index: i + 1,
            total: s.patches.len(),
            subject: p.subject.clone(),
            source_file: p.source.clone(),
            base: base.base_name.clone(),
            location,
            reason,
        })?;
        ui::note(format!("{} {}", tree::short(&oid.to_string()), p.subject));
        commits.push((oid.to_string(), p.subject.clone()));
        parent = repo.find_commit(oid)?;
    }
    let head = parent.id();
    // A ref of daxkit's own, so the commits are reachable (gc) and visible.
    repo.reference(
        &format!("refs/heads/daxkit/{}", sanitize(&s.name)),
        head,
        true,
        "daxkit apply",
    )?;
    Ok((head.to_string(), commits, false))
}

/// Applies one patch on `parent`'s tree; the error is (location, reason).
fn apply_one(repo: &Repository, parent: &git2::Commit, p: &Patch) -> Result<Oid, (String, String)> {
    let diff = Diff::from_buffer(p.diff.as_bytes())
        .map_err(|e| ("diff".into(), e.message().to_owned()))?;
    let tree = parent.tree().map_err(|e| ("tree".into(), e.to_string()))?;
    let mut index = match repo.apply_to_tree(&tree, &diff, None) {
        Ok(ix) => ix,
        Err(e) => return Err((locate_failure(repo, &tree, &diff), e.message().to_owned())),
    };
    let git_err = |e: git2::Error| ("commit".to_owned(), e.to_string());
    let tree_oid = index.write_tree_to(repo).map_err(git_err)?;
    let new_tree = repo.find_tree(tree_oid).map_err(git_err)?;
    let time = Time::new(p.date.0, p.date.1);
    let sig = Signature::new(&p.author_name, &p.author_email, &time).map_err(git_err)?;
    repo.commit(None, &sig, &sig, &p.message, &new_tree, &[parent])
        .map_err(git_err)
}

/// Finds the first file and hunk that fail, by applying one file and then
/// one hunk prefix at a time.
fn locate_failure(repo: &Repository, tree: &git2::Tree, diff: &Diff) -> String {
    for (di, delta) in diff.deltas().enumerate() {
        let path = delta
            .new_file()
            .path()
            .or(delta.old_file().path())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let mut opts = ApplyOptions::new();
        only(&mut opts, di, None);
        if repo.apply_to_tree(tree, diff, Some(&mut opts)).is_ok() {
            continue;
        }
        let Ok(Some(patch)) = git2::Patch::from_diff(diff, di) else {
            return path;
        };
        for h in 1..=patch.num_hunks() {
            let mut opts = ApplyOptions::new();
            only(&mut opts, di, Some(h));
            if repo.apply_to_tree(tree, diff, Some(&mut opts)).is_err() {
                let header = patch
                    .hunk(h - 1)
                    .map(|(hk, _)| String::from_utf8_lossy(hk.header()).trim().to_owned())
                    .unwrap_or_default();
                return format!("{path}, hunk #{h} {header}");
            }
        }
        return path;
    }
    "unknown file".into()
}

/// Makes `opts` apply only delta `di`, and of it only the first `hunks`.
/// (Configured in place: git2 keeps a pointer to the options, so they
/// must not move after a callback is set.)
fn only(opts: &mut ApplyOptions<'_>, di: usize, hunks: Option<usize>) {
    let mut seen = 0usize;
    opts.delta_callback(move |_| {
        seen += 1;
        seen - 1 == di
    });
    if let Some(n) = hunks {
        let mut k = 0usize;
        opts.hunk_callback(move |_| {
            k += 1;
            k <= n
        });
    }
}

/// Stable patch-id of a diff (whitespace-insensitive, like `git patch-id --stable`).
pub fn patch_id(diff: &str) -> Result<Oid> {
    Ok(Diff::from_buffer(diff.as_bytes())?.patchid(None)?)
}

/// For each patch-id, the commit among the last [`APPLIED_LOOKBACK`]
/// first-parent ancestors of `from` (inclusive) that has it.
pub(crate) fn find_in_history(
    repo: &Repository,
    from: Oid,
    ids: &[Oid],
) -> Result<Vec<Option<Oid>>> {
    let mut want: HashMap<Oid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut found = vec![None; ids.len()];
    let mut commit = repo.find_commit(from)?;
    for _ in 0..APPLIED_LOOKBACK {
        if want.is_empty() {
            break;
        }
        let Ok(parent) = commit.parent(0) else { break };
        let diff = repo.diff_tree_to_tree(Some(&parent.tree()?), Some(&commit.tree()?), None)?;
        if let Ok(id) = diff.patchid(None) {
            if let Some(i) = want.remove(&id) {
                found[i] = Some(commit.id());
            }
        }
        commit = parent;
    }
    Ok(found)
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}
