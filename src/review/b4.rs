//! b4, the kernel community's tool for mail threads, run by `review`.
//!
//! daxkit never parses a thread itself: b4 picks the newest revision,
//! collects the trailers (`Reviewed-by:` sent as replies), writes the
//! am-ready mbox, the cover letter and the patches as quilt files, and
//! decides the base (`base-commit:` if the tree has it, or its guess with
//! `--guess-base`). b4 comes from PyPI, pinned to [`B4_SERIES`], installed
//! on demand into a venv of daxkit's own (`HOME/tools/venv`, or
//! `$DAXKIT_VENV`): Debian 12's b4 0.12 crashes on a folded cover-letter
//! Subject. The same venv's Python reads mail headers with its `email`
//! package ([`messages`]).

use crate::exec::{self, Cmd, HostError, Provider};
use crate::home::Home;
use anyhow::{anyhow, bail, Context, Result};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The b4 release daxkit is written and tested against.
pub const B4_SERIES: &str = "0.16";
const B4_SPEC: &str = "b4==0.16.*";

/// daxkit's own Python venv.
#[derive(Debug, Clone)]
pub struct Venv {
    pub dir: PathBuf,
}

impl Venv {
    pub fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }

    pub fn python(&self) -> PathBuf {
        self.bin("python3")
    }

    /// Whether the venv's Python can import `module`.
    #[cfg(test)]
    fn imports(&self, module: &str) -> bool {
        Cmd::new(self.python())
            .args(["-c", &format!("import {module}")])
            .read()
            .is_ok()
    }
}

/// Where the venv lives: `$DAXKIT_VENV`, else `HOME/tools/venv`.
pub fn venv_dir(home: &Home) -> PathBuf {
    match std::env::var_os("DAXKIT_VENV").filter(|v| !v.is_empty()) {
        Some(v) => PathBuf::from(v),
        None => home.root.join("tools").join("venv"),
    }
}

/// Installing into daxkit's own venv needs no root; only
/// `DAXKIT_NO_INSTALL` forbids it.
fn may_pip() -> bool {
    std::env::var_os("DAXKIT_NO_INSTALL").is_none()
}

/// The venv, created if missing (python3-venv from apt if the host lacks
/// it, when allowed). One creator at a time (a lock file beside it).
pub fn require_venv(home: &Home) -> Result<Venv> {
    let dir = venv_dir(home);
    let venv = Venv { dir: dir.clone() };
    if venv.python().is_file() {
        return Ok(venv);
    }
    if !may_pip() {
        return Err(HostError(format!(
            "daxkit's Python venv {} is missing and DAXKIT_NO_INSTALL is set: create it with \
             `python3 -m venv {0}` and `{0}/bin/pip install '{B4_SPEC}'`",
            dir.display()
        ))
        .into());
    }
    let python = exec::require_tool("python3")?;
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let _lock = lock(&dir)?;
    if venv.python().is_file() {
        return Ok(venv);
    }
    let make = || Cmd::new(&python).args(["-m", "venv"]).arg(&dir).read();
    if let Err(first) = make() {
        // Debian's python3 without ensurepip: python3-venv.
        let _ = std::fs::remove_dir_all(&dir);
        if !exec::may_install() {
            return Err(HostError(format!(
                "cannot create a Python venv at {}: install {} ({first:#})",
                dir.display(),
                Provider::Apt("python3-venv")
            ))
            .into());
        }
        exec::install(Provider::Apt("python3-venv"))?;
        make().map_err(|e| {
            HostError(format!(
                "cannot create a Python venv at {}: {e:#}",
                dir.display()
            ))
        })?;
    }
    Ok(venv)
}

fn lock(dir: &Path) -> Result<std::fs::File> {
    use fs2::FileExt;
    let path = dir.with_extension("lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.lock_exclusive()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(f)
}

/// `pip install SPEC` into the venv, under its lock; a failure is the
/// host's (no network to PyPI, no space): [`HostError`].
fn pip_install(venv: &Venv, spec: &str, have: impl Fn(&Venv) -> bool) -> Result<()> {
    let _lock = lock(&venv.dir)?;
    if have(venv) {
        return Ok(());
    }
    if !may_pip() {
        return Err(HostError(format!(
            "`{spec}` is missing from daxkit's venv {} and DAXKIT_NO_INSTALL is set: run `{}/bin/pip install '{spec}'`",
            venv.dir.display(),
            venv.dir.display()
        ))
        .into());
    }
    eprintln!(
        "==> installing {spec} from PyPI into {}",
        venv.dir.display()
    );
    Cmd::new(venv.bin("pip"))
        .args(["install", "-q", "--disable-pip-version-check", spec])
        .read()
        .map_err(|e| {
            if exec::is_interrupted(&e) {
                e
            } else {
                HostError(format!(
                    "installing {spec} from PyPI into {} failed: {e:#}",
                    venv.dir.display()
                ))
                .into()
            }
        })?;
    if !have(venv) {
        bail!(HostError(format!(
            "{spec} installed into {} but not usable",
            venv.dir.display()
        )));
    }
    Ok(())
}

/// b4 [`B4_SERIES`] in daxkit's venv, installed when missing or another
/// version.
pub fn require_b4(home: &Home) -> Result<Venv> {
    let venv = require_venv(home)?;
    pip_install(&venv, B4_SPEC, |v| {
        b4_version(v).is_some_and(|s| is_series(&s))
    })?;
    Ok(venv)
}

/// A Python package in daxkit's venv (e.g. `kcidb-io`, module `kcidb_io`,
/// whose schema the tests validate daxkit's KCIDB data against).
#[cfg(test)]
pub fn require_python_package(home: &Home, spec: &str, module: &str) -> Result<Venv> {
    let venv = require_venv(home)?;
    pip_install(&venv, spec, |v| v.imports(module))?;
    Ok(venv)
}

fn b4_version(v: &Venv) -> Option<String> {
    Cmd::new(v.bin("b4"))
        .arg("--version")
        .read()
        .ok()
        .map(|s| s.trim().to_owned())
}

fn is_series(version: &str) -> bool {
    version == B4_SERIES || version.starts_with(&format!("{B4_SERIES}."))
}

/// What a thread source is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An mbox file or a maildir folder.
    Local(PathBuf),
    /// A message-id (`<x@y>` or `x@y`) or a lore URL, fetched by b4.
    Remote(String),
}

impl Source {
    pub fn parse(s: &str) -> Result<Source> {
        let p = Path::new(s);
        if p.exists() {
            return Ok(Source::Local(p.to_owned()));
        }
        if s.starts_with("https://") || s.starts_with("http://") {
            return Ok(Source::Remote(s.to_owned()));
        }
        let id = s.trim().trim_start_matches('<').trim_end_matches('>');
        if id.contains('@') && !id.contains(char::is_whitespace) && !id.contains('/') {
            return Ok(Source::Remote(id.to_owned()));
        }
        bail!(
            "review source {s:?} is not a file or folder (an mbox or maildir), a message-id \
             (x@y) or a lore URL"
        )
    }
}

/// A scratch git "work tree" whose `.git` is the tree's repository, so
/// b4 (which asks `git rev-parse --show-toplevel`) checks the base there
/// even when the repository is bare. Nothing is written to the repository.
pub struct GitView {
    pub dir: PathBuf,
    pub gitdir: PathBuf,
}

impl GitView {
    pub fn new(scratch: &Path, gitdir: &Path) -> Result<GitView> {
        let dir = scratch.join("git-view");
        std::fs::create_dir_all(&dir)?;
        let link = dir.join(".git");
        let _ = std::fs::remove_file(&link);
        let gitdir = gitdir
            .canonicalize()
            .with_context(|| format!("resolving {}", gitdir.display()))?;
        std::os::unix::fs::symlink(&gitdir, &link)
            .with_context(|| format!("linking {}", link.display()))?;
        Ok(GitView { dir, gitdir })
    }
}

/// Runs b4 with daxkit's environment: its state (thanks tracking) kept in
/// `state`, never the user's, and the git view as work tree.
fn b4_cmd(venv: &Venv, view: Option<&GitView>, state: &Path) -> Cmd {
    let mut c = Cmd::new(venv.bin("b4"))
        .env("XDG_DATA_HOME", state.join("data"))
        .env("XDG_CACHE_HOME", state.join("cache"));
    if let Some(v) = view {
        c = c
            .env("GIT_DIR", &v.gitdir)
            .env("GIT_WORK_TREE", &v.dir)
            .cwd(&v.dir);
    } else {
        c = c.cwd(state);
    }
    c
}

/// `b4 mbox MSGID`: the whole thread into `dir/thread.mbx`. Without the
/// network (or with `offline`) a [`HostError`] that says what to do.
pub fn fetch_thread(venv: &Venv, id: &str, dir: &Path, offline: bool) -> Result<PathBuf> {
    if offline {
        return Err(HostError(format!(
            "--offline: thread {id} cannot be fetched; save it as an mbox (or maildir) and pass its path"
        ))
        .into());
    }
    std::fs::create_dir_all(dir)?;
    let (ok, out) = b4_cmd(venv, None, dir)
        .args(["mbox", "-o"])
        .arg(dir)
        .args(["-n", "thread", id])
        .read_status()?;
    std::fs::write(dir.join("b4-mbox.log"), &out)?;
    let file = dir.join("thread.mbx");
    if !ok || !file.is_file() {
        return Err(HostError(format!(
            "b4 could not fetch thread {id} (no network to lore?): {}; save the thread as an \
             mbox (or maildir) and pass its path instead",
            out.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output")
                .trim()
        ))
        .into());
    }
    Ok(file)
}

/// What b4 made of a thread.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Am {
    /// The am-ready mbox (trailers collected).
    pub mbx: PathBuf,
    /// The cover letter, when the series has one.
    pub cover: Option<PathBuf>,
    /// One file per patch (`git format-patch`-like), in order.
    pub patches: Vec<PathBuf>,
    pub base: BaseFinding,
    /// b4's output.
    pub log: PathBuf,
}

/// b4's word on the base, read from its output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseFinding {
    /// The base b4 settled on (the thread's `base-commit:` found in the
    /// tree, or its guess): what it tells to `git checkout`.
    pub chosen: Option<String>,
    /// A `base-commit:` the tree does not have.
    pub unknown: Option<String>,
    /// b4 guessed (`--guess-base`): how well (`exact match`, `best guess, 3/4 blobs matched`).
    pub guessed: Option<String>,
    /// b4 tried to guess and could not: why.
    pub guess_failed: Option<String>,
    /// b4 found the series applies to the tree's HEAD as it is.
    #[serde(default)]
    pub applies_to_head: bool,
}

static UNKNOWN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Base: base-commit (\S+) not known, ignoring").unwrap());
static GUESSED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Base: (\S+) \((exact match|best guess[^)]*)\)").unwrap());
static GUESS_FAILED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Base: failed to guess base\s*(.*)").unwrap());
static USING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Base: using specified base-commit (\S+)").unwrap());
static CHECKOUT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s+git checkout -b \S+ (\S+)\s*$").unwrap());

impl BaseFinding {
    pub fn from_log(log: &str) -> BaseFinding {
        let cap = |re: &Regex, i: usize| {
            re.captures(log)
                .and_then(|c| c.get(i).map(|m| m.as_str().trim().to_owned()))
        };
        let guessed = GUESSED
            .captures(log)
            .map(|c| (c[1].to_owned(), c[2].to_owned()));
        BaseFinding {
            chosen: guessed
                .as_ref()
                .map(|g| g.0.clone())
                // b4's stand-in when the thread names none.
                .or_else(|| cap(&USING, 1).filter(|c| c != "HEAD"))
                .or_else(|| cap(&CHECKOUT, 1)),
            unknown: cap(&UNKNOWN, 1),
            guessed: guessed.map(|g| g.1),
            guess_failed: cap(&GUESS_FAILED, 1)
                .map(|s| s.trim_matches(['(', ')']).to_owned())
                .filter(|_| !log.contains("(exact match)")),
            applies_to_head: log.contains("Base: applies clean to current tree"),
        }
    }
}

/// `b4 am` on a local thread (newest revision, trailers collected), with
/// `view` as the tree whose base b4 checks (and guesses in, with
/// `guess_base`). Output in `out`.
pub fn am(
    venv: &Venv,
    thread: &Path,
    view: Option<&GitView>,
    guess_base: bool,
    out: &Path,
) -> Result<Am> {
    std::fs::create_dir_all(out)?;
    let out = out.canonicalize()?;
    let thread = thread
        .canonicalize()
        .with_context(|| format!("reading thread {}", thread.display()))?;
    let state = out.join(".b4-state");
    std::fs::create_dir_all(&state)?;
    let mut c = b4_cmd(venv, view, &state)
        // -d: b4 says which base-commit it took only in its debug output
        // when the series also applies to the tree's HEAD.
        .args(["-d", "--offline-mode", "am", "-m"])
        .arg(&thread)
        .arg("-o")
        .arg(&out)
        .args(["-n", "series", "-Q"]);
    if guess_base {
        c = c.arg("-g");
    }
    let log = out.join("b4.log");
    let (ok, text) = c.read_status()?;
    std::fs::write(&log, format!("$ {}\n{text}", c.display()))?;
    let mbx = out.join("series.mbx");
    if !ok || !mbx.is_file() {
        bail!(
            "b4 found no series in thread {} (b4 am failed; its output is in {}): {}",
            thread.display(),
            log.display(),
            exec::tail_of(text.trim(), 5)
        );
    }
    let quilt = out.join("series.patches");
    let order = std::fs::read_to_string(quilt.join("series"))
        .with_context(|| format!("b4 wrote no quilt series in {}", quilt.display()))?;
    let patches: Vec<PathBuf> = order
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| quilt.join(l.trim()))
        .collect();
    if patches.is_empty() {
        bail!("b4 found no patches in thread {}", thread.display());
    }
    if text.contains("WARNING: Thread incomplete!") {
        bail!(
            "thread {} is incomplete: b4 is missing some of its patches (see {})",
            thread.display(),
            log.display()
        );
    }
    let cover = Some(out.join("series.cover")).filter(|p| p.is_file());
    Ok(Am {
        mbx,
        cover,
        patches,
        base: BaseFinding::from_log(&text),
        log,
    })
}

/// One mail's headers and plain-text body, as Python's `email` package
/// reads them (decoded, unfolded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub message_id: String,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: String,
    pub in_reply_to: String,
    pub references: String,
    pub body: String,
}

const READ_MAIL: &str = r#"
import email, email.policy, json, mailbox, os, sys
path = sys.argv[1]
def parse(b):
    return email.message_from_bytes(b, policy=email.policy.default)
if os.path.isdir(path):
    box = mailbox.Maildir(path, factory=None, create=False)
    msgs = [parse(box.get_bytes(k)) for k in box.keys()]
else:
    data = open(path, 'rb').read()
    if data.startswith(b'From '):
        box = mailbox.mbox(path, create=False)
        msgs = [parse(box.get_bytes(k)) for k in box.keys()]
    else:
        msgs = [parse(data)]
out = []
for m in msgs:
    part = m.get_body(preferencelist=('plain',))
    try:
        body = part.get_content() if part is not None else ''
    except Exception:
        body = ''
    h = lambda k: ' '.join(str(m.get(k, '')).split())
    out.append({'message_id': h('Message-ID').strip('<>'), 'subject': h('Subject'),
                'from': h('From'), 'to': h('To'), 'cc': h('Cc'), 'date': h('Date'),
                'in_reply_to': h('In-Reply-To').strip('<>'), 'references': h('References'),
                'body': body})
json.dump(out, sys.stdout)
"#;

/// The mails in an mbox, a maildir or a single-message file.
pub fn messages(venv: &Venv, path: &Path) -> Result<Vec<Message>> {
    let out = Cmd::new(venv.python())
        .args(["-c", READ_MAIL])
        .arg(path)
        .read()
        .with_context(|| format!("reading mail {}", path.display()))?;
    serde_json::from_str(&out).map_err(|e| anyhow!("reading mail {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(
            Source::parse("<20240101.1-1-a@b.org>").unwrap(),
            Source::Remote("20240101.1-1-a@b.org".into())
        );
        assert_eq!(
            Source::parse("https://lore.kernel.org/all/x@y/").unwrap(),
            Source::Remote("https://lore.kernel.org/all/x@y/".into())
        );
        assert_eq!(
            Source::parse("/").unwrap(),
            Source::Local(PathBuf::from("/"))
        );
        let e = Source::parse("no-such-file.mbox").unwrap_err().to_string();
        assert!(e.contains("no-such-file.mbox"), "{e}");
    }

    #[test]
    fn base_findings_from_b4_output() {
        let known = " Link: https://patch.msgid.link/x@y\n       git checkout -b v2_x e03b62937e96f42a3fc735bc0e73d9c670e7af1f\n       git am o/series.mbx\n";
        let f = BaseFinding::from_log(known);
        assert_eq!(
            f.chosen.as_deref(),
            Some("e03b62937e96f42a3fc735bc0e73d9c670e7af1f")
        );
        assert_eq!((f.unknown, f.guessed, f.guess_failed), (None, None, None));
        let unknown = " Base: base-commit aecdda80 not known, ignoring\n Base: attempting to guess base-commit...\n Base: failed to guess base (No commits found before 2026-11-29)\n";
        let f = BaseFinding::from_log(unknown);
        assert_eq!(f.chosen, None);
        assert_eq!(f.unknown.as_deref(), Some("aecdda80"));
        assert_eq!(
            f.guess_failed.as_deref(),
            Some("No commits found before 2026-11-29")
        );
        let guessed = " Base: attempting to guess base-commit...\n Base: tags/base (exact match)\n       git checkout -b v1_x tags/base\n";
        let f = BaseFinding::from_log(guessed);
        assert_eq!(f.chosen.as_deref(), Some("tags/base"));
        assert_eq!(f.guessed.as_deref(), Some("exact match"));
        // Known and applying to HEAD too: b4 names it only in its debug output.
        let clean = "DEBUG: Base: using specified base-commit 0123abc\n Base: applies clean to current tree\n";
        assert_eq!(
            BaseFinding::from_log(clean).chosen.as_deref(),
            Some("0123abc")
        );
    }
}
