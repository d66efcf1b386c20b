//! A decoding error, naming the input it came from and what was expected.

use yew::prelude::*;

/// Properties of [`ErrorCard`].
#[derive(Properties, PartialEq)]
pub struct ErrorCardProps {
    /// File name or "pasted text".
    pub source: AttrValue,
    /// The core's message.
    pub message: AttrValue,
}

/// One error, announced to assistive technology.
#[component]
pub fn ErrorCard(props: &ErrorCardProps) -> Html {
    html! {
        <div class="card error decode-error" role="alert">
            <span class="badge critical">{ "✖ Error" }</span>
            <strong class="error-source">{ props.source.clone() }</strong>
            <p class="error-message">{ props.message.clone() }</p>
        </div>
    }
}
