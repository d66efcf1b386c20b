//! Component tests in headless Chromium: the core runs as wasm and the Yew card renders what it
//! decoded. The fixture and openssl's view of it come from tests/fixtures/make.sh.

#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use tlscope_core::lifetime::LifetimeRules;
use tlscope_core::{Item, Timestamp, decode};
use tlscope_web::components::{CertificateCard, CertificateCardProps, ErrorCard, ErrorCardProps};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const LEAF: &str = include_str!("fixtures/leaf.pem");
const LEAF_SHA256: &str = include_str!("fixtures/leaf.sha256");
const LEAF_SUBJECT: &str = include_str!("fixtures/leaf.subject");

fn mount() -> web_sys::Element {
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(20)).await;
}

fn text_of(root: &web_sys::Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("{selector} not rendered"))
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn card_shows_what_the_core_decoded_in_the_browser() {
    let decoded = decode(LEAF.as_bytes()).expect("fixture decodes");
    let Item::Certificate { certificate, .. } = &decoded.items[0] else {
        panic!("not a certificate")
    };
    let now = Timestamp::from_unix(certificate.validity.not_after.unix() - 10 * Timestamp::DAY);
    let root = mount();
    yew::Renderer::<CertificateCard>::with_root_and_props(
        root.clone(),
        CertificateCardProps {
            certificate: (**certificate).clone(),
            now,
            rules: LifetimeRules::of(&tlscope_core::Policy::default()),
            line: Some(1),
            scts: None,
        },
    )
    .render();
    settle().await;

    assert_eq!(
        text_of(&root, ".cert-fingerprint-sha256"),
        LEAF_SHA256.trim()
    );
    assert_eq!(text_of(&root, ".cert-subject"), LEAF_SUBJECT.trim());
    assert_eq!(text_of(&root, ".cert-days-left"), "10");
    // Ten days left is inside the 30-day warning band: said in words, not only in colour.
    assert!(text_of(&root, ".cert-status").contains("Expires in 10 days"));
    let sans = text_of(&root, ".cert-sans");
    assert!(
        sans.contains("*.wasm.example.test") && sans.contains("192.0.2.7"),
        "{sans}"
    );
}

/// Issue 16: the expiry badge hard-coded 7 and 30 days while the findings followed the policy;
/// with the policy's bands widened, the badge and the CERT-EXPIRY-* finding agree again.
#[wasm_bindgen_test]
async fn the_expiry_badge_follows_the_policy_bands() {
    use tlscope_core::{Policy, judge};

    let decoded = decode(LEAF.as_bytes()).expect("fixture decodes");
    let Item::Certificate { certificate, .. } = &decoded.items[0] else {
        panic!("not a certificate")
    };
    let now = Timestamp::from_unix(certificate.validity.not_after.unix() - 10 * Timestamp::DAY);
    let mut policy = Policy::default();
    policy.alerts.critical_days = 14;
    let findings = judge::decoded(&decoded, &policy, now);
    assert!(findings.iter().any(|f| f.rule == "CERT-EXPIRY-CRITICAL"));
    let root = mount();
    yew::Renderer::<CertificateCard>::with_root_and_props(
        root.clone(),
        CertificateCardProps {
            certificate: (**certificate).clone(),
            now,
            rules: LifetimeRules::of(&policy),
            line: Some(1),
            scts: None,
        },
    )
    .render();
    settle().await;
    let badge = root
        .query_selector(".cert-status")
        .unwrap()
        .expect("badge rendered");
    assert!(
        badge
            .class_name()
            .split_whitespace()
            .any(|c| c == "critical"),
        "{:?}",
        badge.class_name()
    );
    assert!(text_of(&root, ".cert-status").contains("✖ Expires in 10 days"));
}

#[wasm_bindgen_test]
async fn error_card_names_the_file_and_the_expectation() {
    let error = decode(&[0xff, 0xd8, 0xff, 0xe0]).unwrap_err().to_string();
    let root = mount();
    yew::Renderer::<ErrorCard>::with_root_and_props(
        root.clone(),
        ErrorCardProps {
            source: "holiday.jpg".into(),
            message: error.into(),
        },
    )
    .render();
    settle().await;
    assert_eq!(text_of(&root, ".error-source"), "holiday.jpg");
    assert!(text_of(&root, ".error-message").contains("JPEG image"));
    assert!(root.query_selector("[role=alert]").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn findings_are_judged_in_the_browser_and_say_severity_in_words() {
    use tlscope_core::{Policy, judge};
    use tlscope_web::components::{FindingList, FindingListProps};

    let decoded = decode(LEAF.as_bytes()).expect("fixture decodes");
    let Item::Certificate { certificate, .. } = &decoded.items[0] else {
        panic!("not a certificate")
    };
    let now = Timestamp::from_unix(certificate.validity.not_after.unix() - 3 * Timestamp::DAY);
    let findings = judge::decoded(&decoded, &Policy::default(), now);
    let root = mount();
    yew::Renderer::<FindingList>::with_root_and_props(root.clone(), FindingListProps { findings })
        .render();
    settle().await;
    let critical = root
        .query_selector("[data-rule=CERT-EXPIRY-CRITICAL]")
        .unwrap()
        .expect("expiry finding rendered");
    let text = critical.text_content().unwrap_or_default();
    assert!(
        text.contains("✖ critical") && text.contains("3 days left"),
        "{text}"
    );
    // openssl req -x509 marks the fixture CA:TRUE, so the leaf-lifetime rule does not apply.
    assert!(
        root.query_selector("[data-rule=CERT-LIFETIME-LONG]")
            .unwrap()
            .is_none()
    );
    assert_eq!(text_of(&root, ".summary"), "✖ 1 critical");
}

/// Issue 20: the card shows the lifetime (renewal window, public maximum), how the certificate
/// can be revoked, post-quantum algorithms by name with their sizes, and SCTs verified or not.
#[wasm_bindgen_test]
async fn card_shows_lifetime_revocation_post_quantum_and_scts() {
    const SCT: &str = include_str!("../../crates/core/tests/corpus/sct-public-45-day.pem");
    const LOGS: &str = include_str!("../../crates/core/tests/ct/log_list.json");
    const PQ: &str = include_str!("../../crates/core/tests/corpus/ml-dsa-chain.pem");
    const STAPLE: &str = include_str!("../../crates/core/tests/corpus/must-staple-no-ocsp.pem");
    let first = |pem: &str| {
        let d = decode(pem.as_bytes()).expect("fixture decodes");
        d.certificates().next().cloned().expect("a certificate")
    };
    let render = |certificate: tlscope_core::Certificate, scts| {
        let root = mount();
        yew::Renderer::<CertificateCard>::with_root_and_props(
            root.clone(),
            CertificateCardProps {
                certificate,
                now: Timestamp::from_unix(1_800_000_000),
                rules: LifetimeRules::of(&tlscope_core::Policy::default()),
                line: Some(1),
                scts,
            },
        )
        .render();
        root
    };
    // SCTs: verified against the fixture's log list, unverified without it.
    let leaf = first(SCT);
    let issuer = decode(SCT.as_bytes())
        .unwrap()
        .certificates()
        .nth(1)
        .cloned()
        .unwrap();
    let spki = tlscope_core::certificate::spki_der(&issuer.der).unwrap();
    let logs = tlscope_core::transparency::LogList::from_json(LOGS).unwrap();
    let checked = tlscope_core::transparency::scts(&leaf.der, Some(&spki), Some(&logs));
    let verified = render(leaf.clone(), Some(checked));
    let unverified = render(leaf, None);
    settle().await;
    let scts = text_of(&verified, ".cert-scts");
    assert_eq!(scts.matches("✔ verified").count(), 2, "{scts}");
    assert!(
        scts.contains("(Alpha CT)") && scts.contains("(Beta CT)"),
        "{scts}"
    );
    assert_eq!(
        text_of(&unverified, ".cert-scts")
            .matches("unverified")
            .count(),
        2
    );
    let life = text_of(&verified, ".cert-lifetime");
    assert!(
        life.contains("45-day lifetime")
            && life.contains("public maximum for its issue date: 200 days"),
        "{life}"
    );
    // The renewal window is the last 14 of the 45 days, and now (2027-01-15T08:00Z) is 58.51%
    // of the way through: positions to a hundredth of a percent.
    let style = |selector: &str| {
        verified
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("{selector} not rendered"))
            .get_attribute("style")
            .unwrap_or_default()
    };
    assert_eq!(
        style(".lifetime-bar .band.renew"),
        "left:68.88%;width:31.12%"
    );
    assert_eq!(style(".lifetime-bar .now"), "left:58.51%");
    assert!(text_of(&verified, ".cert-revocation").contains("CRL http://crl.example.test/ca.crl"));
    // Post-quantum: ML-DSA by name, with the signature's size.
    let pq = render(first(PQ), None);
    let staple = render(first(STAPLE), None);
    settle().await;
    assert_eq!(text_of(&pq, ".cert-key"), "ML-DSA-44 (1312 bytes)");
    assert_eq!(text_of(&pq, ".cert-signature"), "ML-DSA-65 (3309 bytes)");
    assert!(text_of(&staple, ".cert-revocation").contains("Must-Staple"));
}
