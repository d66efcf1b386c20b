//! Enrolment over the network and renewal over the mTLS channel, against a real coordinator on
//! loopback: the key never leaves the node's state directory, a token works once, and every
//! refusal (token used twice, expired, another tenant's, wrong CA fingerprint, coordinator down,
//! a CSR naming someone else or with the wrong key) leaves the state directory untouched. An
//! enrolled edge heartbeats from its own state, renews itself when the core's planner says so,
//! its old certificate is accepted through the grace period and refused after it, a revoked
//! edge cannot renew, and an edge cut off from its coordinator past its renewal date renews once
//! the link is back.

mod infra;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use infra::{Tenant, scratch};
use tlscope_agent::ca::enrolment::{self, EnrolError};
use tlscope_agent::ca::identity::NodeRole;
use tlscope_agent::ca::{self, CaError};
use tlscope_agent::edge::{Edge, EdgeEvent};
use tlscope_agent::enrol_client::{self, EnrolClientError};
use tlscope_agent::node_state::StateDir;
use tlscope_core::Timestamp;

const DAY: i64 = Timestamp::DAY;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn enrol(
    t: &Tenant,
    token: &str,
    pin: &str,
    state: &StateDir,
) -> Result<enrolment::Issued, EnrolClientError> {
    enrol_client::enroll(
        t.client_addr,
        token,
        pin,
        state,
        &t.policy,
        Arc::clone(&t.clock),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_enrols_with_its_own_key_and_every_refusal_writes_nothing() {
    let dir = scratch("enrolment");
    let t = Tenant::start(&dir, "acme", &[]).await;
    let now = t.clock.now();
    let joined = enrolment::token(&t.store, "acme", NodeRole::Edge, "e1", 900, now).unwrap();
    assert!(joined.token.starts_with("tlsj1.acme."), "{}", joined.token);
    assert!(joined.ca_fingerprint.starts_with("sha256:"));

    // A wrong CA fingerprint: the coordinator is not trusted, nothing is sent or written.
    let wrong_pin = format!("sha256:{}", "0".repeat(64));
    let state = StateDir::new(dir.join("e1"));
    let err = enrol(&t, &joined.token, &wrong_pin, &state)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pinned fingerprint"), "{err}");
    assert!(files(state.path()).is_empty(), "{:?}", files(state.path()));

    // The right one: enrolled, key 0600 here, and no key of e1 in the CA store.
    let issued = enrol(&t, &joined.token, &joined.ca_fingerprint, &state)
        .await
        .expect("enrol");
    assert_eq!(issued.identity, "spiffe://tlscope/tenant/acme/edge/e1");
    assert_eq!(
        files(state.path()),
        ["ca.pem", "cert.pem", "crl.pem", "key.pem"]
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(state.path().join("key.pem"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // The key's base64 body (every PEM key starts alike; the body is the secret) is in no file
    // of the CA's store.
    let key = std::fs::read_to_string(state.path().join("key.pem")).unwrap();
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(body.len() > 100, "{key}");
    for f in walk(&dir.join("acme")) {
        let text: String = String::from_utf8_lossy(&std::fs::read(&f).unwrap())
            .lines()
            .collect();
        assert!(
            !text.contains(&body),
            "{} holds the edge's key",
            f.display()
        );
    }
    let listed = ca::list(&t.store, "acme").unwrap();
    assert!(
        listed
            .iter()
            .any(|l| l.name == "e1" && l.serial == issued.serial)
    );

    // The same token again: refused, and the second state directory stays empty.
    let again = StateDir::new(dir.join("e1-again"));
    let err = enrol(&t, &joined.token, &joined.ca_fingerprint, &again)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EnrolClientError::Refused { status: 403, message, .. } if message.contains("already used")),
        "{err}"
    );
    assert!(files(again.path()).is_empty());

    // An expired token.
    let late = enrolment::token(&t.store, "acme", NodeRole::Edge, "e2", 60, now).unwrap();
    t.fixed.advance(120);
    let err = enrol(&t, &late.token, &late.ca_fingerprint, &again)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(files(again.path()).is_empty());

    // Another tenant's token at this tenant's coordinator.
    let other = Tenant::create(&dir, "globex", &[]);
    let foreign = enrolment::token(&other.store, "globex", NodeRole::Edge, "e9", 900, now).unwrap();
    let err = enrol(&t, &foreign.token, &joined.ca_fingerprint, &again)
        .await
        .unwrap_err();
    // The node refuses before it sends the token: the coordinator is not of the token's tenant.
    assert!(
        err.to_string()
            .contains("belongs to tenant \"acme\", expected \"globex\""),
        "{err}"
    );
    // And the CA refuses it too, whoever presents it.
    let (_, csr) = enrol_client::key_and_csr(None).unwrap();
    let err = enrolment::enroll(
        &t.store,
        "acme",
        &foreign.token,
        csr.as_bytes(),
        &t.policy,
        now,
    )
    .unwrap_err();
    assert!(
        matches!(&err, CaError::Enrol(EnrolError::OtherTenant { token_tenant, .. }) if token_tenant == "globex"),
        "{err}"
    );
    assert!(files(again.path()).is_empty());

    // A coordinator that is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let fresh =
        enrolment::token(&t.store, "acme", NodeRole::Edge, "e3", 900, t.clock.now()).unwrap();
    let err = enrol_client::enroll(
        closed,
        &fresh.token,
        &fresh.ca_fingerprint,
        &again,
        &t.policy,
        Arc::clone(&t.clock),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, EnrolClientError::Connect { .. }), "{err}");
    assert!(files(again.path()).is_empty());

    // CSRs the CA refuses: one naming another node, one with a P-384 key.
    let (_, named) = enrol_client::key_and_csr(Some("someone-else")).unwrap();
    let err = enrolment::enroll(
        &t.store,
        "acme",
        &fresh.token,
        named.as_bytes(),
        &t.policy,
        t.clock.now(),
    )
    .unwrap_err();
    assert!(
        matches!(err, CaError::Enrol(EnrolError::NameMismatch { .. })),
        "{err}"
    );
    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let csr = rcgen::CertificateParams::default()
        .serialize_request(&p384)
        .unwrap()
        .pem()
        .unwrap();
    let token =
        enrolment::token(&t.store, "acme", NodeRole::Edge, "e4", 900, t.clock.now()).unwrap();
    let err = enrolment::enroll(
        &t.store,
        "acme",
        &token.token,
        csr.as_bytes(),
        &t.policy,
        t.clock.now(),
    )
    .unwrap_err();
    assert!(
        matches!(err, CaError::Enrol(EnrolError::BadKey(_))),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// Copies a state directory (the edge's previous certificate, for presenting it later).
fn copy_state(from: &Path, to: &Path) -> StateDir {
    std::fs::create_dir_all(to).unwrap();
    for f in ["cert.pem", "key.pem", "ca.pem", "crl.pem"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    StateDir::new(to)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolled_edge_renews_over_its_mtls_channel_and_the_old_certificate_ends_with_its_grace()
{
    let dir = scratch("enrolled-renewal");
    let t = Tenant::start(&dir, "acme", &[]).await;
    let mut rotations = t.coordinator.rotation_events();
    let joined =
        enrolment::token(&t.store, "acme", NodeRole::Edge, "e1", 900, t.clock.now()).unwrap();
    let state = StateDir::new(dir.join("e1"));
    let first = enrol(&t, &joined.token, &joined.ca_fingerprint, &state)
        .await
        .expect("enrol");
    let before = copy_state(state.path(), &dir.join("e1-before"));

    let edge = Arc::new(
        Edge::from_state(
            state.clone(),
            vec![t.mtls_addr],
            Arc::clone(&t.policy),
            Arc::clone(&t.clock),
        )
        .unwrap(),
    );
    edge.handshake_once()
        .await
        .expect("the enrolled edge is accepted");

    // 80 days on, the edge is inside its 14-day renewal window: it renews by itself.
    t.fixed.advance(80 * DAY);
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let runner = tokio::spawn(Arc::clone(&edge).run(Duration::from_millis(100), move |e| {
        let _ = events_tx.send(e);
    }));
    let renewed = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(e) = events.recv().await {
            if let EdgeEvent::Renewed { serial, .. } = e {
                return serial;
            }
        }
        String::new()
    })
    .await
    .expect("renewed within 20 s");
    runner.abort();
    assert_ne!(renewed, first.serial);
    assert_eq!(state.material().unwrap().serial, renewed);
    let event = tokio::time::timeout(Duration::from_secs(5), rotations.recv())
        .await
        .unwrap()
        .unwrap();
    let ca::RotationEvent::Renewed {
        previous,
        grace_end,
        ..
    } = event
    else {
        panic!("expected a renewal event, got {event:?}");
    };
    assert_eq!(previous, first.serial);
    // The core's grace end: replaced on day 80 of 90, both accepted until the old notAfter.
    assert_eq!(grace_end, first.not_after);

    // During the grace period the old certificate is still accepted...
    let old = Edge::from_state(
        before,
        vec![t.mtls_addr],
        Arc::clone(&t.policy),
        Arc::clone(&t.clock),
    )
    .unwrap();
    old.handshake_once()
        .await
        .expect("the old certificate is accepted in grace");
    // ...and after it, revoked and refused, while the renewed one works.
    t.fixed.advance(11 * DAY);
    t.coordinator.tick().unwrap();
    let refused = old.handshake_once().await.unwrap_err();
    assert!(
        refused.to_string().contains("revoked") || refused.to_string().contains("expired"),
        "{refused}"
    );
    edge.handshake_once()
        .await
        .expect("the renewed certificate is accepted");

    // A revoked edge cannot renew.
    ca::revoke(&t.store, "acme", "e1", t.clock.now()).unwrap();
    t.coordinator.reload().unwrap();
    let err = enrol_client::renew(edge_config(&state, &t), t.mtls_addr, "acme", "e1", &state)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("revoked") || err.to_string().contains("no current certificate"),
        "{err}"
    );
    assert_eq!(
        state.material().unwrap().serial,
        renewed,
        "a refused renewal changed the state"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An mTLS client configuration presenting the state directory's certificate.
fn edge_config(state: &StateDir, t: &Tenant) -> Arc<rustls::ClientConfig> {
    use tlscope_agent::mtls;
    let material = state.material().unwrap();
    let provider = mtls::provider(&t.policy).unwrap();
    let credentials = Arc::new(mtls::Credentials::new(&provider, &material).unwrap());
    let verifier =
        Arc::new(mtls::CoordinatorVerifier::by_identity(Arc::clone(&provider), &material).unwrap());
    Arc::new(
        mtls::client_config(
            provider,
            Arc::clone(&t.clock),
            credentials,
            verifier,
            &[b"http/1.1"],
        )
        .unwrap(),
    )
}

/// A second coordinator of the same tenant and store, served on fresh loopback ports; returns
/// its (client, mTLS) addresses and the task serving it.
async fn second_coordinator(
    t: &Tenant,
    name: &str,
) -> (
    std::net::SocketAddr,
    std::net::SocketAddr,
    tokio::task::JoinHandle<()>,
) {
    let c = tlscope_agent::coordinator::Coordinator::new(
        Arc::clone(&t.store),
        &t.name,
        name,
        Arc::clone(&t.policy),
        Arc::clone(&t.clock),
    )
    .expect("second coordinator");
    let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mtls = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addrs = (client.local_addr().unwrap(), mtls.local_addr().unwrap());
    let task = tokio::spawn(c.serve(client, mtls));
    (addrs.0, addrs.1, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_coordinators_racing_for_one_token_issue_exactly_once() {
    let dir = scratch("enrolment-race");
    let t = Tenant::start(&dir, "acme", &[]).await;
    let (c2_client, _, _c2) = second_coordinator(&t, "c2").await;
    for round in 0..5 {
        let name = format!("e{round}");
        let joined =
            enrolment::token(&t.store, "acme", NodeRole::Edge, &name, 900, t.clock.now()).unwrap();
        let (a, b) = (
            StateDir::new(dir.join(format!("{name}-a"))),
            StateDir::new(dir.join(format!("{name}-b"))),
        );
        let (ra, rb) = tokio::join!(
            enrol_client::enroll(
                t.client_addr,
                &joined.token,
                &joined.ca_fingerprint,
                &a,
                &t.policy,
                Arc::clone(&t.clock)
            ),
            enrol_client::enroll(
                c2_client,
                &joined.token,
                &joined.ca_fingerprint,
                &b,
                &t.policy,
                Arc::clone(&t.clock)
            ),
        );
        assert!(
            ra.is_ok() != rb.is_ok(),
            "round {round}: exactly one coordinator may accept the token: {ra:?} / {rb:?}"
        );
        let loser = if ra.is_ok() { &b } else { &a };
        assert!(
            files(loser.path()).is_empty(),
            "the refused node wrote files"
        );
        let current: Vec<_> = ca::list(&t.store, "acme")
            .unwrap()
            .into_iter()
            .filter(|l| l.name == name)
            .collect();
        assert_eq!(current.len(), 1, "{current:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolled_edge_fails_over_when_its_coordinator_stops() {
    let dir = scratch("enrolment-failover");
    let t = Tenant::start(&dir, "acme", &[]).await;
    let (_, c2_mtls, c2_task) = second_coordinator(&t, "c2").await;
    let (_, c3_mtls, _c3) = second_coordinator(&t, "c3").await;
    let joined =
        enrolment::token(&t.store, "acme", NodeRole::Edge, "e1", 900, t.clock.now()).unwrap();
    let state = StateDir::new(dir.join("e1"));
    enrol(&t, &joined.token, &joined.ca_fingerprint, &state)
        .await
        .expect("enrol");
    let edge = Arc::new(
        Edge::from_state(
            state,
            vec![c2_mtls, c3_mtls],
            Arc::clone(&t.policy),
            Arc::clone(&t.clock),
        )
        .unwrap(),
    );
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let runner = tokio::spawn(Arc::clone(&edge).run(Duration::from_millis(50), move |e| {
        let _ = tx.send(e);
    }));
    assert!(
        heard_from(&mut events, "c2").await,
        "no heartbeat answered by c2"
    );
    // c2 stops (its listeners and connections go with its task): the edge moves to c3.
    c2_task.abort();
    assert!(
        heard_from(&mut events, "c3").await,
        "the edge did not fail over to c3"
    );
    runner.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether a heartbeat answered by coordinator `wanted` arrives within 20 s.
async fn heard_from(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<EdgeEvent>,
    wanted: &str,
) -> bool {
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(e) = events.recv().await {
            if let EdgeEvent::Heartbeat { coordinator, .. } = e
                && coordinator == wanted
            {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false)
}

/// A loopback TCP relay to a coordinator that the test can cut like a network link: while cut,
/// established connections are closed and new ones are dropped on arrival.
struct Relay {
    addr: std::net::SocketAddr,
    link: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (link, up) = tokio::sync::watch::channel(true);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut up = up.clone();
                if !*up.borrow() {
                    continue; // dropped: the link is down
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = up.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { addr, link, task }
    }

    fn set(&self, up: bool) {
        let _ = self.link.send(up);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Issue 17: an edge cut off from its coordinator past its renewal date renews as soon as the
/// link is back, over its mTLS channel, with its own new key, and keeps heartbeating.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_cut_off_past_its_renewal_date_renews_when_it_reconnects() {
    let dir = scratch("enrolment-cut-off");
    let t = Tenant::start(&dir, "acme", &[]).await;
    let joined =
        enrolment::token(&t.store, "acme", NodeRole::Edge, "e1", 900, t.clock.now()).unwrap();
    let state = StateDir::new(dir.join("e1"));
    let first = enrol(&t, &joined.token, &joined.ca_fingerprint, &state)
        .await
        .expect("enrol");
    let relay = Relay::to(t.mtls_addr).await;
    let edge = Arc::new(
        Edge::from_state(
            state.clone(),
            vec![relay.addr],
            Arc::clone(&t.policy),
            Arc::clone(&t.clock),
        )
        .unwrap(),
    );
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let runner = tokio::spawn(Arc::clone(&edge).run(Duration::from_millis(50), move |e| {
        let _ = tx.send(e);
    }));
    assert!(
        heard_from(&mut events, "coordinator").await,
        "no first heartbeat"
    );

    // The link goes down; the edge loses its connection and retries with backoff.
    relay.set(false);
    let lost = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = events.recv().await {
            if let EdgeEvent::Disconnected { reason, .. } = e {
                return reason;
            }
        }
        String::new()
    })
    .await
    .expect("the edge noticed the cut within 10 s");
    assert!(!lost.is_empty());
    // 80 days pass while it is cut off: it is 4 days into its renewal window.
    t.fixed.advance(80 * DAY);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        state.material().unwrap().serial,
        first.serial,
        "nothing can renew while the link is down"
    );

    // The link is back: the edge reconnects and renews.
    relay.set(true);
    let renewed = tokio::time::timeout(Duration::from_secs(40), async {
        while let Some(e) = events.recv().await {
            if let EdgeEvent::Renewed { serial, .. } = e {
                return serial;
            }
        }
        String::new()
    })
    .await
    .expect("renewed within 40 s of the link coming back");
    assert_ne!(renewed, first.serial);
    assert_eq!(state.material().unwrap().serial, renewed);
    assert!(
        heard_from(&mut events, "coordinator").await,
        "heartbeats go on with the renewed certificate"
    );
    runner.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 17's figures: enrolments and renewals one coordinator sustains, all at once from 40
/// edges (each renewal: a new key and CSR at the edge, a store commit and a reload at the
/// coordinator). Every one must succeed with a serial of its own; the rates are printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_edges_enrol_and_renew_at_once_through_one_coordinator() {
    const EDGES: usize = 40;
    let dir = scratch("enrolment-rate");
    let t = Tenant::start(&dir, "acme", &[]).await;
    let mut joined = Vec::new();
    for i in 0..EDGES {
        let name = format!("e{i}");
        let j =
            enrolment::token(&t.store, "acme", NodeRole::Edge, &name, 900, t.clock.now()).unwrap();
        joined.push((name, j));
    }
    let started = std::time::Instant::now();
    let enrolled = futures_util::future::join_all(joined.iter().map(|(name, j)| {
        let state = StateDir::new(dir.join(name));
        let t = &t;
        async move {
            enrol(t, &j.token, &j.ca_fingerprint, &state)
                .await
                .map(|issued| (name.clone(), state, issued.serial))
        }
    }))
    .await;
    let enrol_time = started.elapsed();
    let enrolled: Vec<_> = enrolled
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every enrolment succeeds");

    let started = std::time::Instant::now();
    let renewed =
        futures_util::future::join_all(enrolled.iter().map(|(name, state, _)| {
            let t = &t;
            async move {
                enrol_client::renew(edge_config(state, t), t.mtls_addr, "acme", name, state).await
            }
        }))
        .await;
    let renew_time = started.elapsed();
    let mut serials = std::collections::BTreeSet::new();
    for ((_, _, first), r) in enrolled.iter().zip(renewed) {
        let issued = r.expect("every renewal succeeds");
        assert_ne!(&issued.serial, first);
        assert!(serials.insert(issued.serial), "serials are unique");
    }
    println!(
        "{EDGES} edges at once through one coordinator: {:.0} enrolments/s, {:.0} renewals/s",
        EDGES as f64 / enrol_time.as_secs_f64(),
        EDGES as f64 / renew_time.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
