//! Mail threads made at test time from the shipped series
//! (`patches/dax-pmd/`: whatever its series.yaml lists, and its cover
//! letter if it has one), as a list would carry them: Message-Id,
//! In-Reply-To/References to the cover letter, To/Cc, `[PATCH vN m/n]`,
//! and replies with trailers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const TO: &str = "linux-fsdevel@vger.kernel.org";
pub const CC: &str = "Dan Williams <dan.j.williams@example.org>, nvdimm@lists.linux.dev";

pub fn series_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("patches/dax-pmd")
}

/// The shipped series as mails: (cover letter if any, patches in order).
pub fn shipped() -> (Option<String>, Vec<String>) {
    let dir = series_dir();
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("series.yaml")).unwrap()).unwrap();
    let listed: Vec<String> = yaml["patches"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let patches: Vec<String> = listed
        .iter()
        .map(|p| std::fs::read_to_string(dir.join(p)).unwrap())
        .collect();
    let mut cover = None;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".patch") && !listed.contains(&name) {
            let text = std::fs::read_to_string(&p).unwrap();
            if !text.contains("\ndiff --git ") {
                cover = Some(text);
            }
        }
    }
    (cover, patches)
}

/// What to do with the cover letter's `base-commit:` line.
#[derive(Clone, Debug)]
pub enum Base {
    Keep,
    Set(String),
    Drop,
}

/// One mail: headers replaced as a list would have them.
fn mail(
    text: &str,
    version: u32,
    msgid: &str,
    parent: Option<&str>,
    refs: &[String],
    date: &str,
    base: &Base,
) -> String {
    let (head, body) = text.split_once("\n\n").unwrap();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with("From ") && headers.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1 += " ";
            last.1 += line.trim();
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.to_owned(), v.trim().to_owned()));
        }
    }
    let mut out = String::from("From daxkit@example.org Mon Sep 17 00:00:00 2001\n");
    for (k, v) in &headers {
        match k.as_str() {
            "Date" | "Message-Id" | "Message-ID" | "In-Reply-To" | "References" => {}
            "Subject" => {
                let rest = v.trim_start_matches("[PATCH").trim_start();
                let rest = match rest.strip_prefix('v') {
                    Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => {
                        r.split_once(' ').map_or("", |x| x.1)
                    }
                    _ => rest,
                };
                let tag = if version > 1 {
                    format!("[PATCH v{version} ")
                } else {
                    "[PATCH ".to_owned()
                };
                out += &format!("Subject: {tag}{rest}\n");
            }
            _ => out += &format!("{k}: {v}\n"),
        }
    }
    out += &format!("Date: {date}\nMessage-Id: <{msgid}>\nTo: {TO}\nCc: {CC}\n");
    if let Some(p) = parent {
        out += &format!("In-Reply-To: <{p}>\n");
    }
    if !refs.is_empty() {
        let r: Vec<String> = refs.iter().map(|r| format!("<{r}>")).collect();
        out += &format!("References: {}\n", r.join(" "));
    }
    let body = match base {
        Base::Keep => body.to_owned(),
        Base::Set(c) => set_base(body, Some(c)),
        Base::Drop => set_base(body, None),
    };
    out + "\n" + &body
}

fn set_base(body: &str, commit: Option<&str>) -> String {
    let mut out = String::new();
    let mut had = false;
    for l in body.lines() {
        if l.starts_with("base-commit:") {
            had = true;
            if let Some(c) = commit {
                out += &format!("base-commit: {c}\n");
            }
        } else {
            out += l;
            out.push('\n');
        }
    }
    if !had {
        if let Some(c) = commit {
            out += &format!("\nbase-commit: {c}\n");
        }
    }
    out
}

/// Message-id of the cover letter (or first patch) of revision `v` under `tag`.
pub fn top_id(tag: &str, v: u32) -> String {
    format!("{tag}-v{v}-0@example.org")
}

pub fn patch_id(tag: &str, v: u32, i: usize) -> String {
    format!("{tag}-v{v}-{i}@example.org")
}

/// One revision of the shipped series as mails.
pub fn revision(tag: &str, v: u32, base: &Base, date: &str) -> Vec<String> {
    let (cover, patches) = shipped();
    let mut out = Vec::new();
    let top = top_id(tag, v);
    let root = cover.is_some();
    if let Some(c) = &cover {
        out.push(mail(c, v, &top, None, &[], date, base));
    }
    for (i, p) in patches.iter().enumerate() {
        let id = if !root && i == 0 {
            top.clone()
        } else {
            patch_id(tag, v, i + 1)
        };
        let (parent, refs) = if root || i > 0 {
            (Some(top.as_str()), vec![top.clone()])
        } else {
            (None, vec![])
        };
        // Without a cover letter, the base goes in the first patch (as
        // `git format-patch --base` puts it in the first message).
        let b = if root || i > 0 {
            Base::Keep
        } else {
            base.clone()
        };
        out.push(mail(p, v, &id, parent, &refs, date, &b));
    }
    out
}

/// A reply to `msgid` carrying `trailer` (e.g. `Reviewed-by: A <a@b>`).
pub fn reply(msgid: &str, refs: &[String], subject: &str, trailer: &str, date: &str) -> String {
    let r: Vec<String> = refs.iter().map(|r| format!("<{r}>")).collect();
    // b4 takes a trailer only from the person it names.
    let who = trailer.split_once(": ").map_or(trailer, |t| t.1);
    format!(
        "From rev@example.org Mon Sep 17 00:00:00 2001\nFrom: {who}\n\
         To: {TO}\nDate: {date}\nSubject: Re: {subject}\nMessage-Id: <re-{msgid}>\n\
         In-Reply-To: <{msgid}>\nReferences: {}\n\n> quoted\n\nLooks right to me.\n\n{trailer}\n",
        r.join(" ")
    )
}

/// The subject line of a mail.
pub fn subject(mail: &str) -> String {
    mail.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap()
        .to_owned()
}

pub fn mbox(mails: &[String]) -> String {
    mails
        .iter()
        .map(|m| format!("{}\n", m.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The current time as RFC 2822 (threads are dated as sent now).
pub fn now() -> String {
    let o = std::process::Command::new("date")
        .args(["-u", "-R"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// The whole thread of revision `v`: patches, a Reviewed-by reply to
/// patch 1 and an Acked-by reply to the cover letter (if any).
pub fn thread(tag: &str, v: u32, base: &Base) -> Vec<String> {
    let date = now();
    let mut mails = revision(tag, v, base, &date);
    let has_cover = shipped().0.is_some();
    let first = if has_cover {
        patch_id(tag, v, 1)
    } else {
        top_id(tag, v)
    };
    let first_mail = &mails[usize::from(has_cover)];
    mails.push(reply(
        &first,
        &[top_id(tag, v), first.clone()],
        &subject(first_mail),
        "Reviewed-by: Rev Iewer <rev@example.org>",
        &date,
    ));
    if has_cover {
        let c = subject(&mails[0]);
        mails.push(reply(
            &top_id(tag, v),
            &[top_id(tag, v)],
            &c,
            "Acked-by: Ann Acker <ann@example.org>",
            &date,
        ));
    }
    mails
}
