//! A share link: the inputs and the policy a page was opened with arrive in its URL fragment
//! (never sent to a server); once, when the page starts, they are fed in like a drop.

use yew::prelude::*;

use crate::state::{Action, State};

/// Reads the fragment once: the policy goes to `dispatch`, each input to `ingest`.
#[hook]
pub fn use_share_link(dispatch: UseReducerDispatcher<State>, ingest: Callback<(String, Vec<u8>)>) {
    use_effect_with((), move |_| {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        if let Some((inputs, policy)) = crate::export::parse_fragment(&hash) {
            if let Some(text) = policy {
                dispatch.dispatch(Action::EditPolicy(text));
            }
            for (name, bytes) in inputs {
                ingest.emit((name, bytes));
            }
        }
    });
}
