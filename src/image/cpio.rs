//! A deterministic cpio "newc" (SVR4, no CRC) writer: the format the kernel
//! unpacks into its initramfs (Documentation/driver-api/early-userspace/
//! buffer-format.rst).
//!
//! Determinism is the point: entries are written sorted by path with
//! mtime 0, uid/gid 0 and inode numbers assigned in that order, so the same
//! entries always give the same bytes. Parent directories must be listed
//! explicitly ([`Archive::add`] checks nothing about the tree; the kernel
//! does not need parents before children, but sorting puts them first).

use std::collections::BTreeMap;

/// What an entry is, with its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File(Vec<u8>),
    Symlink(String),
    /// Character device (major, minor).
    Char(u32, u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// Permission bits only (e.g. 0o755); the file type comes from `kind`.
    pub perm: u32,
}

/// An in-memory archive, keyed (and therefore ordered) by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    entries: BTreeMap<String, Entry>,
}

impl Archive {
    pub fn new() -> Archive {
        Archive::default()
    }

    /// Adds or replaces `path` (absolute or relative; stored without the
    /// leading `/`, as `cpio -o` would from the root).
    pub fn add(&mut self, path: &str, kind: Kind, perm: u32) {
        let p = path.trim_start_matches('/').to_owned();
        self.entries.insert(
            p,
            Entry {
                kind,
                perm: perm & 0o7777,
            },
        );
    }

    /// Adds `path` and every missing parent directory (mode 0755).
    pub fn add_with_parents(&mut self, path: &str, kind: Kind, perm: u32) {
        let p = path.trim_start_matches('/');
        let mut acc = String::new();
        for part in p.split('/').collect::<Vec<_>>().iter().rev().skip(1).rev() {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            self.entries.entry(acc.clone()).or_insert(Entry {
                kind: Kind::Dir,
                perm: 0o755,
            });
        }
        self.add(p, kind, perm);
    }

    #[cfg(test)]
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path.trim_start_matches('/'))
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The archive bytes, closed by the `TRAILER!!!` record.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (ino, (path, e)) in self.entries.iter().enumerate() {
            let (ty, data, nlink, rdev): (u32, &[u8], u32, (u32, u32)) = match &e.kind {
                Kind::Dir => (0o040000, &[], 2, (0, 0)),
                Kind::File(d) => (0o100000, d, 1, (0, 0)),
                Kind::Symlink(t) => (0o120000, t.as_bytes(), 1, (0, 0)),
                Kind::Char(ma, mi) => (0o020000, &[], 1, (*ma, *mi)),
            };
            write_record(
                &mut out,
                ino as u32 + 1,
                ty | e.perm,
                nlink,
                rdev,
                path,
                data,
            );
        }
        write_record(&mut out, 0, 0, 1, (0, 0), "TRAILER!!!", &[]);
        out
    }
}

/// The contents of the regular file `path` in a newc archive (`bytes`,
/// uncompressed), as [`Archive::to_bytes`] writes them; `None` when it is
/// not there or the archive ends early.
pub fn read_file(bytes: &[u8], path: &str) -> Option<Vec<u8>> {
    let want = path.trim_start_matches('/');
    let field = |rec: &[u8], i: usize| -> Option<usize> {
        let f = rec.get(6 + 8 * i..6 + 8 * (i + 1))?;
        usize::from_str_radix(std::str::from_utf8(f).ok()?, 16).ok()
    };
    let pad4 = |n: usize| (n + 3) & !3;
    let mut at = 0;
    loop {
        let rec = bytes.get(at..at + 110)?;
        if &rec[..6] != b"070701" {
            return None;
        }
        let (mode, size, namesize) = (field(rec, 1)?, field(rec, 6)?, field(rec, 11)?);
        let name = bytes.get(at + 110..at + 110 + namesize.checked_sub(1)?)?;
        let data_at = pad4(at + 110 + namesize);
        let name = std::str::from_utf8(name).ok()?;
        if name == "TRAILER!!!" {
            return None;
        }
        if name == want && mode & 0o170000 == 0o100000 {
            return bytes.get(data_at..data_at + size).map(<[u8]>::to_vec);
        }
        at = pad4(data_at + size);
    }
}

fn write_record(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    nlink: u32,
    rdev: (u32, u32),
    name: &str,
    data: &[u8],
) {
    let fields = [
        ino,
        mode,
        0, // uid
        0, // gid
        nlink,
        0, // mtime
        data.len() as u32,
        0, // devmajor
        0, // devminor
        rdev.0,
        rdev.1,
        name.len() as u32 + 1, // namesize includes the NUL
        0,                     // check (only for the "070702" CRC format)
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Cmd;

    fn sample() -> Archive {
        let mut a = Archive::new();
        a.add_with_parents(
            "/daxkit/plan.json",
            Kind::File(b"{\"cases\":[]}".to_vec()),
            0o644,
        );
        a.add(
            "/init",
            Kind::File(vec![0x7f, b'E', b'L', b'F', 1, 2, 3]),
            0o755,
        );
        a.add("/dev", Kind::Dir, 0o755);
        a.add("/dev/console", Kind::Char(5, 1), 0o600);
        a.add("/bin/sh", Kind::Symlink("busybox".into()), 0o777);
        a.add_with_parents("/bin/busybox", Kind::File(b"x".repeat(5)), 0o755);
        a
    }

    /// `cpio -itv` (GNU cpio) lists what we wrote, in our order, with the
    /// types, modes, sizes, device numbers and link target we gave.
    #[test]
    fn gnu_cpio_reads_it_back() {
        crate::exec::test_tool("cpio");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.cpio");
        std::fs::write(&file, sample().to_bytes()).unwrap();
        let listing = Cmd::new("sh")
            .arg("-c")
            .arg("cpio -itv --quiet --numeric-uid-gid < \"$1\"")
            .arg("sh")
            .arg(&file)
            .read()
            .unwrap();
        let rows: Vec<Vec<&str>> = listing
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        // The name is the last field, or the one before "-> target".
        let name = |r: &Vec<&str>| match r.iter().position(|f| *f == "->") {
            Some(i) => r[i - 1].to_owned(),
            None => r[r.len() - 1].to_owned(),
        };
        let names: Vec<String> = rows.iter().map(name).collect();
        assert_eq!(
            names,
            [
                "bin",
                "bin/busybox",
                "bin/sh",
                "daxkit",
                "daxkit/plan.json",
                "dev",
                "dev/console",
                "init"
            ]
        );
        let row = |n: &str| rows.iter().find(|r| name(r) == n).unwrap().clone();
        assert_eq!(row("bin/busybox")[0], "-rwxr-xr-x");
        assert_eq!(row("bin/busybox")[4], "5");
        assert_eq!(row("bin/sh")[0], "lrwxrwxrwx");
        assert_eq!(row("bin/sh").last(), Some(&"busybox"));
        assert_eq!(row("dev/console")[0], "crw-------");
        assert_eq!(&row("dev/console")[4..6], ["5,", "1"]);
        assert_eq!(row("daxkit")[0], "drwxr-xr-x");
        assert_eq!(row("init")[2..4], ["0", "0"]);
        assert!(
            row("init")[5..8].join(" ").contains("1970"),
            "{:?}",
            row("init")
        );
    }

    /// `cpio -i` extracts the same bytes we put in.
    #[test]
    fn gnu_cpio_extracts_contents() {
        crate::exec::test_tool("cpio");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.cpio");
        std::fs::write(&file, sample().to_bytes()).unwrap();
        let out = dir.path().join("x");
        std::fs::create_dir(&out).unwrap();
        Cmd::new("sh")
            .arg("-c")
            .arg("cpio -id --quiet --no-absolute-filenames --nonmatching 'dev/*' < \"$1\"")
            .arg("sh")
            .arg(&file)
            .cwd(&out)
            .read()
            .unwrap();
        assert_eq!(
            std::fs::read(out.join("daxkit/plan.json")).unwrap(),
            b"{\"cases\":[]}"
        );
        assert_eq!(
            std::fs::read_link(out.join("bin/sh")).unwrap().to_str(),
            Some("busybox")
        );
    }

    #[test]
    fn same_entries_same_bytes_whatever_the_insertion_order() {
        let a = sample();
        let mut b = Archive::new();
        let mut items: Vec<(String, Entry)> = a
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        items.reverse();
        for (k, v) in items {
            b.add(&k, v.kind, v.perm);
        }
        assert_eq!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn header_layout() {
        let mut a = Archive::new();
        a.add("x", Kind::File(b"abc".to_vec()), 0o644);
        let bytes = a.to_bytes();
        // magic + 13 * 8 hex digits, then "x\0", padded to 4: 110 + 2 = 112.
        assert_eq!(&bytes[..6], b"070701");
        assert_eq!(&bytes[6..14], b"00000001"); // ino
        assert_eq!(&bytes[14..22], b"000081A4"); // S_IFREG | 0644
        assert_eq!(&bytes[54..62], b"00000003"); // filesize
        assert_eq!(&bytes[110..112], b"x\0");
        assert_eq!(&bytes[112..115], b"abc");
        assert_eq!(bytes[115], 0);
        assert_eq!(bytes.len() % 4, 0);
        assert!(bytes.windows(10).any(|w| w == b"TRAILER!!!"));
    }

    #[test]
    fn read_file_finds_what_to_bytes_wrote() {
        let mut a = Archive::new();
        a.add_with_parents("/init", Kind::File(b"harness".to_vec()), 0o755);
        a.add_with_parents("/etc/odd", Kind::File(b"12345".to_vec()), 0o644);
        a.add("/bin", Kind::Dir, 0o755);
        let b = a.to_bytes();
        assert_eq!(read_file(&b, "/init").as_deref(), Some(&b"harness"[..]));
        assert_eq!(read_file(&b, "etc/odd").as_deref(), Some(&b"12345"[..]));
        assert_eq!(read_file(&b, "/bin"), None, "a directory is not a file");
        assert_eq!(read_file(&b, "/nope"), None);
        assert_eq!(read_file(&b[..50], "/init"), None);
    }
}
