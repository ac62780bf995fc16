//! The `ptdump` signal: the x86 page-table dump in
//! `/sys/kernel/debug/page_tables/current_kernel` (CONFIG_PTDUMP_DEBUGFS).
//!
//! The file shows the page tables of the process that reads it, so it is
//! read from inside the case's own process. Each line is a run of entries
//! at one level with one protection, e.g.
//! `0x00007f..-0x00007f..           2M     USR RW         PSE         NX pmd`;
//! a leaf `pmd` line is a 2 MiB mapping, a `pte` line 4 KiB ones. Lines of
//! not-present entries carry no flags and are ignored.

use crate::protocol::Mapping;

/// One run of page-table entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub start: u64,
    pub end: u64,
    /// `pgd`, `p4d`, `pud`, `pmd` or `pte`.
    pub level: String,
    /// Flags between the size and the level (`USR`, `RW`, `ro`, `PSE`, `NX`, ...).
    pub flags: Vec<String>,
    pub line: String,
}

impl Run {
    /// A present entry always prints `RW` or `ro`.
    pub fn present(&self) -> bool {
        self.flags.iter().any(|f| f == "RW" || f == "ro")
    }
}

fn parse_line(line: &str) -> Option<Run> {
    let mut it = line.split_whitespace();
    let (s, e) = it.next()?.split_once('-')?;
    let start = u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()?;
    let end = u64::from_str_radix(e.strip_prefix("0x")?, 16).ok()?;
    let _size = it.next()?;
    let mut rest: Vec<String> = it.map(str::to_owned).collect();
    let level = rest.pop()?;
    if !matches!(level.as_str(), "pgd" | "p4d" | "pud" | "pmd" | "pte") {
        return None;
    }
    Some(Run {
        start,
        end,
        level,
        flags: rest,
        line: line.split_whitespace().collect::<Vec<_>>().join(" "),
    })
}

/// Parses a whole dump; marker lines (`---[ User Space ]---`) are skipped.
pub fn parse(text: &str) -> Vec<Run> {
    text.lines().filter_map(parse_line).collect()
}

/// What the present runs overlapping `[start, end)` say.
pub fn judge(runs: &[Run], start: u64, end: u64) -> (Option<Mapping>, String) {
    let hits: Vec<&Run> = runs
        .iter()
        .filter(|r| r.start < end && start < r.end && r.present())
        .collect();
    if hits.is_empty() {
        return (None, format!("no present entries in {start:#x}-{end:#x}"));
    }
    let pmd = hits.iter().any(|r| r.level == "pmd" || r.level == "pud");
    let pte = hits.iter().any(|r| r.level == "pte");
    let says = match (pmd, pte) {
        (true, false) => Some(Mapping::Pmd),
        (false, true) => Some(Mapping::Pte),
        (true, true) => Some(Mapping::Mixed),
        (false, false) => None,
    };
    let mut ev: Vec<String> = hits.iter().take(4).map(|r| r.line.clone()).collect();
    if hits.len() > 4 {
        ev.push(format!("... {} more", hits.len() - 4));
    }
    (says, ev.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verbatim lines of a 6.12 guest's dump (tests/fixtures/linux-6.12/
    /// xfs-half-prefaulted): one PMD, one run of PTEs, empty PMDs around.
    const SAMPLE: &str = "\
---[ User Space ]---
0x0000000000000000-0x0000550000000000          85T                               pgd
0x00007f6800000000-0x00007f680b800000         184M                               pmd
0x00007f680b800000-0x00007f680ba00000           2M USR RW         PSE         NX pmd
0x00007f680ba00000-0x00007f680bc00000           2M USR RW                     NX pte
0x00007f680bc00000-0x00007f680c000000           4M                               pmd
---[ Kernel Space ]---
";

    #[test]
    fn parses_and_judges() {
        let r = parse(SAMPLE);
        assert_eq!(r.len(), 5);
        assert!(!r[0].present());
        assert_eq!(r[2].flags, ["USR", "RW", "PSE", "NX"]);
        let m = 0x7f68_0b80_0000;
        let check = |s: u64, e: u64, want| assert_eq!(judge(&r, s, e).0, want, "{s:#x}-{e:#x}");
        check(m, m + 0x20_0000, Some(Mapping::Pmd));
        check(m + 0x20_0000, m + 0x40_0000, Some(Mapping::Pte));
        check(m, m + 0x40_0000, Some(Mapping::Mixed));
        check(m + 0x40_0000, m + 0x80_0000, None);
        assert_eq!(
            judge(&r, m, m + 0x1000).1,
            "0x00007f680b800000-0x00007f680ba00000 2M USR RW PSE NX pmd"
        );
    }
}
