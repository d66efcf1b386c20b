//! Where the page shows the Live view: fetches the Live module (`tlscope-live.js`, see
//! `src/bin/tlscope-live.rs`) the first time, mounts it in an element of its own, hands it the
//! policy in force whenever it changes, and takes it down when the Live tab is left. The page
//! itself carries none of the agent's vocabulary.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

/// The Live module's script, beside the page's own files.
const SCRIPT: &str = "tlscope-live.js";

#[wasm_bindgen]
extern "C" {
    /// The Live module's initialiser: the global its classic script defines (it fetches the
    /// module's wasm from beside the script).
    #[wasm_bindgen(catch, js_name = wasm_bindgen)]
    fn live_init() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = wasm_bindgen, js_name = mount)]
    fn live_mount(root: &web_sys::Element, policy_text: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = wasm_bindgen, js_name = set_policy)]
    fn live_set_policy(policy_text: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = wasm_bindgen, js_name = unmount)]
    fn live_unmount() -> Result<(), JsValue>;
}

thread_local! {
    /// The module's loading, started once (again only after it failed).
    static LOADING: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// Resolves when the Live module is loaded and started; rejects with why it could not be.
fn loaded() -> Promise {
    LOADING.with(|slot| {
        slot.borrow_mut()
            .get_or_insert_with(|| {
                wasm_bindgen_futures::future_to_promise(async {
                    match load().await {
                        Ok(()) => Ok(JsValue::UNDEFINED),
                        Err(why) => {
                            LOADING.with(|slot| slot.borrow_mut().take());
                            Err(JsValue::from_str(&why))
                        }
                    }
                })
            })
            .clone()
    })
}

async fn load() -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let url = crate::browser::asset_url(SCRIPT);
    let script: web_sys::HtmlScriptElement = document
        .create_element("script")
        .map_err(|_| "cannot make a script element")?
        .dyn_into()
        .map_err(|_| "not a script element")?;
    script.set_src(&url);
    let arrived = Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    document
        .head()
        .ok_or("no head")?
        .append_child(&script)
        .map_err(|_| "cannot add the script")?;
    JsFuture::from(arrived)
        .await
        .map_err(|_| format!("could not load {url}"))?;
    let started = live_init().map_err(|e| {
        format!(
            "{url} did not define the Live module ({})",
            crate::browser::exception_text(&e)
        )
    })?;
    JsFuture::from(started).await.map_err(|e| {
        format!(
            "the Live module did not start ({})",
            crate::browser::exception_text(&e)
        )
    })?;
    Ok(())
}

/// Properties of [`LiveMount`].
#[derive(Properties, PartialEq)]
pub struct LiveMountProps {
    /// The text of the policy in force.
    pub policy_text: Rc<str>,
}

/// Where the Live module is shown, with what became of loading it.
#[component]
pub fn LiveMount(props: &LiveMountProps) -> Html {
    let root = use_node_ref();
    // None: loading; Some(Ok): shown; Some(Err): why not.
    let status = use_state(|| None::<Result<(), String>>);
    let policy = use_mut_ref(|| props.policy_text.clone());
    *policy.borrow_mut() = props.policy_text.clone();
    let mounted = use_memo((), |_| Rc::new(Cell::new(false)));
    {
        let (root, status, policy, mounted) = (
            root.clone(),
            status.clone(),
            policy.clone(),
            (*mounted).clone(),
        );
        use_effect_with((), move |_| {
            let alive = Rc::new(Cell::new(true));
            {
                let (alive, mounted) = (alive.clone(), mounted.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = match JsFuture::from(loaded()).await {
                        Err(why) => Err(why.as_string().unwrap_or_default()),
                        Ok(_) if !alive.get() => return,
                        Ok(_) => match root.cast::<web_sys::Element>() {
                            None => return,
                            Some(el) => live_mount(&el, &policy.borrow())
                                .map(|()| mounted.set(true))
                                .map_err(|e| {
                                    format!(
                                        "the Live module could not be shown ({})",
                                        crate::browser::exception_text(&e)
                                    )
                                }),
                        },
                    };
                    if alive.get() {
                        status.set(Some(outcome));
                    }
                });
            }
            move || {
                alive.set(false);
                if mounted.replace(false) {
                    let _ = live_unmount();
                }
            }
        });
    }
    {
        let mounted = (*mounted).clone();
        use_effect_with(props.policy_text.clone(), move |text| {
            if mounted.get() {
                let _ = live_set_policy(text);
            }
        });
    }
    html! {
        <>
            if let Some(Err(why)) = &*status {
                <p id="live-status" class="banner error failed" role="alert">{ format!("The Live view could not be loaded: {why}") }</p>
            } else if status.is_none() {
                <p class="muted" role="status">{ "Loading the Live view…" }</p>
            }
            <div id="live-root" ref={root}></div>
        </>
    }
}
