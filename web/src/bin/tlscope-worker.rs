//! The dashboard's Web Worker: judges large bundles off the page's thread (see
//! `tlscope_web::bundle`). Trunk builds it beside the page as `tlscope-worker_loader.js`.

#![forbid(unsafe_code)]

fn main() {
    console_error_panic_hook::set_once();
    tlscope_web::worker::serve(tlscope_web::worker::answer_bundle);
}
