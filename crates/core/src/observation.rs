//! What the agent observes and the dashboard shows, defined once: the certificates a tenant's
//! CA owns (typed role and state), the edges a coordinator hears from, rotation events, and the
//! snapshot and event stream of the agent's API. The agent serialises these types, the page
//! deserialises the same ones, and docs/openapi.json is checked against them field by field.
//! Facts only: judgements (rotation status, alerts) come from [`crate::rotation`] under a policy,
//! wherever the facts are shown.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::handshake::HandshakeRecord;
use crate::policy::Policy;
use crate::probe::ProbeReport;
use crate::rotation::{self, Role, RotationStatus, Subject};

/// What an issued node certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeRole {
    /// An edge: mTLS client of the coordinator.
    Edge,
    /// The coordinator: server for clients and edges.
    Coordinator,
}

impl NodeRole {
    /// The role as it appears in the URI SAN and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edge => "edge",
            Self::Coordinator => "coordinator",
        }
    }

    /// The rotation role (lifetime and grace in the policy).
    pub fn rotation_role(self) -> Role {
        match self {
            Self::Edge => Role::Edge,
            Self::Coordinator => Role::Coordinator,
        }
    }
}

impl core::fmt::Display for NodeRole {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a certificate of the tenant's CA stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateState {
    /// A node's certificate in use.
    Current,
    /// A node's certificate that was replaced; accepted until its grace ends.
    Superseded,
    /// On the CRL.
    Revoked,
    /// The CA generation that issues.
    Active,
    /// A CA generation that was replaced; trusted until its notAfter.
    Retiring,
    /// A CA generation no longer trusted.
    Retired,
}

impl CertificateState {
    /// The word `ca list` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Superseded => "superseded",
            Self::Revoked => "revoked",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
        }
    }

    /// Whether certificates in this state are still accepted (and so still planned).
    pub fn in_use(self) -> bool {
        !matches!(self, Self::Revoked | Self::Retired)
    }
}

/// One certificate the tenant's CA owns (`ca list`, the snapshot's `certificates`). Never a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateListing {
    /// Tenant.
    pub tenant: String,
    /// Node name, or `ca`.
    pub name: String,
    /// `edge`, `coordinator` or `ca`.
    pub role: Role,
    /// The identity URI.
    pub subject: String,
    /// Serial, uppercase hex.
    pub serial: String,
    /// notBefore.
    pub not_before: Timestamp,
    /// notAfter.
    pub not_after: Timestamp,
    /// Where it stands.
    pub state: CertificateState,
    /// When its successor was issued (superseded certificates, retiring CAs).
    pub replaced_at: Option<Timestamp>,
}

impl CertificateListing {
    /// What the rotation planner needs to know of it; `None` once it is revoked or retired.
    pub fn rotation_subject(&self) -> Option<Subject> {
        self.state.in_use().then(|| Subject {
            name: format!(
                "{}/{} {}",
                self.tenant,
                self.name,
                self.serial.get(..8).unwrap_or(&self.serial)
            ),
            role: self.role,
            not_before: self.not_before,
            not_after: self.not_after,
            replaced_at: self.replaced_at,
        })
    }

    /// Its rotation status under `policy` at `now`; `None` once it is revoked or retired.
    pub fn status(&self, policy: &Policy, now: Timestamp) -> Option<RotationStatus> {
        let subject = self.rotation_subject()?;
        rotation::plan(core::slice::from_ref(&subject), policy, now)
            .first()
            .map(|p| p.status)
    }
}

/// What a coordinator knows of one edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeStatus {
    /// The edge's identity URI.
    pub identity: String,
    /// The coordinator (node name) it is connected to.
    pub coordinator: String,
    /// The serial of the certificate it last authenticated with.
    pub serial: String,
    /// That certificate's notAfter.
    pub not_after: Option<Timestamp>,
    /// When it last sent a heartbeat.
    pub last_heartbeat: Timestamp,
    /// Heartbeats received.
    pub heartbeats: u64,
    /// When it last renewed over its mTLS channel through this coordinator.
    pub last_renewal: Option<Timestamp>,
}

/// What changed in a rotation, for logs, the API's event stream and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum RotationEvent {
    /// A new CA generation became active; the previous one is trusted until its notAfter.
    CaRotated {
        /// The new CA's serial.
        serial: String,
        /// The previous CA's serial.
        previous: String,
    },
    /// A CA generation stopped being trusted.
    CaRetired {
        /// Its serial.
        serial: String,
    },
    /// A node received a new certificate; the old one is accepted until `grace_end`.
    Renewed {
        /// The node.
        name: String,
        /// Its role.
        role: NodeRole,
        /// The new serial.
        serial: String,
        /// The old serial.
        previous: String,
        /// When the old one is revoked.
        grace_end: Timestamp,
    },
    /// The CRLs were re-signed before their nextUpdate (nothing else changed).
    CrlRefreshed,
    /// A certificate was put on the CRL.
    Revoked {
        /// The node.
        name: String,
        /// The serial.
        serial: String,
        /// Why.
        reason: String,
    },
}

impl RotationEvent {
    /// The event's name, as serialised in `event` (and the `tlscope_rotations_total` label).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CaRotated { .. } => "ca-rotated",
            Self::CaRetired { .. } => "ca-retired",
            Self::Renewed { .. } => "renewed",
            Self::CrlRefreshed => "crl-refreshed",
            Self::Revoked { .. } => "revoked",
        }
    }
}

/// A rotation event with the tenant it happened in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRotation {
    /// The tenant.
    pub tenant: String,
    /// What happened.
    pub event: RotationEvent,
}

/// One observation, as the event stream (`GET /api/v1/events`) sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "kebab-case")]
pub enum Observation {
    /// A handshake at the coordinator (or an edge).
    Handshake(Box<HandshakeRecord>),
    /// A probe finished.
    Probe(Box<ProbeReport>),
    /// A rotation event.
    Rotation(TenantRotation),
}

/// `GET /api/v1/snapshot`: everything the agent knows now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When it was taken (the agent's clock).
    pub at: Timestamp,
    /// The latest report per target, in target order.
    pub probes: Vec<ProbeReport>,
    /// Recent handshakes, oldest first.
    pub handshakes: Vec<HandshakeRecord>,
    /// Recent rotation events, oldest first.
    pub rotations: Vec<TenantRotation>,
    /// Certificates the agent's CA owns (no keys).
    pub certificates: Vec<CertificateListing>,
    /// Edges the coordinator has heard from.
    pub edges: Vec<EdgeStatus>,
    /// CA certificates (DER, base64) the dashboard should trust when judging the agent's own
    /// endpoints — public certificates only.
    pub anchors: Vec<String>,
    /// The CRLs (DER, base64) the agent's coordinators enforce, judged like any dropped CRL
    /// (a CRL past its nextUpdate is CRL-STALE).
    pub crls: Vec<String>,
    /// The agent's own cryptography, when a coordinator runs in it.
    #[serde(default)]
    pub fips: Option<FipsStatus>,
}

/// The agent's own cryptography as its coordinator reports it (`/metrics` `tlscope_fips_mode`,
/// the snapshot, the Live view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FipsStatus {
    /// aws-lc-rs's FIPS 140-3 module is linked and in FIPS mode (`tlscope` built with
    /// `--features fips`).
    pub module: bool,
    /// Every handshake the coordinator and its edges make under the policy is FIPS-approved:
    /// the module, and approved suites, groups, signature algorithms and randomness only
    /// (rustls's `CryptoProvider::fips()`).
    pub approved: bool,
}

impl FipsStatus {
    /// One line for an operator: `FIPS 140-3 module in FIPS mode; every handshake FIPS-approved`.
    pub fn describe(&self) -> &'static str {
        match (self.module, self.approved) {
            (true, true) => "FIPS 140-3 module in FIPS mode; every handshake FIPS-approved",
            (true, false) => {
                "FIPS 140-3 module in FIPS mode, but the policy's suites or groups are not all FIPS-approved (ChaCha20, X25519 alone)"
            }
            (false, _) => "not a FIPS build (aws-lc-rs without its FIPS module)",
        }
    }
}

/// One edge as the Live view shows it: what the coordinator saw, with the facts of its
/// certificates from the listing judged under the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeView {
    /// The edge's node name (from its identity URI).
    pub name: String,
    /// Its current certificate's notAfter, when known.
    pub not_after: Option<Timestamp>,
    /// The current certificate's rotation status.
    pub status: Option<RotationStatus>,
    /// When it last renewed: the latest replacement of one of its certificates.
    pub last_renewal: Option<Timestamp>,
    /// Until when a replaced certificate of it is still accepted, if one is (in grace).
    pub grace_until: Option<Timestamp>,
}

impl EdgeStatus {
    /// The node name in the identity URI (`spiffe://tlscope/tenant/T/edge/NAME`).
    pub fn name(&self) -> &str {
        self.identity.rsplit('/').next().unwrap_or(&self.identity)
    }

    /// This edge judged with the certificate listing under `policy` at `now`.
    pub fn view(
        &self,
        certificates: &[CertificateListing],
        policy: &Policy,
        now: Timestamp,
    ) -> EdgeView {
        let name = self.name();
        let tenant = self.identity.split('/').nth(4).unwrap_or_default();
        let own = || {
            certificates
                .iter()
                .filter(move |c| c.role == Role::Edge && c.name == name && c.tenant == tenant)
        };
        let current = own().find(|c| c.serial == self.serial);
        let replaced = own().filter(|c| c.state == CertificateState::Superseded);
        let last_renewal = own()
            .filter_map(|c| c.replaced_at)
            .chain(self.last_renewal)
            .max();
        let grace_until = replaced
            .filter_map(|c| {
                let subject = c.rotation_subject()?;
                let plan = rotation::plan(core::slice::from_ref(&subject), policy, now);
                let p = plan.first()?;
                (p.status == RotationStatus::InGrace && now < p.grace_end).then_some(p.grace_end)
            })
            .max();
        EdgeView {
            name: name.to_owned(),
            not_after: current.map(|c| c.not_after).or(self.not_after),
            status: current.and_then(|c| c.status(policy, now)),
            last_renewal,
            grace_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = Timestamp::DAY;

    fn listing(
        serial: &str,
        state: CertificateState,
        nb: i64,
        replaced: Option<i64>,
    ) -> CertificateListing {
        CertificateListing {
            tenant: "acme".into(),
            name: "e1".into(),
            role: Role::Edge,
            subject: "spiffe://tlscope/tenant/acme/edge/e1".into(),
            serial: serial.into(),
            not_before: Timestamp::from_unix(nb * DAY),
            not_after: Timestamp::from_unix((nb + 90) * DAY),
            state,
            replaced_at: replaced.map(|d| Timestamp::from_unix(d * DAY)),
        }
    }

    fn edge(serial: &str) -> EdgeStatus {
        EdgeStatus {
            identity: "spiffe://tlscope/tenant/acme/edge/e1".into(),
            coordinator: "c1".into(),
            serial: serial.into(),
            not_after: None,
            last_heartbeat: Timestamp::from_unix(0),
            heartbeats: 1,
            last_renewal: None,
        }
    }

    #[test]
    fn an_edge_renewed_on_day_80_is_in_grace_until_its_old_not_after() {
        let policy = Policy::default();
        let certificates = [
            listing("AA", CertificateState::Superseded, 0, Some(80)),
            listing("BB", CertificateState::Current, 80, None),
        ];
        let view = edge("BB").view(&certificates, &policy, Timestamp::from_unix(85 * DAY));
        assert_eq!(view.name, "e1");
        assert_eq!(view.not_after, Some(Timestamp::from_unix(170 * DAY)));
        assert_eq!(view.status, Some(RotationStatus::Ok));
        assert_eq!(view.last_renewal, Some(Timestamp::from_unix(80 * DAY)));
        assert_eq!(view.grace_until, Some(Timestamp::from_unix(90 * DAY)));
        // After the old notAfter, no longer in grace.
        let later = edge("BB").view(&certificates, &policy, Timestamp::from_unix(91 * DAY));
        assert_eq!(later.grace_until, None);
    }

    #[test]
    fn revoked_and_retired_certificates_have_no_rotation_status() {
        let policy = Policy::default();
        let revoked = listing("AA", CertificateState::Revoked, 0, None);
        assert_eq!(revoked.status(&policy, Timestamp::from_unix(DAY)), None);
        let current = listing("BB", CertificateState::Current, 0, None);
        assert_eq!(
            current.status(&policy, Timestamp::from_unix(80 * DAY)),
            Some(RotationStatus::RenewDue)
        );
    }

    #[test]
    fn the_snapshot_round_trips_through_json() {
        let snapshot = Snapshot {
            at: Timestamp::from_unix(0),
            probes: vec![],
            handshakes: vec![],
            rotations: vec![TenantRotation {
                tenant: "acme".into(),
                event: RotationEvent::Renewed {
                    name: "e1".into(),
                    role: NodeRole::Edge,
                    serial: "BB".into(),
                    previous: "AA".into(),
                    grace_end: Timestamp::from_unix(DAY),
                },
            }],
            certificates: vec![listing("AA", CertificateState::Current, 0, None)],
            edges: vec![edge("AA")],
            anchors: vec![],
            crls: vec![],
            fips: Some(FipsStatus {
                module: true,
                approved: false,
            }),
        };
        let json = serde_json::to_string(&snapshot).unwrap();
        assert!(json.contains(r#""event":"renewed""#), "{json}");
        assert_eq!(snapshot.rotations[0].event.kind(), "renewed");
        assert!(json.contains(r#""state":"current""#), "{json}");
        assert!(json.contains(r#""role":"edge""#), "{json}");
        let back: Snapshot = serde_json::from_str(&json).unwrap();
        assert_eq!(back, snapshot);
    }
}
