//! The probe offers every ML-KEM group one at a time and reports exactly those a server accepts:
//! rustls servers on loopback (aws-lc-rs, TLS 1.3) configured with all four ML-KEM groups
//! rustls has (X25519MLKEM768, SecP256r1MLKEM768, MLKEM768, MLKEM1024; no SecP384r1MLKEM1024),
//! with one hybrid, and with classical groups only — the last judged TLS-NO-POST-QUANTUM.

use std::sync::Arc;

use rustls::crypto::SupportedKxGroup;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use tlscope_agent::probe::ProbeOptions;
use tlscope_core::{Policy, Timestamp};
use tokio::net::TcpListener;

/// A TLS 1.3 rustls server on loopback accepting `groups`; answers until the test ends.
async fn server(groups: Vec<&'static dyn SupportedKxGroup>) -> (u16, tokio::task::JoinHandle<()>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let provider = rustls::crypto::CryptoProvider {
        kx_groups: groups,
        ..aws_lc_rs::default_provider()
    };
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Probes hang up after the ServerHello; a failed handshake is expected.
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(5), acceptor.accept(tcp))
                        .await;
            });
        }
    });
    (port, task)
}

async fn probe(port: u16) -> tlscope_core::probe::ProbeReport {
    let target = tlscope_agent::probe::parse(&format!("localhost:{port}")).expect("target");
    let report = tlscope_agent::probe::probe(
        &target,
        &ProbeOptions::default(),
        Timestamp::from_unix(1_800_000_000),
    )
    .await;
    assert_eq!(report.error, None, "{report:?}");
    report
}

fn judged(report: &tlscope_core::probe::ProbeReport) -> Vec<&'static str> {
    tlscope_core::judge::probe(
        report,
        &[],
        &Policy::default(),
        Timestamp::from_unix(1_800_000_000),
    )
    .iter()
    .map(|f| f.rule)
    .collect()
}

#[tokio::test]
async fn every_ml_kem_group_is_offered_and_reported_as_accepted() {
    let (all, all_task) = server(vec![
        kx_group::X25519MLKEM768,
        kx_group::SECP256R1MLKEM768,
        kx_group::MLKEM768,
        kx_group::MLKEM1024,
        kx_group::X25519,
        kx_group::SECP256R1,
        kx_group::SECP384R1,
    ])
    .await;
    let (hybrid, hybrid_task) = server(vec![kx_group::X25519MLKEM768, kx_group::X25519]).await;
    let (classical, classical_task) = server(vec![kx_group::X25519, kx_group::SECP256R1]).await;

    let r = probe(all).await;
    assert_eq!(
        r.groups,
        [
            "X25519MLKEM768",
            "SecP256r1MLKEM768",
            "MLKEM768",
            "MLKEM1024",
            "x25519",
            "secp256r1",
            "secp384r1"
        ],
        "SecP384r1MLKEM1024 is offered too and rustls does not speak it"
    );
    assert!(!judged(&r).contains(&"TLS-NO-POST-QUANTUM"));

    let r = probe(hybrid).await;
    assert_eq!(r.groups, ["X25519MLKEM768", "x25519"]);
    assert!(!judged(&r).contains(&"TLS-NO-POST-QUANTUM"));

    let r = probe(classical).await;
    assert_eq!(r.groups, ["x25519", "secp256r1"]);
    let findings = tlscope_core::judge::probe(
        &r,
        &[],
        &Policy::default(),
        Timestamp::from_unix(1_800_000_000),
    );
    let pq: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "TLS-NO-POST-QUANTUM")
        .collect();
    assert_eq!(pq.len(), 1, "{findings:?}");
    assert_eq!(pq[0].severity, tlscope_core::rules::Severity::Info);
    assert!(
        pq[0].evidence.contains("x25519, secp256r1 only"),
        "{}",
        pq[0].evidence
    );

    for task in [all_task, hybrid_task, classical_task] {
        task.abort();
    }
}
