//! The root of the Live module (`tlscope-live`, fetched the first time the Live tab is opened,
//! so that none of the agent's vocabulary is in the page's first load): its own judging worker
//! primed with the Mozilla set, the policy it judges under (read from the text the page hands
//! over), and the [`LiveView`].

use std::rc::Rc;

use tlscope_core::{Policy, Timestamp};
use yew::prelude::*;

use super::LiveView;
use crate::bundle::BundleJob;
use crate::hooks::{Judge, RootSet, use_answer, use_mozilla_roots};
use crate::judge::{Answer, Question};

/// Properties of [`LiveApp`].
#[derive(Properties, PartialEq)]
pub struct LiveAppProps {
    /// The module's judging worker (kept by the module across mounts).
    pub judge: Judge,
    /// The text of the page's policy in force.
    pub policy_text: Rc<str>,
}

/// The Live module's root.
#[component]
pub fn LiveApp(props: &LiveAppProps) -> Html {
    let roots = use_mozilla_roots();
    {
        // The worker gets the Mozilla set before the first question that needs it.
        let (judge, text) = (props.judge.clone(), props.policy_text.clone());
        use_effect_with(roots.clone(), move |roots| {
            if *roots != RootSet::Loading {
                // A primer carries the anchors and the policy; its moment is never read (each
                // question carries its own).
                let job = BundleJob {
                    policy: text.to_string(),
                    now: Timestamp::from_unix(0),
                    host: None,
                    trusted_roots: Vec::new(),
                };
                match crate::offload::primer(&job) {
                    Ok(primer) => judge.post(primer.into()),
                    Err(e) => gloo::console::warn!(format!("the Live worker was not primed: {e}")),
                }
            }
        });
    }
    html! {
        <ContextProvider<Judge> context={props.judge.clone()}>
            <LivePolicy policy_text={props.policy_text.clone()} ready={roots != RootSet::Loading} />
        </ContextProvider<Judge>>
    }
}

#[derive(Properties, PartialEq)]
struct LivePolicyProps {
    policy_text: Rc<str>,
    /// Whether the worker has been primed (questions before that would miss the Mozilla set).
    ready: bool,
}

/// The policy read from its text by the worker, then the view judged under it.
#[component]
fn LivePolicy(props: &LivePolicyProps) -> Html {
    let answer = use_answer((props.policy_text.clone(), props.ready), |(text, ready)| {
        ready.then(|| Question::WholePolicy {
            text: text.to_string(),
        })
    });
    // The worker sends the policy as its JSON (the page's answers carry no whole policy, so
    // only this module holds the code that reads one).
    let policy: Option<Result<Rc<Policy>, String>> =
        use_memo(answer.clone(), |answer| match answer.as_deref() {
            Some(Answer::WholePolicy(Ok(json))) => Some(
                serde_json::from_str::<Policy>(json)
                    .map(Rc::new)
                    .map_err(|e| format!("the worker's policy did not read back: {e}")),
            ),
            Some(Answer::WholePolicy(Err(e)) | Answer::Failed(e)) => Some(Err(e.clone())),
            _ => None,
        })
        .as_ref()
        .clone();
    match policy {
        Some(Ok(policy)) => html! {
            <LiveView {policy} policy_text={props.policy_text.clone()} />
        },
        Some(Err(e)) => html! {
            <p class="banner error" role="alert">{ format!("The Live view cannot judge: {e}") }</p>
        },
        None => html! { <p class="muted">{ "Starting the Live view…" }</p> },
    }
}
