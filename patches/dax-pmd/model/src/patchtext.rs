//! Reads kernel source text out of `git format-patch` files: the post-image
//! of each hunk, the files a patch creates, and one C item (a function, an
//! enum) within that text.
//!
//! Shared by `build.rs` (through `#[path]`) and the tests, so that the C
//! compiled and the Rust compared are the patch's own text. No I/O here.

/// The post-image (context and added lines) of every hunk of `file` in
/// `patch`, in order, each as text with a trailing newline per line.
///
/// Hunks are read by their line counts, so a mail signature (`-- `) after
/// the last hunk is not mistaken for a removed line.
pub fn post_images(patch: &str, file: &str) -> Vec<String> {
    let mut images = Vec::new();
    let mut current: Option<&str> = None;
    let mut lines = patch.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            current = rest.rsplit_once(" b/").map(|(_, b)| b);
            continue;
        }
        let Some((old, new)) = hunk_counts(line) else {
            continue;
        };
        let (mut old, mut new) = (old, new);
        let mut image = String::new();
        while old > 0 || new > 0 {
            let Some(l) = lines.next() else { break };
            match l.as_bytes().first() {
                Some(b'+') => {
                    new = new.saturating_sub(1);
                    image.push_str(&l[1..]);
                    image.push('\n');
                }
                Some(b'-') => old = old.saturating_sub(1),
                Some(b'\\') => {}
                // A context line; an empty one has lost its leading space.
                _ => {
                    old = old.saturating_sub(1);
                    new = new.saturating_sub(1);
                    image.push_str(l.get(1..).unwrap_or(""));
                    image.push('\n');
                }
            }
        }
        if current == Some(file) {
            images.push(image);
        }
    }
    images
}

/// The whole text of `file` if `patch` creates it (`--- /dev/null`).
pub fn new_file(patch: &str, file: &str) -> Option<String> {
    let header = format!("diff --git a/{file} b/{file}\n");
    let start = patch.find(&header)?;
    let section = &patch[start + header.len()..];
    let section = &section[..section.find("\ndiff --git ").unwrap_or(section.len())];
    if !section.contains("\n--- /dev/null\n") && !section.starts_with("new file mode") {
        return None;
    }
    let mut images = post_images(&patch[start..], file);
    if images.is_empty() {
        None
    } else {
        Some(images.remove(0))
    }
}

/// The C item of `text` that begins with `start` at the start of a line and
/// ends with the first line that begins with `}` (its closing brace, with
/// a `;` for an enum), or `None`.
pub fn c_item(text: &str, start: &str) -> Option<String> {
    let begin = if text.starts_with(start) {
        0
    } else {
        text.find(&format!("\n{start}"))? + 1
    };
    let body = &text[begin..];
    let end = body.find("\n}")? + 2;
    let end = end + body[end..].find('\n').unwrap_or(body.len() - end);
    Some(format!("{}\n", &body[..end]))
}

/// [`c_item`] over the post-images of `file` in all `patches`, in order:
/// the last complete occurrence, i.e. the item as the series leaves it,
/// with the name of the patch it came from.
pub fn last_c_item<'a>(
    patches: &[(&'a str, &str)],
    file: &str,
    start: &str,
) -> Option<(&'a str, String)> {
    let mut found = None;
    for (name, text) in patches {
        for image in post_images(text, file) {
            if let Some(item) = c_item(&image, start) {
                found = Some((*name, item));
            }
        }
    }
    found
}

/// Applies the hunks of `file` in `patch` to `text` (empty for a file the
/// patch creates), strictly: every context and removed line must be where
/// the hunk header says, after the shift of the earlier hunks. Returns
/// `Ok(None)` if `patch` does not touch `file`, an error naming the hunk
/// that does not apply otherwise.
pub fn apply(text: &str, patch: &str, file: &str) -> Result<Option<String>, String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut touched = false;
    let mut current: Option<&str> = None;
    let mut shift: isize = 0;
    let mut it = patch.lines();
    while let Some(line) = it.next() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            current = rest.rsplit_once(" b/").map(|(_, b)| b);
            shift = 0;
            continue;
        }
        let Some((old_start, old, new)) = hunk_header(line) else {
            continue;
        };
        let (mut o, mut n) = (old, new);
        let (mut before, mut after) = (Vec::new(), Vec::new());
        while o > 0 || n > 0 {
            let Some(l) = it.next() else { break };
            match l.as_bytes().first() {
                Some(b'+') => {
                    n = n.saturating_sub(1);
                    after.push(l[1..].to_owned());
                }
                Some(b'-') => {
                    o = o.saturating_sub(1);
                    before.push(l[1..].to_owned());
                }
                Some(b'\\') => {}
                _ => {
                    o = o.saturating_sub(1);
                    n = n.saturating_sub(1);
                    let c = l.get(1..).unwrap_or("").to_owned();
                    before.push(c.clone());
                    after.push(c);
                }
            }
        }
        if current != Some(file) {
            continue;
        }
        touched = true;
        // A hunk that adds to an empty range starts after line old_start.
        let at = if old == 0 { old_start } else { old_start - 1 };
        let at = (at as isize + shift) as usize;
        if lines.get(at..at + before.len()) != Some(&before[..]) {
            return Err(format!(
                "{file}: the hunk {line:?} does not apply at line {}",
                at + 1
            ));
        }
        shift += after.len() as isize - before.len() as isize;
        lines.splice(at..at + before.len(), after);
    }
    Ok(touched.then(|| lines.iter().map(|l| format!("{l}\n")).collect()))
}

fn hunk_header(line: &str) -> Option<(usize, usize, usize)> {
    let (old, new) = hunk_counts(line)?;
    let start = line
        .strip_prefix("@@ -")?
        .split([',', ' '])
        .next()?
        .parse()
        .ok()?;
    Some((start, old, new))
}

fn hunk_counts(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let count = |r: &str| match r.split_once(',') {
        Some((_, n)) => n.parse().ok(),
        None => Some(1),
    };
    Some((count(old)?, count(new)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "\
Subject: [PATCH] x

---
diff --git a/fs/a.c b/fs/a.c
index 1..2 100644
--- a/fs/a.c
+++ b/fs/a.c
@@ -1,4 +1,5 @@
 int x;

-static int f(void)
+static int f(int y)
+{
 {
@@ -10,2 +11,3 @@ static int f(void)
 	return 0;
+	/* done */
 }
diff --git a/fs/b.rs b/fs/b.rs
new file mode 100644
index 0..3
--- /dev/null
+++ b/fs/b.rs
@@ -0,0 +1,2 @@
+// b
+fn b() {}
-- 
2.39.5
";

    #[test]
    fn post_images_follow_the_line_counts() {
        assert_eq!(
            post_images(PATCH, "fs/a.c"),
            vec![
                "int x;\n\nstatic int f(int y)\n{\n{\n".to_owned(),
                "\treturn 0;\n\t/* done */\n}\n".to_owned()
            ]
        );
        assert_eq!(
            post_images(PATCH, "fs/b.rs"),
            vec!["// b\nfn b() {}\n".to_owned()]
        );
        assert!(post_images(PATCH, "fs/c.c").is_empty());
    }

    #[test]
    fn new_file_only_for_created_files() {
        assert_eq!(
            new_file(PATCH, "fs/b.rs").as_deref(),
            Some("// b\nfn b() {}\n")
        );
        assert_eq!(new_file(PATCH, "fs/a.c"), None);
    }

    #[test]
    fn c_item_takes_through_the_closing_brace() {
        let text =
            "int x;\nenum e {\n\tA = 0,\n};\nstatic int g(void)\n{\n\treturn 1;\n}\nint z;\n";
        assert_eq!(
            c_item(text, "enum e {").as_deref(),
            Some("enum e {\n\tA = 0,\n};\n")
        );
        assert_eq!(
            c_item(text, "static int g(").as_deref(),
            Some("static int g(void)\n{\n\treturn 1;\n}\n")
        );
        assert_eq!(c_item(text, "static int h("), None);
        assert_eq!(c_item("enum e {\n\tA,", "enum e {"), None);
    }

    #[test]
    fn apply_is_strict_and_follows_earlier_hunks() {
        let base = "a\nb\nc\nd\ne\n";
        let p = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n+a2\n b\n@@ -4,2 +5,1 @@\n d\n-e\n";
        assert_eq!(
            apply(base, p, "f").unwrap().as_deref(),
            Some("a\na2\nb\nc\nd\n")
        );
        assert_eq!(apply(base, p, "g").unwrap(), None);
        assert!(apply("a\nx\nc\nd\ne\n", p, "f").is_err());
        let created = apply("", PATCH, "fs/b.rs").unwrap();
        assert_eq!(created.as_deref(), Some("// b\nfn b() {}\n"));
    }

    #[test]
    fn last_c_item_prefers_the_later_patch() {
        let p1 =
            "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,0 +1,3 @@\n+int f(void)\n+{\n+}\n";
        let p2 = "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1,3 +1,4 @@\n int f(void)\n {\n+\treturn 0;\n }\n";
        let got = last_c_item(&[("p1", p1), ("p2", p2)], "f.c", "int f(");
        assert_eq!(
            got,
            Some(("p2", "int f(void)\n{\n\treturn 0;\n}\n".to_owned()))
        );
    }
}
