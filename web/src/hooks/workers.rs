//! The registry of Web Workers judging large inputs, by entry id: starting one turns its messages
//! into actions on the state; removing an entry (or clearing the page) drops its worker, which
//! stops it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::bundle::{BundleJob, WorkerMessage};
use crate::offload::{self, Offload};
use crate::state::{Action, State};

/// The running workers, shared by the App's callbacks.
#[derive(Clone)]
pub struct Workers {
    running: Rc<RefCell<HashMap<usize, Offload>>>,
    dispatch: UseReducerDispatcher<State>,
}

impl Workers {
    /// Hands entry `id`'s bytes to a new worker (replacing one already judging it); `false` when
    /// the browser would not start a worker.
    pub fn start(&self, id: usize, bytes: &[u8], job: &BundleJob) -> bool {
        let dispatch = self.dispatch.clone();
        let on_message = Callback::from(move |message: WorkerMessage| {
            let action = match message {
                WorkerMessage::Ready => return,
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
                    gloo::console::warn!(format!("{error}; judging on the page instead"));
                    Action::JudgeHere(id)
                }
            };
            dispatch.dispatch(action);
        });
        match offload::judge_in_worker(bytes, job, on_message) {
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
    Workers { running, dispatch }
}
