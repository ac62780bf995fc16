//! `reply.eml`: the review as a reply to the thread, ready for
//! `git send-email`. RFC 2822 headers (In-Reply-To/References to the cover
//! letter or the single patch, the thread's To/Cc, `Re: [PATCH vN 0/M]`),
//! a plain-text body wrapped at [`WIDTH`] columns: the per-patch table,
//! the before/after case table, the exact reproducer, and `Tested-by:`
//! only when every check passed — otherwise the failures and their
//! evidence, quoted.

use super::Review;
use crate::report::model::Report;
use crate::report::view::{self, Cell};
use crate::tree;
use daxkit_harness::judge::Class;

/// Body width, the list's convention.
pub const WIDTH: usize = 72;

pub fn render(r: &Review, stamp: &str) -> String {
    let t = &r.thread;
    let mut h = Vec::new();
    if let Some(me) = &r.tester {
        h.push(format!("From: {me}"));
    }
    let me_addr = r.tester.as_deref().and_then(address).unwrap_or_default();
    let author = t.top.from.clone();
    let mut cc: Vec<String> = Vec::new();
    for a in split_addresses(&t.top.to)
        .into_iter()
        .chain(split_addresses(&t.top.cc))
    {
        let addr = address(&a).unwrap_or_default();
        if addr != me_addr
            && Some(addr.clone()) != address(&author)
            && !cc
                .iter()
                .any(|c| address(c).as_deref() == Some(addr.as_str()))
        {
            cc.push(a);
        }
    }
    if !author.is_empty() {
        h.push(format!("To: {author}"));
    }
    if !cc.is_empty() {
        h.push(fold("Cc", &cc.join(", ")));
    }
    let subject = if t.top.subject.to_ascii_lowercase().starts_with("re:") {
        t.top.subject.clone()
    } else {
        format!("Re: {}", t.top.subject)
    };
    h.push(fold("Subject", &subject));
    h.push(format!("Date: {}", rfc2822_now()));
    let domain = me_addr.rsplit_once('@').map_or("localhost", |(_, d)| d);
    h.push(format!(
        "Message-ID: <daxkit-review-{stamp}-{}@{domain}>",
        &short_hash(&t.top.message_id)
    ));
    if !t.top.message_id.is_empty() {
        h.push(format!("In-Reply-To: <{}>", t.top.message_id));
        let mut refs: Vec<String> = t
            .top
            .references
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        refs.push(format!("<{}>", t.top.message_id));
        h.push(fold("References", &refs.join(" ")));
    }
    h.push("MIME-Version: 1.0".into());
    h.push("Content-Type: text/plain; charset=utf-8".into());
    h.push("Content-Transfer-Encoding: 8bit".into());
    format!("{}\n\n{}", h.join("\n"), body(r))
}

/// Folds a long header at `, ` or spaces (RFC 5322 2.2.3), lines ≤ 78.
fn fold(name: &str, value: &str) -> String {
    let mut out = format!("{name}:");
    let mut line_len = out.len();
    for word in value.split(' ') {
        if line_len + 1 + word.len() > 78 && line_len > name.len() + 1 {
            out += "\n";
            line_len = 0;
        }
        out += " ";
        out += word;
        line_len += 1 + word.len();
    }
    out
}

/// `a, "B, C" <b@c>` → each address.
fn split_addresses(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut quoted, mut angle) = (String::new(), false, false);
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' => angle = true,
            '>' => angle = false,
            ',' if !quoted && !angle => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_owned());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

fn address(s: &str) -> Option<String> {
    let a = match (s.rfind('<'), s.rfind('>')) {
        (Some(i), Some(j)) if i < j => &s[i + 1..j],
        _ => s.trim(),
    };
    a.contains('@').then(|| a.to_ascii_lowercase())
}

fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(s.as_bytes()))[..12].to_owned()
}

fn rfc2822_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc2822(secs)
}

/// `Wed, 02 Dec 2026 13:39:10 +0000`.
pub fn rfc2822(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        WD[days.rem_euclid(7) as usize],
        MON[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The one line `review` prints.
pub fn summary_line(r: &Review) -> String {
    let what = format!(
        "v{} of <{}> ({} patches) on {}",
        r.thread.revision,
        r.thread.top.message_id,
        r.thread.patches.len(),
        tree::short(&r.base)
    );
    if r.passed() {
        match &r.tester {
            Some(t) => format!("review: {what}: every check passed; reply.eml carries Tested-by: {t}"),
            None => format!("review: {what}: every check passed; no Tested-by (git config user.name/user.email unset)"),
        }
    } else {
        format!(
            "review: {what}: {} ({} failure(s) quoted in reply.eml)",
            Class::word(class(r.exit_code)),
            failures(r).len()
        )
    }
}

fn class(code: i32) -> Class {
    super::class_of(code)
}

/// Greedy word wrap at `width`; words longer than a line are split.
pub fn wrap(text: &str, width: usize, prefix: &str) -> Vec<String> {
    let room = width.saturating_sub(prefix.chars().count()).max(10);
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut w: Vec<char> = word.chars().collect();
            while w.len() > room {
                if !line.is_empty() {
                    out.push(format!("{prefix}{line}"));
                    line.clear();
                }
                let rest = w.split_off(room);
                out.push(format!("{prefix}{}", w.iter().collect::<String>()));
                w = rest;
            }
            let w: String = w.into_iter().collect();
            if w.is_empty() {
                continue;
            }
            if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > room {
                out.push(format!("{prefix}{line}"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line += &w;
        }
        out.push(format!("{prefix}{line}").trim_end().to_owned());
    }
    out
}

/// A left-aligned table indented by two, each line cut to [`WIDTH`] by
/// shortening column `shrink` (then the last one).
fn table(rows: &[Vec<String>], shrink: usize) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut w: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let total = |w: &[usize]| 2 + w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    while total(&w) > WIDTH && w[shrink] > 8 {
        w[shrink] -= 1;
    }
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    let s = cut(s, w[c]);
                    format!("{s:<width$}", width = w[c])
                })
                .collect();
            let line = format!("  {}", cells.join("  "));
            cut(line.trim_end(), WIDTH)
        })
        .collect()
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('~');
        t
    }
}

/// The failures with their evidence, one entry each (title, evidence).
pub fn failures(r: &Review) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(e) = &r.apply_failure {
        out.push(("The series does not apply".to_owned(), e.clone()));
    }
    let n = r.thread.patches.len();
    for row in r.check_series.iter().flatten() {
        let mut what = Vec::new();
        if !row.checkpatch_ok {
            let (e, w, c) = row.checkpatch;
            what.push(format!(
                "checkpatch --strict: {e} errors, {w} warnings, {c} checks"
            ));
        }
        if !row.build_ok {
            what.push("does not build on its own".to_owned());
        }
        for c in row
            .checks
            .iter()
            .filter(|c| c.status == crate::kernel_checks::Status::Fail)
        {
            what.push(format!("{}: {}", c.check, c.detail));
        }
        if let Some(c) = row.cases.filter(|c| *c != crate::exit::GOOD) {
            what.push(format!("cases exit {c}"));
        }
        if !what.is_empty() {
            out.push((
                format!(
                    "Patch {}/{n} \"{}\": {}",
                    row.index,
                    row.subject,
                    what.join("; ")
                ),
                row.note.clone(),
            ));
        }
    }
    if let Some(rep) = &r.report {
        for v in &rep.variants {
            let j = v.judgement();
            if j.class != Class::Good {
                let mut ev = vec![j.why()];
                for c in j.cases.iter().filter(|c| {
                    c.status != daxkit_harness::judge::CaseStatus::Pass
                        && c.status != daxkit_harness::judge::CaseStatus::Skipped
                }) {
                    ev.push(format!(
                        "{}/{}: {} (expected {}): {}",
                        c.fs, c.name, c.verdict, c.expected, c.why
                    ));
                }
                out.push((format!("{}: {}", v.name, j.class.word()), ev.join("\n")));
            }
        }
    }
    out
}

fn case_table(rep: &Report) -> Vec<String> {
    let mut rows = vec![{
        let mut h = vec!["case".to_owned()];
        h.extend(
            rep.variants
                .iter()
                .map(|v| view::variant_tag(rep, v).to_owned()),
        );
        h
    }];
    for k in view::case_keys(rep) {
        let mut row = vec![k.label()];
        for v in &rep.variants {
            row.push(match view::cell(v, &k) {
                Cell::Judged { j, .. } if j.status == daxkit_harness::judge::CaseStatus::Pass => {
                    format!("{} ok", j.verdict)
                }
                Cell::Judged { j, .. } => format!("{} {}", j.verdict, j.status.word()),
                Cell::Missing => "not run".to_owned(),
            });
        }
        rows.push(row);
    }
    table(&rows, 0)
}

fn patch_table(r: &Review) -> Vec<String> {
    let n = r.thread.patches.len();
    let mut rows = vec![vec![
        "patch".to_owned(),
        "checkpatch".to_owned(),
        "build".to_owned(),
        "cases".to_owned(),
        "subject".to_owned(),
    ]];
    let with_cases = r
        .check_series
        .iter()
        .flatten()
        .any(|row| row.cases.is_some());
    for row in r.check_series.iter().flatten() {
        let (e, w, c) = row.checkpatch;
        rows.push(vec![
            format!("{}/{n}", row.index),
            format!("{e}/{w}/{c} {}", ok(row.checkpatch_ok)),
            format!("{} {:.0}s", ok(row.build_ok), row.build_s),
            row.cases.map_or("-".to_owned(), |c| {
                if c == crate::exit::GOOD {
                    "ok".to_owned()
                } else {
                    format!("exit {c}")
                }
            }),
            row.subject.clone(),
        ]);
    }
    if !with_cases {
        for row in &mut rows {
            row.remove(3);
        }
    }
    let last = rows[0].len() - 1;
    table(&rows, last)
}

fn ok(b: bool) -> &'static str {
    if b {
        "ok"
    } else {
        "FAIL"
    }
}

/// The reproducer as shell lines of at most [`WIDTH`] columns.
fn command_lines(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = "  $".to_owned();
    for w in cmd.split_whitespace() {
        if line.len() + 1 + w.len() + 2 > WIDTH && line.len() > 4 {
            out.push(format!("{line} \\"));
            line = "     ".to_owned();
        }
        line += " ";
        line += w;
    }
    out.push(line);
    out
}

/// The report's reproducer record, within [`WIDTH`]: the versions on
/// one wrapped paragraph, then each patch-id and fragment hash in full.
fn record_lines(rec: &crate::report::reproducer::Reproducer) -> Vec<String> {
    let mut b = wrap(
        &format!(
            "Inputs of that run (`daxkit rerun` on its report.json repeats it and \
             names what differs): {}, base {}.",
            rec.environment(),
            rec.base
        ),
        WIDTH,
        "",
    );
    if !rec.patches.is_empty() {
        b.push("Patch-ids (git patch-id --stable):".to_owned());
        for (i, p) in rec.patches.iter().enumerate() {
            b.push(format!("  {} {}", i + 1, p.patch_id));
        }
    }
    if !rec.fragments.is_empty() {
        b.push("Kconfig fragments (sha256):".to_owned());
        for f in &rec.fragments {
            let name: Vec<char> = f.file.chars().collect();
            let keep = WIDTH - 3;
            b.push(if name.len() > keep {
                format!(
                    "  …{}",
                    name[name.len() - keep..].iter().collect::<String>()
                )
            } else {
                format!("  {}", f.file)
            });
            b.push(format!("    {}", f.sha256));
        }
    }
    b
}

pub fn body(r: &Review) -> String {
    let t = &r.thread;
    let n = t.patches.len();
    let mut b: Vec<String> = Vec::new();
    let para = |b: &mut Vec<String>, s: &str| {
        b.extend(wrap(s, WIDTH, ""));
        b.push(String::new());
    };
    let author = t
        .top
        .from
        .split('<')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_owned();
    if !author.is_empty() {
        para(&mut b, &format!("Hi {author},"));
    }
    para(
        &mut b,
        &format!(
            "I ran daxkit on v{} of this series ({n} patch{}, as b4 picked them \
             from the thread{}) on Linux {}, base {} ({}).",
            t.revision,
            if n == 1 { "" } else { "es" },
            if t.collected.iter().any(|c| !c.is_empty()) {
                ", with the trailers sent in replies"
            } else {
                ""
            },
            r.kernel_version,
            tree::short(&r.base),
            r.base_how
        ),
    );
    if r.check_series.is_some() {
        para(
            &mut b,
            "Patch by patch: checkpatch.pl --strict (errors/warnings/checks), \
             the build of each patch on its own, and the cases when booted:",
        );
        b.extend(patch_table(r));
        b.push(String::new());
    }
    if let Some(rep) = &r.report {
        para(
            &mut b,
            "The DAX cases on the stock kernel (before) and with the series \
             (after), judged from the page-table readers, smaps, the fs_dax \
             tracepoints and vmstat in a QEMU guest with emulated NVDIMMs:",
        );
        b.extend(case_table(rep));
        b.push(String::new());
        para(&mut b, &crate::report::summary_line(rep));
    }
    let fails = failures(r);
    if !fails.is_empty() {
        para(&mut b, "What failed, with its evidence:");
        for (title, ev) in &fails {
            b.extend(wrap(&format!("- {title}"), WIDTH, ""));
            if !ev.trim().is_empty() {
                b.extend(wrap(ev, WIDTH, "  > "));
            }
            b.push(String::new());
        }
    }
    para(&mut b, "To reproduce:");
    b.extend(command_lines(&r.reproducer));
    b.push(String::new());
    if let Some(rec) = r.report.as_ref().and_then(|rep| rep.reproducer.as_ref()) {
        b.extend(record_lines(rec));
        b.push(String::new());
    }
    if r.passed() {
        match &r.tester {
            Some(me) => b.push(format!("Tested-by: {me}")),
            None => para(
                &mut b,
                "Every check passed (no Tested-by: git config user.name and \
                 user.email are not set).",
            ),
        }
    }
    while b.last().is_some_and(|l| l.is_empty()) {
        b.pop();
    }
    b.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        let lines = wrap(&"word ".repeat(40), 72, "");
        assert!(lines.iter().all(|l| l.len() <= 72));
        assert_eq!(lines.len(), 3);
        let long = wrap(&"x".repeat(100), 72, "  > ");
        assert_eq!(
            long,
            vec![
                format!("  > {}", "x".repeat(68)),
                format!("  > {}", "x".repeat(32))
            ]
        );
    }

    #[test]
    fn dates_and_addresses() {
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(1_796_218_750), "Wed, 02 Dec 2026 13:39:10 +0000");
        assert_eq!(
            split_addresses("\"Doe, J\" <j@x.org>, a@b.c"),
            vec!["\"Doe, J\" <j@x.org>", "a@b.c"]
        );
        assert_eq!(address("A <A@B.org>").as_deref(), Some("a@b.org"));
    }

    #[test]
    fn long_commands_continue_within_the_width() {
        let cmd = format!(
            "daxkit review {}@example.org --base {} --case a --case b --fs xfs",
            "m".repeat(40),
            "f".repeat(40)
        );
        let lines = command_lines(&cmd);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.len() <= WIDTH), "{lines:#?}");
        let joined: String = lines
            .iter()
            .map(|l| l.trim_end_matches('\\').trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined, format!("$ {cmd}"));
    }
}
