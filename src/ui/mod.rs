//! The one place that draws: step messages and the build progress bar.
//!
//! Stages call [`step`], [`note`] and [`Progress`]; on a terminal the bar is
//! an indicatif bar, elsewhere (CI logs, pipes, `--quiet`) it prints a plain
//! line every few percent so logs stay readable and grep-able.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A stage starts doing something the user waits for.
pub fn step(msg: impl AsRef<str>) {
    if !quiet() {
        eprintln!("==> {}", msg.as_ref());
    }
}

/// Detail under a step.
pub fn note(msg: impl AsRef<str>) {
    if !quiet() {
        eprintln!("    {}", msg.as_ref());
    }
}

pub fn warn(msg: impl AsRef<str>) {
    eprintln!("daxkit: warning: {}", msg.as_ref());
}

/// Progress over a known (estimated) number of steps.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    last_pct: u64,
    label: String,
}

impl Progress {
    pub fn new(label: &str, total_estimate: u64) -> Progress {
        let tty = std::io::stderr().is_terminal() && !quiet();
        let bar = tty.then(|| {
            let b = ProgressBar::new(total_estimate.max(1));
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix:>8} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg:.dim}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_prefix(label.to_owned());
            b.enable_steady_tick(Duration::from_millis(250));
            b
        });
        Progress {
            bar,
            total: total_estimate.max(1),
            done: 0,
            last_pct: 0,
            label: label.to_owned(),
        }
    }

    /// One unit done; `what` is shown beside the bar (e.g. the object file).
    pub fn inc(&mut self, what: &str) {
        self.done += 1;
        if self.done > self.total {
            // The estimate was low (first build, bigger config): grow it.
            self.total = self.done + self.done / 10;
            if let Some(b) = &self.bar {
                b.set_length(self.total);
            }
        }
        match &self.bar {
            Some(b) => {
                b.set_position(self.done);
                b.set_message(what.to_owned());
            }
            None if !quiet() => {
                let pct = self.done * 100 / self.total;
                if pct >= self.last_pct + 10 {
                    self.last_pct = pct - pct % 10;
                    eprintln!("    {} {pct}% ({}/~{})", self.label, self.done, self.total);
                }
            }
            None => {}
        }
    }

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
