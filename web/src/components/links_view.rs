//! The links between the inputs on the page: each client a dropped file names (a connection
//! string, an `https://` URL, a client in a source file) joined to the dropped server configuration that serves its host
//! and port and the certificate files both name, judged together by the core's graph — the
//! same judgement `tlscope lint` makes over a repository (without its `--probe`).

use std::rc::Rc;

use tlscope_core::Timestamp;
use yew::prelude::*;

use super::FindingList;
use crate::hooks::use_answer;
use crate::judge::Answer;
use crate::state::Entry;

/// Properties of [`LinksView`].
#[derive(Properties, PartialEq)]
pub struct LinksViewProps {
    /// Every input on the page (configurations, connection strings and certificates).
    pub entries: Rc<Vec<Entry>>,
    /// The policy to judge under (its text, as the judging worker reads it).
    pub policy: Rc<str>,
    /// The moment of judgement.
    pub now: Timestamp,
}

/// The links among the page's inputs, when a client and a server of one connection are both
/// there; nothing otherwise.
#[component]
pub fn LinksView(props: &LinksViewProps) -> Html {
    let answer = use_answer(
        (props.entries.clone(), props.policy.clone(), props.now),
        |(entries, policy, now)| crate::questions::links(entries, policy, *now),
    );
    let Some(Answer::Links(links)) = answer.as_deref() else {
        return html! {};
    };
    if links.is_empty() {
        return html! {};
    }
    html! {
        <section class="card links" aria-label="Links between the inputs">
            <header class="card-header">
                <h3>{ "Links between the inputs" }</h3>
                <span class="muted">{ "each client joined to the configuration that serves its host and port, judged together" }</span>
            </header>
            { for links.iter().map(|l| html! {
                <article class="link">
                    <p class="link-summary"><code class="masked">{ l.summary.clone() }</code></p>
                    if !l.unresolved.is_empty() {
                        <ul class="problems">
                            { for l.unresolved.iter().map(|u| html! { <li class="muted">{ format!("not checked: {u}") }</li> }) }
                        </ul>
                    }
                    <FindingList findings={l.findings.clone()} />
                </article>
            }) }
        </section>
    }
}
