//! The node's side of enrolment and renewal: it makes its own ECDSA P-256 key and a CSR that
//! names only its CN, sends the CSR (with the join token, or over its mTLS channel) and writes
//! what comes back into its state directory. Enrolment reaches the coordinator's client
//! listener over TLS 1.3 and trusts it only through the pinned CA fingerprint; nothing is
//! written unless the coordinator issued a certificate for exactly the key made here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::body::Bytes;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls::pki_types::ServerName;
use tlscope_core::Policy;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::ca::enrolment::{self, Issued};
use crate::clock::Clock;
use crate::coordinator::{ALPN, HANDSHAKE_TIMEOUT};
use crate::mtls::{self, PinnedCaVerifier};
use crate::node_state::{StateDir, StateError, Update};

/// Why enrolment or renewal failed. Nothing was written to the state directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolClientError {
    /// The token is malformed.
    #[error(transparent)]
    Token(#[from] enrolment::EnrolError),
    /// `--ca-fingerprint` is not `sha256:` and 64 hex digits.
    #[error(
        "--ca-fingerprint {0:?}: expected sha256: and 64 hex digits, as `tlscope ca token` prints it"
    )]
    Fingerprint(String),
    /// The state directory already holds an enrolled node.
    #[error("{0} already holds an enrolled node; use another --state directory")]
    AlreadyEnrolled(String),
    /// The coordinator could not be reached, or the TLS handshake failed.
    #[error("coordinator {addr}: {reason}")]
    Connect {
        /// The address.
        addr: String,
        /// Why, in words.
        reason: String,
    },
    /// The coordinator refused.
    #[error("coordinator {addr} refused ({status}): {message}")]
    Refused {
        /// The address.
        addr: String,
        /// HTTP status.
        status: u16,
        /// The coordinator's reason.
        message: String,
    },
    /// The coordinator's answer is not usable.
    #[error("coordinator {addr} answered something unusable: {reason}")]
    Answer {
        /// The address.
        addr: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Key or CSR generation failed.
    #[error("cannot make the key or CSR: {0}")]
    Key(String),
    /// The state directory could not be written.
    #[error(transparent)]
    State(#[from] StateError),
    /// TLS configuration failed.
    #[error(transparent)]
    Mtls(#[from] mtls::MtlsError),
}

/// A new key and a CSR for it naming at most `name` as its CN (the CA takes the identity from
/// the token or the authenticated certificate, not from the CSR).
pub fn key_and_csr(name: Option<&str>) -> Result<(KeyPair, String), EnrolClientError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| EnrolClientError::Key(e.to_string()))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if let Some(name) = name {
        dn.push(DnType::CommonName, name);
    }
    params.distinguished_name = dn;
    let csr = params
        .serialize_request(&key)
        .and_then(|r| r.pem())
        .map_err(|e| EnrolClientError::Key(e.to_string()))?;
    Ok((key, csr))
}

/// Checks that `issued` certifies `key` and is for the identity expected.
fn check_issued(issued: &Issued, key: &KeyPair, addr: &str) -> Result<(), EnrolClientError> {
    use rustls::pki_types::pem::PemObject as _;
    let answer = |reason: String| EnrolClientError::Answer {
        addr: addr.to_owned(),
        reason,
    };
    let leaf = rustls::pki_types::CertificateDer::pem_slice_iter(issued.certificate.as_bytes())
        .next()
        .ok_or_else(|| answer("no certificate".into()))?
        .map_err(|e| answer(format!("the certificate is not PEM: {e}")))?;
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf)
        .map_err(|e| answer(format!("the certificate does not parse: {e}")))?;
    if cert.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
        return Err(answer(
            "the certificate is not for the key made here".into(),
        ));
    }
    Ok(())
}

/// Sends `body` as `POST path` on a fresh TLS connection made with `config`, returns the
/// status and the body.
async fn post(
    config: Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    server_name: ServerName<'static>,
    path: &str,
    body: String,
) -> Result<(u16, Vec<u8>), EnrolClientError> {
    let shown = addr.to_string();
    let fail = |reason: String| EnrolClientError::Connect {
        addr: shown.clone(),
        reason,
    };
    let tcp = tokio::time::timeout(HANDSHAKE_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| fail("connect timed out".into()))?
        .map_err(|e| fail(e.to_string()))?;
    let tls = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        TlsConnector::from(config).connect(server_name.clone(), tcp),
    )
    .await
    .map_err(|_| fail("handshake timed out".into()))?
    .map_err(|e| fail(mtls::refusal_reason(&e)))?;
    let (tls, ending) = crate::ending::Tapped::new(tls);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| fail(e.to_string()))?;
    let driver = tokio::spawn(connection);
    let stop_driver = driver.abort_handle();
    let request = Request::post(path)
        .header(hyper::header::HOST, server_name.to_str().as_ref())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| fail(e.to_string()))?;
    let exchange = async {
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            // When the coordinator refuses the client certificate, TLS 1.3 delivers the
            // alert after the client's handshake has finished: the connection task sees it and
            // the request only learns it was "canceled". The connection's error is the reason.
            Err(e) => {
                let driven = tokio::time::timeout(Duration::from_secs(5), driver).await;
                let reason = match (ending.reason(), driven) {
                    (Some(tls), _) => tls,
                    (None, Ok(Ok(Err(conn)))) => mtls::describe_chain(&conn),
                    _ => mtls::describe_chain(&e),
                };
                return Err(fail(reason));
            }
        };
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        Ok::<_, EnrolClientError>((status, bytes.to_vec()))
    };
    let result = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| fail("no answer within 30 s".into()));
    stop_driver.abort();
    result?
}

/// Reads an `Issued` answer, or the coordinator's refusal.
fn issued_from(status: u16, body: &[u8], addr: &str) -> Result<Issued, EnrolClientError> {
    if status != 200 {
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        return Err(EnrolClientError::Refused {
            addr: addr.to_owned(),
            status,
            message,
        });
    }
    serde_json::from_slice(body).map_err(|e| EnrolClientError::Answer {
        addr: addr.to_owned(),
        reason: format!("expected the issued certificate as JSON: {e}"),
    })
}

/// Enrols: a new key, a CSR, the token, over TLS 1.3 to `addr`, trusting only a coordinator
/// whose chain holds the CA pinned by `ca_fingerprint`; writes the state directory on success.
pub async fn enroll(
    addr: SocketAddr,
    token: &str,
    ca_fingerprint: &str,
    state: &StateDir,
    policy: &Policy,
    clock: Arc<dyn Clock>,
) -> Result<Issued, EnrolClientError> {
    let tenant = enrolment::token_tenant(token)?.to_owned();
    let pin = ca_fingerprint.trim().to_ascii_lowercase();
    let hex = pin.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(EnrolClientError::Fingerprint(ca_fingerprint.to_owned()));
    }
    if state.is_enrolled()? {
        return Err(EnrolClientError::AlreadyEnrolled(
            state.path().display().to_string(),
        ));
    }
    let provider = mtls::provider(policy)?;
    let verifier = Arc::new(PinnedCaVerifier::new(Arc::clone(&provider), &tenant, &pin));
    let config = mtls::anonymous_client_config(provider, clock, verifier, &[ALPN])?;
    // The token says who the node is; the CSR names nobody.
    let (key, csr) = key_and_csr(None)?;
    let body = serde_json::json!({"token": token.trim(), "csr": csr}).to_string();
    let server_name = coordinator_name(&tenant);
    let answer = post(Arc::new(config), addr, server_name, "/v1/enroll", body).await?;
    accept(answer, &key, addr, state)
}

/// Reads the coordinator's answer, checks it certifies `key`, and writes the new state (the key
/// made here with it) as one change.
fn accept(
    (status, answer): (u16, Vec<u8>),
    key: &KeyPair,
    addr: SocketAddr,
    state: &StateDir,
) -> Result<Issued, EnrolClientError> {
    let shown = addr.to_string();
    let issued = issued_from(status, &answer, &shown)?;
    check_issued(&issued, key, &shown)?;
    state.write(&Update {
        certificate: Some(&issued.certificate),
        key: Some(&key.serialize_pem()),
        trust: Some(&issued.trust.trust),
        crl: Some(&issued.trust.crl),
    })?;
    Ok(issued)
}

/// The SNI an enrolled node sends: the tenant's coordinators are checked by identity, not name.
pub fn coordinator_name(tenant: &str) -> ServerName<'static> {
    ServerName::try_from(format!("coordinator.{tenant}.tlscope.internal"))
        .unwrap_or(ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()))
}

/// Renews over an mTLS connection made with `config` (the node's current certificate): a new
/// key and CSR out, the new certificate and trust in, written to `state`.
pub async fn renew(
    config: Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    tenant: &str,
    name: &str,
    state: &StateDir,
) -> Result<Issued, EnrolClientError> {
    let (key, csr) = key_and_csr(Some(name))?;
    let body = serde_json::json!({"csr": csr}).to_string();
    let answer = post(config, addr, coordinator_name(tenant), "/v1/renew", body).await?;
    accept(answer, &key, addr, state)
}
