//! A button that copies a value (fingerprint, pin) to the clipboard and says so.

use yew::prelude::*;

/// Properties of [`CopyButton`].
#[derive(Properties, PartialEq)]
pub struct CopyButtonProps {
    /// The text to copy.
    pub value: AttrValue,
    /// What is copied, for the accessible label ("SHA-256 fingerprint").
    pub what: AttrValue,
}

/// "Copy" → "Copied" once the clipboard accepted it.
#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let value = props.value.to_string();
        let copied = copied.clone();
        Callback::from(move |_| {
            let promise = gloo::utils::window()
                .navigator()
                .clipboard()
                .write_text(&value);
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                copied.set(ok);
            });
        })
    };
    html! {
        <button type="button" class="copy" {onclick} aria-label={format!("Copy {}", props.what)}>
            { if *copied { "Copied ✔" } else { "Copy" } }
        </button>
    }
}
