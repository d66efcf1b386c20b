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
