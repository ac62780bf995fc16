//! The layering rule (ARCHITECTURE.md, "Layers"): only the CLI knows the
//! command line. No file under `src/` other than `src/cli.rs`,
//! `src/cli/`, `src/main.rs` and `src/completions.rs` (completions and
//! man pages are generated from the clap definitions) may name `clap`
//! (or `clap_complete`, `clap_mangen`) or import `crate::cli`; stages
//! take plain specs. This scans the source text, so a new module is
//! covered without being listed.

use regex::Regex;
use std::path::{Path, PathBuf};

/// Files that may know clap and the CLI, relative to `src/`.
fn allowed(rel: &Path) -> bool {
    rel == Path::new("cli.rs")
        || rel.starts_with("cli")
        || rel == Path::new("main.rs")
        || rel == Path::new("completions.rs")
}

/// Where `text` names clap or imports the CLI, outside `//` comments
/// (doc comments included): each as (1-based line, that line trimmed).
fn violations(text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|l| l.find("//").map_or(l, |at| &l[..at]))
        .collect::<Vec<_>>()
        .join("\n");
    // `clap::Args`, `use clap;`, `clap_complete::Shell`, `use clap as c;`.
    let clap = Regex::new(r"\b(clap|clap_complete|clap_mangen)\s*(::|;|\s+as\s)").unwrap();
    // `crate::cli`, `super::super::cli` as a path.
    let cli = Regex::new(r"\b(crate|super)\s*::\s*(super\s*::\s*)*cli\b").unwrap();
    // `use crate::{apply, cli, tree};` over any number of lines.
    let group = Regex::new(r"\buse\s+crate\s*::\s*\{([^;]*)\}\s*;").unwrap();
    let member = Regex::new(r"(^|[{,])\s*cli\s*($|[,}]|::)").unwrap();
    let mut at: Vec<usize> = clap
        .find_iter(&code)
        .chain(cli.find_iter(&code))
        .map(|m| m.start())
        .chain(
            group
                .captures_iter(&code)
                .filter(|c| member.is_match(&c[1]))
                .map(|c| c.get(0).unwrap().start()),
        )
        .map(|start| code[..start].matches('\n').count())
        .collect();
    at.sort();
    at.dedup();
    let lines: Vec<&str> = text.lines().collect();
    at.into_iter()
        .map(|i| (i + 1, lines[i].trim().to_owned()))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn only_the_cli_knows_clap() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    // The scan must see the tree it guards: the CLI and some stages.
    assert!(files.iter().any(|f| f.ends_with("cli.rs")));
    assert!(files.len() > 20, "{files:?}");
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        if allowed(rel) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in violations(&text) {
            bad.push(format!("src/{}:{n}: {line}", rel.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "only src/cli* (with main.rs and completions.rs) may use clap or crate::cli; \
         stages take plain specs (ARCHITECTURE.md, Layers):\n{}",
        bad.join("\n")
    );
    // And the CLI itself is where clap is: the allowed files do use it.
    let cli = std::fs::read_to_string(src.join("cli.rs")).unwrap();
    assert!(!violations(&cli).is_empty());
}

/// The scanner finds what the rule forbids and leaves the rest alone.
#[test]
fn scanner_finds_clap_and_cli_imports() {
    let found = |s: &str| !violations(s).is_empty();
    for bad in [
        "use clap::Args;",
        "use clap::{Args, Subcommand, ValueEnum};",
        "#[derive(Debug, Clone, Copy, clap::ValueEnum)]",
        "    use clap::Parser;",
        "let s = clap_complete::Shell::Bash;",
        "use crate::cli::ConfigArgs;",
        "use crate::cli;",
        "let c = crate::cli::Cli::try_parse_from(args);",
        "use super::super::cli::TargetArgs;",
        "use crate::{apply, cli, tree};",
        "use crate::{apply, cli};",
        "use crate::{cli, tree};",
        "use crate :: cli :: X;",
        "use crate::{\n    apply, bisect,\n    cli, tree,\n};",
        "use crate::{cli::TargetArgs, tree};",
        "extern crate clap;",
    ] {
        assert!(found(bad), "not found: {bad}");
    }
    for ok in [
        "//! the flags and their help are in `cli`, derived with clap::Args",
        "/// clap::ValueEnum is implemented in cli/values.rs",
        "let x = 1; // use crate::cli::X",
        "use crate::client::Thing;",
        "let clapper = 1; my_clap::x();",
        "use crate::{apply, clippy, tree};",
        "let s = \"clap\";",
        "use crate::{\n    apply, client,\n    tree,\n};",
        "use crate::{apply, tree};\nlet cli = 1;",
    ] {
        assert!(!found(ok), "false positive: {ok}");
    }
    assert_eq!(
        violations("fn a() {}\nuse clap::Args;\n"),
        [(2, "use clap::Args;".to_owned())]
    );
    assert_eq!(
        violations("use crate::{\n    apply,\n    cli,\n};\n"),
        [(1, "use crate::{".to_owned())]
    );
}
