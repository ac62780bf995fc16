//! The one place that draws. Stages emit [`Event`]s — steps, notes,
//! warnings, progress, boot milestones — through [`step`], [`note`],
//! [`warn`], [`Progress`] and [`boot`]; one renderer, chosen once at
//! startup by [`init`], turns them into output:
//!
//! - [`Stderr`] in terminal mode: colour (unless `NO_COLOR`) and indicatif
//!   bars when stderr is a terminal, plain lines otherwise;
//! - [`Stderr`] in plain mode (`daxkit ci`): no colour, no bars, a line per
//!   event (progress every 10 %);
//! - [`Recorder`] (tests): keeps the events, so a test asserts what a user
//!   saw rather than scraping text.
//!
//! `--quiet` keeps warnings and errors and drops everything else. Nothing
//! outside this module writes progress to stderr; results go to stdout.

#[cfg(test)]
mod record;
mod stderr;

#[cfg(test)]
pub use record::record;
pub use stderr::Stderr;

use std::sync::OnceLock;
use std::time::Duration;

/// Something a user should see on stderr.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A stage starts doing something the user waits for.
    Step(String),
    /// Detail under a step.
    Note(String),
    Warn(String),
    /// daxkit's last word: the error that ends it (`main`).
    Error(String),
    /// Ctrl-C (or SIGINT/SIGTERM) arrived; daxkit is cleaning up.
    Interrupted,
    ProgressStart {
        label: String,
        total: u64,
    },
    /// One more unit done; `what` is the unit (e.g. an object file).
    Progress {
        label: String,
        done: u64,
        total: u64,
        what: String,
    },
    ProgressEnd {
        label: String,
        done: u64,
    },
    Boot(Milestone),
}

/// How far a boot has come, from QEMU's start to its end.
#[derive(Debug, Clone, PartialEq)]
pub enum Milestone {
    QemuStarted {
        pid: u32,
    },
    /// The first line on the console: the kernel is booting.
    KernelOutput,
    /// The guest harness said hello.
    Hello {
        kernel: String,
        after: Duration,
    },
    Plan {
        cases: usize,
    },
    /// A case's result came back: the `n`th of the plan's `of`.
    Case {
        n: usize,
        of: usize,
        name: String,
        fs: String,
    },
    /// The guest sent its closing record.
    Done {
        after: Duration,
    },
    /// QEMU is gone; how the boot ended, as the judge names it.
    Ended {
        outcome: daxkit_harness::judge::Outcome,
        after: Duration,
    },
}

/// A renderer: draws (or keeps) each event as it comes.
pub trait Render: Send + Sync {
    fn render(&self, e: &Event);
}

/// Which stderr renderer a command wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Colour and bars when stderr is a terminal.
    Terminal,
    /// Plain lines whatever stderr is (CI logs).
    Plain,
}

static RENDERER: OnceLock<Box<dyn Render>> = OnceLock::new();

/// Chooses the renderer for the rest of the process; later calls are
/// ignored (one renderer per run, so output never changes style mid-way).
pub fn init(mode: Mode, quiet: bool) {
    let _ = RENDERER.set(Box::new(Stderr::from_env(mode, quiet)));
}

/// The chosen renderer; before [`init`] (unit tests), the terminal one.
fn renderer() -> &'static dyn Render {
    RENDERER
        .get_or_init(|| Box::new(Stderr::from_env(Mode::Terminal, false)))
        .as_ref()
}

pub fn emit(e: Event) {
    #[cfg(test)]
    if record::capture(&e) {
        return;
    }
    renderer().render(&e);
}

pub fn step(msg: impl AsRef<str>) {
    emit(Event::Step(msg.as_ref().to_owned()));
}

pub fn note(msg: impl AsRef<str>) {
    emit(Event::Note(msg.as_ref().to_owned()));
}

pub fn warn(msg: impl AsRef<str>) {
    emit(Event::Warn(msg.as_ref().to_owned()));
}

/// daxkit's final error, in the renderer's colours.
pub fn error(msg: impl AsRef<str>) {
    emit(Event::Error(msg.as_ref().to_owned()));
}

/// Said once, from the Ctrl-C handler's thread.
pub fn interrupted() {
    emit(Event::Interrupted);
}

pub fn boot(m: Milestone) {
    emit(Event::Boot(m));
}

/// Progress over a known (estimated) number of units. A low estimate
/// grows as units come in, so the bar never passes its end.
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
}

impl Progress {
    pub fn new(label: &str, total_estimate: u64) -> Progress {
        let total = total_estimate.max(1);
        emit(Event::ProgressStart {
            label: label.to_owned(),
            total,
        });
        Progress {
            label: label.to_owned(),
            total,
            done: 0,
        }
    }

    /// One unit done; `what` is shown beside the bar (e.g. the object file).
    pub fn inc(&mut self, what: &str) {
        self.done += 1;
        if self.done > self.total {
            // The estimate was low (first build, bigger config): grow it.
            self.total = self.done + self.done / 10;
        }
        emit(Event::Progress {
            label: self.label.clone(),
            done: self.done,
            total: self.total,
            what: what.to_owned(),
        });
    }

    pub fn finish(self) {
        emit(Event::ProgressEnd {
            label: self.label.clone(),
            done: self.done,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_events_grow_a_low_estimate() {
        let events = record(|| {
            step("building");
            let mut p = Progress::new("build", 2);
            for f in ["a.o", "b.o", "c.o"] {
                p.inc(f);
            }
            p.finish();
            warn("careful");
        });
        let totals: Vec<(u64, u64)> = events
            .iter()
            .filter_map(|e| match e {
                Event::Progress { done, total, .. } => Some((*done, *total)),
                _ => None,
            })
            .collect();
        assert_eq!(totals, [(1, 2), (2, 2), (3, 3)]);
        assert_eq!(events.first(), Some(&Event::Step("building".into())));
        assert_eq!(
            &events[events.len() - 2..],
            [
                Event::ProgressEnd {
                    label: "build".into(),
                    done: 3
                },
                Event::Warn("careful".into())
            ]
        );
    }
}
