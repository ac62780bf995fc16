//! What a dynamically linked host program needs at run time, read from its
//! ELF file: the program interpreter (`PT_INTERP`) and the shared libraries
//! (`DT_NEEDED`, recursively), found in the standard library directories the
//! way ld.so would find them without an ld.so.cache.
//!
//! No `ldd` (it runs the program's loader) and no guessing: only what the
//! ELF files say. Only 64-bit little-endian ELF (x86_64) is read; the guest
//! is x86_64 too.

use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where ld.so looks when there is no RUNPATH and no ld.so.cache, in order
/// (Debian's multiarch directories first). Libraries are put in the guest at
/// the same path, so the guest's ld.so finds them the same way.
pub const LIB_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;

/// The dynamic-linking facts of one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DynInfo {
    pub interp: Option<String>,
    pub needed: Vec<String>,
    /// DT_RUNPATH, else DT_RPATH, split at `:`.
    pub runpath: Vec<String>,
}

impl DynInfo {
    pub fn is_static(&self) -> bool {
        self.interp.is_none() && self.needed.is_empty()
    }
}

fn u16_at(b: &[u8], o: usize) -> Result<u16> {
    let s = b.get(o..o + 2).context("ELF file truncated")?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], o: usize) -> Result<u32> {
    let s = b.get(o..o + 4).context("ELF file truncated")?;
    Ok(u32::from_le_bytes(s.try_into()?))
}

fn u64_at(b: &[u8], o: usize) -> Result<u64> {
    let s = b.get(o..o + 8).context("ELF file truncated")?;
    Ok(u64::from_le_bytes(s.try_into()?))
}

fn cstr_at(b: &[u8], o: usize) -> Result<String> {
    let rest = b.get(o..).context("ELF string offset out of range")?;
    let end = rest
        .iter()
        .position(|&c| c == 0)
        .context("unterminated ELF string")?;
    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
}

struct Phdr {
    ty: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

/// Parses the program headers and the dynamic section of an ELF64 LE file.
pub fn parse(bytes: &[u8]) -> Result<DynInfo> {
    ensure!(bytes.get(..4) == Some(b"\x7fELF"), "not an ELF file");
    ensure!(bytes[4] == 2, "not a 64-bit ELF file");
    ensure!(bytes[5] == 1, "not a little-endian ELF file");
    let phoff = u64_at(bytes, 0x20)? as usize;
    let phentsize = u16_at(bytes, 0x36)? as usize;
    let phnum = u16_at(bytes, 0x38)? as usize;
    let mut phdrs = Vec::with_capacity(phnum);
    for i in 0..phnum {
        let o = phoff + i * phentsize;
        phdrs.push(Phdr {
            ty: u32_at(bytes, o)?,
            offset: u64_at(bytes, o + 8)?,
            vaddr: u64_at(bytes, o + 16)?,
            filesz: u64_at(bytes, o + 32)?,
        });
    }
    let mut info = DynInfo::default();
    if let Some(p) = phdrs.iter().find(|p| p.ty == PT_INTERP) {
        info.interp = Some(cstr_at(bytes, p.offset as usize)?);
    }
    let Some(dynamic) = phdrs.iter().find(|p| p.ty == PT_DYNAMIC) else {
        return Ok(info);
    };
    // Dynamic entries are (tag, value) pairs of u64 up to DT_NULL.
    let mut tags = Vec::new();
    let mut o = dynamic.offset as usize;
    let end = o + dynamic.filesz as usize;
    while o + 16 <= end {
        let (tag, val) = (u64_at(bytes, o)?, u64_at(bytes, o + 8)?);
        if tag == DT_NULL {
            break;
        }
        tags.push((tag, val));
        o += 16;
    }
    let strtab_vaddr = tags
        .iter()
        .find(|(t, _)| *t == DT_STRTAB)
        .map(|(_, v)| *v)
        .context("dynamic section without DT_STRTAB")?;
    // DT_STRTAB is an address: map it to a file offset through its PT_LOAD.
    let load = phdrs
        .iter()
        .find(|p| p.ty == PT_LOAD && p.vaddr <= strtab_vaddr && strtab_vaddr < p.vaddr + p.filesz)
        .context("DT_STRTAB outside every PT_LOAD segment")?;
    let strtab = (strtab_vaddr - load.vaddr + load.offset) as usize;
    let mut rpath = Vec::new();
    for (tag, val) in tags {
        let s = || cstr_at(bytes, strtab + val as usize);
        match tag {
            DT_NEEDED => info.needed.push(s()?),
            DT_RUNPATH => info.runpath = s()?.split(':').map(str::to_owned).collect(),
            DT_RPATH => rpath = s()?.split(':').map(str::to_owned).collect(),
            _ => {}
        }
    }
    if info.runpath.is_empty() {
        info.runpath = rpath;
    }
    Ok(info)
}

pub fn parse_file(path: &Path) -> Result<DynInfo> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&bytes).with_context(|| format!("reading the ELF headers of {}", path.display()))
}

/// Everything `program` needs to run: guest path → host file, the
/// interpreter at its PT_INTERP path and each library at the path where the
/// search found it. Empty for a static program.
pub fn runtime_deps(program: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    let mut queue = vec![(program.to_owned(), parse_file(program)?)];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((from, info)) = queue.pop() {
        if let Some(interp) = &info.interp {
            ensure!(
                Path::new(interp).is_file(),
                "{} asks for the interpreter {interp}, which is not on this host",
                from.display()
            );
            out.insert(interp.clone(), PathBuf::from(interp));
        }
        for lib in &info.needed {
            if !seen.insert(lib.clone()) {
                continue;
            }
            let found = find_lib(lib, &info.runpath)
                .with_context(|| format!("resolving {lib}, needed by {}", from.display()))?;
            let dep = parse_file(&found)?;
            out.insert(found.to_string_lossy().into_owned(), found.clone());
            queue.push((found, dep));
        }
    }
    Ok(out)
}

fn find_lib(name: &str, runpath: &[String]) -> Result<PathBuf> {
    if name.contains('/') {
        bail!("library names with a path ({name}) are not supported");
    }
    let dirs = runpath
        .iter()
        .filter(|d| !d.is_empty() && !d.contains('$'))
        .map(String::as_str)
        .chain(LIB_DIRS.iter().copied());
    for d in dirs {
        let p = Path::new(d).join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!("{name} not found in {}", LIB_DIRS.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Cmd;

    /// Our parser agrees with binutils' readelf on a real program.
    #[test]
    fn mkfs_xfs_agrees_with_readelf() {
        crate::exec::test_tool("mkfs.xfs");
        crate::exec::test_tool("readelf");
        let path = Path::new("/usr/sbin/mkfs.xfs");
        let info = parse_file(path).unwrap();
        let readelf = Cmd::new("readelf")
            .args(["-d", "-l", "-W"])
            .arg(path)
            .read()
            .unwrap();
        let needed: Vec<String> = readelf
            .lines()
            .filter(|l| l.contains("(NEEDED)"))
            .filter_map(|l| Some(l.split('[').nth(1)?.trim_end_matches(']').to_owned()))
            .collect();
        assert!(!needed.is_empty());
        assert_eq!(info.needed, needed);
        let interp = readelf
            .lines()
            .find_map(|l| l.split("interpreter: ").nth(1))
            .map(|s| s.trim_end_matches(']').to_owned());
        assert_eq!(info.interp, interp);
        assert_eq!(info.interp.as_deref(), Some("/lib64/ld-linux-x86-64.so.2"));
    }

    #[test]
    fn mkfs_xfs_closure() {
        crate::exec::test_tool("mkfs.xfs");
        let deps = runtime_deps(Path::new("/usr/sbin/mkfs.xfs")).unwrap();
        let names: Vec<&str> = deps.keys().map(|k| k.rsplit('/').next().unwrap()).collect();
        for want in [
            "ld-linux-x86-64.so.2",
            "libblkid.so.1",
            "libuuid.so.1",
            "libinih.so.1",
            "liburcu.so.8",
            "libc.so.6",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(deps.contains_key("/lib64/ld-linux-x86-64.so.2"));
        assert!(
            deps.contains_key("/lib/x86_64-linux-gnu/libc.so.6"),
            "{deps:?}"
        );
        // Every file is a real ELF shared object of this host.
        for host in deps.values() {
            assert!(parse_file(host).is_ok(), "{}", host.display());
        }
    }

    #[test]
    fn busybox_static_has_no_deps() {
        crate::exec::test_tool("busybox");
        let bb = Path::new("/bin/busybox");
        assert!(parse_file(bb).unwrap().is_static());
        assert!(runtime_deps(bb).unwrap().is_empty());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"#!/bin/sh\n").is_err());
        assert!(parse(b"\x7fELF\x02\x01").is_err());
    }
}
