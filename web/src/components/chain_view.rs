//! The chain diagram: every path tried from the leaf to a trust anchor, with a verdict per
//! path and the problems of each.

use tlscope_core::chain::{ChainReport, PathReport};
use tlscope_core::rules::Severity;
use yew::prelude::*;

/// Properties of [`ChainView`].
#[derive(Properties, PartialEq)]
pub struct ChainViewProps {
    /// The verdict.
    pub report: ChainReport,
}

/// The chain section of an entry.
#[component]
pub fn ChainView(props: &ChainViewProps) -> Html {
    let r = &props.report;
    let (class, verdict) = if r.valid {
        ("ok", "✔ Chain valid")
    } else {
        ("critical", "✖ Chain invalid")
    };
    html! {
        <section class="card chain" aria-label="Certificate chain">
            <header class="card-header">
                <h3>{ "Chain" }</h3>
                <span class={classes!("badge", class, "chain-verdict")}>{ verdict }</span>
                <span class="muted">{ format!("{} path(s) tried", r.paths.len()) }</span>
            </header>
            <ol class="paths">{ for r.paths.iter().enumerate().map(|(i, p)| path(i, p)) }</ol>
        </section>
    }
}

fn path(index: usize, p: &PathReport) -> Html {
    let (class, mark) = if p.valid {
        ("ok", "✔ valid")
    } else if p.anchored {
        ("critical", "✖ invalid")
    } else {
        ("critical", "✖ no trusted root")
    };
    let critical = p
        .problems
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    html! {
        <li class={classes!("path", class)} data-valid={p.valid.to_string()}>
            <div class="path-head">
                <span class={classes!("badge", class)}>{ mark }</span>
                <span>{ format!("Path {}", index + 1) }</span>
                if critical > 0 { <span class="muted">{ format!(" — {critical} problem(s)") }</span> }
            </div>
            <ol class="links">
                { for p.links.iter().map(|l| html! {
                    <li class={classes!("hop", l.anchor.map(|_| "anchor"))}>
                        <span class="hop-name">{ &l.name }</span>
                        if l.anchor.is_some() { <span class="badge small ok">{ "trusted root" }</span> }
                        else if let Some(i) = l.input_index { <span class="muted">{ format!(" #{i}") }</span> }
                    </li>
                }) }
            </ol>
            if !p.problems.is_empty() {
                <ul class="path-problems">
                    { for p.problems.iter().map(|f| html! {
                        <li data-rule={f.rule}>
                            <strong>{ f.rule }</strong>{ format!(" — {}", f.evidence) }
                        </li>
                    }) }
                </ul>
            }
        </li>
    }
}
