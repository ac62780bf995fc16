//! `daxkit review SOURCE`: the reviewer's loop, from a series on the list
//! to a reply. b4 turns the thread (a message-id or lore URL, or a local
//! mbox or maildir) into the newest revision with its trailers and its
//! base ([`b4`]); daxkit then runs its own `check-series` and
//! `reproduce` on that series and writes one review folder:
//!
//! ```text
//! thread/            the thread as fetched by b4 (remote sources)
//! b4/                b4 am's output: series.mbx, series.cover, series.patches/, b4.log
//! series/            the series as daxkit runs it: series.yaml, the patches, fragments
//! check-series.txt   the per-patch table (and check-series/: checkpatch, build logs)
//! report.*           reproduce's report (md, json, xml, html)
//! checks/NNNN.json   per patch, b4's review-check JSON (tool, status, summary, url, details)
//! kcidb.json         KCIDB I/O data (checkouts, builds, tests)
//! reply.eml          the reply to the thread, ready for `git send-email`
//! review.json        what was reviewed: source, message-ids, revision, base, verdict
//! ```
//!
//! Exit code: the worst of check-series and reproduce (the judge's
//! classes); a series whose patch does not apply on its base is bad (1);
//! a thread without a usable base, or b4 that cannot be had, is 128.

pub mod b4;
pub mod checks;
pub mod compare;
pub mod reply;

use crate::apply::{self, ApplyError};
use crate::build::BuildOptions;
use crate::check_series::{self, CheckSeriesSpec, PatchRow};
use crate::exec::HostError;
use crate::home::Home;
use crate::pipeline::KernelSpec;
use crate::report::model::Report;
use crate::reproduce::{self, ReproduceSpec};
use crate::runs::RunOptions;
use crate::{exit, fetch, kconfig, series, tree, ui};
use anyhow::{bail, Context, Result};
use b4::{BaseFinding, Message, Source};
use daxkit_harness::judge::{self, Class};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// `daxkit review`: what to review and how (the CLI's `ReviewArgs`).
#[derive(Debug, Clone)]
pub struct ReviewSpec {
    /// The thread: a message-id or lore URL (fetched with b4), or a local
    /// mbox file or maildir folder.
    pub source: Option<String>,
    /// Compare two revisions instead: OLD and NEW are review folders,
    /// threads, mboxes or series folders (patches matched by patch-id or
    /// subject; with review folders, checks and cases too).
    pub compare: Option<Vec<String>>,
    /// No network: a message-id or URL is refused with what to do instead.
    pub offline: bool,
    /// Without a usable `base-commit:` in the thread, let b4 guess the
    /// base within the tree (from the blob ids in the patches).
    pub guess_base: bool,
    /// Take the Kconfig fragments, expectations and variants from this
    /// series (a name under patches/ or a folder); `none` for none.
    pub like: String,
    /// Review folder (default: a new run folder `runs/<stamp>-review`).
    pub out: Option<PathBuf>,
    /// Review a thread whose cover letter names prerequisite patches
    /// (`prerequisite-patch-id:`) that the base does not contain.
    pub ignore_prerequisites: bool,
    /// Also boot each patch's kernel in check-series (`check-series --run`).
    pub run_each_patch: bool,
    /// check-series' kernel-standard checks (`check-series --checks`).
    pub checks: check_series::Checks,
    /// Use this kernel git tree instead of Debian's tarball (read only).
    pub tree: Option<PathBuf>,
    /// Base revision, overriding the thread's `base-commit:`.
    pub base: Option<String>,
    /// linux-source version when no --tree is given.
    pub kernel: String,
    /// Extra Kconfig fragment(s).
    pub fragments: Vec<PathBuf>,
    /// Leave out the Rust fragment (CONFIG_RUST) from the defaults.
    pub no_rust: bool,
    /// Kernel config profile (see `config --profile`).
    pub profile: kconfig::Profile,
    /// Compiler for the kernel build.
    pub cc: Option<String>,
    pub runs: RunOptions,
}

/// What review learnt of the thread.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Thread {
    /// The SOURCE as given.
    pub source: String,
    /// The cover letter (or the single patch) as it is in the thread:
    /// what the reply answers, with its To/Cc.
    pub top: Message,
    /// Whether `top` is a cover letter.
    pub has_cover: bool,
    /// `N` of `[PATCH vN ...]` (1 when absent).
    pub revision: u32,
    /// The full subject of each patch b4 picked, in order.
    pub patches: Vec<Message>,
    /// `prerequisite-patch-id:` lines of the thread's newest revision.
    pub prerequisites: Vec<String>,
    /// Trailers b4 collected from replies (`Reviewed-by: ...`), per patch.
    pub collected: Vec<Vec<String>>,
}

static REVISION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\[[^\]]*?\bv(\d+)\b[^\]]*\]").unwrap());
static PREREQ: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?mi)^prerequisite-patch-id:\s+([0-9a-f]{40})\s*$").unwrap());
static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^((?:Reviewed|Acked|Tested|Reported|Suggested)-by: .+)$").unwrap()
});

/// `N` of `[PATCH vN m/n]`; 1 without a `vN`.
pub fn revision_of(subject: &str) -> u32 {
    REVISION
        .captures(subject)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or(1)
}

/// Reads b4's output and the thread (with Python's `email`) into a [`Thread`].
pub fn read_thread(venv: &b4::Venv, source: &str, thread: &Path, am: &b4::Am) -> Result<Thread> {
    let all = b4::messages(venv, thread)?;
    let patches = b4::messages(venv, &am.mbx)?;
    let cover = am
        .cover
        .as_deref()
        .map(|c| b4::messages(venv, c))
        .transpose()?
        .and_then(|m| m.into_iter().next());
    let top_id = cover
        .as_ref()
        .or(patches.first())
        .map(|m| m.message_id.clone())
        .unwrap_or_default();
    // The message as sent (b4's copies drop To/Cc).
    let top = all
        .iter()
        .find(|m| m.message_id == top_id)
        .cloned()
        .with_context(|| {
            format!(
                "message <{top_id}> that b4 picked is not in {}",
                thread.display()
            )
        })?;
    let revision = revision_of(
        &patches
            .first()
            .map_or(top.subject.clone(), |p| p.subject.clone()),
    );
    let prerequisites = PREREQ
        .captures_iter(&top.body)
        .map(|c| c[1].to_owned())
        .collect();
    // Trailers in b4's copy of a patch that its original in the thread lacks.
    let collected = patches
        .iter()
        .map(|p| {
            let orig = all.iter().find(|m| m.message_id == p.message_id);
            TRAILER
                .captures_iter(&p.body)
                .map(|c| c[1].trim().to_owned())
                .filter(|t| orig.is_none_or(|o| !o.body.contains(t.as_str())))
                .collect()
        })
        .collect();
    Ok(Thread {
        source: source.to_owned(),
        has_cover: cover.is_some(),
        top,
        revision,
        patches,
        prerequisites,
        collected,
    })
}

/// The base to review on, from `--base`, or b4's finding; else why not.
pub fn choose_base(
    args_base: Option<&str>,
    f: &BaseFinding,
    guess: bool,
    tree: &str,
    msgid: &str,
) -> Result<(String, String)> {
    if let Some(b) = args_base {
        return Ok((b.to_owned(), format!("--base {b}")));
    }
    if let Some(c) = &f.chosen {
        let how = match &f.guessed {
            Some(g) => format!("guessed by b4 in {tree} ({g})"),
            None => "the thread's base-commit".to_owned(),
        };
        return Ok((c.clone(), how));
    }
    let what = match &f.unknown {
        Some(c) => format!("its base-commit {c} is not in {tree}"),
        None => "it has no base-commit".to_owned(),
    };
    let hint = if guess {
        format!(
            "b4 could not guess one ({}); pass --base REV",
            f.guess_failed.as_deref().unwrap_or("no guess")
        )
    } else {
        "pass --guess-base to let b4 guess within the tree, or --base REV".to_owned()
    };
    let hint = if f.applies_to_head {
        format!("{hint} (b4 says it applies to the tree's HEAD: --base HEAD)")
    } else {
        hint
    };
    Err(HostError(format!(
        "thread <{msgid}> has no usable base: {what}; {hint}"
    ))
    .into())
}

/// Everything the review folder is written from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Review {
    pub thread: Thread,
    /// Base commit (full hex) and how it was chosen.
    pub base: String,
    pub base_how: String,
    pub kernel_version: String,
    /// The patch that did not apply, when one did not.
    pub apply_failure: Option<String>,
    /// Its number (1-based).
    pub apply_failed_patch: Option<usize>,
    pub check_series: Option<Vec<PatchRow>>,
    pub check_series_code: Option<i32>,
    #[serde(skip)]
    pub report: Option<Report>,
    pub reproducer: String,
    /// `Name <email>` from git config, if set.
    pub tester: Option<String>,
    pub exit_code: i32,
}

impl Review {
    /// The exit code: the worst of every check (judge classes).
    pub fn verdict(&self) -> i32 {
        let mut classes = Vec::new();
        if self.apply_failure.is_some() {
            classes.push(Class::Bad);
        }
        if let Some(c) = self.check_series_code {
            classes.push(class_of(c));
        }
        if let Some(r) = &self.report {
            classes.push(class_of(r.exit_code()));
        }
        if classes.is_empty() {
            return exit::SKIP;
        }
        judge::combine_variants(&classes).code()
    }

    pub fn passed(&self) -> bool {
        self.verdict() == exit::GOOD
    }
}

fn class_of(code: i32) -> Class {
    match code {
        exit::GOOD => Class::Good,
        exit::BAD => Class::Bad,
        exit::INTERRUPTED => Class::Interrupted,
        _ => Class::CannotTest,
    }
}

/// `Name <email>` from `git config user.name` / `user.email`.
pub fn git_identity() -> Option<String> {
    let get = |k: &str| {
        crate::exec::Cmd::new("git")
            .args(["config", "--get", k])
            .read()
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    Some(format!("{} <{}>", get("user.name")?, get("user.email")?))
}

/// `argv`: the `daxkit reproduce` arguments of a spec (the CLI's job),
/// for the report's reproducer record.
pub fn cmd(home: &Home, a: &ReviewSpec, argv: fn(&ReproduceSpec) -> Vec<String>) -> Result<i32> {
    if let Some(c) = &a.compare {
        return compare::cmd(home, &c[0], &c[1]);
    }
    let src = a.source.clone().unwrap_or_default();
    let source = Source::parse(&src)?;
    let like = match a.like.as_str() {
        "none" => None,
        s => Some(series::load(s)?),
    };
    crate::runs::check_case_names(
        home,
        &a.runs.cases,
        &a.runs.filesystems,
        a.runs.image.as_deref(),
    )?;
    let venv = b4::require_b4(home)?;
    let dir = match &a.out {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.canonicalize()?
        }
        None => home.new_run("review")?,
    };
    ui::step(format!("review {src} → {}", dir.display()));
    let thread_file = match &source {
        Source::Local(p) => p.clone(),
        Source::Remote(id) => b4::fetch_thread(&venv, id, &dir.join("thread"), a.offline)?,
    };
    // The tree b4 checks the base in: the user's, or Debian's import.
    let (gitdir, tree_name) = match &a.tree {
        Some(t) => {
            let g = crate::exec::Cmd::new("git")
                .arg("-C")
                .arg(t)
                .args(["rev-parse", "--absolute-git-dir"])
                .read()
                .with_context(|| format!("--tree {}: not a git repository", t.display()))?;
            (PathBuf::from(g.trim()), t.display().to_string())
        }
        None => {
            let kb = fetch::fetch(home, &a.kernel)?;
            (kb.repo.clone(), kb.tag.clone())
        }
    };
    let view = b4::GitView::new(&dir.join("b4"), &gitdir)?;
    let am = b4::am(
        &venv,
        &thread_file,
        Some(&view),
        a.guess_base,
        &dir.join("b4"),
    )?;
    let thread = read_thread(&venv, &src, &thread_file, &am)?;
    let msgid = thread.top.message_id.clone();
    ui::note(format!(
        "b4: v{} of <{msgid}>, {} patches{}",
        thread.revision,
        thread.patches.len(),
        if thread.has_cover {
            " and a cover letter"
        } else {
            ""
        }
    ));
    let (base_rev, base_how) = choose_base(
        a.base.as_deref(),
        &am.base,
        a.guess_base,
        &tree_name,
        &msgid,
    )?;
    let base_commit = resolve_in(&gitdir, &base_rev)?;
    check_prerequisites(
        &gitdir,
        &base_commit,
        &thread.prerequisites,
        a.ignore_prerequisites,
    )?;
    let series_dir = write_series(
        &dir.join("series"),
        &am,
        like.as_ref(),
        &thread,
        &base_commit,
    )?;
    let spec = series_dir.display().to_string();

    let kernel = KernelSpec {
        target: tree::Target {
            series: Some(spec.clone()),
            tree: a.tree.clone(),
            base: Some(base_commit.clone()),
            kernel: a.kernel.clone(),
        },
        config: kconfig::ConfigSpec {
            fragments: a.fragments.clone(),
            no_rust: a.no_rust,
            profile: a.profile,
        },
        build: BuildOptions::new(a.cc.clone(), None),
    };
    let s = series::load(&spec)?;
    let base = tree::resolve(home, &kernel.target, Some(&s))?;
    let kernel_version = tree::version_at(&base.repo, &base.base)?;
    let mut review = Review {
        reproducer: reproducer(a, &thread, &base_commit),
        thread,
        base: base_commit.clone(),
        base_how,
        kernel_version,
        apply_failure: None,
        apply_failed_patch: None,
        check_series: None,
        check_series_code: None,
        report: None,
        tester: git_identity(),
        exit_code: exit::SKIP,
    };
    match apply::apply(home, &base, Some(&s)) {
        Err(e) if e.chain().any(|c| c.is::<ApplyError>()) => {
            ui::warn(format!("{e:#}"));
            review.apply_failed_patch = e
                .chain()
                .find_map(|c| c.downcast_ref::<ApplyError>())
                .map(|a| a.index);
            // Paths inside the review folder, relative to it.
            let prefix = format!("{}/", dir.display());
            review.apply_failure = Some(format!("{e:#}").replace(&prefix, ""));
        }
        Err(e) => return Err(e),
        Ok(_) => {
            let cs = CheckSeriesSpec {
                kernel: kernel.clone(),
                run: a.run_each_patch,
                runs: a.runs.clone(),
                checks: a.checks,
                out_dir: Some(dir.join("check-series")),
            };
            let code = check_series::cmd(home, &cs)?;
            let mut rows: Vec<PatchRow> = serde_json::from_str(&std::fs::read_to_string(
                dir.join("check-series/check-series.json"),
            )?)?;
            // checkpatch's findings are the evidence of a checkpatch failure.
            for r in rows.iter_mut().filter(|r| !r.checkpatch_ok) {
                let f = dir.join(format!("check-series/{:04}.checkpatch.txt", r.index));
                let found = checkpatch_evidence(&std::fs::read_to_string(&f).unwrap_or_default());
                r.note = [found, r.note.clone()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            review.check_series = Some(rows);
            review.check_series_code = Some(code);
            if crate::exec::interrupted() {
                bail!("interrupted; review folder {}", dir.display());
            }
            let args = ReproduceSpec {
                kernel,
                runs: a.runs.clone(),
            };
            // The report's record reruns this run (`daxkit rerun`) as the
            // `reproduce` of the series folder b4 wrote.
            let (report, run_dir) = reproduce::run(home, &args, argv(&args))?;
            ui::note(format!("reproduce run folder {}", run_dir.display()));
            review.report = Some(report);
        }
    }
    review.exit_code = review.verdict();
    let files = write_folder(&dir, &review)?;
    for f in files {
        ui::note(format!("wrote {}", f.display()));
    }
    println!("{}", reply::summary_line(&review));
    println!("folder: {}", dir.display());
    Ok(review.exit_code)
}

/// checkpatch's errors and warnings with where they are (at most 8).
pub fn checkpatch_evidence(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("ERROR:") || l.starts_with("WARNING:") {
            let at = lines
                .get(i + 1)
                .filter(|n| n.starts_with('#'))
                .map_or(String::new(), |n| format!(" ({})", n.trim()));
            out.push(format!("{l}{at}"));
        }
    }
    out.truncate(8);
    out.join("\n")
}

fn resolve_in(gitdir: &Path, rev: &str) -> Result<String> {
    let r = git2::Repository::open(gitdir)?;
    let c = r
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .with_context(|| format!("base {rev:?} is not a commit in {}", gitdir.display()))?;
    Ok(c.id().to_string())
}

/// `prerequisite-patch-id:` names patches the series needs under it. b4
/// looks them up on lore only when it applies a series itself (`shazam`);
/// daxkit applies on the base alone, so it checks that the base's recent
/// history has each one, and refuses otherwise (128) unless told to go on.
fn check_prerequisites(gitdir: &Path, base: &str, ids: &[String], ignore: bool) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let repo = git2::Repository::open(gitdir)?;
    let oids: Vec<git2::Oid> = ids
        .iter()
        .map(|i| git2::Oid::from_str(i))
        .collect::<Result<_, _>>()?;
    let found = apply::find_in_history(&repo, git2::Oid::from_str(base)?, &oids)?;
    let missing: Vec<&String> = ids
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(i, _)| i)
        .collect();
    if missing.is_empty() {
        ui::note(format!(
            "all {} prerequisite patches are in the base",
            ids.len()
        ));
        return Ok(());
    }
    let list = missing
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if ignore {
        ui::warn(format!(
            "reviewing without {} prerequisite patches not in base {} (prerequisite-patch-id {list})",
            missing.len(),
            tree::short(base)
        ));
        return Ok(());
    }
    Err(HostError(format!(
        "the series needs {} prerequisite patches (prerequisite-patch-id {list}) that are not \
         among the recent commits of base {}: apply them in a tree and pass --tree/--base, or \
         --ignore-prerequisites",
        missing.len(),
        tree::short(base)
    ))
    .into())
}

/// The series folder daxkit runs: b4's patches, and the fragments,
/// expectations and variants of `like`.
pub fn write_series(
    dir: &Path,
    am: &b4::Am,
    like: Option<&series::Series>,
    thread: &Thread,
    base: &str,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut patches = Vec::new();
    for p in &am.patches {
        let name = p.file_name().context("patch file name")?;
        std::fs::copy(p, dir.join(name))?;
        patches.push(name.to_string_lossy().into_owned());
    }
    let mut config = Vec::new();
    if let Some(l) = like {
        for c in &l.config {
            let name = c.file_name().context("fragment file name")?;
            std::fs::copy(c, dir.join(name))?;
            config.push(name.to_string_lossy().into_owned());
        }
    }
    let name = like.map_or_else(|| "thread".to_owned(), |l| l.name.clone());
    let yaml = serde_json::json!({
        "name": name,
        "version": thread.revision,
        "base": { "rev": base, "kernel": like.and_then(|l| l.base.kernel.clone()) },
        "patches": patches,
        "config": config,
        "expect": like.map(|l| serde_json::to_value(&l.expect)).transpose()?,
        "variants": like.map(|l| l.variants.iter().map(|v| serde_json::json!({"name": v.name, "append": v.append})).collect::<Vec<_>>()),
    });
    let mut obj = yaml;
    if let Some(m) = obj.as_object_mut() {
        m.retain(|_, v| !v.is_null());
        if let Some(b) = m.get_mut("base").and_then(|b| b.as_object_mut()) {
            b.retain(|_, v| !v.is_null());
        }
    }
    let text = format!(
        "# Written by `daxkit review {}`: v{} from b4, settings of {}.\n{}",
        thread.source,
        thread.revision,
        like.map_or("no series".to_owned(), |l| l.name.clone()),
        serde_yaml::to_string(&obj)?
    );
    std::fs::write(dir.join("series.yaml"), text)?;
    Ok(dir.to_owned())
}

/// The command that reruns this review from the list.
fn reproducer(a: &ReviewSpec, t: &Thread, base: &str) -> String {
    let src = if t.top.message_id.is_empty() {
        a.source.clone().unwrap_or_default()
    } else {
        t.top.message_id.clone()
    };
    let mut s = format!("daxkit review {src} --base {base}");
    if let Some(t) = &a.tree {
        s += &format!(" --tree {}", t.display());
    }
    if a.kernel != fetch::DEFAULT_KERNEL {
        s += &format!(" --kernel {}", a.kernel);
    }
    if a.like != reproduce::DEFAULT_SERIES {
        s += &format!(" --like {}", a.like);
    }
    if a.no_rust {
        s += " --no-rust";
    }
    if a.profile == kconfig::Profile::Debug {
        s += " --profile debug";
    }
    if a.run_each_patch {
        s += " --run-each-patch";
    }
    for c in &a.runs.cases {
        s += &format!(" --case {c}");
    }
    for f in &a.runs.filesystems {
        s += &format!(" --fs {f}");
    }
    if a.runs.repeat > 1 {
        s += &format!(" --repeat {}", a.runs.repeat);
    }
    s
}

/// Writes the reply, the tables, the check JSON and review.json.
pub fn write_folder(dir: &Path, r: &Review) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut put = |name: &str, text: String| -> Result<()> {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
        files.push(p);
        Ok(())
    };
    if let Some(rows) = &r.check_series {
        put("check-series.txt", check_series::table(rows))?;
    }
    put("reply.eml", reply::render(r, &crate::home::utc_stamp()))?;
    for (i, c) in checks::review_checks(r).iter().enumerate() {
        put(
            &format!("checks/{:04}.json", i + 1),
            serde_json::to_string_pretty(c)? + "\n",
        )?;
    }
    put(
        "kcidb.json",
        serde_json::to_string_pretty(&checks::kcidb(r))? + "\n",
    )?;
    put("review.json", serde_json::to_string_pretty(r)? + "\n")?;
    if let Some(report) = &r.report {
        files.extend(crate::report::write_all(report, dir)?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests;
