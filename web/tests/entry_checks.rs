//! An entry's checks as the page asks its judging worker about them, run as wasm in headless
//! Chromium: the names field with several hosts, an IP and an e-mail address, "As TLS client"
//! and "Strict CN" become the same chain request as `tlscope inspect --host … --email …
//! --purpose client --strict-cn`, and the worker's answer changes the verdict on the samples the
//! way it should.

#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use base64::Engine as _;
use tlscope_core::chain::{CommonNameCheck, PeerName, Purpose};
use tlscope_core::{Policy, decode};
use tlscope_web::judge::{Answer, Roots, answer};
use tlscope_web::questions;
use tlscope_web::samples::{SAMPLES, sample_date};
use tlscope_web::state::{Checks, Entry, Outcome};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn entry(bytes: &[u8], host: Option<&str>, checks: Checks) -> Entry {
    Entry {
        id: 1,
        name: "chain.pem".into(),
        outcome: Outcome::Pki(decode(bytes).expect("sample decodes").into()),
        source: Rc::from(bytes),
        host: host.map(str::to_owned),
        trusted: false,
        checks,
    }
}

#[wasm_bindgen_test]
fn the_checks_become_the_command_lines_chain_request() {
    let e = entry(
        SAMPLES[1].bytes,
        Some("www.tlscope.example, 192.0.2.7 ops@tlscope.example"),
        Checks {
            client: true,
            strict_cn: true,
        },
    );
    let policy = Policy::default().to_toml();
    let ask = |e: &Entry| {
        questions::about(e, &Roots::default(), &policy, sample_date())
            .and_then(|q| q.chain_request())
            .expect("a PKI entry is inspected")
    };
    let request = ask(&e);
    assert_eq!(request.purpose, Purpose::ClientAuth);
    assert_eq!(request.common_name, CommonNameCheck::Refuse);
    assert_eq!(
        request.peer_names,
        vec![
            PeerName::Dns("www.tlscope.example".into()),
            PeerName::Ip("192.0.2.7".parse().unwrap()),
            PeerName::Email("ops@tlscope.example".into()),
        ]
    );
    let plain = ask(&entry(SAMPLES[1].bytes, None, Checks::default()));
    assert_eq!(plain.purpose, Purpose::ServerAuth);
    assert_eq!(plain.common_name, CommonNameCheck::Warn);
    assert!(plain.peer_names.is_empty());
}

#[wasm_bindgen_test]
fn as_a_client_the_server_sample_is_refused_for_its_purpose() {
    let root = decode(SAMPLES[0].bytes).unwrap();
    let roots = Roots {
        mozilla: false,
        trusted: root
            .certificates()
            .map(|c| base64::engine::general_purpose::STANDARD.encode(&c.der))
            .collect(),
    };
    let policy = Policy::default().to_toml();
    let judged = |checks: Checks| {
        let e = entry(SAMPLES[1].bytes, Some("www.tlscope.example"), checks);
        let question = questions::about(&e, &roots, &policy, sample_date()).unwrap();
        match answer(&question) {
            Answer::Inspected(inspection) => *inspection,
            other => panic!("not an inspection: {other:?}"),
        }
    };
    let server = judged(Checks::default());
    assert!(
        server.chain.as_ref().is_some_and(|c| c.valid),
        "{:?}",
        server.findings
    );
    let client = judged(Checks {
        client: true,
        ..Checks::default()
    });
    assert!(client.chain.as_ref().is_some_and(|c| !c.valid));
    assert!(
        client.findings.iter().any(|f| f.rule == "CHAIN-EKU"),
        "{:?}",
        client.findings
    );
}
