//! The link to a tlscope agent: what its API sends (the snapshot and the event stream), fetched
//! with the browser's fetch and EventSource, as the core's observation types (the agent sends
//! the same ones). Only observations arrive; the Live view judges them here under the page's policy.

pub use tlscope_core::observation::{Observation, Snapshot};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

/// The API base for a URL the person typed (empty: the page's own origin).
pub fn base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

/// Fetches the snapshot, with the bearer token when one is given.
pub async fn snapshot(base: &str, token: &str) -> Result<Snapshot, String> {
    let window = web_sys::window().ok_or("no window")?;
    let url = format!("{base}/api/v1/snapshot");
    let init = web_sys::RequestInit::new();
    if !token.is_empty() {
        let headers = web_sys::Headers::new().map_err(|_| "no headers")?;
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(|_| "bad token")?;
        init.set_headers(&headers);
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| format!("cannot reach {url}"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("{url} answered {}", response.status()));
    }
    // Read as text and parsed by serde_json, which the page carries anyway (a second
    // deserialiser for JavaScript values cost the page's wasm some 50 KB).
    let text = JsFuture::from(response.text().map_err(|_| "no body")?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| format!("{url} sent no readable body"))?;
    serde_json::from_str(&text).map_err(|e| format!("{url}: unexpected snapshot ({e})"))
}

/// An open event stream; closed on drop.
pub struct EventStream {
    source: web_sys::EventSource,
    _on_message: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// Opens `/api/v1/events` (the token, if any, goes in `access_token`: EventSource cannot send
/// headers); `on_event` gets each observation, `on_error` a message when the stream drops (the
/// browser reconnects by itself).
pub fn events(
    base: &str,
    token: &str,
    on_event: impl Fn(Observation) + Clone + 'static,
    on_error: impl Fn(String) + 'static,
) -> Result<EventStream, String> {
    let url = if token.is_empty() {
        format!("{base}/api/v1/events")
    } else {
        let encoded: String = js_sys::encode_uri_component(token).into();
        format!("{base}/api/v1/events?access_token={encoded}")
    };
    let source = web_sys::EventSource::new(&url).map_err(|_| format!("cannot open {url}"))?;
    let mut handlers = Vec::new();
    for kind in ["handshake", "probe", "rotation"] {
        let on_event = on_event.clone();
        let handler =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                if let Ok(observation) = serde_json::from_str::<Observation>(&text) {
                    on_event(observation);
                }
            });
        let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
        handlers.push(handler);
    }
    let url_shown = format!("{base}/api/v1/events");
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        on_error(format!(
            "event stream {url_shown} interrupted; reconnecting"
        ));
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(EventStream {
        source,
        _on_message: handlers,
        _on_error: on_error,
    })
}
