//! The reproducer record: what a report keeps so that its run can be
//! repeated (`daxkit rerun REPORT.json`) and a rerun can say which input
//! changed — the command line, daxkit's version and commit, the base
//! commit, each patch's patch-id, each Kconfig fragment's SHA-256, the
//! host's gcc/rustc/bindgen/QEMU versions, the accelerator and the host
//! kernel.
//!
//! [`host`] asks the host once per process; everything else here is pure.

use super::model::Report;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reproducer {
    /// daxkit's arguments without the program name, e.g.
    /// `["reproduce", "dax-pmd", "--case", "xfs-aligned-shared-write"]`.
    pub command: Vec<String>,
    /// The folder it ran in: relative paths in `command` are from here.
    pub cwd: String,
    pub daxkit_version: String,
    /// The commit daxkit was built from (`None` outside a git checkout).
    pub daxkit_commit: Option<String>,
    /// The base commit (full hex).
    pub base: String,
    /// The series' patches in order (none without a series).
    pub patches: Vec<PatchRecord>,
    /// Every Kconfig fragment the kernels were configured with (defaults,
    /// `--fragment`, the series' and its variants'), in order.
    pub fragments: Vec<FileRecord>,
    pub host: HostVersions,
    /// The accelerator the boots used (`kvm`, `tcg`; several joined by
    /// `, ` when the variants differ).
    pub accel: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchRecord {
    pub subject: String,
    /// `git patch-id --stable` of the patch's diff.
    pub patch_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Relative to daxkit's shipped files (`kernel-config/base.config`,
    /// `patches/dax-pmd/rust.config`), else the path as used.
    pub file: String,
    pub sha256: String,
}

/// Tool versions of the host that built and booted the kernels; `none`
/// for a tool the host lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostVersions {
    pub gcc: String,
    pub rustc: String,
    pub bindgen: String,
    pub qemu: String,
    /// `uname -r`.
    pub kernel: String,
}

impl HostVersions {
    /// (label, value) in the order reports show them.
    fn fields(&self) -> [(&'static str, &str); 5] {
        [
            ("gcc", &self.gcc),
            ("rustc", &self.rustc),
            ("bindgen", &self.bindgen),
            ("QEMU", &self.qemu),
            ("host kernel", &self.kernel),
        ]
    }
}

/// The host's versions, asked once per process.
pub fn host() -> &'static HostVersions {
    static HOST: OnceLock<HostVersions> = OnceLock::new();
    HOST.get_or_init(|| {
        let out = |tool: &str, arg: &str| -> Option<String> {
            let path = crate::exec::find_tool(tool)?;
            crate::exec::Cmd::new(path).arg(arg).read().ok()
        };
        let word_after = |text: Option<String>, after: &str| -> String {
            text.as_deref()
                .and_then(|t| t.lines().next())
                .and_then(|l| {
                    let mut w = l.split_whitespace();
                    w.find(|x| *x == after)?;
                    w.next().map(str::to_owned)
                })
                .unwrap_or_else(|| "none".to_owned())
        };
        HostVersions {
            gcc: out("gcc", "-dumpfullversion")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "none".to_owned()),
            rustc: word_after(out("rustc", "--version"), "rustc"),
            bindgen: word_after(out("bindgen", "--version"), "bindgen"),
            qemu: word_after(out("qemu-system-x86_64", "--version"), "version"),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "unknown".to_owned()),
        }
    })
}

/// The record of a run that ran `command` in the current folder on
/// `base`, with `series`' patches and `fragments` (every fragment path,
/// repeats allowed), whose boots are `variants`.
pub fn record(
    command: Vec<String>,
    base: &str,
    series: Option<&crate::series::Series>,
    fragments: &[std::path::PathBuf],
    variants: &[super::model::Variant],
) -> anyhow::Result<Reproducer> {
    use anyhow::Context;
    let patches = series
        .map(|s| s.patches.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|p| {
            Ok(PatchRecord {
                subject: p.subject.clone(),
                patch_id: crate::apply::patch_id(&p.diff)
                    .with_context(|| format!("{}: unreadable diff", p.source))?
                    .to_string(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shipped = crate::assets::get().ok().map(|a| a.root.clone());
    let cwd = std::env::current_dir().ok();
    let roots: Vec<&Path> = shipped.iter().chain(&cwd).map(|p| p.as_path()).collect();
    let mut files: Vec<FileRecord> = Vec::new();
    for f in fragments {
        let file = file_name(f, &roots);
        if !files.iter().any(|r| r.file == file) {
            files.push(FileRecord {
                file,
                sha256: sha256_file(f)?,
            });
        }
    }
    let mut accel: Vec<&str> = Vec::new();
    for v in variants {
        for a in &v.accel {
            if !accel.contains(&a.name()) {
                accel.push(a.name());
            }
        }
    }
    Ok(Reproducer {
        command,
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        daxkit_version: env!("CARGO_PKG_VERSION").to_owned(),
        daxkit_commit: daxkit_commit(),
        base: base.to_owned(),
        patches,
        fragments: files,
        host: host().clone(),
        accel: if accel.is_empty() {
            "none (nothing booted)".to_owned()
        } else {
            accel.join(", ")
        },
    })
}

/// daxkit's own arguments (without the program name).
pub fn this_command() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// The commit daxkit was built from (set by `build.rs`).
pub fn daxkit_commit() -> Option<String> {
    option_env!("DAXKIT_GIT_COMMIT")
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

/// SHA-256 of a file, hex; an unreadable file is an input error naming it.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    let bytes =
        std::fs::read(path).with_context(|| format!("reading fragment {}", path.display()))?;
    Ok(hex(&Sha256::digest(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fragment's name in the record: relative to the first of `roots`
/// (daxkit's shipped files, then the folder it runs in) it is under, else
/// as given; so `patches/dax-pmd/c.config` names the same file whether it
/// came from a checkout, the unpacked assets or `./patches`.
pub fn file_name(path: &Path, roots: &[&Path]) -> String {
    roots
        .iter()
        .find_map(|root| path.strip_prefix(root).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One shell word: quoted when it holds anything but safe characters.
fn shell_word(w: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !w.is_empty() && w.chars().all(safe) {
        w.to_owned()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

impl Reproducer {
    /// `daxkit reproduce dax-pmd --case 'a b'`.
    pub fn command_line(&self) -> String {
        std::iter::once("daxkit".to_owned())
            .chain(self.command.iter().map(|w| shell_word(w)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// daxkit's version and, when known, its commit (12 digits).
    pub fn daxkit_text(&self) -> String {
        match &self.daxkit_commit {
            Some(c) => format!("{} ({})", self.daxkit_version, short(c)),
            None => self.daxkit_version.clone(),
        }
    }

    /// (label, value) rows, the same in every report format.
    pub fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("command".to_owned(), self.command_line()),
            ("folder".to_owned(), self.cwd.clone()),
            ("daxkit".to_owned(), self.daxkit_text()),
            ("base".to_owned(), self.base.clone()),
        ];
        for (i, p) in self.patches.iter().enumerate() {
            rows.push((
                format!("patch {}", i + 1),
                format!("{} {}", p.patch_id, p.subject),
            ));
        }
        for f in &self.fragments {
            rows.push((format!("fragment {}", f.file), f.sha256.clone()));
        }
        for (k, v) in self.host.fields() {
            rows.push((k.to_owned(), v.to_owned()));
        }
        rows.push(("accelerator".to_owned(), self.accel.clone()));
        rows
    }

    /// The environment in one line, for a mail: `daxkit 0.1.0 (abc), gcc
    /// 12.2.0, rustc 1.83.0, bindgen 0.65.1, QEMU 7.2.22, kvm, host kernel 6.1.0`.
    pub fn environment(&self) -> String {
        let mut parts = vec![format!("daxkit {}", self.daxkit_text())];
        for (k, v) in self.host.fields() {
            parts.push(format!("{k} {v}"));
        }
        parts.insert(5, self.accel.clone());
        parts.join(", ")
    }
}

fn short(c: &str) -> &str {
    &c[..c.len().min(12)]
}

/// Each input that differs between `old` and `new`, one line each
/// (`gcc 12.2.0 → 12.3.0`, `patch 3 patch-id differs (...)`); empty
/// when the run was repeated from the same inputs.
pub fn diff(old: &Reproducer, new: &Reproducer) -> Vec<String> {
    let mut out = Vec::new();
    let mut changed = |what: &str, a: &str, b: &str| {
        if a != b {
            out.push(format!("{what} {a} → {b}"));
        }
    };
    changed("command", &old.command_line(), &new.command_line());
    changed("folder", &old.cwd, &new.cwd);
    changed("daxkit", &old.daxkit_text(), &new.daxkit_text());
    changed("base", short(&old.base), short(&new.base));
    for ((k, a), (_, b)) in old.host.fields().into_iter().zip(new.host.fields()) {
        changed(k, a, b);
    }
    changed("accelerator", &old.accel, &new.accel);
    if old.patches.len() != new.patches.len() {
        out.push(format!(
            "patches {} → {}",
            old.patches.len(),
            new.patches.len()
        ));
    }
    for (i, (a, b)) in old.patches.iter().zip(&new.patches).enumerate() {
        if a.patch_id != b.patch_id {
            out.push(format!(
                "patch {} patch-id differs ({} → {}: {})",
                i + 1,
                short(&a.patch_id),
                short(&b.patch_id),
                b.subject
            ));
        } else if a.subject != b.subject {
            out.push(format!(
                "patch {} subject {:?} → {:?}",
                i + 1,
                a.subject,
                b.subject
            ));
        }
    }
    let index = |r: &Reproducer| -> BTreeMap<String, String> {
        r.fragments
            .iter()
            .map(|f| (f.file.clone(), f.sha256.clone()))
            .collect()
    };
    let (a, b) = (index(old), index(new));
    let moved = |h: &String| {
        b.iter()
            .find(|(f, h2)| *h2 == h && !a.contains_key(*f))
            .map(|(f, _)| f.clone())
    };
    for (file, h) in &a {
        match b.get(file) {
            None => match moved(h) {
                Some(to) => out.push(format!("fragment {file} is now {to} (same sha256)")),
                None => out.push(format!("fragment {file} no longer used")),
            },
            Some(h2) if h2 != h => out.push(format!(
                "fragment {file} sha256 differs ({} → {})",
                short(h),
                short(h2)
            )),
            Some(_) => {}
        }
    }
    for (file, h) in b.iter().filter(|(f, _)| !a.contains_key(*f)) {
        if !a.iter().any(|(f, h0)| h0 == h && !b.contains_key(f)) {
            out.push(format!("fragment {file} newly used"));
        }
    }
    out
}

/// Each case (and variant) whose outcome differs between two reports,
/// by the judge's status: `dax-pmd (C) xfs/xfs-aligned-shared-write:
/// pass → mismatch`.
pub fn outcome_changes(old: &Report, new: &Report) -> Vec<String> {
    let status = |s: &daxkit_harness::judge::CaseStatus| {
        serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{s:?}").to_lowercase())
    };
    let mut out = Vec::new();
    for ov in &old.variants {
        let Some(nv) = new.variants.iter().find(|v| v.name == ov.name) else {
            out.push(format!("{}: no longer run", ov.name));
            continue;
        };
        let (oj, nj) = (ov.judgement(), nv.judgement());
        let cases = |j: &daxkit_harness::judge::Judgement| -> BTreeMap<String, String> {
            j.cases
                .iter()
                .map(|c| (c.key(), status(&c.status)))
                .collect()
        };
        let (oc, nc) = (cases(&oj), cases(&nj));
        let mut any = false;
        for (k, s) in &oc {
            let now = nc.get(k).map_or("not run", String::as_str);
            if now != s {
                out.push(format!("{} {k}: {s} → {now}", ov.name));
                any = true;
            }
        }
        for (k, s) in nc.iter().filter(|(k, _)| !oc.contains_key(*k)) {
            out.push(format!("{} {k}: not run → {s}", ov.name));
            any = true;
        }
        if !any && oj.code() != nj.code() {
            out.push(format!(
                "{}: exit {} → {} ({})",
                ov.name,
                oj.code(),
                nj.code(),
                nj.why()
            ));
        }
    }
    for nv in new
        .variants
        .iter()
        .filter(|n| !old.variants.iter().any(|o| o.name == n.name))
    {
        out.push(format!("{}: newly run", nv.name));
    }
    out
}

#[cfg(test)]
pub(crate) fn fixture() -> Reproducer {
    Reproducer {
        command: vec![
            "reproduce".into(),
            "dax-pmd".into(),
            "--case".into(),
            "xfs-aligned-shared-write".into(),
        ],
        cwd: "/src/linux".into(),
        daxkit_version: "0.1.0".into(),
        daxkit_commit: Some("47ff74d0a1b2c3d4e5f60718293a4b5c6d7e8f90".into()),
        base: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c".into(),
        patches: vec![
            PatchRecord {
                subject: "fs/proc: account DAX mappings in smaps".into(),
                patch_id: "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a".into(),
            },
            PatchRecord {
                subject: "dax: report why a PMD fault fell back".into(),
                patch_id: "2222222222222222222222222222222222222222".into(),
            },
            PatchRecord {
                subject: "rust: dax: the PMD fallback decision in Rust".into(),
                patch_id: "7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c".into(),
            },
        ],
        fragments: vec![
            FileRecord {
                file: "kernel-config/base.config".into(),
                sha256: "aa".repeat(32),
            },
            FileRecord {
                file: "patches/dax-pmd/rust.config".into(),
                sha256: "bb".repeat(32),
            },
        ],
        host: HostVersions {
            gcc: "12.2.0".into(),
            rustc: "1.83.0".into(),
            bindgen: "0.65.1".into(),
            qemu: "7.2.22".into(),
            kernel: "6.1.0-28-amd64".into(),
        },
        accel: "tcg".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let r = fixture();
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Reproducer>(&text).unwrap(), r);
    }

    #[test]
    fn same_inputs_have_no_difference() {
        assert!(diff(&fixture(), &fixture()).is_empty());
    }

    #[test]
    fn diff_names_each_difference() {
        let old = fixture();
        let mut new = fixture();
        new.host.gcc = "12.3.0".into();
        new.host.qemu = "8.0.0".into();
        new.accel = "kvm".into();
        new.patches[1].patch_id = "3333333333333333333333333333333333333333".into();
        new.fragments[0].sha256 = "cc".repeat(32);
        new.fragments.pop();
        new.fragments.push(FileRecord {
            file: "extra.config".into(),
            sha256: "dd".repeat(32),
        });
        new.base = "0123456789abcdef0123456789abcdef01234567".into();
        new.command.push("--fs".into());
        new.command.push("xfs".into());
        new.daxkit_commit = None;
        assert_eq!(
            diff(&old, &new),
            [
                "command daxkit reproduce dax-pmd --case xfs-aligned-shared-write → \
                 daxkit reproduce dax-pmd --case xfs-aligned-shared-write --fs xfs",
                "daxkit 0.1.0 (47ff74d0a1b2) → 0.1.0",
                "base 0f1e2d3c4b5a → 0123456789ab",
                "gcc 12.2.0 → 12.3.0",
                "QEMU 7.2.22 → 8.0.0",
                "accelerator tcg → kvm",
                "patch 2 patch-id differs (222222222222 → 333333333333: dax: report \
                 why a PMD fault fell back)",
                "fragment kernel-config/base.config sha256 differs (aaaaaaaaaaaa → cccccccccccc)",
                "fragment patches/dax-pmd/rust.config no longer used",
                "fragment extra.config newly used",
            ]
        );
        let mut moved = fixture();
        moved.fragments[1].file = "/srv/patches/dax-pmd/rust.config".into();
        assert_eq!(
            diff(&old, &moved),
            [
                "fragment patches/dax-pmd/rust.config is now /srv/patches/dax-pmd/rust.config \
              (same sha256)"
            ]
        );
        assert_eq!(
            file_name(
                Path::new("/work/x/patches/dax-pmd/c.config"),
                &[Path::new("/cache/assets/k"), Path::new("/work/x")]
            ),
            "patches/dax-pmd/c.config"
        );
        let mut fewer = fixture();
        fewer.patches.pop();
        assert_eq!(diff(&old, &fewer), ["patches 3 → 2"]);
    }

    #[test]
    fn command_line_quotes_what_a_shell_would_split() {
        let mut r = fixture();
        r.command = vec!["reproduce".into(), "my series".into(), "it's".into()];
        assert_eq!(r.command_line(), r"daxkit reproduce 'my series' 'it'\''s'");
    }

    #[test]
    fn rows_and_environment() {
        let r = fixture();
        let rows = r.rows();
        assert_eq!(
            rows[0],
            (
                "command".to_owned(),
                "daxkit reproduce dax-pmd --case xfs-aligned-shared-write".to_owned()
            )
        );
        assert!(rows.contains(&(
            "patch 2".to_owned(),
            "2222222222222222222222222222222222222222 dax: report why a PMD fault fell back"
                .to_owned()
        )));
        assert!(rows.contains(&("QEMU".to_owned(), "7.2.22".to_owned())));
        assert_eq!(
            r.environment(),
            "daxkit 0.1.0 (47ff74d0a1b2), gcc 12.2.0, rustc 1.83.0, bindgen 0.65.1, \
             QEMU 7.2.22, tcg, host kernel 6.1.0-28-amd64"
        );
    }

    #[test]
    fn outcome_changes_name_each_case() {
        let old = crate::report::fixture::report();
        assert!(outcome_changes(&old, &old).is_empty());
        let mut new = old.clone();
        let v = &mut new.variants[1];
        let name = v.name.clone();
        let case = v.run.cases[0].clone();
        v.run.cases.remove(0);
        let changes = outcome_changes(&old, &new);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(
            changes[0].starts_with(&format!("{name} {}/{}: pass → ", case.fs, case.name)),
            "{changes:?}"
        );
        new.variants.pop();
        assert!(outcome_changes(&old, &new)
            .iter()
            .any(|c| c.ends_with(": no longer run")));
    }
}
