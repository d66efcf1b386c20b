//! The coordinator and edges on loopback, in process, with real rustls handshakes: the rejection
//! matrix (each refusal recorded with its reason), valid edges accepted, reconnect with backoff,
//! and interoperability with `openssl s_client` and `curl`.

mod infra;

use std::sync::Arc;
use std::time::Duration;

use infra::{Tenant, craft, scratch};
use rustls::pki_types::{CertificateDer, ServerName};
use tlscope_agent::ca::{self, NodeMaterial};
use tlscope_agent::edge::{Edge, EdgeEvent};
use tlscope_agent::probe::ProbeOptions;
use tlscope_agent::store::audit::Action;
use tlscope_core::handshake::{Outcome, Segment};
use tlscope_core::probe::ClientAuth;
use tlscope_core::protocol::TlsVersion;

/// Presents `material` to the coordinator and returns the reason it recorded ("accepted" when
/// it accepted).
async fn attempt(t: &Tenant, material: &NodeMaterial) -> String {
    let mut records = t.coordinator.records();
    let edge = Edge::with_material(
        Arc::clone(&t.store),
        material,
        t.mtls_addr,
        "coordinator",
        Arc::clone(&t.policy),
        t.clock.clone(),
    )
    .expect("edge config");
    let result = edge.handshake_once().await;
    let record = next_mtls(&mut records).await;
    match (&record.outcome, result) {
        (Outcome::Accepted, Ok(_)) => "accepted".into(),
        (Outcome::Refused { reason, refusal }, Err(_)) => format!("{}: {reason}", refusal.as_str()),
        (outcome, result) => panic!("coordinator said {outcome:?} but the edge got {result:?}"),
    }
}

async fn next_mtls(
    records: &mut tokio::sync::broadcast::Receiver<tlscope_core::handshake::HandshakeRecord>,
) -> tlscope_core::handshake::HandshakeRecord {
    loop {
        let r = tokio::time::timeout(Duration::from_secs(10), records.recv())
            .await
            .expect("a handshake record within 10 s")
            .expect("record channel open");
        if r.segment == Segment::Mtls {
            return r;
        }
    }
}

/// A rustls client with no client certificate or with only TLS 1.2, trusting the tenant CA.
async fn plain_client(t: &Tenant, tls12_only: bool) -> String {
    let mut records = t.coordinator.records();
    let mut roots = rustls::RootCertStore::empty();
    for ca in &t.material("e1").trusted {
        roots.add(ca.clone()).expect("root");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(t.mtls_addr)
        .await
        .expect("tcp");
    let name = ServerName::try_from("coordinator.acme.tlscope.internal").expect("name");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    if let Ok(mut tls) = connector.connect(name, tcp).await {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let _ = tls
            .write_all(b"GET /v1/whoami HTTP/1.1\r\nhost: x\r\n\r\n")
            .await;
        let mut buf = [0u8; 64];
        let _ = tls.read(&mut buf).await;
    }
    match next_mtls(&mut records).await.outcome {
        Outcome::Accepted => "accepted".into(),
        Outcome::Refused { reason, refusal } => format!("{}: {reason}", refusal.as_str()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_matrix_records_each_refusal_with_its_reason() {
    let dir = scratch("mtls-matrix");
    let t = Tenant::start(&dir, "acme", &["e1", "e2", "e3"]).await;
    let other = Tenant::create(&dir, "other", &["x1"]);
    let valid = t.material("e1");
    // What the client expects of the coordinator stays this tenant's; only what it presents changes.
    let trust = |m: NodeMaterial| NodeMaterial {
        identity: valid.identity.clone(),
        trusted: valid.trusted.clone(),
        crls: valid.crls.clone(),
        ..m
    };

    // Valid edges are accepted, with the record's details filled in.
    let mut records = t.coordinator.records();
    let edge = t.edge("e2");
    edge.handshake_once().await.expect("e2 accepted");
    let record = next_mtls(&mut records).await;
    assert_eq!(record.outcome, Outcome::Accepted);
    assert_eq!(record.version, Some(TlsVersion::Tls13));
    assert!(
        tlscope_core::protocol::TLS13_SUITES[..3].contains(&record.suite.as_deref().unwrap_or("")),
        "{record:?}"
    );
    assert!(record.group.is_some());
    assert_eq!(
        record.peer_identity.as_deref(),
        Some("spiffe://tlscope/tenant/acme/edge/e2")
    );
    assert_eq!(
        record.server_name.as_deref(),
        Some("coordinator.acme.tlscope.internal")
    );
    assert!(record.client_certificate && record.peer_chain.len() == 2);
    assert_eq!(attempt(&t, &valid).await, "accepted");

    let now = t.clock_now();
    let day = time::Duration::days(1);
    let cases: Vec<(&str, NodeMaterial, &str)> = vec![
        (
            "expired",
            craft(&t, "acme", |p| {
                p.not_before = now - day * 100;
                p.not_after = now - day;
            }),
            "expired: certificate expired",
        ),
        (
            "not yet valid",
            craft(&t, "acme", |p| {
                p.not_before = now + day;
                p.not_after = now + day * 90;
            }),
            "not-yet-valid: certificate not yet valid",
        ),
        (
            "another tenant's CA",
            trust(ca::material(&other.store, "other", "x1").expect("other tenant's edge")),
            "unknown-issuer: certificate not issued by a CA of this tenant (unknown issuer)",
        ),
        (
            "self-signed",
            infra::self_signed(&t),
            "unknown-issuer: certificate not issued by a CA of this tenant",
        ),
        (
            "wrong EKU (server auth only)",
            craft(&t, "acme", |p| {
                p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
            }),
            "wrong-purpose: certificate not valid for this purpose (extended key usage)",
        ),
        (
            "wrong identity (a coordinator certificate)",
            trust(t.material("coordinator")),
            "wrong-identity: wrong identity",
        ),
        (
            "wrong identity (another tenant's URI, signed by this CA)",
            craft(&t, "acme", |p| {
                p.subject_alt_names = vec![rcgen::SanType::URI(
                    "spiffe://tlscope/tenant/other/edge/e1"
                        .try_into()
                        .expect("uri"),
                )];
            }),
            "wrong-identity: wrong identity: spiffe://tlscope/tenant/other/edge/e1 belongs to tenant \"other\"",
        ),
    ];
    for (what, material, expected) in &cases {
        let reason = attempt(&t, material).await;
        assert!(
            reason.starts_with(expected),
            "{what}: expected a refusal starting {expected:?}, the coordinator recorded {reason:?}"
        );
    }

    // Every refusal is in the tenant's audit log once the coordinator flushes (as its schedule
    // does), with the peer, the listener and the class; appending moves no generation, so no
    // node reloads for it.
    let generation = ca::generation(&t.store, "acme").expect("generation");
    t.coordinator.flush_audit().expect("flush the audit log");
    assert_eq!(
        ca::generation(&t.store, "acme").expect("generation"),
        generation
    );
    let log = ca::audit_log(&t.store, "acme")
        .expect("read the log")
        .expect("the log verifies");
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.action == Action::HandshakeRefused)
        .collect();
    assert_eq!(refused.len(), cases.len(), "{refused:#?}");
    for class in [
        "expired",
        "not-yet-valid",
        "unknown-issuer",
        "wrong-purpose",
        "wrong-identity",
    ] {
        assert!(
            refused.iter().any(|e| e
                .detail
                .contains(&format!("mtls listener {}: {class} (", t.mtls_addr))),
            "no {class} refusal in {refused:#?}"
        );
    }
    assert!(
        refused
            .iter()
            .all(|e| e.actor == "coordinator/coordinator" && e.subject.starts_with("127.0.0.1:"))
    );

    // Revoked: e3 works, is revoked, the coordinator reloads, e3 is refused.
    let e3 = t.material("e3");
    assert_eq!(attempt(&t, &e3).await, "accepted");
    let is_edge = |name: &str| {
        t.coordinator
            .edges()
            .iter()
            .any(|e| e.identity.ends_with(&format!("/edge/{name}")))
    };
    assert!(is_edge("e3"), "e3 heartbeated: it is one of the edges");
    ca::revoke(&t.store, "acme", "e3", t.clock_now_ts()).expect("revoke");
    assert!(t.coordinator.reload().expect("reload"));
    assert_eq!(attempt(&t, &e3).await, "revoked: certificate revoked");
    // Revoked, it drops out of the edges (and so of the heartbeat alert); the others stay.
    assert!(!is_edge("e3") && is_edge("e2"));

    assert_eq!(
        plain_client(&t, false).await,
        "no-client-certificate: no client certificate"
    );
    assert_eq!(
        plain_client(&t, true).await,
        "protocol-version: protocol version: peer does not offer TLS 1.3"
    );
    assert_eq!(
        attempt(&t, &valid).await,
        "accepted",
        "valid edges still accepted"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_reconnects_with_backoff_until_the_coordinator_is_up() {
    let dir = scratch("mtls-backoff");
    let t = Tenant::create(&dir, "acme", &["e1"]);
    // Reserve a port, close it: the edge starts before anything listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let edge = Arc::new(
        Edge::new(
            Arc::clone(&t.store),
            "acme",
            "e1",
            port,
            "coordinator",
            Arc::clone(&t.policy),
            t.clock.clone(),
        )
        .expect("edge"),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(edge.run(Duration::from_millis(50), move |e| {
        let _ = tx.send(e);
    }));
    let mut backoffs = Vec::new();
    while backoffs.len() < 3 {
        if let Some(EdgeEvent::Disconnected { retry_in_ms, .. }) = rx.recv().await {
            backoffs.push(retry_in_ms);
        }
    }
    assert_eq!(backoffs, vec![100, 200, 400], "exponential backoff");
    let started = t.serve_on(port, "127.0.0.1:0".parse().expect("addr")).await;
    let mut connected = false;
    let mut heartbeats = 0;
    while heartbeats < 2 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(EdgeEvent::Connected { record })) => {
                assert_eq!(record.outcome, Outcome::Accepted);
                connected = true;
            }
            Ok(Some(EdgeEvent::Heartbeat {
                coordinator_serial, ..
            })) => {
                assert_eq!(coordinator_serial, started.serial());
                heartbeats += 1;
            }
            Ok(Some(_)) => {}
            other => panic!("edge did not reconnect: {other:?}"),
        }
    }
    assert!(connected);
    assert!(
        started
            .edges()
            .iter()
            .any(|e| e.identity.ends_with("/edge/e1") && e.heartbeats >= 2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn run_tool(cmd: &mut std::process::Command) -> (bool, String) {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (cargo xtask setup installs it)"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_and_curl_interoperate_and_tls12_is_refused() {
    let dir = scratch("mtls-interop");
    let t = Tenant::start(&dir, "acme", &["e1"]).await;
    let out = dir.join("export");
    ca::export(&t.store, "acme", "e1", &out).expect("export");
    let ca_pem = out.join("ca.pem");
    let client = t.client_addr.to_string();
    let mtls = t.mtls_addr.to_string();
    let mut records = t.coordinator.records();

    let (ca_file, cert, key) = (ca_pem.clone(), out.join("cert.pem"), out.join("key.pem"));
    let results = tokio::task::spawn_blocking(move || {
        let mut results = Vec::new();
        for suite in [
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_CCM_SHA256",
        ] {
            let (_, text) = run_tool(
                std::process::Command::new("openssl")
                    .args([
                        "s_client",
                        "-connect",
                        &client,
                        "-tls1_3",
                        "-ciphersuites",
                        suite,
                    ])
                    .arg("-CAfile")
                    .arg(&ca_file)
                    .args(["-servername", "localhost", "-verify_return_error"]),
            );
            results.push((suite.to_owned(), text));
        }
        let (_, tls12) = run_tool(
            std::process::Command::new("openssl")
                .args(["s_client", "-connect", &client, "-tls1_2"]),
        );
        results.push(("tls1_2".into(), tls12));
        let (ok, curl) = run_tool(
            std::process::Command::new("curl")
                .args(["-sS", "--max-time", "10", "--cacert"])
                .arg(&ca_file)
                .arg("--cert")
                .arg(&cert)
                .arg("--key")
                .arg(&key)
                .arg(format!(
                    "https://localhost:{}/v1/whoami",
                    mtls.rsplit(':').next().unwrap_or("")
                )),
        );
        results.push((format!("curl ok={ok}"), curl));
        let (ok, curl_nocert) = run_tool(
            std::process::Command::new("curl")
                .args(["-sS", "--max-time", "10", "--cacert"])
                .arg(&ca_file)
                .arg(format!(
                    "https://localhost:{}/v1/whoami",
                    mtls.rsplit(':').next().unwrap_or("")
                )),
        );
        results.push((format!("curl-nocert ok={ok}"), curl_nocert));
        // An edge certificate, but only a suite outside the three, on the mTLS listener.
        let (_, ccm) = run_tool(
            std::process::Command::new("openssl")
                .args([
                    "s_client",
                    "-connect",
                    &mtls,
                    "-tls1_3",
                    "-ciphersuites",
                    "TLS_AES_128_CCM_SHA256",
                ])
                .arg("-cert")
                .arg(&cert)
                .arg("-key")
                .arg(&key),
        );
        results.push(("mtls-ccm".into(), ccm));
        results
    })
    .await
    .expect("tools ran");

    for (suite, text) in &results[..3] {
        assert!(
            text.contains(&format!("Cipher is {suite}"))
                && text.contains("Verify return code: 0 (ok)"),
            "openssl -tls1_3 -ciphersuites {suite} should be accepted and verify:\n{text}"
        );
    }
    assert!(
        results[3].1.contains("alert handshake failure"),
        "a suite outside the three is refused: {}",
        results[3].1
    );
    assert!(
        results[4].1.contains("alert protocol version"),
        "TLS 1.2 is refused: {}",
        results[4].1
    );
    assert_eq!(results[5].0, "curl ok=true", "{}", results[5].1);
    assert!(
        results[5]
            .1
            .contains("\"peer_identity\":\"spiffe://tlscope/tenant/acme/edge/e1\""),
        "{}",
        results[5].1
    );
    assert_eq!(results[6].0, "curl-nocert ok=false", "{}", results[6].1);
    assert!(
        results[7].1.contains("alert handshake failure"),
        "{}",
        results[7].1
    );

    // The coordinator recorded all of it: 3 accepted client handshakes, the CCM-only and TLS 1.2
    // clients refused with their reasons, curl's mTLS accepted, curl without a certificate refused.
    let mut seen = Vec::new();
    while let Ok(Ok(r)) = tokio::time::timeout(Duration::from_millis(500), records.recv()).await {
        seen.push(r);
    }
    let reasons: Vec<String> = seen
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Accepted => format!(
                "{} accepted {}",
                r.segment.as_str(),
                r.suite.clone().unwrap_or_default()
            ),
            Outcome::Refused { reason, refusal } => {
                format!(
                    "{} refused {} {reason}",
                    r.segment.as_str(),
                    refusal.as_str()
                )
            }
        })
        .collect();
    for expected in [
        "client accepted TLS_AES_256_GCM_SHA384",
        "client accepted TLS_AES_128_GCM_SHA256",
        "client accepted TLS_CHACHA20_POLY1305_SHA256",
        "client refused cipher-suite no cipher suite in common",
        "client refused protocol-version protocol version",
        "mtls refused no-client-certificate no client certificate",
        "mtls refused cipher-suite no cipher suite in common",
    ] {
        assert!(
            reasons.iter().any(|r| r.starts_with(expected)),
            "expected a record {expected:?} in {reasons:#?}"
        );
    }
    assert!(
        seen.iter().any(|r| r.segment == Segment::Mtls
            && r.outcome == Outcome::Accepted
            && r.peer_identity.as_deref() == Some("spiffe://tlscope/tenant/acme/edge/e1")),
        "{reasons:#?}"
    );
    // `tlscope probe` sees that the mTLS listener requires a client certificate, and probes it
    // fully when given one.
    let target =
        tlscope_agent::probe::parse(&format!("localhost:{}", t.mtls_addr.port())).expect("target");
    let plain =
        tlscope_agent::probe::probe(&target, &ProbeOptions::default(), t.clock_now_ts()).await;
    assert_eq!(plain.error, None);
    assert_eq!(plain.client_auth, Some(ClientAuth::Required), "{plain:?}");
    assert!(
        plain.groups.iter().any(|g| g == "X25519MLKEM768"),
        "the hybrid post-quantum group: {:?}",
        plain.groups
    );
    let edge = t.material("e1");
    let with_cert = ProbeOptions {
        client: Some((edge.chain.clone(), Arc::new(edge.key.clone_key()))),
        ..ProbeOptions::default()
    };
    let full = tlscope_agent::probe::probe(&target, &with_cert, t.clock_now_ts()).await;
    assert_eq!(full.client_auth, Some(ClientAuth::Required));
    assert_eq!(full.chain.len(), 2, "{full:?}");
    assert!(full.resumption.is_some_and(|r| r.supported), "{full:?}");
    let _: Option<CertificateDer> = None;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 17: the coordinator remembers each client chain it verified, so a reconnecting edge
/// costs one signature check; the memory belongs to one set of trust and CRLs, so a revocation
/// still refuses the edge as soon as the coordinator reloads, and an entry ends with the leaf.
#[test]
fn a_remembered_chain_is_forgotten_when_the_crl_changes_and_ends_with_its_leaf() {
    use rustls::pki_types::UnixTime;
    use rustls::server::danger::ClientCertVerifier as _;
    use tlscope_agent::mtls::EdgeVerifier;
    let dir = scratch("verified-chains");
    let t = Tenant::create(&dir, "acme", &["e1"]);
    let verifier = EdgeVerifier::new(
        tlscope_agent::mtls::provider(&t.policy).unwrap(),
        &t.material("coordinator"),
        false,
    )
    .unwrap();
    let edge = t.material("e1");
    let at = |ts: tlscope_core::Timestamp| {
        UnixTime::since_unix_epoch(Duration::from_secs(ts.unix() as u64))
    };
    let now = at(t.clock.now());
    verifier
        .verify_client_cert(&edge.chain[0], &edge.chain[1..], now)
        .expect("verified");
    assert_eq!(verifier.remembered(), 1);
    verifier
        .verify_client_cert(&edge.chain[0], &edge.chain[1..], now)
        .expect("remembered");
    assert_eq!(verifier.remembered(), 1, "one entry per chain");
    // Past the leaf's notAfter the memory does not answer: webpki refuses.
    let late = at(tlscope_core::Timestamp::from_unix(
        t.clock.now().unix() + 91 * tlscope_core::Timestamp::DAY,
    ));
    assert!(
        verifier
            .verify_client_cert(&edge.chain[0], &edge.chain[1..], late)
            .is_err()
    );
    // Revoked, and the coordinator reloads: refused at once.
    ca::revoke(&t.store, "acme", "e1", t.clock.now()).unwrap();
    verifier.replace(&t.material("coordinator")).unwrap();
    assert_eq!(verifier.remembered(), 0);
    let refused = verifier
        .verify_client_cert(&edge.chain[0], &edge.chain[1..], now)
        .unwrap_err();
    assert!(
        tlscope_agent::mtls::describe(&refused).contains("revoked"),
        "{refused}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
