//! The dashboard's source-code worker: reads dropped JavaScript, TypeScript and Python files with
//! their real parsers (see `tlscope_web::source`), so the page never loads them. Trunk builds it
//! beside the page as `tlscope-source-worker_loader.js`, fetched when the first source file is
//! dropped.

#![forbid(unsafe_code)]

fn main() {
    console_error_panic_hook::set_once();
    tlscope_web::worker::serve(tlscope_web::worker::answer_source);
}
