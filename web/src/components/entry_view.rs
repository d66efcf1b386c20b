//! Everything one input produced: certificates, key notices and errors, in input order.

use tlscope_core::{Item, Policy, Timestamp, judge};
use yew::prelude::*;

use super::{CertificateCard, ErrorCard, FindingList};
use crate::state::Entry;

/// Properties of [`EntryView`].
#[derive(Properties, PartialEq)]
pub struct EntryViewProps {
    /// The input.
    pub entry: Entry,
    /// The moment validity is judged at.
    pub now: Timestamp,
    /// Remove this input.
    pub on_remove: Callback<usize>,
}

/// One input's results.
#[component]
pub fn EntryView(props: &EntryViewProps) -> Html {
    let entry = &props.entry;
    let id = entry.id;
    let body = match &entry.outcome {
        Err(message) => {
            html! { <ErrorCard source={entry.name.clone()} message={message.clone()} /> }
        }
        Ok(decoded) => html! {
            <>
                <FindingList findings={judge::decoded(decoded, &Policy::default(), props.now)} />
                { for decoded.items.iter().map(|item| match item {
                    Item::Certificate { certificate, source } => html! {
                        <CertificateCard certificate={(**certificate).clone()} now={props.now} line={source.line} />
                    },
                    Item::PrivateKey { format, encrypted, source, algorithm, bits } => html! {
                        <div class="card warning key-notice" role="status">
                            <span class="badge warning">{ "⚠ Private key" }</span>
                            <p>{ format!("{}{}{format} private key at line {} — recognised and discarded. Key material is never shown, stored or sent.",
                                if *encrypted { "Encrypted " } else { "" },
                                match (algorithm, bits) {
                                    (Some(a), Some(b)) => format!("{a} {b}-bit "),
                                    (Some(a), None) => format!("{a} "),
                                    _ => String::new(),
                                },
                                source.line.unwrap_or(1)) }</p>
                        </div>
                    },
                    _ => html! {},
                }) }
                { for decoded.errors.iter().map(|e| html! { <ErrorCard source={entry.name.clone()} message={e.to_string()} /> }) }
            </>
        },
    };
    html! {
        <article class="entry" aria-label={entry.name.clone()}>
            <header class="entry-header">
                <h2 class="entry-name">{ &entry.name }</h2>
                <button type="button" class="link" aria-label={format!("Remove {}", entry.name)}
                    onclick={props.on_remove.reform(move |_| id)}>{ "Remove" }</button>
            </header>
            { body }
        </article>
    }
}
