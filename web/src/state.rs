//! The page's state: what was dropped, what the core made of it, and the moment it is judged at.

use std::rc::Rc;

use tlscope_core::{Decoded, Timestamp, decode};
use yew::Reducible;

/// One input the person gave: a file or a paste.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Unique within the page, for keys.
    pub id: usize,
    /// File name, or "pasted text".
    pub name: String,
    /// What the core decoded, or why nothing could be.
    pub outcome: Result<Decoded, String>,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Inputs, newest first.
    pub entries: Vec<Entry>,
    /// The moment validity is judged at ("as of").
    pub now: Timestamp,
    /// Whether `now` follows the clock or was set by the person.
    pub now_pinned: bool,
    next_id: usize,
}

/// What can happen to the state.
#[derive(Debug)]
pub enum Action {
    /// Bytes arrived from a file or a paste; decode them.
    Input {
        /// File name or "pasted text".
        name: String,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A file could not even be read.
    ReadFailed {
        /// File name.
        name: String,
        /// Why.
        error: String,
    },
    /// Judge as of another moment (`None` returns to the clock).
    SetNow(Option<Timestamp>),
    /// The clock ticked.
    Tick(Timestamp),
    /// Forget one input.
    Remove(usize),
    /// Forget everything.
    Clear,
}

impl State {
    /// An empty page judged at `now`.
    pub fn new(now: Timestamp) -> Self {
        Self {
            entries: Vec::new(),
            now,
            now_pinned: false,
            next_id: 0,
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Input { name, bytes } => {
                let outcome = decode(&bytes).map_err(|e| e.to_string());
                next.entries.insert(
                    0,
                    Entry {
                        id: next.next_id,
                        name,
                        outcome,
                    },
                );
                next.next_id += 1;
            }
            Action::ReadFailed { name, error } => {
                next.entries.insert(
                    0,
                    Entry {
                        id: next.next_id,
                        name,
                        outcome: Err(error),
                    },
                );
                next.next_id += 1;
            }
            Action::SetNow(Some(t)) => {
                next.now = t;
                next.now_pinned = true;
            }
            Action::SetNow(None) => next.now_pinned = false,
            Action::Tick(t) if !next.now_pinned => next.now = t,
            Action::Tick(_) => return self,
            Action::Remove(id) => next.entries.retain(|e| e.id != id),
            Action::Clear => next.entries.clear(),
        }
        Rc::new(next)
    }
}
