//! The `smaps` signal: parses `/proc/self/smaps` and judges one VMA.
//!
//! The parser keeps every field it sees — `Key: N kB` sizes, `THPeligible`,
//! `VmFlags` and any line it does not know — so a patched kernel that adds
//! fields (e.g. `DaxPmdMapped:` / `DaxPteMapped:`) is read without a code
//! change. Stock 6.12 does not count DAX mappings in smaps at all (Rss 0,
//! FilePmdMapped 0: `smaps_pmd_entry`/`smaps_pte_entry` skip devmap
//! entries), so an empty Rss is "no signal", never "PTE".

use crate::protocol::Mapping;
use std::collections::BTreeMap;

/// One VMA of an smaps file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub perms: String,
    pub offset: u64,
    pub path: String,
    /// Every `Key: N kB` field, in kB.
    pub kb: BTreeMap<String, u64>,
    /// Every other `Key: value` field (`THPeligible`, `ProtectionKey`, unknown ones).
    pub other: BTreeMap<String, String>,
    pub vm_flags: Vec<String>,
}

impl Vma {
    pub fn kb(&self, key: &str) -> Option<u64> {
        self.kb.get(key).copied()
    }

    pub fn thp_eligible(&self) -> Option<bool> {
        self.other.get("THPeligible").map(|v| v.trim() == "1")
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.vm_flags.iter().any(|f| f == flag)
    }
}

/// Parses a VMA header line: `start-end perms offset dev inode [path]`.
fn parse_header(line: &str) -> Option<Vma> {
    let mut it = line.split_whitespace();
    let (start, end) = it.next()?.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    let perms = it.next()?;
    if perms.len() != 4 {
        return None;
    }
    let offset = u64::from_str_radix(it.next()?, 16).ok()?;
    let _dev = it.next()?;
    let _inode = it.next()?;
    let path = it.collect::<Vec<_>>().join(" ");
    Some(Vma {
        start,
        end,
        perms: perms.to_owned(),
        offset,
        path,
        ..Vma::default()
    })
}

/// Parses a whole smaps file into its VMAs.
pub fn parse(text: &str) -> Vec<Vma> {
    let mut out: Vec<Vma> = Vec::new();
    for line in text.lines() {
        if let Some(v) = parse_header(line) {
            out.push(v);
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim();
        if key == "VmFlags" {
            cur.vm_flags = value.split_whitespace().map(str::to_owned).collect();
        } else if let Some(n) = value
            .strip_suffix("kB")
            .and_then(|n| n.trim().parse::<u64>().ok())
        {
            cur.kb.insert(key.to_owned(), n);
        } else {
            cur.other.insert(key.to_owned(), value.to_owned());
        }
    }
    out
}

/// The VMA containing `addr`, if any.
pub fn find(vmas: &[Vma], addr: u64) -> Option<&Vma> {
    vmas.iter().find(|v| v.start <= addr && addr < v.end)
}

/// What smaps says about the VMA containing `addr`, with its evidence.
pub fn judge(vmas: &[Vma], addr: u64) -> (Option<Mapping>, String) {
    let Some(v) = find(vmas, addr) else {
        return (None, format!("no VMA contains {addr:#x}"));
    };
    let rss = v.kb("Rss").unwrap_or(0);
    let summary = format!(
        "{:x}-{:x} Rss {} kB, FilePmdMapped {} kB, AnonHugePages {} kB, THPeligible {}, VmFlags {}",
        v.start,
        v.end,
        rss,
        v.kb("FilePmdMapped").unwrap_or(0),
        v.kb("AnonHugePages").unwrap_or(0),
        v.other.get("THPeligible").map_or("?", String::as_str),
        v.vm_flags.join(" "),
    );
    // A kernel that accounts DAX explicitly wins over every heuristic;
    // with no DAX entry in the range, Rss still tells about the page cache
    // or anonymous copy-on-write pages below.
    let dax = v.kb("DaxPmdMapped").zip(v.kb("DaxPteMapped"));
    if let Some((pmd, pte)) = dax {
        let says = match (pmd > 0, pte > 0) {
            (true, false) => Some(Mapping::Pmd),
            (false, true) => Some(Mapping::Pte),
            (true, true) => Some(Mapping::Mixed),
            (false, false) => None,
        };
        if says.is_some() || rss == 0 {
            return (
                says,
                format!("DaxPmdMapped {pmd} kB, DaxPteMapped {pte} kB; {summary}"),
            );
        }
    }
    if rss == 0 {
        return (
            None,
            format!("no smaps signal (Rss 0: stock kernels do not count DAX entries); {summary}"),
        );
    }
    // Rss counts only normal pages: page cache (not DAX) or anonymous COW
    // copies. Those are real mappings, so smaps can tell their size.
    let huge = v.kb("FilePmdMapped").unwrap_or(0)
        + v.kb("AnonHugePages").unwrap_or(0)
        + v.kb("ShmemPmdMapped").unwrap_or(0);
    let says = if huge == 0 {
        Mapping::Pte
    } else if huge >= rss {
        Mapping::Pmd
    } else {
        Mapping::Mixed
    };
    (Some(says), summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A verbatim VMA of a 6.12 guest (tests/fixtures/linux-6.12/
    /// xfs-aligned-shared-write, PMD-mapped and yet Rss 0), then a made-up
    /// one as a kernel that accounts DAX might print it.
    const SAMPLE: &str = "\
7fc887800000-7fc887c00000 rw-s 00000000 103:00 4099                      /mnt/xfs-aligned-shared-write.dat
Size:               4096 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   0 kB
Pss:                   0 kB
Pss_Dirty:             0 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         0 kB
Private_Dirty:         0 kB
Referenced:            0 kB
Anonymous:             0 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
THPeligible:           0
VmFlags: rd wr sh mr mw me ms hg 
7f0000400000-7f0000800000 rw-s 00000000 103:00 131 /mnt/patched
Rss:                   0 kB
DaxPmdMapped:       4096 kB
DaxPteMapped:          0 kB
Weird: thing
VmFlags: rd wr sh mr mw me ms
";

    #[test]
    fn parses_every_field() {
        let v = parse(SAMPLE);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].start, 0x7fc8_8780_0000);
        assert_eq!(v[0].perms, "rw-s");
        assert_eq!(v[0].path, "/mnt/xfs-aligned-shared-write.dat");
        assert_eq!(v[0].kb.len(), 22);
        assert_eq!(v[0].kb("Size"), Some(4096));
        assert_eq!(v[0].thp_eligible(), Some(false));
        assert!(v[0].has_flag("sh") && v[0].has_flag("hg"));
        assert_eq!(v[1].other.get("Weird").map(String::as_str), Some("thing"));
        assert_eq!(v[1].kb("DaxPmdMapped"), Some(4096));
    }

    #[test]
    fn judges() {
        let v = parse(SAMPLE);
        let (says, ev) = judge(&v, 0x7fc8_8780_1000);
        assert_eq!(says, None);
        assert!(ev.starts_with("no smaps signal (Rss 0"), "{ev}");
        assert_eq!(judge(&v, 0x7f00_0040_0000).0, Some(Mapping::Pmd));
        assert_eq!(judge(&v, 0x1000).0, None);
    }

    /// A patched kernel (DaxPmdMapped/DaxPteMapped present) on a MAP_PRIVATE
    /// mapping after a write: no DAX entry left, 4 MiB of anonymous COW
    /// PTEs, which Rss still shows.
    #[test]
    fn dax_fields_at_zero_fall_back_to_rss() {
        let text = "\
7f8317000000-7f8317400000 rw-p 00000000 103:00 4099                      /mnt/f.dat
Size:               4096 kB
Rss:                4096 kB
Anonymous:          4096 kB
AnonHugePages:         0 kB
FilePmdMapped:         0 kB
DaxPmdMapped:          0 kB
DaxPteMapped:          0 kB
THPeligible:    0
VmFlags: rd wr mr mw me
";
        let v = parse(text);
        assert_eq!(judge(&v, 0x7f83_1700_0000).0, Some(Mapping::Pte));
        let zero = text.replace("Rss:                4096", "Rss:                   0");
        let (says, ev) = judge(&parse(&zero), 0x7f83_1700_0000);
        assert_eq!(says, None);
        assert!(
            ev.starts_with("DaxPmdMapped 0 kB, DaxPteMapped 0 kB"),
            "{ev}"
        );
    }
}
