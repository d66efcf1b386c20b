//! What the agent has observed, in one place for the API: the latest probe report per target,
//! recent handshake records and rotation events, the certificates the agent's CA owns, the edges
//! the coordinators see; counters for `/metrics` (which `metrics.rs` renders); and a broadcast of
//! every new observation for the Server-Sent Events stream. Observations only — the dashboard
//! judges them in the browser.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use tlscope_core::Timestamp;
use tlscope_core::handshake::{HandshakeRecord, Outcome, Refusal, Segment};
use tlscope_core::observation::{
    CertificateListing, EdgeStatus, FipsStatus, RotationEvent, TenantRotation,
};
pub use tlscope_core::observation::{Observation, Snapshot};
use tlscope_core::probe::ProbeReport;
use tokio::sync::broadcast;

/// How many handshake records and rotation events the snapshot keeps.
pub const RECENT: usize = 500;

/// Handshakes counted by segment, outcome, version and suite (the labels of
/// `tlscope_handshakes_total`).
pub(crate) type HandshakeKey = (Segment, &'static str, String, String);

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) anchors: Vec<String>,
    /// DER CRLs, by tenant.
    pub(crate) crls: BTreeMap<String, Vec<Vec<u8>>>,
    pub(crate) probes: BTreeMap<String, ProbeReport>,
    handshakes: VecDeque<HandshakeRecord>,
    rotations: VecDeque<TenantRotation>,
    /// The CA's listing, by tenant.
    pub(crate) certificates: BTreeMap<String, Vec<CertificateListing>>,
    /// The edges each coordinator sees, by coordinator name.
    pub(crate) edges: BTreeMap<String, Vec<EdgeStatus>>,
    pub(crate) handshake_counts: BTreeMap<HandshakeKey, u64>,
    pub(crate) refusal_counts: BTreeMap<(Segment, Refusal), u64>,
    pub(crate) rotation_counts: BTreeMap<&'static str, u64>,
    /// Accepted handshakes by segment and whether rustls called them FIPS-approved.
    pub(crate) fips_counts: BTreeMap<(Segment, bool), u64>,
    /// The coordinator's cryptography, once one runs here.
    pub(crate) fips: Option<FipsStatus>,
}

/// The shared store of observations.
#[derive(Debug, Clone)]
pub struct Observatory {
    state: Arc<Mutex<State>>,
    feed: broadcast::Sender<Observation>,
}

impl Default for Observatory {
    fn default() -> Self {
        Self::new()
    }
}

fn push<T>(q: &mut VecDeque<T>, item: T) {
    if q.len() == RECENT {
        q.pop_front();
    }
    q.push_back(item);
}

impl Observatory {
    /// Empty.
    pub fn new() -> Self {
        let (feed, _) = broadcast::channel(1024);
        Self {
            state: Arc::new(Mutex::new(State::default())),
            feed,
        }
    }

    /// Every observation from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Observation> {
        self.feed.subscribe()
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Records a handshake.
    pub fn handshake(&self, record: HandshakeRecord) {
        self.with(|s| {
            let outcome = match record.outcome {
                Outcome::Accepted => {
                    *s.fips_counts
                        .entry((record.segment, record.fips))
                        .or_default() += 1;
                    "accepted"
                }
                Outcome::Refused { refusal, .. } => {
                    *s.refusal_counts
                        .entry((record.segment, refusal))
                        .or_default() += 1;
                    "refused"
                }
            };
            let version = record
                .version
                .map(|v| v.policy_name().to_owned())
                .unwrap_or_default();
            let suite = record.suite.clone().unwrap_or_default();
            *s.handshake_counts
                .entry((record.segment, outcome, version, suite))
                .or_default() += 1;
            push(&mut s.handshakes, record.clone());
        });
        let _ = self.feed.send(Observation::Handshake(Box::new(record)));
    }

    /// Records a probe report (replacing the target's previous one).
    pub fn probe(&self, report: ProbeReport) {
        self.with(|s| s.probes.insert(report.target.clone(), report.clone()));
        let _ = self.feed.send(Observation::Probe(Box::new(report)));
    }

    /// Records a rotation event.
    pub fn rotation(&self, tenant: &str, event: RotationEvent) {
        self.with(|s| {
            *s.rotation_counts.entry(event.kind()).or_default() += 1;
            push(
                &mut s.rotations,
                TenantRotation {
                    tenant: tenant.to_owned(),
                    event: event.clone(),
                },
            );
        });
        let _ = self.feed.send(Observation::Rotation(TenantRotation {
            tenant: tenant.to_owned(),
            event,
        }));
    }

    /// Replaces the certificate listing of `tenant`'s CA.
    pub fn certificates(&self, tenant: &str, certificates: Vec<CertificateListing>) {
        self.with(|s| {
            s.certificates.insert(tenant.to_owned(), certificates);
        });
    }

    /// Replaces the edges the coordinator `name` sees.
    pub fn edges(&self, coordinator: &str, edges: Vec<EdgeStatus>) {
        self.with(|s| {
            s.edges.insert(coordinator.to_owned(), edges);
        });
    }

    /// Sets the CA certificates (DER) the dashboard should trust for the agent's own endpoints.
    pub fn anchors(&self, ders: &[Vec<u8>]) {
        let encoded = ders
            .iter()
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
            .collect();
        self.with(|s| s.anchors = encoded);
    }

    /// Sets what the coordinator's cryptography is (FIPS module, FIPS-approved handshakes).
    pub fn fips(&self, status: FipsStatus) {
        self.with(|s| s.fips = Some(status));
    }

    /// Replaces the CRLs (DER) the coordinators of `tenant` enforce.
    pub fn crls(&self, tenant: &str, ders: &[Vec<u8>]) {
        self.with(|s| {
            s.crls.insert(tenant.to_owned(), ders.to_vec());
        });
    }

    /// Everything, now.
    pub fn snapshot(&self, at: Timestamp) -> Snapshot {
        self.with(|s| Snapshot {
            at,
            probes: s.probes.values().cloned().collect(),
            handshakes: s.handshakes.iter().cloned().collect(),
            rotations: s.rotations.iter().cloned().collect(),
            certificates: s.certificates.values().flatten().cloned().collect(),
            edges: s.edges.values().flatten().cloned().collect(),
            anchors: s.anchors.clone(),
            crls: s
                .crls
                .values()
                .flatten()
                .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
                .collect(),
            fips: s.fips,
        })
    }

    /// Reads the state (for `metrics.rs`).
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        self.with(|s| f(s))
    }
}
