//! Entry point of the dashboard: mounts the [`tlscope_web::App`] on the page body.

#![forbid(unsafe_code)]

fn main() {
    console_error_panic_hook::set_once();
    yew::Renderer::<tlscope_web::App>::new().render();
}
