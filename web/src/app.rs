//! The App: state, the ways in (drop, pick, paste), and the list of results; its workers, clock
//! and share link are hooks (`crate::hooks`).

use std::rc::Rc;

use web_sys::File;
use yew::prelude::*;

use crate::browser;
use crate::bundle;
use crate::components::{
    DropTarget, EntryView, ExportBar, InputBar, LinksView, LiveMount, PolicyView,
};
use crate::hooks::{Judge, RootSet, use_clock, use_mozilla_roots, use_share_link, use_workers};
use crate::judge::{Answer, Question};
use crate::source::{self, SourceJob};
use crate::state::{Action, State, View, fresh_id};

/// The dashboard.
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| State::new(browser::now(), browser::load_policy()));
    let workers = use_workers(state.dispatcher());
    let roots = use_mozilla_roots();
    // Every judgement is made in this worker (see `crate::judge`); it starts loading once the
    // page has rendered.
    let judge = use_memo((), |_| Judge::default());
    {
        let judge = judge.clone();
        use_effect_with((), move |_| judge.begin());
    }
    // Once the page has done its own start-up (the root set is in), a bundle worker loads in
    // the background, so the first large drop does not wait for it.
    {
        let workers = workers.clone();
        let state = state.clone();
        let judge = judge.clone();
        use_effect_with(roots.clone(), move |roots| {
            if *roots != RootSet::Loading {
                let job = state.bundle_job(None);
                // The judging worker gets the Mozilla set (and the policy) before any question
                // that needs it.
                match crate::offload::primer(&job) {
                    Ok(primer) => judge.post(primer.into()),
                    Err(e) => {
                        gloo::console::warn!(format!("the judging worker was not primed: {e}"))
                    }
                }
                workers.warm(&job);
            }
        });
    }

    // Every input arrives here: source files and large bundles go to a worker, the rest are
    // judged in place.
    let ingest = {
        let state = state.clone();
        let workers = workers.clone();
        Callback::from(move |(name, bytes): (String, Vec<u8>)| {
            // Source code is read by the source worker, which alone carries the parsers.
            if source::readable(&name).is_some() {
                let id = fresh_id();
                let job = SourceJob {
                    name: name.clone(),
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                };
                if workers.read(id, &job) {
                    state.dispatch(Action::SourceOffloaded {
                        id,
                        name,
                        source: Rc::from(bytes),
                    });
                    return;
                }
            }
            if bundle::wants_worker(&bytes) {
                let id = fresh_id();
                let job = state.bundle_job(None);
                if workers.start(id, &bytes, &job) {
                    state.dispatch(Action::Offloaded {
                        id,
                        name,
                        source: Rc::from(bytes),
                    });
                    return;
                }
            }
            state.dispatch(Action::Input { name, bytes });
        })
    };
    // The editor's text is read by the judging worker; what it makes of it comes back as an
    // action (a text already in force is not asked about).
    {
        let (judge, dispatch) = (judge.clone(), state.dispatcher());
        use_effect_with(
            (state.policy_text.clone(), state.policy_source.clone()),
            move |(text, source)| {
                if **source != **text {
                    let question = Question::Policy { text: text.clone() };
                    let text = text.clone();
                    let reply = Callback::from(move |answer: Rc<Answer>| {
                        let policy = match &*answer {
                            Answer::Policy(Ok(p)) => Ok(Rc::new(p.clone())),
                            Answer::Policy(Err(e)) | Answer::Failed(e) => Err(e.clone()),
                            _ => Err("the judging worker answered something else".into()),
                        };
                        dispatch.dispatch(Action::PolicyRead {
                            text: text.clone(),
                            policy,
                        });
                    });
                    judge.ask(&question, reply);
                }
            },
        );
    }
    use_clock(state.dispatcher());
    // The moment the page is usable (its drop target is on screen), for `cargo xtask bench`.
    use_effect_with((), |_| browser::mark(browser::FIRST_RENDER_MARK));
    use_share_link(state.dispatcher(), ingest.clone());

    let on_files = {
        let dispatch = state.dispatcher();
        let ingest = ingest.clone();
        Callback::from(move |files: Vec<File>| {
            for file in files {
                let dispatch = dispatch.clone();
                let ingest = ingest.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let name = file.name();
                    match browser::read_file(file).await {
                        Ok(bytes) => ingest.emit((name, bytes)),
                        Err(error) => dispatch.dispatch(Action::ReadFailed { name, error }),
                    }
                });
            }
        })
    };
    let on_text = ingest.reform(|text: String| ("pasted text".to_owned(), text.into_bytes()));
    // The callbacks each result gets are made once (`use_callback` with no dependencies), so a
    // change elsewhere (a worker's progress, a new input) does not re-render every result: those
    // that read the state read the latest one here.
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();
    // Judges a large entry again in a new worker, for `host` (`None`: the entry's own).
    let rejudge = {
        let (latest, workers) = (latest.clone(), workers.clone());
        use_callback((), move |(id, host): (usize, Option<String>), _| {
            let state = latest.borrow().clone();
            let Some(entry) = state.entries.iter().find(|e| e.id == id) else {
                return;
            };
            let host = host
                .or_else(|| entry.host.clone())
                .filter(|h| !h.is_empty());
            let job = state.bundle_job(host);
            if workers.start(id, &entry.source, &job) {
                state.dispatch(Action::Rejudge(id));
            }
        })
    };
    let on_rejudge = {
        let rejudge = rejudge.clone();
        use_callback((), move |id, _| rejudge.emit((id, None)))
    };
    let on_now = {
        let dispatch = state.dispatcher();
        Callback::from(move |t| dispatch.dispatch(Action::SetNow(t)))
    };
    let on_remove = {
        let (dispatch, workers) = (state.dispatcher(), workers.clone());
        use_callback((), move |id, _| {
            workers.stop(id);
            dispatch.dispatch(Action::Remove(id))
        })
    };
    let on_edit_policy = {
        let dispatch = state.dispatcher();
        Callback::from(move |text: String| {
            browser::save_policy(&text);
            dispatch.dispatch(Action::EditPolicy(text))
        })
    };
    let on_host = {
        let latest = latest.clone();
        use_callback((), move |(id, host): (usize, String), _| {
            let state = latest.borrow().clone();
            let bundle = state
                .entries
                .iter()
                .any(|e| e.id == id && matches!(e.outcome, crate::state::Outcome::Bundle(_)));
            state.dispatch(Action::SetHost {
                id,
                host: host.clone(),
            });
            if bundle {
                rejudge.emit((id, Some(host.trim().to_owned())));
            }
        })
    };
    let on_checks = {
        let dispatch = state.dispatcher();
        use_callback((), move |(id, checks), _| {
            dispatch.dispatch(Action::SetChecks { id, checks })
        })
    };
    let on_trust = {
        let dispatch = state.dispatcher();
        use_callback((), move |(id, trusted), _| {
            dispatch.dispatch(Action::SetTrusted { id, trusted })
        })
    };
    let on_samples = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::LoadSamples))
    };
    // Mozilla plus the roots the person trusts; rebuilt only when that choice changes.
    let trusted_ids: Vec<usize> = state
        .entries
        .iter()
        .filter(|e| e.trusted)
        .map(|e| e.id)
        .collect();
    let chain_roots = {
        let state = state.clone();
        use_memo((trusted_ids, roots.clone()), move |(_, roots)| {
            crate::questions::roots(&state.entries, matches!(roots, RootSet::Ready(_)))
        })
    };
    let tab = |view: View, label: &'static str| {
        let dispatch = state.dispatcher();
        let count = state
            .entries
            .iter()
            .filter(|e| match view {
                View::Inspect => !e.is_lint(),
                View::Lint => e.is_lint(),
                View::Policy | View::Live => false,
            })
            .count();
        let current = state.view == view;
        html! {
            <button type="button" role="tab" class={classes!("tab", current.then_some("current"))}
                aria-selected={current.to_string()} id={format!("tab-{}", label.to_lowercase())}
                onclick={Callback::from(move |_| dispatch.dispatch(Action::Show(view)))}>
                { label }
                if count > 0 { <span class="tab-count">{ format!(" ({count})") }</span> }
            </button>
        }
    };
    let shown: Vec<_> = state
        .entries
        .iter()
        .filter(|e| match state.view {
            View::Inspect => !e.is_lint(),
            View::Lint => e.is_lint(),
            View::Policy | View::Live => false,
        })
        .collect();
    let on_clear = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            workers.stop_all();
            dispatch.dispatch(Action::Clear)
        })
    };

    html! {
        <ContextProvider<Judge> context={(*judge).clone()}>
        <DropTarget on_files={on_files.clone()}>
            <header class="topbar">
                <h1 class="brand">{ "tlscope" }</h1>
                <p class="tagline">{ "Drop certificates, configs or connection strings anywhere on this page. They are judged in your browser; nothing is uploaded." }</p>
                <nav class="tabs" role="tablist" aria-label="Views">
                    { tab(View::Inspect, "Inspect") }
                    { tab(View::Lint, "Lint") }
                    { tab(View::Policy, "Policy") }
                    { tab(View::Live, "Live") }
                </nav>
            </header>
            <main id="main" data-roots={roots.label()}>
                if let RootSet::Failed(why) = &roots {
                    <p class="banner error" role="alert">{ format!("The Mozilla root set could not be loaded ({why}); chains are judged against the roots you trust only.") }</p>
                }
                if state.view == View::Live {
                    <LiveMount policy_text={state.policy_source.clone()} />
                } else if state.view == View::Policy {
                    <PolicyView text={state.policy_text.clone()} status={state.policy_status.clone()}
                        policy={state.policy.clone()} on_edit={on_edit_policy} />
                } else {
                    <InputBar {on_files} {on_text} now={state.now} now_pinned={state.now_pinned} {on_now} />
                    if shown.is_empty() {
                        <section class="empty">
                            if state.view == View::Lint {
                                <p>{ "Drop or paste an nginx config, postgresql.conf, pg_hba.conf, my.cnf, redis.conf, a Kubernetes manifest (Istio, cert-manager) or connection strings — one per line, .env style works too." }</p>
                            } else {
                                <p>{ "Drop a PEM or DER certificate, a chain, or a bundle — or paste one above." }</p>
                            }
                            <p>
                                <button type="button" class="button secondary" id="try-samples" onclick={on_samples.clone()}>{ "Try the samples" }</button>
                                <span class="muted">{ " a good chain, an expired leaf, a wrong host, a SHA-1 intermediate and a risky connection string, judged as of 2026-06-01" }</span>
                            </p>
                        </section>
                    } else {
                        <div class="toolbar">
                            <span class="count">{ format!("{} inputs · policy: {}", shown.len(), state.policy.profile) }</span>
                            <span>
                                <button type="button" class="link" onclick={on_samples}>{ "Add the samples" }</button>
                                <button type="button" class="link" onclick={on_clear}>{ "Clear all" }</button>
                            </span>
                        </div>
                        <ExportBar entries={Rc::new(state.entries.clone())} policy={state.policy.clone()}
                            policy_text={AttrValue::from(state.policy_text.clone())} policy_source={state.policy_source.clone()}
                            roots={chain_roots.clone()} now={state.now} />
                        if state.view == View::Lint {
                            <LinksView entries={Rc::new(state.entries.clone())} policy={state.policy_source.clone()} now={state.now} />
                        }
                        <div class="results" aria-live="polite">
                            if roots == RootSet::Loading {
                                <p class="muted">{ "Loading the Mozilla root set…" }</p>
                            } else {
                            { for shown.iter().map(|entry| html! {
                                <EntryView key={entry.id} entry={(*entry).clone()} now={state.now} policy={state.policy.clone()}
                                    policy_text={state.policy_source.clone()} roots={chain_roots.clone()} on_remove={on_remove.clone()} on_host={on_host.clone()} on_checks={on_checks.clone()} on_trust={on_trust.clone()} on_rejudge={on_rejudge.clone()} />
                            }) }
                            }
                        </div>
                    }
                }
            </main>
        </DropTarget>
        </ContextProvider<Judge>>
    }
}
