//! Everything one input produced: certificates, key notices and errors, in input order.

use std::rc::Rc;

use tlscope_core::judge::Inspection;
use tlscope_core::{Item, Location, Timestamp};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{
    Asn1View, BundleView, CertificateCard, ChainView, ErrorCard, FindingList, LintView, SourceView,
};
use crate::hooks::use_answer;
use crate::judge::{Answer, PolicyShown, Roots};
use crate::state::{Checks, Entry, Outcome};
use crate::trust;

/// Properties of [`EntryView`].
#[derive(Properties, PartialEq)]
pub struct EntryViewProps {
    /// The input.
    pub entry: Entry,
    /// The moment validity is judged at.
    pub now: Timestamp,
    /// The policy to judge under, as the page shows it.
    pub policy: Rc<PolicyShown>,
    /// Its text, as the judging worker reads it.
    pub policy_text: Rc<str>,
    /// What chains are validated against.
    pub roots: Rc<Roots>,
    /// Remove this input.
    pub on_remove: Callback<usize>,
    /// Check this input for a host name: (id, host).
    pub on_host: Callback<(usize, String)>,
    /// Check this input's chain this way: (id, checks).
    pub on_checks: Callback<(usize, Checks)>,
    /// Trust this input's CA certificates as roots: (id, trusted).
    pub on_trust: Callback<(usize, bool)>,
    /// Judge this (large) input again in the worker.
    pub on_rejudge: Callback<usize>,
}

/// One input's results.
#[component]
pub fn EntryView(props: &EntryViewProps) -> Html {
    let entry = &props.entry;
    let id = entry.id;
    // Judged in the worker, asked again only when the input, its checks, the roots, the
    // policy or the judgement time change.
    let answer = use_answer(
        (
            entry.clone(),
            props.now,
            props.policy_text.clone(),
            props.roots.clone(),
        ),
        |(entry, now, policy, roots)| match &entry.outcome {
            Outcome::Pki(_) => crate::questions::about(entry, roots, policy, *now),
            _ => None,
        },
    );
    let inspection = match answer.as_deref() {
        Some(Answer::Inspected(i)) => Some(&**i),
        _ => None,
    };
    let body = match &entry.outcome {
        Outcome::Failed(message) => {
            html! { <ErrorCard source={entry.name.clone()} message={message.clone()} /> }
        }
        Outcome::Bundle(status) => html! {
            <BundleView status={status.clone()} now={props.now} policy={props.policy.clone()} policy_source={props.policy_text.clone()} on_rejudge={props.on_rejudge.reform(move |_| id)} />
        },
        Outcome::Source(status) => html! {
            <SourceView name={entry.name.clone()} status={status.clone()} policy={props.policy_text.clone()} />
        },
        Outcome::Text(text) => html! {
            <LintView name={entry.name.clone()} text={std::rc::Rc::<str>::from(text.as_str())} policy={props.policy_text.clone()} now={props.now} />
        },
        Outcome::Pki(decoded) => {
            let findings = inspection.map(|i| i.findings.clone()).unwrap_or_default();
            let chain = inspection.and_then(|i| i.chain.clone());
            // The leaf's SCTs as the inspection verified them; other cards decode their own.
            let leaf_scts = inspection.map(|i| i.scts.clone());
            let leaf_der = {
                let ders: Vec<Vec<u8>> = decoded.certificates().map(|c| c.der.clone()).collect();
                (!ders.is_empty()).then(|| ders[tlscope_core::chain::leaf_index(&ders)].clone())
            };
            html! {
            <>
                { match answer.as_deref() {
                    None => html! { <p class="muted judging" role="status">{ "Judging…" }</p> },
                    Some(Answer::Failed(why)) => html! { <ErrorCard source={entry.name.clone()} message={why.clone()} /> },
                    Some(_) => html! { <FindingList {findings} /> },
                } }
                if let Some(report) = chain {
                    <ChainView {report} />
                }
                { for decoded.items.iter().map(|item| match item {
                    Item::Certificate { certificate, source } => html! {
                        <CertificateCard certificate={(**certificate).clone()} now={props.now} rules={props.policy.lifetimes} line={source.line}
                            scts={leaf_scts.clone().filter(|_| leaf_der.as_ref() == Some(&certificate.der))} />
                    },
                    Item::PrivateKey { format, encrypted, source, algorithm, bits } => html! {
                        <div class="card warning key-notice" role="status">
                            <span class="badge warning">{ "⚠ Private key" }</span>
                            <p>{ format!("{}{}{format} private key at line {} — recognised and discarded. Key material is never shown, stored or sent.",
                                if *encrypted { "Encrypted " } else { "" },
                                match (algorithm, bits) {
                                    (Some(a), Some(b)) => format!("{a} {b}-bit "),
                                    (Some(a), None) => format!("{a} "),
                                    _ => String::new(),
                                },
                                source.line.unwrap_or(1)) }</p>
                        </div>
                    },
                    Item::Request { request, source } => html! {
                        <section class="card request" aria-label="Certificate signing request">
                            <header class="card-header">
                                <h3>{ request.subject.rfc4514.clone() }</h3>
                                <span class="badge kind">{ "CSR" }</span>
                                { csr_badge(inspection, source.line.unwrap_or(1)) }
                            </header>
                            <dl class="fields">
                                <dt>{ "Public key" }</dt><dd>{ format!("{} {}", request.public_key.algorithm,
                                    request.public_key.curve.clone().unwrap_or_else(|| format!("{} bits", request.public_key.bits))) }</dd>
                                <dt>{ "Requested names" }</dt><dd class="mono">{ request.subject_alt_names.iter().map(|n| {
                                    let (k, v) = super::certificate_card::san_parts(n);
                                    format!("{k}:{v}")
                                }).collect::<Vec<_>>().join(", ") }</dd>
                                <dt>{ "Signature" }</dt><dd>{ &request.signature_algorithm }</dd>
                                <dt>{ "Line" }</dt><dd>{ source.line.unwrap_or(1) }</dd>
                            </dl>
                        </section>
                    },
                    Item::RevocationList { crl, .. } => html! {
                        <section class="card crl" aria-label="Certificate revocation list">
                            <header class="card-header">
                                <h3>{ crl.issuer.rfc4514.clone() }</h3>
                                <span class="badge kind">{ "CRL" }</span>
                                <span class="badge">{ format!("{} revoked", crl.revoked_count) }</span>
                            </header>
                            <dl class="fields">
                                <dt>{ "This update" }</dt><dd class="mono">{ crl.this_update.to_rfc3339() }</dd>
                                <dt>{ "Next update" }</dt><dd class="mono">{ crl.next_update.map(|t| t.to_rfc3339()).unwrap_or_else(|| "none".into()) }</dd>
                                <dt>{ "CRL number" }</dt><dd class="mono">{ crl.number.clone().unwrap_or_else(|| "none".into()) }</dd>
                            </dl>
                            <Asn1View der={crl.der.clone()} />
                        </section>
                    },
                    _ => html! {},
                }) }
                { for decoded.errors.iter().map(|e| html! { <ErrorCard source={entry.name.clone()} message={e.to_string()} /> }) }
            </>
            }
        }
    };
    html! {
        <article class="entry" aria-label={entry.name.clone()}>
            <header class="entry-header">
                <h2 class="entry-name">{ &entry.name }</h2>
                if matches!(entry.outcome, Outcome::Pki(_) | Outcome::Bundle(_)) {
                    { entry_controls(entry, &props.on_host, &props.on_checks, &props.on_trust) }
                }
                <button type="button" class="link" aria-label={format!("Remove {}", entry.name)}
                    onclick={props.on_remove.reform(move |_| id)}>{ "Remove" }</button>
            </header>
            { body }
        </article>
    }
}

/// Whether the CSR at `line` is signed by its own key, as the judging worker found
/// (CSR-SIGNATURE-INVALID at its line); the page decodes requests without checking them.
fn csr_badge(inspection: Option<&Inspection>, line: usize) -> Html {
    let Some(inspection) = inspection else {
        return html! { <span class="badge">{ "Checking the signature…" }</span> };
    };
    let invalid = inspection
        .findings
        .iter()
        .find(|f| f.rule == "CSR-SIGNATURE-INVALID" && f.location == Location::Line { line });
    match invalid {
        None => html! { <span class="badge ok">{ "✔ Signed by its own key" }</span> },
        Some(f) => {
            html! { <span class="badge critical" title={f.evidence.clone()}>{ "✖ Signature invalid" }</span> }
        }
    }
}

/// The host name the chain is checked for and, for a CA, "trust as root".
fn entry_controls(
    entry: &Entry,
    on_host: &Callback<(usize, String)>,
    on_checks: &Callback<(usize, Checks)>,
    on_trust: &Callback<(usize, bool)>,
) -> Html {
    let id = entry.id;
    let checks = entry.checks;
    let onpurpose = on_checks.reform(move |e: Event| {
        let client = e
            .target_dyn_into::<web_sys::HtmlSelectElement>()
            .is_some_and(|s| s.value() == "client");
        (id, Checks { client, ..checks })
    });
    let onstrict = on_checks.reform(move |e: Event| {
        let strict_cn = e
            .target_dyn_into::<HtmlInputElement>()
            .is_some_and(|i| i.checked());
        (
            id,
            Checks {
                strict_cn,
                ..checks
            },
        )
    });
    let onchange = on_host.reform(move |e: Event| {
        let host = e
            .target_dyn_into::<HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default();
        (id, host)
    });
    let ontrust = on_trust.reform(move |e: Event| {
        let checked = e
            .target_dyn_into::<HtmlInputElement>()
            .is_some_and(|i| i.checked());
        (id, checked)
    });
    let has_leaf = match &entry.outcome {
        Outcome::Pki(d) => d.certificates().any(|c| !c.is_ca),
        Outcome::Bundle(_) => true,
        _ => false,
    };
    html! {
        <div class="entry-controls">
            if has_leaf {
            <label class="host-check">
                { "Host names " }
                <input type="text" class="host-input" placeholder="e.g. www.example.com, 192.0.2.7 or ops@example.com" spellcheck="false"
                    value={entry.host.clone().unwrap_or_default()} {onchange}
                    aria-label={format!("Host name to check {} for", entry.name)} />
            </label>
            <label class="purpose-check">
                { "As " }
                <select class="purpose-input" onchange={onpurpose}
                    aria-label={format!("What the leaf of {} is for", entry.name)}>
                    <option value="server" selected={!checks.client}>{ "TLS server" }</option>
                    <option value="client" selected={checks.client}>{ "TLS client (mTLS)" }</option>
                </select>
            </label>
            <label class="strict-cn" title="Refuse a subject CN that is none of the SANs (CABF BR 7.1.4.3); clients ignore the CN, so by default it is a warning">
                <input type="checkbox" class="strict-cn-input" checked={checks.strict_cn} onchange={onstrict} />
                { " Strict CN" }
            </label>
            }
            if trust::can_be_trusted(entry) {
                <label class="trust-root">
                    <input type="checkbox" checked={entry.trusted} onchange={ontrust} />
                    { " Trust as root" }
                </label>
            }
        </div>
    }
}
