//! Patch series: `patches/<name>/series.yaml`, a folder of `git format-patch`
//! output, or an mbox — all loaded into one [`Series`].
//!
//! Only parsing lives here (no git): a [`Patch`] carries author, date,
//! message and the diff text that `apply` turns into a commit.

use anyhow::{anyhow, bail, Context, Result};
use daxkit_harness::protocol::Mapping;
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The shipped series (`patches/dax-pmd`): what `reproduce`, `ci` and the
/// CI matrix run when no series is named.
pub const DEFAULT: &str = "dax-pmd";

/// `series.yaml`, as written by a series author.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesFile {
    pub name: String,
    /// Revision of the series (the N of `[PATCH vN]`).
    #[serde(default = "one")]
    pub version: u32,
    #[serde(default)]
    pub base: BaseSpec,
    /// Patch files, in order, relative to the series folder.
    pub patches: Vec<PathBuf>,
    /// Kconfig fragments the series needs, relative to the series folder.
    #[serde(default)]
    pub config: Vec<PathBuf>,
    /// Expected mapping per case after the series, where it differs from
    /// the stock expectation: `case: pmd` for every filesystem, or
    /// `fs/case: pte` for one.
    #[serde(default)]
    pub expect: BTreeMap<String, Mapping>,
    /// Ways to run the patched kernel (e.g. the C and the Rust
    /// implementation, chosen by a Kconfig fragment or a boot parameter).
    /// Default: one, as is.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    pub name: String,
    /// Kconfig fragments of this variant, merged after the series' own
    /// `config:`. In series.yaml relative to the series folder; in a
    /// loaded [`Series`], resolved (absolute). Variants with the same
    /// merged config share one kernel.
    #[serde(default)]
    pub config: Vec<PathBuf>,
    /// Kernel command-line parameters for this variant.
    #[serde(default)]
    pub append: Vec<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseSpec {
    /// Tag or commit the series applies to (e.g. `debian-6.12.117`). In a
    /// Debian tarball import any sublevel of `kernel` is accepted.
    pub rev: Option<String>,
    /// `VERSION.PATCHLEVEL` the series expects, e.g. `6.12`.
    pub kernel: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// Where it came from (file, or `mbox:N`), for messages.
    pub source: String,
    /// Subject without the `[PATCH ...]` prefix.
    pub subject: String,
    /// `n` of `[PATCH m/n]`, when present.
    pub number: Option<u32>,
    pub author_name: String,
    pub author_email: String,
    /// Seconds since the epoch and the UTC offset in minutes.
    pub date: (i64, i32),
    /// Full commit message: subject, blank line, body with trailers.
    pub message: String,
    /// The diff, from the first `diff --git` to the end of the last hunk.
    pub diff: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub version: u32,
    pub base: BaseSpec,
    pub patches: Vec<Patch>,
    pub config: Vec<PathBuf>,
    pub expect: BTreeMap<String, Mapping>,
    pub variants: Vec<VariantSpec>,
    /// The folder or file it was loaded from.
    pub origin: PathBuf,
}

/// Loads a series from a name under `patches/`, a folder, or an mbox file.
pub fn load(spec: &str) -> Result<Series> {
    let path = locate(spec)?;
    if path.is_dir() {
        if path.join("series.yaml").is_file() {
            load_yaml(&path.join("series.yaml"))
        } else {
            load_patch_dir(&path)
        }
    } else {
        load_mbox(&path)
    }
}

fn locate(spec: &str) -> Result<PathBuf> {
    let direct = PathBuf::from(spec);
    if direct.exists() {
        return Ok(direct);
    }
    let shipped = crate::assets::path("patches")?;
    for root in [PathBuf::from("patches"), shipped.clone()] {
        let p = root.join(spec);
        if p.is_dir() {
            return Ok(p);
        }
    }
    let known: Vec<String> = std::fs::read_dir(&shipped)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().join("series.yaml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    bail!(
        "series {spec:?} not found: not a file or folder, and not a series under patches/ (known: {})",
        if known.is_empty() { "none".into() } else { known.join(", ") }
    )
}

pub fn load_yaml(file: &Path) -> Result<Series> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let sf = parse_yaml(&text).map_err(|e| anyhow!("{}:{e}", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let root = dir
        .canonicalize()
        .with_context(|| format!("resolving series folder {}", dir.display()))?;
    let mut patches = Vec::new();
    for (i, rel) in sf.patches.iter().enumerate() {
        let what = format!("patch {}/{}", i + 1, sf.patches.len());
        let p = confined(file, &text, &root, rel, &what)?;
        let body = std::fs::read_to_string(&p).with_context(|| {
            format!(
                "{}: {what} {}: cannot read",
                entry_at(file, &text, rel),
                p.display()
            )
        })?;
        patches.push(parse_mail(&body, &p.display().to_string())?);
    }
    let fragment = |c: &Path, what: &str| -> Result<PathBuf> {
        let p = confined(file, &text, &root, c, what)?;
        if !p.is_file() {
            bail!(
                "{}: {what} {} is not a file",
                entry_at(file, &text, c),
                p.display()
            );
        }
        // A fragment that does not parse fails here, naming its line,
        // rather than at configure time after the patches are applied.
        crate::kconfig::merge(std::slice::from_ref(&p))
            .with_context(|| format!("{}: {what}", entry_at(file, &text, c)))?;
        Ok(p)
    };
    let config = sf
        .config
        .iter()
        .map(|c| fragment(c, "config fragment"))
        .collect::<Result<Vec<_>>>()?;
    let mut variants: Vec<VariantSpec> = Vec::new();
    for v in &sf.variants {
        if let Some(bad) = variant_name_problem(&v.name, &variants) {
            bail!("{}: variant {:?}: {bad}", file.display(), v.name);
        }
        let what = format!("config fragment of variant {}", v.name);
        variants.push(VariantSpec {
            name: v.name.clone(),
            config: v
                .config
                .iter()
                .map(|c| fragment(c, &what))
                .collect::<Result<Vec<_>>>()?,
            append: v.append.clone(),
        });
    }
    Ok(Series {
        name: sf.name,
        version: sf.version,
        base: sf.base,
        patches,
        config,
        expect: sf.expect,
        variants,
        origin: dir.to_owned(),
    })
}

/// Why a variant name cannot be used: variants become report columns and
/// run folders (`series-<slug>`), so names must be non-empty and differ
/// in more than case or punctuation.
fn variant_name_problem(name: &str, earlier: &[VariantSpec]) -> Option<String> {
    if name.trim().is_empty() {
        return Some("a variant needs a name".into());
    }
    let slug = crate::runs::slug(name);
    earlier
        .iter()
        .find(|e| crate::runs::slug(&e.name) == slug)
        .map(|e| {
            format!(
                "same run folder (series-{slug}) as variant {:?}: names must differ",
                e.name
            )
        })
}

/// `series.yaml:LINE` of the entry naming `rel` (the first line that
/// mentions it), for messages; just the file when no line does.
fn entry_at(file: &Path, text: &str, rel: &Path) -> String {
    let needle = rel.to_string_lossy();
    match text
        .lines()
        .position(|l| !l.trim_start().starts_with('#') && l.contains(needle.as_ref()))
    {
        Some(n) => format!("{}:{}", file.display(), n + 1),
        None => file.display().to_string(),
    }
}

/// `root.join(rel)`, resolved (symlinks included), if it stays inside the
/// series folder `root` (canonical). A path that leaves it — `../x`,
/// `/etc/passwd`, a symlink pointing out — is refused before anything is
/// read from it, so no foreign file's content can reach an error message.
fn confined(file: &Path, text: &str, root: &Path, rel: &Path, what: &str) -> Result<PathBuf> {
    let at = || entry_at(file, text, rel);
    let refuse = |resolved: &dyn std::fmt::Display| {
        anyhow!(
            "{}: {what} {:?} resolves to {resolved}, outside the series folder {}: refused \
             (series paths are relative and stay inside the series folder)",
            at(),
            rel.display().to_string(),
            root.display()
        )
    };
    if rel.is_absolute() {
        return Err(refuse(&rel.display()));
    }
    // Lexically first, so that a missing `../../x` is refused, not "not found".
    let mut depth = 0usize;
    for c in rel.components() {
        match c {
            std::path::Component::ParentDir if depth == 0 => {
                return Err(refuse(&root.join(rel).display()))
            }
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    let joined = root.join(rel);
    let resolved = joined
        .canonicalize()
        .with_context(|| format!("{}: {what} {} not found", at(), joined.display()))?;
    if !resolved.starts_with(root) {
        return Err(refuse(&resolved.display()));
    }
    Ok(resolved)
}

/// Parses series.yaml text; errors carry `line:column: message`.
pub fn parse_yaml(text: &str) -> Result<SeriesFile, String> {
    serde_yaml::from_str::<SeriesFile>(text).map_err(|e| match e.location() {
        Some(l) => format!("{}:{}: {e}", l.line(), l.column()),
        None => format!(" {e}"),
    })
}

fn load_patch_dir(dir: &Path) -> Result<Series> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "patch" || e == "diff"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "{}: no series.yaml and no *.patch files: not a series",
            dir.display()
        );
    }
    let mut text = String::new();
    for f in &files {
        text += &std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        text.push('\n');
    }
    let (patches, base) = split_mails(&text, &dir.display().to_string())?;
    from_mails(dir, patches, base)
}

fn load_mbox(file: &Path) -> Result<Series> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let (patches, base) = split_mails(&text, &file.display().to_string())?;
    from_mails(file, patches, base)
}

fn from_mails(origin: &Path, mut patches: Vec<Patch>, base: Option<String>) -> Result<Series> {
    if patches.is_empty() {
        bail!("{}: no patches (no mail with a diff)", origin.display());
    }
    // `[PATCH m/n]` numbers decide the order when every patch has one.
    if patches.iter().all(|p| p.number.is_some()) {
        patches.sort_by_key(|p| p.number);
    }
    let name = origin
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "series".into());
    Ok(Series {
        name,
        version: 1,
        base: BaseSpec {
            rev: base,
            kernel: None,
        },
        patches,
        config: Vec::new(),
        expect: BTreeMap::new(),
        variants: Vec::new(),
        origin: origin.to_owned(),
    })
}

static MBOX_FROM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^From [0-9a-f]{40} |^From \S+@\S+ ").unwrap());
static BASE_COMMIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^base-commit: ([0-9a-f]{7,40})\s*$").unwrap());

/// Splits an mbox into mails; returns the patches (mails with a diff;
/// cover letters are dropped) and the `base-commit:` trailer if any.
pub fn split_mails(text: &str, origin: &str) -> Result<(Vec<Patch>, Option<String>)> {
    let starts: Vec<usize> = MBOX_FROM.find_iter(text).map(|m| m.start()).collect();
    let mut chunks = Vec::new();
    if starts.is_empty() {
        chunks.push(text);
    } else {
        for (i, s) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            chunks.push(&text[*s..end]);
        }
    }
    let base = BASE_COMMIT
        .captures(text)
        .map(|c| c.get(1).map_or("", |m| m.as_str()).to_owned());
    let mut patches = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if !chunk.contains("\ndiff --git ") {
            continue;
        }
        patches.push(parse_mail(chunk, &format!("{origin}: mail {}", i + 1))?);
    }
    Ok((patches, base))
}

static SUBJECT_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*\[(?:[^\]]*?\s)?(?:PATCH|RFC)(?:[^\]]*?\s(\d+)/(\d+))?[^\]]*\]\s*").unwrap()
});

/// Parses one `git format-patch` mail.
pub fn parse_mail(text: &str, source: &str) -> Result<Patch> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text
        .split_once("\n\n")
        .ok_or_else(|| anyhow!("{source}: no blank line after the mail headers"))?;
    let headers = unfold_headers(head);
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let from = get("From").ok_or_else(|| anyhow!("{source}: no From: header"))?;
    let (author_name, author_email) = parse_address(from)
        .ok_or_else(|| anyhow!("{source}: cannot read author from From: {from:?}"))?;
    let date = get("Date").ok_or_else(|| anyhow!("{source}: no Date: header"))?;
    let date =
        parse_rfc2822(date).ok_or_else(|| anyhow!("{source}: cannot read Date: {date:?}"))?;
    let raw_subject = get("Subject").ok_or_else(|| anyhow!("{source}: no Subject: header"))?;
    let (subject, number) = match SUBJECT_TAG.captures(raw_subject) {
        Some(c) => (
            raw_subject[c.get(0).map_or(0, |m| m.end())..].to_owned(),
            c.get(1).and_then(|m| m.as_str().parse().ok()),
        ),
        None => (raw_subject.to_owned(), None),
    };
    let diff_start = if body.starts_with("diff --git ") {
        0
    } else {
        body.find("\ndiff --git ")
            .map(|i| i + 1)
            .ok_or_else(|| anyhow!("{source}: no diff in this mail"))?
    };
    // The message ends at the `---` line before the diffstat.
    let pre = &body[..diff_start];
    let msg_body = match pre.find("\n---\n") {
        Some(i) => &pre[..i],
        None => pre.strip_prefix("---\n").map_or(pre, |_| ""),
    };
    let mut diff = &body[diff_start..];
    // format-patch's signature: "-- \n2.47.3\n", possibly followed by
    // base-commit trailers in the last mail.
    if let Some(i) = diff.find("\n-- \n") {
        diff = &diff[..i + 1];
    }
    let mut message = subject.trim().to_owned();
    let msg_body = msg_body.trim();
    if !msg_body.is_empty() {
        message += "\n\n";
        message += msg_body;
    }
    message.push('\n');
    Ok(Patch {
        source: source.to_owned(),
        subject: subject.trim().to_owned(),
        number,
        author_name,
        author_email,
        date,
        message,
        diff: diff.to_owned(),
    })
}

fn unfold_headers(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with("From ") && out.is_empty() {
            continue; // mbox separator
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

/// `Name <email>` or a bare address.
fn parse_address(s: &str) -> Option<(String, String)> {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => {
            let name = s[..a].trim().trim_matches('"').to_owned();
            let email = s[a + 1..b].trim().to_owned();
            Some((if name.is_empty() { email.clone() } else { name }, email))
        }
        _ if s.contains('@') => Some((s.trim().to_owned(), s.trim().to_owned())),
        _ => None,
    }
}

/// RFC 2822 date as written by git: `Sat, 28 Nov 2026 23:31:36 +0100`.
pub fn parse_rfc2822(s: &str) -> Option<(i64, i32)> {
    let s = s.split_once(',').map_or(s, |(_, rest)| rest).trim();
    let mut it = s.split_whitespace();
    let day: i64 = it.next()?.parse().ok()?;
    let mon = it.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m.eq_ignore_ascii_case(mon))? as i64
        + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|x| x.parse::<i64>());
    let (h, m, sec) = (
        hms.next()?.ok()?,
        hms.next()?.ok()?,
        hms.next().unwrap_or(Ok(0)).ok()?,
    );
    let tz = it.next().unwrap_or("+0000");
    let sign = if tz.starts_with('-') { -1 } else { 1 };
    let tzd: i64 = tz.trim_start_matches(['+', '-']).parse().ok()?;
    let offset_min = sign * ((tzd / 100) * 60 + tzd % 100);
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + h * 3600 + m * 60 + sec;
    Some((local - offset_min * 60, offset_min as i32))
}

pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001
From: Jane Dev <jane@example.org>
Date: Thu, 3 Oct 2024 10:00:00 +0200
Subject: [PATCH v4 2/3] dax: report why a PMD fault fell
 back

The PMD fallback checks now return a reason.

Signed-off-by: Jane Dev <jane@example.org>
---
 fs/dax.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/fs/dax.c b/fs/dax.c
index 1111111..2222222 100644
--- a/fs/dax.c
+++ b/fs/dax.c
@@ -1,3 +1,3 @@
 a
-b
+c
 d
-- 
2.47.3

";

    #[test]
    fn mail_fields() {
        let p = parse_mail(MAIL, "t").unwrap();
        assert_eq!(p.subject, "dax: report why a PMD fault fell back");
        assert_eq!(p.number, Some(2));
        assert_eq!(p.author_name, "Jane Dev");
        assert_eq!(p.author_email, "jane@example.org");
        assert_eq!(p.date, (1_727_942_400, 120));
        assert!(p
            .message
            .starts_with("dax: report why a PMD fault fell back\n\nThe PMD"));
        assert!(p.message.trim_end().ends_with("<jane@example.org>"));
        assert!(p.diff.starts_with("diff --git a/fs/dax.c"));
        assert!(p.diff.ends_with(" d\n"), "{:?}", p.diff);
    }

    #[test]
    fn subject_tags() {
        for (subj, want, n) in [
            ("[PATCH] x: y", "x: y", None),
            ("[PATCH v4 10/12] x: y", "x: y", Some(10)),
            ("[RFC PATCH 1/2] x: y", "x: y", Some(1)),
            ("[PATCH RESEND v2 03/12] x: y", "x: y", Some(3)),
            ("x: y", "x: y", None),
        ] {
            let m = MAIL.replace(
                "[PATCH v4 2/3] dax: report why a PMD fault fell\n back",
                subj,
            );
            let p = parse_mail(&m, "t").unwrap();
            assert_eq!((p.subject.as_str(), p.number), (want, n), "{subj}");
        }
    }

    #[test]
    fn mbox_orders_by_number_and_keeps_base_commit() {
        let second = MAIL.to_owned();
        let first = MAIL.replace("2/3]", "1/3]").replace("fell\n back", "first");
        let cover = "From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001
From: Jane Dev <jane@example.org>
Date: Thu, 3 Oct 2024 10:00:00 +0200
Subject: [PATCH v4 0/3] cover

text

base-commit: 0123456789abcdef0123456789abcdef01234567
";
        let text = format!("{cover}{second}{first}");
        let (patches, base) = split_mails(&text, "t").unwrap();
        assert_eq!(patches.len(), 2);
        assert_eq!(
            base.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        let s = from_mails(Path::new("x.mbox"), patches, base).unwrap();
        assert_eq!(s.patches[0].number, Some(1));
        assert_eq!(s.patches[1].number, Some(2));
    }

    #[test]
    fn yaml_errors_have_line_and_column() {
        let err = parse_yaml("name: x\npatches:\n  - a.patch\n  bogus: [\n").unwrap_err();
        assert!(err.starts_with("4:"), "{err}");
        let err = parse_yaml("name: x\npatches: []\nunknown: 1\n").unwrap_err();
        assert!(err.contains("unknown field `unknown`"), "{err}");
        assert!(err.starts_with("3:"), "{err}");
    }

    #[test]
    fn yaml_full() {
        let s = parse_yaml(
            "name: dax-pmd\nversion: 2\nbase:\n  rev: debian-6.12.117\n  kernel: \"6.12\"\npatches: [a.patch]\nconfig: [c.config]\nexpect:\n  xfs-aligned: pmd\n  ext4/hole-read: not-dax\nvariants:\n  - name: Rust\n    append: [dax_pmd_impl=rust]\n",
        )
        .unwrap();
        assert_eq!(s.version, 2);
        assert_eq!(s.base.kernel.as_deref(), Some("6.12"));
        assert_eq!(s.expect["xfs-aligned"], Mapping::Pmd);
        assert_eq!(s.expect["ext4/hole-read"], Mapping::NotDax);
        assert_eq!(s.variants[0].append, ["dax_pmd_impl=rust"]);
        let err = parse_yaml("name: x\npatches: []\nexpect:\n  a: huge\n").unwrap_err();
        assert!(
            err.starts_with("4:") && err.contains("unknown variant `huge`"),
            "{err}"
        );
    }

    /// A series folder `s/` in a temp dir, next to a foreign file whose
    /// content must never show up in an error.
    fn escape_fixture(yaml: &str) -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("s");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("ok.patch"), MAIL).unwrap();
        std::fs::write(dir.join("ok.config"), "CONFIG_X=y\n").unwrap();
        std::fs::write(t.path().join("secret.txt"), "SECRET-CONTENT\n").unwrap();
        std::fs::write(dir.join("series.yaml"), yaml).unwrap();
        (t, dir)
    }

    fn load_err(dir: &Path) -> String {
        format!("{:#}", load_yaml(&dir.join("series.yaml")).unwrap_err())
    }

    #[test]
    fn paths_escaping_the_series_folder_are_refused() {
        for (yaml, line, what) in [
            (
                "name: x\npatches:\n  - ok.patch\n  - ../secret.txt\n",
                4,
                "patch 2/2",
            ),
            ("name: x\npatches: [/etc/passwd]\n", 2, "patch 1/1"),
            (
                "name: x\npatches: [ok.patch]\nconfig:\n  - sub/../../secret.txt\n",
                4,
                "config fragment",
            ),
            // Lexically refused even when the target does not exist.
            ("name: x\npatches: [../../nope.patch]\n", 2, "patch 1/1"),
        ] {
            let (_t, dir) = escape_fixture(yaml);
            let err = load_err(&dir);
            assert!(
                err.contains(&format!("series.yaml:{line}: {what}")),
                "{yaml}: {err}"
            );
            assert!(err.contains("outside the series folder"), "{err}");
            assert!(!err.contains("SECRET-CONTENT"), "{err}");
            assert!(!err.contains("root:"), "{err}");
        }
    }

    #[test]
    fn symlinks_out_of_the_series_folder_are_refused() {
        let (t, dir) =
            escape_fixture("name: x\npatches: [ok.patch, evil.patch]\nconfig: [evil.config]\n");
        std::os::unix::fs::symlink(t.path().join("secret.txt"), dir.join("evil.patch")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", dir.join("evil.config")).unwrap();
        let err = load_err(&dir);
        assert!(err.contains("series.yaml:2: patch 2/2"), "{err}");
        assert!(
            err.contains("secret.txt, outside the series folder"),
            "{err}"
        );
        assert!(!err.contains("SECRET-CONTENT"), "{err}");
        std::fs::write(
            dir.join("series.yaml"),
            "name: x\npatches: [ok.patch]\nconfig: [evil.config]\n",
        )
        .unwrap();
        let err = load_err(&dir);
        assert!(err.contains("series.yaml:3: config fragment"), "{err}");
        // A symlinked series folder itself is fine: it is resolved first.
        std::os::unix::fs::symlink(&dir, t.path().join("link")).unwrap();
        std::fs::write(dir.join("series.yaml"), "name: x\npatches: [ok.patch]\n").unwrap();
        load_yaml(&t.path().join("link/series.yaml")).unwrap();
    }

    #[test]
    fn paths_inside_the_series_folder_load() {
        let (_t, dir) = escape_fixture(
            "name: x\npatches: [sub/../ok.patch, same.patch]\nconfig: [./ok.config]\n",
        );
        std::os::unix::fs::symlink("ok.patch", dir.join("same.patch")).unwrap();
        let s = load_yaml(&dir.join("series.yaml")).unwrap();
        assert_eq!(s.patches.len(), 2);
        assert!(s.config[0].ends_with("s/ok.config"));
        let (_t, dir) = escape_fixture("name: x\npatches: [missing.patch]\n");
        let err = load_err(&dir);
        assert!(err.contains("series.yaml:2: patch 1/1"), "{err}");
        assert!(err.contains("not found"), "{err}");
    }

    #[test]
    fn variants_carry_config_fragments() {
        let (_t, dir) = escape_fixture(
            "name: x\npatches: [ok.patch]\nconfig: [ok.config]\nvariants:\n  - { name: C, config: [c.config] }\n  - { name: Rust, config: [sub/rust.config], append: [a=1] }\n  - { name: plain }\n",
        );
        std::fs::write(dir.join("c.config"), "# CONFIG_R is not set\n").unwrap();
        std::fs::write(dir.join("sub/rust.config"), "CONFIG_R=y\n").unwrap();
        let s = load_yaml(&dir.join("series.yaml")).unwrap();
        let names: Vec<&str> = s.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["C", "Rust", "plain"]);
        assert!(s.variants[0].config[0].is_absolute());
        assert!(s.variants[0].config[0].ends_with("s/c.config"));
        assert!(s.variants[1].config[0].ends_with("s/sub/rust.config"));
        assert_eq!(s.variants[1].append, ["a=1"]);
        assert!(s.variants[2].config.is_empty());
    }

    #[test]
    fn bad_variants_are_refused_naming_the_variant() {
        for (variants, extra, want) in [
            (
                "  - { name: Rust, config: [nope.config] }\n",
                None,
                "series.yaml:5: config fragment of variant Rust",
            ),
            (
                "  - { name: Rust, config: [../secret.txt] }\n",
                None,
                "outside the series folder",
            ),
            (
                "  - { name: Rust, config: [bad.config] }\n",
                Some("CONFIG_R y\n"),
                "bad.config:1: missing `=`",
            ),
            (
                "  - { name: Rust, config: [sub] }\n",
                None,
                "config fragment of variant Rust",
            ),
            (
                "  - { name: C }\n  - { name: c }\n",
                None,
                "variant \"c\": same run folder (series-c) as variant \"C\"",
            ),
            ("  - { name: \"\" }\n", None, "a variant needs a name"),
            (
                "  - { name: C, kconfig: [x] }\n",
                None,
                "unknown field `kconfig`",
            ),
        ] {
            let (_t, dir) = escape_fixture(&format!(
                "name: x\npatches: [ok.patch]\nconfig: [ok.config]\nvariants:\n{variants}"
            ));
            if let Some(text) = extra {
                std::fs::write(dir.join("bad.config"), text).unwrap();
            }
            let err = load_err(&dir);
            assert!(err.contains(want), "{variants}: {err}");
            assert!(!err.contains("SECRET-CONTENT"), "{err}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_rfc2822("Thu, 1 Jan 1970 00:00:00 +0000"),
            Some((0, 0))
        );
        assert_eq!(
            parse_rfc2822("Sat, 28 Nov 2026 23:31:36 -0130"),
            Some((1_795_908_696 + 5400, -90))
        );
    }
}
