//! M-of-N operator approvals for CA-level changes (`ca rotate --ca`, `ca revoke`, and a new
//! approval rule). Operators hold their own Ed25519 keys (`tlscope ca keygen`); a change is
//! proposed, each approval is a signature over the proposal's message (tenant, id, change,
//! expiry), and the CA applies the change only when enough valid, unexpired approvals from
//! distinct registered operators are present, once. The store keeps public keys only.

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject as _;
use tlscope_core::Timestamp;

use super::{CaError, transaction};
use crate::store::Store;
use crate::store::audit::{Action, Record};
use crate::store::index::{
    ApprovalRecord, ApprovalRule, Change, OperatorRecord, ProposalRecord, TenantIndex,
};

/// Why a change was not approved, or an approval not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    /// The tenant requires approvals and none was named.
    #[error(
        "tenant {tenant:?} requires {required} operator approvals for {what}: propose it with `tlscope ca propose`, have operators run `tlscope ca approve`, then give --proposal ID"
    )]
    Required {
        /// The tenant.
        tenant: String,
        /// How many.
        required: u32,
        /// The change.
        what: String,
    },
    /// No such proposal.
    #[error("no proposal {0:?} in this tenant")]
    UnknownProposal(String),
    /// The proposal is for another change.
    #[error("proposal {id} is for {proposed}, not {asked}")]
    WrongChange {
        /// The proposal.
        id: String,
        /// What it proposes.
        proposed: String,
        /// What was asked.
        asked: String,
    },
    /// Past its expiry.
    #[error("proposal {id} expired at {at}")]
    Expired {
        /// The proposal.
        id: String,
        /// When.
        at: Timestamp,
    },
    /// Already applied.
    #[error("proposal {id} was already applied at {at}")]
    Applied {
        /// The proposal.
        id: String,
        /// When.
        at: Timestamp,
    },
    /// Not enough valid approvals from distinct operators.
    #[error(
        "proposal {id} has {valid} valid approvals from distinct operators; {required} are required"
    )]
    TooFew {
        /// The proposal.
        id: String,
        /// Valid, distinct.
        valid: usize,
        /// Required.
        required: u32,
    },
    /// The operator already approved it.
    #[error("{0} has already approved this proposal; approvals must come from distinct operators")]
    Duplicate(String),
    /// Not a registered operator.
    #[error("{0:?} is not an operator of this tenant")]
    UnknownOperator(String),
    /// The key given is not the operator's registered key.
    #[error("the key given is not the registered key of {0}")]
    WrongKey(String),
    /// A stored signature does not verify over the proposal as it stands.
    #[error(
        "{operator}'s approval of proposal {id} does not verify: the proposal was changed after it was approved"
    )]
    BadSignature {
        /// The proposal.
        id: String,
        /// Whose.
        operator: String,
    },
    /// A key or rule that cannot be used.
    #[error("{0}")]
    Invalid(String),
}

/// Words for a change.
pub fn describe(change: &Change) -> String {
    match change {
        Change::RotateCa => "replacing the CA (ca rotate --ca)".into(),
        Change::Revoke { name } => format!("revoking {name} (ca revoke)"),
        Change::Rule { sha256 } => format!("a new approval rule ({sha256})"),
    }
}

/// A new operator key: (PKCS#8 PEM to keep, `ed25519:BASE64` to register).
pub fn keygen() -> Result<(String, String), ApprovalError> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| ApprovalError::Invalid("cannot generate an Ed25519 key".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| ApprovalError::Invalid("cannot read the new key".into()))?;
    Ok((
        super::pem("PRIVATE KEY", pkcs8.as_ref()),
        format!("ed25519:{}", STANDARD.encode(pair.public_key().as_ref())),
    ))
}

fn public_key_bytes(text: &str) -> Result<Vec<u8>, ApprovalError> {
    text.strip_prefix("ed25519:")
        .and_then(|b| STANDARD.decode(b).ok())
        .filter(|k| k.len() == 32)
        .ok_or_else(|| {
            ApprovalError::Invalid(format!("{text:?} is not an ed25519:BASE64 public key"))
        })
}

/// The SHA-256 a `Change::Rule` proposal names for `rule`.
pub fn rule_digest(rule: &ApprovalRule) -> String {
    let json = serde_json::to_vec(rule).unwrap_or_default();
    format!("sha256:{}", crate::store::sha256_hex(&json))
}

/// What operators sign: tenant, id, change and expiry, one per line.
fn message(tenant: &str, p: &ProposalRecord) -> Vec<u8> {
    let change = serde_json::to_string(&p.change).unwrap_or_default();
    format!(
        "tlscope-approval/1\n{tenant}\n{}\n{change}\n{}\n",
        p.id, p.expires_at
    )
    .into_bytes()
}

/// Sets the tenant's approval rule. The first rule is set freely; replacing one is itself a
/// change that needs approval (`proposal`).
pub fn set_rule(
    store: &Store,
    tenant: &str,
    rule: ApprovalRule,
    proposal: Option<&str>,
    now: Timestamp,
) -> Result<(), CaError> {
    if rule.required == 0 || rule.required as usize > rule.operators.len() {
        return Err(ApprovalError::Invalid(format!(
            "--require {} with {} operators: it must be between 1 and the number of operators",
            rule.required,
            rule.operators.len()
        ))
        .into());
    }
    for op in &rule.operators {
        public_key_bytes(&op.public_key)?;
    }
    let change = Change::Rule {
        sha256: rule_digest(&rule),
    };
    transaction(store, tenant, |index| {
        authorise(index, &change, proposal, now)?;
        index.audit(
            Record::new(now, Action::Approval, store.actor(), "approval rule").detail(format!(
                "{} of {} operators ({}) required for CA-level changes",
                rule.required,
                rule.operators.len(),
                rule.operators
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
        index.approvals = Some(rule.clone());
        Ok(((), true))
    })
}

/// Proposes `change`, open for approval for `ttl_seconds`.
pub fn propose(
    store: &Store,
    tenant: &str,
    change: Change,
    ttl_seconds: i64,
    now: Timestamp,
) -> Result<ProposalRecord, CaError> {
    let mut id = [0u8; 8];
    aws_lc_rs::rand::fill(&mut id).map_err(|_| CaError::Issue("no randomness".into()))?;
    let proposal = ProposalRecord {
        id: id.iter().map(|b| format!("{b:02x}")).collect(),
        change,
        proposed_at: now,
        expires_at: Timestamp::from_unix(now.unix().saturating_add(ttl_seconds.max(1))),
        approvals: Vec::new(),
        applied_at: None,
    };
    transaction(store, tenant, |index| {
        index
            .proposals
            .retain(|p| p.expires_at.unix() > now.unix() - 30 * Timestamp::DAY);
        index.proposals.push(proposal.clone());
        index.audit(
            Record::new(now, Action::Approval, store.actor(), &proposal.id)
                .detail(format!("proposed {}", describe(&proposal.change))),
        );
        Ok(((), true))
    })?;
    Ok(proposal)
}

/// `operator` approves proposal `id` with their key (PKCS#8 PEM).
pub fn approve(
    store: &Store,
    tenant: &str,
    id: &str,
    operator: &str,
    key_pem: &[u8],
    now: Timestamp,
) -> Result<ProposalRecord, CaError> {
    let key = PrivatePkcs8KeyDer::from_pem_slice(key_pem).map_err(|e| {
        ApprovalError::Invalid(format!("the operator key is not a PKCS#8 PEM key: {e}"))
    })?;
    let pair = Ed25519KeyPair::from_pkcs8(key.secret_pkcs8_der())
        .map_err(|_| ApprovalError::Invalid("the operator key is not an Ed25519 key".into()))?;
    transaction(store, tenant, |index| {
        let registered = index
            .approvals
            .as_ref()
            .and_then(|r| r.operators.iter().find(|o| o.name == operator))
            .cloned()
            .ok_or_else(|| ApprovalError::UnknownOperator(operator.to_owned()))?;
        if public_key_bytes(&registered.public_key)? != pair.public_key().as_ref() {
            return Err(ApprovalError::WrongKey(operator.to_owned()).into());
        }
        let p = open_proposal(index, id, now)?;
        if p.approvals.iter().any(|a| a.operator == operator) {
            return Err(ApprovalError::Duplicate(operator.to_owned()).into());
        }
        let signature = STANDARD.encode(pair.sign(&message(tenant, p)).as_ref());
        p.approvals.push(ApprovalRecord {
            operator: operator.to_owned(),
            signature,
            at: now,
        });
        let approved = p.clone();
        index.audit(
            Record::new(now, Action::Approval, &format!("operator/{operator}"), id)
                .detail(format!("approved {}", describe(&approved.change))),
        );
        Ok((approved, true))
    })
}

fn open_proposal<'a>(
    index: &'a mut TenantIndex,
    id: &str,
    now: Timestamp,
) -> Result<&'a mut ProposalRecord, ApprovalError> {
    let p = index
        .proposals
        .iter_mut()
        .find(|p| p.id == id)
        .ok_or_else(|| ApprovalError::UnknownProposal(id.to_owned()))?;
    if let Some(at) = p.applied_at {
        return Err(ApprovalError::Applied {
            id: id.to_owned(),
            at,
        });
    }
    if now >= p.expires_at {
        return Err(ApprovalError::Expired {
            id: id.to_owned(),
            at: p.expires_at,
        });
    }
    Ok(p)
}

/// Inside the transaction of a CA-level change: allowed when the tenant requires no approvals,
/// or when `proposal` is an open proposal of exactly this change with enough valid approvals
/// from distinct registered operators; the proposal is then marked applied.
pub(crate) fn authorise(
    index: &mut TenantIndex,
    change: &Change,
    proposal: Option<&str>,
    now: Timestamp,
) -> Result<(), ApprovalError> {
    let Some(rule) = index.approvals.clone() else {
        return Ok(());
    };
    let tenant = index.tenant.clone();
    let Some(id) = proposal else {
        return Err(ApprovalError::Required {
            tenant,
            required: rule.required,
            what: describe(change),
        });
    };
    let p = open_proposal(index, id, now)?;
    if p.change != *change {
        return Err(ApprovalError::WrongChange {
            id: id.to_owned(),
            proposed: describe(&p.change),
            asked: describe(change),
        });
    }
    let signed = message(&tenant, p);
    let mut valid: Vec<&str> = Vec::new();
    for a in &p.approvals {
        let Some(op) = rule.operators.iter().find(|o| o.name == a.operator) else {
            continue;
        };
        let key = public_key_bytes(&op.public_key)?;
        let signature = STANDARD.decode(&a.signature).unwrap_or_default();
        if UnparsedPublicKey::new(&ED25519, key)
            .verify(&signed, &signature)
            .is_err()
        {
            return Err(ApprovalError::BadSignature {
                id: id.to_owned(),
                operator: a.operator.clone(),
            });
        }
        if !valid.contains(&a.operator.as_str()) {
            valid.push(&a.operator);
        }
    }
    if valid.len() < rule.required as usize {
        return Err(ApprovalError::TooFew {
            id: id.to_owned(),
            valid: valid.len(),
            required: rule.required,
        });
    }
    p.applied_at = Some(now);
    Ok(())
}

/// An operator given as `NAME=ed25519:BASE64`.
pub fn parse_operator(text: &str) -> Result<OperatorRecord, ApprovalError> {
    let (name, key) = text.split_once('=').ok_or_else(|| {
        ApprovalError::Invalid(format!("--operator {text:?}: expected NAME=ed25519:BASE64"))
    })?;
    public_key_bytes(key)?;
    Ok(OperatorRecord {
        name: name.to_owned(),
        public_key: key.to_owned(),
    })
}
