//! `daxkit doctor [--fix]`: every host prerequisite on one screen.
//!
//! [`probe`] looks at the host once and returns a plain list of [`Check`]s;
//! [`render`] and [`verdict`] are pure functions of that list, so what the
//! screen says and the exit code cannot disagree (and are tested without a
//! host). The tool list is `exec::TOOLS`, the one the stages require from;
//! `--fix` installs through the same functions daxkit uses on demand.
//!
//! Exit 0 when `daxkit reproduce` can run: everything it needs is there, or
//! is missing but daxkit installs it on first use (root with apt-get, no
//! `DAXKIT_NO_INSTALL`). Otherwise 128, the host-error code.

use crate::exec::{self, Cmd, Need, Provider};
use crate::home::Home;
use crate::toolchain::{self, Fit, Piece};
use crate::vm::accel;
use anyhow::Result;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `daxkit doctor`'s inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorSpec {
    /// Install what is missing (what the main job needs, and ccache).
    pub fix: bool,
    /// Kernel series whose imported tree `make rustavailable` is asked.
    pub kernel: String,
    pub format: Format,
}

/// Output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// How one prerequisite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Present and usable.
    Ok,
    /// Nothing to do (a fact, or an optional thing for other jobs).
    Info,
    /// Works, but worse (optional, slower, little room).
    Warn,
    /// Missing; daxkit installs it on first use (or `--fix` now).
    OnDemand,
    /// Missing, and `daxkit reproduce` cannot run without it.
    Missing,
}

impl Status {
    pub fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Info => "·",
            Status::Warn => "!",
            Status::OnDemand => "+",
            Status::Missing => "✗",
        }
    }
}

/// Where a check is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Host,
    Tools,
    Rust,
    KernelTree,
    Qemu,
    Cache,
    Optional,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Host,
        Section::Tools,
        Section::Rust,
        Section::KernelTree,
        Section::Qemu,
        Section::Cache,
        Section::Optional,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Host => "host",
            Section::Tools => "tools (import, build, image)",
            Section::Rust => "rust (CONFIG_RUST, guest harness)",
            Section::KernelTree => "kernel tree",
            Section::Qemu => "qemu",
            Section::Cache => "cache",
            Section::Optional => "optional tools",
        }
    }

    fn of(need: Need) -> Section {
        match need {
            Need::Fetch | Need::Build | Need::Image => Section::Tools,
            Need::Boot => Section::Qemu,
            Need::Rust => Section::Rust,
            Need::Speed => Section::Cache,
            Need::DebugShell | Need::Checks | Need::Review | Need::Tests => Section::Optional,
        }
    }
}

/// What `--fix` does for a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    Install(Provider),
    /// `rustup <kind> add <name>`.
    Rustup(&'static str, &'static str),
    /// A piece `make rustavailable` named.
    Rust(Piece),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub section: Section,
    pub what: String,
    pub status: Status,
    pub detail: String,
    #[serde(skip)]
    pub fix: Option<Fix>,
}

impl Check {
    fn new(
        section: Section,
        what: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            section,
            what: what.into(),
            status,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fix(mut self, f: Fix) -> Check {
        self.fix = Some(f);
        self
    }
}

/// What a missing requirement of the main job means on this host.
pub fn missing_status(may_install: bool, installable: bool) -> Status {
    if may_install && installable {
        Status::OnDemand
    } else {
        Status::Missing
    }
}

/// The answer: can `daxkit reproduce` run, and what stands in its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub ready: bool,
    /// Blocking: missing and not installed by daxkit here.
    pub missing: Vec<String>,
    /// Missing, installed on first use.
    pub on_demand: Vec<String>,
}

pub fn verdict(checks: &[Check]) -> Verdict {
    let names = |s: Status| -> Vec<String> {
        checks
            .iter()
            .filter(|c| c.status == s)
            .map(|c| c.what.clone())
            .collect()
    };
    let missing = names(Status::Missing);
    Verdict {
        ready: missing.is_empty(),
        missing,
        on_demand: names(Status::OnDemand),
    }
}

impl Verdict {
    pub fn exit_code(&self) -> i32 {
        if self.ready {
            crate::exit::GOOD
        } else {
            crate::exit::ERROR
        }
    }

    /// The last line of the screen.
    pub fn line(&self) -> String {
        if !self.ready {
            return format!(
                "not ready: `daxkit reproduce` needs {} (see ✗ above)",
                self.missing.join(", ")
            );
        }
        if self.on_demand.is_empty() {
            "ready: `daxkit reproduce` can run".to_owned()
        } else {
            format!(
                "ready: `daxkit reproduce` can run; it installs {} on first use (`daxkit doctor --fix` does it now)",
                self.on_demand.join(", ")
            )
        }
    }
}

/// The screen: sections in a fixed order, one line per check.
pub fn render(home: &Path, checks: &[Check]) -> String {
    let width = checks
        .iter()
        .map(|c| c.what.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("daxkit doctor: home {}\n", home.display());
    for s in Section::ALL {
        let rows: Vec<&Check> = checks.iter().filter(|c| c.section == s).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", s.title());
        for c in rows {
            let _ = writeln!(
                out,
                "  {} {:width$}  {}",
                c.status.mark(),
                c.what,
                c.detail.replace('\n', "; ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n✓ ok  · fyi  ! works, worse  + installed on first use  ✗ missing\n{}",
        verdict(checks).line()
    );
    out
}

pub fn render_json(home: &Path, checks: &[Check]) -> String {
    serde_json::json!({
        "home": home,
        "checks": checks,
        "verdict": verdict(checks),
    })
    .to_string()
}

/// What a checked-out tree said about Rust on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub tree: toolchain::TreeRust,
    pub host: toolchain::HostRust,
    /// `make rustavailable`'s words when it failed.
    pub unavailable: Option<String>,
}

/// The `make rustavailable` line: `None` when there is no checked-out
/// tree to ask, `Err` when asking failed.
pub fn tree_rust_check(
    kernel: &str,
    asked: Option<Result<Asked, String>>,
    may_install: bool,
) -> Check {
    let what = "make rustavailable";
    let asked = match asked {
        None => {
            return Check::new(
                Section::KernelTree,
                what,
                Status::Info,
                format!("not asked: no {kernel} tree checked out in the home (`daxkit config --kernel {kernel}` checks it out, then run doctor again)"),
            )
        }
        Some(Err(e)) => {
            return Check::new(Section::KernelTree, what, Status::Warn, format!("could not ask: {e}"))
        }
        Some(Ok(a)) => a,
    };
    if let Fit::Unfit(why) = toolchain::fit(&asked.tree, &asked.host) {
        return Check::new(Section::KernelTree, what, Status::Missing, why);
    }
    let Some(out) = asked.unavailable else {
        let (maj, min) = asked.tree.kernel;
        let show = |v: Option<toolchain::Version>| v.map_or("?".to_owned(), |v| v.to_string());
        return Check::new(
            Section::KernelTree,
            what,
            Status::Ok,
            format!(
                "Rust is available for Linux {maj}.{min} (rustc {}, minimum {}; bindgen {}, minimum {})",
                show(asked.host.rustc),
                show(asked.tree.rustc),
                show(asked.host.bindgen),
                show(asked.tree.bindgen)
            ),
        );
    };
    let pieces = toolchain::missing_pieces(&out);
    if pieces.is_empty() {
        let why = exec::tail_of(out.trim_end(), 3);
        return Check::new(
            Section::KernelTree,
            what,
            Status::Missing,
            format!("fails for a reason daxkit does not know: {why}"),
        );
    }
    let installable = pieces.iter().all(|p| p.installable());
    let detail: Vec<&str> = pieces.iter().map(|p| p.describe()).collect();
    let c = Check::new(
        Section::KernelTree,
        what,
        missing_status(may_install, installable),
        detail.join("; "),
    );
    // The script stops at its first problem: fix that one, ask again.
    match pieces.first() {
        Some(p) if p.installable() => c.fix(Fix::Rust(*p)),
        _ => c,
    }
}

/// `ccache --print-stats` → (hits, misses).
pub fn ccache_hits(print_stats: &str) -> Option<(u64, u64)> {
    let mut hits = None;
    let mut misses = None;
    for l in print_stats.lines() {
        let mut it = l.split_whitespace();
        let (Some(k), Some(v)) = (it.next(), it.next().and_then(|v| v.parse::<u64>().ok())) else {
            continue;
        };
        match k {
            "direct_cache_hit" | "preprocessed_cache_hit" => *hits.get_or_insert(0) += v,
            "cache_miss" => misses = Some(v),
            _ => {}
        }
    }
    Some((hits?, misses?))
}

pub fn ccache_detail(hits: u64, misses: u64) -> String {
    let total = hits + misses;
    if total == 0 {
        return "no compilations cached yet".to_owned();
    }
    format!(
        "{:.0} % hits ({hits} of {total} compilations)",
        hits as f64 * 100.0 / total as f64
    )
}

/// Free space in the home: a cold reproduce keeps the imported tree
/// (~0.6 GiB), its worktree (~0.6 GiB), a build dir and kernels.
pub fn space_check(free: u64) -> Check {
    const GIB: u64 = 1 << 30;
    let status = if free < GIB {
        Status::Missing
    } else if free < 4 * GIB {
        Status::Warn
    } else {
        Status::Ok
    };
    Check::new(
        Section::Cache,
        "free space",
        status,
        format!(
            "{} free{}",
            crate::gc::human_size(free),
            if status == Status::Ok {
                ""
            } else {
                "; a cold reproduce needs about 4 GiB (`daxkit gc` frees cache space)"
            }
        ),
    )
}

/// Looks at the host. Runs `make rustavailable` in a scratch dir and the
/// KVM probe boot only when a built kernel is in the home and no verdict
/// is cached; installs nothing.
pub fn probe(home: &Home, kernel: &str) -> Vec<Check> {
    // Fresh, not `Host::get`: `--fix` probes again after installing.
    let host = crate::host::Host::probe();
    let may = host.may_install;
    let mut checks = vec![Check::new(
        Section::Host,
        "installs",
        Status::Info,
        install_policy(may),
    )];
    for t in exec::TOOLS {
        let section = Section::of(t.need);
        let what = t.name.to_owned();
        let c = match host.tools.get(t.name).cloned().flatten() {
            Some(p) => Check::new(
                section,
                what,
                Status::Ok,
                format!("{}  ({})", p.display(), t.provider.package()),
            ),
            None => {
                let status = if t.need.for_reproduce() {
                    missing_status(may, true)
                } else if t.need == Need::Speed {
                    // Builds install ccache when they may, else use plain gcc.
                    if may {
                        Status::OnDemand
                    } else {
                        Status::Warn
                    }
                } else {
                    Status::Info
                };
                Check::new(
                    section,
                    what,
                    status,
                    format!("for {}: {}", t.need.describe(), t.provider),
                )
                .fix(Fix::Install(t.provider))
            }
        };
        checks.push(c);
    }
    for f in exec::HOST_FILES {
        let section = Section::of(f.need);
        checks.push(if Path::new(f.path).exists() {
            Check::new(
                section,
                f.what,
                Status::Ok,
                format!("{}  ({})", f.path, f.provider.package()),
            )
        } else {
            let status = if f.need.for_reproduce() {
                missing_status(may, true)
            } else if may {
                Status::OnDemand
            } else {
                Status::Warn
            };
            Check::new(
                section,
                f.what,
                status,
                format!(
                    "for {}: {} missing: {}",
                    f.need.describe(),
                    f.path,
                    f.provider
                ),
            )
            .fix(Fix::Install(f.provider))
        });
    }
    checks.extend(rust_checks(may));
    checks.extend(tree_checks(home, kernel, may));
    checks.extend(qemu_checks(home, &host));
    checks.extend(cache_checks(home, &host));
    checks
}

fn install_policy(may: bool) -> String {
    if may {
        return "root with apt-get: daxkit installs what it lacks on first use".to_owned();
    }
    let why = if std::env::var_os("DAXKIT_NO_INSTALL").is_some() {
        "DAXKIT_NO_INSTALL is set"
    } else if exec::find_tool("apt-get").is_none() {
        "no apt-get"
    } else {
        "not root"
    };
    format!("off ({why}): what is missing must be installed by hand")
}

fn rust_checks(may: bool) -> Vec<Check> {
    let mut out = Vec::new();
    let host = toolchain::host_rust();
    out.push(match host.rustc {
        Some(v) => Check::new(Section::Rust, "rustc", Status::Ok, v.to_string()),
        None => Check::new(
            Section::Rust,
            "rustc",
            Status::Missing,
            "not found: install Rust with rustup (https://rustup.rs)",
        ),
    });
    for tool in ["cargo", "rustup"] {
        out.push(match exec::find_tool(tool) {
            Some(p) => Check::new(Section::Rust, tool, Status::Ok, p.display().to_string()),
            None => Check::new(
                Section::Rust,
                tool,
                Status::Missing,
                "not found: install Rust with rustup (https://rustup.rs)",
            ),
        });
    }
    let rustup_has = |kind: &str, name: &str| -> Option<bool> {
        let s = Cmd::new("rustup")
            .args([kind, "list", "--installed"])
            .read()
            .ok()?;
        Some(s.lines().any(|l| l.trim().starts_with(name)))
    };
    for (kind, name, label, what) in [
        (
            "target",
            crate::image::GUEST_TARGET,
            "musl target",
            "the static guest harness",
        ),
        ("component", "rust-src", "rust-src", "CONFIG_RUST"),
    ] {
        out.push(match rustup_has(kind, name) {
            Some(true) => Check::new(
                Section::Rust,
                label,
                Status::Ok,
                format!("rustup {kind} {name}"),
            ),
            Some(false) => Check::new(
                Section::Rust,
                label,
                // rustup installs it unless DAXKIT_NO_INSTALL (exec::require_rustup).
                missing_status(std::env::var_os("DAXKIT_NO_INSTALL").is_none(), true),
                format!("for {what}: rustup {kind} add {name}"),
            )
            .fix(Fix::Rustup(kind, name)),
            None => Check::new(
                Section::Rust,
                label,
                Status::Missing,
                "cannot ask: no rustup",
            ),
        });
    }
    out.push(if toolchain::libclang_found() {
        Check::new(
            Section::Rust,
            "libclang",
            Status::Ok,
            "in the loader cache (bindgen finds it)",
        )
    } else {
        Check::new(
            Section::Rust,
            "libclang",
            missing_status(may, true),
            format!("for bindgen: {}", Provider::Apt("libclang-dev")),
        )
        .fix(Fix::Install(Provider::Apt("libclang-dev")))
    });
    out
}

fn tree_checks(home: &Home, kernel: &str, may: bool) -> Vec<Check> {
    let mut out = Vec::new();
    let imported = crate::fetch::imported(home, kernel);
    let tar = crate::fetch::tarball(kernel);
    let package = crate::fetch::package(kernel);
    out.push(if tar.is_file() {
        Check::new(
            Section::KernelTree,
            package,
            Status::Ok,
            tar.display().to_string(),
        )
    } else if imported.is_some() {
        Check::new(
            Section::KernelTree,
            package,
            Status::Info,
            format!("{} not installed; the imported tree is used", tar.display()),
        )
    } else {
        Check::new(
            Section::KernelTree,
            package,
            missing_status(may, true),
            format!("{} missing: {}", tar.display(), Provider::Apt(package)),
        )
        .fix(Fix::Install(Provider::Apt(package)))
    });
    let id = format!("debian-{kernel}");
    out.push(match &imported {
        Some((version, commit)) => Check::new(
            Section::KernelTree,
            "imported tree",
            Status::Ok,
            format!(
                "debian-{version} {} in {}",
                crate::tree::short(commit),
                home.repo(&id).display()
            ),
        ),
        None => Check::new(
            Section::KernelTree,
            "imported tree",
            Status::Info,
            format!("none in this home: `daxkit kernel fetch --version {kernel}` imports it (reproduce does on first use)"),
        ),
    });
    let src = home.worktree(&id);
    let asked = if !src.join("Makefile").is_file() {
        None
    } else if exec::find_tool("make").is_none() {
        Some(Err("no make".to_owned()))
    } else {
        Some(ask_tree(&src))
    };
    out.push(tree_rust_check(kernel, asked, may));
    out
}

/// The tree's Rust minimums and `make rustavailable` for the tree at
/// `src`, with a throwaway O= dir (the cache's build dirs stay untouched).
fn ask_tree(src: &Path) -> Result<Asked, String> {
    let tree = toolchain::tree_rust(src).map_err(|e| format!("{e:#}"))?;
    let scratch = Scratch::new("rustavailable");
    let unavailable = toolchain::rustavailable(src, &scratch.0).map_err(|e| format!("{e:#}"))?;
    Ok(Asked {
        tree,
        host: toolchain::host_rust(),
        unavailable,
    })
}

/// A throwaway directory outside the home, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        Scratch(std::env::temp_dir().join(format!("daxkit-doctor-{}-{what}", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn qemu_checks(home: &Home, host: &crate::host::Host) -> Vec<Check> {
    let mut out = Vec::new();
    let qemu = PathBuf::from("qemu-system-x86_64");
    let Some(found) = host.tools.get("qemu-system-x86_64").cloned().flatten() else {
        out.push(Check::new(
            Section::Qemu,
            "KVM",
            Status::Info,
            "not probed: no QEMU (runs probe KVM once QEMU is there)",
        ));
        return out;
    };
    let version = Cmd::new(&found)
        .arg("--version")
        .read()
        .map(|s| s.lines().next().unwrap_or("").to_owned())
        .unwrap_or_else(|e| format!("--version failed: {e:#}"));
    out.push(Check::new(Section::Qemu, "version", Status::Info, version));
    out.push(match host.firmware {
        crate::vm::plan::Firmware::Qboot => Check::new(
            Section::Qemu,
            "firmware",
            Status::Ok,
            "qboot (fast direct kernel boot)",
        ),
        crate::vm::plan::Firmware::Seabios => Check::new(
            Section::Qemu,
            "firmware",
            Status::Info,
            format!(
                "SeaBIOS (no qboot.rom in {}; boots ~0.4 s slower under TCG)",
                crate::host::QBOOT_PATHS.join(", ")
            ),
        ),
    });
    let kvm = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm");
    if let Err(e) = kvm {
        out.push(Check::new(
            Section::Qemu,
            "KVM",
            Status::Info,
            format!("TCG: /dev/kvm not usable ({e}); runs are slower"),
        ));
        return out;
    }
    let cache = home.root.join("accel-probe.json");
    let choice = match accel::cached_verdict(&cache, &qemu) {
        Some(c) => Some(c),
        None => newest_kernel(home).map(|k| {
            let scratch = Scratch::new("kvm-probe");
            let _ = std::fs::create_dir_all(&scratch.0);
            accel::choose(accel::AccelArg::Auto, &qemu, &k, &scratch.0, Some(&cache))
        }),
    };
    out.push(match choice {
        Some(c) if c.accel == crate::vm::plan::Accel::Kvm => {
            Check::new(Section::Qemu, "KVM", Status::Ok, c.reason)
        }
        Some(c) => Check::new(Section::Qemu, "KVM", Status::Info, c.reason),
        None => Check::new(
            Section::Qemu,
            "KVM",
            Status::Info,
            "not probed yet: the probe boots a built kernel (none in this home); the first run probes and caches the verdict",
        ),
    });
    out
}

/// A kept kernel to probe KVM with.
fn newest_kernel(home: &Home) -> Option<PathBuf> {
    let dir = std::fs::read_dir(home.root.join("kernels")).ok()?;
    dir.filter_map(|e| e.ok())
        .map(|e| e.path().join("bzImage"))
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}

fn cache_checks(home: &Home, host: &crate::host::Host) -> Vec<Check> {
    let mut out = Vec::new();
    let entries = crate::gc::scan(&home.root);
    let total: u64 = entries.iter().map(|e| e.size).sum();
    out.push(Check::new(
        Section::Cache,
        "size",
        Status::Info,
        format!(
            "{} in {} entries (`daxkit gc` lists and prunes them)",
            crate::gc::human_size(total),
            entries.len()
        ),
    ));
    out.push(match fs2::available_space(&home.root) {
        Ok(free) => space_check(free),
        Err(e) => Check::new(
            Section::Cache,
            "free space",
            Status::Warn,
            format!("cannot tell: {e}"),
        ),
    });
    if host.ccache.is_some() {
        let stats = Cmd::new("ccache").arg("--print-stats").read();
        out.push(match stats.as_deref().ok().and_then(ccache_hits) {
            Some((h, m)) => Check::new(
                Section::Cache,
                "ccache hits",
                Status::Info,
                ccache_detail(h, m),
            ),
            None => Check::new(
                Section::Cache,
                "ccache hits",
                Status::Info,
                "unknown (`ccache --print-stats` gave no hit counts)",
            ),
        });
    }
    out
}

/// What `--fix` does, in order, once each: the fixes of checks that are
/// not fine, that this host allows (apt and cargo installs need
/// [`exec::may_install`]; rustup only needs no `DAXKIT_NO_INSTALL`, as in
/// `exec::require_rustup`). Pure.
pub fn fixes(checks: &[Check], may_install: bool, rustup_allowed: bool) -> Vec<(Fix, String)> {
    let mut out: Vec<(Fix, String)> = Vec::new();
    for c in checks {
        let Some(fix) = c.fix else { continue };
        let allowed = match fix {
            Fix::Rustup(..) | Fix::Rust(Piece::RustSrc) => rustup_allowed,
            Fix::Install(_) | Fix::Rust(_) => may_install,
        };
        let wanted = !matches!(c.status, Status::Ok | Status::Info);
        if allowed && wanted && !out.iter().any(|(f, _)| *f == fix) {
            out.push((fix, c.what.clone()));
        }
    }
    out
}

/// Runs each fix, reporting a failure and going on to the next.
fn apply_fixes(fixes: &[(Fix, String)]) {
    for (fix, what) in fixes {
        let res = match *fix {
            Fix::Install(p) => exec::install(p),
            Fix::Rustup(kind, name) => exec::require_rustup(kind, name),
            Fix::Rust(p) => p.install().map(|_| ()),
        };
        if let Err(e) = res {
            eprintln!("daxkit: could not fix {what}: {e:#}");
        }
    }
}

pub fn cmd(home: &Home, a: &DoctorSpec) -> Result<i32> {
    let mut checks = probe(home, &a.kernel);
    if a.fix {
        let todo = fixes(
            &checks,
            exec::may_install(),
            std::env::var_os("DAXKIT_NO_INSTALL").is_none(),
        );
        if !exec::may_install() {
            eprintln!(
                "daxkit: --fix installs no packages here: {}",
                install_policy(false)
            );
        }
        if !todo.is_empty() {
            apply_fixes(&todo);
            checks = probe(home, &a.kernel);
        }
    }
    match a.format {
        Format::Text => print!("{}", render(&home.root, &checks)),
        Format::Json => println!("{}", render_json(&home.root, &checks)),
    }
    Ok(verdict(&checks).exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(section: Section, what: &str, status: Status) -> Check {
        Check::new(section, what, status, "detail")
    }

    #[test]
    fn verdict_blocks_only_on_missing() {
        let ok = [
            c(Section::Tools, "gcc", Status::Ok),
            c(Section::Optional, "chromium", Status::Info),
        ];
        let v = verdict(&ok);
        assert!(v.ready);
        assert_eq!(v.exit_code(), 0);
        assert_eq!(v.line(), "ready: `daxkit reproduce` can run");

        let on_demand = [
            c(Section::Tools, "gcc", Status::Ok),
            c(Section::Tools, "flex", Status::OnDemand),
            c(Section::Cache, "ccache", Status::Warn),
        ];
        let v = verdict(&on_demand);
        assert!(v.ready, "installed on first use: reproduce runs");
        assert!(
            v.line().contains("installs flex on first use"),
            "{}",
            v.line()
        );

        let missing = [
            c(Section::Tools, "flex", Status::OnDemand),
            c(Section::Rust, "rustc", Status::Missing),
            c(Section::Tools, "bison", Status::Missing),
        ];
        let v = verdict(&missing);
        assert!(!v.ready);
        assert_eq!(v.exit_code(), crate::exit::ERROR);
        assert_eq!(v.missing, ["rustc", "bison"]);
        assert!(v.line().starts_with("not ready") && v.line().contains("rustc, bison"));
    }

    #[test]
    fn fixes_are_what_is_not_fine_and_allowed_once_each() {
        let apt = Fix::Install(Provider::Apt("qemu-system-x86"));
        let musl = Fix::Rustup("target", "x86_64-unknown-linux-musl");
        let checks = [
            c(Section::Tools, "gcc", Status::Ok).fix(Fix::Install(Provider::Apt("gcc"))),
            c(Section::Qemu, "qemu-system-x86_64", Status::OnDemand).fix(apt),
            c(Section::Qemu, "again", Status::Missing).fix(apt),
            c(Section::Optional, "chromium", Status::Info)
                .fix(Fix::Install(Provider::Apt("chromium"))),
            c(Section::Cache, "ccache", Status::Warn).fix(Fix::Install(Provider::Apt("ccache"))),
            c(Section::Rust, "musl target", Status::Missing).fix(musl),
            c(Section::KernelTree, "make rustavailable", Status::Missing)
                .fix(Fix::Rust(Piece::RustSrc)),
            c(Section::Rust, "rustc", Status::Missing),
        ];
        let what = |f: Vec<(Fix, String)>| f.into_iter().map(|(_, w)| w).collect::<Vec<_>>();
        assert_eq!(
            what(fixes(&checks, true, true)),
            [
                "qemu-system-x86_64",
                "ccache",
                "musl target",
                "make rustavailable"
            ]
        );
        // Not root: rustup still works, apt does not.
        assert_eq!(
            what(fixes(&checks, false, true)),
            ["musl target", "make rustavailable"]
        );
        assert!(fixes(&checks, false, false).is_empty(), "DAXKIT_NO_INSTALL");
    }

    #[test]
    fn install_policy_decides_missing_or_on_demand() {
        assert_eq!(missing_status(true, true), Status::OnDemand);
        assert_eq!(missing_status(false, true), Status::Missing);
        assert_eq!(missing_status(true, false), Status::Missing);
    }

    #[test]
    fn render_has_sections_in_order_and_the_verdict_last() {
        let checks = [
            c(Section::Qemu, "KVM", Status::Info),
            c(Section::Host, "installs", Status::Info),
            c(Section::Tools, "flex", Status::Missing),
            c(Section::Tools, "gcc", Status::Ok),
        ];
        let s = render(Path::new("/h"), &checks);
        let host = s.find("\nhost\n").unwrap();
        let tools = s.find("\ntools (").unwrap();
        let qemu = s.find("\nqemu\n").unwrap();
        assert!(host < tools && tools < qemu, "{s}");
        assert!(!s.contains("\nrust ("), "empty sections are left out: {s}");
        assert!(s.contains("  ✗ flex      detail\n"), "{s}");
        assert!(s.contains("  ✓ gcc       detail\n"), "{s}");
        assert_eq!(
            s.lines().last().unwrap(),
            "not ready: `daxkit reproduce` needs flex (see ✗ above)"
        );
        let j: serde_json::Value =
            serde_json::from_str(&render_json(Path::new("/h"), &checks)).unwrap();
        assert_eq!(j["verdict"]["ready"], false);
        assert_eq!(j["checks"][2]["status"], "missing");
        assert_eq!(j["checks"][0]["section"], "qemu");
    }

    fn asked(kernel: (u32, u32), unavailable: Option<&str>) -> Option<Result<Asked, String>> {
        let v = toolchain::Version::find;
        let (rustc, bindgen) = if kernel < (6, 11) {
            (v("1.62.0"), v("0.56.0"))
        } else {
            (v("1.78.0"), v("0.65.1"))
        };
        Some(Ok(Asked {
            tree: toolchain::TreeRust {
                kernel,
                rustc,
                bindgen,
            },
            host: toolchain::HostRust {
                rustc: v("1.95.0"),
                bindgen: v("0.73.2"),
            },
            unavailable: unavailable.map(str::to_owned),
        }))
    }

    #[test]
    fn rustavailable_line() {
        let none = tree_rust_check("6.12", None, true);
        assert_eq!(none.status, Status::Info);
        assert!(none.detail.contains("no 6.12 tree"), "{}", none.detail);
        let err = tree_rust_check("6.12", Some(Err("no make".into())), true);
        assert_eq!(err.status, Status::Warn);
        assert_eq!(err.detail, "could not ask: no make");

        let ok = tree_rust_check("6.12", asked((6, 12), None), false);
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(
            ok.detail,
            "Rust is available for Linux 6.12 (rustc 1.95.0, minimum 1.78.0; bindgen 0.73.2, minimum 0.65.1)"
        );

        // 6.1 pins rustc 1.62: newer does not fit, whatever the script says.
        let unfit = tree_rust_check("6.1", asked((6, 1), None), true);
        assert_eq!(unfit.status, Status::Missing);
        assert!(unfit.detail.contains("rustc 1.62.x"), "{}", unfit.detail);
        assert!(unfit.fix.is_none());

        let bindgen = "***\n*** Rust bindings generator 'bindgen' could not be found.\n***\n";
        let b = tree_rust_check("6.12", asked((6, 12), Some(bindgen)), true);
        assert_eq!(b.status, Status::OnDemand);
        assert_eq!(b.fix, Some(Fix::Rust(Piece::Bindgen)));
        assert!(b.detail.contains("bindgen-cli"), "{}", b.detail);
        let b = tree_rust_check("6.12", asked((6, 12), Some(bindgen)), false);
        assert_eq!(b.status, Status::Missing);

        let rustc = "*** Rust compiler 'rustc' could not be found.\n";
        let r = tree_rust_check("6.12", asked((6, 12), Some(rustc)), true);
        assert_eq!(r.status, Status::Missing, "daxkit does not install rustc");

        let odd = tree_rust_check("6.12", asked((6, 12), Some("make: *** odd\n")), true);
        assert_eq!(odd.status, Status::Missing);
        assert!(odd.detail.contains("make: *** odd"));
    }

    /// A fake 6.12 tree in a home: doctor reads its Rust minimums and asks
    /// its `make rustavailable` (here: bindgen missing), importing nothing.
    #[test]
    fn tree_checks_ask_the_checked_out_tree() {
        crate::exec::test_tool("make");
        let d = tempfile::tempdir().unwrap();
        let home = Home::at(d.path()).unwrap();
        let none = tree_checks(&home, "6.12", true);
        assert_eq!(none[1].what, "imported tree");
        assert_eq!(none[1].status, Status::Info);
        assert_eq!(none[2].status, Status::Info);

        let src = home.worktree("debian-6.12");
        std::fs::create_dir_all(src.join("scripts")).unwrap();
        std::fs::write(
            src.join("Makefile"),
            "VERSION = 6\nPATCHLEVEL = 12\nrustavailable:\n\t@echo \"*** Rust bindings generator 'bindgen' could not be found.\"; exit 1\n",
        )
        .unwrap();
        std::fs::write(
            src.join("scripts/min-tool-version.sh"),
            "case $1 in rustc) echo 1.78.0;; bindgen) echo 0.65.1;; esac\n",
        )
        .unwrap();
        let repo = home.repo("debian-6.12");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::write(
            repo.join("daxkit-imported"),
            "stamp\n6.12.117\ne70c644094d1aaaa\n",
        )
        .unwrap();
        let t = tree_checks(&home, "6.12", true);
        assert_eq!(t[1].status, Status::Ok);
        assert!(
            t[1].detail.starts_with("debian-6.12.117 e70c644094d1 in "),
            "{}",
            t[1].detail
        );
        // rustc on this host is new enough for the tree's 1.78 minimum.
        assert_eq!(t[2].what, "make rustavailable");
        assert_eq!(t[2].status, Status::OnDemand, "{}", t[2].detail);
        assert_eq!(t[2].fix, Some(Fix::Rust(Piece::Bindgen)));
        assert!(t[2].detail.contains("bindgen-cli"), "{}", t[2].detail);
        assert_eq!(tree_checks(&home, "6.12", false)[2].status, Status::Missing);
    }

    /// `ccache --print-stats` of ccache 4.8 (Debian 12), trimmed.
    #[test]
    fn ccache_hit_rate() {
        let stats = "stats_updated_timestamp\t1764680000\ncache_miss\t1823\ncalled_for_link\t12\ndirect_cache_hit\t1500\npreprocessed_cache_hit\t300\nfiles_in_cache\t3600\n";
        assert_eq!(ccache_hits(stats), Some((1800, 1823)));
        assert_eq!(
            ccache_detail(1800, 1823),
            "50 % hits (1800 of 3623 compilations)"
        );
        assert_eq!(ccache_detail(0, 0), "no compilations cached yet");
        assert_eq!(ccache_hits("Hits: 1 / 2\n"), None);
    }

    #[test]
    fn free_space_levels() {
        assert_eq!(space_check(100 << 30).status, Status::Ok);
        assert_eq!(space_check(3 << 30).status, Status::Warn);
        let low = space_check(500 << 20);
        assert_eq!(low.status, Status::Missing);
        assert!(low.detail.contains("daxkit gc"), "{}", low.detail);
    }
}
