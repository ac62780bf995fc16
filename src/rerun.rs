//! `daxkit rerun REPORT.json`: repeats the run a report records (its
//! reproducer record: the same subcommand and arguments, from the same
//! folder, into a new run folder) and says which inputs and which case
//! outcomes differ. The exit code is the new run's, from the one judge.

use crate::home::Home;
use crate::report::{self, model::Report, reproducer};
use crate::reproduce::{self, ReproduceSpec};
use crate::ui;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Reruns `report` (a report.json or its run folder); `parse` turns the
/// recorded command into `reproduce` arguments (the CLI's job) or an
/// input error naming the file.
pub fn cmd(
    home: &Home,
    report: &Path,
    parse: impl Fn(&[String], &Path) -> Result<ReproduceSpec>,
) -> Result<i32> {
    let file = if report.is_dir() {
        report.join("report.json")
    } else {
        report.to_owned()
    };
    let old = report::json::load(&file)?;
    let record = record_of(&old, &file)?;
    let args = parse(&record.command, &file)?;
    let cwd = Path::new(&record.cwd);
    std::env::set_current_dir(cwd).with_context(|| {
        format!(
            "{}: the run's folder {} is gone; it cannot be rerun from there",
            file.display(),
            cwd.display()
        )
    })?;
    ui::step(format!(
        "rerun of {}: {} (in {})",
        file.display(),
        record.command_line(),
        record.cwd
    ));
    let (new, out) = reproduce::run(home, &args, record.command.clone())
        .with_context(|| format!("rerun of {}", file.display()))?;
    let files = report::write_all(&new, &out)?;
    print!("{}", describe(&old, &new, &out));
    for f in files {
        ui::note(format!("wrote {}", f.display()));
    }
    Ok(new.exit_code())
}

/// The report's reproducer record, or an input error naming the file.
pub fn record_of<'a>(r: &'a Report, file: &Path) -> Result<&'a reproducer::Reproducer> {
    match &r.reproducer {
        Some(rec) => Ok(rec),
        None => bail!(
            "{}: no reproducer record (a report of daxkit {} from before reports kept \
             one, or a merged report: rerun one of the jobs' report.json)",
            file.display(),
            r.daxkit
        ),
    }
}

/// What `rerun` prints: the new run folder, each input and each case
/// outcome that differs, and the new summary line.
pub fn describe(old: &Report, new: &Report, out: &Path) -> String {
    let mut s = format!("rerun → {}\n", out.display());
    let inputs = match (&old.reproducer, &new.reproducer) {
        (Some(a), Some(b)) => reproducer::diff(a, b),
        _ => vec!["no reproducer record to compare".to_owned()],
    };
    if inputs.is_empty() {
        s += "inputs: the same\n";
    } else {
        s += "inputs that differ:\n";
        for d in &inputs {
            s += &format!("  {d}\n");
        }
    }
    let outcomes = reproducer::outcome_changes(old, new);
    if outcomes.is_empty() {
        s += "outcomes: the same\n";
    } else {
        s += "outcomes that differ:\n";
        for d in &outcomes {
            s += &format!("  {d}\n");
        }
    }
    s += &format!(
        "exit {} → {}\n{}\n",
        old.exit_code(),
        new.exit_code(),
        report::summary_line(new)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn a_report_without_a_record_is_an_input_error_naming_the_file() {
        let mut r = fixture::report();
        r.reproducer = None;
        let err = record_of(&r, Path::new("runs/old/report.json")).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.starts_with("runs/old/report.json: no reproducer record"),
            "{err}"
        );
    }

    #[test]
    fn describe_says_what_differs() {
        let old = fixture::report();
        let same = describe(&old, &old, Path::new("/runs/new"));
        assert!(
            same.contains("inputs: the same\noutcomes: the same\n"),
            "{same}"
        );
        let mut new = old.clone();
        new.reproducer.as_mut().unwrap().host.gcc = "12.3.0".into();
        let d = describe(&old, &new, Path::new("/runs/new"));
        assert!(
            d.contains("inputs that differ:\n  gcc 12.2.0 → 12.3.0\n"),
            "{d}"
        );
    }
}
