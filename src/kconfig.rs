//! `daxkit config`: Kconfig fragments merged into one, `.config` made with
//! `make allnoconfig KCONFIG_ALLCONFIG=<merged>`, and every requested option
//! checked against the result.
//!
//! Kconfig drops an option silently when a dependency is missing (LIBNVDIMM
//! without BLK_DEV, ZONE_DEVICE without MEMORY_HOTREMOVE, ...). Here a
//! dropped option is an error that names it, the value asked for and got,
//! and which of its dependencies are unmet, read from the tree's own Kconfig.

use crate::apply::Applied;
use crate::exec::{Cmd, HostError};
use crate::home::Home;
use crate::series::Series;
use crate::ui;
use anyhow::{Context, Result};
use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The default fragments, in merge order (later wins).
pub const DEFAULT_FRAGMENTS: &[&str] = &["base", "dax", "probes", "rust"];

/// The shipped `kernel-config/` (src/assets.rs): absolute, and the same
/// whatever folder daxkit runs in (a bisect step runs inside the worktree).
pub fn config_dir() -> Result<PathBuf> {
    crate::assets::path("kernel-config")
}

/// Which kernel self-checks the config turns on (`--profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// base, dax, probes and rust fragments.
    #[default]
    Default,
    /// The defaults plus kernel-config/debug.config.
    Debug,
}

/// Which fragments a kernel is configured with, besides the series' own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigSpec {
    /// The user's extra fragments (`--fragment`), merged last.
    pub fragments: Vec<PathBuf>,
    /// Leave the default `rust` fragment out.
    pub no_rust: bool,
    pub profile: Profile,
}

/// The fragments `--profile` adds after the defaults.
pub fn profile_fragments(p: Profile) -> &'static [&'static str] {
    match p {
        Profile::Default => &[],
        Profile::Debug => &["debug"],
    }
}

/// Defaults (and the profile's), then the series' own fragments, then
/// `--fragment`s.
pub fn fragments(a: &ConfigSpec, series: Option<&Series>) -> Result<Vec<PathBuf>> {
    let dir = config_dir()?;
    let mut v: Vec<PathBuf> = DEFAULT_FRAGMENTS
        .iter()
        .filter(|f| !(a.no_rust && **f == "rust"))
        .chain(profile_fragments(a.profile))
        .map(|f| dir.join(format!("{f}.config")))
        .collect();
    if let Some(s) = series {
        v.extend(s.config.iter().cloned());
    }
    v.extend(a.fragments.iter().cloned());
    v.into_iter()
        .map(|f| {
            f.canonicalize()
                .with_context(|| format!("config fragment {} not found", f.display()))
        })
        .collect()
}

/// One requested option: its value and the fragment that set it last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub value: String,
    pub from: String,
}

/// Parses fragments into `NAME -> request` (without the `CONFIG_` prefix).
pub fn merge(files: &[PathBuf]) -> Result<BTreeMap<String, Request>> {
    let mut out = BTreeMap::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        for (n, line) in text.lines().enumerate() {
            let loc = format!("{}:{}", f.display(), n + 1);
            if let Some((name, value)) =
                parse_line(line).map_err(|e| anyhow::anyhow!("{loc}: {e}"))?
            {
                out.insert(name, Request { value, from: loc });
            }
        }
    }
    Ok(out)
}

/// One `.config`/fragment line: `CONFIG_X=v`, `# CONFIG_X is not set` (n),
/// comment or blank (None).
pub fn parse_line(line: &str) -> Result<Option<(String, String)>, String> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("# CONFIG_") {
        if let Some(name) = rest.strip_suffix(" is not set") {
            return Ok(Some((name.to_owned(), "n".into())));
        }
        return Ok(None);
    }
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let Some(rest) = line.strip_prefix("CONFIG_") else {
        return Err(format!("not a Kconfig line: {line:?}"));
    };
    let Some((name, value)) = rest.split_once('=') else {
        return Err(format!("missing `=` in {line:?}"));
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("bad option name in {line:?}"));
    }
    Ok(Some((name.to_owned(), value.to_owned())))
}

/// Values of a `.config`; options absent from it are `n`.
pub fn read_config(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| parse_line(l).ok().flatten())
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub name: String,
    pub requested: String,
    pub actual: String,
    pub from: String,
    /// Why, from the tree's Kconfig: unknown option, unmet deps, no prompt.
    pub why: String,
}

#[derive(Debug)]
pub struct ConfigReport {
    pub config: PathBuf,
    /// Hash of (commit, merged fragments): names the built kernel.
    pub stamp: String,
    pub requested: usize,
    pub total_set: usize,
    pub reused: bool,
}

impl ConfigReport {
    pub fn summary(&self) -> String {
        format!(
            "{}: all {} requested options hold ({} options set{})",
            self.config.display(),
            self.requested,
            self.total_set,
            if self.reused { ", unchanged" } else { "" }
        )
    }
}

/// Requested options that kbuild would not set at this commit (names each,
/// with its unmet dependencies). A bisect step cannot test such a commit;
/// elsewhere it is the input's fault (exit 128).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigDoesNotHold(pub String);

/// `e` with the variants whose config it is named, when it is a config
/// that does not hold (still a [`ConfigDoesNotHold`]); any other error
/// as is. An empty `names` (a series without variants) changes nothing.
pub fn for_variants(e: anyhow::Error, names: Option<&str>) -> anyhow::Error {
    let Some(names) = names else {
        return e;
    };
    match e.downcast::<ConfigDoesNotHold>() {
        Ok(ConfigDoesNotHold(msg)) => {
            ConfigDoesNotHold(format!("config of variant {names}: {msg}")).into()
        }
        Err(e) => e,
    }
}

/// What [`configure`] would make, without making it: the fragments after
/// the Rust fit, the merged requests and the stamp that names the kernel.
#[derive(Debug, Clone)]
pub struct Planned {
    pub frags: Vec<PathBuf>,
    pub requests: BTreeMap<String, Request>,
    /// The merged fragment kbuild is given (`CONFIG_X=y` lines).
    pub merged: String,
    /// Hash of (commit, merged): the kept kernel's name.
    pub stamp: String,
}

/// The stamp [`configure`] gives `applied` with `frags` on this host (the
/// Rust fit is the host's), without running kbuild: `daxkit ci --kernels`
/// compares it with an exported kernel's.
pub fn plan(home: &Home, applied: &Applied, frags: &[PathBuf]) -> Result<Planned> {
    // The tree's Kconfig must be the commit's: another command may have
    // moved the shared worktree since `applied` was made (reproduce applies
    // the series before it configures stock).
    crate::tree::checkout(home, &applied.base, &applied.head)?;
    let frags = rust_fit(applied, frags)?;
    let requests = merge(&frags)?;
    let merged = merged_text(&requests);
    let stamp = stamp(&applied.head, &merged);
    Ok(Planned {
        frags,
        requests,
        merged,
        stamp,
    })
}

/// Writes and verifies `.config` in the build dir of `applied`.
pub fn configure(home: &Home, applied: &Applied, frags: &[PathBuf]) -> Result<ConfigReport> {
    configure_with(home, applied, frags, false)
}

/// Like [`configure`], but options this tree does not define at all are
/// ignored: a bisect crosses commits before the patch that adds them.
pub fn configure_lenient(
    home: &Home,
    applied: &Applied,
    frags: &[PathBuf],
) -> Result<ConfigReport> {
    configure_with(home, applied, frags, true)
}

/// Like [`configure_lenient`], with `symbol` forced off by the last
/// fragment: options that cannot hold only because `symbol=n` is among
/// their unmet dependencies fall away (check-series' CONFIG_RUST=n build
/// of a series whose Rust code needs Rust).
pub fn configure_without(
    home: &Home,
    applied: &Applied,
    frags: &[PathBuf],
    symbol: &str,
) -> Result<ConfigReport> {
    configure_inner(home, applied, frags, true, Some(symbol))
}

fn configure_with(
    home: &Home,
    applied: &Applied,
    frags: &[PathBuf],
    unknown_ok: bool,
) -> Result<ConfigReport> {
    configure_inner(home, applied, frags, unknown_ok, None)
}

/// Whether `m` failed only for want of `symbol` (`symbol=n` among its
/// unmet dependencies; `HAVE_RUST=n` is not `RUST=n`).
pub fn needs_only(m: &Mismatch, symbol: &str) -> bool {
    let off = format!("{symbol}=n");
    m.why.starts_with("unmet dependencies: ") && m.why.split([' ', ',']).any(|w| w == off)
}

/// The merged requests as the fragment `allnoconfig` reads.
pub fn merged_text(requests: &BTreeMap<String, Request>) -> String {
    let mut merged = String::new();
    for (name, r) in requests {
        if r.value == "n" {
            let _ = writeln!(merged, "# CONFIG_{name} is not set");
        } else {
            let _ = writeln!(merged, "CONFIG_{name}={}", r.value);
        }
    }
    merged
}

/// A config's stamp: the commit and the merged requests (what keeps a
/// `.config` and a kept kernel).
pub fn stamp(head: &str, merged: &str) -> String {
    format!(
        "{:x}",
        Sha256::digest(format!("{head}\n{merged}").as_bytes())
    )
}

/// Where a config is made and checked before it reaches `build`.
pub fn scratch_dir(build: &Path) -> PathBuf {
    build.with_file_name("config-scratch")
}

/// `make allnoconfig` in `scratch` with the merged fragment
/// (`scratch/daxkit-fragment.config`) as `KCONFIG_ALLCONFIG`.
pub fn allnoconfig_cmd(worktree: &Path, scratch: &Path) -> Cmd {
    Cmd::new("make")
        .arg("-C")
        .arg(worktree)
        .arg(format!("O={}", scratch.display()))
        .arg("ARCH=x86_64")
        .arg(format!(
            "KCONFIG_ALLCONFIG={}",
            scratch.join("daxkit-fragment.config").display()
        ))
        .arg("allnoconfig")
}

fn configure_inner(
    home: &Home,
    applied: &Applied,
    frags: &[PathBuf],
    unknown_ok: bool,
    without: Option<&str>,
) -> Result<ConfigReport> {
    let Planned {
        frags,
        requests,
        merged,
        stamp,
    } = plan(home, applied, frags)?;
    let frags = &frags;
    let build = home.build_dir(&applied.base.id);
    std::fs::create_dir_all(&build)?;
    let stamp_path = build.join("daxkit-config.stamp");
    let config = build.join(".config");
    let reused =
        config.is_file() && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s.trim() == stamp);
    if reused {
        let text = std::fs::read_to_string(&config)?;
        return Ok(ConfigReport {
            config,
            stamp,
            requested: requests.len(),
            total_set: read_config(&text).values().filter(|v| *v != "n").count(),
            reused,
        });
    }
    ui::step(format!(
        "configuring {} ({} fragments)",
        build.display(),
        frags.len()
    ));
    let names: Vec<String> = frags.iter().map(|f| f.display().to_string()).collect();
    ui::note(format!("fragments, in merge order: {}", names.join(" ")));
    crate::exec::require_tools(crate::exec::Need::Build)?;
    // Make and check the config in a scratch dir; only a verified config
    // reaches the build dir, so a bad fragment never costs a rebuild.
    let scratch = scratch_dir(&build);
    std::fs::create_dir_all(&scratch)?;
    if requests.get("RUST").is_some_and(|r| r.value == "y") {
        // Kconfig decides RUST_IS_AVAILABLE by running the tree's
        // rust_is_available.sh: ask the same script first, or CONFIG_RUST
        // would just be dropped.
        crate::toolchain::ensure_available(&applied.worktree, &scratch)?;
    }
    let frag_path = scratch.join("daxkit-fragment.config");
    std::fs::write(&frag_path, &merged)?;
    let log = scratch.join("daxkit-config.log");
    std::fs::write(&log, "")?;
    allnoconfig_cmd(&applied.worktree, &scratch)
        .run_logged(&log, |_| {})
        .context("making .config")?;
    let made = scratch.join(".config");
    let text =
        std::fs::read_to_string(&made).with_context(|| format!("reading {}", made.display()))?;
    let actual = read_config(&text);
    let kconfig = KconfigIndex::scan(&applied.worktree)?;
    let mut mismatches = verify(&requests, &actual, &kconfig);
    if unknown_ok {
        mismatches.retain(|m| !kconfig.is_unknown(&m.name));
    }
    if let Some(sym) = without {
        mismatches.retain(|m| !needs_only(m, sym));
    }
    if !mismatches.is_empty() {
        let mut msg = format!(
            "{} of {} requested options did not hold (config made in {}; {} untouched):",
            mismatches.len(),
            requests.len(),
            made.display(),
            build.display()
        );
        for m in &mismatches {
            write!(
                msg,
                "\n  CONFIG_{}: requested {}, got {} ({}) — {}",
                m.name, m.requested, m.actual, m.from, m.why
            )?;
        }
        return Err(ConfigDoesNotHold(msg).into());
    }
    std::fs::remove_file(&stamp_path).ok();
    // kbuild notices the new .config on the next make (syncconfig) and
    // rebuilds only what depends on options that changed.
    if std::fs::read(&config).ok().as_deref() != Some(text.as_bytes()) {
        std::fs::write(&config, &text)?;
    }
    std::fs::copy(&frag_path, build.join("daxkit-fragment.config"))?;
    std::fs::write(&stamp_path, &stamp)?;
    Ok(ConfigReport {
        config,
        stamp,
        requested: requests.len(),
        total_set: actual.values().filter(|v| *v != "n").count(),
        reused: false,
    })
}

/// CONFIG_RUST only where the host's Rust fits the tree
/// ([`toolchain::fit`](crate::toolchain::fit)): the default `rust` fragment
/// is left out with a one-line note saying why; a series fragment or
/// `--fragment` asking for CONFIG_RUST=y is refused with that reason.
fn rust_fit(applied: &Applied, frags: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let asks_rust = |files: &[PathBuf]| -> Result<Option<String>> {
        Ok(merge(files)?
            .remove("RUST")
            .filter(|r| r.value == "y")
            .map(|r| r.from))
    };
    if asks_rust(frags)?.is_none() {
        return Ok(frags.to_vec());
    }
    let crate::toolchain::Fit::Unfit(why) = crate::toolchain::check_fit(&applied.worktree)? else {
        return Ok(frags.to_vec());
    };
    // The defaults come first (see `fragments`); the same file given again
    // with --fragment is an explicit request.
    let default = config_dir()?.join("rust.config").canonicalize().ok();
    let default_at = frags.iter().position(|f| default.as_ref() == Some(f));
    for (i, f) in frags.iter().enumerate() {
        if Some(i) == default_at {
            continue;
        }
        if let Some(from) = asks_rust(std::slice::from_ref(f))? {
            return Err(HostError(format!(
                "CONFIG_RUST=y ({from}) cannot be built on this host: {why}"
            ))
            .into());
        }
    }
    ui::note(format!(
        "leaving the rust fragment out (no CONFIG_RUST): {why}"
    ));
    let mut kept = frags.to_vec();
    if let Some(i) = default_at {
        kept.remove(i);
    }
    Ok(kept)
}

pub fn verify(
    requests: &BTreeMap<String, Request>,
    actual: &HashMap<String, String>,
    kconfig: &KconfigIndex,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for (name, r) in requests {
        let got = actual.get(name).cloned().unwrap_or_else(|| "n".into());
        if got == r.value {
            continue;
        }
        out.push(Mismatch {
            name: name.clone(),
            requested: r.value.clone(),
            actual: if actual.contains_key(name) {
                got
            } else {
                "not set".into()
            },
            from: r.from.clone(),
            why: kconfig.explain(name, actual),
        });
    }
    out
}

/// What the tree's Kconfig files say about each symbol (x86 only).
#[derive(Debug, Default)]
pub struct KconfigIndex {
    pub symbols: HashMap<String, SymbolInfo>,
}

#[derive(Debug, Default, Clone)]
pub struct SymbolInfo {
    /// `depends on` expressions, including enclosing `if` blocks.
    pub depends: Vec<String>,
    /// Whether any definition has a prompt (is user-settable).
    pub has_prompt: bool,
    /// Where it is defined.
    pub file: String,
}

static CONFIG_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:menu)?config\s+([A-Za-z0-9_]+)\s*$").unwrap());
static TYPE_PROMPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(?:bool|tristate|string|int|hex|prompt)\s+""#).unwrap());
static SYMBOL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(!?)\b([A-Z0-9_]+)\b").unwrap());

impl KconfigIndex {
    pub fn scan(src: &Path) -> Result<KconfigIndex> {
        let mut idx = KconfigIndex::default();
        let mut files = Vec::new();
        collect_kconfigs(src, src, &mut files)?;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let rel = f.strip_prefix(src).unwrap_or(&f).display().to_string();
            idx.add_file(&rel, &text);
        }
        Ok(idx)
    }

    pub fn add_file(&mut self, rel: &str, text: &str) {
        let mut ifs: Vec<String> = Vec::new();
        let mut current: Option<String> = None;
        let mut in_help = false;
        for raw in text.lines() {
            let line = raw.trim();
            let top_level = raw.starts_with(|c: char| !c.is_whitespace());
            // Help text runs until the next unindented keyword; it is prose
            // that may well say "if X" or "depends on Y".
            if in_help && !top_level {
                continue;
            }
            in_help = false;
            if top_level {
                // A top-level keyword ends a config block's attributes.
                current = None;
            }
            if let Some(c) = CONFIG_LINE.captures(line) {
                let name = c[1].to_owned();
                let info = self.symbols.entry(name.clone()).or_default();
                if info.file.is_empty() {
                    info.file = rel.to_owned();
                }
                info.depends.extend(ifs.iter().cloned());
                current = Some(name);
            } else if let Some(cond) = line.strip_prefix("if ") {
                ifs.push(cond.trim().to_owned());
            } else if line == "endif" || line.starts_with("endif ") || line.starts_with("endif#") {
                ifs.pop();
            } else if line == "help" || line == "---help---" {
                in_help = true;
                current = None;
            } else if let Some(name) = &current {
                let info = self.symbols.entry(name.clone()).or_default();
                if let Some(dep) = line.strip_prefix("depends on ") {
                    info.depends.push(dep.trim().to_owned());
                } else if TYPE_PROMPT.is_match(line) {
                    info.has_prompt = true;
                }
            }
        }
    }

    pub fn is_unknown(&self, name: &str) -> bool {
        !self.symbols.contains_key(name)
    }

    /// A one-line reason why `name` does not have the requested value.
    pub fn explain(&self, name: &str, actual: &HashMap<String, String>) -> String {
        let Some(info) = self.symbols.get(name) else {
            return "unknown option: no Kconfig in this tree defines it".into();
        };
        let value = |s: &str| actual.get(s).map_or("n", String::as_str).to_owned();
        let mut unmet = Vec::new();
        for dep in &info.depends {
            for c in SYMBOL.captures_iter(dep) {
                let (neg, sym) = (&c[1] == "!", &c[2]);
                if matches!(sym, "y" | "n" | "m") || sym.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                let v = value(sym);
                let off = v == "n";
                if off != neg {
                    let s = format!("{}{sym}={v}", if neg { "!" } else { "" });
                    if !unmet.contains(&s) {
                        unmet.push(s);
                    }
                }
            }
        }
        let mut why = String::new();
        if !unmet.is_empty() {
            write!(why, "unmet dependencies: {}", unmet.join(", ")).ok();
        }
        if !info.has_prompt {
            if !why.is_empty() {
                why += "; ";
            }
            why += "it has no prompt (only selected or defaulted by other options)";
        }
        if why.is_empty() {
            why = format!("depends on {}", info.depends.join(" && "));
            if info.depends.is_empty() {
                why = "no unmet dependency found (a choice, or a value out of range?)".into();
            }
        }
        format!("{why} [{}]", info.file)
    }
}

fn collect_kconfigs(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if e.file_type()?.is_dir() {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            // Other architectures define the same symbols differently.
            let skip = name.starts_with('.')
                || rel == Path::new("Documentation")
                || (rel.starts_with("arch") && rel.components().count() == 2 && name != "x86");
            if !skip {
                collect_kconfigs(root, &p, out)?;
            }
        } else if name.starts_with("Kconfig") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(parse_line("CONFIG_A=y"), Ok(Some(("A".into(), "y".into()))));
        assert_eq!(
            parse_line("# CONFIG_B is not set"),
            Ok(Some(("B".into(), "n".into())))
        );
        assert_eq!(
            parse_line("CONFIG_S=\"x y\""),
            Ok(Some(("S".into(), "\"x y\"".into())))
        );
        assert_eq!(parse_line("# comment"), Ok(None));
        assert!(parse_line("FOO=y").is_err());
        assert!(parse_line("CONFIG_FOO").is_err());
    }

    fn config_args(profile: Profile, no_rust: bool) -> ConfigSpec {
        ConfigSpec {
            fragments: Vec::new(),
            no_rust,
            profile,
        }
    }

    /// `--profile debug` appends debug.config to the defaults (before the
    /// series' and `--fragment`s, which can still override it), and every
    /// shipped fragment parses.
    #[test]
    fn profiles_choose_fragments() {
        let names = |profile, no_rust| -> Vec<String> {
            fragments(&config_args(profile, no_rust), None)
                .unwrap()
                .iter()
                .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(Profile::Default, false),
            ["base", "dax", "probes", "rust"]
        );
        assert_eq!(
            names(Profile::Debug, false),
            ["base", "dax", "probes", "rust", "debug"]
        );
        assert_eq!(
            names(Profile::Debug, true),
            ["base", "dax", "probes", "debug"]
        );
        let debug = config_args(Profile::Debug, false);
        let merged = merge(&fragments(&debug, None).unwrap()).unwrap();
        for o in [
            "PROVE_LOCKING",
            "DEBUG_ATOMIC_SLEEP",
            "DEBUG_VM",
            "SOFTLOCKUP_DETECTOR",
            "DETECT_HUNG_TASK",
        ] {
            assert_eq!(merged[o].value, "y", "{o}");
            assert!(merged[o].from.contains("debug.config"), "{o}");
        }
        assert!(!merged.contains_key("KASAN"));
    }

    /// A variant's config that does not hold stays a ConfigDoesNotHold
    /// (a bisect skips it, elsewhere exit 128) and names the variant.
    #[test]
    fn config_that_does_not_hold_names_the_variants() {
        let e: anyhow::Error = ConfigDoesNotHold(
            "1 of 9 requested options did not hold:\n  CONFIG_FS_DAX_PMD_RUST: requested y, got not set (rust.config:1)".into(),
        )
        .into();
        let e = for_variants(e, Some("Rust"));
        let msg = e.to_string();
        assert!(
            msg.starts_with("config of variant Rust: 1 of 9 requested options did not hold"),
            "{msg}"
        );
        assert!(msg.contains("rust.config:1"), "{msg}");
        assert!(e.is::<ConfigDoesNotHold>());
        // Other errors and series without variants are left alone.
        let e = for_variants(anyhow::anyhow!("make: not found"), Some("Rust"));
        assert_eq!(e.to_string(), "make: not found");
        let e = for_variants(ConfigDoesNotHold("x".into()).into(), None);
        assert_eq!(e.to_string(), "x");
    }

    #[test]
    fn options_that_need_only_rust_fall_away_without_it() {
        let m = |why: &str| Mismatch {
            name: "FS_DAX_PMD_RUST".into(),
            requested: "y".into(),
            actual: "not set".into(),
            from: "dax-pmd.config:4".into(),
            why: why.into(),
        };
        assert!(needs_only(
            &m("unmet dependencies: RUST=n [fs/Kconfig]"),
            "RUST"
        ));
        assert!(needs_only(
            &m("unmet dependencies: FS_DAX=y, RUST=n [fs/Kconfig]"),
            "RUST"
        ));
        assert!(!needs_only(
            &m("unmet dependencies: HAVE_RUST=n [init/Kconfig]"),
            "RUST"
        ));
        assert!(!needs_only(
            &m("unknown option: no Kconfig in this tree defines it"),
            "RUST"
        ));
    }

    #[test]
    fn later_fragment_wins() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.config");
        let b = d.path().join("b.config");
        std::fs::write(&a, "CONFIG_X=y\nCONFIG_Y=y\n").unwrap();
        std::fs::write(&b, "# CONFIG_X is not set\n").unwrap();
        let m = merge(&[a, b.clone()]).unwrap();
        assert_eq!(m["X"].value, "n");
        assert!(m["X"].from.ends_with("b.config:1"));
        assert_eq!(m["Y"].value, "y");
        std::fs::write(&b, "CONFIG_X y\n").unwrap();
        let err = merge(&[b]).unwrap_err().to_string();
        assert!(err.contains("b.config:1"), "{err}");
    }

    const KCONFIG: &str = r#"
menuconfig LIBNVDIMM
	tristate "NVDIMM (Non-Volatile Memory Device) Support"
	depends on PHYS_ADDR_T_64BIT
	depends on HAS_IOMEM
	depends on BLK_DEV
	help
	  Generic support.

if LIBNVDIMM

config BLK_DEV_PMEM
	tristate "PMEM: Persistent memory block device support"
	default LIBNVDIMM
	select DAX
	help
	  Memory ranges for PMEM are described by either an NFIT, or
	  if SOMETHING_ELSE is set, by the e820 table.

endif # LIBNVDIMM

config FS_DAX_PMD
	bool
	default FS_DAX
	depends on FS_DAX
	depends on ZONE_DEVICE
	depends on TRANSPARENT_HUGEPAGE
"#;

    fn idx() -> KconfigIndex {
        let mut i = KconfigIndex::default();
        i.add_file("drivers/nvdimm/Kconfig", KCONFIG);
        i
    }

    #[test]
    fn explains_unmet_dependency() {
        let actual: HashMap<String, String> = [("PHYS_ADDR_T_64BIT", "y"), ("HAS_IOMEM", "y")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        let why = idx().explain("LIBNVDIMM", &actual);
        assert_eq!(
            why,
            "unmet dependencies: BLK_DEV=n [drivers/nvdimm/Kconfig]"
        );
        let why = idx().explain("BLK_DEV_PMEM", &actual);
        assert!(why.starts_with("unmet dependencies: LIBNVDIMM=n"), "{why}");
        // `endif # LIBNVDIMM` closed the block: FS_DAX_PMD is outside it.
        let why = idx().explain("FS_DAX_PMD", &actual);
        assert!(!why.contains("LIBNVDIMM"), "{why}");
        // "if SOMETHING_ELSE" in help text is prose, not a block.
        assert!(!why.contains("SOMETHING_ELSE"), "{why}");
    }

    #[test]
    fn explains_promptless_and_unknown() {
        let actual: HashMap<String, String> = [("FS_DAX", "y"), ("TRANSPARENT_HUGEPAGE", "y")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        let why = idx().explain("FS_DAX_PMD", &actual);
        assert!(why.contains("ZONE_DEVICE=n"), "{why}");
        assert!(why.contains("no prompt"), "{why}");
        assert!(idx()
            .explain("NO_SUCH", &actual)
            .starts_with("unknown option"));
    }

    #[test]
    fn verify_reports_each_dropped_option() {
        let mut req = BTreeMap::new();
        for (k, v) in [("LIBNVDIMM", "y"), ("PHYS_ADDR_T_64BIT", "y")] {
            req.insert(
                k.into(),
                Request {
                    value: v.into(),
                    from: "f:1".into(),
                },
            );
        }
        let actual: HashMap<String, String> =
            [("PHYS_ADDR_T_64BIT".to_owned(), "y".to_owned())].into();
        let m = verify(&req, &actual, &idx());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].name, "LIBNVDIMM");
        assert_eq!(m[0].actual, "not set");
        assert!(m[0].why.contains("BLK_DEV=n"));
    }
}
