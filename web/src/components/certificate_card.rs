//! One certificate's details: names, validity with days left, its lifetime bar (renewal
//! window, alert bands, the public maximum for its issue date), how it can be revoked, key and
//! signature by name and size (post-quantum ones too), embedded SCTs, fingerprints and pins,
//! and its extensions.

use tlscope_core::certificate::ExtensionValue;
use tlscope_core::judge::ExpiryBand;
use tlscope_core::lifetime::LifetimeRules;
use tlscope_core::transparency::{Sct, SctStatus};
use tlscope_core::{Certificate, SubjectAltName, Timestamp};
use yew::prelude::*;

use super::{Asn1View, CopyButton};

/// Properties of [`CertificateCard`].
#[derive(Properties, PartialEq)]
pub struct CertificateCardProps {
    /// The certificate.
    pub certificate: Certificate,
    /// The moment validity is judged at.
    pub now: Timestamp,
    /// What the policy judges lifetimes by: the expiry badge's alert bands, the lifetime bar.
    pub rules: LifetimeRules,
    /// The PEM line it came from, if any.
    #[prop_or_default]
    pub line: Option<usize>,
    /// Its SCTs as the inspection checked them (the leaf's); otherwise they are decoded here
    /// and shown unverified.
    #[prop_or_default]
    pub scts: Option<Vec<Sct>>,
}

/// The certificate card.
#[component]
pub fn CertificateCard(props: &CertificateCardProps) -> Html {
    let c = &props.certificate;
    let days = c.validity.days_left(props.now);
    let (status_class, status_text) = match ExpiryBand::of(c, &props.rules.alerts, props.now) {
        ExpiryBand::Expired => ("critical", format!("✖ Expired {} days ago", -days)),
        ExpiryBand::NotYetValid => ("critical", "✖ Not yet valid".to_owned()),
        ExpiryBand::Critical => ("critical", format!("✖ Expires in {days} days")),
        ExpiryBand::Warning => ("warning", format!("⚠ Expires in {days} days")),
        ExpiryBand::Ok => ("ok", format!("✔ Valid, {days} days left")),
    };
    let key = c.public_key.describe();
    // Decoded once per certificate, not on every render.
    let scts = use_memo((c.der.clone(), props.scts.clone()), |(der, checked)| {
        checked
            .clone()
            .unwrap_or_else(|| tlscope_core::transparency::embedded(der))
    });
    let kind = if c.is_ca {
        if c.self_issued {
            "Root CA"
        } else {
            "Intermediate CA"
        }
    } else {
        "Leaf"
    };
    html! {
        <section class="card certificate" aria-label={format!("Certificate {}", c.display_name())}>
            <header class="card-header">
                <h3 class="cert-title">{ c.display_name() }</h3>
                <span class="badge kind">{ kind }</span>
                <span class={classes!("badge", status_class, "cert-status")}>{ status_text }</span>
            </header>
            <dl class="fields">
                <dt>{ "Subject" }</dt><dd class="cert-subject mono">{ &c.subject.rfc4514 }</dd>
                <dt>{ "Issuer" }</dt><dd class="cert-issuer mono">{ &c.issuer.rfc4514 }</dd>
                <dt>{ "Subject alt names" }</dt>
                <dd class="cert-sans">
                    if c.subject_alt_names.is_empty() && c.is_ca {
                        <span class="muted">{ "none (a CA does not need any)" }</span>
                    } else if c.subject_alt_names.is_empty() {
                        <span class="muted">{ "none — clients that follow RFC 6125 will reject this for any host name" }</span>
                    } else {
                        <ul class="chips">{ for c.subject_alt_names.iter().map(san_chip) }</ul>
                    }
                </dd>
                <dt>{ "Not before" }</dt><dd class="cert-not-before mono">{ c.validity.not_before.to_rfc3339() }</dd>
                <dt>{ "Not after" }</dt><dd class="cert-not-after mono">{ c.validity.not_after.to_rfc3339() }</dd>
                <dt>{ "Days left" }</dt><dd class="cert-days-left">{ days }</dd>
                <dt>{ "Lifetime" }</dt><dd class="cert-lifetime">{ lifetime_bar(c, &props.rules, props.now) }</dd>
                <dt>{ "Revocation" }</dt><dd class="cert-revocation">{ revocation_text(c, &props.rules) }</dd>
                <dt>{ "Serial" }</dt><dd class="cert-serial mono">{ &c.serial }</dd>
                <dt>{ "Public key" }</dt><dd class="cert-key">{ key }</dd>
                <dt>{ "Signature" }</dt><dd class="cert-signature">{ format!("{} ({} bytes)", c.signature_algorithm, c.signature_bytes) }</dd>
                if !scts.is_empty() {
                    <dt>{ "Transparency" }</dt>
                    <dd class="cert-scts"><ul class="scts">{ for scts.iter().map(sct_item) }</ul></dd>
                }
                <dt>{ "SHA-256 fingerprint" }</dt>
                <dd><span class="cert-fingerprint-sha256 mono wrap">{ &c.fingerprint_sha256 }</span>
                    <CopyButton value={c.fingerprint_sha256.clone()} what="SHA-256 fingerprint" /></dd>
                <dt>{ "SHA-1 fingerprint" }</dt>
                <dd><span class="cert-fingerprint-sha1 mono wrap">{ &c.fingerprint_sha1 }</span>
                    <CopyButton value={c.fingerprint_sha1.clone()} what="SHA-1 fingerprint" /></dd>
                <dt>{ "SPKI pin (sha256)" }</dt>
                <dd><span class="cert-spki-pin mono wrap">{ &c.spki_sha256_base64 }</span>
                    <CopyButton value={c.spki_sha256_base64.clone()} what="SPKI pin" /></dd>
            </dl>
            <details class="extensions">
                <summary>{ format!("{} extensions", c.extensions.len()) }</summary>
                <dl class="fields">
                    { for c.extensions.iter().map(|e| html! {
                        <>
                            <dt>{ &e.name } if e.critical { <span class="badge small">{ "critical" }</span> }</dt>
                            <dd class="mono wrap">{ extension_text(&e.value) }</dd>
                        </>
                    }) }
                </dl>
            </details>
            <Asn1View der={c.der.clone()} />
        </section>
    }
}

/// The lifetime bar: notBefore to notAfter, the renewal window and alert bands the policy
/// gives this certificate, where `now` is, and the public maximum for its issue date.
fn lifetime_bar(c: &Certificate, rules: &LifetimeRules, now: Timestamp) -> Html {
    use tlscope_core::lifetime;
    let bar = tlscope_core::rotation::lifetime_bar(rules, c);
    // Positions in hundredths of a percent, written without float formatting (whose code
    // would be in the page for these three numbers alone).
    let span = i128::from((bar.not_after - bar.not_before).max(1));
    let at = |t: i64| {
        let share = i128::from(t.saturating_sub(bar.not_before)) * 10_000 / span;
        share.clamp(0, 10_000) as u32
    };
    let percent = |hundredths: u32| format!("{}.{:02}%", hundredths / 100, hundredths % 100);
    let band = |class: &'static str, from: i64, title: String| {
        let left = at(from);
        let style = format!("left:{};width:{}", percent(left), percent(10_000 - left));
        html! { <span class={classes!("band", class)} {style} {title}></span> }
    };
    let seconds = lifetime::validity_seconds(&c.validity);
    let renew = Timestamp::from_unix(bar.renew_at);
    let over = !c.is_ca && seconds > bar.cabf_maximum_days * Timestamp::DAY;
    let text = format!(
        "{} lifetime · renew from {} · public maximum for its issue date: {} days{}",
        lifetime::duration_text(seconds),
        renew.to_rfc3339().get(..10).unwrap_or_default(),
        bar.cabf_maximum_days,
        if over { " (longer)" } else { "" },
    );
    html! {
        <>
            <div class="lifetime-bar" role="img" aria-label={text.clone()}>
                { band("renew", bar.renew_at, format!("renewal window from {renew}")) }
                { band("warning", bar.warning_from, "warning band".into()) }
                { band("critical", bar.critical_from, "critical band".into()) }
                <span class="now" style={format!("left:{}", percent(at(now.unix())))} title="now"></span>
            </div>
            <span class={classes!("lifetime-text", over.then_some("over"))}>{ text }</span>
        </>
    }
}

/// How the certificate can be revoked, in words.
fn revocation_text(c: &Certificate, rules: &LifetimeRules) -> String {
    let parts = c.revocation.methods();
    if !parts.is_empty() {
        parts.join(" · ")
    } else if tlscope_core::lifetime::is_short_lived(&rules.revocation, &c.validity) {
        "none — short-lived, needs none".into()
    } else {
        "none — it cannot be revoked".into()
    }
}

fn sct_item(s: &Sct) -> Html {
    let (class, status) = match &s.status {
        SctStatus::Verified => ("ok", "✔ verified".to_owned()),
        SctStatus::Unchecked => ("muted", "unverified (no log list)".to_owned()),
        SctStatus::UnknownLog => ("warning", "⚠ log not in the list".to_owned()),
        SctStatus::Invalid(why) => ("critical", format!("✖ invalid: {why}")),
        SctStatus::NotCounted(why) => ("warning", format!("⚠ verified, not counted: {why}")),
    };
    let log = match (&s.log, &s.operator) {
        (Some(l), Some(o)) => format!("{l} ({o})"),
        _ => format!("log {}", s.log_id),
    };
    html! {
        <li class="sct">
            <span class="mono">{ s.timestamp.to_rfc3339() }</span>{ " " }{ log }{ " · " }
            <span class={classes!("sct-status", class)}>{ status }</span>
        </li>
    }
}

fn san_chip(name: &SubjectAltName) -> Html {
    let (kind, value) = san_parts(name);
    html! { <li class="chip"><span class="chip-kind">{ kind }</span>{ value }</li> }
}

pub(crate) fn san_parts(name: &SubjectAltName) -> (&'static str, String) {
    match name {
        SubjectAltName::Dns(v) => ("DNS", v.clone()),
        SubjectAltName::Ip(v) => ("IP", v.clone()),
        SubjectAltName::Email(v) => ("Email", v.clone()),
        SubjectAltName::Uri(v) => ("URI", v.clone()),
        SubjectAltName::DirectoryName(v) => ("DirName", v.clone()),
        SubjectAltName::Other(v) => ("Other", v.clone()),
    }
}

fn extension_text(value: &ExtensionValue) -> String {
    let names = |v: &[SubjectAltName]| {
        v.iter()
            .map(|n| {
                let (k, v) = san_parts(n);
                format!("{k}:{v}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match value {
        ExtensionValue::SubjectAltName { names: n } => names(n),
        ExtensionValue::KeyUsage { usages } => usages.join(", "),
        ExtensionValue::ExtendedKeyUsage { purposes } => purposes.join(", "),
        ExtensionValue::BasicConstraints { ca, path_len } => match path_len {
            Some(p) => format!("CA: {ca}, path length ≤ {p}"),
            None => format!("CA: {ca}"),
        },
        ExtensionValue::SubjectKeyIdentifier { key_id } => key_id.clone(),
        ExtensionValue::AuthorityKeyIdentifier { key_id, serial } => [
            key_id.clone().map(|k| format!("key id {k}")),
            serial.clone().map(|s| format!("serial {s}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", "),
        ExtensionValue::AuthorityInfoAccess { entries } => entries
            .iter()
            .map(|(m, l)| format!("{m}: {l}"))
            .collect::<Vec<_>>()
            .join(", "),
        ExtensionValue::CrlDistributionPoints { points } => points.join(", "),
        ExtensionValue::CertificatePolicies { policies } => policies.join(", "),
        ExtensionValue::NameConstraints {
            permitted,
            excluded,
        } => {
            format!(
                "permitted: [{}]; excluded: [{}]",
                names(permitted),
                names(excluded)
            )
        }
        ExtensionValue::SignedCertificateTimestamps { count, .. } => format!("{count} SCTs"),
        ExtensionValue::TlsFeature { features } => features.join(", "),
        ExtensionValue::Raw { hex } => hex.clone(),
        ExtensionValue::Malformed { error } => format!("malformed: {error}"),
        _ => String::new(),
    }
}
