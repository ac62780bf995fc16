//! The report as data: what `reproduce`, `ci` and `report merge` write as
//! `report.json` and every renderer (Markdown, JUnit, HTML, one-line
//! summary) reads. Renderers never look at run folders; this is the whole
//! contract between running and reporting.

use super::reproducer::Reproducer;
use crate::vm::plan::Accel;
use daxkit_harness::judge::{self, Class, Evidence, Judgement};
use daxkit_harness::protocol::BenchResult;
use serde::{Deserialize, Serialize};

/// Bumped when the shape changes; `report merge` reads this format and
/// the ones in [`READS_FORMATS`].
pub const REPORT_FORMAT: u32 = 3;

/// Formats this daxkit reads. 2 lacks each variant's `config` (read as
/// none: format 2 variants differed only by command line) and the KUnit
/// results (`ktap`, read as none).
pub const READS_FORMATS: [u32; 2] = [2, REPORT_FORMAT];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: u32,
    /// daxkit version that wrote it.
    pub daxkit: String,
    /// UTC, `YYYYmmddTHHMMSSZ`.
    pub created: String,
    /// e.g. "dax-pmd v1 on Linux 6.12.117".
    pub title: String,
    pub base: BaseInfo,
    pub series: Option<SeriesInfo>,
    /// Stock first, then the series' variants (e.g. C and Rust).
    pub variants: Vec<Variant>,
    /// What it takes to rerun it (`daxkit rerun`). Optional within format
    /// 3: reports of daxkits before it, and merged reports of several
    /// runs, have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproducer: Option<Reproducer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseInfo {
    /// Tag or revision, e.g. `debian-6.12.117`.
    pub name: String,
    pub commit: String,
    pub kernel_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesInfo {
    pub name: String,
    pub version: u32,
    /// (commit, subject) per patch, in order.
    pub patches: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// "stock", "dax-pmd (C)", "dax-pmd (Rust)".
    pub name: String,
    /// Kernel commit that was built.
    pub commit: String,
    /// The variant's own Kconfig fragments (merged after the series'),
    /// each with the options it sets; empty when it differs by command
    /// line only.
    #[serde(default)]
    pub config: Vec<Fragment>,
    /// Extra kernel command-line parameters of this variant.
    pub append: Vec<String>,
    /// The run folder: console.log, results.jsonl, build log, config.
    pub run_dir: String,
    /// What the (first) boot left behind: outcome, plan, cases, errors,
    /// splats, expectations. The verdict is never stored; it is the
    /// judge's, from this evidence, every time it is read.
    #[serde(flatten)]
    pub run: Evidence,
    /// Further boots of the same kernel (`--repeat N`), in order.
    #[serde(default)]
    pub repeats: Vec<Evidence>,
    /// `--allow-flaky`: a case whose verdict differs between repeats is
    /// reported, and does not fail the variant.
    #[serde(default)]
    pub allow_flaky: bool,
    /// The accelerators its boots ran under, in the order first seen:
    /// one, more when `report merge` joined jobs that ran under different
    /// ones, none when it never booted. Stored as one string, as before
    /// it was typed: `"kvm"`, `"kvm/tcg"`, `""`.
    #[serde(with = "accel_list")]
    pub accel: Vec<Accel>,
    pub hello_s: Option<f64>,
    pub total_s: f64,
    pub bench: Vec<BenchResult>,
}

/// `Variant::accel` as `report.json` has always stored it: the names
/// joined by `/`, `""` for none.
mod accel_list {
    use super::Accel;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[Accel], s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<&str> = v.iter().map(|a| a.name()).collect();
        s.serialize_str(&names.join("/"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Accel>, D::Error> {
        let text = String::deserialize(d)?;
        text.split('/')
            .filter(|n| !n.is_empty())
            .map(|n| match n {
                "kvm" => Ok(Accel::Kvm),
                "tcg" => Ok(Accel::Tcg),
                _ => Err(D::Error::custom(format!("unknown accelerator {n:?}"))),
            })
            .collect()
    }
}

/// A Kconfig fragment as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    /// File name, e.g. `rust.config`.
    pub file: String,
    /// (`CONFIG_NAME`, value) in file order of names; `n` for "is not set".
    pub options: Vec<(String, String)>,
}

impl Fragment {
    /// `rust.config: CONFIG_FS_DAX_PMD_RUST=y CONFIG_X=n`.
    pub fn text(&self) -> String {
        let opts: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if opts.is_empty() {
            format!("{} (sets nothing)", self.file)
        } else {
            format!("{}: {}", self.file, opts.join(" "))
        }
    }
}

impl Variant {
    /// The variant's own config in one line (`—` when it has none).
    pub fn config_text(&self) -> String {
        if self.config.is_empty() {
            "—".to_owned()
        } else {
            self.config
                .iter()
                .map(Fragment::text)
                .collect::<Vec<_>>()
                .join("; ")
        }
    }

    /// The judge's verdict on every boot of this variant.
    pub fn judgement(&self) -> Judgement {
        let mut all = vec![judge::judge(&self.run)];
        all.extend(self.repeats.iter().map(judge::judge));
        judge::combine_repeats(&all, self.allow_flaky)
    }

    pub fn exit_code(&self) -> i32 {
        self.judgement().code()
    }

    pub fn good(&self) -> bool {
        self.judgement().class == Class::Good
    }
}

impl Report {
    /// The worst class of any variant: 0 when every variant is good, 1
    /// when any is bad, 125 when any could not be tested (and none is
    /// bad); a report without variants tested nothing (125).
    pub fn exit_code(&self) -> i32 {
        let classes: Vec<Class> = self.variants.iter().map(|v| v.judgement().class).collect();
        judge::combine_variants(&classes).code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accel_keeps_its_string_shape() {
        let mut v = crate::report::fixture::report().variants.remove(0);
        for (accel, text) in [
            (vec![], ""),
            (vec![Accel::Tcg], "tcg"),
            (vec![Accel::Kvm, Accel::Tcg], "kvm/tcg"),
        ] {
            v.accel = accel;
            let json = serde_json::to_value(&v).unwrap();
            assert_eq!(json["accel"], text);
            let back: Variant = serde_json::from_value(json).unwrap();
            assert_eq!(back, v);
        }
        let mut json = serde_json::to_value(&v).unwrap();
        json["accel"] = "hvf".into();
        assert!(serde_json::from_value::<Variant>(json).is_err());
    }
}
