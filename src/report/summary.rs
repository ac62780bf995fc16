//! `summary.txt`: the one line a reviewer pastes into a reply on the list,
//! e.g. `daxkit: dax-pmd v1 on 6.12.117: stock 15/15 as expected; +series
//! (C) 15/15, (Rust) 15/15; smaps now agrees with ptdump/pagemap on 15/15;
//! PMD/PTE fault throughput 2.4x (TCG; 2016 series: 2.58x)`.
//! Every number comes from the report.

use super::model::{Report, Variant};
use super::view::{self, REFERENCE_2016};
use daxkit_harness::judge::{Class, Outcome};

/// `15/17`, with the judge's class when the variant is not good:
/// `13/17 (bad)`, `0/0 (cannot test: build-failed)`.
fn counts(r: &Report, v: &Variant) -> String {
    let (pass, total) = view::pass_count(r, v);
    let class = v.judgement().class;
    match (class, v.run.outcome) {
        (Class::Good, _) => format!("{pass}/{total}"),
        (c, Outcome::Completed) => format!("{pass}/{total} ({})", c.word()),
        (c, o) => format!("{pass}/{total} ({}: {o})", c.word()),
    }
}

/// `(C)`, `(stock)`: a variant named within a list.
fn who(r: &Report, v: &Variant) -> String {
    let tag = view::variant_tag(r, v);
    if tag.starts_with('(') {
        tag.to_owned()
    } else {
        format!("({tag})")
    }
}

/// ` [rust.config: CONFIG_FS_DAX_PMD_RUST=y]`, or nothing for a variant
/// without config of its own.
fn own_config(v: &Variant) -> String {
    if v.config.is_empty() {
        String::new()
    } else {
        format!(" [{}]", v.config_text())
    }
}

/// `x` when every part says the same, else `x (a), y (b)`.
fn same_or_each(parts: &[(String, String)]) -> String {
    if parts.windows(2).all(|w| w[0].1 == w[1].1) {
        parts.first().map(|p| p.1.clone()).unwrap_or_default()
    } else {
        parts
            .iter()
            .map(|(who, what)| format!("{what} {who}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn line(r: &Report) -> String {
    let mut parts = Vec::new();
    let what = match &r.series {
        Some(s) => format!("{} v{}", s.name, s.version),
        None => "stock".to_owned(),
    };
    let (stock, patched): (Vec<&Variant>, Vec<&Variant>) =
        r.variants.iter().partition(|v| view::is_stock(r, v));
    for v in &stock {
        parts.push(format!("{} {}", v.name, counts(r, v)));
    }
    if !patched.is_empty() {
        let each: Vec<String> = patched
            .iter()
            .map(|v| {
                format!(
                    "{}{} {}",
                    view::variant_tag(r, v),
                    own_config(v),
                    counts(r, v)
                )
            })
            .collect();
        parts.push(format!("+series {}", each.join(", ")));

        // Only worth a word when smaps said anything at all.
        let agree: Vec<(String, (usize, usize))> = patched
            .iter()
            .map(|v| (who(r, v), view::smaps_agreement(v)))
            .filter(|(_, (_, n))| *n > 0)
            .collect();
        if agree.iter().any(|(_, (a, _))| *a > 0) {
            let best_stock = stock
                .iter()
                .map(|v| view::smaps_agreement(v).0)
                .max()
                .unwrap_or(0);
            let now = if agree.iter().all(|(_, (a, _))| *a > best_stock) {
                "now "
            } else {
                ""
            };
            let each: Vec<(String, String)> = agree
                .iter()
                .map(|(who, (a, n))| (who.clone(), format!("{a}/{n}")))
                .collect();
            parts.push(format!(
                "smaps {now}agrees with ptdump/pagemap on {}",
                same_or_each(&each)
            ));
        }
    }
    // Only verified pairs give a ratio; the others are named with the
    // same caveat the Markdown and HTML show.
    let pairs: Vec<(&Variant, view::BenchPair)> = r
        .variants
        .iter()
        .filter_map(|v| Some((v, view::bench_pair(v)?)))
        .collect();
    let ratios: Vec<(String, String)> = pairs
        .iter()
        .filter_map(|(v, p)| Some((who(r, v), format!("{:.1}x", p.ratio()?))))
        .collect();
    if !ratios.is_empty() {
        let mut accels: Vec<String> = pairs
            .iter()
            .filter(|(_, p)| p.ratio().is_some())
            .map(|(v, _)| view::accel_label(v))
            .collect();
        accels.sort();
        accels.dedup();
        parts.push(format!(
            "PMD/PTE fault throughput {} ({}; 2016 series: {})",
            same_or_each(&ratios),
            accels.join("/"),
            view::ratio_text(REFERENCE_2016.ratio())
        ));
    }
    for (v, p) in &pairs {
        if let Some(c) = p.caveat() {
            parts.push(format!("fault benchmark {} {c}", who(r, v)));
        }
    }
    // "as expected" is said only of exit 0, whatever the parts say.
    let verdict = match r.exit_code() {
        0 => "all as expected (exit 0)".to_owned(),
        1 => "BAD (exit 1)".to_owned(),
        125 => "CANNOT TEST (exit 125)".to_owned(),
        c => format!("exit {c}"),
    };
    format!(
        "daxkit: {what} on {}: {verdict}: {}",
        r.base.kernel_version,
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn fixture_line() {
        assert_eq!(
            line(&fixture::report()),
            "daxkit: dax-pmd v1 on 6.12.117: BAD (exit 1): stock 15/15; \
             +series (C) [c.config: CONFIG_FS_DAX_PMD_RUST=n] 15/18 (bad), \
             (Rust) [rust.config: CONFIG_FS_DAX_PMD_RUST=y CONFIG_KUNIT=y] 11/18 (bad: panic); \
             smaps now agrees with ptdump/pagemap on 14/15 (C), 10/10 (Rust); \
             PMD/PTE fault throughput 2.4x (TCG; 2016 series: 2.58x)"
        );
    }

    #[test]
    fn all_good_collapses_to_one_number_each() {
        let mut r = fixture::report();
        r.variants.truncate(2);
        let stock_bench = r.variants[0].bench.clone();
        let c = &mut r.variants[1];
        c.run.cases = fixture::stock_cases();
        for case in &mut c.run.cases {
            let pt = case
                .signals
                .iter()
                .find(|s| s.name == "ptdump")
                .and_then(|s| s.says);
            if let Some(s) = case.signals.iter_mut().find(|s| s.name == "smaps") {
                s.says = pt;
            }
        }
        c.bench = stock_bench;
        c.config.clear();
        c.run.ktap.clear();
        let c2 = {
            let mut v = r.variants[1].clone();
            v.name = "dax-pmd (Rust)".into();
            v
        };
        r.variants.push(c2);
        assert_eq!(
            line(&r),
            "daxkit: dax-pmd v1 on 6.12.117: all as expected (exit 0): stock 15/15; \
             +series (C) 15/15, (Rust) 15/15; smaps now agrees with ptdump/pagemap on 15/15; \
             PMD/PTE fault throughput 2.4x (TCG; 2016 series: 2.58x)"
        );
    }

    #[test]
    fn no_series_no_bench() {
        let mut r = fixture::report();
        r.series = None;
        r.variants.truncate(1);
        r.variants[0].bench.clear();
        assert_eq!(
            line(&r),
            "daxkit: stock on 6.12.117: all as expected (exit 0): stock 15/15"
        );
    }
}
