//! The export bar: report downloads (JSON, SARIF, Markdown) written by the judging worker when
//! clicked, and the share link that puts the inputs and the policy in the URL fragment.

use std::rc::Rc;

use tlscope_core::Timestamp;
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

use crate::export;
use crate::hooks::Judge;
use crate::judge::{Answer, PolicyShown, Question, Roots};
use crate::report::{self, Format};
use crate::state::Entry;

/// Properties of [`ExportBar`].
#[derive(Properties, PartialEq)]
pub struct ExportBarProps {
    /// Every input on the page.
    pub entries: Rc<Vec<Entry>>,
    /// The policy in force.
    pub policy: Rc<PolicyShown>,
    /// The editor's text (shared when it is not the default).
    pub policy_text: AttrValue,
    /// The text of the policy in force, as the judging worker reads it.
    pub policy_source: Rc<str>,
    /// What chains are validated against.
    pub roots: Rc<Roots>,
    /// The moment of judgement.
    pub now: Timestamp,
}

/// Downloads and the share link.
#[component]
pub fn ExportBar(props: &ExportBarProps) -> Html {
    let status = use_state(String::new);
    let judge = use_context::<Judge>();
    // Every input is judged, whichever view shows it, so a download has them all.
    {
        let judge = judge.clone();
        use_effect_with(
            (
                props.entries.clone(),
                props.roots.clone(),
                props.policy_source.clone(),
                props.now,
            ),
            move |(entries, roots, source, now)| {
                for question in entries
                    .iter()
                    .filter_map(|e| crate::questions::about(e, roots, source, *now))
                {
                    if let Some(judge) = &judge {
                        judge.ask(&question, Callback::noop());
                    }
                }
            },
        );
    }
    // The questions about every input, and what the judging worker answered for an entry.
    let questions: Rc<Vec<Question>> = Rc::new(
        props
            .entries
            .iter()
            .filter_map(|e| {
                crate::questions::about(e, &props.roots, &props.policy_source, props.now)
            })
            .collect(),
    );
    let answers = {
        let (roots, source, now, judge) = (
            props.roots.clone(),
            props.policy_source.clone(),
            props.now,
            judge.clone(),
        );
        Rc::new(move |e: &Entry| -> Option<Rc<Answer>> {
            judge
                .as_ref()?
                .known(&crate::questions::about(e, &roots, &source, now)?)
        })
    };
    let link = |format: Format, id: &'static str, label: &'static str| {
        let (entries, policy, now, answers, questions, judge) = (
            props.entries.clone(),
            props.policy.clone(),
            props.now,
            answers.clone(),
            questions.clone(),
            judge.clone(),
        );
        let (file, media) = format.file();
        // The report is made at the click from the worker's answers, then the browser follows
        // the link it was put in. An input not answered yet (just dropped, or re-judged) is
        // waited for: the click is held, and made again once every answer is in.
        let onclick = Callback::from(move |e: MouseEvent| {
            // Yew delegates events, so the anchor is the target (or its ancestor), not the
            // current target.
            let Some(a) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a").ok().flatten())
            else {
                return;
            };
            let pending: Vec<&Question> = match &judge {
                Some(j) => questions.iter().filter(|q| j.known(q).is_none()).collect(),
                None => Vec::new(),
            };
            if let (Some(judge), false) = (&judge, pending.is_empty()) {
                e.prevent_default();
                let left = Rc::new(std::cell::Cell::new(pending.len()));
                for q in pending {
                    let (left, a) = (left.clone(), a.clone());
                    judge.ask(
                        q,
                        Callback::from(move |_| {
                            left.set(left.get().saturating_sub(1));
                            if left.get() == 0
                                && let Some(a) = a.dyn_ref::<web_sys::HtmlElement>()
                            {
                                a.click();
                            }
                        }),
                    );
                }
                return;
            }
            // Every input is judged: the worker writes the report, and the click follows the
            // link once it is in it.
            let report = Question::Report {
                inputs: export::report_inputs(&entries, &*answers),
                profile: policy.profile.clone(),
                now,
                format,
            };
            let Some(judge) = &judge else {
                return;
            };
            let text = match judge.known(&report).as_deref() {
                Some(Answer::Report(text)) => text.clone(),
                Some(Answer::Failed(why)) => report::unwritten(why),
                Some(_) => report::unwritten("the worker gave another answer"),
                None => {
                    e.prevent_default();
                    judge.ask(
                        &report,
                        Callback::from(move |_| {
                            if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
                                a.click();
                            }
                        }),
                    );
                    return;
                }
            };
            let _ = a.set_attribute("href", &export::data_url(media, &text));
        });
        html! { <a class="export" id={id} href="#" download={file} {onclick}>{ label }</a> }
    };
    let on_share = {
        let answers = answers.clone();
        let (entries, text, status) = (
            props.entries.clone(),
            props.policy_text.clone(),
            status.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            match export::share_fragment(&entries, &*answers, &text) {
                Ok((fragment, left_out)) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_hash(&fragment);
                        let href = w.location().href().unwrap_or_default();
                        let _ = w.navigator().clipboard().write_text(&href);
                    }
                    let mut note = "Link copied — the inputs travel after the #, which is never sent to a server; passwords are masked.".to_owned();
                    if left_out > 0 {
                        note.push_str(&format!(
                            " {left_out} input(s) left out (private keys are never shared)."
                        ));
                    }
                    status.set(note);
                }
                Err(e) => status.set(e),
            }
        })
    };
    html! {
        <div class="export-bar" role="group" aria-label="Export">
            <span class="muted">{ "Download: " }</span>
            { link(Format::Json, "export-json", "JSON") }
            { " · " }
            { link(Format::Sarif, "export-sarif", "SARIF") }
            { " · " }
            { link(Format::Markdown, "export-md", "Markdown") }
            { " · " }
            <button type="button" class="link" id="share-link" onclick={on_share}>{ "Copy share link" }</button>
            <span id="share-status" class="muted" role="status">{ (*status).clone() }</span>
        </div>
    }
}
