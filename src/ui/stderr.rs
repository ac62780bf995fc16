//! The stderr renderer, terminal or plain. The only user of indicatif.
//!
//! Which features it uses is decided once ([`Look::choose`]): bars only on
//! a terminal in terminal mode; colour only there and without `NO_COLOR`
//! (no-color.org: set and not empty). Everything else is a line per event,
//! built by [`Stderr::text`] so tests read exactly what a user would.

use super::{Event, Milestone, Mode, Render};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// What the renderer may use on this stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub colour: bool,
    pub bars: bool,
    /// `--quiet`: warnings and errors only.
    pub quiet: bool,
}

impl Look {
    pub fn choose(mode: Mode, tty: bool, no_color: bool, quiet: bool) -> Look {
        let fancy = mode == Mode::Terminal && tty;
        Look {
            colour: fancy && !no_color,
            bars: fancy && !quiet,
            quiet,
        }
    }
}

pub struct Stderr {
    look: Look,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The bar (build) or spinner (boot) on screen.
    bar: Option<ProgressBar>,
    /// Plain progress: the last 10 % step printed.
    last_pct: u64,
}

const BOLD: &str = "\x1b[1m";
const BLUE: &str = "\x1b[1;34m";
const YELLOW: &str = "\x1b[1;33m";
const RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

impl Stderr {
    pub fn new(look: Look) -> Stderr {
        Stderr {
            look,
            state: Mutex::new(State::default()),
        }
    }

    /// The renderer for this process's stderr and environment.
    pub fn from_env(mode: Mode, quiet: bool) -> Stderr {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Stderr::new(Look::choose(
            mode,
            std::io::stderr().is_terminal(),
            no_color,
            quiet,
        ))
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.look.colour {
            format!("{code}{s}{RESET}")
        } else {
            s.to_owned()
        }
    }

    /// The line an event prints, if any, leaving progress aside (it needs
    /// the renderer's state).
    pub fn text(&self, e: &Event) -> Option<String> {
        let keep_quiet = matches!(e, Event::Warn(_) | Event::Error(_) | Event::Interrupted);
        if self.look.quiet && !keep_quiet {
            return None;
        }
        Some(match e {
            Event::Step(m) => format!("{} {}", self.paint(BLUE, "==>"), self.paint(BOLD, m)),
            Event::Note(m) => format!("    {m}"),
            Event::Warn(m) => format!("daxkit: {} {m}", self.paint(YELLOW, "warning:")),
            Event::Error(m) => format!("daxkit: {} {m}", self.paint(RED, "error:")),
            Event::Interrupted => "daxkit: interrupted, cleaning up (Ctrl-C again to force)".into(),
            Event::Boot(m) => format!("    {}", milestone(m)),
            Event::ProgressStart { .. } | Event::Progress { .. } | Event::ProgressEnd { .. } => {
                return None
            }
        })
    }

    /// Prints a line without tearing the bar on screen.
    fn print(&self, state: &State, line: &str) {
        match &state.bar {
            Some(b) => b.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn bar(&self, total: Option<u64>, label: &str) -> ProgressBar {
        let dim = if self.look.colour { ":.dim" } else { "" };
        let (bar, template) = match total {
            Some(t) => (
                ProgressBar::new(t),
                format!(
                    "{{prefix:>8}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {{msg{dim}}}"
                ),
            ),
            None => (
                ProgressBar::new_spinner(),
                format!("{{prefix:>8}} [{{elapsed_precise}}] {{spinner}} {{msg{dim}}}"),
            ),
        };
        bar.set_style(
            ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    }

    fn progress(&self, state: &mut State, e: &Event) {
        match e {
            Event::ProgressStart { label, total } => {
                state.last_pct = 0;
                if self.look.bars {
                    replace(state, Some(self.bar(Some(*total), label)));
                }
            }
            Event::Progress {
                label,
                done,
                total,
                what,
            } => match &state.bar {
                Some(b) => {
                    b.set_length(*total);
                    b.set_position(*done);
                    b.set_message(what.clone());
                }
                None => {
                    let pct = done * 100 / total.max(&1);
                    if pct >= state.last_pct + 10 {
                        state.last_pct = pct - pct % 10;
                        eprintln!("    {label} {pct}% ({done}/~{total})");
                    }
                }
            },
            Event::ProgressEnd { .. } => replace(state, None),
            _ => {}
        }
    }

    /// On a terminal a boot is one spinner line with the latest milestone,
    /// and one line when it ends.
    fn boot_bar(&self, state: &mut State, m: &Milestone) {
        match m {
            Milestone::QemuStarted { .. } => replace(state, Some(self.bar(None, "boot"))),
            Milestone::Ended { .. } => {
                replace(state, None);
                eprintln!("    {}", milestone(m));
            }
            m => match &state.bar {
                Some(b) => b.set_message(milestone(m)),
                None => eprintln!("    {}", milestone(m)),
            },
        }
    }
}

/// Clears the bar on screen, if any, and puts `new` in its place.
fn replace(state: &mut State, new: Option<ProgressBar>) {
    if let Some(old) = std::mem::replace(&mut state.bar, new) {
        old.finish_and_clear();
    }
}

fn milestone(m: &Milestone) -> String {
    match m {
        Milestone::QemuStarted { pid } => format!("qemu started (pid {pid})"),
        Milestone::KernelOutput => "kernel booting".into(),
        Milestone::Hello { kernel, after } => {
            format!("guest up on {kernel} after {:.1}s", after.as_secs_f64())
        }
        Milestone::Plan { cases } => format!("{cases} cases planned"),
        Milestone::Case { n, of, name, fs } => format!("case {n}/{of}: {fs}/{name}"),
        Milestone::Done { after } => format!("guest done after {:.1}s", after.as_secs_f64()),
        Milestone::Ended { outcome, after } => {
            format!("boot {outcome} after {:.1}s", after.as_secs_f64())
        }
    }
}

impl Render for Stderr {
    fn render(&self, e: &Event) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match e {
            Event::ProgressStart { .. } | Event::Progress { .. } | Event::ProgressEnd { .. } => {
                if !self.look.quiet {
                    self.progress(&mut state, e);
                }
            }
            Event::Boot(m) if self.look.bars => self.boot_bar(&mut state, m),
            e => {
                if let Some(line) = self.text(e) {
                    self.print(&state, &line);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(colour: bool, quiet: bool) -> Stderr {
        Stderr::new(Look {
            colour,
            bars: false,
            quiet,
        })
    }

    #[test]
    fn colour_and_bars_only_on_a_terminal_in_terminal_mode() {
        let c = |mode, tty, no_color, quiet| {
            let l = Look::choose(mode, tty, no_color, quiet);
            (l.colour, l.bars)
        };
        assert_eq!(c(Mode::Terminal, true, false, false), (true, true));
        // NO_COLOR takes the colour, not the bar.
        assert_eq!(c(Mode::Terminal, true, true, false), (false, true));
        // --quiet: no bars; errors keep their colour.
        assert_eq!(c(Mode::Terminal, true, false, true), (true, false));
        assert_eq!(c(Mode::Terminal, false, false, false), (false, false));
        // `daxkit ci` on a terminal is still plain.
        assert_eq!(c(Mode::Plain, true, false, false), (false, false));
    }

    #[test]
    fn lines_per_event() {
        let plain = look(false, false);
        let t = |e| plain.text(&e);
        assert_eq!(t(Event::Step("building".into())).unwrap(), "==> building");
        assert_eq!(t(Event::Note("log x".into())).unwrap(), "    log x");
        assert_eq!(t(Event::Warn("w".into())).unwrap(), "daxkit: warning: w");
        assert_eq!(
            t(Event::Boot(Milestone::Hello {
                kernel: "6.12.117".into(),
                after: Duration::from_millis(1900)
            }))
            .unwrap(),
            "    guest up on 6.12.117 after 1.9s"
        );
        assert_eq!(
            t(Event::Boot(Milestone::Case {
                n: 2,
                of: 5,
                name: "aligned-shared-write".into(),
                fs: "xfs".into()
            }))
            .unwrap(),
            "    case 2/5: xfs/aligned-shared-write"
        );
        assert_eq!(
            t(Event::Progress {
                label: "build".into(),
                done: 1,
                total: 2,
                what: "a.o".into()
            }),
            None
        );
        let coloured = look(true, false);
        let step = coloured.text(&Event::Step("building".into())).unwrap();
        assert!(
            step.contains("\x1b[") && step.contains("building"),
            "{step:?}"
        );
        let err = coloured.text(&Event::Error("boom".into())).unwrap();
        assert_eq!(err, "daxkit: \x1b[1;31merror:\x1b[0m boom");
        // Without colour, not one escape.
        for e in [
            Event::Step("s".into()),
            Event::Warn("w".into()),
            Event::Error("e".into()),
        ] {
            assert!(!plain.text(&e).unwrap().contains('\x1b'));
        }
    }

    #[test]
    fn quiet_keeps_only_warnings_and_errors() {
        let q = look(false, true);
        for e in [
            Event::Step("s".into()),
            Event::Note("n".into()),
            Event::Boot(Milestone::KernelOutput),
            Event::ProgressStart {
                label: "build".into(),
                total: 3,
            },
        ] {
            assert_eq!(q.text(&e), None, "{e:?}");
        }
        assert!(q.text(&Event::Warn("w".into())).is_some());
        assert_eq!(
            q.text(&Event::Error("e".into())).unwrap(),
            "daxkit: error: e"
        );
        assert!(q.text(&Event::Interrupted).is_some());
    }
}
