//! KTAP from the guest console: the results of built-in KUnit suites,
//! which the kernel runs at boot (CONFIG_KUNIT=y) and prints with printk.
//!
//! Console lines carry printk's prefixes (`[    1.234567] `, and with
//! PRINTK_CALLER `[    T1] `) and are interleaved with other kernel
//! messages; KTAP nests by indentation (KUnit: 4 spaces a level; the
//! spec's examples: 2). So the parser keeps a stack of open tests by
//! indentation, reads only lines at or inside the open test's
//! indentation as its diagnostics, and leaves anything unindented that is
//! not KTAP to the rest of the console. Text in, [`KtapSuite`]s out; the
//! judge turns them into cases.
//!
//! Suites are the subtests of the outermost document (KUnit's executor
//! prints one: `KTAP version 1`, `1..N`, then each suite nested). A
//! suite's subtests are its tests; deeper subtests (parameterised
//! tests) fold into their test: each one not ok adds a diagnostic line.

use daxkit_harness::judge::{KtapResult, KtapSuite, KtapTest};
use regex::Regex;
use std::sync::LazyLock;

/// printk's time stamp and caller id, as the console shows them.
static PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:\[\s*\d+\.\d+\] ?)?(?:\[\s*[TC]\d+\] ?)?").unwrap());
static VERSION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^K?TAP version \d+$").unwrap());
static PLAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^1\.\.\d+$").unwrap());
static RESULT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(ok|not ok) \d+(?: -)?(?: ([^#]*?))?\s*(?:#\s*(.*))?$").unwrap()
});

/// A test being read: its header's indentation, what came so far.
#[derive(Debug)]
struct Open {
    indent: usize,
    name: Option<String>,
    line: usize,
    /// Subtests that finished (or were cut off) inside it.
    done: Vec<Node>,
    /// Diagnostic lines not yet claimed by a result line: KUnit prints a
    /// test's diagnostics before its `ok`/`not ok`.
    pending: Vec<String>,
    /// The header came from the console (not made up for a bare result).
    explicit: bool,
}

/// A test with its result (`None`: started, never finished).
#[derive(Debug, Clone, PartialEq)]
struct Node {
    name: String,
    result: Option<KtapResult>,
    directive: String,
    diagnostic: Vec<String>,
    /// The result line (the header's for a cut-off test).
    line: usize,
    /// Where it started: its header, or its result line without one.
    start: usize,
    children: Vec<Node>,
}

fn open(indent: usize, line: usize, explicit: bool) -> Open {
    Open {
        indent,
        name: None,
        line,
        done: Vec::new(),
        pending: Vec::new(),
        explicit,
    }
}

/// A cut-off test: its header was seen, its result never came.
fn unfinished(o: Open) -> Node {
    Node {
        name: o
            .name
            .unwrap_or_else(|| format!("(unnamed, line {})", o.line)),
        result: None,
        directive: String::new(),
        diagnostic: o.pending,
        line: o.line,
        start: o.line,
        children: o.done,
    }
}

/// `ok`/`not ok` and the directive → the result KUnit means.
fn result_of(ok: bool, directive: &str) -> KtapResult {
    let word = directive
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match word.as_str() {
        "SKIP" | "TODO" => KtapResult::Skip,
        // An expected failure that failed is as planned.
        "XFAIL" if !ok => KtapResult::Ok,
        "TIMEOUT" | "ERROR" => KtapResult::NotOk,
        _ if ok => KtapResult::Ok,
        _ => KtapResult::NotOk,
    }
}

#[derive(Debug, Default)]
struct Parser {
    stack: Vec<Open>,
    /// Subtests of the outermost level that ended: the suites.
    roots: Vec<Node>,
}

impl Parser {
    /// Closes the open tests deeper than `indent`, innermost first, each
    /// into its parent as cut off (none is the one a result line closes).
    fn cut_deeper_than(&mut self, indent: usize) {
        while self.stack.last().is_some_and(|o| o.indent > indent) {
            let o = self.stack.pop().expect("checked");
            self.finish(unfinished(o));
        }
    }

    /// Hands a finished node to the open test around it, or to the roots.
    fn finish(&mut self, n: Node) {
        match self.stack.last_mut() {
            Some(parent) => parent.done.push(n),
            None => self.roots.push(n),
        }
    }

    fn header(&mut self, indent: usize, line: usize, subtest: Option<&str>) {
        // `KTAP version` then `# Subtest:` (or either alone) open one test.
        if let Some(top) = self.stack.last_mut() {
            if top.indent == indent && top.done.is_empty() && top.pending.is_empty() {
                if top.name.is_none() {
                    top.name = subtest.map(str::to_owned);
                }
                top.explicit = true;
                return;
            }
        }
        self.cut_deeper_than(indent);
        // A new test at the indentation of one still open: the open one
        // was cut off (its result never came) — unless it is the
        // outermost document, which never has a result of its own.
        if self.stack.len() > 1 && self.stack.last().is_some_and(|o| o.indent == indent) {
            let o = self.stack.pop().expect("checked");
            self.finish(unfinished(o));
        }
        if self.stack.last().is_some_and(|o| o.indent == indent) {
            return;
        }
        let mut o = open(indent, line, true);
        o.name = subtest.map(str::to_owned);
        self.stack.push(o);
    }

    /// A result line at `indent` ends the subtest opened just inside that
    /// indentation (if any) and is one result of the test at `indent`.
    fn result(&mut self, indent: usize, line: usize, r: Node) {
        // The subtest this line closes: the open test right inside.
        let mut closed: Option<Open> = None;
        while self.stack.last().is_some_and(|o| o.indent > indent) {
            let o = self.stack.pop().expect("checked");
            if let Some(inner) = closed.replace(o) {
                // Two levels deeper than the result: cut off.
                let n = unfinished(inner);
                if let Some(c) = closed.as_mut() {
                    c.done.push(n);
                }
            }
        }
        // A result at an indentation nothing opened: an implicit level
        // (KTAP without its version line, or a console that lost it).
        if self.stack.last().is_none_or(|o| o.indent < indent) {
            self.stack.push(open(indent, line, false));
        }
        let parent = self.stack.last_mut().expect("pushed");
        let mut n = r;
        n.diagnostic = std::mem::take(&mut parent.pending);
        if let Some(c) = closed {
            n.diagnostic.splice(0..0, c.pending);
            n.children = c.done;
            n.start = c.line;
        }
        parent.done.push(n);
    }

    fn push(&mut self, line: usize, raw: &str) {
        let text = PREFIX.replace(raw.trim_end_matches(['\r', '\n']), "");
        let indent = text.len() - text.trim_start_matches(' ').len();
        let body = text.trim();
        if body.is_empty() {
            return;
        }
        if VERSION.is_match(body) {
            return self.header(indent, line, None);
        }
        if let Some(name) = body.strip_prefix("# Subtest:") {
            return self.header(indent, line, Some(name.trim()));
        }
        if self.stack.is_empty() {
            // Nothing open: only KTAP headers start something.
            return;
        }
        if PLAN.is_match(body) {
            return;
        }
        if let Some(c) = RESULT.captures(body) {
            let ok = &c[1] == "ok";
            let directive = c.get(3).map_or("", |m| m.as_str()).trim().to_owned();
            let node = Node {
                name: c.get(2).map_or("", |m| m.as_str()).trim().to_owned(),
                result: Some(result_of(ok, &directive)),
                directive,
                diagnostic: Vec::new(),
                line,
                start: line,
                children: Vec::new(),
            };
            return self.result(indent, line, node);
        }
        // A diagnostic (`# ...`) or an unknown line inside the open test:
        // KUnit prints the first line of a failed expectation as `# x:
        // EXPECTATION FAILED at ...` and the rest further indented without
        // `#`. Unindented noise from the rest of the kernel is not KTAP.
        // A `#` line belongs to the innermost open test at or outside its
        // indentation (KUnit prints a parameterised test's totals at the
        // test's level while its parameters' level is still open).
        let target = if body.starts_with('#') {
            self.stack.iter_mut().rev().find(|o| o.indent <= indent)
        } else {
            self.stack
                .last_mut()
                .filter(|o| o.indent > 0 && indent >= o.indent)
        };
        if let Some(o) = target {
            if !body.starts_with("# module:") {
                let d = body.strip_prefix('#').map_or(body, str::trim_start);
                o.pending.push(d.to_owned());
            }
        }
    }

    /// At the end of the console, tests still open never finished.
    fn end(mut self) -> Vec<Node> {
        while self.stack.len() > 1 {
            let o = self.stack.pop().expect("checked");
            self.finish(unfinished(o));
        }
        if let Some(root) = self.stack.pop() {
            // The outermost document's subtests are the suites; its own
            // result line (the spec's `not ok 1 main_test`) is not a suite.
            if root.explicit || !root.done.is_empty() {
                self.roots.extend(root.done);
            }
        }
        self.roots
    }
}

/// The KUnit suites (with their tests) on a console log.
pub fn parse(console: &str) -> Vec<KtapSuite> {
    let mut p = Parser::default();
    for (i, l) in console.lines().enumerate() {
        p.push(i + 1, l);
    }
    p.end().into_iter().map(suite).collect()
}

fn suite(n: Node) -> KtapSuite {
    KtapSuite {
        name: n.name,
        line: n.start,
        tests: n.children.into_iter().map(test).collect(),
        result: n.result,
        diagnostic: n.diagnostic,
    }
}

/// A test with its subtests (parameters) folded into its diagnostics.
fn test(n: Node) -> KtapTest {
    let mut diagnostic = n.diagnostic;
    for c in flatten(n.children) {
        match c.result {
            Some(KtapResult::NotOk) => {
                diagnostic.push(format!("{}: not ok (console line {})", c.name, c.line));
                diagnostic.extend(c.diagnostic.iter().map(|d| format!("  {d}")));
            }
            None => diagnostic.push(format!(
                "{}: started at console line {} but never finished",
                c.name, c.line
            )),
            _ => {}
        }
    }
    // A test whose own subtest never finished did not finish either.
    KtapTest {
        name: n.name,
        result: n.result.unwrap_or(KtapResult::NotOk),
        directive: n.directive,
        diagnostic,
        line: n.line,
    }
}

fn flatten(nodes: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    for mut n in nodes {
        let kids = std::mem::take(&mut n.children);
        out.push(n);
        out.extend(flatten(kids));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (suite, its result, (test, result) of each test).
    type Brief = (String, Option<KtapResult>, Vec<(String, KtapResult)>);

    fn brief(s: &[KtapSuite]) -> Vec<Brief> {
        s.iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.result,
                    s.tests.iter().map(|t| (t.name.clone(), t.result)).collect(),
                )
            })
            .collect()
    }

    use KtapResult::{NotOk, Ok as Pass, Skip};

    /// A 6.12 boot console: printk time stamps, KUnit's 4-space nesting,
    /// a parameterised test, a failed expectation with its continuation
    /// lines, a skip, and other kernel messages in between.
    const CONSOLE_612: &str = "\
[    0.912345] clocksource: Switched to clocksource tsc
[    1.234001] KTAP version 1
[    1.234002] 1..2
[    1.234003]     KTAP version 1
[    1.234004]     # Subtest: dax_pmd_decide
[    1.234005]     # module: dax_pmd_kunit
[    1.234006]     1..4
[    1.234007]     ok 1 dax_pmd_decide_grid
[    1.234100] random: crng init done
[    1.234201]     # dax_pmd_decide_matches_c: EXPECTATION FAILED at fs/dax_pmd_kunit.c:88
[    1.234202]     Expected rust == c, but
[    1.234203]         rust == 3 (0x3)
[    1.234204]         c == 0 (0x0)
[    1.234205]     not ok 2 dax_pmd_decide_matches_c
[    1.234301]         KTAP version 1
[    1.234302]         # Subtest: dax_pmd_decide_reasons
[    1.234303]         ok 1 vma-start
[    1.234304]         # dax_pmd_decide_reasons: EXPECTATION FAILED at fs/dax_pmd_kunit.c:120
[    1.234305]         not ok 2 vma-end
[    1.234306]     # dax_pmd_decide_reasons: pass:1 fail:1 skip:0 total:2
[    1.234307]     not ok 3 dax_pmd_decide_reasons
[    1.234401]     ok 4 dax_pmd_decide_sync_fault # SKIP no MAP_SYNC support
[    1.234402] # dax_pmd_decide: pass:1 fail:2 skip:1 total:4
[    1.234403] not ok 1 dax_pmd_decide
[    1.234501]     KTAP version 1
[    1.234502]     # Subtest: list-kunit-test
[    1.234503]     1..1
[    1.234504]     ok 1 list_test_list_init
[    1.234505] ok 2 list-kunit-test
[    1.234506] # Totals: pass:2 fail:2 skip:1 total:5
[    1.300000] Freeing unused kernel image (initmem) memory: 1234K
";

    #[test]
    fn kunit_on_a_612_console() {
        let s = parse(CONSOLE_612);
        assert_eq!(
            brief(&s),
            [
                (
                    "dax_pmd_decide".into(),
                    Some(NotOk),
                    vec![
                        ("dax_pmd_decide_grid".into(), Pass),
                        ("dax_pmd_decide_matches_c".into(), NotOk),
                        ("dax_pmd_decide_reasons".into(), NotOk),
                        ("dax_pmd_decide_sync_fault".into(), Skip),
                    ]
                ),
                (
                    "list-kunit-test".into(),
                    Some(Pass),
                    vec![("list_test_list_init".into(), Pass)]
                ),
            ]
        );
        let t = &s[0].tests;
        assert_eq!(s[0].line, 4);
        assert_eq!(t[1].line, 14);
        assert_eq!(
            t[1].diagnostic,
            [
                "dax_pmd_decide_matches_c: EXPECTATION FAILED at fs/dax_pmd_kunit.c:88",
                "Expected rust == c, but",
                "rust == 3 (0x3)",
                "c == 0 (0x0)",
            ]
        );
        // The other kernel's message in between is not a diagnostic.
        assert!(!t[0].diagnostic.iter().any(|d| d.contains("crng")));
        assert!(!t[1].diagnostic.iter().any(|d| d.contains("crng")));
        // The failed parameter, with its own diagnostic, names the test's failure.
        assert_eq!(
            t[2].diagnostic,
            [
                "dax_pmd_decide_reasons: pass:1 fail:1 skip:0 total:2",
                "vma-end: not ok (console line 19)",
                "  dax_pmd_decide_reasons: EXPECTATION FAILED at fs/dax_pmd_kunit.c:120",
            ]
        );
        assert_eq!(t[3].directive, "SKIP no MAP_SYNC support");
        assert_eq!(
            s[0].diagnostic,
            ["dax_pmd_decide: pass:1 fail:2 skip:1 total:4"]
        );
    }

    /// The nested example of Documentation/dev-tools/ktap.rst (2-space
    /// indentation, no time stamps): the outermost test's subtest is the
    /// suite, its subtests the tests, theirs fold in.
    #[test]
    fn the_specs_nested_example() {
        let text = "\
KTAP version 1
1..1
  KTAP version 1
  1..3
    KTAP version 1
    1..1
    # test_1: initializing test_1
    ok 1 test_1
  ok 1 example_test_1
    KTAP version 1
    1..2
    ok 1 test_1 # SKIP test_1 skipped
    ok 2 test_2
  ok 2 example_test_2
    KTAP version 1
    1..3
    ok 1 test_1
    # test_2: FAIL
    not ok 2 test_2
    ok 3 test_3 # SKIP test_3 skipped
  not ok 3 example_test_3
not ok 1 main_test
";
        let s = parse(text);
        assert_eq!(
            brief(&s),
            [(
                "main_test".into(),
                Some(NotOk),
                vec![
                    ("example_test_1".into(), Pass),
                    ("example_test_2".into(), Pass),
                    ("example_test_3".into(), NotOk),
                ]
            )]
        );
        assert_eq!(
            s[0].tests[2].diagnostic,
            ["test_2: not ok (console line 19)", "  test_2: FAIL"]
        );
    }

    /// The `# Subtest:` form without version lines, the caller-id prefix,
    /// and a suite cut off by the end of the console (a boot that died).
    #[test]
    fn subtest_form_and_a_suite_that_never_finished() {
        let text = "\
[    2.000001] [    T1] KTAP version 1
[    2.000002] [    T1] 1..2
[    2.000003] [    T1]     # Subtest: first
[    2.000004] [    T1]     ok 1 a
[    2.000005] [    T1] ok 1 first
[    2.000006] [    T1]     # Subtest: second
[    2.000007] [    T1]     1..3
[    2.000008] [    T1]     ok 1 b
[    2.000009] [    T1]     not ok 2 c # TIMEOUT
[    2.100000] Kernel panic - not syncing: Fatal exception
";
        let s = parse(text);
        assert_eq!(
            brief(&s),
            [
                ("first".into(), Some(Pass), vec![("a".into(), Pass)]),
                (
                    "second".into(),
                    None,
                    vec![("b".into(), Pass), ("c".into(), NotOk)]
                ),
            ]
        );
        assert_eq!(s[1].line, 6);
    }

    #[test]
    fn directives_and_odd_result_lines() {
        assert_eq!(result_of(true, "SKIP reason"), Skip);
        assert_eq!(result_of(false, "skip"), Skip);
        assert_eq!(result_of(false, "TODO not yet"), Skip);
        assert_eq!(result_of(false, "XFAIL known"), Pass);
        assert_eq!(result_of(true, "TIMEOUT"), NotOk);
        assert_eq!(result_of(true, ""), Pass);
        assert_eq!(result_of(false, ""), NotOk);
        let s = parse(
            "KTAP version 1\n1..1\n    KTAP version 1\n    ok 1 - dashed name\n    ok 2\nok 1 s\n",
        );
        let names: Vec<&str> = s[0].tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dashed name", ""]);
    }

    #[test]
    fn a_console_without_ktap_has_no_suites() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/console/clean-boot.log"),
        )
        .unwrap();
        assert!(parse(&text).is_empty());
        // "ok" in an unindented kernel message is not a result either.
        assert!(parse("[    1.0] ok 1 fake\n[    1.1] not ok 2 fake\n").is_empty());
    }
}
