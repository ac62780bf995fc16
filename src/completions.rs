//! `daxkit completions SHELL` and `daxkit manpage [DIR]`: shell completions
//! and man pages generated from the clap definitions in `cli`, so they
//! never drift from the flags. Pure renderers plus the command that writes.

use crate::cli::Cli;
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::path::{Path, PathBuf};

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "daxkit", &mut out);
    out
}

/// The man pages: `daxkit.1` first, then one per visible subcommand
/// (`daxkit-run.1`, `daxkit-kernel-fetch.1`), as (file name, roff).
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    fn walk(cmd: clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        out.push((man.get_filename(), roff));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub.clone(), out)?;
        }
        Ok(())
    }
    // Built once so subcommands carry their full names (`daxkit-run`).
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(cmd, &mut out)?;
    Ok(out)
}

/// Writes every man page into `dir` and returns their paths; without a
/// directory the caller prints `daxkit.1` (for `daxkit manpage | man -l -`).
pub fn write_man_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    man_pages()?
        .into_iter()
        .map(|(name, roff)| {
            let p = dir.join(name);
            std::fs::write(&p, roff).with_context(|| format!("writing {}", p.display()))?;
            Ok(p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The visible subcommands, as a user types them.
    fn subcommands() -> Vec<String> {
        Cli::command()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_owned())
            .collect()
    }

    #[test]
    fn every_shell_completes_every_subcommand() {
        let subs = subcommands();
        assert!(subs.len() > 10, "{subs:?}");
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let script = String::from_utf8(completions(shell)).unwrap();
            for s in &subs {
                assert!(script.contains(s.as_str()), "{shell}: no {s}");
            }
            // Global flags and a subcommand's own.
            assert!(script.contains("quiet"), "{shell}");
            assert!(script.contains("make-target"), "{shell}");
        }
    }

    #[test]
    fn man_pages_cover_every_subcommand() {
        let pages = man_pages().unwrap();
        let (name, main) = &pages[0];
        assert_eq!(name, "daxkit.1");
        let main = String::from_utf8_lossy(main);
        assert!(main.contains(".TH daxkit 1"), "{main}");
        for s in subcommands() {
            // roff writes a hyphen as `\-`.
            let roff_name = s.replace('-', "\\-");
            assert!(main.contains(&roff_name), "daxkit.1 does not name {s}");
            let page = format!("daxkit-{s}.1");
            let roff = pages
                .iter()
                .find(|(n, _)| *n == page)
                .unwrap_or_else(|| panic!("no {page}"));
            assert!(!roff.1.is_empty());
        }
        // Nested commands get their own page; hidden ones none.
        assert!(pages.iter().any(|(n, _)| n == "daxkit-kernel-fetch.1"));
        assert!(pages.iter().any(|(n, _)| n == "daxkit-report-merge.1"));
        assert!(!pages.iter().any(|(n, _)| n.contains("bisect-step")));
        assert!(!pages.iter().any(|(n, _)| n.contains("daxkit-help")));
    }

    #[test]
    fn man_pages_are_written_to_a_folder() {
        let d = tempfile::tempdir().unwrap();
        let paths = write_man_pages(&d.path().join("man1")).unwrap();
        assert_eq!(paths.len(), man_pages().unwrap().len());
        assert!(paths.iter().all(|p| p.metadata().unwrap().len() > 100));
    }
}
