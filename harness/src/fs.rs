//! Filesystems on pmem: mkfs, mount with or without DAX, and the statx proof
//! that DAX is really on (or really off).
//!
//! [`mkfs_command`] and [`mount_options`] are pure and unit-tested; the rest
//! runs the tools and syscalls. Nothing here decides which environment is
//! wanted: that is the runner's job.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsType {
    Xfs,
    Ext4,
}

impl FsType {
    pub fn name(self) -> &'static str {
        match self {
            FsType::Xfs => "xfs",
            FsType::Ext4 => "ext4",
        }
    }

    pub fn parse(s: &str) -> Option<FsType> {
        match s {
            "xfs" => Some(FsType::Xfs),
            "ext4" => Some(FsType::Ext4),
            _ => None,
        }
    }

    /// statfs(2) f_type.
    pub fn from_magic(magic: u64) -> Option<FsType> {
        match magic {
            0x5846_5342 => Some(FsType::Xfs),
            0xEF53 => Some(FsType::Ext4),
            _ => None,
        }
    }
}

/// The mkfs tools live here in the guest image.
pub const SBIN: &str = "/sbin";

/// Program and arguments to make `fs` on `dev`. Pure.
///
/// - xfs: `-d su=2m,sw=1` makes the allocator align data extents to 2 MiB
///   (the stripe unit), `-m reflink=0` keeps shared extents and their
///   copy-on-write paths out of the fault path under test.
/// - ext4: `-E stride=512,stripe_width=512` (in 4 KiB blocks = 2 MiB) sets
///   `s_stripe`, so mballoc aligns stripe-multiple allocations to 2 MiB on
///   the device — the ext4 equivalent of xfs's `su=2m`. Without it ext4's
///   extents land wherever the buddy allocator finds room and PMD faults
///   fall back to PTEs for layout reasons, not kernel reasons; with it both
///   filesystems get the same 2 MiB geometry and a difference between them
///   is a difference in the kernel. `-b 4096` because DAX needs block size
///   == page size. `-O ^has_journal` is not used: the journal is what a
///   real user has.
pub fn mkfs_command(fs: FsType, dev: &Path) -> (PathBuf, Vec<String>) {
    let dev = dev.display().to_string();
    let (prog, args): (&str, &[&str]) = match fs {
        FsType::Xfs => (
            "mkfs.xfs",
            &["-f", "-q", "-d", "su=2m,sw=1", "-m", "reflink=0"],
        ),
        FsType::Ext4 => (
            "mkfs.ext4",
            &[
                "-F",
                "-q",
                "-b",
                "4096",
                "-E",
                "stride=512,stripe_width=512",
            ],
        ),
    };
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.push(dev);
    (Path::new(SBIN).join(prog), v)
}

/// `-o` data for mount(2). `dax=always`/`dax=never` work on both xfs and
/// ext4 since 5.10; `never` makes "no DAX" explicit rather than a default.
pub fn mount_options(dax: bool) -> &'static str {
    if dax {
        "dax=always"
    } else {
        "dax=never"
    }
}

/// Shell-like rendering of a command for reports.
pub fn render(prog: &Path, args: &[String]) -> String {
    std::iter::once(prog.display().to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs mkfs; an error carries the command, its status and output tail.
pub fn mkfs(fs: FsType, dev: &Path) -> Result<String, String> {
    let (prog, args) = mkfs_command(fs, dev);
    let cmd = render(&prog, &args);
    if !prog.exists() {
        return Err(format!(
            "{} is missing from the guest image (needed for {})",
            prog.display(),
            fs.name()
        ));
    }
    let start = Instant::now();
    // Output goes to a file, not a pipe: PID 1 stays single-threaded (the
    // case runner forks) and can still enforce a deadline with try_wait.
    let log_path = std::env::temp_dir().join(format!("daxkit-{}.log", fs.name()));
    let io_err = |what: &str, e: std::io::Error| format!("{cmd}: {what}: {}", sys::errno_text(&e));
    let log = std::fs::File::create(&log_path).map_err(|e| io_err("log file", e))?;
    let log2 = log.try_clone().map_err(|e| io_err("log file", e))?;
    let mut child = Command::new(&prog)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(|e| io_err("spawn", e))?;
    let status = loop {
        match child.try_wait().map_err(|e| io_err("wait", e))? {
            Some(st) => break st,
            None if start.elapsed() > MKFS_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{cmd}: still running after {} s, killed",
                    MKFS_TIMEOUT.as_secs()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    if !status.success() {
        return Err(format!("{cmd}: {status}: {}", tail(&output, 5)));
    }
    Ok(format!("{cmd} ({} ms)", start.elapsed().as_millis()))
}

/// mkfs on a few GiB of pmem takes seconds even under TCG.
pub const MKFS_TIMEOUT: Duration = Duration::from_secs(300);

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

pub fn mount(fs: FsType, dev: &Path, dir: &Path, dax: bool) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let opts = mount_options(dax);
    let desc = format!(
        "{} on {} type {} ({opts})",
        dev.display(),
        dir.display(),
        fs.name()
    );
    sys::mount(&dev.display().to_string(), dir, fs.name(), 0, Some(opts))
        .map_err(|e| format!("mount {desc}: {}", sys::errno_text(&e)))?;
    Ok(desc)
}

pub fn umount(dir: &Path) -> Result<(), String> {
    sys::umount(dir).map_err(|e| format!("umount {}: {}", dir.display(), sys::errno_text(&e)))
}

/// Name of the probe file [`prove_dax`] creates (and removes).
pub const PROBE: &str = ".daxkit-probe";
const PROBE_LEN: u64 = 4 << 20;

/// Creates a preallocated probe file in `dir` and checks its DAX state with
/// statx(STATX_ATTR_DAX) against `want`. Also reports where its first
/// extent sits on the device: a 2 MiB-aligned extent is what PMD faults
/// need, so this is the first thing to look at when a case gets PTEs.
pub fn prove_dax(dir: &Path, want: bool) -> Result<String, String> {
    let path = dir.join(PROBE);
    let res = probe(&path, want);
    let _ = std::fs::remove_file(&path);
    res
}

fn probe(path: &Path, want: bool) -> Result<String, String> {
    let (attr, extent) = probe_file(path)?;
    check_dax(attr, want, &path.display().to_string()).map(|s| format!("{s}; {extent}"))
}

/// The DAX state of a fresh preallocated file in `dir` (removed again), and
/// where its first extent sits on the device.
pub fn dax_state(dir: &Path) -> Result<(sys::DaxAttr, String), String> {
    let path = dir.join(PROBE);
    let res = probe_file(&path);
    let _ = std::fs::remove_file(&path);
    res
}

fn probe_file(path: &Path) -> Result<(sys::DaxAttr, String), String> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| format!("creating {}: {}", path.display(), sys::errno_text(&e)))?;
    sys::fallocate(&f, PROBE_LEN)
        .map_err(|e| format!("fallocate {}: {}", path.display(), sys::errno_text(&e)))?;
    let attr = sys::statx_dax(path)
        .map_err(|e| format!("statx {}: {}", path.display(), sys::errno_text(&e)))?;
    let extent = match sys::fiemap(&f, 1) {
        Ok(e) => describe_extent(e.first().copied()),
        Err(e) => format!("FIEMAP: {}", sys::errno_text(&e)),
    };
    Ok((attr, extent))
}

/// Turns a statx result into the verdict text. Pure.
pub fn check_dax(attr: sys::DaxAttr, want: bool, what: &str) -> Result<String, String> {
    match (attr.supported, attr.dax, want) {
        (false, _, _) => Err(format!(
            "statx on {what}: the kernel does not report STATX_ATTR_DAX (stx_attributes_mask lacks 0x200000)"
        )),
        (true, true, true) => Ok(format!("statx STATX_ATTR_DAX set on {what}")),
        (true, false, false) => Ok(format!("statx STATX_ATTR_DAX clear on {what}")),
        (true, false, true) => Err(format!(
            "mounted without DAX: statx STATX_ATTR_DAX clear on {what}"
        )),
        (true, true, false) => Err(format!(
            "mounted with dax=never but statx STATX_ATTR_DAX is set on {what}"
        )),
    }
}

pub fn describe_extent(e: Option<sys::Extent>) -> String {
    match e {
        None => "FIEMAP: no extents".into(),
        Some(e) => format!(
            "first extent at device offset {:#x} len {:#x} ({})",
            e.physical,
            e.length,
            if e.physical % (2 << 20) == 0 {
                "2 MiB aligned"
            } else {
                "NOT 2 MiB aligned"
            }
        ),
    }
}

/// The mount source of `dir` from /proc/self/mountinfo (longest matching
/// mount point), for the CLI's `--dir` mode.
pub fn mount_source(mountinfo: &str, dir: &Path) -> Option<(PathBuf, String)> {
    mountinfo
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|&x| x == "-")?;
            let mnt = PathBuf::from(*f.get(4)?);
            let src = PathBuf::from(*f.get(sep + 2)?);
            let opts = format!("{},{}", f.get(5)?, f.get(sep + 3).unwrap_or(&""));
            dir.starts_with(&mnt).then_some((mnt, src, opts))
        })
        .max_by_key(|(mnt, _, _)| mnt.as_os_str().len())
        .map(|(_, src, opts)| (src, opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_mkfs(fs: FsType, want: &str) {
        let (p, a) = mkfs_command(fs, Path::new("/dev/pmem0"));
        assert_eq!(render(&p, &a), want);
    }

    #[test]
    fn mkfs_commands() {
        check_mkfs(
            FsType::Xfs,
            "/sbin/mkfs.xfs -f -q -d su=2m,sw=1 -m reflink=0 /dev/pmem0",
        );
        check_mkfs(
            FsType::Ext4,
            "/sbin/mkfs.ext4 -F -q -b 4096 -E stride=512,stripe_width=512 /dev/pmem0",
        );
    }

    #[test]
    fn mkfs_failure_carries_status_and_output() {
        if !Path::new("/sbin/mkfs.xfs").exists() {
            eprintln!("skipped: no /sbin/mkfs.xfs on this host");
            return;
        }
        let e = mkfs(FsType::Xfs, Path::new("/nonexistent/daxkit-dev")).unwrap_err();
        assert!(e.starts_with("/sbin/mkfs.xfs -f -q"), "{e}");
        assert!(
            e.contains("exit status: 1") && e.contains("daxkit-dev"),
            "{e}"
        );
    }

    #[test]
    fn dax_verdicts() {
        let a = |supported, dax| sys::DaxAttr { supported, dax };
        assert!(check_dax(a(true, true), true, "f").is_ok());
        assert!(check_dax(a(true, false), false, "f").is_ok());
        assert!(check_dax(a(true, false), true, "f")
            .unwrap_err()
            .starts_with("mounted without DAX"));
        assert!(check_dax(a(true, true), false, "f").is_err());
        assert!(check_dax(a(false, false), true, "f")
            .unwrap_err()
            .contains("does not report"));
    }

    #[test]
    fn fs_names_and_magic() {
        assert_eq!(FsType::parse("xfs"), Some(FsType::Xfs));
        assert_eq!(FsType::parse("btrfs"), None);
        assert_eq!(FsType::from_magic(0x58465342), Some(FsType::Xfs));
        assert_eq!(FsType::from_magic(0xEF53), Some(FsType::Ext4));
        assert_eq!(mount_options(true), "dax=always");
        assert_eq!(mount_options(false), "dax=never");
    }

    #[test]
    fn extent_alignment_text() {
        let e = |physical| {
            describe_extent(Some(sys::Extent {
                logical: 0,
                physical,
                length: 4 << 20,
            }))
        };
        assert!(e(6 << 20).ends_with("(2 MiB aligned)"));
        assert!(e((6 << 20) + 4096).ends_with("(NOT 2 MiB aligned)"));
    }

    #[test]
    fn mount_source_picks_the_longest_mount_point() {
        let mi = "\
22 1 0:21 / / rw,relatime - rootfs rootfs rw
40 22 259:0 / /mnt/pmem rw,relatime - xfs /dev/pmem0 rw,attr2,dax=always
41 40 259:1 / /mnt/pmem/inner rw - ext4 /dev/pmem1 rw,dax=always
";
        let (src, opts) = mount_source(mi, Path::new("/mnt/pmem/sub")).unwrap();
        assert_eq!(src, PathBuf::from("/dev/pmem0"));
        assert!(opts.contains("dax=always"));
        let (src, _) = mount_source(mi, Path::new("/mnt/pmem/inner/x")).unwrap();
        assert_eq!(src, PathBuf::from("/dev/pmem1"));
    }
}
