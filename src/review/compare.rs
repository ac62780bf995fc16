//! `daxkit review --compare OLD NEW`: two revisions of a series side by
//! side. Each side is a review folder (what `daxkit review` wrote: its
//! patches, check-series rows and report), a thread (mbox, maildir or
//! message-id, through b4), or a series folder / mbox daxkit loads. Patches
//! are matched by patch-id (`git patch-id --stable`), then by subject;
//! when both sides carry results, the per-patch checks and each case on
//! each variant are compared too. Nothing is built or booted.

use super::b4;
use crate::apply;
use crate::check_series::PatchRow;
use crate::home::Home;
use crate::report::model::Report;
use crate::report::view::{self, Cell};
use crate::series::{self, Patch};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// One side of the comparison.
pub struct Side {
    pub label: String,
    pub patches: Vec<Patch>,
    pub rows: Option<Vec<PatchRow>>,
    pub report: Option<Report>,
}

/// Loads a side: a review folder, a series folder or mbox, or a thread.
pub fn load(home: &Home, spec: &str, scratch: &Path) -> Result<Side> {
    let p = Path::new(spec);
    if p.join("review.json").is_file() {
        let s = series::load(&p.join("series").display().to_string())
            .with_context(|| format!("review folder {spec}"))?;
        let review: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("review.json"))?)
                .with_context(|| format!("{spec}/review.json"))?;
        let rows = serde_json::from_value(review["check_series"].clone()).ok();
        let report = Some(p.join("report.json"))
            .filter(|r| r.is_file())
            .map(|r| crate::report::json::load(&r))
            .transpose()?;
        return Ok(Side {
            label: format!("v{} ({spec})", s.version),
            patches: s.patches,
            rows,
            report,
        });
    }
    // A series folder (series.yaml or format-patch files) or an mbox that
    // daxkit reads as a series; a thread with replies goes through b4.
    let is_series = p.is_dir() && (p.join("series.yaml").is_file() || has_patch_files(p));
    if is_series {
        let s = series::load(spec)?;
        return Ok(Side {
            label: format!("{} v{}", s.name, s.version),
            patches: s.patches,
            rows: None,
            report: None,
        });
    }
    let source = b4::Source::parse(spec)?;
    let venv = b4::require_b4(home)?;
    let thread = match source {
        b4::Source::Local(p) => p,
        b4::Source::Remote(id) => b4::fetch_thread(&venv, &id, &scratch.join("thread"), false)?,
    };
    let am = b4::am(&venv, &thread, None, false, &scratch.join("b4"))?;
    let s = series::load(&am.mbx.display().to_string())?;
    let revision = b4::messages(&venv, &am.mbx)?
        .first()
        .map_or(1, |m| super::revision_of(&m.subject));
    Ok(Side {
        label: format!("v{revision} ({spec})"),
        patches: s.patches,
        rows: None,
        report: None,
    })
}

fn has_patch_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.filter_map(|e| e.ok())
            .any(|e| e.path().extension().is_some_and(|x| x == "patch"))
    })
}

/// How a patch of NEW relates to OLD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Same patch-id (the diff is the same).
    Same(usize),
    /// Same subject, another diff.
    Changed(usize),
    New,
}

/// For each patch of `new`, its counterpart in `old`; then the old
/// patches nothing matched (dropped).
pub fn match_patches(old: &[Patch], new: &[Patch]) -> (Vec<Match>, Vec<usize>) {
    let id = |p: &Patch| apply::patch_id(&p.diff).ok();
    let old_ids: Vec<_> = old.iter().map(id).collect();
    let mut used = vec![false; old.len()];
    let mut out = vec![Match::New; new.len()];
    for (j, p) in new.iter().enumerate() {
        let pid = id(p);
        if let Some(i) = (0..old.len()).find(|&i| !used[i] && pid.is_some() && old_ids[i] == pid) {
            used[i] = true;
            out[j] = Match::Same(i);
        }
    }
    for (j, p) in new.iter().enumerate() {
        if out[j] != Match::New {
            continue;
        }
        if let Some(i) = (0..old.len()).find(|&i| !used[i] && old[i].subject == p.subject) {
            used[i] = true;
            out[j] = Match::Changed(i);
        }
    }
    let dropped = (0..old.len()).filter(|&i| !used[i]).collect();
    (out, dropped)
}

fn row_text(r: &PatchRow) -> String {
    let (e, w, c) = r.checkpatch;
    format!(
        "checkpatch {e}/{w}/{c}, build {}{}",
        if r.build_ok { "ok" } else { "FAIL" },
        r.cases
            .map_or(String::new(), |c| format!(", cases exit {c}"))
    )
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Judged { j, .. } => format!("{} {}", j.verdict, j.status.word()),
        Cell::Missing => "not run".to_owned(),
    }
}

/// The comparison as text.
pub fn render(old: &Side, new: &Side) -> String {
    let mut o = format!("old: {}\nnew: {}\n\npatches:\n", old.label, new.label);
    let (m, dropped) = match_patches(&old.patches, &new.patches);
    let (no, nn) = (old.patches.len(), new.patches.len());
    for (j, how) in m.iter().enumerate() {
        let (was, word) = match how {
            Match::Same(i) => (format!("{}/{no}", i + 1), "same diff"),
            Match::Changed(i) => (format!("{}/{no}", i + 1), "changed"),
            Match::New => ("-".to_owned(), "new"),
        };
        o += &format!(
            "  {:>6} -> {:<6} {:<10} {}\n",
            was,
            format!("{}/{nn}", j + 1),
            word,
            new.patches[j].subject
        );
        if let (Some(or), Some(nr), Match::Same(i) | Match::Changed(i)) =
            (&old.rows, &new.rows, how)
        {
            if let (Some(a), Some(b)) = (or.get(*i), nr.get(j)) {
                let (ta, tb) = (row_text(a), row_text(b));
                if ta != tb {
                    o += &format!("         checks: {ta} -> {tb}\n");
                }
            }
        }
    }
    for i in dropped {
        o += &format!(
            "  {:>6} -> {:<6} {:<10} {}\n",
            format!("{}/{no}", i + 1),
            "-",
            "dropped",
            old.patches[i].subject
        );
    }
    if let (Some(a), Some(b)) = (&old.report, &new.report) {
        o += "\ncases (variant, case: old -> new):\n";
        let mut same = 0;
        let mut keys = view::case_keys(a);
        for k in view::case_keys(b) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        for vb in &b.variants {
            let va = a.variants.iter().find(|v| v.name == vb.name);
            for k in &keys {
                let before = va.map_or("not run".to_owned(), |v| cell_text(&view::cell(v, k)));
                let after = cell_text(&view::cell(vb, k));
                if before == after {
                    same += 1;
                } else {
                    o += &format!("  {}, {}: {before} -> {after}\n", vb.name, k.label());
                }
            }
        }
        o += &format!("  ({same} unchanged)\n");
        o += &format!(
            "\nold: {}\nnew: {}\n",
            crate::report::summary_line(a),
            crate::report::summary_line(b)
        );
    } else {
        o += "\n(no case results on both sides: compare two review folders for those)\n";
    }
    o
}

pub fn cmd(home: &Home, old: &str, new: &str) -> Result<i32> {
    let scratch = tempdir_in(home)?;
    let a = load(home, old, &scratch.join("old"))?;
    let b = load(home, new, &scratch.join("new"))?;
    print!("{}", render(&a, &b));
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(crate::exit::GOOD)
}

fn tempdir_in(home: &Home) -> Result<PathBuf> {
    let d = home.root.join("tmp").join(format!(
        "compare-{}-{}",
        crate::home::utc_stamp(),
        std::process::id()
    ));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(subject: &str, line: &str) -> Patch {
        Patch {
            source: "t".into(),
            subject: subject.into(),
            number: None,
            author_name: "A".into(),
            author_email: "a@b".into(),
            date: (0, 0),
            message: subject.into(),
            diff: format!(
                "diff --git a/f b/f\nindex 1111111..2222222 100644\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+{line}\n c\n"
            ),
        }
    }

    #[test]
    fn patches_match_by_patch_id_then_subject() {
        let old = vec![patch("one", "x"), patch("two", "y"), patch("three", "z")];
        // "one" renamed but the same diff; "two" reworked; "three" dropped; "four" new.
        let new = vec![
            patch("one, renamed", "x"),
            patch("two", "y2"),
            patch("four", "w"),
        ];
        let (m, dropped) = match_patches(&old, &new);
        assert_eq!(m, vec![Match::Same(0), Match::Changed(1), Match::New]);
        assert_eq!(dropped, vec![2]);
        let side = |p: Vec<Patch>| Side {
            label: "x".into(),
            patches: p,
            rows: None,
            report: None,
        };
        let text = render(&side(old), &side(new));
        assert!(
            text.contains("1/3 -> 1/3    same diff  one, renamed"),
            "{text}"
        );
        assert!(text.contains("2/3 -> 2/3    changed    two"), "{text}");
        assert!(text.contains("- -> 3/3    new        four"), "{text}");
        assert!(text.contains("3/3 -> -      dropped    three"), "{text}");
    }

    #[test]
    fn case_changes_between_two_reports() {
        let old = crate::report::fixture::report();
        let mut new = old.clone();
        // The Rust variant, which panicked part-way, fixed: it now gets what stock gets.
        new.variants[2].run = new.variants[0].run.clone();
        let side = |r: Report| Side {
            label: "x".into(),
            patches: vec![],
            rows: None,
            report: Some(r),
        };
        let text = render(&side(old), &side(new.clone()));
        assert!(text.contains("dax-pmd (Rust), "), "{text}");
        assert!(!text.contains("dax-pmd (C), "), "C did not change: {text}");
        assert!(text.contains(" unchanged)"), "{text}");
        assert!(!text.contains("stock, "), "stock did not change: {text}");
        let same = render(&side(new.clone()), &side(new));
        assert!(
            !same
                .lines()
                .any(|l| l.starts_with("  ") && l.contains(" -> ")),
            "{same}"
        );
    }
}
