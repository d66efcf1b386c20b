//! The browser facts the view needs: the clock (the core never reads one) and reading files.

use tlscope_core::Timestamp;

/// Now, from the browser's clock.
pub fn now() -> Timestamp {
    Timestamp::from_unix((js_sys::Date::now() / 1000.0) as i64)
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
