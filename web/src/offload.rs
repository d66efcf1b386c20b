//! The page's side of the workers ([`crate::bundle`], [`crate::source`]): starts a
//! `tlscope-worker` or a `tlscope-source-worker`, sends it the job when it says it is ready, and
//! hands every message it sends back to a callback. A bundle worker is kept warm ([`Spare`]) so
//! a dropped bundle does not wait for the worker's WebAssembly to be fetched and compiled.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use tlscope_core::chain::TrustAnchor;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{IdleDeadline, MessageEvent, Worker};
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

/// How many warm-up rounds a spare worker is given before a real job: WebAssembly starts in the
/// browser's baseline tier and is optimised only once it has run for a while, so a first job
/// on a cold worker decodes several times slower than a later one.
const WARM_ROUNDS: u32 = 8;

/// How many times the samples' certificates are repeated in one warm-up round.
const WARM_REPEAT: usize = 4;

/// How long a spare must have been ready before it warms up: a person who drops something
/// straight away gets the CPU for the page instead.
const QUIET_MS: f64 = 1000.0;

/// How many milliseconds of an idle period must be left for a warm-up round to start: the
/// browser offers up to 50 when nothing at all is due, a few between the frames of busy work.
const IDLE_MS: f64 = 30.0;

/// A bundle worker started before it is needed: loading, or loaded and waiting for a job.
///
/// Once it is ready it is handed the Mozilla set and the page's policy (once, instead of with
/// every job). When the page has then been quiet for [`QUIET_MS`], it is warmed up: it judges
/// the samples a few times, one round per idle period, so it never competes with the page's own
/// work. Dropping it unused stops it.
pub struct Spare {
    worker: Option<Worker>,
    ready: Rc<Cell<bool>>,
    failed: Rc<Cell<bool>>,
    /// The idle callback asked for and not yet run.
    idle: Rc<Cell<Option<u32>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    _on_idle: Closure<dyn FnMut(IdleDeadline)>,
}

impl Drop for Spare {
    fn drop(&mut self) {
        if let (Some(handle), Some(window)) = (self.idle.take(), web_sys::window()) {
            window.cancel_idle_callback(handle);
        }
        if let Some(worker) = self.worker.take() {
            worker.terminate();
        }
    }
}

impl Spare {
    /// Starts a bundle worker that is primed with the Mozilla set and `job`'s policy, warms up
    /// on the samples and waits for a job. `Err` when the browser will not start one.
    pub fn start(job: &BundleJob) -> Result<Self, String> {
        let worker = Worker::new(&crate::browser::asset_url(LOADER))
            .map_err(|e| format!("no Web Worker: {}", crate::browser::exception_text(&e)))?;
        let (ready, failed) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        let idle = Rc::new(Cell::new(None));
        let ready_at = Rc::new(Cell::new(None::<f64>));
        let rounds = Rc::new(Cell::new(WARM_ROUNDS));
        let (prime, round) = (primer(job)?, warm_up(&samples(), job, false)?);
        // Asks for the idle callback (below), which may ask for itself again.
        let (ask, on_idle) = {
            let (idle, callback) = (
                idle.clone(),
                Rc::new(RefCell::new(None::<js_sys::Function>)),
            );
            let on_idle = {
                let (worker, idle, ready_at, rounds, callback) = (
                    worker.clone(),
                    idle.clone(),
                    ready_at.clone(),
                    rounds.clone(),
                    callback.clone(),
                );
                Closure::<dyn FnMut(IdleDeadline)>::new(move |deadline: IdleDeadline| {
                    idle.set(None);
                    let since_ready = ready_at.get().map_or(0.0, |t| js_sys::Date::now() - t);
                    if since_ready >= QUIET_MS && deadline.time_remaining() >= IDLE_MS {
                        rounds.set(rounds.get().saturating_sub(1));
                        // Its answer asks for the next round; a worker that cannot take it is
                        // simply not warmed.
                        let _ = worker.post_message(&round);
                    } else {
                        ask_idle(&idle, &callback);
                    }
                })
            };
            *callback.borrow_mut() =
                Some(on_idle.as_ref().unchecked_ref::<js_sys::Function>().clone());
            (move || ask_idle(&idle, &callback), on_idle)
        };
        let on_message = {
            let (flag, worker) = (ready.clone(), worker.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                match read(&event.data()) {
                    Some(WorkerMessage::Ready) => {
                        flag.set(true);
                        ready_at.set(Some(js_sys::Date::now()));
                        // A worker that cannot take it gets the Mozilla set with the job.
                        let _ = worker.post_message(&prime);
                    }
                    // The primer's answer, then each round's.
                    Some(WorkerMessage::Warmed) if rounds.get() > 0 => ask(),
                    _ => {}
                }
            })
        };
        let broken = failed.clone();
        let on_error =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| broken.set(true));
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker: Some(worker),
            ready,
            failed,
            idle,
            _on_message: on_message,
            _on_error: on_error,
            _on_idle: on_idle,
        })
    }

    /// The worker and whether it is ready (and so has been handed the Mozilla set); `None` when
    /// it failed to load (a fresh worker then tells the person why). Warming stops.
    fn take(mut self) -> Option<(Worker, bool)> {
        if self.failed.get() {
            return None;
        }
        let ready = self.ready.get();
        self.worker.take().map(|w| (w, ready))
    }
}

/// Asks the browser to run `callback` in its next idle period, remembering the request in `idle`
/// (so dropping the spare can cancel it).
fn ask_idle(idle: &Cell<Option<u32>>, callback: &RefCell<Option<js_sys::Function>>) {
    if let (Some(window), Some(f)) = (web_sys::window(), &*callback.borrow()) {
        idle.set(window.request_idle_callback(f).ok());
    }
}

/// The samples' certificates, [`WARM_REPEAT`] times over: what a warm-up round judges.
fn samples() -> Vec<u8> {
    crate::samples::SAMPLES
        .iter()
        .filter(|s| s.bytes.starts_with(b"-----BEGIN CERTIFICATE-----"))
        .flat_map(|s| s.bytes.iter().copied())
        .collect::<Vec<u8>>()
        .repeat(WARM_REPEAT)
}

/// The message that hands a worker the page's Mozilla set and `job`'s policy, so later jobs
/// and questions need not carry them.
pub fn primer(job: &BundleJob) -> Result<Object, String> {
    warm_up(&[], job, true)
}

/// A warm-up round: `job` on `bytes` (none: only the policy is read), with the Mozilla set when
/// `with_anchors`.
fn warm_up(bytes: &[u8], job: &BundleJob, with_anchors: bool) -> Result<Object, String> {
    let request = bundle_request(bytes, job, with_anchors)?;
    Reflect::set(&request, &"warm".into(), &JsValue::TRUE)
        .map_err(|e| crate::browser::exception_text(&e))?;
    Ok(request)
}

/// The message that hands `bytes` and `job` to a bundle worker, with the page's copy of the
/// Mozilla set (the worker does not carry one) when `with_anchors`.
fn bundle_request(bytes: &[u8], job: &BundleJob, with_anchors: bool) -> Result<Object, String> {
    let request = request(job)?;
    Reflect::set(&request, &"bytes".into(), &Uint8Array::from(bytes).into())
        .map_err(|e| crate::browser::exception_text(&e))?;
    if with_anchors {
        let mozilla = TrustAnchor::to_compact(TrustAnchor::mozilla_shared());
        Reflect::set(
            &request,
            &"anchors".into(),
            &Uint8Array::from(mozilla.as_slice()).into(),
        )
        .map_err(|e| crate::browser::exception_text(&e))?;
    }
    Ok(request)
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
    match spare.and_then(Spare::take) {
        Some((worker, ready)) => {
            let request = bundle_request(bytes, job, !ready)?;
            run(worker, ready, LOADER, request, on_message)
        }
        None => start(LOADER, bundle_request(bytes, job, true)?, on_message),
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
    Reflect::set(&request, &"job".into(), &job_text.into())
        .map_err(|e| crate::browser::exception_text(&e))?;
    Ok(request)
}

/// Starts the worker `loader` names and hands it `request` once it is ready.
fn start(
    loader: &'static str,
    request: Object,
    on_message: Callback<WorkerMessage>,
) -> Result<Offload, String> {
    let url = crate::browser::asset_url(loader);
    let worker = Worker::new(&url)
        .map_err(|e| format!("no Web Worker: {}", crate::browser::exception_text(&e)))?;
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
                        error: format!(
                            "could not hand the bundle to the worker: {}",
                            crate::browser::exception_text(&e)
                        ),
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
            // A warm-up round sent before the job was handed over; answers go to the judge.
            WorkerMessage::Warmed | WorkerMessage::Answered { .. } => {}
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    if let Some(request) = job_now
        && let Err(e) = worker.post_message(&request)
    {
        // Its handlers go with this frame: stop it rather than leave it calling them.
        worker.terminate();
        return Err(format!(
            "could not hand the bundle to the worker: {}",
            crate::browser::exception_text(&e)
        ));
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
