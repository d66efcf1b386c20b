//! The Mozilla root set, fetched once when the page starts ([`crate::trust::load_mozilla`]):
//! chains are judged only once it is there, or, when it cannot be had, against the roots the
//! person trusts, with the reason shown.

use std::rc::Rc;

use yew::prelude::*;

/// Where the Mozilla set has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootSet {
    /// Being fetched.
    Loading,
    /// Installed: this many anchors.
    Ready(usize),
    /// Not to be had; why.
    Failed(Rc<str>),
}

impl RootSet {
    /// How tests and styles see it (`data-roots` on the page's main element).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::Ready(_) => "ready",
            Self::Failed(_) => "failed",
        }
    }
}

/// Starts fetching the Mozilla set when the component mounts; re-renders when it is in.
#[hook]
pub fn use_mozilla_roots() -> RootSet {
    let roots = use_state(|| RootSet::Loading);
    {
        let roots = roots.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                roots.set(match crate::trust::load_mozilla().await {
                    Ok(count) => RootSet::Ready(count),
                    Err(e) => RootSet::Failed(Rc::from(e)),
                });
            });
        });
    }
    (*roots).clone()
}
