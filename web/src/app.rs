//! The App: state, the ways in (drop, pick, paste), and the list of results.

use gloo::timers::callback::Interval;
use web_sys::File;
use yew::prelude::*;

use crate::browser;
use crate::components::{DropTarget, EntryView, InputBar};
use crate::state::{Action, State};

/// The dashboard.
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| State::new(browser::now()));

    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let tick = Interval::new(60_000, move || {
                dispatch.dispatch(Action::Tick(browser::now()))
            });
            move || drop(tick)
        });
    }

    let on_files = {
        let dispatch = state.dispatcher();
        Callback::from(move |files: Vec<File>| {
            for file in files {
                let dispatch = dispatch.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let name = file.name();
                    match browser::read_file(file).await {
                        Ok(bytes) => dispatch.dispatch(Action::Input { name, bytes }),
                        Err(error) => dispatch.dispatch(Action::ReadFailed { name, error }),
                    }
                });
            }
        })
    };
    let on_text = {
        let dispatch = state.dispatcher();
        Callback::from(move |text: String| {
            dispatch.dispatch(Action::Input {
                name: "pasted text".into(),
                bytes: text.into_bytes(),
            })
        })
    };
    let on_now = {
        let dispatch = state.dispatcher();
        Callback::from(move |t| dispatch.dispatch(Action::SetNow(t)))
    };
    let on_remove = {
        let dispatch = state.dispatcher();
        Callback::from(move |id| dispatch.dispatch(Action::Remove(id)))
    };
    let on_clear = {
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Clear))
    };

    html! {
        <DropTarget on_files={on_files.clone()}>
            <header class="topbar">
                <h1 class="brand">{ "tlscope" }</h1>
                <p class="tagline">{ "Drop certificates anywhere on this page. They are decoded in your browser; nothing is uploaded." }</p>
            </header>
            <main id="main">
                <InputBar {on_files} {on_text} now={state.now} now_pinned={state.now_pinned} {on_now} />
                if state.entries.is_empty() {
                    <section class="empty">
                        <p>{ "Drop a PEM or DER certificate, a chain, or a bundle — or paste one above." }</p>
                    </section>
                } else {
                    <div class="toolbar">
                        <span class="count">{ format!("{} inputs", state.entries.len()) }</span>
                        <button type="button" class="link" onclick={on_clear}>{ "Clear all" }</button>
                    </div>
                    <div class="results" aria-live="polite">
                        { for state.entries.iter().map(|entry| html! {
                            <EntryView key={entry.id} entry={entry.clone()} now={state.now} on_remove={on_remove.clone()} />
                        }) }
                    </div>
                }
            </main>
        </DropTarget>
    }
}
