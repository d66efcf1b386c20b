//! The Live module: the dashboard's Live view, fetched and started by the page the first time
//! its Live tab is opened (`tlscope_web::components::LiveMount`), so the agent's vocabulary and
//! the view are not in the page's first load. Trunk builds it beside the page as
//! `tlscope-live.js` (a classic script that defines `wasm_bindgen`) and `tlscope-live_bg.wasm`.

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::rc::Rc;

use tlscope_web::components::{LiveApp, LiveAppProps};
use tlscope_web::hooks::Judge;
use wasm_bindgen::prelude::*;
use yew::AppHandle;

thread_local! {
    /// The module's judging worker, started with the first mount and kept for the page's life.
    static JUDGE: Judge = Judge::default();
    /// The mounted view, if any.
    static APP: RefCell<Option<AppHandle<LiveApp>>> = const { RefCell::new(None) };
}

fn main() {
    console_error_panic_hook::set_once();
}

/// Shows the Live view in `root`, judged under the policy `policy_text` (replacing a view
/// already mounted).
#[wasm_bindgen]
pub fn mount(root: web_sys::Element, policy_text: String) {
    unmount();
    let props = LiveAppProps {
        judge: JUDGE.with(Judge::clone),
        policy_text: Rc::from(policy_text),
    };
    let handle = yew::Renderer::<LiveApp>::with_root_and_props(root, props).render();
    APP.with(|app| *app.borrow_mut() = Some(handle));
}

/// Judges the mounted view under another policy.
#[wasm_bindgen]
pub fn set_policy(policy_text: String) {
    APP.with(|app| {
        if let Some(handle) = app.borrow_mut().as_mut() {
            handle.update(LiveAppProps {
                judge: JUDGE.with(Judge::clone),
                policy_text: Rc::from(policy_text),
            });
        }
    });
}

/// Takes the view down (its connection to the agent closes); the worker stays.
#[wasm_bindgen]
pub fn unmount() {
    if let Some(handle) = APP.with(|app| app.borrow_mut().take()) {
        handle.destroy();
    }
}
