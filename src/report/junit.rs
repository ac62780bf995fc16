//! `report.xml`: JUnit XML for CI test views (GitLab, Jenkins, GitHub
//! reporters). One `<testsuite>` per variant, one `<testcase>` per case and
//! filesystem (`xfs/aligned-shared-write`); a mismatch, a disagreement or an
//! unknown verdict is a `<failure>` carrying every signal's evidence; a run
//! that did not complete (panic, timeout, build failure, …) is an `<error>`
//! test case named `run`, and the cases it never reached are `<skipped>`.
//!
//! Written by hand: the format is small, and [`escape`] handles what XML
//! 1.0 cannot carry (control characters from consoles) as well as markup.

use super::model::Report;
use super::view::{self, Cell};
use daxkit_harness::judge::{CaseJudgement, CaseStatus, Class};
use daxkit_harness::protocol::CaseResult;
use std::fmt::Write;

/// Escapes text for XML 1.0 element content and attribute values: markup
/// characters become entities, line breaks and tabs become character
/// references (so attribute values keep them), and characters XML 1.0 does
/// not allow at all become `\u{..}` text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if allowed(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    out
}

/// XML 1.0 `Char` production.
fn allowed(c: char) -> bool {
    matches!(c as u32,
        0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Escapes multi-line body text: like [`escape`], but keeps line breaks
/// literal for readability.
fn escape_body(s: &str) -> String {
    escape(s).replace("&#10;", "\n")
}

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// One line per signal: `ptdump: PMD — 0x00007f… pmd`.
pub fn evidence_lines(c: &CaseResult) -> Vec<String> {
    c.signals
        .iter()
        .map(|s| format!("{}: {} — {}", s.name, view::says(s.says), s.evidence))
        .collect()
}

fn failure_message(j: &CaseJudgement, c: Option<&CaseResult>) -> String {
    let ev = c.map(|c| evidence_lines(c).join("; ")).unwrap_or_default();
    format!("{}: {}; {ev}", j.status.word(), j.why)
}

pub fn render(r: &Report) -> String {
    let keys = view::case_keys(r);
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped, mut time) = (0, 0, 0, 0, 0.0);
    for v in &r.variants {
        let mut body = String::new();
        let (mut t, mut f, mut e, mut s) = (0, 0, 0, 0);
        let class = escape(&v.name);
        for k in &keys {
            let name = escape(&k.label());
            match view::cell(v, k) {
                Cell::Judged { case, j } => {
                    t += 1;
                    let ms = case.map_or(0, |c| c.duration_ms);
                    let _ = writeln!(
                        body,
                        "    <testcase classname=\"{class}\" name=\"{name}\" time=\"{}\">",
                        secs(ms)
                    );
                    let ev = case
                        .map(|c| evidence_lines(c).join("\n"))
                        .unwrap_or_default();
                    match j.status.class() {
                        _ if j.status == CaseStatus::Skipped => {
                            s += 1;
                            let _ =
                                writeln!(body, "      <skipped message=\"{}\"/>", escape(&j.why));
                        }
                        Class::Bad => {
                            f += 1;
                            let _ = writeln!(
                                body,
                                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                                j.status.word(),
                                escape(&failure_message(&j, case)),
                                escape_body(&ev)
                            );
                        }
                        Class::CannotTest | Class::Interrupted => {
                            e += 1;
                            let _ = writeln!(
                                body,
                                "      <error type=\"{}\" message=\"{}\">{}</error>",
                                j.status.word(),
                                escape(&failure_message(&j, case)),
                                escape_body(&ev)
                            );
                        }
                        Class::Good => {}
                    }
                    let verdict = if j.fs == daxkit_harness::judge::KUNIT {
                        format!("KUnit {}", j.status.word())
                    } else {
                        format!("verdict {} (expected {})", j.verdict, j.expected)
                    };
                    let _ = writeln!(
                        body,
                        "      <system-out>{verdict}: {}\n{}</system-out>\n    </testcase>",
                        escape_body(&j.why),
                        escape_body(&ev)
                    );
                }
                Cell::Missing => {}
            }
        }
        if let Some(why) = view::run_failure(v) {
            t += 1;
            e += 1;
            let _ = writeln!(
                body,
                "    <testcase classname=\"{class}\" name=\"run\" time=\"{:.3}\">\n      \
                 <error type=\"{}\" message=\"{}\">exit code {}; run folder {}\n{}</error>\n    </testcase>",
                v.total_s,
                escape(v.run.outcome.name()),
                escape(&why),
                v.exit_code(),
                escape(&v.run_dir),
                escape_body(
                    &v.run
                        .splats
                        .iter()
                        .map(|s| format!("kernel {} at console line {}:\n{}", s.kind, s.line, s.excerpt))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            );
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"{class}\" tests=\"{t}\" failures=\"{f}\" errors=\"{e}\" \
             skipped=\"{s}\" time=\"{:.3}\" timestamp=\"{}\">\n    <properties>\n",
            v.total_s,
            escape(&iso_time(&r.created))
        );
        let props = [
            ("commit", v.commit.clone()),
            ("config", v.config_text()),
            ("append", v.append.join(" ")),
            (
                "guest_kernel",
                v.run.guest_kernel.clone().unwrap_or_default(),
            ),
            (
                "accel",
                v.accel
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            ("outcome", v.run.outcome.name().to_owned()),
            ("exit_code", v.exit_code().to_string()),
            ("run_dir", v.run_dir.clone()),
        ];
        // The reproducer record (`daxkit rerun`), on every suite so that
        // each one read alone says how to rerun it.
        let record = r
            .reproducer
            .iter()
            .flat_map(|rec| rec.rows())
            .map(|(k, v)| (format!("reproducer.{}", k.replace(' ', "_")), v));
        let props = props
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .chain(record);
        for (k, val) in props {
            let _ = writeln!(
                suites,
                "      <property name=\"{}\" value=\"{}\"/>",
                escape(&k),
                escape(&val)
            );
        }
        suites.push_str("    </properties>\n");
        suites.push_str(&body);
        suites.push_str("  </testsuite>\n");
        tests += t;
        failures += f;
        errors += e;
        skipped += s;
        time += v.total_s;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"daxkit: {}\" \
         tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" \
         time=\"{time:.3}\">\n{suites}</testsuites>\n",
        escape(&r.title)
    )
}

/// `20261128T233000Z` → `2026-11-28T23:30:00Z` (JUnit's timestamp format);
/// anything else is passed through.
fn iso_time(stamp: &str) -> String {
    let b = stamp.as_bytes();
    if b.len() == 16 && b[8] == b'T' && b[15] == b'Z' {
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[9..11],
            &stamp[11..13],
            &stamp[13..15]
        )
    } else {
        stamp.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn parse(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"))
    }

    #[test]
    fn escape_table() {
        let check = |i: &str, o: &str| assert_eq!(escape(i), o);
        check("a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&apos;");
        check("x\ny\tz", "x&#10;y&#9;z");
        check("\u{1b}[0m", "\\u{1b}[0m");
        check("\u{fffe}", "\\u{fffe}");
        check("PMD ✓", "PMD ✓");
    }

    #[test]
    fn well_formed_with_suites_cases_and_failures() {
        let r = fixture::report();
        let xml = render(&r);
        let doc = parse(&xml);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suites: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        let names: Vec<_> = suites
            .iter()
            .map(|s| s.attribute("name").unwrap())
            .collect();
        assert_eq!(names, ["stock", "dax-pmd (C)", "dax-pmd (Rust)"]);
        fn cases<'a, 'i>(s: &roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
            s.children()
                .filter(|n| n.has_tag_name("testcase"))
                .collect()
        }
        // stock: every case passes.
        let stock = cases(&suites[0]);
        assert_eq!(stock.len(), 15);
        assert_eq!(suites[0].attribute("failures"), Some("0"));
        assert!(stock
            .iter()
            .any(|c| c.attribute("name") == Some("xfs/aligned-shared-write")));
        // C: one mismatch, one disagreement, with evidence in the message
        // (its KUnit tests pass or skip).
        assert_eq!(suites[1].attribute("failures"), Some("2"));
        fn failure<'a, 'i>(s: &roxmltree::Node<'a, 'i>, case: &str) -> roxmltree::Node<'a, 'i> {
            cases(s)
                .into_iter()
                .find(|c| c.attribute("name") == Some(case))
                .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
                .unwrap()
        }
        let mism = failure(&suites[1], "xfs/pte-prefaulted");
        assert_eq!(mism.attribute("type"), Some("mismatch"));
        let msg = mism.attribute("message").unwrap();
        assert!(
            msg.starts_with(
                "mismatch: got PMD, expected PTE: page-table readers pagemap-scan and ptdump agree"
            ),
            "{msg}"
        );
        assert!(msg.contains("ptdump: PMD — 0x00007fc887800000"), "{msg}");
        let dis = failure(&suites[1], "xfs/colour-mismatch");
        assert_eq!(dis.attribute("type"), Some("disagree"));
        let msg = dis.attribute("message").unwrap();
        assert!(
            msg.contains("<bogus: counted before fallback> & more"),
            "{msg}"
        );
        // Rust: the panic is a run-level error, the crashed case a failure,
        // the planned but unreached cases errors (missing: cannot test).
        let rust = cases(&suites[2]);
        let run = rust
            .iter()
            .find(|c| c.attribute("name") == Some("run"))
            .unwrap();
        let err = run.children().find(|n| n.has_tag_name("error")).unwrap();
        assert_eq!(err.attribute("type"), Some("panic"));
        assert!(err.attribute("message").unwrap().contains("\\u{1b}[0m"));
        // 15 planned: 10 passed, 1 crashed, 4 missing; plus the run; plus
        // 3 KUnit tests: 1 ok, 1 not ok (a failure), 1 skipped.
        assert_eq!(suites[2].attribute("failures"), Some("2"));
        assert_eq!(suites[2].attribute("errors"), Some("5"));
        assert_eq!(suites[2].attribute("skipped"), Some("1"));
        assert_eq!(rust.len(), 15 + 1 + 3);
        let kunit = failure(&suites[2], "kunit/dax_pmd_decide.dax_pmd_decide_matches_c");
        assert_eq!(kunit.attribute("type"), Some("failed"));
        let msg = kunit.attribute("message").unwrap();
        assert!(
            msg.contains("not ok at console line 418: dax_pmd_decide_matches_c: EXPECTATION FAILED at fs/dax_pmd_kunit.c:88"),
            "{msg}"
        );
        // Each variant's own config is a property of its suite.
        let prop = |s: &roxmltree::Node, name: &str| {
            s.descendants()
                .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
                .and_then(|n| n.attribute("value"))
                .map(str::to_owned)
        };
        assert_eq!(prop(&suites[0], "config").as_deref(), Some("—"));
        assert_eq!(
            prop(&suites[2], "config").as_deref(),
            Some("rust.config: CONFIG_FS_DAX_PMD_RUST=y CONFIG_KUNIT=y")
        );
        assert_eq!(root.attribute("tests"), Some("52"));
        assert_eq!(
            suites[0].attribute("timestamp"),
            Some("2026-11-28T23:30:00Z")
        );
    }
}
