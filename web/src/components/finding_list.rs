//! The findings for one input, most severe first: symbol and word for severity (never colour
//! alone), the rule id, what was observed, and how to fix it.

use tlscope_core::{Finding, Location, Severity, Summary};
use yew::prelude::*;

/// Properties of [`FindingList`].
#[derive(Properties, PartialEq)]
pub struct FindingListProps {
    /// The findings, most severe first.
    pub findings: Vec<Finding>,
}

/// The findings panel with its severity summary.
#[component]
pub fn FindingList(props: &FindingListProps) -> Html {
    let summary = Summary::of(&props.findings);
    if props.findings.is_empty() {
        return html! {
            <div class="findings none" role="status">
                <span class="badge ok">{ "✔ No findings" }</span>
                <span class="muted">{ " under the default policy" }</span>
            </div>
        };
    }
    html! {
        <section class="findings" aria-label="Findings">
            <p class="summary" role="status">
                if summary.critical > 0 { <span class="badge critical">{ format!("✖ {} critical", summary.critical) }</span> }
                if summary.warning > 0 { <span class="badge warning">{ format!("⚠ {} warning", summary.warning) }</span> }
                if summary.info > 0 { <span class="badge info">{ format!("ℹ {} info", summary.info) }</span> }
            </p>
            <ul class="finding-list">
                { for props.findings.iter().map(finding) }
            </ul>
        </section>
    }
}

fn finding(f: &Finding) -> Html {
    let (class, symbol) = match f.severity {
        Severity::Critical => ("critical", "✖"),
        Severity::Warning => ("warning", "⚠"),
        Severity::Info => ("info", "ℹ"),
    };
    let place = match &f.location {
        Location::Certificate { name, .. } => name.clone(),
        other => other.to_string(),
    };
    html! {
        <li class={classes!("finding", class)} data-rule={f.rule}>
            <span class={classes!("badge", class)}>{ format!("{symbol} {}", f.severity.label()) }</span>
            <code class="rule-id">{ f.rule }</code>
            <strong class="finding-title">{ &*f.title }</strong>
            <span class="muted">{ format!(" — {place}") }</span>
            <p class="evidence">{ &f.evidence }</p>
            <p class="remediation"><span class="muted">{ "Fix: " }</span>{ &*f.remediation }</p>
            <p class="references muted">{ f.references.join(" · ") }</p>
        </li>
    }
}
