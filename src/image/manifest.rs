//! The initramfs manifest (`vm-images/initramfs.yaml`): what goes into the
//! guest image, and its expansion into cpio entries.
//!
//! Parsing and expansion read host files (the programs, their libraries)
//! but run nothing; building the harness is the caller's job.

use super::cpio::{Archive, Kind};
use super::elf;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub dirs: Vec<String>,
    #[serde(default)]
    pub devices: Vec<Device>,
    /// Guest path of the harness binary (its `/init`).
    pub harness: String,
    #[serde(default)]
    pub programs: Vec<Program>,
    #[serde(default)]
    pub files: Vec<File>,
    #[serde(default)]
    pub symlinks: Vec<Symlink>,
    #[serde(default)]
    pub debug_shell: Option<Extra>,
}

/// What `--debug-shell` adds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Extra {
    #[serde(default)]
    pub programs: Vec<Program>,
    #[serde(default)]
    pub files: Vec<File>,
    #[serde(default)]
    pub symlinks: Vec<Symlink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub path: String,
    pub major: u32,
    pub minor: u32,
    pub mode: String,
}

/// A host program, copied with its ELF runtime dependencies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub from: PathBuf,
    pub to: String,
}

/// A plain file, copied as is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub from: PathBuf,
    pub to: String,
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Symlink {
    pub path: String,
    pub target: String,
}

fn octal(mode: &str) -> Result<u32> {
    u32::from_str_radix(mode.trim_start_matches("0o"), 8)
        .with_context(|| format!("mode {mode:?} is not an octal number"))
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Manifest> {
        Ok(serde_yaml::from_str(text)?)
    }

    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the image manifest {}", path.display()))?;
        Manifest::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The archive: dirs, devices, the harness, programs with their
    /// libraries, files, symlinks; plus `debug_shell` when asked. Relative
    /// `from` paths are taken from `base` (the manifest's folder).
    pub fn expand(&self, base: &Path, harness: &[u8], debug_shell: bool) -> Result<Archive> {
        let mut a = Archive::new();
        for d in &self.dirs {
            a.add_with_parents(d, Kind::Dir, 0o755);
        }
        for d in &self.devices {
            a.add_with_parents(&d.path, Kind::Char(d.major, d.minor), octal(&d.mode)?);
        }
        a.add_with_parents(&self.harness, Kind::File(harness.to_vec()), 0o755);
        let mut parts = vec![(&self.programs, &self.files, &self.symlinks)];
        let extra;
        if debug_shell {
            extra = self
                .debug_shell
                .clone()
                .context("--debug-shell: the manifest has no debug_shell section")?;
            parts.push((&extra.programs, &extra.files, &extra.symlinks));
        }
        for (programs, files, symlinks) in parts {
            for p in programs {
                add_program(&mut a, p)?;
            }
            for f in files {
                let from = base.join(&f.from);
                let data =
                    std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
                a.add_with_parents(&f.to, Kind::File(data), octal(&f.mode)?);
            }
            for s in symlinks {
                a.add_with_parents(&s.path, Kind::Symlink(s.target.clone()), 0o777);
            }
        }
        Ok(a)
    }
}

fn add_program(a: &mut Archive, p: &Program) -> Result<()> {
    let data = std::fs::read(&p.from)
        .with_context(|| format!("reading {} (is its package installed?)", p.from.display()))?;
    a.add_with_parents(&p.to, Kind::File(data), 0o755);
    let deps = elf::runtime_deps(&p.from)
        .with_context(|| format!("finding what {} needs at run time", p.from.display()))?;
    for (guest, host) in deps {
        // Symlinks on the host (ld-linux, libfoo.so.1 → libfoo.so.1.2.3)
        // become regular files at the path the loader asks for.
        let data = std::fs::read(&host).with_context(|| format!("reading {}", host.display()))?;
        if data.is_empty() {
            bail!("{} is empty", host.display());
        }
        a.add_with_parents(&guest, Kind::File(data), 0o755);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_manifest() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("vm-images/initramfs.yaml")
    }

    #[test]
    fn repo_manifest_parses() {
        let m = Manifest::load(&repo_manifest()).unwrap();
        assert_eq!(m.harness, "/init");
        assert!(m.programs.iter().any(|p| p.to == "/sbin/mkfs.xfs"));
        assert!(m.debug_shell.is_some());
    }

    #[test]
    fn expansion_has_programs_libraries_and_devices() {
        let path = repo_manifest();
        let m = Manifest::load(&path).unwrap();
        crate::exec::test_lock(|| super::super::require_programs(&m, true)).unwrap();
        let a = m.expand(path.parent().unwrap(), b"harness", false).unwrap();
        let paths: Vec<&str> = a.paths().collect();
        for want in [
            "init",
            "dev/console",
            "sbin/mkfs.xfs",
            "sbin/mkfs.ext4",
            "lib64/ld-linux-x86-64.so.2",
            "lib/x86_64-linux-gnu/libc.so.6",
            "lib/x86_64-linux-gnu/libext2fs.so.2",
            "daxkit",
        ] {
            assert!(paths.contains(&want), "{want} missing: {paths:?}");
        }
        assert!(!paths.contains(&"bin/busybox"));
        assert_eq!(a.get("/dev/console").unwrap().kind, Kind::Char(5, 1));
        let shell = m.expand(path.parent().unwrap(), b"harness", true).unwrap();
        assert!(shell.get("/bin/busybox").is_some());
        assert!(shell.get("/shell-init").is_some());
    }

    #[test]
    fn unknown_keys_and_bad_modes_are_rejected() {
        assert!(Manifest::parse("harness: /init\nprogrammes: []\n").is_err());
        let m = Manifest::parse(
            "harness: /init\ndevices: [{path: /dev/x, major: 1, minor: 1, mode: \"08\"}]\n",
        )
        .unwrap();
        assert!(m.expand(Path::new("/"), b"", false).is_err());
    }
}
