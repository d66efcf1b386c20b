//! The judging worker's answers, run as wasm in headless Chromium: the page's questions about
//! the samples (certificates, a connection string, a source file's settings, links between a
//! client and a server configuration) are answered as the core judges them, a broken policy
//! text is refused with the parser's reason, and an answer survives its trip back to the page.

#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tlscope_core::{Policy, decode};
use tlscope_web::bundle::{WorkerMessage, from_wire, to_wire};
use tlscope_web::judge::{Answer, Question, Roots, answer};
use tlscope_web::questions;
use tlscope_web::samples::{SAMPLES, sample_date};
use tlscope_web::state::{Checks, Entry, Outcome};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn entry(name: &str, bytes: &[u8], host: Option<&str>) -> Entry {
    let outcome = match decode(bytes) {
        Ok(d) => Outcome::Pki(Rc::new(d)),
        Err(_) => Outcome::Text(String::from_utf8(bytes.to_vec()).unwrap()),
    };
    Entry {
        id: 1,
        name: name.into(),
        outcome,
        source: Rc::from(bytes),
        host: host.map(str::to_owned),
        trusted: false,
        checks: Checks::default(),
    }
}

fn sample_root() -> Roots {
    Roots {
        mozilla: false,
        trusted: decode(SAMPLES[0].bytes)
            .unwrap()
            .certificates()
            .map(|c| STANDARD.encode(&c.der))
            .collect(),
    }
}

fn rules(findings: &[tlscope_core::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule).collect()
}

#[wasm_bindgen_test]
fn certificates_are_inspected_against_the_roots_the_question_names() {
    let policy = Policy::default().to_toml();
    let good = entry("good.pem", SAMPLES[1].bytes, Some("www.tlscope.example"));
    let ask = |roots: &Roots| {
        let q = questions::about(&good, roots, &policy, sample_date()).unwrap();
        match answer(&q) {
            Answer::Inspected(i) => *i,
            other => panic!("not an inspection: {other:?}"),
        }
    };
    let trusted = ask(&sample_root());
    assert!(
        trusted.chain.as_ref().is_some_and(|c| c.valid),
        "{:?}",
        trusted.findings
    );
    // Without the sample root (and without Mozilla's set) nothing anchors the chain.
    let untrusted = ask(&Roots::default());
    assert!(untrusted.chain.as_ref().is_some_and(|c| !c.valid));
    assert!(
        !rules(&untrusted.findings).is_empty(),
        "an untrusted chain is a finding"
    );
}

/// The connection-string sample, its entry, and the question the page asks about it under the
/// default policy.
fn connection_strings() -> (&'static tlscope_web::samples::Sample, Entry, Question) {
    let risky = SAMPLES
        .iter()
        .find(|s| !s.bytes.starts_with(b"-----BEGIN"))
        .expect("the connection-string sample");
    let e = entry(risky.name, risky.bytes, None);
    let policy = Policy::default().to_toml();
    let q = questions::about(&e, &Roots::default(), &policy, sample_date()).unwrap();
    (risky, e, q)
}

#[wasm_bindgen_test]
fn text_is_linted_and_a_broken_policy_is_refused() {
    let (_, e, q) = connection_strings();
    let Answer::Linted(Ok(report)) = answer(&q) else {
        panic!("not linted");
    };
    assert!(!report.findings.is_empty(), "{report:?}");
    let broken = questions::about(&e, &Roots::default(), "version = [", sample_date()).unwrap();
    match answer(&broken) {
        Answer::Failed(why) => assert!(why.starts_with("policy:"), "{why}"),
        other => panic!("a broken policy was used: {other:?}"),
    }
}

#[wasm_bindgen_test]
fn a_client_is_linked_to_the_configuration_that_serves_it() {
    let nginx = "server {\n  listen 443 ssl;\n  server_name db.tlscope.example;\n  ssl_protocols TLSv1 TLSv1.2;\n}\n";
    let client = "API_URL=https://db.tlscope.example/orders\n";
    let entries = vec![
        entry("nginx.conf", nginx.as_bytes(), None),
        entry("app.env", client.as_bytes(), None),
    ];
    let q = questions::links(&entries, &Policy::default().to_toml(), sample_date()).unwrap();
    let Answer::Links(links) = answer(&q) else {
        panic!("not links");
    };
    assert_eq!(links.len(), 1, "{links:?}");
    assert!(
        links[0].summary.contains("nginx.conf"),
        "{}",
        links[0].summary
    );
}

#[wasm_bindgen_test]
fn an_answer_survives_the_trip_back_to_the_page() {
    let e = entry("good.pem", SAMPLES[1].bytes, Some("www.tlscope.example"));
    let q = questions::about(
        &e,
        &sample_root(),
        &Policy::default().to_toml(),
        sample_date(),
    )
    .unwrap();
    let sent = WorkerMessage::Answered {
        seq: 7,
        answer: Box::new(answer(&q)),
    };
    let (text, ders) = to_wire(&sent);
    assert!(ders.is_none());
    assert_eq!(from_wire(&text, None), Some(sent));
}

#[wasm_bindgen_test]
fn the_worker_reads_the_editors_policy_and_writes_the_profiles() {
    // A valid text: the policy it says, intact after the trip back as JSON.
    let text = Policy::DEFAULT_TOML.replace("warning_days = 30", "warning_days = 45");
    let read = answer(&Question::Policy { text: text.clone() });
    let Answer::Policy(Ok(shown)) = &read else {
        panic!("not read: {read:?}");
    };
    // What the page shows of it: the sentence and the sections its cards judge by.
    assert_eq!(shown.profile, "default");
    assert_eq!(shown.lifetimes.alerts.warning_days, 45);
    assert_eq!(shown.lifetimes.rotation.leaf_grace_days, 14);
    assert!(
        shown.in_force.contains("alerts at 45 and 7 days"),
        "{}",
        shown.in_force
    );
    // The whole policy, for the Live module, reads back from its JSON as the text says.
    let Answer::WholePolicy(Ok(json)) = answer(&Question::WholePolicy { text }) else {
        panic!("no whole policy");
    };
    let whole: Policy = serde_json::from_str(&json).unwrap();
    assert_eq!(whole.alerts.warning_days, 45);
    assert_eq!(whole.tls.suites, Policy::default().tls.suites);
    let (wire, _) = to_wire(&WorkerMessage::Answered {
        seq: 1,
        answer: Box::new(read.clone()),
    });
    assert_eq!(
        from_wire(&wire, None),
        Some(WorkerMessage::Answered {
            seq: 1,
            answer: Box::new(read)
        })
    );
    // A broken one: where it is wrong.
    match answer(&Question::Policy {
        text: "version = 1\n[alerts]\nwarning_days = \"soon\"\n".into(),
    }) {
        Answer::Policy(Err(why)) => assert!(why.contains("line 3"), "{why}"),
        other => panic!("a broken policy was read: {other:?}"),
    }
    assert!(matches!(
        answer(&Question::WholePolicy {
            text: "version = 1\n[alerts]\nwarning_days = \"soon\"\n".into(),
        }),
        Answer::WholePolicy(Err(_))
    ));
    // Every built-in profile as a file that reads back as that profile.
    for name in Policy::PROFILES {
        let Answer::PolicyText(text) = answer(&Question::Profile {
            name: (*name).into(),
        }) else {
            panic!("no text for {name}");
        };
        assert_eq!(
            Policy::from_toml(&text).ok(),
            Policy::profile(name),
            "{text}"
        );
    }
    assert!(matches!(
        answer(&Question::Profile {
            name: "lenient".into()
        }),
        Answer::Failed(_)
    ));
}

/// The downloads are written in the worker from what the page says of each input: the same
/// findings in the JSON document, SARIF and Markdown, and an input the worker could not judge
/// is reported with its reason.
#[wasm_bindgen_test]
fn reports_are_written_in_the_worker_from_the_page_inputs() {
    let (risky, e, q) = connection_strings();
    let linted = Rc::new(answer(&q));
    let broken = Entry {
        id: 2,
        name: "broken.conf".into(),
        ..entry(risky.name, risky.bytes, None)
    };
    let answers = |x: &Entry| {
        Some(if x.id == 2 {
            Rc::new(Answer::Failed("policy: wrong".into()))
        } else {
            linted.clone()
        })
    };
    let inputs = tlscope_web::export::report_inputs(&[broken, e], &answers);
    let Answer::Linted(Ok(lint)) = &*linted else {
        panic!("not linted");
    };
    let first_rule = lint.findings[0].rule;
    let write = |format| {
        let q = Question::Report {
            inputs: inputs.clone(),
            profile: "default".into(),
            now: sample_date(),
            format,
        };
        match answer(&q) {
            Answer::Report(text) => text,
            other => panic!("not a report: {other:?}"),
        }
    };
    use tlscope_web::report::Format;
    let json: serde_json::Value = serde_json::from_str(&write(Format::Json)).unwrap();
    assert_eq!(json["schema"], "tlscope-report/1", "{json}");
    let paths: Vec<&str> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [risky.name, "broken.conf"], "the page's order");
    assert_eq!(json["inputs"][1]["error"], "policy: wrong");
    let sarif: serde_json::Value = serde_json::from_str(&write(Format::Sarif)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif.to_string().contains(first_rule), "{sarif}");
    let markdown = write(Format::Markdown);
    assert!(
        markdown.contains(first_rule) && markdown.contains("broken.conf"),
        "{markdown}"
    );
}

/// A worker that cannot be started or reached is explained by what the exception said, never
/// by the thrown value's debug text.
#[wasm_bindgen_test]
fn an_exception_is_told_by_its_message() {
    use tlscope_web::browser::exception_text;
    let error: wasm_bindgen::JsValue = js_sys::Error::new("SecurityError: no workers here").into();
    assert_eq!(exception_text(&error), "SecurityError: no workers here");
    assert_eq!(exception_text(&"refused".into()), "refused");
    assert_eq!(
        exception_text(&wasm_bindgen::JsValue::from(7)),
        "a thrown number"
    );
}
