//! What the agent has observed, in one place for the API: the latest probe report per target,
//! recent handshake records and rotation events, the certificates the agent's CA owns, the edges
//! the coordinator sees; counters for `/metrics`; and a broadcast of every new observation for
//! the Server-Sent Events stream. Observations only — the dashboard judges them in the browser.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use tlscope_core::Timestamp;
use tlscope_core::handshake::{HandshakeRecord, Outcome};
use tlscope_core::observation::{CertificateListing, EdgeStatus, RotationEvent, TenantRotation};
pub use tlscope_core::observation::{Observation, Snapshot};
use tlscope_core::probe::ProbeReport;
use tokio::sync::broadcast;

/// How many handshake records and rotation events the snapshot keeps.
pub const RECENT: usize = 500;

#[derive(Debug, Default)]
struct State {
    anchors: Vec<String>,
    crls: BTreeMap<String, Vec<Vec<u8>>>,
    probes: BTreeMap<String, ProbeReport>,
    handshakes: VecDeque<HandshakeRecord>,
    rotations: VecDeque<TenantRotation>,
    certificates: Vec<CertificateListing>,
    edges: Vec<EdgeStatus>,
    handshake_counts: BTreeMap<(String, String, String), u64>,
    rotation_counts: BTreeMap<String, u64>,
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
                Outcome::Accepted => "accepted",
                Outcome::Refused { .. } => "refused",
            };
            let version = record
                .version
                .map(|v| v.policy_name().to_owned())
                .unwrap_or_default();
            let suite = record.suite.clone().unwrap_or_default();
            *s.handshake_counts
                .entry((outcome.to_owned(), version, suite))
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
            *s.rotation_counts
                .entry(event.kind().to_owned())
                .or_default() += 1;
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

    /// Replaces the CA's certificate listing and the coordinator's edges.
    pub fn inventory(&self, certificates: Vec<CertificateListing>, edges: Vec<EdgeStatus>) {
        self.with(|s| {
            s.certificates = certificates;
            s.edges = edges;
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
            certificates: s.certificates.clone(),
            edges: s.edges.clone(),
            anchors: s.anchors.clone(),
            crls: s
                .crls
                .values()
                .flatten()
                .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
                .collect(),
        })
    }

    /// The Prometheus text exposition at `now`.
    pub fn metrics(&self, now: Timestamp) -> String {
        self.with(|s| {
            let mut out = String::new();
            out.push_str("# HELP ssl_certificate_expiry_seconds Seconds until the certificate's notAfter (negative once expired).\n");
            out.push_str("# TYPE ssl_certificate_expiry_seconds gauge\n");
            for c in s.certificates.iter().filter(|c| c.state.in_use()) {
                out.push_str(&format!(
                    "ssl_certificate_expiry_seconds{{source=\"ca\",tenant=\"{}\",name=\"{}\",role=\"{}\",serial=\"{}\"}} {}\n",
                    label(&c.tenant),
                    label(&c.name),
                    c.role.as_str(),
                    label(&c.serial),
                    c.not_after.unix() - now.unix()
                ));
            }
            for p in s.probes.values() {
                let Some(leaf) = p.chain.first().and_then(|d| tlscope_core::decode(d).ok()) else {
                    continue;
                };
                if let Some(c) = leaf.certificates().next() {
                    out.push_str(&format!(
                        "ssl_certificate_expiry_seconds{{source=\"probe\",target=\"{}\",subject=\"{}\",serial=\"{}\"}} {}\n",
                        label(&p.target),
                        label(&c.display_name()),
                        label(&c.serial),
                        c.validity.not_after.unix() - now.unix()
                    ));
                }
            }
            out.push_str("# HELP tlscope_crl_next_update_seconds Seconds until the nextUpdate of a CRL the coordinators enforce (negative once stale).\n");
            out.push_str("# TYPE tlscope_crl_next_update_seconds gauge\n");
            for (tenant, ders) in &s.crls {
                for crl in ders.iter().filter_map(|d| tlscope_core::revocation_list::RevocationList::from_der(d).ok()) {
                    if let Some(next) = crl.next_update {
                        out.push_str(&format!(
                            "tlscope_crl_next_update_seconds{{tenant=\"{}\",issuer=\"{}\"}} {}\n",
                            label(tenant),
                            label(&crl.issuer.rfc4514),
                            next.unix() - now.unix()
                        ));
                    }
                }
            }
            out.push_str("# HELP tlscope_handshakes_total Handshakes observed, by outcome, version and suite.\n");
            out.push_str("# TYPE tlscope_handshakes_total counter\n");
            for ((outcome, version, suite), n) in &s.handshake_counts {
                out.push_str(&format!(
                    "tlscope_handshakes_total{{outcome=\"{outcome}\",version=\"{}\",suite=\"{}\"}} {n}\n",
                    label(version),
                    label(suite)
                ));
            }
            out.push_str("# HELP tlscope_rotations_total Rotation events, by kind.\n");
            out.push_str("# TYPE tlscope_rotations_total counter\n");
            for (kind, n) in &s.rotation_counts {
                out.push_str(&format!("tlscope_rotations_total{{event=\"{}\"}} {n}\n", label(kind)));
            }
            out.push_str("# HELP tlscope_probe_targets Probe targets, by whether the last probe finished.\n");
            out.push_str("# TYPE tlscope_probe_targets gauge\n");
            let failed = s.probes.values().filter(|p| p.error.is_some()).count();
            out.push_str(&format!("tlscope_probe_targets{{result=\"ok\"}} {}\n", s.probes.len() - failed));
            out.push_str(&format!("tlscope_probe_targets{{result=\"error\"}} {failed}\n"));
            out
        })
    }
}

/// A Prometheus label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
