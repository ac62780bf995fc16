//! How every command boots a kernel and collects what the judge reads:
//! the run options the workflows share, a series' variants, and
//! [`boot_variant`] — N boots of one kernel with one set of parameters,
//! gathered into a report [`Variant`]. `run`, `reproduce`, `ci`, each
//! bisect step and `check-series --run` all go through it, so they all
//! judge the same evidence the same way.

use crate::home::Home;
use crate::report::model::Variant;
use crate::series::Series;
use crate::vm::{self, accel::AccelArg, launch::Watchdog, PmemArg, VmArgs};
use crate::{exec, ui};
use anyhow::{bail, Context, Result};
use clap::Args;
use daxkit_harness::judge::{self, Blame, Evidence};
use daxkit_harness::protocol::{Mapping, PmemMode, RunPlan};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How each variant is booted and run (shared by reproduce, bisect, ci,
/// check-series).
#[derive(Debug, Clone, Args)]
pub struct RunOptions {
    /// Run only this case (repeatable; default: all).
    #[arg(long = "case", value_name = "NAME")]
    pub cases: Vec<String>,
    /// Filesystem to test (repeatable; default: xfs and ext4).
    #[arg(long = "fs", value_parser = ["xfs", "ext4"])]
    pub filesystems: Vec<String>,
    /// Fault benchmark size in MiB (0: no benchmark).
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub bench_mib: u64,
    /// KVM, TCG, or auto: KVM if a quick probe boot works, else TCG.
    #[arg(long, value_enum, default_value = "auto")]
    pub accel: AccelArg,
    /// Whole-run limit per boot, seconds.
    #[arg(long, default_value_t = 1800, value_name = "SECS")]
    pub timeout: u64,
    /// Boot each variant N times; a case whose verdict differs between
    /// boots is flaky and fails (unless --allow-flaky).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Report flaky cases without failing.
    #[arg(long)]
    pub allow_flaky: bool,
    /// Use this initramfs instead of building the image (`daxkit export`
    /// packs one; `ci --kernels` uses it).
    #[arg(long, value_name = "CPIO_GZ")]
    pub image: Option<PathBuf>,
    /// Make the guest fail on purpose (tests of daxkit itself).
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<vm::FaultArg>,
}

impl RunOptions {
    pub fn vm_args(&self, kernel: &Path, append: &[String]) -> VmArgs {
        VmArgs {
            kernel: kernel.to_owned(),
            pmem: PmemArg::Nvdimm,
            accel: self.accel,
            smp: 1,
            append: append.to_vec(),
            image: self.image.clone(),
            qemu: PathBuf::from("qemu-system-x86_64"),
        }
    }

    pub fn run_plan(&self) -> RunPlan {
        RunPlan {
            cases: self.cases.clone(),
            filesystems: self.filesystems.clone(),
            pmem: PmemMode::Nvdimm,
            bench_mib: (self.bench_mib > 0).then_some(self.bench_mib),
            fault: self.fault.map(vm::FaultArg::fault),
        }
    }

    pub fn watchdog(&self) -> Watchdog {
        Watchdog {
            total: Duration::from_secs(self.timeout),
            ..Watchdog::default()
        }
    }
}

/// One way to boot a series' kernel: a name and its kernel parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpec {
    /// Empty for a series without variants (or no series).
    pub name: String,
    pub append: Vec<String>,
}

impl VariantSpec {
    /// "dax-pmd (C)", "dax-pmd", or "kernel" without a series.
    pub fn label(&self, series: Option<&Series>) -> String {
        match (series, self.name.is_empty()) {
            (Some(s), false) => format!("{} ({})", s.name, self.name),
            (Some(s), true) => s.name.clone(),
            (None, _) => "kernel".to_owned(),
        }
    }
}

/// The variants a series' kernel is booted in: each of its `variants`,
/// or one plain boot.
pub fn variants_of(series: Option<&Series>) -> Vec<VariantSpec> {
    match series {
        Some(s) if !s.variants.is_empty() => s
            .variants
            .iter()
            .map(|v| VariantSpec {
                name: v.name.clone(),
                append: v.append.clone(),
            })
            .collect(),
        _ => vec![VariantSpec {
            name: String::new(),
            append: Vec::new(),
        }],
    }
}

/// Everything one variant's boots need.
pub struct Boot<'a> {
    pub name: &'a str,
    /// Kernel commit, for the report.
    pub commit: &'a str,
    pub vm: VmArgs,
    pub plan: &'a RunPlan,
    pub watchdog: Watchdog,
    pub expect: Option<&'a BTreeMap<String, Mapping>>,
    pub dir: &'a Path,
    pub repeat: u32,
    pub allow_flaky: bool,
}

/// Boots one variant `repeat` times (folders `dir`, or `dir/repeat-K`)
/// and returns its evidence as a report variant. Stops early on Ctrl-C
/// (the variant's evidence then says interrupted).
pub fn boot_variant(home: &Home, b: &Boot) -> Result<Variant> {
    std::fs::create_dir_all(b.dir)?;
    let empty = BTreeMap::new();
    let expect = b.expect.unwrap_or(&empty);
    let mut runs: Vec<Evidence> = Vec::new();
    let mut first: Option<vm::Executed> = None;
    for k in 1..=b.repeat {
        let dir = if b.repeat == 1 {
            b.dir.to_owned()
        } else {
            b.dir.join(format!("repeat-{k}"))
        };
        std::fs::create_dir_all(&dir)?;
        if b.repeat > 1 {
            ui::step(format!("{}: boot {k} of {}", b.name, b.repeat));
        }
        let ex = vm::execute(home, &b.vm, b.plan, &b.watchdog, expect, &dir)
            .with_context(|| format!("running variant {}", b.name))?;
        runs.push(ex.evidence.clone());
        // The launcher ends a boot as interrupted only on the Ctrl-C flag.
        let stop = exec::interrupted();
        if first.is_none() {
            first = Some(ex);
        }
        if stop {
            break;
        }
    }
    let Some(ex) = first else {
        bail!("variant {}: no boot ran", b.name);
    };
    let mut runs = runs.into_iter();
    let run = runs.next().unwrap_or_default();
    Ok(Variant {
        name: b.name.to_owned(),
        commit: b.commit.to_owned(),
        append: b.vm.append.clone(),
        run_dir: b.dir.display().to_string(),
        run,
        repeats: runs.collect(),
        allow_flaky: b.allow_flaky,
        accel: ex.accel.accel.name().to_owned(),
        hello_s: ex.finished.timings.hello.map(|d| d.as_secs_f64()),
        total_s: ex.finished.timings.total.as_secs_f64(),
        bench: ex
            .finished
            .outcome
            .stream()
            .map(|s| {
                s.records
                    .iter()
                    .filter_map(|r| match r {
                        daxkit_harness::protocol::Record::Bench(b) => Some(b.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// A variant whose kernel did not build: judged bad when the series broke
/// a base that builds, cannot-test when the base itself does not build.
pub fn unbuilt_variant(
    name: &str,
    commit: &str,
    append: &[String],
    expect: Option<&BTreeMap<String, Mapping>>,
    dir: &Path,
    why: &str,
    blame: Blame,
) -> Variant {
    Variant {
        name: name.to_owned(),
        commit: commit.to_owned(),
        append: append.to_vec(),
        run_dir: dir.display().to_string(),
        run: Evidence {
            outcome: judge::Outcome::BuildFailed,
            detail: why.to_owned(),
            expect: expect.cloned().unwrap_or_default(),
            build_blame: blame,
            ..Evidence::default()
        },
        repeats: Vec::new(),
        allow_flaky: false,
        accel: String::new(),
        hello_s: None,
        total_s: 0.0,
        bench: Vec::new(),
    }
}

/// Checks `--case` names (and that each fits the `--fs` filter) against
/// the harness's own list (the static guest binary runs on the host too),
/// so a typo fails before any build or boot, as daxkit's input error.
pub fn check_case_names(home: &Home, names: &[String], filesystems: &[String]) -> Result<()> {
    check_case_names_in(home, names, filesystems, None)
}

/// [`check_case_names`] with the harness of a given image (its `/init`,
/// static, runs on the host too) instead of building one: a CI test job
/// with an exported image builds nothing.
pub fn check_case_names_in(
    home: &Home,
    names: &[String],
    filesystems: &[String],
    image: Option<&Path>,
) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(home.images())?;
    let bin = match image {
        Some(img) => crate::image::harness_of(home, img)?,
        None => crate::image::build_harness(&home.images().join("harness-build.log"))?,
    };
    let list = exec::Cmd::new(&bin).arg("list").read()?;
    check_names(&known_cases(&list), names, filesystems)
}

/// The pure part of [`check_case_names`]: `known` is (name, fs).
pub fn check_names(known: &[(String, String)], names: &[String], fss: &[String]) -> Result<()> {
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !known.iter().any(|(k, _)| k == *n))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "unknown case {}: known cases are {}",
            unknown
                .iter()
                .map(|u| format!("{u:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            known
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !fss.is_empty() {
        for n in names {
            if let Some((_, fs)) = known.iter().find(|(k, fs)| k == n && !fss.contains(fs)) {
                bail!(
                    "case {n:?} runs on {fs}, which --fs {} leaves out",
                    fss.join(" --fs ")
                );
            }
        }
    }
    Ok(())
}

/// (case, filesystem) from `daxkit-harness list`: the first column, and
/// the filesystem at the end of the environment column (`dax-xfs`).
pub fn known_cases(list: &str) -> Vec<(String, String)> {
    list.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next()?;
            let env = w.next().unwrap_or_default();
            let fs = env.rsplit('-').next().unwrap_or_default();
            Some((name.to_owned(), fs.to_owned()))
        })
        .collect()
}

/// A folder-name form of a variant name ("Rust" → "rust").
pub fn slug(s: &str) -> String {
    let s: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if s.is_empty() {
        "default".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<(String, String)> {
        known_cases(
            "xfs-aligned-shared-write   dax-xfs    expect PMD  x\n\
             ext4-aligned-shared-write  dax-ext4   expect PMD  x\n\
             xfs-nodax-mount            nodax-xfs  expect not-DAX x\n",
        )
    }

    #[test]
    fn case_names_and_filesystems_are_checked_before_booting() {
        let k = known();
        assert_eq!(k[1], ("ext4-aligned-shared-write".into(), "ext4".into()));
        assert!(check_names(&k, &[], &[]).is_ok());
        assert!(check_names(&k, &["xfs-nodax-mount".into()], &["xfs".into()]).is_ok());
        let e = check_names(&k, &["no-such-case".into()], &[]).unwrap_err();
        assert!(
            e.to_string().contains("unknown case \"no-such-case\""),
            "{e}"
        );
        let e =
            check_names(&k, &["xfs-aligned-shared-write".into()], &["ext4".into()]).unwrap_err();
        assert!(e.to_string().contains("runs on xfs"), "{e}");
    }

    #[test]
    fn unbuilt_variants_are_judged_by_blame() {
        let d = Path::new("/r");
        let v = unbuilt_variant("s", "c", &[], None, d, "make failed", Blame::Series);
        assert_eq!(v.exit_code(), judge::exit::BAD);
        let v = unbuilt_variant("s", "c", &[], None, d, "make failed", Blame::Base);
        assert_eq!(v.exit_code(), judge::exit::CANNOT_TEST);
    }
}
