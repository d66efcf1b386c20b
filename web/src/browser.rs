//! The browser facts the view needs: the clock (the core never reads one), reading files, and
//! where the page's own files are served from.

use tlscope_core::Timestamp;

/// Now, from the browser's clock.
pub fn now() -> Timestamp {
    Timestamp::from_unix((js_sys::Date::now() / 1000.0) as i64)
}

/// The mark the App puts on the timeline once it has first rendered.
pub const FIRST_RENDER_MARK: &str = "tlscope-first-render";

/// Puts a named mark on the browser's performance timeline (`performance.mark`), so
/// benchmarks read the page's own moments instead of timing it from outside.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// What a JavaScript exception says, for a message: an `Error`'s message, a thrown string, or
/// what kind of value was thrown (never the value's debug text).
pub fn exception_text(e: &wasm_bindgen::JsValue) -> String {
    use wasm_bindgen::JsCast as _;
    if let Some(error) = e.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    e.as_string().unwrap_or_else(|| {
        let kind = e.js_typeof().as_string().unwrap_or_default();
        format!("a thrown {kind}")
    })
}

/// Reads a dropped or picked file's bytes.
pub async fn read_file(file: web_sys::File) -> Result<Vec<u8>, String> {
    let blob = gloo::file::Blob::from(file);
    gloo::file::futures::read_as_bytes(&blob)
        .await
        .map_err(|e| format!("could not read the file: {e}"))
}

/// Files carried by a drop event or a file input, in order.
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Where the policy text is kept in the browser (localStorage; never sent anywhere).
const POLICY_KEY: &str = "tlscope.policy.v1";

/// The policy text saved by an earlier visit, if any.
pub fn load_policy() -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(POLICY_KEY)
        .ok()?
}

/// Keeps `text` for the next visit; storage being unavailable (private mode) is not an error.
pub fn save_policy(text: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(POLICY_KEY, text);
    }
}

/// The URL of `file`, one of the page's own files: beside the page's wasm-bindgen script (so it
/// follows `--public-url`), else beside the page.
pub fn asset_url(file: &str) -> String {
    let preload = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("link[rel=modulepreload]").ok().flatten())
        .and_then(|l| l.get_attribute("href"));
    match preload.as_deref().and_then(|href| href.rsplit_once('/')) {
        Some((dir, _)) => format!("{dir}/{file}"),
        None => format!("./{file}"),
    }
}

/// The bytes of one of the page's own files ([`asset_url`]).
pub async fn fetch_asset(file: &str) -> Result<Vec<u8>, String> {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen_futures::JsFuture;
    let url = asset_url(file);
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|_| format!("cannot fetch {url}"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let body = JsFuture::from(response.array_buffer().map_err(|_| "no body")?)
        .await
        .map_err(|_| format!("{url}: the body could not be read"))?;
    Ok(js_sys::Uint8Array::new(&body).to_vec())
}
