//! One linted input: a configuration or connection strings judged under the current policy,
//! with what it was read as, the masked strings, and every finding with its line.

use std::rc::Rc;

use tlscope_core::judge::ChainRequest;
use tlscope_core::lint::{Recognised, lint};
use tlscope_core::{Policy, Timestamp};
use yew::prelude::*;

use super::{ErrorCard, FindingList};

/// Properties of [`LintView`].
#[derive(Properties, PartialEq)]
pub struct LintViewProps {
    /// The input's name.
    pub name: AttrValue,
    /// The text.
    pub text: Rc<str>,
    /// The policy to judge under.
    pub policy: Rc<Policy>,
    /// The moment of judgement.
    pub now: Timestamp,
}

/// A linted input.
#[component]
pub fn LintView(props: &LintViewProps) -> Html {
    let report = use_memo(
        (
            props.text.clone(),
            props.policy.clone(),
            props.now,
            props.name.clone(),
        ),
        |(text, policy, now, name)| {
            lint(
                Some(name.as_str()),
                text.as_bytes(),
                &ChainRequest::default(),
                policy,
                *now,
            )
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
    match &*report {
        Err(e) => html! { <ErrorCard source={props.name.to_string()} message={e.to_string()} /> },
        Ok(r) => html! {
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
    }
}
