//! The export bar: report downloads (JSON, SARIF, Markdown) built in the browser when clicked,
//! and the share link that puts the inputs and the policy in the URL fragment.

use std::rc::Rc;

use tlscope_core::{Policy, Timestamp};
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

use crate::export::{self, Format};
use crate::state::Entry;

/// Properties of [`ExportBar`].
#[derive(Properties, PartialEq)]
pub struct ExportBarProps {
    /// Every input on the page.
    pub entries: Rc<Vec<Entry>>,
    /// The policy in force.
    pub policy: Rc<Policy>,
    /// Its text (shared when it is not the default).
    pub policy_text: AttrValue,
    /// The moment of judgement.
    pub now: Timestamp,
}

/// Downloads and the share link.
#[component]
pub fn ExportBar(props: &ExportBarProps) -> Html {
    let status = use_state(String::new);
    let link = |format: Format, id: &'static str, label: &'static str| {
        let (entries, policy, now) = (props.entries.clone(), props.policy.clone(), props.now);
        let (file, media) = format.file();
        // The report is made at the click, then the browser follows the link it was put in.
        let onclick = Callback::from(move |e: MouseEvent| {
            let doc = export::document(&entries, &policy, now);
            let url = export::data_url(media, &export::render(&doc, format));
            // Yew delegates events, so the anchor is the target (or its ancestor), not the
            // current target.
            if let Some(a) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a").ok().flatten())
            {
                let _ = a.set_attribute("href", &url);
            }
        });
        html! { <a class="export" id={id} href="#" download={file} {onclick}>{ label }</a> }
    };
    let on_share = {
        let (entries, policy, text, now, status) = (
            props.entries.clone(),
            props.policy.clone(),
            props.policy_text.clone(),
            props.now,
            status.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            match export::share_fragment(&entries, &policy, &text, now) {
                Ok((fragment, left_out)) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_hash(&fragment);
                        let href = w.location().href().unwrap_or_default();
                        let _ = w.navigator().clipboard().write_text(&href);
                    }
                    let mut note = "Link copied — the inputs travel after the #, which is never sent to a server; passwords are masked.".to_owned();
                    if left_out > 0 {
                        note.push_str(&format!(
                            " {left_out} input(s) left out (private keys are never shared)."
                        ));
                    }
                    status.set(note);
                }
                Err(e) => status.set(e),
            }
        })
    };
    html! {
        <div class="export-bar" role="group" aria-label="Export">
            <span class="muted">{ "Download: " }</span>
            { link(Format::Json, "export-json", "JSON") }
            { " · " }
            { link(Format::Sarif, "export-sarif", "SARIF") }
            { " · " }
            { link(Format::Markdown, "export-md", "Markdown") }
            { " · " }
            <button type="button" class="link" id="share-link" onclick={on_share}>{ "Copy share link" }</button>
            <span id="share-status" class="muted" role="status">{ (*status).clone() }</span>
        </div>
    }
}
