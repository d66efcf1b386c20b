//! The page's judging worker ([`crate::judge`]): one `tlscope-worker`, started with the page and
//! kept for its life, that answers the page's questions in the order they were asked. Answers
//! are kept by question, so a view that is shown again, or a download made from what is on
//! screen, does not ask twice. Components reach it through the context the App provides
//! ([`use_answer`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use yew::prelude::*;

use crate::bundle::WorkerMessage;
use crate::judge::{Answer, Question};

/// The judging worker's loader (the bundle worker's binary, which answers questions too).
const LOADER: &str = "tlscope-worker_loader.js";

/// How many answers are kept; past it the oldest half is forgotten.
const KEPT: usize = 256;

/// A question's key: the hash of its JSON.
type Key = u64;

/// The judging worker, shared (cloning shares it). Its worker is started by [`Judge::begin`]
/// or the first question.
#[derive(Clone, Default)]
pub struct Judge {
    inner: Rc<Inner>,
}

impl PartialEq for Judge {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

#[derive(Default)]
struct Inner {
    /// Started by [`Judge::begin`] (after the page's first render) or the first question.
    worker: RefCell<Option<Worker>>,
    /// Why the worker could not be started or stopped, once it did.
    broken: RefCell<Option<String>>,
    ready: Cell<bool>,
    /// Messages posted before the worker said it was ready, in order.
    queue: RefCell<Vec<JsValue>>,
    /// Questions asked and not yet answered, by sequence number.
    waiting: RefCell<HashMap<u32, Waiting>>,
    /// The sequence number of each question in flight, by key (a question asked twice waits once).
    in_flight: RefCell<HashMap<Key, u32>>,
    next: Cell<u32>,
    answers: RefCell<Kept>,
    handlers: RefCell<Option<Handlers>>,
}

/// A question in flight and who waits for its answer.
struct Waiting {
    key: Key,
    replies: Vec<Callback<Rc<Answer>>>,
}

/// Answers by question, with the order they came in.
#[derive(Default)]
struct Kept {
    by_key: HashMap<Key, Rc<Answer>>,
    order: Vec<Key>,
}

/// The worker's handlers, kept as long as it lives.
struct Handlers {
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(w) = self.worker.get_mut() {
            w.terminate();
        }
    }
}

impl Judge {
    /// Starts the worker, unless it runs (or could not be started). When the browser will not
    /// start one, every answer says so.
    pub fn begin(&self) {
        let inner = &self.inner;
        if inner.worker.borrow().is_some() || inner.broken.borrow().is_some() {
            return;
        }
        let worker = match Worker::new(&crate::browser::asset_url(LOADER)) {
            Ok(w) => w,
            Err(e) => {
                *inner.broken.borrow_mut() = Some(format!(
                    "the page could not start its judging worker: {}",
                    crate::browser::exception_text(&e)
                ));
                return;
            }
        };
        {
            let weak = Rc::downgrade(inner);
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(inner) = weak.upgrade() {
                    inner.heard(&event.data());
                }
            });
            let weak = Rc::downgrade(inner);
            let on_error =
                Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                    let detail = event
                        .dyn_ref::<web_sys::ErrorEvent>()
                        .map(|e| e.message())
                        .filter(|m| !m.is_empty())
                        .unwrap_or_else(|| format!("could not load {LOADER}"));
                    if let Some(inner) = weak.upgrade() {
                        inner.fail(format!("the page's judging worker stopped: {detail}"));
                    }
                });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            *inner.handlers.borrow_mut() = Some(Handlers {
                _on_message: on_message,
                _on_error: on_error,
            });
        }
        *inner.worker.borrow_mut() = Some(worker);
    }

    /// Hands the worker a message that is not a question (the Mozilla set, say), after those
    /// already posted.
    pub fn post(&self, message: JsValue) {
        self.begin();
        self.inner.post(message);
    }

    /// The answer to `question` if it has been given.
    pub fn known(&self, question: &Question) -> Option<Rc<Answer>> {
        let (key, _) = keyed(question)?;
        self.inner.answers.borrow().by_key.get(&key).cloned()
    }

    /// Asks `question`; `reply` gets the answer (at once when it is known).
    pub fn ask(&self, question: &Question, reply: Callback<Rc<Answer>>) {
        let Some((key, text)) = keyed(question) else {
            reply.emit(Rc::new(Answer::Failed(
                "the question could not be written".into(),
            )));
            return;
        };
        if let Some(known) = self.inner.answers.borrow().by_key.get(&key).cloned() {
            reply.emit(known);
            return;
        }
        if let Some(why) = self.inner.broken.borrow().clone() {
            reply.emit(Rc::new(Answer::Failed(why)));
            return;
        }
        if let Some(seq) = self.inner.in_flight.borrow().get(&key)
            && let Some(waiting) = self.inner.waiting.borrow_mut().get_mut(seq)
        {
            waiting.replies.push(reply);
            return;
        }
        self.begin();
        let seq = self.inner.next.get();
        self.inner.next.set(seq.wrapping_add(1));
        self.inner.in_flight.borrow_mut().insert(key, seq);
        self.inner.waiting.borrow_mut().insert(
            seq,
            Waiting {
                key,
                replies: vec![reply],
            },
        );
        let message = Object::new();
        let _ = Reflect::set(&message, &"question".into(), &text.into());
        let _ = Reflect::set(&message, &"seq".into(), &seq.into());
        self.inner.post(message.into());
    }
}

impl Inner {
    fn post(&self, message: JsValue) {
        match &*self.worker.borrow() {
            Some(w) if self.ready.get() => {
                if let Err(e) = w.post_message(&message) {
                    self.fail(format!(
                        "could not reach the judging worker: {}",
                        crate::browser::exception_text(&e)
                    ));
                }
            }
            Some(_) => self.queue.borrow_mut().push(message),
            None => {}
        }
    }

    fn heard(&self, data: &JsValue) {
        let Some(text) = data.as_string() else {
            return;
        };
        match crate::bundle::from_wire(&text, None) {
            Some(WorkerMessage::Ready) => {
                self.ready.set(true);
                let queued = std::mem::take(&mut *self.queue.borrow_mut());
                for message in queued {
                    self.post(message);
                }
            }
            Some(WorkerMessage::Answered { seq, answer }) => {
                let Some(Waiting { key, replies }) = self.waiting.borrow_mut().remove(&seq) else {
                    return;
                };
                self.in_flight.borrow_mut().remove(&key);
                let answer = Rc::new(*answer);
                self.keep(key, answer.clone());
                for reply in replies {
                    reply.emit(answer.clone());
                }
            }
            _ => {}
        }
    }

    fn keep(&self, key: Key, answer: Rc<Answer>) {
        let mut kept = self.answers.borrow_mut();
        let Kept { by_key, order } = &mut *kept;
        if by_key.len() >= KEPT {
            for old in order.drain(..KEPT / 2) {
                by_key.remove(&old);
            }
        }
        if by_key.insert(key, answer).is_none() {
            order.push(key);
        }
    }

    /// The worker is gone: every question waiting, and every one asked from now on, is
    /// answered with why.
    fn fail(&self, why: String) {
        *self.broken.borrow_mut() = Some(why.clone());
        self.in_flight.borrow_mut().clear();
        let waiting: Vec<_> = self.waiting.borrow_mut().drain().collect();
        let answer = Rc::new(Answer::Failed(why));
        for (_, Waiting { replies, .. }) in waiting {
            for reply in replies {
                reply.emit(answer.clone());
            }
        }
    }
}

/// A question's key and JSON text.
fn keyed(question: &Question) -> Option<(Key, String)> {
    let text = serde_json::to_string(question).ok()?;
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    Some((h.finish(), text))
}

/// The answer to the question `ask` makes of `deps` (asked again whenever `deps` change; `None`
/// asks nothing). Until the new answer comes, the last one is shown; `None` before the first.
#[hook]
pub fn use_answer<D, F>(deps: D, ask: F) -> Option<Rc<Answer>>
where
    D: PartialEq + Clone + 'static,
    F: FnOnce(&D) -> Option<Question>,
{
    let judge = use_context::<Judge>();
    let question = use_memo(deps, |d| ask(d));
    let latest = use_state(|| None::<Rc<Answer>>);
    let known = match (&judge, &*question) {
        (Some(j), Some(q)) => j.known(q),
        _ => None,
    };
    {
        let latest = latest.clone();
        use_effect_with(question.clone(), move |question| {
            if let (Some(judge), Some(q)) = (judge, question.as_ref()) {
                judge.ask(q, Callback::from(move |a: Rc<Answer>| latest.set(Some(a))));
            }
        });
    }
    known.or_else(|| (*latest).clone())
}
