//! The Policy view: the TOML policy in an editor with its errors inline (line and column),
//! a profile picker, an export link, and the effective values at a glance. Every other view
//! re-judges as soon as the text parses; the text is kept in this browser only.

use std::rc::Rc;

use tlscope_core::Policy;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::hooks::Judge;
use crate::judge::{Answer, PolicyShown, Question};
use crate::state::PolicyStatus;

/// Properties of [`PolicyView`].
#[derive(Properties, PartialEq)]
pub struct PolicyViewProps {
    /// The editor's text.
    pub text: AttrValue,
    /// Whether the text is in force, being read, or wrong.
    pub status: PolicyStatus,
    /// The policy in force (the last text that parsed).
    pub policy: Rc<PolicyShown>,
    /// The text changed.
    pub on_edit: Callback<String>,
}

/// The policy editor.
#[component]
pub fn PolicyView(props: &PolicyViewProps) -> Html {
    let oninput = {
        let on_edit = props.on_edit.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(area) = e.target_dyn_into::<HtmlTextAreaElement>() {
                on_edit.emit(area.value());
            }
        })
    };
    // A profile's complete file is written by the judging worker (the page has no TOML writer).
    let onchange = {
        let (on_edit, judge) = (props.on_edit.clone(), use_context::<Judge>());
        Callback::from(move |e: Event| {
            if let (Some(select), Some(judge)) =
                (e.target_dyn_into::<HtmlSelectElement>(), judge.as_ref())
            {
                let on_edit = on_edit.clone();
                judge.ask(
                    &Question::Profile {
                        name: select.value(),
                    },
                    Callback::from(move |answer: Rc<Answer>| {
                        if let Answer::PolicyText(text) = &*answer {
                            on_edit.emit(text.clone());
                        }
                    }),
                );
            }
        })
    };
    let export = format!(
        "data:application/toml;charset=utf-8,{}",
        js_sys::encode_uri_component(&props.text)
    );
    let wrong = matches!(props.status, PolicyStatus::Wrong(_));
    html! {
        <section class="card policy-view" aria-label="Policy">
            <header class="card-header">
                <h2>{ "Policy" }</h2>
                <label>{ "Start from profile " }
                    <select id="profile" onchange={onchange} aria-label="Start from a built-in profile">
                        <option value="" selected=true disabled=true>{ "choose…" }</option>
                        { for Policy::PROFILES.iter().map(|name| html! { <option value={*name}>{ *name }</option> }) }
                    </select>
                </label>
                <a class="button" href={export} download="tlscope-policy.toml">{ "Export TOML" }</a>
            </header>
            <label for="policy-text" class="muted">{ "TOML, version 1 — see docs/policy.md for every key. Saved in this browser only." }</label>
            <textarea id="policy-text" class="policy-text" rows="24" spellcheck="false"
                aria-invalid={wrong.to_string()} aria-describedby="policy-status"
                value={props.text.clone()} {oninput} />
            <p id="policy-status" role={if wrong { "alert" } else { "status" }} aria-busy={(props.status == PolicyStatus::Reading).to_string()}
                class={classes!("policy-status", match props.status { PolicyStatus::Wrong(_) => "critical", PolicyStatus::Reading => "muted", PolicyStatus::InForce => "ok" })}>
                { match &props.status {
                    PolicyStatus::Wrong(e) => format!("✖ {e} — the last valid policy stays in force."),
                    PolicyStatus::Reading => "… Reading the policy.".to_owned(),
                    PolicyStatus::InForce => format!("✔ Valid. In force: {}.", props.policy.in_force),
                } }
            </p>
        </section>
    }
}
