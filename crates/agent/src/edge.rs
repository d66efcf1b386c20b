//! An edge: keeps an mTLS connection to its coordinator, verifies the coordinator's certificate
//! against the tenant's CAs and its identity, heartbeats over it, notices new certificates and
//! trust in the store at each heartbeat (no reconnect needed), and reconnects with exponential
//! backoff when the connection fails.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
use crate::mtls::{self, CoordinatorVerifier, Credentials, MtlsError};
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

/// An edge node.
#[derive(Debug)]
pub struct Edge {
    store: Arc<Store>,
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
    coordinator: SocketAddr,
    clock: Arc<dyn Clock>,
    generation: AtomicU64,
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
        let provider = mtls::provider(&policy)?;
        let credentials = Arc::new(Credentials::new(&provider, material)?);
        let verifier = Arc::new(CoordinatorVerifier::new(Arc::clone(&provider), material)?);
        let config = mtls::client_config(
            Arc::clone(&provider),
            Arc::clone(&clock),
            Arc::clone(&credentials),
            Arc::clone(&verifier),
            &[ALPN],
        )?;
        let tenant = material.identity.tenant.clone();
        let dns = format!("{coordinator_name}.{tenant}.tlscope.internal");
        let server_name = ServerName::try_from(dns.clone()).map_err(|_| EdgeError::Connect {
            addr: coordinator,
            reason: format!("{dns:?} is not a valid server name"),
        })?;
        Ok(Self {
            store,
            tenant,
            name: material.identity.name.clone(),
            policy,
            provider,
            credentials,
            verifier,
            connector: std::sync::RwLock::new(Arc::new(config)),
            server_name,
            coordinator,
            clock,
            generation: AtomicU64::new(material.generation),
        })
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

    /// Reloads certificate and trust when the store's generation moved; the new serial if it did.
    pub fn reload(&self) -> Result<Option<String>, EdgeError> {
        let generation = ca::generation(&self.store, &self.tenant)?;
        if generation == self.generation.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let material = ca::material(&self.store, &self.tenant, &self.name)?;
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
        let _ = &self.policy;
        Ok(Some(material.serial))
    }

    /// Opens an mTLS connection and returns the handshake record and an HTTP sender on it.
    pub async fn connect(&self) -> Result<(HandshakeRecord, Link), EdgeError> {
        let fail = |reason: String| EdgeError::Connect {
            addr: self.coordinator,
            reason,
        };
        let started = Instant::now();
        let at = self.clock.now();
        let tcp = tokio::time::timeout(HANDSHAKE_TIMEOUT, TcpStream::connect(self.coordinator))
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
            self.coordinator.to_string(),
            Segment::Mtls,
            at,
            latency,
        );
        record.server_name = Some(self.server_name.to_str().into_owned());
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| fail(e.to_string()))?;
        let (tell, ended) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let reason = match connection.await {
                Ok(()) => "the coordinator closed the connection".to_owned(),
                Err(e) => mtls::describe_chain(&e),
            };
            let _ = tell.send(reason);
        });
        Ok((record, Link { sender, ended }))
    }

    /// Sends one heartbeat on `sender`; the coordinator's serial on success.
    pub async fn heartbeat(&self, link: &mut Link) -> Result<String, EdgeError> {
        let mut stage = "waiting for the connection to be ready";
        match tokio::time::timeout(HEARTBEAT_TIMEOUT, self.exchange_heartbeat(link, &mut stage))
            .await
        {
            Ok(answer) => answer,
            Err(_) => Err(EdgeError::Connect {
                addr: self.coordinator,
                reason: format!(
                    "no answer to the heartbeat within {} s ({stage})",
                    HEARTBEAT_TIMEOUT.as_secs()
                ),
            }),
        }
    }

    async fn exchange_heartbeat(
        &self,
        link: &mut Link,
        stage: &mut &'static str,
    ) -> Result<String, EdgeError> {
        let fail = |reason: String| EdgeError::Connect {
            addr: self.coordinator,
            reason,
        };
        if let Err(e) = link.sender.ready().await {
            return Err(fail(link.why_ended(mtls::describe_chain(&e)).await));
        }
        let request = Request::post("/v1/heartbeat")
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
            return Err(EdgeError::Refused {
                addr: self.coordinator,
                status,
                body,
            });
        }
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        Ok(value["coordinator_serial"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
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
                        match self.heartbeat(&mut sender).await {
                            Ok(coordinator_serial) => {
                                backoff = Duration::from_millis(100);
                                report(EdgeEvent::Heartbeat { coordinator_serial });
                            }
                            Err(e) => break e.to_string(),
                        }
                        tokio::time::sleep(every).await;
                    }
                }
                Err(e) => e.to_string(),
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
