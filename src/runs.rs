//! How every command boots a kernel and collects what the judge reads:
//! the run options the workflows share, a series' variants, and
//! [`boot_variant`] — N boots of one kernel with one set of parameters,
//! gathered into a report [`Variant`]. `run`, `reproduce`, `ci`, each
//! bisect step and `check-series --run` all go through it, so they all
//! judge the same evidence the same way.

use crate::home::Home;
use crate::report::model::{Fragment, Variant};
use crate::series::Series;
use crate::vm::{self, accel::AccelArg, launch::Watchdog, BootSpec, PmemArg};
use crate::{exec, ui};
use anyhow::{bail, Context, Result};
use daxkit_harness::judge::{self, Blame, Evidence};
use daxkit_harness::protocol::{Mapping, PmemMode, RunPlan};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How each variant is booted and run (shared by reproduce, bisect, ci,
/// check-series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Only these cases (empty: all).
    pub cases: Vec<String>,
    /// Only these filesystems (empty: xfs and ext4).
    pub filesystems: Vec<String>,
    /// Fault benchmark size in MiB (0: no benchmark).
    pub bench_mib: u64,
    pub accel: AccelArg,
    /// Whole-run limit per boot, seconds.
    pub timeout: u64,
    /// Boots per variant (at least 1); a case whose verdict differs
    /// between boots is flaky.
    pub repeat: u32,
    /// Report flaky cases without failing.
    pub allow_flaky: bool,
    /// This initramfs instead of building the image (`daxkit export`
    /// packs one; `ci --kernels` uses it).
    pub image: Option<PathBuf>,
    /// A deliberate guest fault (tests of daxkit itself).
    pub fault: Option<vm::FaultArg>,
}

impl RunOptions {
    pub fn vm_args(&self, kernel: &Path, append: &[String]) -> BootSpec {
        BootSpec {
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

/// One way to boot a series' kernel: a name, its own Kconfig fragments
/// (merged after the series') and its kernel parameters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VariantSpec {
    /// None for a series without variants (or no series).
    pub name: Option<String>,
    /// Absolute paths, as [`crate::series`] resolved them.
    pub config: Vec<PathBuf>,
    pub append: Vec<String>,
}

impl VariantSpec {
    /// Its run folder's name: the variant's name as [`slug`] makes it,
    /// `default` without one.
    pub fn slug(&self) -> String {
        slug(self.name.as_deref().unwrap_or(""))
    }

    /// "dax-pmd (C)", "dax-pmd", or "kernel" without a series.
    pub fn label(&self, series: Option<&Series>) -> String {
        match (series, &self.name) {
            (Some(s), Some(n)) => format!("{} ({n})", s.name),
            (Some(s), None) => s.name.clone(),
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
                name: Some(v.name.clone()),
                config: v.config.clone(),
                append: v.append.clone(),
            })
            .collect(),
        _ => vec![VariantSpec {
            name: None,
            config: Vec::new(),
            append: Vec::new(),
        }],
    }
}

/// One kernel to build for a commit: the fragments it is configured
/// with and the variants (indices into the list given) that boot it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelPlan {
    /// The common fragments, then the variants' own.
    pub fragments: Vec<PathBuf>,
    pub variants: Vec<usize>,
}

impl KernelPlan {
    /// `C, Rust`: the variants that boot this kernel, for messages; none
    /// when it is the one plain kernel of a series without variants.
    pub fn names(&self, variants: &[VariantSpec]) -> Option<String> {
        let names: Vec<&str> = self
            .variants
            .iter()
            .filter_map(|&i| variants[i].name.as_deref())
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    }
}

/// The kernels `variants` need on top of the common fragments `frags`:
/// one per distinct merged config (what kbuild is asked for, not which
/// files say it), in the variants' order. Variants whose fragments ask
/// for nothing new share the plain kernel and differ only in `append`.
pub fn kernel_plans(frags: &[PathBuf], variants: &[VariantSpec]) -> Result<Vec<KernelPlan>> {
    let mut plans: Vec<(Vec<(String, String)>, KernelPlan)> = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let all: Vec<PathBuf> = frags.iter().chain(&v.config).cloned().collect();
        let merged: Vec<(String, String)> = crate::kconfig::merge(&all)
            .with_context(|| match &v.name {
                Some(n) => format!("config of variant {n}"),
                None => "config".to_owned(),
            })?
            .into_iter()
            .map(|(k, r)| (k, r.value))
            .collect();
        match plans.iter_mut().find(|(m, _)| *m == merged) {
            Some((_, p)) => p.variants.push(i),
            None => plans.push((
                merged,
                KernelPlan {
                    fragments: all,
                    variants: vec![i],
                },
            )),
        }
    }
    Ok(plans.into_iter().map(|(_, p)| p).collect())
}

/// The options each of a variant's own fragments sets, for the report
/// (`rust.config: FS_DAX_PMD_RUST=y`).
pub fn variant_config(v: &VariantSpec) -> Result<Vec<Fragment>> {
    v.config
        .iter()
        .map(|f| {
            let options = crate::kconfig::merge(std::slice::from_ref(f))?
                .into_iter()
                .map(|(k, r)| (format!("CONFIG_{k}"), r.value))
                .collect();
            Ok(Fragment {
                file: f
                    .file_name()
                    .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into()),
                options,
            })
        })
        .collect()
}

/// Everything one variant's boots need.
pub struct Boot<'a> {
    pub name: &'a str,
    /// Kernel commit, for the report.
    pub commit: &'a str,
    /// The variant's own config, for the report.
    pub config: &'a [Fragment],
    pub vm: BootSpec,
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
        config: b.config.to_vec(),
        append: b.vm.append.clone(),
        run_dir: b.dir.display().to_string(),
        run,
        repeats: runs.collect(),
        allow_flaky: b.allow_flaky,
        accel: vec![ex.accel.accel],
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
#[allow(clippy::too_many_arguments)]
pub fn unbuilt_variant(
    name: &str,
    commit: &str,
    config: &[Fragment],
    append: &[String],
    expect: Option<&BTreeMap<String, Mapping>>,
    dir: &Path,
    why: &str,
    blame: Blame,
) -> Variant {
    Variant {
        name: name.to_owned(),
        commit: commit.to_owned(),
        config: config.to_vec(),
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
        accel: Vec::new(),
        hello_s: None,
        total_s: 0.0,
        bench: Vec::new(),
    }
}

/// Checks `--case` names (and that each fits the `--fs` filter) against
/// the harness's own list (the static guest binary runs on the host too),
/// so a typo fails before any build or boot, as daxkit's input error.
/// With `image`, the harness is that image's `/init` (static, runs on the
/// host too): a CI test job with an exported image builds nothing.
pub fn check_case_names(
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

    /// Without a series there is one unnamed variant: no variant name in
    /// messages, the `default` folder, the plain label.
    #[test]
    fn the_plain_variant_has_no_name() {
        let plain = variants_of(None);
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].name, None);
        assert_eq!(plain[0].slug(), "default");
        assert_eq!(plain[0].label(None), "kernel");
        let plans = kernel_plans(&[], &plain).unwrap();
        assert_eq!(plans[0].names(&plain), None);
    }

    fn spec(name: &str, config: &[&Path]) -> VariantSpec {
        VariantSpec {
            name: Some(name.into()),
            config: config.iter().map(|p| p.to_path_buf()).collect(),
            append: vec![format!("impl={name}")],
        }
    }

    /// One kernel per distinct merged config: what kbuild is asked for,
    /// not which files ask it.
    #[test]
    fn one_kernel_per_distinct_config() {
        let d = tempfile::tempdir().unwrap();
        let w = |n: &str, text: &str| {
            let p = d.path().join(n);
            std::fs::write(&p, text).unwrap();
            p
        };
        let base = w("base.config", "CONFIG_A=y\nCONFIG_RUST_IMPL=n\n");
        let c = w("c.config", "# CONFIG_RUST_IMPL is not set\n");
        let rust = w("rust.config", "CONFIG_RUST_IMPL=y\n");
        let rust2 = w(
            "rust-again.config",
            "# same as rust.config\nCONFIG_RUST_IMPL=y\n",
        );
        let kunit = w("kunit.config", "CONFIG_KUNIT=y\n");
        let frags = vec![base.clone()];
        let names = |plans: &[KernelPlan], specs: &[VariantSpec]| -> Vec<String> {
            plans
                .iter()
                .map(|p| p.names(specs).unwrap_or_default())
                .collect()
        };

        // Command line only: one kernel for all.
        let specs = [spec("C", &[]), spec("Rust", &[])];
        let plans = kernel_plans(&frags, &specs).unwrap();
        assert_eq!(names(&plans, &specs), ["C, Rust"]);
        assert_eq!(plans[0].fragments, frags);

        // c.config only repeats the base: it shares the plain kernel.
        let specs = [
            spec("plain", &[]),
            spec("C", &[&c]),
            spec("Rust", &[&rust]),
            spec("Rust2", &[&rust2]),
            spec("Rust+KUnit", &[&rust, &kunit]),
        ];
        let plans = kernel_plans(&frags, &specs).unwrap();
        assert_eq!(
            names(&plans, &specs),
            ["plain, C", "Rust, Rust2", "Rust+KUnit"]
        );
        // The first variant's files configure a shared kernel, after the
        // common fragments.
        assert_eq!(plans[1].fragments, [base.clone(), rust.clone()]);
        assert_eq!(plans[2].fragments, [base, rust, kunit]);
        assert_eq!(plans[2].variants, [4]);

        // A fragment that does not parse names the variant.
        let bad = w("bad.config", "CONFIG_X\n");
        let e = kernel_plans(&frags, &[spec("Broken", &[&bad])]).unwrap_err();
        let e = format!("{e:#}");
        assert!(e.starts_with("config of variant Broken: "), "{e}");
        assert!(e.contains("bad.config:1"), "{e}");
    }

    #[test]
    fn variant_config_lists_each_fragments_options() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("rust.config");
        std::fs::write(&f, "CONFIG_FS_DAX_PMD_RUST=y\n# CONFIG_X is not set\n").unwrap();
        let c = variant_config(&spec("Rust", &[&f])).unwrap();
        assert_eq!(c[0].file, "rust.config");
        assert_eq!(
            c[0].text(),
            "rust.config: CONFIG_FS_DAX_PMD_RUST=y CONFIG_X=n"
        );
        assert!(variant_config(&spec("C", &[])).unwrap().is_empty());
    }

    #[test]
    fn unbuilt_variants_are_judged_by_blame() {
        let d = Path::new("/r");
        let v = unbuilt_variant("s", "c", &[], &[], None, d, "make failed", Blame::Series);
        assert_eq!(v.exit_code(), judge::exit::BAD);
        let v = unbuilt_variant("s", "c", &[], &[], None, d, "make failed", Blame::Base);
        assert_eq!(v.exit_code(), judge::exit::CANNOT_TEST);
    }
}
