//! The coordinator: a client-facing TLS 1.3 listener (server certificate only) and an
//! edge-facing mTLS listener that requires an edge certificate of the tenant. Both speak HTTP/1.1
//! inside TLS (so curl works against them). Every handshake, accepted or refused, becomes a core
//! `HandshakeRecord` on a broadcast channel. The coordinator runs the tenant's rotation schedule
//! on the agent's clock and reloads certificates and trust in place when the store changes;
//! connections whose certificate was revoked are closed at their next request.
//!
//! This file holds the coordinator's state, reload and schedule; `listener.rs` the TLS listeners
//! and handshake records, `routes.rs` the HTTP routes, `observing.rs` what it feeds the API.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use tlscope_core::Policy;
use tlscope_core::handshake::{HandshakeRecord, Outcome, Segment};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use crate::ca::identity::NodeRole;
use crate::ca::{self, CaError, Force, RotationEvent};
use crate::clock::Clock;
use crate::mtls::{self, Credentials, EdgeVerifier, MtlsError};
use crate::store::Store;
use crate::store::audit::{Action, Record};

mod listener;
mod observing;
mod routes;

pub use listener::{accepted_record, serial_of, version};

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
    refusals: Mutex<PendingRefusals>,
    /// Handshake and rotation counters.
    pub counters: Counters,
}

/// Refused handshakes not yet in the audit log.
#[derive(Debug, Default)]
struct PendingRefusals {
    records: Vec<Record>,
    dropped: u64,
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
            refusals: Mutex::new(PendingRefusals::default()),
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

    /// The edges seen so far that can still connect: one whose last certificate was revoked or
    /// has expired since drops out (a decommissioned edge is no silent edge).
    pub fn edges(&self) -> Vec<EdgeStatus> {
        let now = self.clock.now();
        let revoked = self.revoked.read().map(|r| r.clone()).unwrap_or_default();
        self.edges
            .lock()
            .map(|e| {
                e.values()
                    .filter(|e| !revoked.contains(&e.serial) && e.not_after.is_none_or(|t| t > now))
                    .cloned()
                    .collect()
            })
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
            if let Err(e) = self.flush_audit() {
                eprintln!("tlscope coordinator: cannot append to the audit log: {e}");
            }
        }
    }
}

/// Refused handshakes kept for the audit log between two schedule runs; past it, only their
/// number is recorded.
const MAX_PENDING_REFUSALS: usize = 10_000;

impl Coordinator {
    /// Publishes a refused handshake from `peer` and keeps it for the audit log.
    fn refuse(&self, record: HandshakeRecord, peer: std::net::SocketAddr) {
        if let Outcome::Refused { reason, refusal } = &record.outcome
            && let Ok(mut pending) = self.refusals.lock()
        {
            if pending.records.len() < MAX_PENDING_REFUSALS {
                pending.records.push(
                    Record::new(
                        record.at,
                        Action::HandshakeRefused,
                        &self.actor(),
                        &peer.to_string(),
                    )
                    .detail(format!(
                        "{} listener {}: {} ({reason})",
                        record.segment.as_str(),
                        record.endpoint,
                        refusal.as_str()
                    )),
                );
            } else {
                pending.dropped += 1;
            }
        }
        self.publish(record);
    }

    /// Who the coordinator is in the audit log.
    fn actor(&self) -> String {
        format!("coordinator/{}", self.name)
    }

    /// Appends the refusals kept since the last call to the tenant's audit log.
    pub fn flush_audit(&self) -> Result<(), CoordinatorError> {
        let (mut records, dropped) = match self.refusals.lock() {
            Ok(mut p) => (
                std::mem::take(&mut p.records),
                std::mem::take(&mut p.dropped),
            ),
            Err(_) => return Ok(()),
        };
        if dropped > 0 {
            records.push(
                Record::new(
                    self.clock.now(),
                    Action::HandshakeRefused,
                    &self.actor(),
                    "*",
                )
                .detail(format!(
                    "{dropped} more refused handshakes, not recorded one by one"
                )),
            );
        }
        ca::audit_refusals(&self.store, &self.tenant, &records)?;
        Ok(())
    }
}

impl Coordinator {
    fn publish(&self, record: HandshakeRecord) {
        let counter = match record.outcome {
            Outcome::Accepted => &self.counters.accepted,
            Outcome::Refused { .. } => &self.counters.refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let _ = self.records.send(record);
    }
}
