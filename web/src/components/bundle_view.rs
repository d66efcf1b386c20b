//! A large bundle's results, judged in the Web Worker: a progress bar while it works, then the
//! severity summary and findings, the chain verdict, and a table of every certificate (filter,
//! order by expiry or severity, pages of 100, a full card on demand, decoded from that one
//! certificate's DER).

use std::rc::Rc;

use tlscope_core::lifetime::LifetimeRules;
use tlscope_core::{Certificate, Severity, Timestamp};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::{CertificateCard, ChainView, FindingList};
use crate::bundle::{BundleReport, CertificateRow};
use crate::judge::PolicyShown;
use crate::state::BundleStatus;

/// Rows shown per page of the table.
const PAGE: usize = 100;

/// Properties of [`BundleView`].
#[derive(Properties, PartialEq)]
pub struct BundleViewProps {
    /// Where the worker has got to.
    pub status: BundleStatus,
    /// The page's current "as of" moment (the report says which one it was judged at).
    pub now: Timestamp,
    /// The page's current policy (the report says which one it was judged under).
    pub policy: Rc<PolicyShown>,
    /// Its text, to tell whether the report was judged under it.
    pub policy_source: Rc<str>,
    /// Judge again with the page's current policy, date and roots.
    pub on_rejudge: Callback<()>,
}

/// Progress, then the bundle's report.
#[component]
pub fn BundleView(props: &BundleViewProps) -> Html {
    match &props.status {
        BundleStatus::Working { stage, done, total } => progress(stage, *done, *total),
        BundleStatus::Ready(report) => html! {
            <BundleReportView report={report.clone()} now={props.now} policy={props.policy.clone()} policy_source={props.policy_source.clone()} on_rejudge={props.on_rejudge.clone()} />
        },
    }
}

fn progress(stage: &str, done: usize, total: usize) -> Html {
    let text = match (stage, total) {
        ("decoding", t) if t > 0 => format!("Decoding block {done} of {total}…"),
        ("judging", t) => format!("Judging {t} certificates…"),
        _ => "Starting the worker…".to_owned(),
    };
    html! {
        <div class="card bundle-progress" role="status" aria-live="polite">
            <label>
                <span class="progress-text">{ &text }</span>
                <progress max={total.max(1).to_string()} value={done.to_string()} aria-label={text.clone()} />
            </label>
            <p class="muted">{ "Large inputs are judged in a background worker; the page stays usable meanwhile." }</p>
        </div>
    }
}

/// The order of the certificate table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// As in the input.
    Input,
    /// Soonest expiry (or longest expired) first.
    Expiry,
    /// Most severe finding first, then most findings.
    Severity,
}

#[derive(Properties, PartialEq)]
struct BundleReportViewProps {
    report: Rc<BundleReport>,
    now: Timestamp,
    policy: Rc<PolicyShown>,
    policy_source: Rc<str>,
    on_rejudge: Callback<()>,
}

#[component]
fn BundleReportView(props: &BundleReportViewProps) -> Html {
    let filter = use_state(String::new);
    let shown = use_state(|| PAGE);
    let open = use_state(|| None::<usize>);
    let order = use_state(|| Order::Input);
    let r = &props.report;
    let needle = filter.to_lowercase();
    let mut matching: Vec<&CertificateRow> = r
        .certificates
        .iter()
        .filter(|c| {
            needle.is_empty()
                || c.name.to_lowercase().contains(&needle)
                || c.issuer.to_lowercase().contains(&needle)
        })
        .collect();
    match *order {
        Order::Input => {}
        Order::Expiry => matching.sort_by_key(|c| (c.days_left, c.index)),
        Order::Severity => matching.sort_by_key(|c| {
            (
                std::cmp::Reverse(c.worst),
                std::cmp::Reverse(c.findings),
                c.index,
            )
        }),
    }
    let on_order = {
        let order = order.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                order.set(match select.value().as_str() {
                    "expiry" => Order::Expiry,
                    "severity" => Order::Severity,
                    _ => Order::Input,
                });
            }
        })
    };
    let on_filter = {
        let filter = filter.clone();
        let shown = shown.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                filter.set(input.value());
                shown.set(PAGE);
            }
        })
    };
    let more = {
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| shown.set(*shown + PAGE))
    };
    let mut counts = vec![format!("{} certificates", r.certificates.len())];
    for (n, what) in [
        (r.requests, "CSRs"),
        (r.crls, "CRLs"),
        (r.private_keys, "private keys (discarded)"),
        (r.errors.len(), "blocks that did not decode"),
    ] {
        if n > 0 {
            counts.push(format!("{n} {what}"));
        }
    }
    let policy_changed = *r.policy != *props.policy_source;
    let stale = policy_changed || r.judged_at != props.now;
    html! {
        <section class="bundle" aria-label="Bundle">
            <p class="bundle-counts">
                { counts.join(" · ") }
                <span class="muted">{ format!(" · judged in a worker as of {} under the {} policy ", r.judged_at.to_rfc3339().get(..10).unwrap_or_default(), r.profile) }</span>
                <button type="button" class={classes!("link", stale.then_some("stale"))} onclick={props.on_rejudge.reform(|_| ())}>
                    { match (policy_changed, r.judged_at != props.now) {
                        (true, _) => "The policy changed: judge again",
                        (false, true) => "Judge again as of the page's date",
                        (false, false) => "Judge again",
                    } }
                </button>
            </p>
            <FindingList findings={r.inspection.findings.clone()} />
            if let Some(report) = r.inspection.chain.clone() {
                <ChainView {report} />
            }
            { for r.errors.iter().map(|e| html! { <p class="card error" role="alert">{ e }</p> }) }
            <div class="bundle-table card">
                <label class="bundle-filter">
                    { "Filter " }
                    <input type="search" placeholder="name or issuer" value={(*filter).clone()} oninput={on_filter} />
                </label>
                <label class="bundle-order">
                    { " Order " }
                    <select onchange={on_order}>
                        <option value="input" selected={*order == Order::Input}>{ "as in the input" }</option>
                        <option value="expiry" selected={*order == Order::Expiry}>{ "soonest expiry first" }</option>
                        <option value="severity" selected={*order == Order::Severity}>{ "worst findings first" }</option>
                    </select>
                </label>
                <span class="muted">{ format!(" {} of {} shown", matching.len().min(*shown), matching.len()) }</span>
                <table>
                    <thead><tr>
                        <th scope="col">{ "#" }</th><th scope="col">{ "Certificate" }</th><th scope="col">{ "Issuer" }</th>
                        <th scope="col">{ "Expires" }</th><th scope="col">{ "Key" }</th><th scope="col">{ "Findings" }</th><th scope="col"></th>
                    </tr></thead>
                    <tbody>
                        { for matching.iter().take(*shown).map(|c| row(c, &open)) }
                    </tbody>
                </table>
                if matching.len() > *shown {
                    <button type="button" class="button secondary show-more" onclick={more}>
                        { format!("Show {} more", PAGE.min(matching.len() - *shown)) }
                    </button>
                }
            </div>
            if let Some(card) = (*open).and_then(|i| r.certificates.get(i)).and_then(|c| details(r, c, props.now, props.policy.lifetimes)) {
                { card }
            }
        </section>
    }
}

fn row(c: &CertificateRow, open: &UseStateHandle<Option<usize>>) -> Html {
    let index = c.index;
    let (class, mark) = match c.worst {
        Some(Severity::Critical) => ("critical", "✖ critical"),
        Some(Severity::Warning) => ("warning", "⚠ warning"),
        Some(Severity::Info) => ("info", "ℹ info"),
        None => ("ok", "✔ none"),
    };
    let expires = if c.days_left < 0 {
        format!("expired {} d ago", -c.days_left)
    } else {
        format!("{} d", c.days_left)
    };
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| {
            open.set(if *open == Some(index) {
                None
            } else {
                Some(index)
            })
        })
    };
    html! {
        <tr class={classes!("bundle-row", (c.days_left < 0).then_some("expired"))}>
            <td>{ c.index }</td>
            <td class="mono">{ &c.name }{ if c.is_ca { " (CA)" } else { "" } }</td>
            <td class="mono muted">{ &c.issuer }</td>
            <td>{ c.not_after.to_rfc3339().get(..10).unwrap_or_default().to_owned() }<span class="muted">{ format!(" · {expires}") }</span></td>
            <td>{ &c.key }</td>
            <td><span class={classes!("badge", class)}>{ mark }</span>{ if c.findings > 1 { format!(" ×{}", c.findings) } else { String::new() } }</td>
            <td><button type="button" class="link" aria-expanded={(**open == Some(index)).to_string()} onclick={toggle}
                aria-label={format!("Details of certificate {}", c.index)}>{ "Details" }</button></td>
        </tr>
    }
}

/// The full card of one row's certificate, decoded from its DER alone.
fn details(
    report: &BundleReport,
    c: &CertificateRow,
    now: Timestamp,
    rules: LifetimeRules,
) -> Option<Html> {
    let certificate = Certificate::from_der(report.der(c)?).ok()?;
    Some(html! { <CertificateCard {certificate} {now} {rules} line={c.line} /> })
}
