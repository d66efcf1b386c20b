//! The explicit ways in: a file picker, a paste box, and the "as of" moment.

use tlscope_core::Timestamp;
use web_sys::{File, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::browser::files_of;

/// Properties of [`InputBar`].
#[derive(Properties, PartialEq)]
pub struct InputBarProps {
    /// Files picked.
    pub on_files: Callback<Vec<File>>,
    /// Text pasted and submitted.
    pub on_text: Callback<String>,
    /// The moment validity is judged at.
    pub now: Timestamp,
    /// Whether that moment was set by the person.
    pub now_pinned: bool,
    /// A new "as of" moment, or `None` for the clock.
    pub on_now: Callback<Option<Timestamp>>,
}

/// File picker, paste box and "as of" control.
#[component]
pub fn InputBar(props: &InputBarProps) -> Html {
    let text = use_node_ref();
    let onchange = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                on_files.emit(files_of(input.files()));
                input.set_value("");
            }
        })
    };
    let onsubmit = {
        let text = text.clone();
        let on_text = props.on_text.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(area) = text.cast::<HtmlTextAreaElement>() {
                let value = area.value();
                if !value.trim().is_empty() {
                    on_text.emit(value);
                    area.set_value("");
                }
            }
        })
    };
    let on_date = {
        let on_now = props.on_now.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                let value = input.value();
                on_now.emit(if value.is_empty() {
                    None
                } else {
                    Timestamp::parse_rfc3339(&format!("{value}T00:00:00Z")).ok()
                });
            }
        })
    };
    let date = props
        .now
        .to_rfc3339()
        .get(..10)
        .unwrap_or_default()
        .to_owned();
    html! {
        <section class="input-bar" aria-label="Add certificates">
            <label class="button file-button">
                { "Choose files…" }
                <input type="file" multiple=true class="visually-hidden" id="file-input" {onchange} />
            </label>
            <form class="paste" {onsubmit}>
                <label for="paste-text" class="visually-hidden">{ "Paste PEM text" }</label>
                <textarea id="paste-text" ref={text} rows="3" spellcheck="false"
                    placeholder="…or paste PEM, a server config or connection strings here" />
                <button type="submit" class="button">{ "Inspect" }</button>
            </form>
            <label class="as-of">
                { "Judge as of " }
                <input type="date" value={date} onchange={on_date} />
                if props.now_pinned {
                    <button type="button" class="link" onclick={props.on_now.reform(|_| None)}>{ "now" }</button>
                }
            </label>
        </section>
    }
}
