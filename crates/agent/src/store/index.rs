//! The tenant index: the one file that says which CAs, certificates, keys and CRLs a tenant has
//! and what state each is in. It is the commit point of every change — files it names are written
//! first, then the index is replaced atomically — so a crash leaves either the old or the new
//! state, never a mixture. Each file it names carries a SHA-256, so a changed or truncated file is
//! reported by name.

use serde::{Deserialize, Serialize};
use tlscope_core::Timestamp;

use tlscope_core::observation::NodeRole;

/// The index format this build reads and writes.
pub const FORMAT: u32 = 1;

/// A file of the tenant, relative to the tenant's directory, with its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Relative path, e.g. `certs/0a1b….pem`.
    pub path: String,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// Where a CA stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaState {
    /// Issues new certificates and is trusted.
    Active,
    /// Replaced by a newer CA; still trusted until its notAfter (the CA grace period).
    Retiring,
    /// No longer trusted.
    Retired,
}

/// One CA generation of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaRecord {
    /// Serial number, uppercase hex (earlier stores: lowercase).
    pub serial: String,
    /// notBefore.
    pub not_before: Timestamp,
    /// notAfter.
    pub not_after: Timestamp,
    /// State.
    pub state: CaState,
    /// The CA certificate (PEM).
    pub cert: FileRef,
    /// The CA key (PKCS#8 PEM, or sealed).
    pub key: FileRef,
    /// The CA's current CRL (PEM).
    pub crl: Option<FileRef>,
    /// The nextUpdate of that CRL (stores written before it was recorded: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crl_next_update: Option<Timestamp>,
}

/// Where an issued certificate stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum CertState {
    /// The node's certificate in use.
    Current,
    /// Replaced; still accepted until `grace_end`, then revoked.
    Superseded {
        /// When it was replaced.
        replaced_at: Timestamp,
        /// End of the grace period.
        grace_end: Timestamp,
    },
    /// On the CRL.
    Revoked {
        /// When.
        at: Timestamp,
        /// Why (`superseded`, `operator`).
        reason: String,
    },
}

/// One issued certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRecord {
    /// The node name.
    pub name: String,
    /// Its role.
    pub role: NodeRole,
    /// Serial number, uppercase hex (earlier stores: lowercase).
    pub serial: String,
    /// The serial of the CA that issued it.
    pub ca_serial: String,
    /// notBefore.
    pub not_before: Timestamp,
    /// notAfter.
    pub not_after: Timestamp,
    /// State.
    #[serde(flatten)]
    pub state: CertState,
    /// The certificate (PEM, leaf only).
    pub cert: FileRef,
    /// The key (PKCS#8 PEM, or sealed); `None` for an enrolled node, which keeps its own key
    /// and renews itself over its mTLS channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<FileRef>,
}

impl CertRecord {
    /// Whether the node keeps its own key (enrolled), so only it can renew it.
    pub fn enrolled(&self) -> bool {
        self.key.is_none()
    }
}

/// A join token, stored only as its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Lowercase hex SHA-256 of the token.
    pub sha256: String,
    /// The role the enrolled node gets.
    pub role: NodeRole,
    /// The node's name.
    pub name: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was used up, if it was.
    pub used_at: Option<Timestamp>,
}

/// An operator who may approve CA-level changes, by the Ed25519 key they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRecord {
    /// Their name.
    pub name: String,
    /// Their public key, `ed25519:BASE64`.
    pub public_key: String,
}

/// The tenant's rule for CA-level changes: `required` approvals from distinct operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRule {
    /// How many.
    pub required: u32,
    /// Who may approve.
    pub operators: Vec<OperatorRecord>,
}

/// A CA-level change that needs approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    /// `ca rotate --ca`.
    RotateCa,
    /// `ca revoke --name NAME`.
    Revoke {
        /// The node.
        name: String,
    },
    /// A new approval rule (its SHA-256 over its JSON).
    Rule {
        /// `sha256:HEX` of the new rule.
        sha256: String,
    },
}

/// One operator's signature over a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// The operator.
    pub operator: String,
    /// Ed25519 signature over the proposal's message, base64.
    pub signature: String,
    /// When they signed.
    pub at: Timestamp,
}

/// A proposed change and the approvals it has gathered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRecord {
    /// Its id (random, hex).
    pub id: String,
    /// What it changes.
    #[serde(flatten)]
    pub change: Change,
    /// When it was proposed.
    pub proposed_at: Timestamp,
    /// After this it can be neither approved nor applied.
    pub expires_at: Timestamp,
    /// Approvals so far.
    pub approvals: Vec<ApprovalRecord>,
    /// When it was applied (a proposal applies once).
    pub applied_at: Option<Timestamp>,
}

/// Everything the store knows about one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantIndex {
    /// [`FORMAT`].
    pub format: u32,
    /// The tenant's name.
    pub tenant: String,
    /// Incremented by every change; nodes reload when it moves.
    pub generation: u64,
    /// A value sealed with the store key when keys are encrypted, to detect a wrong key early.
    pub key_check: Option<String>,
    /// The next CRL number.
    pub next_crl_number: u64,
    /// CA generations, oldest first.
    pub cas: Vec<CaRecord>,
    /// Issued certificates, oldest first.
    pub certs: Vec<CertRecord>,
    /// Join tokens made by `tlscope ca token` (digests only).
    #[serde(default)]
    pub tokens: Vec<TokenRecord>,
    /// M-of-N approvals for CA-level changes, once the tenant requires them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<ApprovalRule>,
    /// Proposed CA-level changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<ProposalRecord>,
    /// The last entry of the tenant's audit log ([`super::audit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<super::audit::Head>,
    /// On object storage: the ETag the index was read at, which its commit must still match.
    #[serde(skip)]
    pub etag: Option<String>,
    /// What the change being made did, written to the audit log at its commit.
    #[serde(skip)]
    pub audit_pending: Vec<super::audit::Record>,
    /// The change only appends to the audit log: its commit leaves the generation (which makes
    /// coordinators and edges reload) where it is.
    #[serde(skip)]
    pub audit_only: bool,
}

impl TenantIndex {
    /// Records `record` in the audit log when the change commits.
    pub fn audit(&mut self, record: super::audit::Record) {
        self.audit_pending.push(record);
    }

    /// The CA that issues new certificates.
    pub fn active_ca(&self) -> Option<&CaRecord> {
        self.cas.iter().rev().find(|c| c.state == CaState::Active)
    }

    /// CAs whose certificates are trusted now (active and retiring).
    pub fn trusted_cas(&self) -> impl Iterator<Item = &CaRecord> {
        self.cas.iter().filter(|c| c.state != CaState::Retired)
    }

    /// The node's certificate in use.
    pub fn current(&self, name: &str) -> Option<&CertRecord> {
        self.certs
            .iter()
            .rev()
            .find(|c| c.name == name && c.state == CertState::Current)
    }

    /// Every file the index names.
    pub fn files(&self) -> impl Iterator<Item = &FileRef> {
        self.cas
            .iter()
            .flat_map(|c| [Some(&c.cert), Some(&c.key), c.crl.as_ref()])
            .chain(
                self.certs
                    .iter()
                    .flat_map(|c| [Some(&c.cert), c.key.as_ref()]),
            )
            .flatten()
    }
}
