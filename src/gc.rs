//! `daxkit gc`: what the cache holds, and pruning it.
//!
//! [`scan`] lists the cache's entries (kernels, images, runs, unpacked
//! assets, worktrees with their build dirs, repos) with their disk usage, the time they were last
//! used (the newest mtime inside; kept kernels and images are touched when
//! reused), and whether a running daxkit holds them. [`plan`] is a pure
//! function from those entries and the flags to what goes; [`remove`] takes
//! each entry's lock before deleting it, so `--dry-run` prints exactly what
//! a real run removes unless another daxkit starts meanwhile.
//!
//! In-use locks: a build holds `work/<id>/build/.daxkit-build.lock`
//! (build.rs); a daxkit that builds or boots a kept kernel, writes a run
//! folder or copies an image holds a shared lock ([`hold`]) on it until
//! it exits.
//! Not covered: a worktree while `apply`/`config` runs (no lock; hence
//! worktrees only with `--worktrees`), and a kept kernel between a
//! `daxkit build` and a later, separate `daxkit run` of it.

use crate::home::Home;
use anyhow::{bail, Context, Result};
use fs2::FileExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// `daxkit gc`'s inputs: what to prune, and whether only to list it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GcSpec {
    pub policy: Policy,
    /// List what would be removed; remove nothing.
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Kernel,
    Image,
    Run,
    /// `assets/<key>`: the shipped files (and harness build) another
    /// installed daxkit version unpacked; the running version's is in use.
    Assets,
    Worktree,
    Repo,
    /// Logs, the KVM verdict, leftovers: listed, never removed.
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kernel => "kernel",
            Kind::Image => "image",
            Kind::Run => "run",
            Kind::Assets => "assets",
            Kind::Worktree => "worktree",
            Kind::Repo => "repo",
            Kind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub path: PathBuf,
    /// Path relative to the home, for display.
    pub rel: String,
    /// Disk usage in bytes.
    pub size: u64,
    /// Last use: the newest mtime of the entry and everything in it.
    pub used: SystemTime,
    /// Held by a running daxkit (a build, a boot, a run).
    pub in_use: bool,
}

/// Lock file in a directory entry; a file entry (an image) is locked itself.
pub const IN_USE: &str = ".daxkit-in-use";
/// The build lock (build.rs).
const BUILD_LOCK: &str = ".daxkit-build.lock";

/// Locks held until this daxkit exits.
static HELD: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// Marks `path` (a kept kernel's dir, a run folder, an image) as in use
/// until this process exits, so `daxkit gc` leaves it alone. Best effort:
/// a lock that cannot be taken only loses that protection.
pub fn hold(path: &Path) {
    let file = if path.is_dir() {
        File::create(path.join(IN_USE))
    } else {
        File::open(path)
    };
    if let Ok(f) = file {
        if f.lock_shared().is_ok() {
            HELD.lock().unwrap_or_else(|e| e.into_inner()).push(f);
        }
    }
    touch(path);
}

/// Marks `path` used now (its mtime), for least-recently-used pruning of
/// kept kernels and images reused without being written. Best effort.
pub fn touch(path: &Path) {
    if let Ok(f) = File::open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// The lock files that say `e` is in use.
fn lock_files(e: &Entry) -> Vec<PathBuf> {
    match e.kind {
        Kind::Image => vec![e.path.clone()],
        Kind::Kernel | Kind::Run | Kind::Assets => vec![e.path.join(IN_USE)],
        Kind::Worktree => vec![e.path.join("build").join(BUILD_LOCK)],
        Kind::Repo => {
            let id = repo_id(&e.path);
            let work = e
                .path
                .parent()
                .and_then(Path::parent)
                .map(|h| h.join("work").join(id));
            work.map(|w| vec![w.join("build").join(BUILD_LOCK)])
                .unwrap_or_default()
        }
        Kind::Other => Vec::new(),
    }
}

/// Takes every lock of `e` exclusively; `None` when one is held elsewhere.
fn lock(e: &Entry) -> Option<Vec<File>> {
    let mut held = Vec::new();
    for p in lock_files(e) {
        let Ok(f) = File::open(&p) else {
            continue; // no lock file: nobody ever locked it
        };
        if f.try_lock_exclusive().is_err() {
            return None;
        }
        held.push(f);
    }
    Some(held)
}

fn repo_id(repo: &Path) -> String {
    let name = repo.file_name().unwrap_or_default().to_string_lossy();
    name.strip_suffix(".git").unwrap_or(&name).to_owned()
}

/// Disk usage and newest mtime under `path` (symlinks not followed).
fn usage(path: &Path) -> (u64, SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = path.symlink_metadata() else {
        return (0, SystemTime::UNIX_EPOCH);
    };
    let mut size = m.blocks() * 512;
    let mut used = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    if m.is_dir() {
        for child in std::fs::read_dir(path).into_iter().flatten().flatten() {
            let (s, u) = usage(&child.path());
            size += s;
            used = used.max(u);
        }
    }
    (size, used)
}

/// Every entry of the cache at `root`.
pub fn scan(root: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    let Ok(top) = std::fs::read_dir(root) else {
        return out;
    };
    for t in top.flatten() {
        let name = t.file_name().to_string_lossy().into_owned();
        let kind_in: Option<fn(&str) -> Kind> = match name.as_str() {
            "kernels" => Some(|_| Kind::Kernel),
            "images" => Some(|n| {
                if n.starts_with("initramfs-") {
                    Kind::Image
                } else {
                    Kind::Other
                }
            }),
            "runs" => Some(|_| Kind::Run),
            "assets" => Some(|_| Kind::Assets),
            "work" => Some(|_| Kind::Worktree),
            "repos" => Some(|n| {
                if n.ends_with(".git") {
                    Kind::Repo
                } else {
                    Kind::Other // an interrupted import's scratch
                }
            }),
            _ => None,
        };
        let children: Vec<(Kind, PathBuf)> = match kind_in {
            Some(k) if t.path().is_dir() => std::fs::read_dir(t.path())
                .into_iter()
                .flatten()
                .flatten()
                .map(|c| (k(&c.file_name().to_string_lossy()), c.path()))
                .collect(),
            _ => vec![(Kind::Other, t.path())],
        };
        for (kind, path) in children {
            let (size, used) = usage(&path);
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let mut e = Entry {
                kind,
                path,
                rel,
                size,
                used,
                in_use: false,
            };
            // This daxkit's own assets are in use by it (and unpacked again
            // by the next run if removed, so no lock is worth taking).
            e.in_use = lock(&e).is_none()
                || (kind == Kind::Assets
                    && e.path.file_name() == Some(crate::assets::KEY.as_ref()));
            out.push(e);
        }
    }
    out.sort_by(|a, b| b.size.cmp(&a.size).then(a.rel.cmp(&b.rel)));
    out
}

/// What to prune.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_runs: Option<usize>,
    pub older_than: Option<Duration>,
    pub max_size: Option<u64>,
    pub worktrees: bool,
    pub repos: bool,
}

impl Policy {
    pub fn prunes(&self) -> bool {
        self.keep_runs.is_some() || self.older_than.is_some() || self.max_size.is_some()
    }

    fn may_remove(&self, k: Kind) -> bool {
        match k {
            Kind::Kernel | Kind::Image | Kind::Run | Kind::Assets => true,
            Kind::Worktree => self.worktrees || self.repos,
            Kind::Repo => self.repos,
            Kind::Other => false,
        }
    }
}

/// One entry to remove (an index into the scanned entries) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub entry: usize,
    pub why: String,
}

/// What `policy` removes from `entries` at `now`: never an entry in use,
/// never a kind the policy does not allow. Pure.
pub fn plan(entries: &[Entry], policy: &Policy, now: SystemTime) -> Vec<Removal> {
    let mut out: Vec<Removal> = Vec::new();
    let eligible = |i: usize| {
        let e = &entries[i];
        policy.may_remove(e.kind) && !e.in_use
    };
    let age = |e: &Entry| now.duration_since(e.used).unwrap_or_default();
    let add = |out: &mut Vec<Removal>, i: usize, why: String| {
        if !out.iter().any(|r| r.entry == i) {
            out.push(Removal { entry: i, why });
        }
    };
    if let Some(n) = policy.keep_runs {
        let mut runs: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].kind == Kind::Run)
            .collect();
        runs.sort_by(|&a, &b| entries[b].used.cmp(&entries[a].used));
        for &i in runs.iter().skip(n) {
            if eligible(i) {
                add(&mut out, i, format!("beyond the newest {n} runs"));
            }
        }
    }
    if let Some(d) = policy.older_than {
        for (i, e) in entries.iter().enumerate() {
            if eligible(i) && age(e) > d {
                add(&mut out, i, format!("unused for {}", human_age(age(e))));
            }
        }
    }
    if let Some(max) = policy.max_size {
        let mut total: u64 = entries.iter().map(|e| e.size).sum::<u64>()
            - out.iter().map(|r| entries[r.entry].size).sum::<u64>();
        let mut lru: Vec<usize> = (0..entries.len()).filter(|&i| eligible(i)).collect();
        lru.sort_by_key(|&i| entries[i].used);
        for i in lru {
            if total <= max {
                break;
            }
            if out.iter().any(|r| r.entry == i) {
                continue;
            }
            total -= entries[i].size;
            add(
                &mut out,
                i,
                format!("least recently used, cache over {}", human_size(max)),
            );
        }
    }
    // A repo's worktree goes with it.
    let repos: Vec<String> = out
        .iter()
        .filter(|r| entries[r.entry].kind == Kind::Repo)
        .map(|r| repo_id(&entries[r.entry].path))
        .collect();
    for id in repos {
        if let Some(i) = entries.iter().position(|e| {
            e.kind == Kind::Worktree
                && e.path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy() == id)
        }) {
            if !entries[i].in_use {
                add(&mut out, i, format!("its repo {id}.git is removed"));
            }
        }
    }
    out
}

/// Removes `e` under its locks; `Ok(false)` when a daxkit took it since
/// the scan.
pub fn remove(e: &Entry) -> Result<bool> {
    let Some(_locks) = lock(e) else {
        return Ok(false);
    };
    let res = if e.path.is_dir() {
        std::fs::remove_dir_all(&e.path)
    } else {
        std::fs::remove_file(&e.path)
    };
    res.with_context(|| format!("removing {}", e.path.display()))?;
    if e.kind == Kind::Worktree {
        // Without this, git refuses to add the worktree again.
        let repo = e.path.parent().and_then(Path::parent).map(|h| {
            h.join("repos").join(format!(
                "{}.git",
                e.path.file_name().unwrap_or_default().to_string_lossy()
            ))
        });
        if let Some(repo) = repo.filter(|r| r.is_dir()) {
            let _ = crate::exec::Cmd::new("git")
                .arg(format!("--git-dir={}", repo.display()))
                .args(["worktree", "prune"])
                .read();
        }
    }
    Ok(true)
}

/// The table: kind, size, age, path; largest first.
pub fn table(entries: &[Entry], now: SystemTime) -> String {
    let mut out = format!("{:<8}  {:>10}  {:>5}  PATH\n", "KIND", "SIZE", "AGE");
    for e in entries {
        out += &format!(
            "{:<8}  {:>10}  {:>5}  {}{}\n",
            e.kind.name(),
            human_size(e.size),
            human_age(now.duration_since(e.used).unwrap_or_default()),
            e.rel,
            if e.in_use { "  (in use)" } else { "" }
        );
    }
    let total: u64 = entries.iter().map(|e| e.size).sum();
    out += &format!("total {} in {} entries\n", human_size(total), entries.len());
    out
}

pub fn cmd(home: &Home, a: &GcSpec) -> Result<i32> {
    let now = SystemTime::now();
    let entries = scan(&home.root);
    print!("{}", table(&entries, now));
    let policy = &a.policy;
    if !policy.prunes() {
        if policy.worktrees || policy.repos || a.dry_run {
            bail!("nothing to prune by: give --keep-runs, --older-than or --max-size");
        }
        return Ok(crate::exit::GOOD);
    }
    let removals = plan(&entries, policy, now);
    let mut freed = 0;
    for r in &removals {
        let e = &entries[r.entry];
        let line = format!(
            "{} {} ({}): {}",
            e.kind.name(),
            e.rel,
            human_size(e.size),
            r.why
        );
        if a.dry_run {
            println!("would remove {line}");
        } else if remove(e)? {
            freed += e.size;
            println!("removed {line}");
        } else {
            println!("kept {line}: a daxkit started using it");
        }
    }
    for e in entries
        .iter()
        .filter(|e| e.in_use && policy.may_remove(e.kind))
    {
        println!(
            "kept {} {}: in use by a running daxkit",
            e.kind.name(),
            e.rel
        );
    }
    let total: u64 = entries.iter().map(|e| e.size).sum();
    if a.dry_run {
        let would: u64 = removals.iter().map(|r| entries[r.entry].size).sum();
        println!(
            "dry run: would free {} of {}",
            human_size(would),
            human_size(total)
        );
    } else {
        println!(
            "freed {}; cache now {}",
            human_size(freed),
            human_size(total - freed)
        );
    }
    if let Some(max) = policy.max_size {
        let left = total - removals.iter().map(|r| entries[r.entry].size).sum::<u64>();
        if left > max {
            println!(
                "still over {} ({}): the rest is in use, or repos and worktrees (--worktrees, --repos)",
                human_size(max),
                human_size(left)
            );
        }
    }
    Ok(crate::exit::GOOD)
}

/// `14d`, `12h`, `30m`, `45s`, `2w`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?}: expected a number and a unit, e.g. 14d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("{s:?}: unit must be s, m, h, d or w")),
    };
    Ok(Duration::from_secs(n * secs))
}

/// `20G`, `500M`, `1.5G`, `64K`, `1T`, plain bytes; binary units (G = GiB).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("{s:?}: expected a size, e.g. 20G"))?;
    let mult: u64 = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("{s:?}: unit must be K, M, G or T")),
    };
    Ok((n * mult as f64) as u64)
}

pub fn human_size(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const DAY: Duration = Duration::from_secs(86_400);

    /// Sets the mtime of `path` and everything under it to `days` ago.
    fn age(path: &Path, days: u64) {
        let t = SystemTime::now() - DAY * days as u32;
        if path.is_dir() {
            for c in std::fs::read_dir(path).unwrap().flatten() {
                age(&c.path(), days);
            }
        }
        File::open(path).unwrap().set_modified(t).unwrap();
    }

    fn file(path: &Path, kib: usize) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![7u8; kib * 1024]).unwrap();
    }

    /// A cache: 3 kernels, 2 images, 5 runs, a worktree, a repo, a log.
    fn fixture() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for (k, days) in [
            ("kernels/aaaa", 30),
            ("kernels/bbbb", 10),
            ("kernels/cccc", 1),
        ] {
            file(&r.join(k).join("bzImage"), 256);
            age(&r.join(k), days);
        }
        for (i, days) in [
            ("initramfs-1111.cpio.gz", 40),
            ("initramfs-2222.cpio.gz", 2),
        ] {
            file(&r.join("images").join(i), 128);
            age(&r.join("images").join(i), days);
        }
        file(&r.join("images/harness-build.log"), 4);
        for n in 1..=5u64 {
            let run = r.join(format!("runs/2026110{n}T000000Z-run"));
            file(&run.join("console.log"), 64);
            age(&run, 20 - 4 * n); // run 1 oldest (16d), run 5 newest (0d)
        }
        file(&r.join("work/debian-6.12/src/Makefile"), 512);
        file(&r.join("work/debian-6.12/build").join(BUILD_LOCK), 0);
        age(&r.join("work/debian-6.12"), 50);
        file(&r.join("repos/debian-6.12.git/HEAD"), 512);
        age(&r.join("repos/debian-6.12.git"), 50);
        file(&r.join("accel-probe.json"), 1);
        age(&r.join("accel-probe.json"), 50);
        for key in ["0000000000000000", crate::assets::KEY] {
            file(&r.join("assets").join(key).join("Cargo.toml"), 8);
            age(&r.join("assets").join(key), 45);
        }
        d
    }

    fn present(root: &Path) -> BTreeSet<String> {
        scan(root).into_iter().map(|e| e.rel).collect()
    }

    /// Runs the policy for real after a dry run and checks that exactly the
    /// dry run's entries disappeared; returns them.
    fn prune(root: &Path, policy: &Policy) -> BTreeSet<String> {
        let before = present(root);
        let entries = scan(root);
        let listed: BTreeSet<String> = plan(&entries, policy, SystemTime::now())
            .iter()
            .map(|r| entries[r.entry].rel.clone())
            .collect();
        assert_eq!(present(root), before, "planning removes nothing");
        for r in plan(&entries, policy, SystemTime::now()) {
            assert!(remove(&entries[r.entry]).unwrap());
        }
        let gone: BTreeSet<String> = before.difference(&present(root)).cloned().collect();
        assert_eq!(gone, listed);
        gone
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scan_sorts_kinds_and_sizes() {
        let d = fixture();
        let e = scan(d.path());
        let kind = |rel: &str| e.iter().find(|x| x.rel == rel).unwrap().kind;
        assert_eq!(kind("kernels/aaaa"), Kind::Kernel);
        assert_eq!(kind("images/initramfs-1111.cpio.gz"), Kind::Image);
        assert_eq!(kind("images/harness-build.log"), Kind::Other);
        assert_eq!(kind("runs/20261101T000000Z-run"), Kind::Run);
        assert_eq!(kind("work/debian-6.12"), Kind::Worktree);
        assert_eq!(kind("repos/debian-6.12.git"), Kind::Repo);
        assert_eq!(kind("accel-probe.json"), Kind::Other);
        assert_eq!(kind("assets/0000000000000000"), Kind::Assets);
        assert!(
            e.windows(2).all(|w| w[0].size >= w[1].size),
            "largest first"
        );
        let k = e.iter().find(|x| x.rel == "kernels/aaaa").unwrap();
        assert!(k.size >= 256 * 1024, "{}", k.size);
        let age = SystemTime::now().duration_since(k.used).unwrap();
        assert!(age > 29 * DAY && age < 31 * DAY, "{age:?}");
        let in_use: Vec<&str> = e
            .iter()
            .filter(|x| x.in_use)
            .map(|x| x.rel.as_str())
            .collect();
        let own = format!("assets/{}", crate::assets::KEY);
        assert_eq!(in_use, [own.as_str()], "only this daxkit's assets");
        let t = table(&e, SystemTime::now());
        let row = t.lines().find(|l| l.ends_with("  kernels/aaaa")).unwrap();
        assert!(
            row.starts_with("kernel  ") && row.contains(" KiB    30d  "),
            "{t}"
        );
        assert!(t.lines().last().unwrap().starts_with("total "), "{t}");
    }

    #[test]
    fn keep_runs_keeps_the_newest() {
        let d = fixture();
        let gone = prune(
            d.path(),
            &Policy {
                keep_runs: Some(2),
                ..Policy::default()
            },
        );
        assert_eq!(
            gone,
            set(&[
                "runs/20261101T000000Z-run",
                "runs/20261102T000000Z-run",
                "runs/20261103T000000Z-run"
            ])
        );
    }

    #[test]
    fn older_than_spares_repos_and_worktrees_unless_asked() {
        let d = fixture();
        let p = Policy {
            older_than: Some(14 * DAY),
            ..Policy::default()
        };
        let gone = prune(d.path(), &p);
        assert_eq!(
            gone,
            set(&[
                "kernels/aaaa",
                "images/initramfs-1111.cpio.gz",
                "runs/20261101T000000Z-run",
                "assets/0000000000000000"
            ])
        );
        let gone = prune(d.path(), &Policy { repos: true, ..p });
        assert_eq!(gone, set(&["repos/debian-6.12.git", "work/debian-6.12"]));
        assert!(
            d.path().join("accel-probe.json").exists(),
            "other files stay"
        );
    }

    #[test]
    fn max_size_evicts_least_recently_used_until_under() {
        let d = fixture();
        let entries = scan(d.path());
        let total: u64 = entries.iter().map(|e| e.size).sum();
        // Room for everything but ~400 KiB: the oldest prunable entries go
        // (assets 45d, image 40d, kernel 30d), never the 50-day-old repo or
        // worktree, nor this daxkit's assets.
        let max = total - 300 * 1024;
        let gone = prune(
            d.path(),
            &Policy {
                max_size: Some(max),
                ..Policy::default()
            },
        );
        assert_eq!(
            gone,
            set(&[
                "assets/0000000000000000",
                "images/initramfs-1111.cpio.gz",
                "kernels/aaaa"
            ])
        );
        let left: u64 = scan(d.path()).iter().map(|e| e.size).sum();
        assert!(left <= max, "{left} > {max}");
    }

    #[test]
    fn locked_entries_are_skipped() {
        let d = fixture();
        let r = d.path();
        // A build running in the worktree, a boot of kernel aaaa.
        let build = File::open(r.join("work/debian-6.12/build").join(BUILD_LOCK)).unwrap();
        build.lock_exclusive().unwrap();
        let kernel = File::create(r.join("kernels/aaaa").join(IN_USE)).unwrap();
        kernel.lock_shared().unwrap();
        age(&r.join("kernels/aaaa"), 30);
        let e = scan(r);
        let in_use: BTreeSet<String> = e
            .iter()
            .filter(|x| x.in_use)
            .map(|x| x.rel.clone())
            .collect();
        // The repo too: removing it would take the building worktree along.
        assert_eq!(
            in_use,
            set(&[
                "kernels/aaaa",
                "repos/debian-6.12.git",
                "work/debian-6.12",
                &format!("assets/{}", crate::assets::KEY)
            ])
        );
        let gone = prune(
            r,
            &Policy {
                older_than: Some(14 * DAY),
                worktrees: true,
                ..Policy::default()
            },
        );
        assert_eq!(
            gone,
            set(&[
                "assets/0000000000000000",
                "images/initramfs-1111.cpio.gz",
                "runs/20261101T000000Z-run"
            ])
        );
        assert!(r.join("work/debian-6.12/src/Makefile").exists());
        // Taken after the scan: remove() refuses too.
        let e = scan(r);
        drop(kernel);
        let k = e.iter().find(|x| x.rel == "kernels/aaaa").unwrap().clone();
        let again = File::open(r.join("kernels/aaaa").join(IN_USE)).unwrap();
        again.lock_shared().unwrap();
        assert!(!remove(&k).unwrap());
        assert!(r.join("kernels/aaaa/bzImage").exists());
        drop(again);
        assert!(remove(&k).unwrap());
        drop(build);
    }

    /// Removing a worktree unregisters it from its repo.
    #[test]
    fn removed_worktree_is_unregistered() {
        let git = crate::exec::test_tool("git");
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let repo = r.join("repos/t.git");
        let wt = r.join("work/t/src");
        let git_out = |args: &[&str]| {
            let o = std::process::Command::new(&git)
                .arg(format!("--git-dir={}", repo.display()))
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success(), "git {args:?}: {err}");
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        };
        std::fs::create_dir_all(&repo).unwrap();
        git_out(&["init", "--bare", "-q"]);
        // A commit of the empty tree.
        let empty = git_out(&["hash-object", "-t", "tree", "-w", "--stdin"]);
        let commit = git_out(&["commit-tree", "-m", "x", &empty]);
        let wt_s = wt.display().to_string();
        git_out(&["worktree", "add", "--detach", "-q", &wt_s, &commit]);
        let e = scan(r).into_iter().find(|e| e.rel == "work/t").unwrap();
        assert_eq!(e.kind, Kind::Worktree);
        assert!(remove(&e).unwrap());
        assert!(!r.join("work/t").exists());
        let listed = git_out(&["worktree", "list"]);
        assert!(!listed.contains(&wt_s), "still registered:\n{listed}");
        git_out(&["worktree", "add", "--detach", "-q", &wt_s, &commit]);
        assert!(wt.join(".git").exists());
    }

    #[test]
    fn hold_marks_in_use_and_touch_renews() {
        let d = fixture();
        let k = d.path().join("kernels/bbbb");
        hold(&k);
        let e = scan(d.path());
        assert!(e.iter().find(|x| x.rel == "kernels/bbbb").unwrap().in_use);
        touch(&d.path().join("kernels/cccc"));
        let c = scan(d.path())
            .into_iter()
            .find(|x| x.rel == "kernels/cccc")
            .unwrap();
        assert!(SystemTime::now().duration_since(c.used).unwrap() < DAY);
    }

    #[test]
    fn parses_durations_and_sizes() {
        assert_eq!(parse_duration("14d"), Ok(14 * DAY));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_duration("2w"), Ok(14 * DAY));
        assert!(parse_duration("14").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("3y").is_err());
        assert_eq!(parse_size("20G"), Ok(20 << 30));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("20X").is_err());
        assert!(parse_size("G").is_err());
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_age(Duration::from_secs(90)), "1m");
        assert_eq!(human_age(3 * DAY), "3d");
    }
}
