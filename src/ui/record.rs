//! The test renderer: keeps events instead of drawing them, so a test
//! asserts what a user saw. [`record`] captures the events its closure's
//! thread emits (tests run in parallel threads of one process; a
//! process-wide renderer would mix them).
#![cfg(test)]

use super::{Event, Render};
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Render for Recorder {
    fn render(&self, e: &Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(e.clone());
    }
}

thread_local! {
    static CAPTURE: RefCell<Option<Arc<Recorder>>> = const { RefCell::new(None) };
}

/// Hands `e` to this thread's recorder, if [`record`] set one.
pub(super) fn capture(e: &Event) -> bool {
    CAPTURE.with(|c| match c.borrow().as_ref() {
        Some(r) => {
            r.render(e);
            true
        }
        None => false,
    })
}

/// Runs `f` and returns the events it emitted on this thread.
pub fn record(f: impl FnOnce()) -> Vec<Event> {
    let rec = Arc::new(Recorder::default());
    let prev = CAPTURE.with(|c| c.replace(Some(rec.clone())));
    f();
    CAPTURE.with(|c| *c.borrow_mut() = prev);
    rec.events()
}
