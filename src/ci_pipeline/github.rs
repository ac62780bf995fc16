//! `.github/workflows/daxkit.yml` for a [`Pipeline`]: build jobs upload
//! `kernels-<id>` artifacts, test jobs download those of the builds they
//! need (stock and their variant's kernel) into `kernels/`
//! and upload `results/<id>`, the merge job joins them, writes the report
//! to the run's summary page and uploads it (GitHub shows no JUnit without
//! a third-party action; `report.xml` is in the artifact).

use super::{map, s, seq, Pipeline, INSTALL, KERNELS_DIR, RESULTS_DIR};
use serde_yaml::{Mapping, Value};

fn runs_on() -> Value {
    // A self-hosted Debian 12 runner (root: daxkit installs what it lacks).
    seq([s("self-hosted"), s("linux"), s("x64")])
}

fn checkout() -> Value {
    map([("uses", s("actions/checkout@v5"))])
}

fn install() -> Value {
    map([("name", s("daxkit")), ("run", s(INSTALL))])
}

fn repo_cache(action: &str, tag: &str) -> Value {
    map([
        ("name", s("kernel repo cache")),
        ("uses", s(action)),
        (
            "with",
            map([
                ("path", s(".daxkit/repos")),
                ("key", s(&format!("daxkit-repo-{tag}"))),
            ]),
        ),
    ])
}

pub fn render(p: &Pipeline) -> String {
    let mut jobs = Mapping::new();
    for b in &p.builds {
        let steps = seq([
            checkout(),
            repo_cache("actions/cache@v5", &b.base_tag),
            map([
                ("name", s("ccache")),
                ("uses", s("actions/cache@v5")),
                (
                    "with",
                    map([
                        ("path", s(".ccache")),
                        (
                            "key",
                            s(&format!("ccache-{}-{}", b.base_tag, b.config_hash)),
                        ),
                        ("restore-keys", s(&format!("ccache-{}-", b.base_tag))),
                    ]),
                ),
            ]),
            install(),
            map([("name", s("build and export")), ("run", s(&b.command))]),
            map([
                ("uses", s("actions/upload-artifact@v6")),
                (
                    "with",
                    map([
                        ("name", s(&format!("kernels-{}", b.id))),
                        ("path", s(KERNELS_DIR)),
                        ("if-no-files-found", s("error")),
                    ]),
                ),
            ]),
        ]);
        jobs.insert(
            s(&b.id),
            map([
                ("name", s(&format!("build {}", b.title))),
                ("runs-on", runs_on()),
                ("steps", steps),
            ]),
        );
    }
    for t in &p.tests {
        let downloads = t.needs.iter().map(|n| {
            map([
                ("uses", s("actions/download-artifact@v7")),
                (
                    "with",
                    map([
                        ("name", s(&format!("kernels-{n}"))),
                        ("path", s(KERNELS_DIR)),
                    ]),
                ),
            ])
        });
        let steps = seq([
            checkout(),
            repo_cache("actions/cache/restore@v5", &t.base_tag),
            install(),
        ]
        .into_iter()
        .chain(downloads)
        .chain([
            map([("name", s("test")), ("run", s(&t.command))]),
            map([
                ("if", s("always()")),
                ("uses", s("actions/upload-artifact@v6")),
                (
                    "with",
                    map([
                        ("name", s(&t.id)),
                        ("path", s(&t.out)),
                        ("if-no-files-found", s("error")),
                    ]),
                ),
            ]),
        ]));
        jobs.insert(
            s(&t.id),
            map([
                ("name", s(&format!("test {}", t.title))),
                ("needs", seq(t.needs.iter().map(|n| s(n)))),
                ("runs-on", runs_on()),
                ("steps", steps),
            ]),
        );
    }
    let merged = &p.merged_dir;
    jobs.insert(
        s("daxkit-report"),
        map([
            ("name", s("report")),
            ("if", s("always()")),
            ("needs", seq(p.tests.iter().map(|t| s(&t.id)))),
            ("runs-on", runs_on()),
            (
                "steps",
                seq([
                    checkout(),
                    install(),
                    map([
                        ("uses", s("actions/download-artifact@v7")),
                        (
                            "with",
                            map([("pattern", s("test-*")), ("path", s(RESULTS_DIR))]),
                        ),
                    ]),
                    map([("name", s("merge")), ("run", s(&p.merge))]),
                    map([
                        ("name", s("summary")),
                        ("if", s("always()")),
                        (
                            "run",
                            s(&format!(
                                "cat {merged}/report.md >> \"$GITHUB_STEP_SUMMARY\""
                            )),
                        ),
                    ]),
                    map([
                        ("if", s("always()")),
                        ("uses", s("actions/upload-artifact@v6")),
                        (
                            "with",
                            map([("name", s("daxkit-report")), ("path", s(merged))]),
                        ),
                    ]),
                ]),
            ),
        ]),
    );
    let top = map([
        ("name", s("daxkit")),
        (
            "on",
            map([
                ("push", Value::Null),
                ("pull_request", Value::Null),
                ("workflow_dispatch", Value::Null),
            ]),
        ),
        (
            "env",
            map([
                ("DAXKIT_HOME", s("${{ github.workspace }}/.daxkit")),
                ("CCACHE_DIR", s("${{ github.workspace }}/.ccache")),
            ]),
        ),
        ("jobs", Value::Mapping(jobs)),
    ]);
    let yaml = serde_yaml::to_string(&top).unwrap_or_default();
    format!(
        "# daxkit CI workflow: {} build, {} test and 1 report job; generated by `{}`.\n\
         # Runner: self-hosted Debian 12 as root (daxkit installs the packages it needs),\n\
         # with Rust (rustup) for `cargo install`; QEMU runs under TCG, no KVM needed.\n{yaml}",
        p.builds.len(),
        p.tests.len(),
        p.generated_by
    )
}
