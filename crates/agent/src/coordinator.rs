//! The coordinator: a client-facing TLS 1.3 listener (server certificate only) and an
//! edge-facing mTLS listener that requires an edge certificate of the tenant. Both speak HTTP/1.1
//! inside TLS (so curl works against them). Every handshake, accepted or refused, becomes a core
//! `HandshakeRecord` on a broadcast channel. The coordinator runs the tenant's rotation schedule
//! on the agent's clock and reloads certificates and trust in place when the store changes;
//! connections whose certificate was revoked are closed at their next request.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use rustls::crypto::CryptoProvider;
use tlscope_core::handshake::{HandshakeRecord, Outcome, Segment};
use tlscope_core::protocol::TlsVersion;
use tlscope_core::{Policy, Timestamp};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_rustls::TlsAcceptor;

use crate::ca::identity::{Identity, NodeRole};
use crate::ca::{self, CaError, Force, RotationEvent};
use crate::clock::Clock;
use crate::mtls::{self, Credentials, EdgeVerifier, MtlsError};
use crate::store::Store;

/// The ALPN protocol both listeners speak.
pub const ALPN: &[u8] = b"http/1.1";

/// How long a handshake may take before the connection is dropped and recorded as refused.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors starting or running the coordinator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoordinatorError {
    /// The CA or store failed.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// TLS configuration failed.
    #[error(transparent)]
    Mtls(#[from] MtlsError),
}

pub use tlscope_core::observation::EdgeStatus;

/// Handshake counters, by outcome.
#[derive(Debug, Default)]
pub struct Counters {
    /// Accepted handshakes.
    pub accepted: AtomicU64,
    /// Refused handshakes.
    pub refused: AtomicU64,
    /// Rotation events.
    pub rotations: AtomicU64,
    /// Reloads that found a CRL past its nextUpdate.
    pub stale_crls: AtomicU64,
}

/// A running coordinator's shared state.
#[derive(Debug)]
pub struct Coordinator {
    store: Arc<Store>,
    tenant: String,
    name: String,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
    credentials: Arc<Credentials>,
    edges_verifier: Arc<EdgeVerifier>,
    client_tls: Arc<rustls::ServerConfig>,
    mtls_tls: Arc<rustls::ServerConfig>,
    generation: AtomicU64,
    revoked: RwLock<HashSet<String>>,
    edges: Mutex<BTreeMap<String, EdgeStatus>>,
    records: broadcast::Sender<HandshakeRecord>,
    events: broadcast::Sender<RotationEvent>,
    /// Handshake and rotation counters.
    pub counters: Counters,
}

impl Coordinator {
    /// Loads (issuing if it has none) the coordinator certificate `name` of `tenant` and builds
    /// both listeners' TLS configuration.
    pub fn new(
        store: Arc<Store>,
        tenant: &str,
        name: &str,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, CoordinatorError> {
        let material = match ca::material(&store, tenant, name) {
            Ok(m) => m,
            Err(CaError::UnknownNode { .. }) => {
                ca::issue(
                    &store,
                    tenant,
                    NodeRole::Coordinator,
                    name,
                    &policy,
                    clock.now(),
                )?;
                ca::material(&store, tenant, name)?
            }
            Err(e) => return Err(e.into()),
        };
        let provider: Arc<CryptoProvider> = mtls::provider(&policy)?;
        let credentials = Arc::new(Credentials::new(&provider, &material)?);
        let edges_verifier = Arc::new(EdgeVerifier::new(
            Arc::clone(&provider),
            &material,
            policy.rotation.crl_fail_closed,
        )?);
        let client_tls = mtls::server_config(
            Arc::clone(&provider),
            Arc::clone(&clock),
            Arc::clone(&credentials),
            None,
            &[ALPN],
        )?;
        let mtls_tls = mtls::server_config(
            Arc::clone(&provider),
            Arc::clone(&clock),
            Arc::clone(&credentials),
            Some(Arc::clone(&edges_verifier)),
            &[ALPN],
        )?;
        let (records, _) = broadcast::channel(4096);
        let (events, _) = broadcast::channel(1024);
        let this = Self {
            store,
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            policy,
            clock,
            credentials,
            edges_verifier,
            client_tls: Arc::new(client_tls),
            mtls_tls: Arc::new(mtls_tls),
            generation: AtomicU64::new(material.generation),
            revoked: RwLock::new(HashSet::new()),
            edges: Mutex::new(BTreeMap::new()),
            records,
            events,
            counters: Counters::default(),
        };
        this.refresh_revoked()?;
        Ok(Arc::new(this))
    }

    /// The tenant served.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Every handshake from now on.
    pub fn records(&self) -> broadcast::Receiver<HandshakeRecord> {
        self.records.subscribe()
    }

    /// Every rotation event from now on.
    pub fn rotation_events(&self) -> broadcast::Receiver<RotationEvent> {
        self.events.subscribe()
    }

    /// The edges seen so far.
    pub fn edges(&self) -> Vec<EdgeStatus> {
        self.edges
            .lock()
            .map(|e| e.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The serial of the certificate the coordinator presents.
    pub fn serial(&self) -> String {
        self.credentials.serial()
    }

    /// Reloads certificate, trust and CRLs when the store's generation moved; true if it did.
    pub fn reload(&self) -> Result<bool, CoordinatorError> {
        let generation = ca::generation(&self.store, &self.tenant)?;
        if generation == self.generation.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let material = ca::material(&self.store, &self.tenant, &self.name)?;
        self.check_crls(&material);
        let provider = mtls::provider(&self.policy)?;
        self.credentials.replace(&provider, &material)?;
        self.edges_verifier.replace(&material)?;
        self.refresh_revoked()?;
        self.generation.store(material.generation, Ordering::SeqCst);
        Ok(true)
    }

    /// Reports CRLs past their nextUpdate (the schedule re-signs them two days before; a
    /// stale one means no coordinator ran it): a line on stderr and a counter.
    fn check_crls(&self, material: &ca::NodeMaterial) {
        let now = self.clock.now().unix();
        let stale = material
            .crls
            .iter()
            .filter(|der| {
                x509_parser::parse_x509_crl(der)
                    .ok()
                    .and_then(|(_, crl)| crl.next_update())
                    .is_some_and(|next| next.timestamp() < now)
            })
            .count();
        if stale > 0 {
            self.counters.stale_crls.fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "tlscope coordinator: {stale} CRL(s) of tenant {} are past their nextUpdate; revocation data is stale until the rotation schedule re-signs them",
                self.tenant
            );
        }
    }

    fn refresh_revoked(&self) -> Result<(), CoordinatorError> {
        let listing = ca::list(&self.store, &self.tenant)?;
        let revoked = listing
            .into_iter()
            .filter(|l| l.state == ca::CertificateState::Revoked)
            .map(|l| l.serial)
            .collect();
        if let Ok(mut slot) = self.revoked.write() {
            *slot = revoked;
        }
        Ok(())
    }

    /// Runs the rotation schedule at the clock's now, publishes the events, and reloads.
    pub fn tick(&self) -> Result<Vec<RotationEvent>, CoordinatorError> {
        let events = ca::rotate(
            &self.store,
            &self.tenant,
            &self.policy,
            self.clock.now(),
            Force::default(),
        )?;
        for e in &events {
            self.counters.rotations.fetch_add(1, Ordering::Relaxed);
            let _ = self.events.send(e.clone());
        }
        self.reload()?;
        Ok(events)
    }

    /// Serves both listeners until the task is dropped; dropping it also ends every connection
    /// it accepted (as a stopped process would).
    pub async fn serve(self: Arc<Self>, client: TcpListener, mtls: TcpListener) {
        let mut loops = tokio::task::JoinSet::new();
        loops.spawn(Arc::clone(&self).accept_loop(client, Segment::Client));
        loops.spawn(Arc::clone(&self).accept_loop(mtls, Segment::Mtls));
        while loops.join_next().await.is_some() {}
    }

    /// Runs [`tick`](Self::tick) every `every` of real time; errors are printed and retried.
    pub async fn schedule(self: Arc<Self>, every: Duration) {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            if let Err(e) = self.tick() {
                eprintln!("tlscope coordinator: rotation failed: {e}");
            }
        }
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener, segment: Segment) {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let Ok((tcp, peer)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let this = Arc::clone(&self);
            connections.spawn(async move { this.connection(tcp, peer, segment).await });
        }
    }

    async fn connection(
        self: Arc<Self>,
        tcp: tokio::net::TcpStream,
        peer: SocketAddr,
        segment: Segment,
    ) {
        let config = match segment {
            Segment::Mtls => Arc::clone(&self.mtls_tls),
            _ => Arc::clone(&self.client_tls),
        };
        let started = Instant::now();
        let at = self.clock.now();
        let endpoint = tcp
            .local_addr()
            .map_or_else(|_| String::new(), |a| a.to_string());
        let accepted =
            tokio::time::timeout(HANDSHAKE_TIMEOUT, TlsAcceptor::from(config).accept(tcp)).await;
        let latency_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let tls = match accepted {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                self.publish(refused(
                    endpoint,
                    segment,
                    at,
                    latency_micros,
                    mtls::refusal_reason(&e),
                ));
                return;
            }
            Err(_) => {
                self.publish(refused(
                    endpoint,
                    segment,
                    at,
                    latency_micros,
                    "handshake timed out".into(),
                ));
                return;
            }
        };
        let mut record = accepted_record(tls.get_ref().1, endpoint, segment, at, latency_micros);
        record.server_name = tls.get_ref().1.server_name().map(str::to_owned);
        let peer_serial = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| serial_of(c))
            .unwrap_or_default();
        let peer_not_after = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| not_after_of(c));
        let identity = record.peer_identity.clone();
        // A resumed TLS 1.3 session carries the certificate of the session it resumes: refuse it
        // when that certificate has since been revoked. The connection is still served, so that
        // `respond` answers its first request with the reason (403, "revoked", then close)
        // instead of a bare close the client cannot explain.
        if segment == Segment::Mtls && self.revoked.read().is_ok_and(|r| r.contains(&peer_serial)) {
            let reason = format!("certificate revoked (serial {peer_serial}, resumed session)");
            self.publish(HandshakeRecord {
                outcome: Outcome::Refused { reason },
                ..record
            });
        } else {
            self.publish(record);
        }
        let _ = peer;
        let this = Arc::clone(&self);
        let service = hyper::service::service_fn(move |req| {
            let this = Arc::clone(&this);
            let identity = identity.clone();
            let peer_serial = peer_serial.clone();
            async move {
                Ok::<_, std::convert::Infallible>(
                    this.respond(req, segment, identity, &peer_serial, peer_not_after)
                        .await,
                )
            }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
            .await;
    }

    fn publish(&self, record: HandshakeRecord) {
        let counter = match record.outcome {
            Outcome::Accepted => &self.counters.accepted,
            Outcome::Refused { .. } => &self.counters.refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let _ = self.records.send(record);
    }

    async fn respond(
        &self,
        req: Request<Incoming>,
        segment: Segment,
        identity: Option<String>,
        serial: &str,
        not_after: Option<Timestamp>,
    ) -> Response<Full<Bytes>> {
        if segment == Segment::Mtls && self.revoked.read().is_ok_and(|r| r.contains(serial)) {
            return json(
                StatusCode::FORBIDDEN,
                &serde_json::json!({"error": format!("certificate {serial} was revoked; reconnect with the current one")}),
                true,
            );
        }
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        let body = match http_body_util::Limited::new(req.into_body(), MAX_BODY)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return json(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &serde_json::json!({"error": format!("request bodies are limited to {MAX_BODY} bytes")}),
                    true,
                );
            }
        };
        match (segment, method.as_str(), path.as_str()) {
            (Segment::Client, "POST", "/v1/enroll") => self.enroll(&body).await,
            (Segment::Mtls, "POST", "/v1/renew") => {
                self.renew(identity.as_deref(), serial, &body).await
            }
            (Segment::Mtls, "GET", "/v1/trust") => {
                match self.blocking(ca::enrolment::trust).await {
                    Ok(bundle) => json(StatusCode::OK, &serde_json::json!(bundle), false),
                    Err(e) => ca_error(&e),
                }
            }
            (_, "GET", "/v1/whoami") => json(
                StatusCode::OK,
                &serde_json::json!({
                    "tenant": self.tenant,
                    "peer_identity": identity,
                    "peer_serial": (!serial.is_empty()).then_some(serial),
                    "coordinator_serial": self.serial(),
                }),
                false,
            ),
            (Segment::Mtls, "POST", "/v1/heartbeat") => {
                let Some(id) = identity else {
                    return json(
                        StatusCode::FORBIDDEN,
                        &serde_json::json!({"error": "no identity"}),
                        true,
                    );
                };
                let now = self.clock.now();
                if let Ok(mut edges) = self.edges.lock() {
                    let entry = edges.entry(id.clone()).or_insert_with(|| EdgeStatus {
                        identity: id.clone(),
                        coordinator: self.name.clone(),
                        serial: serial.to_owned(),
                        not_after,
                        last_heartbeat: now,
                        heartbeats: 0,
                        last_renewal: None,
                    });
                    entry.serial = serial.to_owned();
                    entry.not_after = not_after;
                    entry.last_heartbeat = now;
                    entry.heartbeats += 1;
                }
                let trust_digest = self
                    .blocking(ca::enrolment::trust)
                    .await
                    .map(|t| t.trust_digest)
                    .unwrap_or_default();
                json(
                    StatusCode::OK,
                    &serde_json::json!({
                        "ok": true,
                        "at": now,
                        "coordinator_serial": self.serial(),
                        "coordinator": self.name,
                        "trust_digest": trust_digest,
                    }),
                    false,
                )
            }
            (_, "GET", "/") => json(
                StatusCode::OK,
                &serde_json::json!({"service": "tlscope coordinator", "tenant": self.tenant}),
                false,
            ),
            _ => json(
                StatusCode::NOT_FOUND,
                &serde_json::json!({"error": format!("no route {method} {path}")}),
                false,
            ),
        }
    }
}

/// The largest request body the coordinator reads (a CSR and a token fit many times over).
const MAX_BODY: usize = 64 * 1024;

/// `POST /v1/enroll` and `POST /v1/renew` bodies.
#[derive(Debug, serde::Deserialize)]
struct CsrRequest {
    /// The join token (enrolment only).
    #[serde(default)]
    token: Option<String>,
    /// The PKCS#10 request, PEM.
    csr: String,
}

impl Coordinator {
    /// Runs a store operation off the async threads (it takes the store's file lock).
    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Store, &str) -> Result<T, CaError> + Send + 'static,
    ) -> Result<T, CaError> {
        let store = Arc::clone(&self.store);
        let tenant = self.tenant.clone();
        tokio::task::spawn_blocking(move || op(&store, &tenant))
            .await
            .unwrap_or_else(|e| Err(CaError::Issue(format!("the store task failed: {e}"))))
    }

    /// Enrolment: a one-time token and a CSR in, the node's certificate and trust out.
    async fn enroll(&self, body: &[u8]) -> Response<Full<Bytes>> {
        let request: CsrRequest = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => return bad_request(&format!("expected {{\"token\": …, \"csr\": PEM}}: {e}")),
        };
        let Some(token) = request.token else {
            return bad_request("expected a \"token\" field with the join token");
        };
        let (policy, now) = (Arc::clone(&self.policy), self.clock.now());
        let result = self
            .blocking(move |store, tenant| {
                ca::enrolment::enroll(store, tenant, &token, request.csr.as_bytes(), &policy, now)
            })
            .await;
        match result {
            Ok(issued) => {
                let _ = self.reload();
                json(StatusCode::OK, &serde_json::json!(issued), true)
            }
            Err(e) => ca_error(&e),
        }
    }

    /// Renewal over the mTLS channel: the identity is the authenticated certificate's.
    async fn renew(
        &self,
        identity: Option<&str>,
        serial: &str,
        body: &[u8],
    ) -> Response<Full<Bytes>> {
        let Some(identity) = identity.and_then(Identity::parse) else {
            return json(
                StatusCode::FORBIDDEN,
                &serde_json::json!({"error": "the client certificate carries no tlscope identity"}),
                true,
            );
        };
        let request: CsrRequest = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => return bad_request(&format!("expected {{\"csr\": PEM}}: {e}")),
        };
        let uri = identity.uri();
        let (policy, now, serial) = (
            Arc::clone(&self.policy),
            self.clock.now(),
            serial.to_owned(),
        );
        let result = self
            .blocking(move |store, _| {
                ca::enrolment::renew(
                    store,
                    &identity,
                    &serial,
                    request.csr.as_bytes(),
                    &policy,
                    now,
                )
            })
            .await;
        match result {
            Ok((issued, event)) => {
                self.counters.rotations.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut edges) = self.edges.lock()
                    && let Some(edge) = edges.get_mut(&uri)
                {
                    edge.last_renewal = Some(now);
                }
                let _ = self.events.send(event);
                let _ = self.reload();
                json(StatusCode::OK, &serde_json::json!(issued), false)
            }
            Err(e) => ca_error(&e),
        }
    }
}

fn bad_request(message: &str) -> Response<Full<Bytes>> {
    json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({"error": message}),
        true,
    )
}

/// A CA error as an HTTP answer: refusals of the request are 4xx with the reason, anything
/// else a 500 that says what failed.
fn ca_error(e: &CaError) -> Response<Full<Bytes>> {
    use ca::enrolment::EnrolError;
    let status = match e {
        CaError::Enrol(
            EnrolError::BadCsr(_)
            | EnrolError::BadKey(_)
            | EnrolError::NameMismatch { .. }
            | EnrolError::Malformed,
        ) => StatusCode::BAD_REQUEST,
        CaError::Enrol(_) | CaError::NodeExists { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    json(status, &serde_json::json!({"error": e.to_string()}), true)
}

fn json(status: StatusCode, body: &serde_json::Value, close: bool) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if close {
        headers.insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    response
}

/// The notAfter of a DER certificate, if it parses.
fn not_after_of(der: &[u8]) -> Option<Timestamp> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, c)| Timestamp::from_unix(c.validity().not_after.timestamp()))
}

/// The serial of a DER certificate as the store and `inspect` spell it: uppercase hex without
/// leading zero bytes.
pub fn serial_of(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| tlscope_core::certificate::serial_hex(c.raw_serial()))
        .unwrap_or_default()
}

fn refused(
    endpoint: String,
    segment: Segment,
    at: Timestamp,
    latency_micros: u64,
    reason: String,
) -> HandshakeRecord {
    HandshakeRecord {
        endpoint,
        server_name: None,
        segment,
        at,
        version: None,
        suite: None,
        group: None,
        alpn: None,
        client_certificate: false,
        peer_identity: None,
        peer_chain: Vec::new(),
        resumed: false,
        latency_micros,
        outcome: Outcome::Refused { reason },
    }
}

/// The record of a completed handshake, from the rustls connection state.
pub fn accepted_record(
    conn: &rustls::CommonState,
    endpoint: String,
    segment: Segment,
    at: Timestamp,
    latency_micros: u64,
) -> HandshakeRecord {
    let chain: Vec<Vec<u8>> = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.to_vec()).collect())
        .unwrap_or_default();
    HandshakeRecord {
        endpoint,
        server_name: None,
        segment,
        at,
        version: conn.protocol_version().and_then(version),
        suite: conn.negotiated_cipher_suite().map(mtls::suite_name),
        group: conn
            .negotiated_key_exchange_group()
            .map(|g| mtls::group_name(g.name())),
        alpn: conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        client_certificate: !chain.is_empty(),
        peer_identity: chain
            .first()
            .and_then(|c| Identity::of_certificate(c).into_iter().next())
            .map(|i| i.uri()),
        peer_chain: chain,
        resumed: conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        latency_micros,
        outcome: Outcome::Accepted,
    }
}

/// The core's name for a rustls protocol version.
pub fn version(v: rustls::ProtocolVersion) -> Option<TlsVersion> {
    TlsVersion::from_wire(u16::from(v))
}
