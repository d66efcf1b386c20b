//! Two simulated years of the mesh across hosts: two coordinators, each with its own handle on
//! one CA store on a real SeaweedFS, and three edges enrolled over the network that run from
//! their own state directories, heartbeat continuously, fail over between the coordinators,
//! renew themselves over their mTLS channel and follow the CA's rotation through the trust
//! bundle. The clock moves a day at a time; both coordinators run the rotation schedule.
//! Every day each edge's current certificate must be accepted by both coordinators (zero failed
//! legitimate handshakes), and every replaced edge certificate must be refused by both once its
//! grace is over.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tlscope_agent::ca::identity::NodeRole;
use tlscope_agent::ca::{self, RotationEvent, enrolment};
use tlscope_agent::clock::{Clock, FixedClock};
use tlscope_agent::coordinator::Coordinator;
use tlscope_agent::edge::{Edge, EdgeEvent};
use tlscope_agent::enrol_client;
use tlscope_agent::node_state::StateDir;
use tlscope_agent::store::Store;
use tlscope_agent::store::object::{S3Location, StaticCredentials};
use tlscope_agent::store::sealing::SealingKey;
use tlscope_core::handshake::Outcome;
use tlscope_core::{Policy, Timestamp};
use tlscope_testbed::SeaweedS3;

const STORE_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const EDGES: [&str; 3] = ["e1", "e2", "e3"];
const DAYS: i64 = 730;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// A store handle of its own, as a coordinator on another host would open it.
fn open(s3: &SeaweedS3) -> Arc<Store> {
    let location = S3Location {
        endpoint: Some(s3.endpoint.clone()),
        credentials: Some(StaticCredentials {
            access_key_id: s3.access_key.clone(),
            secret_access_key: s3.secret_key.clone(),
        }),
        ..S3Location::parse(&format!("s3://{}/mesh", s3.bucket)).expect("location")
    };
    let key = SealingKey::from_bytes(STORE_KEY.as_bytes()).expect("store key");
    Arc::new(Store::open_objects(location, Some(key)).expect("open the shared store"))
}

struct Host {
    coordinator: Arc<Coordinator>,
    client: SocketAddr,
    mtls: SocketAddr,
}

async fn serve(coordinator: Arc<Coordinator>) -> Host {
    let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mtls = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (client_addr, mtls_addr) = (client.local_addr().unwrap(), mtls.local_addr().unwrap());
    tokio::spawn(Arc::clone(&coordinator).serve(client, mtls));
    Host {
        coordinator,
        client: client_addr,
        mtls: mtls_addr,
    }
}

fn copy_state(from: &Path, to: &Path) -> StateDir {
    std::fs::create_dir_all(to).unwrap();
    for f in ["cert.pem", "key.pem", "ca.pem", "crl.pem"] {
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
    StateDir::new(to)
}

/// One handshake and heartbeat from `state` to the coordinator at `addr`: the reason it failed,
/// if it did.
async fn handshake(
    state: &StateDir,
    addr: SocketAddr,
    policy: &Arc<Policy>,
    clock: &Arc<dyn Clock>,
) -> Result<(), String> {
    let edge = Edge::from_state(
        state.clone(),
        vec![addr],
        Arc::clone(policy),
        Arc::clone(clock),
    )
    .map_err(|e| e.to_string())?;
    edge.handshake_once()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_years_across_hosts_on_a_shared_store_without_a_failed_handshake() {
    let dir = scratch("mesh-years");
    let s3 = tlscope_testbed::seaweedfs(&dir, "tlscope", "127.0.0.1", None);
    let policy = Arc::new(Policy::default());
    let fixed = Arc::new(FixedClock::new(
        Timestamp::parse_rfc3339("2026-11-23T00:00:00Z").unwrap(),
    ));
    let clock: Arc<dyn Clock> = fixed.clone();
    let (store1, store2) = (open(&s3), open(&s3));
    ca::init(&store1, "acme", &policy, clock.now()).expect("init");
    for c in ["c1", "c2"] {
        ca::issue(
            &store1,
            "acme",
            NodeRole::Coordinator,
            c,
            &policy,
            clock.now(),
        )
        .expect("issue");
    }
    let mut hosts = Vec::new();
    for (name, store) in [("c1", &store1), ("c2", &store2)] {
        let c = Coordinator::new(
            Arc::clone(store),
            "acme",
            name,
            Arc::clone(&policy),
            Arc::clone(&clock),
        )
        .expect("coordinator");
        hosts.push(serve(c).await);
    }
    let mut rotations: Vec<_> = hosts
        .iter()
        .map(|h| h.coordinator.rotation_events())
        .collect();

    // The edges enrol, e1 and e2 through c1, e3 through c2; each prefers a different coordinator.
    let mut states = BTreeMap::new();
    let mut events = BTreeMap::new();
    for (i, name) in EDGES.iter().enumerate() {
        let via = &hosts[usize::from(i == 2)];
        let joined =
            enrolment::token(&store1, "acme", NodeRole::Edge, name, 900, clock.now()).unwrap();
        let state = StateDir::new(dir.join(name));
        enrol_client::enroll(
            via.client,
            &joined.token,
            &joined.ca_fingerprint,
            &state,
            &policy,
            Arc::clone(&clock),
        )
        .await
        .expect("enrol");
        let order = if i % 2 == 0 {
            vec![hosts[0].mtls, hosts[1].mtls]
        } else {
            vec![hosts[1].mtls, hosts[0].mtls]
        };
        let edge = Arc::new(
            Edge::from_state(
                state.clone(),
                order,
                Arc::clone(&policy),
                Arc::clone(&clock),
            )
            .unwrap(),
        );
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(edge.run(Duration::from_millis(10), move |e| {
            let _ = tx.send(e);
        }));
        states.insert(*name, state);
        events.insert(*name, rx);
    }

    let mut copies: BTreeMap<String, (&str, StateDir)> = BTreeMap::new(); // serial → its edge and state
    let mut old: Vec<(String, Timestamp)> = Vec::new(); // replaced serial, grace end
    let mut refused_old = BTreeSet::new();
    let mut failures: Vec<String> = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut disconnects = Vec::new();
    let started = Instant::now();
    for day in 0..DAYS {
        fixed.advance(Timestamp::DAY);
        for host in &hosts {
            let c = Arc::clone(&host.coordinator);
            tokio::task::spawn_blocking(move || c.tick())
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("day {day}: tick: {e}"));
        }
        for host in &hosts {
            let c = Arc::clone(&host.coordinator);
            tokio::task::spawn_blocking(move || c.reload())
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("day {day}: reload: {e}"));
        }
        // Each edge heartbeats at least twice after the tick (so it has seen today's trust
        // and, if due, renewed), within 30 s. What is queued from before was yesterday's.
        for (name, rx) in &mut events {
            while let Ok(e) = rx.try_recv() {
                tally(e, &mut counts, &mut disconnects, day, name);
            }
            let mut beats = 0;
            while beats < 2 {
                let next = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                    .await
                    .unwrap_or_else(|_| panic!("day {day}: edge {name} silent for 30 s"))
                    .expect("edge task");
                if tally(next, &mut counts, &mut disconnects, day, name) {
                    beats += 1;
                }
            }
        }
        for rx in &mut rotations {
            while let Ok(e) = rx.try_recv() {
                let kind = match &e {
                    RotationEvent::CaRotated { .. } => "ca rotations",
                    RotationEvent::CaRetired { .. } => "ca retirements",
                    RotationEvent::Renewed {
                        role: NodeRole::Edge,
                        previous,
                        grace_end,
                        ..
                    } => {
                        old.push((previous.clone(), *grace_end));
                        "edge renewals seen by coordinators"
                    }
                    RotationEvent::Renewed { .. } => "coordinator renewals",
                    RotationEvent::Revoked { .. } => "revocations",
                    RotationEvent::CrlRefreshed => "crl refreshes",
                };
                *counts.entry(kind).or_default() += 1;
            }
        }
        // Today's certificate of every edge is accepted by both coordinators; a copy of its
        // state is kept to present once it is replaced.
        for (name, state) in &states {
            let serial = state.material().expect("state").serial;
            copies.entry(serial.clone()).or_insert_with(|| {
                (
                    name,
                    copy_state(state.path(), &dir.join("old").join(&serial)),
                )
            });
            for host in &hosts {
                if let Err(e) = handshake(state, host.mtls, &policy, &clock).await {
                    failures.push(format!("day {day} {name} ({serial}) → {}: {e}", host.mtls));
                }
            }
        }
        // Every replaced certificate is refused by both coordinators once its grace is over.
        let now = clock.now();
        for (serial, grace_end) in &old {
            if now < *grace_end || refused_old.contains(serial) {
                continue;
            }
            let (name, copy) = copies
                .get(serial)
                .unwrap_or_else(|| panic!("no copy of {serial}"));
            // The old certificate and key with today's trust, so that it is the coordinator
            // that refuses, not the edge.
            for f in ["ca.pem", "crl.pem"] {
                std::fs::copy(states[name].path().join(f), copy.path().join(f)).unwrap();
            }
            for host in &hosts {
                let mut records = host.coordinator.records();
                let result = handshake(copy, host.mtls, &policy, &clock).await;
                assert!(
                    result.is_err(),
                    "day {day}: {serial} accepted after its grace"
                );
                let reason = loop {
                    let r = tokio::time::timeout(Duration::from_secs(10), records.recv())
                        .await
                        .expect("record")
                        .expect("records");
                    if let Outcome::Refused { reason, .. } = r.outcome {
                        break reason;
                    }
                };
                assert!(
                    reason.contains("revoked") || reason.contains("expired"),
                    "day {day}: {serial} refused for {reason:?}"
                );
            }
            refused_old.insert(serial.clone());
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{DAYS} days across two coordinators on one S3 store in {:.1} s: {counts:?}; {} old edge certificates refused by both; {} compare-and-swap retries; {} reconnects",
        elapsed.as_secs_f64(),
        refused_old.len(),
        store1.conflicts() + store2.conflicts(),
        disconnects.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed handshakes: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(
        counts.get("ca rotations").copied().unwrap_or(0) >= 1,
        "{counts:?}"
    );
    // 90-day certificates renewed 14 days early over two years: at least 9 renewals per edge.
    assert!(
        counts.get("edge renewals").copied().unwrap_or(0) >= 9 * EDGES.len(),
        "{counts:?}"
    );
    assert!(
        refused_old.len() >= 8 * EDGES.len(),
        "only {} replaced certificates reached the end of their grace: {counts:?}",
        refused_old.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Counts what an edge reported; whether it was a heartbeat.
fn tally(
    event: EdgeEvent,
    counts: &mut BTreeMap<&str, usize>,
    disconnects: &mut Vec<String>,
    day: i64,
    name: &str,
) -> bool {
    match event {
        EdgeEvent::Heartbeat { .. } => return true,
        EdgeEvent::Renewed { .. } => *counts.entry("edge renewals").or_default() += 1,
        EdgeEvent::TrustUpdated { .. } => *counts.entry("trust updates").or_default() += 1,
        EdgeEvent::Disconnected { reason, .. }
            if reason != "reconnecting with the renewed certificate" =>
        {
            disconnects.push(format!("day {day} {name}: {reason}"));
        }
        _ => {}
    }
    false
}
