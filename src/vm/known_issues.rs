//! Known kernel issues: splats that are shown but do not fail a run, each
//! until its expiry date. The list is `patches/known-issues.yaml`:
//!
//! ```yaml
//! issues:
//!   - pattern: 'WARNING: CPU: \d+ PID: \d+ at mm/memory\.c:\d+ insert_pfn'
//!     reason: stock 6.12 warns on ... (fixed upstream by ...)
//!     link: https://lore.kernel.org/...
//!     expires: 2026-06-30
//! ```
//!
//! `pattern` is a regex searched in the splat's line (the console line
//! without its timestamp); an entry matches up to and including its
//! `expires` date. After that it stops matching, and a splat it would have
//! allowed fails the run again, with a note saying which entry expired.
//! [`classify`] is pure; [`splats`] is the one call after a boot.

// Until the judge's evidence is built from it (vm, runs).

use anyhow::{bail, Context, Result};
use daxkit_harness::judge::Splat;
use regex::Regex;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::path::{Path, PathBuf};

/// A calendar date (proleptic Gregorian, UTC), `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The date `days` after 1970-01-01 (Howard Hinnant's civil_from_days).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date { year, month, day }
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        crate::series::days_from_civil(self.year, i64::from(self.month), i64::from(self.day))
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Date::from_days(secs.div_euclid(86_400))
    }

    /// `YYYY-MM-DD`, a real day of a real month.
    pub fn parse(s: &str) -> Result<Date, String> {
        let bad = || format!("{s:?} is not a date (YYYY-MM-DD)");
        let mut it = s.trim().splitn(3, '-');
        let mut part = |len: usize| {
            it.next()
                .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<i64>().ok())
                .ok_or_else(bad)
        };
        let (year, month, day) = (part(4)?, part(2)?, part(2)?);
        let d = Date {
            year,
            month: month as u32,
            day: day as u32,
        };
        // Feb 30 and month 13 do not survive the round trip.
        if !(1..=12).contains(&month) || Date::from_days(d.days()) != d {
            return Err(format!("{s:?} is not a day of the calendar"));
        }
        Ok(d)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A regex from the file, checked when it is read.
#[derive(Debug, Clone)]
pub struct Pattern(pub Regex);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pattern, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(serde::de::Error::custom(
                "empty pattern: it would allow every splat",
            ));
        }
        Regex::new(&s)
            .map(Pattern)
            .map_err(|e| serde::de::Error::custom(format!("pattern {s:?}: {e}")))
    }
}

/// One known issue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Searched in the splat's line (without the printk timestamp).
    pub pattern: Pattern,
    /// Why it is tolerated.
    pub reason: String,
    /// Where it is tracked (lore, bugzilla, an issue).
    pub link: String,
    /// The last day it is tolerated.
    pub expires: Date,
}

impl Entry {
    fn matches(&self, s: &Splat) -> bool {
        self.pattern.0.is_match(&s.text)
    }

    /// What an allowed splat carries: `<reason> (<link>), expires <date>`.
    pub fn allowed(&self) -> String {
        format!("{} ({}), expires {}", self.reason, self.link, self.expires)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    issues: Vec<Entry>,
}

/// The known-issues list.
#[derive(Debug, Clone, Default)]
pub struct KnownIssues {
    pub entries: Vec<Entry>,
    /// Where it was read from (for messages); `None` when built in code.
    pub source: Option<PathBuf>,
}

/// The file under a `patches/` folder.
pub const FILE_NAME: &str = "known-issues.yaml";

impl KnownIssues {
    /// Parses the YAML text; errors are `line:column: message`.
    pub fn parse(text: &str) -> Result<KnownIssues, String> {
        let f: File = serde_yaml::from_str(text).map_err(|e| {
            let msg = e.to_string();
            // serde_yaml appends " at line L column C"; say it once, first.
            let msg = msg
                .rsplit_once(" at line ")
                .filter(|(_, pos)| pos.contains(" column "))
                .map_or(msg.as_str(), |(m, _)| m)
                .to_owned();
            match e.location() {
                Some(l) => format!("{}:{}: {msg}", l.line(), l.column()),
                None => msg,
            }
        })?;
        for (i, e) in f.issues.iter().enumerate() {
            if e.reason.trim().is_empty() || e.link.trim().is_empty() {
                return Err(format!(
                    "issues[{i}] ({}): reason and link must not be empty",
                    e.pattern.0.as_str()
                ));
            }
        }
        Ok(KnownIssues {
            entries: f.issues,
            source: None,
        })
    }

    /// Reads a known-issues file; errors name it as `file:line:column`.
    pub fn load(path: &Path) -> Result<KnownIssues> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        match KnownIssues::parse(&text) {
            Ok(k) => Ok(KnownIssues {
                source: Some(path.to_owned()),
                ..k
            }),
            Err(e) => bail!("{}:{e}", path.display()),
        }
    }

    /// The shipped `patches/known-issues.yaml` (src/assets.rs).
    pub fn default_path() -> Result<PathBuf> {
        Ok(crate::assets::path("patches")?.join(FILE_NAME))
    }

    /// The default list; no file there is an empty list.
    pub fn load_default() -> Result<KnownIssues> {
        let p = KnownIssues::default_path()?;
        if !p.exists() {
            return Ok(KnownIssues::default());
        }
        KnownIssues::load(&p)
    }

    /// The entry in force `today` that covers a splat (first match).
    pub fn allowing(&self, s: &Splat, today: Date) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| today <= e.expires && e.matches(s))
    }

    /// Why a splat no entry in force covers would have been allowed by an
    /// expired one, if so.
    fn expired_note(&self, s: &Splat, today: Date) -> Option<String> {
        if self.allowing(s, today).is_some() {
            return None;
        }
        let e = self
            .entries
            .iter()
            .find(|e| e.expires < today && e.matches(s))?;
        Some(format!(
            "known issue expired on {}, no longer allowed: {} ({}){}",
            e.expires,
            e.reason,
            e.link,
            self.source
                .as_ref()
                .map(|p| format!(" [{}]", p.display()))
                .unwrap_or_default()
        ))
    }

    /// A note for each splat that an expired entry would have allowed
    /// (for the user: why a run that used to pass now fails).
    pub fn expired_hits(&self, splats: &[Splat], today: Date) -> Vec<String> {
        splats
            .iter()
            .filter_map(|s| {
                let n = self.expired_note(s, today)?;
                Some(format!("console line {}: {}: {n}", s.line, s.text))
            })
            .collect()
    }
}

/// The splats with `allowed` set from the known issues in force `today`
/// (the first matching entry; an expiry date is inclusive). A splat only
/// an expired entry matches stays not allowed, and its excerpt starts with
/// a `daxkit:` line saying which entry expired. Pure.
pub fn classify(splats: &[Splat], known: &KnownIssues, today: Date) -> Vec<Splat> {
    splats
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.allowed = known.allowing(&s, today).map(Entry::allowed);
            // Stored evidence classified again must not stack notes.
            if let Some(rest) = s.excerpt.strip_prefix("daxkit: known issue expired") {
                s.excerpt = rest.split_once('\n').map_or("", |(_, r)| r).to_owned();
            }
            if let Some(n) = known.expired_note(&s, today) {
                s.excerpt = format!("daxkit: {n}\n{}", s.excerpt);
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn dates() {
        for (days, s) in [
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (19_782, "2024-02-29"),
            (20_454, "2026-01-01"),
            (11_016, "2000-02-29"),
        ] {
            assert_eq!(Date::from_days(days).to_string(), s);
            assert_eq!(d(s).days(), days, "{s}");
        }
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-1-01",
            "25-01-01",
            "2025/01/01",
            "2025-01-01x",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(d("2025-01-31") < d("2025-02-01"));
        assert!(d("2024-12-31") < d("2025-01-01"));
        // The clock: not before this code was written, not absurdly late.
        let t = Date::today();
        assert!(t >= d("2024-01-01") && t.year < 2200, "{t}");
    }

    fn splat(text: &str) -> Splat {
        Splat {
            kind: "warning".into(),
            line: 7,
            text: text.into(),
            case: Some("xfs/write-2m".into()),
            excerpt: text.into(),
            allowed: None,
        }
    }

    const FILE: &str = r#"# comment
issues:
  - pattern: 'WARNING: CPU: \d+ PID: \d+ at mm/memory\.c:\d+'
    reason: stock 6.12 warns here
    link: https://lore.kernel.org/x
    expires: 2026-03-31
  - pattern: 'possible circular locking'
    reason: old lockdep report
    link: https://example.org/2
    expires: 2025-01-31
  - pattern: 'WARNING: CPU'
    reason: any warning, later
    link: https://example.org/3
    expires: 2027-01-01
"#;

    /// Table: splat line, today → allowed (prefix) or None, expired note.
    #[test]
    fn classify_table() {
        let k = KnownIssues::parse(FILE).unwrap();
        let mem = "WARNING: CPU: 0 PID: 61 at mm/memory.c:2390 insert_pfn+0x1/0x2";
        let lock = "WARNING: possible circular locking dependency detected";
        let other = "BUG: sleeping function called from invalid context at fs/dax.c:1";
        let rows: &[(&str, &str, Option<&str>, bool)] = &[
            // First matching entry wins; the expiry day itself still matches.
            (
                mem,
                "2026-03-30",
                Some("stock 6.12 warns here (https://lore.kernel.org/x), expires 2026-03-31"),
                false,
            ),
            (mem, "2026-03-31", Some("stock 6.12 warns here"), false),
            // Expired: the next entry in force takes it, and no note.
            (mem, "2026-04-01", Some("any warning, later"), false),
            (mem, "2027-01-02", None, true),
            (lock, "2025-01-31", Some("old lockdep report"), false),
            (lock, "2025-02-01", None, true),
            (other, "2025-01-01", None, false),
        ];
        for &(text, today, want, expired) in rows {
            let got = classify(&[splat(text)], &k, d(today));
            assert_eq!(got.len(), 1);
            let g = &got[0];
            match want {
                Some(w) => assert!(
                    g.allowed.as_deref().is_some_and(|a| a.starts_with(w)),
                    "{text} on {today}: {:?}",
                    g.allowed
                ),
                None => assert_eq!(g.allowed, None, "{text} on {today}"),
            }
            assert_eq!(
                g.excerpt.starts_with("daxkit: ") && g.excerpt.contains("expired on"),
                expired,
                "{text} on {today}: {}",
                g.excerpt
            );
            assert_eq!(
                k.expired_hits(&[splat(text)], d(today)).len(),
                usize::from(expired)
            );
            // Everything else is kept.
            assert_eq!(
                (g.line, g.case.as_deref(), g.text.as_str()),
                (7, Some("xfs/write-2m"), text)
            );
        }
        // Classifying again (report merge on stored evidence) recomputes.
        let once = classify(&[splat(mem)], &k, d("2026-01-01"));
        let again = classify(&once, &k, d("2028-01-01"));
        assert_eq!(again[0].allowed, None);
        // No list, nothing allowed.
        assert_eq!(
            classify(&[splat(mem)], &KnownIssues::default(), d("2026-01-01"))[0].allowed,
            None
        );
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let rows: &[(&str, &str)] = &[
            ("issues:\n  - pattern: a\n    reason: r\n    link: l\n    expires: 2025-02-30\n", "2:5: issues[0]: \"2025-02-30\" is not a day"),
            ("issues:\n  - pattern: a\n    reason: r\n    link: l\n    expires: 2025-01-01\n    kind: x\n", "6:5: issues[0]: unknown field `kind`"),
            ("issues:\n  - pattern: a\n    reason: r\n    expires: 2025-01-01\n", "2:5: issues[0]: missing field `link`"),
            ("issues:\n  - pattern: 'a('\n    reason: r\n    link: l\n    expires: 2025-01-01\n", "2:5: issues[0]: pattern \"a(\""),
            ("issues:\n  - pattern: ''\n    reason: r\n    link: l\n    expires: 2025-01-01\n", "2:5: issues[0]: empty pattern"),
            ("issue: []\n", "1:1: unknown field `issue`"),
            ("issues:\n  - pattern: a\n    reason: ' '\n    link: l\n    expires: 2025-01-01\n", "issues[0] (a): reason and link"),
        ];
        for (text, want) in rows {
            let e = KnownIssues::parse(text).unwrap_err();
            assert!(e.starts_with(want), "{e:?} does not start with {want:?}");
            assert!(!e.contains(" at line "), "{e}");
        }
        // Empty, comment-only and an empty list are all no entries.
        for text in ["", "# nothing\n", "issues: []\n"] {
            assert!(
                KnownIssues::parse(text).unwrap().entries.is_empty(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "issues:\n  - pattern: a\n").unwrap();
        let e = KnownIssues::load(&p).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:2:5: ", p.display())), "{e}");
        std::fs::write(&p, FILE).unwrap();
        let k = KnownIssues::load(&p).unwrap();
        assert_eq!(k.entries.len(), 3);
        let hits = k.expired_hits(
            &[splat("WARNING: possible circular locking")],
            d("2026-01-01"),
        );
        assert!(hits[0].contains(&p.display().to_string()), "{hits:?}");
    }

    /// The shipped file parses and has no entries.
    #[test]
    fn shipped_file_is_empty() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("patches")
            .join(FILE_NAME);
        let k = KnownIssues::load(&p).unwrap();
        assert!(k.entries.is_empty());
        assert!(std::fs::read_to_string(&p).unwrap().contains("expires:"));
    }

    #[test]
    fn splats_of_a_console_log() {
        let text = "[    3.0] daxkit: case start xfs/write-2m\n\
             [    3.1] ------------[ cut here ]------------\n\
             [    3.1] WARNING: CPU: 0 PID: 61 at mm/memory.c:2390 insert_pfn+0x1/0x2\n\
             [    3.2] ---[ end trace 0000000000000000 ]---\n\
             [    3.3] daxkit: case end xfs/write-2m\n";
        let scanned = crate::vm::console::Scanner::scan(text);
        let splats = |k: &KnownIssues, today| classify(scanned.splats(), k, today);
        let k = KnownIssues::parse(FILE).unwrap();
        let s = splats(&k, d("2026-01-01"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].case.as_deref(), Some("xfs/write-2m"));
        assert!(s[0].allowed.as_deref().unwrap().starts_with("stock 6.12"));
        let s = splats(&KnownIssues::default(), d("2026-01-01"));
        assert_eq!(s[0].allowed, None);
    }
}
