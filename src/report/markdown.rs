//! `report.md`: what a reviewer reads in a merge request or pastes into a
//! cover letter. The summary line, the variants, one comparison table
//! (rows: case/fs, columns: variants, cells `PMD ✓` / `PTE ✗ (expected PMD)`),
//! run-level failures, the evidence of every signal per case (folded in
//! `<details>`), and the fault benchmark beside the 2016 series' figure.

use super::model::Report;
use super::summary;
use super::view::{self, Cell, REFERENCE_2016};
use std::fmt::Write;

/// Text for a table cell: pipes escaped, line breaks folded.
fn cell(s: &str) -> String {
    view::one_line(s).replace('|', "\\|")
}

/// An inline code span that survives backticks in `s`.
fn code(s: &str) -> String {
    let s = view::one_line(s);
    let mut ticks = 1;
    while s.contains(&"`".repeat(ticks)) {
        ticks += 1;
    }
    let fence = "`".repeat(ticks);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Escapes text that goes inside HTML tags in Markdown (`<summary>`).
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let keys = view::case_keys(r);
    let _ = writeln!(o, "# daxkit report: {}\n", cell(&r.title));
    let _ = writeln!(o, "> {}\n", summary::line(r));
    let _ = writeln!(
        o,
        "Base `{}` ({}), Linux {}. Written {} by daxkit {}.\n",
        r.base.name,
        code(view::short(&r.base.commit)),
        r.base.kernel_version,
        r.created,
        r.daxkit
    );
    if let Some(s) = &r.series {
        let _ = writeln!(
            o,
            "Series **{} v{}**, {} patches:\n",
            s.name,
            s.version,
            s.patches.len()
        );
        for (i, (commit, subject)) in s.patches.iter().enumerate() {
            let _ = writeln!(o, "{}. {} {}", i + 1, code(view::short(commit)), subject);
        }
        o.push('\n');
    }

    o.push_str("## Variants\n\n");
    o.push_str(
        "| variant | commit | own config | command line | outcome | cases as expected | accel | time | exit |\n",
    );
    o.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for v in &r.variants {
        let (pass, total) = view::pass_count(r, v);
        let append = if v.append.is_empty() {
            "—".to_owned()
        } else {
            code(&v.append.join(" ")).replace('|', "\\|")
        };
        let outcome = if v.run.outcome == daxkit_harness::judge::Outcome::Completed {
            v.run.outcome.name().to_owned()
        } else {
            format!("**{}**", cell(v.run.outcome.name()))
        };
        let config = if v.config.is_empty() {
            "—".to_owned()
        } else {
            v.config
                .iter()
                .map(|f| code(&f.text()).replace('|', "\\|"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {pass}/{total} | {} | {:.1} s | {} |",
            cell(&v.name),
            code(view::short(&v.commit)),
            config,
            append,
            outcome,
            cell(&view::accel_label(v)),
            v.total_s,
            v.exit_code()
        );
    }
    o.push('\n');

    o.push_str("## Results\n\n| case |");
    for v in &r.variants {
        let _ = write!(o, " {} |", cell(&v.name));
    }
    o.push_str("\n|---|");
    o.push_str(&"---|".repeat(r.variants.len()));
    o.push('\n');
    for k in &keys {
        let _ = write!(o, "| [{}](#{}) |", k.label(), k.anchor());
        for v in &r.variants {
            let _ = write!(o, " {} |", cell(&view::cell(v, k).text()));
        }
        o.push('\n');
    }
    o.push('\n');

    let failures: Vec<_> = r
        .variants
        .iter()
        .filter_map(|v| view::run_failure(v).map(|w| (v, w)))
        .collect();
    if !failures.is_empty() {
        o.push_str("## Run failures\n\n");
        for (v, why) in failures {
            let _ = writeln!(
                o,
                "- **{}**: {} (exit {}; run folder {})",
                v.name,
                code(&why),
                v.exit_code(),
                code(&v.run_dir)
            );
            for e in &v.run.errors {
                let _ = writeln!(
                    o,
                    "  - {}: {}",
                    e.case.as_deref().unwrap_or("guest"),
                    code(&e.message)
                );
            }
            for s in &v.run.splats {
                let _ = writeln!(
                    o,
                    "  - kernel {} at console line {} ({}){}:\n\n    ```\n{}\n    ```",
                    s.kind,
                    s.line,
                    s.case.as_deref().unwrap_or("outside any case"),
                    s.allowed
                        .as_deref()
                        .map(|a| format!(", known issue: {a}"))
                        .unwrap_or_default(),
                    s.excerpt
                        .lines()
                        .map(|l| format!("    {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        }
        o.push('\n');
    }

    o.push_str("## Evidence\n\n");
    for k in &keys {
        let _ = writeln!(o, "<a id=\"{}\"></a>", k.anchor());
        let _ = writeln!(
            o,
            "<details><summary><b>{}</b> — {}</summary>\n",
            html_text(&k.label()),
            html_text(
                &r.variants
                    .iter()
                    .map(|v| format!("{}: {}", v.name, view::cell(v, k).text()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
        for v in &r.variants {
            match view::cell(v, k) {
                Cell::Judged { case, j } => {
                    // A KUnit test has no mapping to expect: its KTAP
                    // result and diagnostic lines are the evidence.
                    let expected = if j.fs == daxkit_harness::judge::KUNIT {
                        String::new()
                    } else {
                        format!(
                            " (expected {}{})",
                            j.expected,
                            case.map(|c| format!(", {} ms", c.duration_ms))
                                .unwrap_or_default()
                        )
                    };
                    let _ = writeln!(
                        o,
                        "**{}**: {}{expected} — {}\n",
                        v.name,
                        view::cell(v, k).text(),
                        j.why
                    );
                    for s in case.iter().flat_map(|c| &c.signals) {
                        let _ = writeln!(
                            o,
                            "- {}: {} — {}",
                            s.name,
                            view::says(s.says),
                            code(&s.evidence)
                        );
                    }
                    o.push('\n');
                }
                Cell::Missing => {
                    let _ = writeln!(o, "**{}**: not run\n", v.name);
                }
            }
        }
        o.push_str("</details>\n\n");
    }

    o.push_str(&bench(r));
    o.push_str(&reproducer(r));
    o
}

/// The reproducer record: how to rerun and every input of the run.
fn reproducer(r: &Report) -> String {
    let Some(rec) = &r.reproducer else {
        return String::new();
    };
    let mut o = String::from(
        "\n## Reproducer\n\n`daxkit rerun report.json` repeats this run and names each \
         input and outcome that differs. The run's inputs:\n\n| input | value |\n|---|---|\n",
    );
    for (k, v) in rec.rows() {
        let v = if k == "command" { code(&v) } else { cell(&v) };
        let _ = writeln!(o, "| {} | {v} |", cell(&k));
    }
    o
}

fn bench(r: &Report) -> String {
    let mut o = String::new();
    let rows: Vec<_> = r
        .variants
        .iter()
        .filter_map(|v| view::bench_pair(v).map(|p| (v, p)))
        .collect();
    o.push_str("## Fault benchmark\n\n");
    if rows.is_empty() {
        o.push_str("No variant ran the fault benchmark.\n");
        return o;
    }
    let mut accels: Vec<String> = rows.iter().map(|(v, _)| view::accel_label(v)).collect();
    accels.dedup();
    let _ = writeln!(
        o,
        "Each run maps {} MiB of a preallocated file and writes one byte per 4 KiB page. \
         Absolute numbers are **{} figures** (QEMU{}), comparable only with each other; \
         the PMD/PTE ratio is what compares with the 2016 series. {}\n",
        rows[0].1.pmd.mib,
        accels.join("/"),
        if accels.iter().all(|a| a == "TCG") {
            " software emulation"
        } else {
            ""
        },
        view::BENCH_RULE
    );
    o.push_str(
        "| variant | accel | PMD MiB/s | PTE MiB/s | PMD ns/fault | PTE ns/fault | PMD faults | PTE faults | PMD/PTE |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (v, p) in &rows {
        let ratio = p.ratio_label();
        let flag = p
            .caveat()
            .map_or_else(String::new, |c| format!(" ({})", cell(&c)));
        let _ = writeln!(
            o,
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {} | {} | **{ratio}**{flag} |",
            cell(&v.name),
            view::accel_label(v),
            p.pmd.mib_per_s,
            p.pte.mib_per_s,
            p.pmd.ns_per_fault,
            p.pte.ns_per_fault,
            p.pmd.faults,
            p.pte.faults
        );
    }
    let _ = writeln!(
        o,
        "| {} | as published ({}) | {:.1} | {:.1} | | | | | **{}** |",
        cell(REFERENCE_2016.what),
        cell(REFERENCE_2016.as_printed),
        REFERENCE_2016.pmd_mib_s,
        REFERENCE_2016.pte_mib_s,
        view::ratio_text(REFERENCE_2016.ratio())
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use std::path::Path;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn comparison_table_rows() {
        let md = render(&fixture::report());
        assert!(md.contains("| case | stock | dax-pmd (C) | dax-pmd (Rust) |\n|---|---|---|---|\n"));
        assert!(md.contains(
            "| [xfs/pte-prefaulted](#xfs-pte-prefaulted) | PTE ✓ | PMD ✗ (expected PTE) | error ✗ |"
        ));
        assert!(md.contains(
            "| [xfs/colour-mismatch](#xfs-colour-mismatch) | PTE ✓ | ⚠ signals disagree | PTE ✓ |"
        ));
        assert!(md.contains("| [ext4/hole-read](#ext4-hole-read) | PMD ✓ | PMD ✓ | — missing |"));
        assert!(md.contains(
            "| stock | TCG | 812.5 | 338.5 | 2461538 | 11540 | 128 | 65536 | **2.40x** |"
        ));
        assert!(md.contains("| 2016 DAX PMD series, FIO mmap on XFS, PMEM made from memmap'd RAM | as published (fio printed 1406.7MB/s and 557610KB/s, base 1024) | 1406.7 | 544.5 | | | | | **2.58x** |"));
        assert!(md.contains(view::BENCH_RULE));
        assert!(md.contains("**TCG figures**"));
    }

    /// The whole rendering against `tests/fixtures/report/report.md`;
    /// `DAXKIT_BLESS=1 cargo test` rewrites it after a deliberate change
    /// (then read the diff).
    #[test]
    fn golden() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/report.md");
        let got = render(&fixture::report());
        if std::env::var_os("DAXKIT_BLESS").is_some() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            let first = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{} differs from the rendering at line {} (rerun with DAXKIT_BLESS=1 if intended):\n got: {:?}\nwant: {:?}",
                path.display(),
                first + 1,
                got.lines().nth(first),
                want.lines().nth(first)
            );
        }
    }
}
