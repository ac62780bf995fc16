//! The harness outside QEMU: `daxkit-harness run --dir /mnt/pmem` runs the
//! cases on an existing DAX mount of a real machine and prints a table (or
//! protocol lines with `--json`).
//!
//! Layered like ripgrep: [`parse`] turns argv into [`Command`] without I/O
//! (unit-tested), [`main`] probes the directory and runs. Exit status, as
//! for `git bisect run`: 0 all cases as expected, 1 not, 125 cannot test
//! (the directory is not a usable DAX mount), 128 usage error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::case::{Case, Env, Needs};
use crate::fs::{self, FsType};
use crate::judge::{self, Evidence, Outcome};
use crate::protocol::{ErrorKind, Plan, Planned, Record, Stream, PROTOCOL_VERSION};
use crate::report::{HumanSink, LineSink, Recorder, Sink};
use crate::{cases, kmsg, runner, sys};

pub const USAGE: &str = "\
usage: daxkit-harness run --dir DIR [--case NAME]... [--json] [--timeout SECS] [--bench MIB] [-v]
       daxkit-harness list

Runs daxkit's DAX workloads on an existing DAX mount (xfs or ext4 mounted
with -o dax) and reports whether each mmap got PMD or PTE entries.
As PID 1 (/init in the daxkit guest) it boots the guest instead.

  --dir DIR       directory on the mounted filesystem to create files in
  --case NAME     run only this case (repeatable; default: all that fit DIR)
  --json          print protocol lines instead of a table
  --timeout SECS  per-case limit (default 60)
  --bench MIB     also run the fault benchmark over MIB MiB
  -v              diagnostics on stderr

exit status (daxkit's judge): 0 all as expected, 1 bad, 125 cannot test, 128 usage";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(RunArgs),
    List,
    Help,
    Version,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunArgs {
    pub dir: PathBuf,
    pub cases: Vec<String>,
    pub json: bool,
    pub timeout: Duration,
    pub bench_mib: Option<u64>,
    pub verbose: bool,
}

/// Parses the arguments after the program name. Pure.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    let cmd = match it.next().map(String::as_str) {
        None | Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("-V" | "--version") => return Ok(Command::Version),
        Some("list") => return Ok(Command::List),
        Some("run") => "run",
        Some(other) => return Err(format!("unknown command {other:?}")),
    };
    debug_assert_eq!(cmd, "run");
    let mut dir = None;
    let mut run = RunArgs {
        dir: PathBuf::new(),
        cases: Vec::new(),
        json: false,
        timeout: runner::DEFAULT_TIMEOUT,
        bench_mib: None,
        verbose: false,
    };
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "--dir" => dir = Some(PathBuf::from(value("--dir")?)),
            "--case" => run.cases.push(value("--case")?),
            "--json" => run.json = true,
            "-v" | "--verbose" => run.verbose = true,
            "--timeout" => {
                let v = value("--timeout")?;
                let s: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout: not a number of seconds: {v:?}"))?;
                run.timeout = Duration::from_secs(s.max(1));
            }
            "--bench" => {
                let v = value("--bench")?;
                run.bench_mib = Some(
                    v.parse()
                        .map_err(|_| format!("--bench: not a number of MiB: {v:?}"))?,
                );
            }
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    run.dir = dir.ok_or("run needs --dir DIR")?;
    Ok(Command::Run(run))
}

/// Which environment an existing mount is. Pure.
pub fn classify(fs: FsType, dax: bool, pfn_align: Option<u64>) -> Result<Needs, String> {
    match (fs, dax) {
        (FsType::Xfs, true) if pfn_align == Some(4096) => Ok(Needs::Dax4kXfs),
        (FsType::Xfs, true) => Ok(Needs::DaxXfs),
        (FsType::Xfs, false) => Ok(Needs::NoDaxXfs),
        (FsType::Ext4, true) => Ok(Needs::DaxExt4),
        (FsType::Ext4, false) => {
            Err("ext4 mounted without DAX: no case runs there (mount with -o dax)".into())
        }
    }
}

/// Entry point for the CLI; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    match parse(args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            0
        }
        Ok(Command::Version) => {
            println!(
                "daxkit-harness {} (protocol {PROTOCOL_VERSION})",
                env!("CARGO_PKG_VERSION")
            );
            0
        }
        Ok(Command::List) => {
            for c in cases::all() {
                println!(
                    "{:<36} {:<10} expect {:<7} {}",
                    c.name,
                    runner::spec(c.needs).name,
                    c.expected.to_string(),
                    c.description
                );
            }
            0
        }
        Ok(Command::Run(a)) => run(&a),
        Err(e) => {
            eprintln!("daxkit-harness: {e}\n\n{USAGE}");
            128
        }
    }
}

fn run(a: &RunArgs) -> i32 {
    if !a.verbose {
        kmsg::silence();
    }
    // Input errors are not verdicts: under `git bisect run` a typo must
    // stop the bisect (128), not skip or fail every commit.
    let all = cases::all();
    let unknown: Vec<&String> = a
        .cases
        .iter()
        .filter(|n| !all.iter().any(|c| c.name == n.as_str()))
        .collect();
    if !unknown.is_empty() {
        eprintln!("daxkit-harness: unknown case {unknown:?} (see `daxkit-harness list`)");
        return 128;
    }
    if !a.dir.is_dir() {
        eprintln!("daxkit-harness: --dir {}: not a directory", a.dir.display());
        return 128;
    }
    let mut out: Box<dyn Sink> = if a.json {
        Box::new(LineSink::new(std::io::stdout()))
    } else {
        Box::new(HumanSink::new(std::io::stdout()))
    };
    let mut sink = Recorder {
        inner: &mut *out,
        records: Vec::new(),
    };
    sink.send(Record::Hello {
        protocol: PROTOCOL_VERSION,
        kernel: sys::kernel_release(),
        cmdline: std::fs::read_to_string("/proc/cmdline")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        harness: env!("CARGO_PKG_VERSION").into(),
    });
    match probe_env(&a.dir) {
        Ok((env, detail)) => {
            sink.send(Record::Setup {
                step: format!("env {}", runner::spec(env.needs).name),
                ok: true,
                detail,
            });
            let chosen = choose(&all, &a.cases, env.needs, &mut sink);
            sink.send(Record::Plan(Plan {
                cases: chosen
                    .iter()
                    .map(|c| Planned {
                        name: c.name.into(),
                        fs: env.fs.into(),
                        expected: c.expected,
                    })
                    .collect(),
                skipped: Vec::new(),
            }));
            runner::run_cases(&env, &chosen, a.timeout, &mut sink);
            if let Some(mib) = a.bench_mib {
                runner::run_bench(&env, mib, a.timeout, &mut sink);
            }
        }
        Err(e) => sink.send(Record::Error {
            case: None,
            kind: ErrorKind::NotRun,
            message: format!("cannot test: {e}"),
        }),
    }
    sink.finish();
    // The same judge as the host's; on real pmem there is no console to
    // scan and no kernel config to say which signals it guarantees.
    let stream = Stream {
        records: sink.records,
    };
    let j = judge::judge(&Evidence::from_stream(Outcome::Completed, "", &stream));
    eprintln!("daxkit-harness: {} (exit {})", j.why(), j.code());
    j.code()
}

/// The cases to run on an environment; named cases that do not fit it are
/// errors, unnamed ones are left out.
fn choose<'a>(
    all: &'a [Case],
    names: &[String],
    needs: Needs,
    sink: &mut dyn Sink,
) -> Vec<&'a Case> {
    if names.is_empty() {
        return all.iter().filter(|c| c.needs == needs).collect();
    }
    let mut out: Vec<&Case> = Vec::new();
    for n in names {
        match all.iter().find(|c| c.name == n) {
            Some(c) if c.needs == needs => {
                if !out.iter().any(|x| x.name == c.name) {
                    out.push(c);
                }
            }
            Some(c) => sink.send(Record::Error {
                case: Some(c.name.into()),
                kind: ErrorKind::NotRun,
                message: format!(
                    "not run: needs {}, the directory is {}",
                    runner::spec(c.needs).name,
                    runner::spec(needs).name
                ),
            }),
            None => sink.send(Record::Error {
                case: Some(n.clone()),
                kind: ErrorKind::NotRun,
                message: "unknown case (see `daxkit-harness list`)".into(),
            }),
        }
    }
    out
}

/// Looks at `dir`: filesystem, DAX state, device and its pfn alignment.
fn probe_env(dir: &Path) -> Result<(Env, String), String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let magic = sys::fs_magic(dir)
        .map_err(|e| format!("statfs {}: {}", dir.display(), sys::errno_text(&e)))?;
    let fs = FsType::from_magic(magic).ok_or_else(|| {
        format!(
            "{} is on filesystem {magic:#x}, not xfs or ext4",
            dir.display()
        )
    })?;
    let (attr, extent) = fs::dax_state(dir)?;
    if !attr.supported {
        return Err("the kernel does not report STATX_ATTR_DAX (Linux 5.8+ needed)".into());
    }
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let device = fs::mount_source(&mountinfo, &abs)
        .map(|(d, _)| d)
        .unwrap_or_default();
    let pfn_align = device
        .file_name()
        .and_then(|n| {
            std::fs::read_to_string(Path::new("/sys/class/block").join(n).join("device/align")).ok()
        })
        .and_then(|s| s.trim().parse().ok());
    let needs = classify(fs, attr.dax, pfn_align)?;
    let detail = format!(
        "{}: {} on {}, DAX {}{}; probe file {extent}",
        dir.display(),
        fs.name(),
        device.display(),
        if attr.dax { "on" } else { "off" },
        pfn_align
            .map(|a| format!(", pfn align {a}"))
            .unwrap_or_default()
    );
    Ok((
        Env {
            needs,
            fs: fs.name(),
            dir: dir.to_owned(),
            device,
        },
        detail,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parse_run() {
        let Command::Run(r) = parse(&args(
            "run --dir /mnt/pmem --case a --case=b --json --timeout 5",
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(r.dir, PathBuf::from("/mnt/pmem"));
        assert_eq!(r.cases, ["a", "b"]);
        assert!(r.json && !r.verbose);
        assert_eq!(r.timeout, Duration::from_secs(5));
        assert_eq!(r.bench_mib, None);
    }

    #[test]
    fn parse_errors_and_other_commands() {
        assert_eq!(parse(&args("")), Ok(Command::Help));
        assert_eq!(parse(&args("list")), Ok(Command::List));
        assert_eq!(parse(&args("--version")), Ok(Command::Version));
        assert_eq!(parse(&args("run")), Err("run needs --dir DIR".into()));
        assert_eq!(parse(&args("run --dir")), Err("--dir needs a value".into()));
        assert!(parse(&args("run --dir d --timeout x"))
            .unwrap_err()
            .contains("not a number"));
        assert!(parse(&args("run --dir d --frob"))
            .unwrap_err()
            .contains("--frob"));
        assert!(parse(&args("frob")).is_err());
    }

    #[test]
    fn classify_mounts() {
        assert_eq!(
            classify(FsType::Xfs, true, Some(2 << 20)),
            Ok(Needs::DaxXfs)
        );
        assert_eq!(classify(FsType::Xfs, true, None), Ok(Needs::DaxXfs));
        assert_eq!(classify(FsType::Xfs, true, Some(4096)), Ok(Needs::Dax4kXfs));
        assert_eq!(classify(FsType::Xfs, false, None), Ok(Needs::NoDaxXfs));
        assert_eq!(classify(FsType::Ext4, true, None), Ok(Needs::DaxExt4));
        assert!(classify(FsType::Ext4, false, None).is_err());
    }

    #[test]
    fn input_errors_are_128_and_a_non_dax_dir_cannot_test() {
        // A directory that is not there, a case that does not exist: the
        // input's fault, which must stop a bisect.
        assert_eq!(main(&args("run --dir /nonexistent/daxkit")), 128);
        assert_eq!(main(&args("run --dir /tmp --case no-such-case")), 128);
        // A real directory that is not a DAX mount cannot test.
        let d = std::env::temp_dir();
        assert_eq!(main(&args(&format!("run --dir {}", d.display()))), 125);
    }
}
