//! `report.html`: one self-contained page a reviewer opens in a browser —
//! inline CSS, an inline SVG chart, no script, no external asset (a
//! Content-Security-Policy forbids fetching any). The same content as the
//! Markdown: summary, variants, the case × variant table, run failures,
//! the fault benchmark (table and chart, PMD vs PTE per variant with the
//! ratio beside the 2016 series'), and each case's evidence.
//!
//! Stable hooks for tests and scripts: `#summary`, `#variants`, `#results`
//! with one `<tr data-case="xfs/…">` per case and `<td data-variant=…
//! class="pass|mismatch|disagree|unknown|error|missing">`, `#bench-chart`
//! with `rect.bar.pmd` / `rect.bar.pte` (`data-variant`, `data-mib-s`;
//! also `.unverified` when a run's mapping was not confirmed) and
//! `text.ratio`, `#bench-legend`, `#evidence` with `details#case-…`.

use super::model::Report;
use super::summary;
use super::view::{self, BenchPair, Cell, REFERENCE_2016};
use daxkit_harness::judge::Outcome;
use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

/// Forbids every fetch: the page must render from its own bytes.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE: &str = r#"
:root { --pmd: #2b6cb0; --pte: #dd6b20; --fg: #1a202c; --muted: #5a6473; --line: #d8dde6; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--fg); margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 1200px; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
.summary { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9rem;
           background: #f4f6fa; border-left: 4px solid var(--pmd); padding: .6rem .8rem; margin: .5rem 0 1rem; }
.meta, .note { color: var(--muted); }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
thead th { background: #eef1f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .82rem; overflow-wrap: anywhere; }
td.pass { background: #e3f4e8; }
td.mismatch, td.error { background: #fde2e1; font-weight: 600; }
td.disagree { background: #fff1d6; font-weight: 600; }
td.unknown { background: #eceff3; }
td.missing { background: #fafafa; color: var(--muted); }
td.outcome.failed, td.num.failed { color: #b42318; font-weight: 600; }
details { border: 1px solid var(--line); border-radius: 4px; margin: .4rem 0; padding: .3rem .6rem; }
details > summary { cursor: pointer; }
table.evidence td { max-width: 28rem; }
.says { font-weight: 600; }
.chart { margin: .5rem 0; }
#bench-chart { display: block; width: 100%; max-width: 720px; height: auto; }
#bench-chart .bar.pmd, .swatch.pmd { fill: var(--pmd); background: var(--pmd); }
#bench-chart .bar.pte, .swatch.pte { fill: var(--pte); background: var(--pte); }
#bench-chart text { font: 12px system-ui, sans-serif; fill: var(--fg); }
#bench-chart .axis { stroke: #8a94a6; stroke-width: 1; }
#bench-chart .grid { stroke: #e6e9ef; stroke-width: 1; }
#bench-chart text.ratio { font-weight: 700; }
#bench-chart .bar.unverified { fill-opacity: .35; stroke: currentColor; stroke-dasharray: 4 3; }
span.unverified { color: #b42318; }
#bench-legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.4rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: -2px; margin-right: .3rem; border-radius: 2px; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem; }
"#;

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>daxkit report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&r.title)
    );
    let _ = writeln!(
        o,
        "<header>\n<h1>daxkit report: {}</h1>\n<p id=\"summary\" class=\"summary\">{}</p>\n\
         <p class=\"meta\">Base <code>{}</code> (<code>{}</code>), Linux {}. Written {} by daxkit {}.</p>\n</header>",
        esc(&r.title),
        esc(&summary::line(r)),
        esc(&r.base.name),
        esc(view::short(&r.base.commit)),
        esc(&r.base.kernel_version),
        esc(&r.created),
        esc(&r.daxkit)
    );
    if let Some(s) = &r.series {
        let _ = writeln!(
            o,
            "<section id=\"series\">\n<h2>Series {} v{}</h2>\n<ol>",
            esc(&s.name),
            s.version
        );
        for (commit, subject) in &s.patches {
            let _ = writeln!(
                o,
                "<li><code>{}</code> {}</li>",
                esc(view::short(commit)),
                esc(subject)
            );
        }
        o.push_str("</ol>\n</section>\n");
    }
    variants(&mut o, r);
    results(&mut o, r);
    failures(&mut o, r);
    bench(&mut o, r);
    evidence(&mut o, r);
    reproducer(&mut o, r);
    let _ = writeln!(
        o,
        "<footer>Generated by daxkit {}. This page is self-contained: no script, no external resources.</footer>\n</body>\n</html>",
        esc(&r.daxkit)
    );
    o
}

/// The reproducer record: how to rerun and every input of the run.
fn reproducer(o: &mut String, r: &Report) {
    let Some(rec) = &r.reproducer else {
        return;
    };
    o.push_str(
        "<section id=\"reproducer\">\n<h2>Reproducer</h2>\n<p><code>daxkit rerun report.json</code> \
         repeats this run and names each input and outcome that differs.</p>\n\
         <table id=\"inputs\">\n<thead><tr><th>input</th><th>value</th></tr></thead>\n<tbody>\n",
    );
    for (k, v) in rec.rows() {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td><code>{}</code></td></tr>",
            esc(&k),
            esc(&v)
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

fn variants(o: &mut String, r: &Report) {
    o.push_str(
        "<section>\n<h2>Variants</h2>\n<table id=\"variants\">\n<thead><tr><th>variant</th><th>commit</th>\
         <th>own config</th><th>command line</th><th>outcome</th><th>cases as expected</th><th>accel</th><th>time</th><th>exit</th></tr></thead>\n<tbody>\n",
    );
    for v in &r.variants {
        let (pass, total) = view::pass_count(r, v);
        let _ = writeln!(
            o,
            "<tr data-variant=\"{}\"{}><th scope=\"row\">{}</th><td><code>{}</code></td><td>{}</td><td><code>{}</code></td>\
             <td class=\"outcome{}\" title=\"{}\">{}</td><td class=\"num\">{pass}/{total}</td><td>{}</td>\
             <td class=\"num\">{:.1} s</td><td class=\"num{}\">{}</td></tr>",
            esc(&v.name),
            if v.good() { "" } else { " class=\"bad\"" },
            esc(&v.name),
            esc(view::short(&v.commit)),
            if v.config.is_empty() {
                "—".to_owned()
            } else {
                v.config
                    .iter()
                    .map(|f| format!("<code>{}</code>", esc(&f.text())))
                    .collect::<Vec<_>>()
                    .join("<br>")
            },
            esc(&v.append.join(" ")),
            if v.run.outcome == Outcome::Completed { "" } else { " failed" },
            esc(&v.judgement().why()),
            esc(v.run.outcome.name()),
            esc(&view::accel_label(v)),
            v.total_s,
            if v.exit_code() == 0 { "" } else { " failed" },
            v.exit_code()
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

fn results(o: &mut String, r: &Report) {
    o.push_str("<section>\n<h2>Results</h2>\n<table id=\"results\">\n<thead><tr><th>case</th>");
    for v in &r.variants {
        let _ = write!(o, "<th>{}</th>", esc(&v.name));
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for k in view::case_keys(r) {
        let _ = write!(
            o,
            "<tr data-case=\"{}\"><th scope=\"row\"><a href=\"#case-{}\">{}</a></th>",
            esc(&k.label()),
            k.anchor(),
            esc(&k.label())
        );
        for v in &r.variants {
            let c = view::cell(v, &k);
            let _ = write!(
                o,
                "<td class=\"{}\" data-variant=\"{}\">{}</td>",
                c.class(),
                esc(&v.name),
                esc(&c.text())
            );
        }
        o.push_str("</tr>\n");
    }
    o.push_str(
        "</tbody>\n</table>\n<p class=\"note\">✓ as expected · ✗ verdict differs from the expectation · \
         ⚠ the signals that could tell disagree, or the verdict differs between repeats · \
         ? not enough evidence (cannot test) · – skipped by the plan · — not run</p>\n</section>\n",
    );
}

fn failures(o: &mut String, r: &Report) {
    let bad: Vec<_> = r
        .variants
        .iter()
        .filter_map(|v| view::run_failure(v).map(|w| (v, w)))
        .collect();
    if bad.is_empty() {
        return;
    }
    o.push_str("<section id=\"failures\">\n<h2>Run failures</h2>\n<ul>\n");
    for (v, why) in bad {
        let _ = write!(
            o,
            "<li data-variant=\"{}\"><b>{}</b>: <code>{}</code> (exit {}; run folder <code>{}</code>)",
            esc(&v.name),
            esc(&v.name),
            esc(&why),
            v.exit_code(),
            esc(&v.run_dir)
        );
        if !v.run.errors.is_empty() {
            o.push_str("<ul>");
            for e in &v.run.errors {
                let _ = write!(
                    o,
                    "<li>{}: <code>{}</code></li>",
                    esc(e.case.as_deref().unwrap_or("guest")),
                    esc(&e.message)
                );
            }
            o.push_str("</ul>");
        }
        for s in &v.run.splats {
            let _ = write!(
                o,
                "<div class=\"splat\" data-kind=\"{}\"><p>kernel {} at console line {} ({}){}</p><pre>{}</pre></div>",
                esc(&s.kind),
                esc(&s.kind),
                s.line,
                esc(s.case.as_deref().unwrap_or("outside any case")),
                s.allowed
                    .as_deref()
                    .map(|a| format!(" — known issue: {}", esc(a)))
                    .unwrap_or_default(),
                esc(&s.excerpt)
            );
        }
        o.push_str("</li>\n");
    }
    o.push_str("</ul>\n</section>\n");
}

/// A round axis maximum: 1, 2 or 5 times a power of ten.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|m| *m >= v)
        .unwrap_or(10.0 * p)
}

/// The SVG bar chart: per variant a PMD and a PTE bar (MiB/s), the ratio
/// above them.
pub fn chart(rows: &[(&str, BenchPair)]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 320.0;
    let (left, right, top, bottom) = (64.0, 16.0, 28.0, 48.0);
    let plot_w = W - left - right;
    let plot_h = H - top - bottom;
    let max = nice_max(
        rows.iter()
            .flat_map(|(_, p)| [p.pmd.mib_per_s, p.pte.mib_per_s])
            .fold(0.0, f64::max),
    );
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg id=\"bench-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" \
         width=\"{W}\" height=\"{H}\" role=\"img\" aria-labelledby=\"bench-chart-title\">\n\
         <title id=\"bench-chart-title\">Fault benchmark: MiB/s with PMD and with PTE mappings per variant</title>"
    );
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let yy = y(v);
        let _ = writeln!(
            s,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - right,
            left - 6.0,
            yy + 4.0,
            fmt_tick(v)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">MiB/s</text>",
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    let group_w = plot_w / rows.len().max(1) as f64;
    let bar_w = (group_w * 0.3).min(80.0);
    for (i, (name, p)) in rows.iter().enumerate() {
        let cx = left + group_w * (i as f64 + 0.5);
        let unverified = !p.verified();
        for (j, (class, b)) in [("pmd", p.pmd), ("pte", p.pte)].iter().enumerate() {
            let x = cx - bar_w - 2.0 + j as f64 * (bar_w + 4.0);
            let yy = y(b.mib_per_s);
            let _ = writeln!(
                s,
                "<rect class=\"bar {class}{}\" data-variant=\"{}\" data-mib-s=\"{:.1}\" x=\"{x:.1}\" \
                 y=\"{yy:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\"><title>{}: {} {:.1} MiB/s, \
                 {:.0} ns/fault, {} faults{}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.0}</text>",
                if unverified { " unverified" } else { "" },
                esc(name),
                b.mib_per_s,
                (top + plot_h - yy).max(0.0),
                esc(name),
                class.to_uppercase(),
                b.mib_per_s,
                b.ns_per_fault,
                b.faults,
                if unverified { " (unverified)" } else { "" },
                x + bar_w / 2.0,
                yy - 4.0,
                b.mib_per_s
            );
        }
        let ratio = if unverified {
            "unverified".to_owned()
        } else {
            p.ratio_label()
        };
        let top_bar = y(p.pmd.mib_per_s.max(p.pte.mib_per_s));
        let _ = writeln!(
            s,
            "<text class=\"ratio\" data-variant=\"{}\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{ratio}</text>\
             <text class=\"label\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            esc(name),
            (top_bar - 20.0).max(12.0),
            top + plot_h + 20.0,
            esc(name)
        );
    }
    let _ = writeln!(
        s,
        "<line class=\"axis\" x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
         <line class=\"axis\" x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{:.1}\"/>\n</svg>",
        W - right,
        top + plot_h,
        top + plot_h,
        top + plot_h
    );
    s
}

fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn bench(o: &mut String, r: &Report) {
    o.push_str("<section id=\"bench\">\n<h2>Fault benchmark</h2>\n");
    let rows: Vec<_> = r
        .variants
        .iter()
        .filter_map(|v| view::bench_pair(v).map(|p| (v, p)))
        .collect();
    if rows.is_empty() {
        o.push_str("<p class=\"note\">No variant ran the fault benchmark.</p>\n</section>\n");
        return;
    }
    let mut accels: Vec<String> = rows.iter().map(|(v, _)| view::accel_label(v)).collect();
    accels.sort();
    accels.dedup();
    let _ = writeln!(
        o,
        "<p class=\"note\">Each run maps {} MiB of a preallocated file and writes one byte per 4 KiB page. \
         Absolute numbers are <b>{} figures</b> (QEMU), comparable only with each other; the PMD/PTE \
         ratio is what compares with the 2016 series. {}</p>",
        rows[0].1.pmd.mib,
        esc(&accels.join("/")),
        esc(view::BENCH_RULE)
    );
    let named: Vec<(&str, BenchPair)> = rows
        .iter()
        .map(|(v, p)| (v.name.as_str(), p.clone()))
        .collect();
    o.push_str("<figure class=\"chart\">\n");
    o.push_str(&chart(&named));
    let _ = writeln!(
        o,
        "<figcaption><ul id=\"bench-legend\"><li><span class=\"swatch pmd\"></span>PMD: 2 MiB entries \
         (PMD-eligible mapping)</li><li><span class=\"swatch pte\"></span>PTE: 4 KiB entries (PTE-forced mapping)</li>\
         <li>bold: PMD/PTE throughput ratio; faded bars: unverified runs, in no ratio</li>\
         <li id=\"reference-2016\">{}: {:.1} vs {:.1} MiB/s ({}) = <b>{}</b></li>\
         </ul></figcaption>\n</figure>",
        esc(REFERENCE_2016.what),
        REFERENCE_2016.pmd_mib_s,
        REFERENCE_2016.pte_mib_s,
        esc(REFERENCE_2016.as_printed),
        view::ratio_text(REFERENCE_2016.ratio())
    );
    o.push_str(
        "<table id=\"bench-table\">\n<thead><tr><th>variant</th><th>accel</th><th>PMD MiB/s</th><th>PTE MiB/s</th>\
         <th>PMD ns/fault</th><th>PTE ns/fault</th><th>PMD faults</th><th>PTE faults</th><th>PMD/PTE</th></tr></thead>\n<tbody>\n",
    );
    for (v, p) in &rows {
        let ratio = p.ratio_label();
        let flag = p.caveat().map_or_else(String::new, |c| {
            format!(" <span class=\"unverified\">({})</span>", esc(&c))
        });
        let _ = writeln!(
            o,
            "<tr data-variant=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td>\
             <td class=\"num\">{:.0}</td><td class=\"num\">{:.0}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num ratio\"><b>{ratio}</b>{}</td></tr>",
            esc(&v.name),
            esc(&v.name),
            esc(&view::accel_label(v)),
            p.pmd.mib_per_s,
            p.pte.mib_per_s,
            p.pmd.ns_per_fault,
            p.pte.ns_per_fault,
            p.pmd.faults,
            p.pte.faults,
            flag
        );
    }
    let _ = writeln!(
        o,
        "<tr class=\"reference\"><th scope=\"row\">{}</th><td>as published ({})</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td>\
         <td></td><td></td><td></td><td></td><td class=\"num ratio\"><b>{}</b></td></tr>\n</tbody>\n</table>\n</section>",
        esc(REFERENCE_2016.what),
        esc(REFERENCE_2016.as_printed),
        REFERENCE_2016.pmd_mib_s,
        REFERENCE_2016.pte_mib_s,
        view::ratio_text(REFERENCE_2016.ratio())
    );
}

fn evidence(o: &mut String, r: &Report) {
    o.push_str("<section id=\"evidence\">\n<h2>Evidence</h2>\n");
    for k in view::case_keys(r) {
        let cells: Vec<Cell> = r.variants.iter().map(|v| view::cell(v, &k)).collect();
        let open = if cells.iter().any(|c| !c.is_pass()) {
            " open"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<details id=\"case-{}\"{open}><summary><b>{}</b> — {}</summary>",
            k.anchor(),
            esc(&k.label()),
            esc(&r
                .variants
                .iter()
                .zip(&cells)
                .map(|(v, c)| format!("{}: {}", v.name, c.text()))
                .collect::<Vec<_>>()
                .join(", "))
        );
        // Signal names in first-seen order across the variants.
        let mut names: Vec<&str> = Vec::new();
        for c in &cells {
            if let Cell::Judged {
                case: Some(case), ..
            } = c
            {
                for s in &case.signals {
                    if !names.contains(&s.name.as_str()) {
                        names.push(&s.name);
                    }
                }
            }
        }
        o.push_str("<table class=\"evidence\">\n<thead><tr><th>signal</th>");
        for v in &r.variants {
            let _ = write!(o, "<th>{}</th>", esc(&v.name));
        }
        o.push_str("</tr></thead>\n<tbody>\n<tr><th scope=\"row\">verdict</th>");
        for c in &cells {
            let detail = match c {
                Cell::Judged { case, j } => format!(
                    "{}<br><span class=\"note\">{}</span>",
                    case.map(|c| format!(" <span class=\"note\">({} ms)</span>", c.duration_ms))
                        .unwrap_or_default(),
                    esc(&j.why)
                ),
                Cell::Missing => String::new(),
            };
            let _ = write!(
                o,
                "<td class=\"{}\">{}{detail}</td>",
                c.class(),
                esc(&c.text())
            );
        }
        o.push_str("</tr>\n");
        for name in names {
            let _ = write!(o, "<tr><th scope=\"row\">{}</th>", esc(name));
            for c in &cells {
                let sig = match c {
                    Cell::Judged {
                        case: Some(case), ..
                    } => case.signals.iter().find(|s| s.name == name),
                    _ => None,
                };
                match sig {
                    Some(s) => {
                        let _ = write!(
                            o,
                            "<td><span class=\"says\">{}</span><br><code>{}</code></td>",
                            esc(&view::says(s.says)),
                            esc(&s.evidence)
                        );
                    }
                    None => o.push_str("<td></td>"),
                }
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody>\n</table>\n</details>\n");
    }
    o.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn nice_axis() {
        let check = |v: f64, want: f64| assert_eq!(nice_max(v), want, "{v}");
        check(812.5, 1000.0);
        check(338.0, 500.0);
        check(150.0, 200.0);
        check(1.0, 1.0);
        check(0.0, 1.0);
    }

    #[test]
    fn page_hooks() {
        let html = render(&fixture::report());
        // 15 cases and the 3 KUnit tests of the patched kernels.
        assert_eq!(html.matches("<tr data-case=").count(), 18);
        assert!(html.contains("<tr data-case=\"kunit/dax_pmd_decide.dax_pmd_decide_matches_c\">"));
        assert!(html.contains("<code>rust.config: CONFIG_FS_DAX_PMD_RUST=y CONFIG_KUNIT=y</code>"));
        assert!(html.contains("<tr data-case=\"xfs/pte-prefaulted\">"));
        assert!(
            html.contains("<p id=\"summary\" class=\"summary\">daxkit: dax-pmd v1 on 6.12.117: ")
        );
        assert_eq!(html.matches("<rect class=\"bar pmd\"").count(), 2);
        assert_eq!(html.matches("<rect class=\"bar pte\"").count(), 2);
        assert!(html.contains(">2.40x</text>"));
        assert!(html.contains("1406.7 vs 544.5 MiB/s (fio printed 1406.7MB/s and 557610KB/s, base 1024) = <b>2.58x</b>"));
        assert!(!html.contains("unverified\""));
        // Escaped, never raw.
        assert!(html.contains("&lt;bogus: counted before fallback&gt; &amp; more"));
        assert!(!html.contains("<bogus"));
        assert!(html.contains("\\u{1b}[0m"));
    }

    #[test]
    fn self_contained() {
        let html = render(&fixture::report());
        for bad in ["<script", "src=", "href=\"http", "url(", "@import", "<link"] {
            assert!(!html.contains(bad), "page references {bad}");
        }
        // The only URL is the SVG namespace, which is never fetched.
        assert_eq!(html.matches("http://").count(), 1);
        assert_eq!(html.matches("https://").count(), 0);
    }

    #[test]
    fn bars_scale_with_throughput() {
        let r = fixture::report();
        let p = view::bench_pair(&r.variants[0]).unwrap();
        let svg = chart(&[("stock", p)]);
        let height = |class: &str| -> f64 {
            let at = svg.find(&format!("class=\"bar {class}\"")).unwrap();
            let h = &svg[at..];
            let h = &h[h.find("height=\"").unwrap() + 8..];
            h[..h.find('"').unwrap()].parse().unwrap()
        };
        let (pmd, pte) = (height("pmd"), height("pte"));
        assert!(pmd > 0.0 && pte > 0.0);
        assert!((pmd / pte - 812.5 / 338.5).abs() < 0.01, "{pmd} {pte}");
    }
}
