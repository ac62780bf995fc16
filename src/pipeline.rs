//! The steps the tree workflows (`reproduce`, `ci`, `bisect`,
//! `check-series`, and `apply`/`config`/`build`) share, as functions they
//! compose: what they are asked to build ([`KernelSpec`], filled by the
//! CLI from its flags), the preamble that turns it into a base tree
//! ([`target`], [`start`]), and whose fault a kernel that did not
//! configure or build is ([`sort_failure`] with each workflow's rule).
//! Nothing here knows the command line.

use crate::home::Home;
use crate::host::Host;
use crate::runs::RunOptions;
use crate::series::{self, Series};
use crate::{build, exec, fetch, kconfig, tree};
use anyhow::Result;
use std::fmt::Write as _;

/// One kernel job's inputs: which tree and series, which fragments, how
/// make runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSpec {
    pub target: tree::Target,
    pub config: kconfig::ConfigSpec,
    pub build: build::BuildOptions,
}

/// Loads the target's series (if it names one) and resolves the base
/// tree, as every tree command does.
pub fn target(home: &Home, t: &tree::Target) -> Result<(tree::BaseTree, Option<Series>)> {
    let series = t.series.as_deref().map(series::load).transpose()?;
    let base = tree::resolve(home, t, series.as_ref())?;
    Ok((base, series))
}

/// The workflows' inputs after their series: the case names checked
/// against the harness (an unknown one is daxkit's input error, 128,
/// before anything is built), then the base tree.
pub fn start(
    home: &Home,
    k: &KernelSpec,
    runs: &RunOptions,
    series: Option<&Series>,
) -> Result<tree::BaseTree> {
    crate::runs::check_case_names(home, &runs.cases, &runs.filesystems, runs.image.as_deref())?;
    tree::resolve(home, &k.target, series)
}

/// Whose a failed configure-and-build is. The host's problems
/// ([`exec::HostError`]) and Ctrl-C stop every workflow (`Err`: exit 128
/// or 130); beyond that, `kernels_fault` is the workflow's rule for what
/// is the kernel's failure (`Ok`: an outcome — a variant that did not
/// build, a bisect skip, a patch's row), anything else stops it too.
pub fn sort_failure(
    e: anyhow::Error,
    kernels_fault: fn(&anyhow::Error) -> bool,
) -> Result<anyhow::Error> {
    if exec::interrupted() || exec::is_host_error(&e) || !kernels_fault(&e) {
        Err(e)
    } else {
        Ok(e)
    }
}

/// `reproduce`'s rule: only make failing is the kernel's. Its configs are
/// made strictly, so an option that does not hold is an input error.
pub fn make_failed(e: &anyhow::Error) -> bool {
    e.is::<build::BuildFailed>()
}

/// `bisect`'s rule: the commit's kernel cannot be built — make failed,
/// kbuild cannot make the config asked for, or a command of the build
/// failed. A bisect skips such a commit (125).
pub fn cannot_build(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<build::BuildFailed>()
            || c.is::<kconfig::ConfigDoesNotHold>()
            || c.is::<exec::CommandFailed>()
    })
}

/// `check-series`' rule: anything but the host's problems is the patch's
/// (a row that says why).
pub fn any_failure(_: &anyhow::Error) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_sorted_by_the_workflows_rule() {
        let host = || anyhow::Error::new(exec::HostError("no make".into()));
        let other = || anyhow::anyhow!("reading a file");
        for rule in [make_failed, cannot_build, any_failure] {
            assert!(sort_failure(host(), rule).is_err());
        }
        assert!(sort_failure(other(), make_failed).is_err());
        assert!(sort_failure(other(), cannot_build).is_err());
        assert!(sort_failure(other(), any_failure).is_ok());
        let made = || {
            anyhow::Error::new(build::BuildFailed {
                wall_s: 1.0,
                errors: Vec::new(),
                tail: String::new(),
                log: "/b.log".into(),
            })
        };
        assert!(sort_failure(made(), make_failed).is_ok());
        assert!(sort_failure(made().context("kernel of C"), cannot_build).is_ok());
    }
}

/// The series' `base.kernel`, checked as [`tree::resolve`] checks it.
fn check_kernel_version(
    series: Option<&Series>,
    repo: &std::path::Path,
    commit: &str,
    name: &str,
) -> Result<()> {
    let Some(want) = series.and_then(|s| s.base.kernel.as_deref()) else {
        return Ok(());
    };
    let got = match git2::Repository::open_bare(repo) {
        Ok(_) => tree::version_at(repo, commit)?,
        // A user's tree (not bare): read its Makefile at the commit.
        Err(_) => {
            let r = git2::Repository::open(repo)?;
            let c = r.find_commit(git2::Oid::from_str(commit)?)?;
            let blob = c
                .tree()?
                .get_path(std::path::Path::new("Makefile"))?
                .to_object(&r)?
                .peel_to_blob()?;
            fetch::parse_makefile_version(&String::from_utf8_lossy(blob.content()))
                .unwrap_or_default()
        }
    };
    if !(got == want || got.starts_with(&format!("{want}."))) {
        anyhow::bail!(
            "series {} expects Linux {want}, but base {name} is Linux {got}",
            series.map_or("", |s| s.name.as_str()),
        );
    }
    Ok(())
}

/// Where a `--dry-run` of the tree commands stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Config,
    Build,
}

/// `config --dry-run` and `build --dry-run`: the plan, found by reading
/// the cache, the series and the fragments. Nothing is installed,
/// imported, applied, checked out or made. What only those steps can
/// tell (a base not imported yet, the commits a series becomes, whether
/// the tree's `make rustavailable` passes) is said as what would happen,
/// never guessed.
pub fn dry_run(home: &Home, k: &KernelSpec, stop: Stop, host: &Host) -> Result<String> {
    let t = &k.target;
    let series = t.series.as_deref().map(series::load).transpose()?;
    let mut o = String::new();
    let wanted = t
        .base
        .clone()
        .or_else(|| series.as_ref().and_then(|s| s.base.rev.clone()));
    // (cache id, base commit if known)
    let (id, base_commit) = match &t.tree {
        Some(user) => {
            let b = tree::user_base(home, user, wanted.as_deref().unwrap_or("HEAD"))?;
            writeln!(
                o,
                "base: {} at {} = {} (--tree, only read)",
                user.display(),
                b.base_name,
                b.base
            )?;
            check_kernel_version(series.as_ref(), user, &b.base, &b.base_name)?;
            (b.id, Some(b.base))
        }
        None => match fetch::plan(home, &t.kernel)? {
            fetch::FetchPlan::Imported(kb) => {
                let (commit, name) = match wanted.as_deref() {
                    Some(rev) if !rev.starts_with(&format!("debian-{}.", t.kernel)) => {
                        (tree::rev_parse(&kb.repo, rev)?, rev.to_owned())
                    }
                    _ => (kb.commit.clone(), kb.tag.clone()),
                };
                writeln!(o, "base: {name} = {commit} (imported: {})", kb.describe())?;
                check_kernel_version(series.as_ref(), &kb.repo, &commit, &name)?;
                (kb.id, Some(commit))
            }
            plan => {
                writeln!(o, "base: {}", plan.describe(&t.kernel))?;
                if let Some(m) = host.missing_text(exec::Need::Fetch) {
                    writeln!(o, "import tools: {m}")?;
                }
                (fetch::repo_id(&t.kernel), None)
            }
        },
    };
    let worktree = home.worktree(&id);
    let build_dir = home.build_dir(&id);
    // The commit that is configured and built, when known now.
    let head = match &series {
        Some(s) => {
            writeln!(
                o,
                "series: {} v{}: would apply {} patches as commits onto the base \
                 (their ids are known after apply)",
                s.name,
                s.version,
                s.patches.len()
            )?;
            None
        }
        None => base_commit,
    };
    writeln!(
        o,
        "worktree: {} (would check out {})",
        worktree.display(),
        match (&head, &series) {
            (Some(h), _) => h.as_str(),
            (None, Some(_)) => "the series' last commit",
            (None, None) => "the base, once imported",
        }
    )?;
    let frags = kconfig::fragments(&k.config, series.as_ref())?;
    writeln!(o, "fragments, in merge order:")?;
    for f in &frags {
        writeln!(o, "  {}", f.display())?;
    }
    let requests = kconfig::merge(&frags)?;
    let rust = requests.get("RUST").is_some_and(|r| r.value == "y");
    let merged = kconfig::merged_text(&requests);
    writeln!(o, "merged fragment ({} options):", requests.len())?;
    for l in merged.lines() {
        writeln!(o, "  {l}")?;
    }
    if rust {
        writeln!(
            o,
            "CONFIG_RUST=y holds only where the tree's `make rustavailable` passes; \
             otherwise the default rust fragment is left out (and an explicit CONFIG_RUST=y is refused)"
        )?;
        if let Some(m) = host.missing_text(exec::Need::Rust) {
            writeln!(o, "Rust tools: {m}")?;
        }
    }
    if let Some(m) = host.missing_text(exec::Need::Build) {
        writeln!(o, "build tools: {m}")?;
    }
    let scratch = kconfig::scratch_dir(&build_dir);
    writeln!(
        o,
        "config: {}",
        kconfig::allnoconfig_cmd(&worktree, &scratch).display()
    )?;
    writeln!(
        o,
        "  then every requested option is verified and the .config copied to {}",
        build_dir.join(".config").display()
    )?;
    // The stamp names the kept kernel; it needs the commit and the final
    // merged fragment (which `make rustavailable` may still change).
    let stamp = head
        .as_deref()
        .filter(|_| !rust)
        .map(|h| kconfig::stamp(h, &merged));
    if stop == Stop::Config {
        return Ok(o);
    }
    if !host.libelf_headers {
        writeln!(
            o,
            "{}: {}",
            exec::LIBELF_HEADERS.what,
            if host.may_install {
                format!("would install {} first", exec::LIBELF_HEADERS.provider)
            } else {
                format!(
                    "missing, and daxkit may not install {}: the build would stop here",
                    exec::LIBELF_HEADERS.provider
                )
            }
        )?;
    }
    let plan = build::plan(
        home,
        &worktree,
        &id,
        stamp.as_deref().unwrap_or("<stamp>"),
        &k.build,
        host,
    );
    match plan.cc {
        Some(build::CcChoice::InstallCcache) => writeln!(o, "ccache: would be installed first")?,
        Some(build::CcChoice::PlainGcc) => writeln!(
            o,
            "ccache: not installed and daxkit may not install it: plain gcc"
        )?,
        _ => {}
    }
    writeln!(o, "build dir: {}", plan.build_dir.display())?;
    writeln!(o, "make: {}", plan.make.display())?;
    writeln!(o, "log: {}", plan.log.display())?;
    match (&k.build.target, &stamp) {
        (Some(target), _) => writeln!(o, "--make-target {target}: built, not kept")?,
        (None, Some(stamp)) if plan.kept.join("bzImage").is_file() => writeln!(
            o,
            "kept kernel: {} (stamp {stamp}) exists: reused without make unless the worktree has local changes",
            plan.kept.join("bzImage").display()
        )?,
        (None, Some(stamp)) => writeln!(
            o,
            "kept kernel: {} (stamp {stamp})",
            plan.kept.join("bzImage").display()
        )?,
        (None, None) => writeln!(
            o,
            "kept kernel: {}/<first 16 hex of the stamp>/bzImage; the stamp (sha256 of the \
             commit and the merged fragment) is known after {}",
            home.root.join("kernels").display(),
            if head.is_none() { "apply" } else { "config decides CONFIG_RUST" }
        )?,
    }
    Ok(o)
}
