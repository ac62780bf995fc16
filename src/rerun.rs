//! `daxkit rerun REPORT.json`: repeats the run a report records (its
//! reproducer record: the same subcommand and arguments, from the same
//! folder, into a new run folder) and says which inputs and which case
//! outcomes differ. The exit code is the new run's, from the one judge.

use crate::cli::{Cli, Command};
use crate::home::Home;
use crate::report::{self, model::Report, reproducer};
use crate::reproduce::{self, ReproduceArgs};
use crate::ui;
use anyhow::{bail, Context, Result};
use clap::{Args, Parser};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct RerunArgs {
    /// A report.json written by `daxkit reproduce`, `ci` or `review` (or its run folder).
    pub report: PathBuf,
}

pub fn cmd(home: &Home, a: &RerunArgs) -> Result<i32> {
    let file = if a.report.is_dir() {
        a.report.join("report.json")
    } else {
        a.report.clone()
    };
    let old = report::json::load(&file)?;
    let record = record_of(&old, &file)?;
    let args = reproduce_args(&record.command, &file)?;
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

/// The recorded command as `reproduce` arguments (`ci` reruns as
/// `reproduce`: its --out folder is left as it is).
pub fn reproduce_args(command: &[String], file: &Path) -> Result<ReproduceArgs> {
    let cli = Cli::try_parse_from(std::iter::once("daxkit".to_owned()).chain(command.to_vec()))
        .map_err(|e| {
            anyhow::anyhow!(
                "{}: its command `daxkit {}` does not parse with this daxkit: {}",
                file.display(),
                command.join(" "),
                e.render().to_string().trim()
            )
        })?;
    match cli.command {
        Command::Reproduce(a) => Ok(a),
        Command::Ci(c) => Ok(c.reproduce),
        _ => bail!(
            "{}: its command `daxkit {}` is not one rerun repeats (reproduce, ci)",
            file.display(),
            command.join(" ")
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
    fn recorded_commands_become_reproduce_args() {
        let f = Path::new("r.json");
        let a = reproduce_args(&fixture::report().reproducer.unwrap().command, f).unwrap();
        assert_eq!(a.config.target.series.as_deref(), Some("dax-pmd"));
        assert_eq!(a.runs.cases, ["xfs-aligned-shared-write"]);
        let ci: Vec<String> = ["ci", "--out", "x", "--fs", "xfs"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(reproduce_args(&ci, f).unwrap().runs.filesystems, ["xfs"]);
        let err = format!(
            "{:#}",
            reproduce_args(&["doctor".to_owned()], f).unwrap_err()
        );
        assert!(
            err.starts_with("r.json: its command `daxkit doctor`"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            reproduce_args(&["reproduce".to_owned(), "--bogus".to_owned()], f).unwrap_err()
        );
        assert!(err.contains("does not parse"), "{err}");
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
