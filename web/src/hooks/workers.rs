//! The registry of Web Workers judging large inputs and reading source files, by entry id: starting one turns its messages
//! into actions on the state; removing an entry (or clearing the page) drops its worker, which
//! stops it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::bundle::{BundleJob, WorkerMessage};
use crate::offload::{self, Offload, Spare};
use crate::source::SourceJob;
use crate::state::{Action, State};

/// The running workers, shared by the App's callbacks, and the warm bundle worker the next
/// large drop goes to.
#[derive(Clone)]
pub struct Workers {
    running: Rc<RefCell<HashMap<usize, Offload>>>,
    spare: Rc<RefCell<Option<Spare>>>,
    dispatch: UseReducerDispatcher<State>,
}

impl Workers {
    /// Hands entry `id`'s bytes to a new worker (replacing one already judging it); `false` when
    /// the browser would not start a worker.
    pub fn start(&self, id: usize, bytes: &[u8], job: &BundleJob) -> bool {
        let spare = self.spare.borrow_mut().take();
        let started = self.run(id, bundle_action, |cb| {
            offload::judge_in_worker(bytes, job, spare, cb)
        });
        // The next large drop gets a warm worker too.
        self.warm(job);
        started
    }

    /// Starts a bundle worker ahead of need (warmed up on the samples under `job`'s policy),
    /// unless one is waiting already.
    pub fn warm(&self, job: &BundleJob) {
        let mut spare = self.spare.borrow_mut();
        if spare.is_none() {
            *spare = Spare::start(job).ok();
        }
    }

    /// Hands entry `id`'s source file to a new source worker; `false` when the browser would not
    /// start one.
    pub fn read(&self, id: usize, job: &SourceJob) -> bool {
        self.run(id, source_action, |cb| offload::read_in_worker(job, cb))
    }

    /// Starts a worker with `start`, turning each of its messages into an action with `action`.
    fn run(
        &self,
        id: usize,
        action: fn(usize, WorkerMessage) -> Option<Action>,
        start: impl FnOnce(Callback<WorkerMessage>) -> Result<Offload, String>,
    ) -> bool {
        let dispatch = self.dispatch.clone();
        let on_message = Callback::from(move |message: WorkerMessage| {
            if let Some(action) = action(id, message) {
                dispatch.dispatch(action);
            }
        });
        match start(on_message) {
            Ok(running) => {
                self.running.borrow_mut().insert(id, running);
                true
            }
            Err(_) => false,
        }
    }

    /// Stops entry `id`'s worker, if one runs.
    pub fn stop(&self, id: usize) {
        self.running.borrow_mut().remove(&id);
    }

    /// Stops every worker.
    pub fn stop_all(&self) {
        self.running.borrow_mut().clear();
    }
}

/// The App's workers, dispatching their messages to `dispatch`.
#[hook]
pub fn use_workers(dispatch: UseReducerDispatcher<State>) -> Workers {
    let running = use_mut_ref(HashMap::new);
    let spare = use_mut_ref(|| None);
    Workers {
        running,
        spare,
        dispatch,
    }
}

/// What a bundle worker's message does to entry `id`.
fn bundle_action(id: usize, message: WorkerMessage) -> Option<Action> {
    Some(match message {
        WorkerMessage::Ready
        | WorkerMessage::Warmed
        | WorkerMessage::Read { .. }
        | WorkerMessage::Answered { .. } => return None,
        WorkerMessage::Progress { stage, done, total } => Action::BundleProgress {
            id,
            stage,
            done,
            total,
        },
        WorkerMessage::Done(report) => Action::BundleDone {
            id,
            report: Rc::new(*report),
        },
        WorkerMessage::Failed { error } => Action::BundleFailed { id, error },
        WorkerMessage::Crashed { error } => {
            gloo::console::warn!(format!("{error}; decoding on the page instead"));
            Action::JudgeHere(id)
        }
    })
}

/// What a source worker's message does to entry `id`: the page has no parser of its own, so a
/// worker that stops is an error the person sees (with the agent as the way out).
fn source_action(id: usize, message: WorkerMessage) -> Option<Action> {
    Some(match message {
        WorkerMessage::Read { settings } => Action::SourceRead {
            id,
            settings: Rc::new(settings),
        },
        WorkerMessage::Failed { error } => Action::SourceFailed { id, error },
        WorkerMessage::Crashed { error } => Action::SourceFailed {
            id,
            error: format!("{error}; `tlscope lint FILE` reads it with the same parsers"),
        },
        WorkerMessage::Ready
        | WorkerMessage::Warmed
        | WorkerMessage::Progress { .. }
        | WorkerMessage::Answered { .. }
        | WorkerMessage::Done(_) => {
            return None;
        }
    })
}
