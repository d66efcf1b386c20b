//! The page's side of the workers ([`crate::bundle`], [`crate::source`]): starts a
//! `tlscope-worker` or a `tlscope-source-worker`, sends it the job when it says it is ready, and
//! hands every message it sends back to a callback. A bundle worker is kept warm ([`Spare`]) so
//! a dropped bundle does not wait for the worker's WebAssembly to be fetched and compiled.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use tlscope_core::chain::TrustAnchor;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

use crate::bundle::{BundleJob, WorkerMessage};
use crate::source::SourceJob;

/// The bundle worker's loader, next to the page's own script (so it follows `--public-url`).
const LOADER: &str = "tlscope-worker_loader.js";

/// The source worker's loader, beside it.
const SOURCE_LOADER: &str = "tlscope-source-worker_loader.js";

/// A running job; dropping it stops the worker.
pub struct Offload {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Offload {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// A bundle worker started before it is needed: loading, or loaded and waiting for a job.
/// Dropping it unused stops it.
pub struct Spare {
    worker: Option<Worker>,
    ready: Rc<Cell<bool>>,
    failed: Rc<Cell<bool>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Spare {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.terminate();
        }
    }
}

impl Spare {
    /// Starts a bundle worker that waits for a job. `Err` when the browser will not start one.
    pub fn start() -> Result<Self, String> {
        let worker = Worker::new(&crate::browser::asset_url(LOADER))
            .map_err(|e| format!("no Web Worker: {e:?}"))?;
        let (ready, failed) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        let flag = ready.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if read(&event.data()) == Some(WorkerMessage::Ready) {
                flag.set(true);
            }
        });
        let broken = failed.clone();
        let on_error =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| broken.set(true));
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker: Some(worker),
            ready,
            failed,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// The worker and whether it has said it is ready; `None` when it failed to load (a fresh
    /// worker then tells the person why).
    fn take(mut self) -> Option<(Worker, bool)> {
        if self.failed.get() {
            return None;
        }
        let ready = self.ready.get();
        self.worker.take().map(|w| (w, ready))
    }
}

/// Starts a worker on `bytes` (the warm `spare` when there is one); every message it sends
/// (progress, then the report or the reason it failed) goes to `on_message`. `Err` when the
/// browser will not start a worker.
pub fn judge_in_worker(
    bytes: &[u8],
    job: &BundleJob,
    spare: Option<Spare>,
    on_message: Callback<WorkerMessage>,
) -> Result<Offload, String> {
    let request = request(job)?;
    Reflect::set(&request, &"bytes".into(), &Uint8Array::from(bytes).into())
        .map_err(|e| format!("{e:?}"))?;
    // The worker does not carry the Mozilla set either: it gets the page's copy.
    let mozilla = TrustAnchor::to_compact(TrustAnchor::mozilla_shared());
    Reflect::set(
        &request,
        &"anchors".into(),
        &Uint8Array::from(mozilla.as_slice()).into(),
    )
    .map_err(|e| format!("{e:?}"))?;
    match spare.and_then(Spare::take) {
        Some((worker, ready)) => run(worker, ready, LOADER, request, on_message),
        None => start(LOADER, request, on_message),
    }
}

/// Starts a source worker reading `job`'s file; its answer (the settings, or where the parser
/// stopped) goes to `on_message`.
pub fn read_in_worker(
    job: &SourceJob,
    on_message: Callback<WorkerMessage>,
) -> Result<Offload, String> {
    start(SOURCE_LOADER, request(job)?, on_message)
}

/// The message that carries `job`, as JSON in its `job` field.
fn request(job: &impl serde::Serialize) -> Result<Object, String> {
    let request = Object::new();
    let job_text = serde_json::to_string(job).map_err(|e| e.to_string())?;
    Reflect::set(&request, &"job".into(), &job_text.into()).map_err(|e| format!("{e:?}"))?;
    Ok(request)
}

/// Starts the worker `loader` names and hands it `request` once it is ready.
fn start(
    loader: &'static str,
    request: Object,
    on_message: Callback<WorkerMessage>,
) -> Result<Offload, String> {
    let url = crate::browser::asset_url(loader);
    let worker = Worker::new(&url).map_err(|e| format!("no Web Worker: {e:?}"))?;
    run(worker, false, loader, request, on_message)
}

/// Hands `request` to `worker` (now when it is `ready`, else when it says so) and every message
/// it sends back to `on_message`.
fn run(
    worker: Worker,
    ready: bool,
    loader: &'static str,
    request: Object,
    on_message: Callback<WorkerMessage>,
) -> Result<Offload, String> {
    let url = crate::browser::asset_url(loader);
    let job_now = ready.then(|| request.clone());
    let failed = on_message.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let detail = event
            .dyn_ref::<web_sys::ErrorEvent>()
            .map(|e| e.message())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("could not load {url}"));
        failed.emit(WorkerMessage::Crashed {
            error: format!("the Web Worker judging this input stopped: {detail}"),
        })
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let sender = worker.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let message = read(&event.data()).unwrap_or_else(|| WorkerMessage::Failed {
            error: "the worker answered something unreadable".into(),
        });
        match &message {
            WorkerMessage::Ready => {
                if let Err(e) = sender.post_message(&request) {
                    on_message.emit(WorkerMessage::Failed {
                        error: format!("could not hand the bundle to the worker: {e:?}"),
                    });
                }
            }
            WorkerMessage::Done(_)
            | WorkerMessage::Read { .. }
            | WorkerMessage::Failed { .. }
            | WorkerMessage::Crashed { .. } => {
                sender.terminate();
                on_message.emit(message);
            }
            WorkerMessage::Progress { .. } => on_message.emit(message),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    if let Some(request) = job_now
        && let Err(e) = worker.post_message(&request)
    {
        // Its handlers go with this frame: stop it rather than leave it calling them.
        worker.terminate();
        return Err(format!("could not hand the bundle to the worker: {e:?}"));
    }
    Ok(Offload {
        worker,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// A worker's message: JSON text, or an object with the `text` and, beside it, the `ders` of a
/// finished bundle (see [`crate::bundle::to_wire`]).
fn read(data: &JsValue) -> Option<WorkerMessage> {
    if let Some(text) = data.as_string() {
        return crate::bundle::from_wire(&text, None);
    }
    let text = Reflect::get(data, &"text".into()).ok()?.as_string()?;
    let ders = Reflect::get(data, &"ders".into())
        .ok()
        .filter(|b| b.is_instance_of::<Uint8Array>())
        .map(|b| Uint8Array::new(&b).to_vec());
    crate::bundle::from_wire(&text, ders)
}
