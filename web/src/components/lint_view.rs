//! One linted input: a configuration or connection strings judged under the current policy,
//! with what it was read as, the masked strings, and every finding with its line.

use std::rc::Rc;

use tlscope_core::Timestamp;
use tlscope_core::lint::Recognised;
use yew::prelude::*;

use super::{ErrorCard, FindingList};
use crate::hooks::use_answer;
use crate::judge::{Answer, Question};

/// Properties of [`LintView`].
#[derive(Properties, PartialEq)]
pub struct LintViewProps {
    /// The input's name.
    pub name: AttrValue,
    /// The text.
    pub text: Rc<str>,
    /// The policy to judge under (its text, as the judging worker reads it).
    pub policy: Rc<str>,
    /// The moment of judgement.
    pub now: Timestamp,
}

/// A linted input.
#[component]
pub fn LintView(props: &LintViewProps) -> Html {
    let answer = use_answer(
        (
            props.text.clone(),
            props.policy.clone(),
            props.now,
            props.name.clone(),
        ),
        |(text, policy, now, name)| {
            Some(Question::Lint {
                name: name.to_string(),
                text: text.to_string(),
                policy: policy.to_string(),
                now: *now,
            })
        },
    );
    if let Some(language) = crate::source::agent_only(&props.name) {
        let language = language.label();
        return html! {
            <section class="card lint warning" aria-label={format!("Lint of {}", props.name)}>
                <header class="card-header">
                    <h3>{ props.name.to_string() }</h3>
                    <span class="badge kind">{ format!("{language} source") }</span>
                </header>
                <p class="source-note">
                    { format!("The page does not read {language}: its parser, tree-sitter, is C and does not run in the browser. Run ") }
                    <code>{ format!("tlscope lint {}", props.name) }</code>
                    { " and the agent reads it, judging each TLS setting at its line and linking the connection strings and URLs it holds to their servers. JavaScript, TypeScript and Python files are read here." }
                </p>
            </section>
        };
    }
    match answer.as_deref() {
        None => html! {
            <section class="card lint" aria-label={format!("Lint of {}", props.name)} aria-busy="true">
                <header class="card-header"><h3>{ props.name.to_string() }</h3></header>
                <p class="muted judging" role="status">{ "Judging…" }</p>
            </section>
        },
        Some(Answer::Linted(Err(e)) | Answer::Failed(e)) => {
            html! { <ErrorCard source={props.name.to_string()} message={e.clone()} /> }
        }
        Some(Answer::Linted(Ok(r))) => html! {
            <section class="card lint" aria-label={format!("Lint of {}", props.name)}>
                <header class="card-header">
                    <h3>{ props.name.to_string() }</h3>
                    <span class="badge kind">{ r.recognised.label() }</span>
                </header>
                if let Recognised::Connections { strings } = &r.recognised {
                    <ul class="connections">
                        { for strings.iter().map(|s| html! {
                            <li><span class="muted">{ format!("line {} · {} · ", s.line, s.engine.label()) }</span><code class="masked">{ s.masked.clone() }</code></li>
                        }) }
                    </ul>
                }
                if !r.problems.is_empty() {
                    <ul class="problems">
                        { for r.problems.iter().map(|p| html! { <li class="muted">{ format!("not read: {p}") }</li> }) }
                    </ul>
                }
                <FindingList findings={r.findings.clone()} />
            </section>
        },
        Some(_) => html! {},
    }
}
