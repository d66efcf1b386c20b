//! An edge: keeps an mTLS connection to its coordinator, verifies the coordinator's certificate
//! against the tenant's CAs and its identity, heartbeats over it, notices new certificates and
//! trust at each heartbeat (no reconnect needed), and reconnects with exponential backoff when
//! the connection fails, trying the next coordinator address each time.
//!
//! Its material comes from the CA store (single host) or from its own state directory (an
//! enrolled edge, on any host): such an edge renews itself over its mTLS channel with a new key
//! when the core's rotation planner says it is due (plus a jitter of its own), and fetches the
//! trust bundle whenever the coordinator's heartbeat shows it changed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::body::Bytes;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use serde::Serialize;
use tlscope_core::Policy;
use tlscope_core::handshake::{HandshakeRecord, Segment};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::ca::{self, CaError, NodeMaterial};
use crate::clock::Clock;
use crate::coordinator::{ALPN, HANDSHAKE_TIMEOUT, accepted_record};
use crate::enrol_client;
use crate::mtls::{self, CoordinatorVerifier, Credentials, MtlsError};
use crate::node_state::StateDir;
use crate::store::Store;

/// Errors of an edge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeError {
    /// The CA or store failed.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// TLS configuration failed.
    #[error(transparent)]
    Mtls(#[from] MtlsError),
    /// The state directory of an enrolled edge failed.
    #[error(transparent)]
    State(#[from] crate::node_state::StateError),
    /// The coordinator could not be reached or the handshake failed.
    #[error("coordinator {addr}: {reason}")]
    Connect {
        /// The address.
        addr: SocketAddr,
        /// Why, in words.
        reason: String,
    },
    /// The coordinator answered a heartbeat with an error.
    #[error("coordinator {addr} answered {status}: {body}")]
    Refused {
        /// The address.
        addr: SocketAddr,
        /// HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
}

/// What an edge reports as it runs.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EdgeEvent {
    /// A new mTLS connection is up.
    Connected {
        /// The handshake as the edge saw it.
        record: Box<HandshakeRecord>,
    },
    /// A heartbeat was answered.
    Heartbeat {
        /// The serial the coordinator presented.
        coordinator_serial: String,
        /// The coordinator's node name.
        coordinator: String,
    },
    /// An enrolled edge renewed its certificate over the mTLS channel.
    Renewed {
        /// The new serial.
        serial: String,
        /// Its notAfter.
        not_after: tlscope_core::Timestamp,
    },
    /// An enrolled edge fetched a changed trust bundle.
    TrustUpdated {
        /// The bundle's digest.
        trust_digest: String,
    },
    /// New certificate or trust was loaded from the store.
    Reloaded {
        /// The serial now presented.
        serial: String,
    },
    /// The connection failed; reconnecting after `retry_in_ms`.
    Disconnected {
        /// Why.
        reason: String,
        /// Backoff.
        retry_in_ms: u64,
    },
}

/// Where an edge's certificate, key and trust come from.
#[derive(Debug)]
enum Source {
    /// The CA store, shared with the coordinator (single host).
    Store(Arc<Store>),
    /// Its own state directory (enrolled over the network).
    State(StateDir),
}

/// What a heartbeat answer says (fields a coordinator of an older version does not send are
/// empty).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct HeartbeatAnswer {
    /// The serial the coordinator presents.
    pub coordinator_serial: String,
    /// The coordinator's node name.
    pub coordinator: String,
    /// The digest of the tenant's current trust bundle.
    pub trust_digest: String,
}

/// An edge node.
#[derive(Debug)]
pub struct Edge {
    source: Source,
    tenant: String,
    name: String,
    policy: Arc<Policy>,
    provider: Arc<CryptoProvider>,
    credentials: Arc<Credentials>,
    verifier: Arc<CoordinatorVerifier>,
    /// Rebuilt when the credentials change: TLS 1.3 resumption would otherwise carry the old
    /// certificate's identity into new connections.
    connector: std::sync::RwLock<Arc<rustls::ClientConfig>>,
    server_name: ServerName<'static>,
    coordinators: Vec<SocketAddr>,
    current: AtomicUsize,
    clock: Arc<dyn Clock>,
    generation: AtomicU64,
    /// For a state-directory edge: the version of the directory last loaded.
    loaded: std::sync::Mutex<String>,
    /// Whether renewal starts up to a tenth of the grace early (per certificate, so a fleet
    /// does not renew at once).
    jitter: bool,
}

/// An open mTLS connection to the coordinator: the HTTP sender, and why the connection ended
/// once it has (hyper drives the connection on its own task).
#[derive(Debug)]
pub struct Link {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    ended: tokio::sync::oneshot::Receiver<String>,
}

/// How long a heartbeat may wait for the coordinator's answer before the link counts as dead.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

impl Link {
    /// Why the connection ended: the TLS alert or I/O error, in words.
    async fn why_ended(&mut self, fallback: String) -> String {
        match tokio::time::timeout(Duration::from_millis(500), &mut self.ended).await {
            Ok(Ok(reason)) => reason,
            _ => fallback,
        }
    }
}

impl Edge {
    /// Loads the edge's certificate from the store; `coordinator_name` is the coordinator's node
    /// name, whose DNS name (`NAME.TENANT.tlscope.internal`) the edge verifies.
    pub fn new(
        store: Arc<Store>,
        tenant: &str,
        name: &str,
        coordinator: SocketAddr,
        coordinator_name: &str,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EdgeError> {
        let material = ca::material(&store, tenant, name)?;
        Self::with_material(
            store,
            &material,
            coordinator,
            coordinator_name,
            policy,
            clock,
        )
    }

    /// An edge presenting the given material (tests use this to present old certificates).
    pub fn with_material(
        store: Arc<Store>,
        material: &NodeMaterial,
        coordinator: SocketAddr,
        coordinator_name: &str,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EdgeError> {
        let dns = format!(
            "{coordinator_name}.{}.tlscope.internal",
            material.identity.tenant
        );
        let server_name = ServerName::try_from(dns.clone()).map_err(|_| EdgeError::Connect {
            addr: coordinator,
            reason: format!("{dns:?} is not a valid server name"),
        })?;
        Self::assemble(
            Source::Store(store),
            material,
            server_name,
            vec![coordinator],
            policy,
            clock,
        )
    }

    /// An enrolled edge running from its state directory, with no access to the CA store,
    /// reaching any of `coordinators` (failing over in order) and accepting any coordinator of
    /// its tenant by identity.
    pub fn from_state(
        state: StateDir,
        coordinators: Vec<SocketAddr>,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EdgeError> {
        if coordinators.is_empty() {
            return Err(EdgeError::Connect {
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                reason: "no coordinator address given".into(),
            });
        }
        let material = state.material()?;
        let server_name = enrol_client::coordinator_name(&material.identity.tenant);
        let version = state.version();
        let edge = Self::assemble(
            Source::State(state),
            &material,
            server_name,
            coordinators,
            policy,
            clock,
        )?;
        if let Ok(mut loaded) = edge.loaded.lock() {
            *loaded = version;
        }
        Ok(edge)
    }

    /// The edge for `material` from `source`: credentials, the coordinator verifier (by name
    /// for a store edge, by identity for an enrolled one) and the TLS configuration.
    fn assemble(
        source: Source,
        material: &NodeMaterial,
        server_name: ServerName<'static>,
        coordinators: Vec<SocketAddr>,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EdgeError> {
        let provider = mtls::provider(&policy)?;
        let credentials = Arc::new(Credentials::new(&provider, material)?);
        let verifier = Arc::new(match source {
            Source::Store(_) => CoordinatorVerifier::new(Arc::clone(&provider), material)?,
            Source::State(_) => CoordinatorVerifier::by_identity(Arc::clone(&provider), material)?,
        });
        let config = mtls::client_config(
            Arc::clone(&provider),
            Arc::clone(&clock),
            Arc::clone(&credentials),
            Arc::clone(&verifier),
            &[ALPN],
        )?;
        Ok(Self {
            source,
            tenant: material.identity.tenant.clone(),
            name: material.identity.name.clone(),
            policy,
            provider,
            credentials,
            verifier,
            connector: std::sync::RwLock::new(Arc::new(config)),
            server_name,
            coordinators,
            current: AtomicUsize::new(0),
            clock,
            generation: AtomicU64::new(material.generation),
            loaded: std::sync::Mutex::new(String::new()),
            jitter: true,
        })
    }

    /// Renews exactly when the rotation planner says, without the fleet jitter (the demo, whose
    /// edges are staged to renew seconds apart).
    #[must_use]
    pub fn without_renewal_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// The coordinator address in use.
    pub fn coordinator(&self) -> SocketAddr {
        let i = self.current.load(Ordering::SeqCst) % self.coordinators.len().max(1);
        self.coordinators
            .get(i)
            .copied()
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Moves to the next coordinator address (after a failure).
    fn fail_over(&self) {
        if self.coordinators.len() > 1 {
            self.current.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn config(&self) -> Arc<rustls::ClientConfig> {
        self.connector
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
    }

    /// The serial this edge presents.
    pub fn serial(&self) -> String {
        self.credentials.serial()
    }

    /// Reloads certificate and trust when the store's generation (or the state directory)
    /// moved; the new serial if it did.
    pub fn reload(&self) -> Result<Option<String>, EdgeError> {
        let material = match &self.source {
            Source::Store(store) => {
                let generation = ca::generation(store, &self.tenant)?;
                if generation == self.generation.load(Ordering::SeqCst) {
                    return Ok(None);
                }
                ca::material(store, &self.tenant, &self.name)?
            }
            Source::State(state) => {
                let version = state.version();
                if self.loaded.lock().is_ok_and(|v| *v == version) {
                    return Ok(None);
                }
                let material = state.material()?;
                if let Ok(mut v) = self.loaded.lock() {
                    *v = version;
                }
                material
            }
        };
        self.credentials.replace(&self.provider, &material)?;
        self.verifier.replace(&material)?;
        let config = mtls::client_config(
            Arc::clone(&self.provider),
            Arc::clone(&self.clock),
            Arc::clone(&self.credentials),
            Arc::clone(&self.verifier),
            &[ALPN],
        )?;
        if let Ok(mut slot) = self.connector.write() {
            *slot = Arc::new(config);
        }
        self.generation.store(material.generation, Ordering::SeqCst);
        Ok(Some(material.serial))
    }

    /// Opens an mTLS connection and returns the handshake record and an HTTP sender on it.
    pub async fn connect(&self) -> Result<(HandshakeRecord, Link), EdgeError> {
        let addr = self.coordinator();
        let fail = |reason: String| EdgeError::Connect { addr, reason };
        let started = Instant::now();
        let at = self.clock.now();
        let tcp = tokio::time::timeout(HANDSHAKE_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| fail("connect timed out".into()))?
            .map_err(|e| fail(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let tls = tokio::time::timeout(
            HANDSHAKE_TIMEOUT,
            TlsConnector::from(self.config()).connect(self.server_name.clone(), tcp),
        )
        .await
        .map_err(|_| fail("handshake timed out".into()))?
        .map_err(|e| fail(mtls::refusal_reason(&e)))?;
        let latency = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut record = accepted_record(
            tls.get_ref().1,
            addr.to_string(),
            Segment::Mtls,
            at,
            latency,
        );
        record.server_name = Some(self.server_name.to_str().into_owned());
        record.fips = tls.get_ref().1.fips();
        let (tls, ending) = crate::ending::Tapped::new(tls);
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| fail(e.to_string()))?;
        let (tell, ended) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let reason = match (connection.await, ending.reason()) {
                (_, Some(tls)) => tls,
                (Ok(()), None) => "the coordinator closed the connection".to_owned(),
                (Err(e), None) => mtls::describe_chain(&e),
            };
            let _ = tell.send(reason);
        });
        Ok((record, Link { sender, ended }))
    }

    /// Sends one heartbeat on `link`; the coordinator's serial on success.
    pub async fn heartbeat(&self, link: &mut Link) -> Result<String, EdgeError> {
        Ok(self.heartbeat_answer(link).await?.coordinator_serial)
    }

    /// Sends one heartbeat on `link`; what the coordinator answered.
    pub async fn heartbeat_answer(&self, link: &mut Link) -> Result<HeartbeatAnswer, EdgeError> {
        let body = self.exchange(link, "POST", "/v1/heartbeat").await?;
        serde_json::from_str(&body).map_err(|e| EdgeError::Connect {
            addr: self.coordinator(),
            reason: format!("the heartbeat answer is not what a coordinator sends: {e}"),
        })
    }

    /// One request on `link` within [`HEARTBEAT_TIMEOUT`]; the body of a 200 answer.
    async fn exchange(
        &self,
        link: &mut Link,
        method: &str,
        path: &str,
    ) -> Result<String, EdgeError> {
        let mut stage = "waiting for the connection to be ready";
        match tokio::time::timeout(
            HEARTBEAT_TIMEOUT,
            self.exchange_on(link, method, path, &mut stage),
        )
        .await
        {
            Ok(answer) => answer,
            Err(_) => Err(EdgeError::Connect {
                addr: self.coordinator(),
                reason: format!(
                    "no answer to {method} {path} within {} s ({stage})",
                    HEARTBEAT_TIMEOUT.as_secs()
                ),
            }),
        }
    }

    async fn exchange_on(
        &self,
        link: &mut Link,
        method: &str,
        path: &str,
        stage: &mut &'static str,
    ) -> Result<String, EdgeError> {
        let addr = self.coordinator();
        let fail = |reason: String| EdgeError::Connect { addr, reason };
        if let Err(e) = link.sender.ready().await {
            return Err(fail(link.why_ended(mtls::describe_chain(&e)).await));
        }
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, self.server_name.to_str().as_ref())
            .body(Full::new(Bytes::from_static(b"{}")))
            .map_err(|e| fail(e.to_string()))?;
        *stage = "waiting for the response";
        let response = match link.sender.send_request(request).await {
            Ok(r) => r,
            Err(e) => return Err(fail(link.why_ended(mtls::describe_chain(&e)).await)),
        };
        let status = response.status().as_u16();
        *stage = "reading the response body";
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        let body = String::from_utf8_lossy(&body).into_owned();
        if status != 200 {
            return Err(EdgeError::Refused { addr, status, body });
        }
        Ok(body)
    }

    /// For an enrolled edge: when the core's rotation planner says its certificate is due
    /// (with a jitter of up to a tenth of the grace, fixed per certificate, so a fleet does not
    /// renew at once) or its issuing CA is no longer the active one, renews over the mTLS
    /// channel; when the trust digest differs, fetches the bundle. What changed, if anything.
    async fn maintain(
        &self,
        link: &mut Link,
        answer: &HeartbeatAnswer,
    ) -> Result<Option<EdgeEvent>, EdgeError> {
        let Source::State(state) = &self.source else {
            return Ok(None);
        };
        let material = state.material()?;
        let mut trust_changed = false;
        if !answer.trust_digest.is_empty() && answer.trust_digest != state.trust_digest() {
            let body = self.exchange(link, "GET", "/v1/trust").await?;
            let bundle: crate::ca::enrolment::TrustBundle =
                serde_json::from_str(&body).map_err(|e| EdgeError::Connect {
                    addr: self.coordinator(),
                    reason: format!("the trust bundle is not usable: {e}"),
                })?;
            state.write(&crate::node_state::Update {
                trust: Some(&bundle.trust),
                crl: Some(&bundle.crl),
                ..Default::default()
            })?;
            trust_changed = true;
            let issuer = material
                .chain
                .get(1)
                .map(|c| crate::coordinator::serial_of(c))
                .unwrap_or_default();
            if !bundle.active_ca.is_empty() && bundle.active_ca != issuer {
                return self.renew_now(state).await.map(Some);
            }
        }
        if self.renewal_due(&material) {
            return self.renew_now(state).await.map(Some);
        }
        Ok(trust_changed.then(|| EdgeEvent::TrustUpdated {
            trust_digest: state.trust_digest(),
        }))
    }

    fn renewal_due(&self, material: &NodeMaterial) -> bool {
        let Some(leaf) = material.chain.first() else {
            return false;
        };
        let Ok(cert) = tlscope_core::Certificate::from_der(leaf) else {
            return false;
        };
        let subject = tlscope_core::rotation::Subject::from_certificate(&cert);
        let (_, grace) = tlscope_core::rotation::lifetime(&self.policy.rotation, subject.role);
        let jitter_range = (grace * tlscope_core::Timestamp::DAY / 10).max(1);
        let seed = material
            .serial
            .bytes()
            .fold(0i64, |h, b| h.wrapping_mul(31).wrapping_add(i64::from(b)));
        let early = if self.jitter {
            seed.rem_euclid(jitter_range)
        } else {
            0
        };
        let now = tlscope_core::Timestamp::from_unix(self.clock.now().unix() + early);
        tlscope_core::rotation::renewal_due(&subject, &self.policy, now)
    }

    async fn renew_now(&self, state: &StateDir) -> Result<EdgeEvent, EdgeError> {
        let addr = self.coordinator();
        let issued = enrol_client::renew(self.config(), addr, &self.tenant, &self.name, state)
            .await
            .map_err(|e| EdgeError::Connect {
                addr,
                reason: format!("renewal: {e}"),
            })?;
        self.reload()?;
        Ok(EdgeEvent::Renewed {
            serial: issued.serial,
            not_after: issued.not_after,
        })
    }

    /// One full exchange on a fresh connection: handshake, one heartbeat, close.
    pub async fn handshake_once(&self) -> Result<HandshakeRecord, EdgeError> {
        let (record, mut sender) = self.connect().await?;
        self.heartbeat(&mut sender).await?;
        Ok(record)
    }

    /// Runs forever: connect, heartbeat every `every`, reload from the store before each
    /// heartbeat, reconnect with exponential backoff (100 ms doubling to 30 s, reset on success).
    pub async fn run(self: Arc<Self>, every: Duration, mut report: impl FnMut(EdgeEvent) + Send) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let failure = match self.connect().await {
                Ok((record, mut sender)) => {
                    report(EdgeEvent::Connected {
                        record: Box::new(record),
                    });
                    loop {
                        match self.reload() {
                            Ok(Some(serial)) => report(EdgeEvent::Reloaded { serial }),
                            Ok(None) => {}
                            Err(e) => report(EdgeEvent::Disconnected {
                                reason: format!("store: {e}"),
                                retry_in_ms: 0,
                            }),
                        }
                        match self.heartbeat_answer(&mut sender).await {
                            Ok(answer) => {
                                backoff = Duration::from_millis(100);
                                let renewed = self.maintain(&mut sender, &answer).await;
                                report(EdgeEvent::Heartbeat {
                                    coordinator_serial: answer.coordinator_serial,
                                    coordinator: answer.coordinator,
                                });
                                match renewed {
                                    Ok(Some(event @ EdgeEvent::Renewed { .. })) => {
                                        report(event);
                                        // Present the new certificate from the next handshake.
                                        break "reconnecting with the renewed certificate".into();
                                    }
                                    Ok(Some(event)) => report(event),
                                    Ok(None) => {}
                                    Err(e) => report(EdgeEvent::Disconnected {
                                        reason: e.to_string(),
                                        retry_in_ms: 0,
                                    }),
                                }
                            }
                            Err(e) => break e.to_string(),
                        }
                        tokio::time::sleep(every).await;
                    }
                }
                Err(e) => {
                    self.fail_over();
                    e.to_string()
                }
            };
            let _ = self.reload();
            report(EdgeEvent::Disconnected {
                reason: failure,
                retry_in_ms: u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
            });
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    }
}
