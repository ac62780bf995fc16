//! `report.json`: the report as pretty JSON, and the loader that refuses a
//! file of another report format with an error naming the file.

use super::model::{Report, READS_FORMATS, REPORT_FORMAT};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The report as JSON, with the judge's verdict written beside the
/// evidence for readers (`exit_code` and `judgement` per variant, and the
/// report's `exit_code`). Loading ignores them: daxkit always judges the
/// evidence again, so an edited verdict cannot change an exit code.
pub fn render(r: &Report) -> String {
    // Plain data with string keys: serializing cannot fail.
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(vs) = v.get_mut("variants").and_then(|v| v.as_array_mut()) {
        for (json, variant) in vs.iter_mut().zip(&r.variants) {
            let j = variant.judgement();
            json["exit_code"] = j.code().into();
            json["why"] = j.why().into();
            json["judgement"] = serde_json::to_value(&j).unwrap_or_default();
        }
    }
    v["exit_code"] = r.exit_code().into();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Parses a report, checking its `format` first so that a report of another
/// daxkit is named as such rather than as a shape error. `origin` names the
/// source in errors. An older format this daxkit reads comes back in the
/// current shape (its missing fields empty) and format.
pub fn parse(text: &str, origin: &str) -> Result<Report> {
    let value: serde_json::Value =
        serde_json::from_str(text).with_context(|| format!("{origin}: not valid JSON"))?;
    match value.get("format").map(|f| (f, f.as_u64())) {
        None => bail!("{origin}: not a daxkit report (no \"format\" field)"),
        Some((_, Some(v))) if READS_FORMATS.iter().any(|&r| u64::from(r) == v) => {}
        Some((f, _)) => bail!(
            "{origin}: report format {f}, but this daxkit reads formats {} \
             (written by daxkit {}); rerun or merge with a matching daxkit",
            READS_FORMATS.map(|f| f.to_string()).join(" and "),
            value
                .get("daxkit")
                .and_then(|d| d.as_str())
                .unwrap_or("unknown")
        ),
    }
    let mut r: Report = serde_json::from_value(value)
        .with_context(|| format!("{origin}: malformed daxkit report"))?;
    r.format = REPORT_FORMAT;
    Ok(r)
}

pub fn load(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading report {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn round_trip() {
        let r = fixture::report();
        assert_eq!(parse(&render(&r), "mem").unwrap(), r);
    }

    #[test]
    fn wrong_format_names_the_file_and_both_formats() {
        let text = render(&fixture::report()).replacen("\"format\": 3", "\"format\": 7", 1);
        let err = format!("{:#}", parse(&text, "runs/a/report.json").unwrap_err());
        assert!(
            err.starts_with("runs/a/report.json: report format 7"),
            "{err}"
        );
        assert!(err.contains("reads formats 2 and 3"), "{err}");
    }

    /// Format 2 (before variant configs and KUnit results) still loads:
    /// the same report, with no variant config and no KTAP.
    #[test]
    fn format_2_reads_as_the_current_shape() {
        let mut v: serde_json::Value = serde_json::from_str(&render(&fixture::report())).unwrap();
        v["format"] = 2.into();
        for variant in v["variants"].as_array_mut().unwrap() {
            let o = variant.as_object_mut().unwrap();
            assert!(o.remove("config").is_some());
            o.remove("ktap");
        }
        let r = parse(&v.to_string(), "old/report.json").unwrap();
        assert_eq!(r.format, REPORT_FORMAT);
        let mut want = fixture::report();
        for v in &mut want.variants {
            v.config.clear();
            v.run.ktap.clear();
        }
        assert_eq!(r, want);
    }

    #[test]
    fn not_a_report() {
        let err = format!("{:#}", parse("{\"cases\": []}", "x.json").unwrap_err());
        assert_eq!(err, "x.json: not a daxkit report (no \"format\" field)");
        let err = format!("{:#}", parse("{", "x.json").unwrap_err());
        assert!(err.starts_with("x.json: not valid JSON"), "{err}");
        let err = format!("{:#}", parse("{\"format\": 3}", "x.json").unwrap_err());
        assert!(err.starts_with("x.json: malformed daxkit report"), "{err}");
    }

    /// The integration tests read this file; `DAXKIT_BLESS=1 cargo test`
    /// rewrites it after a model change.
    #[test]
    fn committed_fixture_is_current() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/run-a/report.json");
        let want = render(&fixture::report());
        if std::env::var_os("DAXKIT_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let got = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            got == want,
            "{} is stale: rerun with DAXKIT_BLESS=1",
            path.display()
        );
    }
}
