//! The worker's judgement, run as wasm in headless Chromium: a bundle built from the samples is
//! decoded with progress, judged against the trusted sample root, and read back from the JSON
//! the worker sends; garbage is refused with the decoder's reason; the threshold routes only
//! large inputs to the worker.

#![cfg(target_arch = "wasm32")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tlscope_core::{Policy, Severity, decode};
use tlscope_web::bundle::{
    BundleJob, WORKER_BLOCKS, WorkerMessage, from_wire, judge_bundle, to_wire, wants_worker,
};
use tlscope_web::samples::{SAMPLES, sample_date};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn job(trusted: bool) -> BundleJob {
    let root = decode(SAMPLES[0].bytes).unwrap();
    BundleJob {
        policy: Policy::default().to_toml(),
        now: sample_date(),
        host: Some("www.tlscope.example".into()),
        trusted_roots: if trusted {
            root.certificates()
                .map(|c| base64::engine::general_purpose::STANDARD.encode(&c.der))
                .collect()
        } else {
            Vec::new()
        },
    }
}

#[wasm_bindgen_test]
fn a_bundle_is_judged_with_progress_and_survives_the_trip_back() {
    // The good chain first (leaf, issuing CA), then the other samples' certificates.
    let text: String = SAMPLES[1..5]
        .iter()
        .map(|s| std::str::from_utf8(s.bytes).unwrap())
        .collect();
    let mut steps = Vec::new();
    let report = judge_bundle(text.as_bytes(), &job(true), &mut |stage, done, total| {
        steps.push((stage.to_owned(), done, total))
    })
    .unwrap();
    assert_eq!(report.certificates.len(), 8);
    assert_eq!(steps.first(), Some(&("decoding".to_owned(), 1, 8)));
    assert!(steps.contains(&("decoding".to_owned(), 8, 8)));
    assert_eq!(steps.last(), Some(&("judging".to_owned(), 8, 8)));
    let chain = report.inspection.chain.as_ref().unwrap();
    assert!(chain.valid, "{chain:?}");
    // The expired api leaf (third certificate) carries a critical finding.
    let expired = &report.certificates[2];
    assert!(expired.name.contains("api.tlscope.example"), "{expired:?}");
    assert!(expired.days_left < 0);
    assert_eq!(expired.worst, Some(Severity::Critical));

    // Every row points at its own certificate's DER.
    let decoded = tlscope_core::decode(text.as_bytes()).unwrap();
    for (row, certificate) in report.certificates.iter().zip(decoded.certificates()) {
        assert_eq!(report.der(row), Some(&certificate.der[..]));
    }

    let message = WorkerMessage::Done(Box::new(report.clone()));
    let (json, ders) = to_wire(&message);
    assert_eq!(ders, Some(&report.ders[..]));
    assert!(!json.contains(&STANDARD.encode(&decoded.certificates().next().unwrap().der)));
    // Rows travel as arrays, without their field names.
    assert!(json.contains("\"certificates\":[[0,"), "{json}");
    assert!(!json.contains("\"der_start\""));
    let back = from_wire(&json, ders.map(<[u8]>::to_vec)).unwrap();
    assert_eq!(back, WorkerMessage::Done(Box::new(report)));
    // Without its buffer a report says where nothing is, rather than pointing elsewhere.
    let WorkerMessage::Done(bare) = from_wire(&json, None).unwrap() else {
        panic!("not a report");
    };
    assert_eq!(bare.der(&bare.certificates[0]), None);
}

#[wasm_bindgen_test]
fn a_worker_reads_each_new_policy_it_is_sent() {
    // The worker keeps the policy it last read; a job under another one must not get it.
    for _ in 0..2 {
        for name in Policy::PROFILES {
            let job = BundleJob {
                policy: Policy::profile(name).unwrap().to_toml(),
                ..job(false)
            };
            let report = judge_bundle(SAMPLES[1].bytes, &job, &mut |_, _, _| {}).unwrap();
            assert_eq!(report.profile, *name);
            assert_eq!(report.policy, job.policy);
        }
    }
    let broken = BundleJob {
        policy: "version = 1\nextends = \"nonesuch\"\n".into(),
        ..job(false)
    };
    let err = judge_bundle(SAMPLES[1].bytes, &broken, &mut |_, _, _| {}).unwrap_err();
    assert!(err.starts_with("policy: "), "{err}");
}

#[wasm_bindgen_test]
fn without_the_sample_root_the_chain_is_untrusted() {
    let report = judge_bundle(SAMPLES[1].bytes, &job(false), &mut |_, _, _| {}).unwrap();
    assert!(!report.inspection.chain.unwrap().valid);
}

#[wasm_bindgen_test]
fn garbage_is_refused_with_the_decoders_reason() {
    let err = judge_bundle(&[0xff; 4096], &job(false), &mut |_, _, _| {}).unwrap_err();
    assert!(err.contains("found 0xff"), "{err}");
    let err = judge_bundle(b"", &job(false), &mut |_, _, _| {}).unwrap_err();
    assert!(err.contains("empty"), "{err}");
}

#[wasm_bindgen_test]
fn only_large_inputs_go_to_the_worker() {
    let one = std::str::from_utf8(SAMPLES[0].bytes).unwrap();
    assert!(!wants_worker(one.as_bytes()));
    assert!(!wants_worker(one.repeat(WORKER_BLOCKS - 1).as_bytes()));
    assert!(wants_worker(one.repeat(WORKER_BLOCKS).as_bytes()));
    assert!(wants_worker(&vec![0xff; 2 * 1024 * 1024]));
    // Megabytes of text (a config, say) stay on the page, where the linter reads them.
    assert!(!wants_worker("a = b\n".repeat(400_000).as_bytes()));
}
