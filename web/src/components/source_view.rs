//! One source file in the Lint view: read in the source worker by its language's parser, its TLS
//! settings listed with their lines and judged under the page's policy by the core's
//! `code::judge` — the findings `tlscope lint FILE` gives for it.

use std::rc::Rc;

use yew::prelude::*;

use super::{ErrorCard, FindingList};
use crate::hooks::use_answer;
use crate::judge::{Answer, Question};
use crate::source;
use crate::state::SourceStatus;

/// Properties of [`SourceView`].
#[derive(Properties, PartialEq)]
pub struct SourceViewProps {
    /// The file's name.
    pub name: AttrValue,
    /// Where its reading has got to.
    pub status: SourceStatus,
    /// The policy to judge under (its text, as the judging worker reads it).
    pub policy: Rc<str>,
}

/// A source file's settings and findings.
#[component]
pub fn SourceView(props: &SourceViewProps) -> Html {
    let answer = use_answer(
        (props.status.clone(), props.policy.clone()),
        |(status, policy)| match status {
            SourceStatus::Read(settings) => Some(Question::Code {
                settings: (**settings).clone(),
                policy: policy.to_string(),
            }),
            SourceStatus::Reading | SourceStatus::Failed(_) => None,
        },
    );
    let Some(language) = source::readable(&props.name) else {
        return html! {};
    };
    let label = language.label();
    let parser = source::parser(language);
    let settings = match &props.status {
        SourceStatus::Failed(error) => {
            return html! { <ErrorCard source={props.name.clone()} message={error.clone()} /> };
        }
        SourceStatus::Reading => {
            return html! {
                <section class="card lint source" aria-label={format!("Lint of {}", props.name)} aria-busy="true">
                    <header class="card-header">
                        <h3>{ props.name.to_string() }</h3>
                        <span class="badge kind">{ format!("{label} source") }</span>
                    </header>
                    <p class="muted source-reading">{ format!("Reading with {parser} in a Web Worker…") }</p>
                </section>
            };
        }
        SourceStatus::Read(settings) => settings,
    };
    html! {
        <section class="card lint source" aria-label={format!("Lint of {}", props.name)} data-settings={settings.len().to_string()}>
            <header class="card-header">
                <h3>{ props.name.to_string() }</h3>
                <span class="badge kind">{ format!("{label} source, {} TLS setting(s)", settings.len()) }</span>
            </header>
            <p class="muted source-note">{ format!("Read in your browser by {parser}; each setting is judged by the same rule as the equivalent server setting.") }</p>
            if !settings.is_empty() {
                <ul class="settings">
                    { for settings.iter().map(|s| html! {
                        <li><span class="muted">{ format!("line {} · ", s.line) }</span><code class="masked">{ s.symbol.clone() }</code></li>
                    }) }
                </ul>
            }
            { match answer.as_deref() {
                Some(Answer::Findings(findings)) => html! { <FindingList findings={findings.clone()} /> },
                Some(Answer::Failed(why)) => html! { <ErrorCard source={props.name.clone()} message={why.clone()} /> },
                _ => html! { <p class="muted judging" role="status">{ "Judging…" }</p> },
            } }
        </section>
    }
}
