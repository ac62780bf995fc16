//! The report as data: what `reproduce`, `ci` and `report merge` write as
//! `report.json` and every renderer (Markdown, JUnit, HTML, one-line
//! summary) reads. Renderers never look at run folders; this is the whole
//! contract between running and reporting.

use daxkit_harness::protocol::{BenchResult, CaseResult, Mapping};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped on incompatible changes; `report merge` refuses other versions.
pub const REPORT_FORMAT: u32 = 1;

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
    /// Extra kernel command-line parameters of this variant.
    pub append: Vec<String>,
    /// The run folder: console.log, results.jsonl, build log, config.
    pub run_dir: String,
    /// `completed`, `panic`, `timeout`, `protocol-error`, `qemu-failed`,
    /// `build-failed`, `interrupted`.
    pub outcome: String,
    /// One line: why the run got its exit code.
    pub detail: String,
    /// 0 good, 1 bad, 125 cannot test.
    pub exit_code: i32,
    /// `uname -r` from the guest's hello.
    pub guest_kernel: Option<String>,
    pub accel: String,
    pub hello_s: Option<f64>,
    pub total_s: f64,
    pub cases: Vec<CaseResult>,
    /// Expected mapping per case name for this variant, where it differs
    /// from the guest's stock expectation (from series.yaml `expect`).
    pub expect: BTreeMap<String, Mapping>,
    /// (case, message) error records from the guest.
    pub errors: Vec<(Option<String>, String)>,
    pub bench: Vec<BenchResult>,
}

/// How one case came out in one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseStatus {
    /// Verdict as expected and the signals agree.
    Pass,
    /// Verdict differs from the expectation.
    Mismatch,
    /// The signals that could tell disagree with each other.
    Disagree,
    /// No signal could tell.
    Unknown,
}

impl Variant {
    /// The expectation for `case` in this variant: `fs/name`, then
    /// `name` in [`Variant::expect`], else the guest's stock expectation.
    pub fn expected(&self, case: &CaseResult) -> Mapping {
        self.expect
            .get(&format!("{}/{}", case.fs, case.name))
            .or_else(|| self.expect.get(&case.name))
            .copied()
            .unwrap_or(case.expected)
    }

    pub fn status(&self, case: &CaseResult) -> CaseStatus {
        if case.disagreement {
            CaseStatus::Disagree
        } else if case.verdict == Mapping::Unknown {
            CaseStatus::Unknown
        } else if case.verdict == self.expected(case) {
            CaseStatus::Pass
        } else {
            CaseStatus::Mismatch
        }
    }

    /// Good when the run completed and every case passed.
    pub fn good(&self) -> bool {
        self.outcome == "completed"
            && self.errors.is_empty()
            && self
                .cases
                .iter()
                .all(|c| self.status(c) == CaseStatus::Pass)
    }
}

impl Report {
    /// 0 when every variant is good, 125 when any could not be tested
    /// (and none is bad), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.variants.iter().all(Variant::good) {
            0
        } else if self
            .variants
            .iter()
            .all(|v| v.good() || v.exit_code == crate::exit::SKIP)
        {
            crate::exit::SKIP
        } else {
            crate::exit::BAD
        }
    }
}
