//! The whole page is a drop target: files dropped anywhere are handed to `on_files`.

use web_sys::{DragEvent, File};
use yew::prelude::*;

use crate::browser::files_of;

/// Properties of [`DropTarget`].
#[derive(Properties, PartialEq)]
pub struct DropTargetProps {
    /// Called with the dropped files, in order.
    pub on_files: Callback<Vec<File>>,
    /// The page.
    pub children: Html,
}

/// Wraps the page; shows a hint while something is dragged over it.
#[component]
pub fn DropTarget(props: &DropTargetProps) -> Html {
    let dragging = use_state(|| false);
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Only when leaving the window, not when moving between children.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        let on_files = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let files = files_of(e.data_transfer().and_then(|dt| dt.files()));
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    html! {
        <div class={classes!("drop-target", dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            { props.children.clone() }
            if *dragging {
                <div class="drop-hint" aria-hidden="true">{ "Drop certificates to inspect them — nothing leaves your browser" }</div>
            }
        </div>
    }
}
