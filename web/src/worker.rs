//! The Web Workers' side: the `tlscope-worker` binary serves [`answer_bundle`] (see
//! [`crate::bundle`]) and `tlscope-source-worker` serves [`answer_source`] (see
//! [`crate::source`]). Each says it is ready, then answers each job (an object with `job`, the
//! job as JSON, and for bundles `bytes` and `anchors`) with progress messages and a final
//! message, as JSON text (a finished bundle's certificates travel beside it, see
//! [`crate::bundle::to_wire`]).

use js_sys::{Reflect, Uint8Array};
use tlscope_core::chain::{AnchorOrigin, TrustAnchor};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::bundle::{BundleJob, WorkerMessage, judge_bundle};
use crate::source::SourceJob;

/// Progress is posted at most this often (milliseconds): every message re-renders the page, so
/// a job the worker finishes quickly sends none and the page shows "Starting the worker…" until
/// the report arrives.
const PROGRESS_MS: f64 = 50.0;

/// How a worker answers one job; progress goes to the callback on the way.
pub type Answer = fn(&JsValue, &mut dyn FnMut(&WorkerMessage)) -> WorkerMessage;

/// Installs `answer` as the job handler on the worker's global scope and tells the page it is
/// ready.
pub fn serve(answer: Answer) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_job = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let message = answer(&event.data(), &mut |m| post(&reply, m));
        post(&reply, &message);
    });
    scope.set_onmessage(Some(on_job.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_job.forget();
    post(&scope, &WorkerMessage::Ready);
}

/// The job a message carries, parsed from its `job` field.
fn job<T: serde::de::DeserializeOwned>(data: &JsValue) -> Option<T> {
    job_in(data, "job")
}

/// The JSON in a message's field `field`, parsed.
fn job_in<T: serde::de::DeserializeOwned>(data: &JsValue, field: &str) -> Option<T> {
    Reflect::get(data, &JsValue::from_str(field))
        .ok()
        .and_then(|j| j.as_string())
        .and_then(|j| serde_json::from_str::<T>(&j).ok())
}

/// The source worker's answer: the file's TLS settings, read by its language's parser.
pub fn answer_source(data: &JsValue, _tell: &mut dyn FnMut(&WorkerMessage)) -> WorkerMessage {
    match job::<SourceJob>(data) {
        Some(job) => crate::source::read(&job),
        None => WorkerMessage::Failed {
            error: "the source worker was sent something other than a source file".into(),
        },
    }
}

/// The bundle worker's answer to one job.
pub fn answer_bundle(data: &JsValue, tell: &mut dyn FnMut(&WorkerMessage)) -> WorkerMessage {
    // A question from the page's judging worker (see [`crate::judge`]).
    if let Some(question) = job_in::<crate::judge::Question>(data, "question") {
        let seq = Reflect::get(data, &JsValue::from_str("seq"))
            .ok()
            .and_then(|s| s.as_f64())
            .map_or(0, |s| s as u32);
        return WorkerMessage::Answered {
            seq,
            answer: Box::new(crate::judge::answer(&question)),
        };
    }
    let bytes = Reflect::get(data, &JsValue::from_str("bytes"))
        .ok()
        .filter(|b| b.is_instance_of::<Uint8Array>())
        .map(|b| Uint8Array::new(&b).to_vec());
    let job = job::<BundleJob>(data);
    // The page's copy of the Mozilla set (this binary does not carry one).
    if let Some(anchors) = Reflect::get(data, &JsValue::from_str("anchors"))
        .ok()
        .filter(|b| b.is_instance_of::<Uint8Array>())
        .map(|b| Uint8Array::new(&b).to_vec())
    {
        match TrustAnchor::from_compact(&anchors, AnchorOrigin::Mozilla) {
            Ok(set) => {
                TrustAnchor::install_mozilla(set);
            }
            Err(e) => {
                return WorkerMessage::Failed {
                    error: format!("the page sent an unreadable Mozilla set: {e}"),
                };
            }
        }
    }
    let (Some(bytes), Some(job)) = (bytes, job) else {
        return WorkerMessage::Failed {
            error: "the worker was sent something other than a bundle job".into(),
        };
    };
    // A warm-up: the same work on the page's samples, so the real job finds the code compiled
    // and the policy read; nobody waits for its progress or its report.
    let warm = Reflect::get(data, &JsValue::from_str("warm"))
        .ok()
        .and_then(|w| w.as_bool())
        == Some(true);
    if warm && bytes.is_empty() {
        let _ = crate::judge::with_policy(&job.policy, |_| ());
        return WorkerMessage::Warmed;
    }
    let mut last = js_sys::Date::now();
    let mut progress = |stage: &str, done: usize, total: usize| {
        let now = js_sys::Date::now();
        if !warm && now - last >= PROGRESS_MS {
            last = now;
            tell(&WorkerMessage::Progress {
                stage: stage.to_owned(),
                done,
                total,
            });
        }
    };
    match judge_bundle(&bytes, &job, &mut progress) {
        _ if warm => WorkerMessage::Warmed,
        Ok(report) => WorkerMessage::Done(Box::new(report)),
        Err(error) => WorkerMessage::Failed { error },
    }
}

/// Posts `message`: its JSON text alone, or, with certificates' DER beside it, an object with
/// `text` and `ders` (see [`crate::bundle::to_wire`]).
fn post(scope: &DedicatedWorkerGlobalScope, message: &WorkerMessage) {
    let (text, ders) = crate::bundle::to_wire(message);
    let value = match ders {
        None => JsValue::from_str(&text),
        Some(ders) => {
            let object = js_sys::Object::new();
            let _ = Reflect::set(&object, &"text".into(), &JsValue::from_str(&text));
            let _ = Reflect::set(&object, &"ders".into(), &Uint8Array::from(ders).into());
            object.into()
        }
    };
    // A closed page is the only reason posting fails; nobody is left to tell.
    let _ = scope.post_message(&value);
}
