//! Progress on stderr for slow steps, only on a terminal: a step shows once it has taken longer than a
//! moment, so fast local runs do not flicker.

use super::super::output;
use crate::diagnose::Observer;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a step runs before it is shown.
const SHOW_AFTER: Duration = Duration::from_millis(300);

struct State {
    step: String,
    since: Instant,
    shown: bool,
    done: bool,
}

pub(super) struct Progress {
    state: Option<Arc<Mutex<State>>>,
}

impl Progress {
    pub(super) fn new(on: bool) -> Progress {
        if !on {
            return Progress { state: None };
        }
        let state = Arc::new(Mutex::new(State {
            step: String::new(),
            since: Instant::now(),
            shown: false,
            done: false,
        }));
        let watched = state.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(100));
            let mut s = watched.lock().expect("progress lock");
            if s.done {
                return;
            }
            if !s.shown && !s.step.is_empty() && s.since.elapsed() >= SHOW_AFTER {
                output::progress(Some(&s.step));
                s.shown = true;
            }
        });
        Progress { state: Some(state) }
    }

    /// Remove the progress line and stop.
    pub(super) fn clear(&self) {
        if let Some(state) = &self.state {
            let mut s = state.lock().expect("progress lock");
            s.done = true;
            if s.shown {
                output::progress(None);
                s.shown = false;
            }
        }
    }
}

impl Observer for Progress {
    fn step(&self, what: &str) {
        if let Some(state) = &self.state {
            let mut s = state.lock().expect("progress lock");
            if s.shown {
                output::progress(None);
                s.shown = false;
            }
            s.step = what.to_owned();
            s.since = Instant::now();
        }
    }

    fn warn(&self, text: &str) {
        if let Some(state) = &self.state {
            let mut s = state.lock().expect("progress lock");
            if s.shown {
                output::progress(None);
                s.shown = false;
            }
        }
        output::say(output::Level::Warning, text);
    }
}
