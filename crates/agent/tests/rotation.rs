//! Rotation under load: edges handshake continuously with the coordinator while the coordinator's
//! schedule renews edge, coordinator and CA certificates through two simulated years on a fixed
//! clock moved a day at a time. No legitimate handshake may fail, an established connection keeps
//! working through rotations, and every replaced certificate is refused once its grace is over.

mod infra;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use infra::{Tenant, scratch};
use rustls::client::danger::ServerCertVerifier as _;
use rustls::pki_types::{ServerName, UnixTime};
use tlscope_agent::ca::{self, RotationEvent};
use tlscope_agent::edge::Edge;
use tlscope_agent::mtls::{self, CoordinatorVerifier};
use tlscope_core::Timestamp;
use tlscope_core::handshake::Outcome;

const EDGES: [&str; 4] = ["e0", "e1", "e2", "e3"];
const DAYS: i64 = 730;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_years_of_rotation_under_load_without_a_failed_handshake() {
    let dir = scratch("rotation-load");
    let t = Arc::new(Tenant::start(&dir, "acme", &EDGES).await);
    let mut rotation_events = t.coordinator.rotation_events();

    // An established connection, opened before any rotation, heartbeating throughout.
    let long_lived = t.edge("e0");
    let (_, mut long_sender) = long_lived.connect().await.expect("long-lived connection");
    let first_serial = long_lived.serial();
    let first_grace_end = std::sync::Mutex::new(None::<Timestamp>);

    // Edges handshaking continuously: reload from the store, full handshake, heartbeat.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let done: Vec<Arc<AtomicU64>> = EDGES.iter().map(|_| Arc::new(AtomicU64::new(0))).collect();
    let mut workers = Vec::new();
    for (i, name) in EDGES.iter().enumerate() {
        let edge = t.edge(name);
        let (stop, ok, failures, done) = (
            Arc::clone(&stop),
            Arc::clone(&ok),
            Arc::clone(&failures),
            Arc::clone(&done[i]),
        );
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let result = match edge.reload() {
                    Ok(_) => edge.handshake_once().await.map(|_| ()),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(()) => {
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => failures
                        .lock()
                        .expect("lock")
                        .push(format!("{}: {e}", edge.serial())),
                }
                done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }

    let mut old: Vec<(String, Timestamp, bool)> = Vec::new(); // (serial, grace end, checked)
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut long_lived_beats_after_rotation = 0;
    let mut old_coordinator_refused = 0;
    let mut long_lived_refused = false;
    for day in 0..DAYS {
        t.fixed.advance(Timestamp::DAY);
        let events = t.coordinator.tick().expect("tick");
        for e in &events {
            let kind = match e {
                RotationEvent::CaRotated { .. } => "ca-rotated",
                RotationEvent::CaRetired { .. } => "ca-retired",
                RotationEvent::Renewed {
                    previous,
                    grace_end,
                    ..
                } => {
                    old.push((previous.clone(), *grace_end, false));
                    if *previous == first_serial {
                        *first_grace_end.lock().expect("lock") = Some(*grace_end);
                    }
                    "renewed"
                }
                RotationEvent::Revoked { .. } => "revoked",
                RotationEvent::CrlRefreshed => "crl-refreshed",
            };
            *counts.entry(kind).or_default() += 1;
        }
        // Every edge completes at least one more handshake under the new state.
        // (Each attempt is bounded by the handshake and heartbeat timeouts, so an edge that
        // makes no progress for 30 s is stuck, and the test says so rather than hanging.)
        let marks: Vec<u64> = done.iter().map(|d| d.load(Ordering::SeqCst)).collect();
        let waited = std::time::Instant::now();
        for ((d, mark), name) in done.iter().zip(&marks).zip(EDGES) {
            while d.load(Ordering::SeqCst) < mark + 1 {
                if waited.elapsed() > Duration::from_secs(30) {
                    let failures = failures.lock().expect("lock");
                    panic!(
                        "day {day}: edge {name} has not finished an attempt in 30 s; {} failures so far, the last: {:?}",
                        failures.len(),
                        failures.iter().rev().take(3).collect::<Vec<_>>()
                    );
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        // The connection opened on day 0 keeps working while its certificate is accepted, and
        // is refused at its next request once the certificate is revoked.
        let grace_end = *first_grace_end.lock().expect("lock");
        let now = t.clock.now();
        if !long_lived_refused {
            let beat = long_lived.heartbeat(&mut long_sender).await;
            match grace_end {
                Some(end) if now >= end => {
                    let refused = beat
                        .expect_err("revoked certificate's connection refused")
                        .to_string();
                    assert!(
                        refused.contains("403") && refused.contains("revoked"),
                        "{refused}"
                    );
                    long_lived_refused = true;
                }
                _ => {
                    beat.expect("the established connection survives rotations");
                    if grace_end.is_some() {
                        long_lived_beats_after_rotation += 1;
                    }
                }
            }
        }
        // Every replaced certificate is refused once its grace is over.
        for (serial, grace_end, checked) in old.iter_mut().filter(|o| !o.2) {
            if now < *grace_end {
                continue;
            }
            let material = ca::material_of_serial(&t.store, "acme", serial).expect("old material");
            if material.identity.role == "edge" {
                let edge = Edge::with_material(
                    Arc::clone(&t.store),
                    &NodeMaterialWithTrust::current(&t, material),
                    t.mtls_addr,
                    "coordinator",
                    Arc::clone(&t.policy),
                    Arc::clone(&t.clock),
                )
                .expect("edge");
                let mut records = t.coordinator.records();
                edge.handshake_once()
                    .await
                    .expect_err("old edge certificate refused");
                let reason = loop {
                    let r = tokio::time::timeout(Duration::from_secs(10), records.recv())
                        .await
                        .expect("record")
                        .expect("channel");
                    if let Outcome::Refused { reason, .. } = r.outcome {
                        break reason;
                    }
                };
                assert!(
                    reason.contains("revoked") || reason.contains("expired"),
                    "{serial}: the coordinator recorded {reason:?}"
                );
            } else {
                // An edge with today's trust refuses the old coordinator certificate.
                let current = t.material("e1");
                let verifier = CoordinatorVerifier::new(
                    mtls::provider(&t.policy).expect("provider"),
                    &current,
                )
                .expect("verifier");
                let at = UnixTime::since_unix_epoch(Duration::from_secs(now.unix() as u64));
                let name = ServerName::try_from("coordinator.acme.tlscope.internal").expect("name");
                let err = verifier
                    .verify_server_cert(&material.chain[0], &material.chain[1..], &name, &[], at)
                    .expect_err("old coordinator certificate refused");
                let text = mtls::describe(&err);
                assert!(
                    text.contains("revoked")
                        || text.contains("expired")
                        || text.contains("unknown issuer"),
                    "{text}"
                );
                old_coordinator_refused += 1;
            }
            *checked = true;
        }
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.expect("worker");
    }
    while rotation_events.try_recv().is_ok() {}

    let failures = failures.lock().expect("lock").clone();
    let total = ok.load(Ordering::SeqCst);
    eprintln!(
        "two simulated years: {total} handshakes, {} failed; events {counts:?}; {} old certificates refused after grace ({old_coordinator_refused} coordinator)",
        failures.len(),
        old.iter().filter(|o| o.2).count()
    );
    assert!(
        failures.is_empty(),
        "legitimate handshakes failed: {failures:#?}"
    );
    assert!(total >= (DAYS as u64) * EDGES.len() as u64, "{total}");
    assert_eq!(
        counts.get("ca-rotated"),
        Some(&2),
        "the CA rotates 30 days before each yearly expiry: {counts:?}"
    );
    assert!(
        counts.get("ca-retired").is_some_and(|n| *n >= 1),
        "{counts:?}"
    );
    // Every node renews about every 76 days (90 − 14) and again under each new CA.
    assert!(
        counts.get("renewed").is_some_and(|n| *n >= 5 * 9),
        "{counts:?}"
    );
    // Between revocations the CRLs are re-signed before their 7-day nextUpdate.
    assert!(
        counts.get("crl-refreshed").is_some_and(|n| *n >= 30),
        "{counts:?}"
    );
    assert!(
        long_lived_beats_after_rotation >= 10,
        "{long_lived_beats_after_rotation}"
    );
    assert!(
        long_lived_refused,
        "the day-0 connection is closed once its certificate is revoked"
    );
    let unchecked: Vec<_> = old
        .iter()
        .filter(|o| !o.2 && o.1 <= t.clock.now())
        .collect();
    assert!(unchecked.is_empty(), "{unchecked:?}");
    assert!(old.iter().filter(|o| o.2).count() >= 40);
    assert!(old_coordinator_refused >= 8);
    // Two years on, every CRL the edges and coordinators are handed is still current.
    let now = t.clock_now_ts();
    for crl in &t.material("e1").crls {
        let (_, parsed) = x509_parser::parse_x509_crl(crl).expect("CRL parses");
        let next = parsed.next_update().expect("nextUpdate").timestamp();
        assert!(
            next > now.unix(),
            "a CRL went stale: nextUpdate {next}, now {now}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An old certificate presented with today's trust (the edge trusts the current CAs).
struct NodeMaterialWithTrust;

impl NodeMaterialWithTrust {
    fn current(t: &Tenant, old: ca::NodeMaterial) -> ca::NodeMaterial {
        let now = t.material("e1");
        ca::NodeMaterial {
            trusted: now.trusted,
            crls: now.crls,
            ..old
        }
    }
}

/// A CRL left past its nextUpdate (no schedule ran for 10 days) is reported by the coordinator
/// when it reloads; the next scheduled tick re-signs it and the report stops.
#[test]
fn a_stale_crl_is_reported_and_the_schedule_re_signs_it() {
    use std::sync::atomic::Ordering;
    let dir = scratch("stale-crl");
    let t = Tenant::create(&dir, "acme", &["e1"]);
    t.fixed.advance(10 * Timestamp::DAY);
    ca::issue(
        &t.store,
        "acme",
        tlscope_agent::ca::identity::NodeRole::Edge,
        "e2",
        &t.policy,
        t.clock_now_ts(),
    )
    .unwrap();
    assert!(t.coordinator.reload().unwrap());
    assert_eq!(t.coordinator.counters.stale_crls.load(Ordering::Relaxed), 1);
    let events = t.coordinator.tick().unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RotationEvent::CrlRefreshed)),
        "{events:?}"
    );
    ca::issue(
        &t.store,
        "acme",
        tlscope_agent::ca::identity::NodeRole::Edge,
        "e3",
        &t.policy,
        t.clock_now_ts(),
    )
    .unwrap();
    assert!(t.coordinator.reload().unwrap());
    assert_eq!(
        t.coordinator.counters.stale_crls.load(Ordering::Relaxed),
        1,
        "still reported after the schedule re-signed the CRLs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The policy decides what a stale CRL means: a coordinator failing open keeps accepting the
/// edge (and reports the CRL), one failing closed (`rotation.crl_fail_closed`) refuses it with
/// the reason, and accepts it again once the schedule has re-signed the CRL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_crl_fails_open_or_closed_as_the_policy_says() {
    use tlscope_agent::coordinator::Coordinator;
    let dir = scratch("stale-crl-closed");
    let t = Tenant::start(&dir, "acme", &["e1"]).await;
    let mut closed_policy = (*t.policy).clone();
    closed_policy.rotation.crl_fail_closed = true;
    let closed_policy = Arc::new(closed_policy);
    let closed = Coordinator::new(
        Arc::clone(&t.store),
        "acme",
        "coordinator",
        Arc::clone(&closed_policy),
        Arc::clone(&t.clock),
    )
    .unwrap();
    let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mtls = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = mtls.local_addr().unwrap();
    tokio::spawn(Arc::clone(&closed).serve(client, mtls));
    let edge_to = |addr| {
        Edge::new(
            Arc::clone(&t.store),
            "acme",
            "e1",
            addr,
            "coordinator",
            Arc::clone(&t.policy),
            Arc::clone(&t.clock),
        )
        .unwrap()
    };
    edge_to(closed_addr)
        .handshake_once()
        .await
        .expect("a fresh CRL: accepted");

    // No schedule runs for 10 days: the 7-day CRL is past its nextUpdate.
    t.fixed.advance(10 * Timestamp::DAY);
    edge_to(t.mtls_addr)
        .handshake_once()
        .await
        .expect("failing open, the edge is still accepted");
    let mut records = closed.records();
    edge_to(closed_addr)
        .handshake_once()
        .await
        .expect_err("failing closed, the edge is refused");
    // The edge only sees an alert; the coordinator's record says why.
    let record = tokio::time::timeout(Duration::from_secs(5), records.recv())
        .await
        .unwrap()
        .unwrap();
    let Outcome::Refused { reason, .. } = record.outcome else {
        panic!("expected a refusal, got {record:?}");
    };
    assert!(reason.contains("nextUpdate"), "{reason}");

    // The schedule re-signs the CRL; the closed coordinator reloads and accepts again.
    t.coordinator.tick().unwrap();
    closed.reload().unwrap();
    edge_to(closed_addr)
        .handshake_once()
        .await
        .expect("accepted again with a fresh CRL");
    let _ = std::fs::remove_dir_all(&dir);
}
