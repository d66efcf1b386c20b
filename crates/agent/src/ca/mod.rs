//! The tenant-scoped internal CA: one CA per tenant issuing ECDSA P-256 certificates whose URI SAN
//! names tenant, role and node; a CRL per CA generation; scheduled and forced rotation of node
//! and CA certificates with the policy's lifetimes and grace periods; export for other software.
//! Every operation is one locked transaction on the [`Store`], committed by its index.

pub mod approvals;
pub mod enrolment;
pub mod identity;
mod issuing;

pub use issuing::pem;

use std::path::Path;

use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, pem::PemObject,
};
use tlscope_core::{Policy, Timestamp};

use self::identity::{Identity, NodeRole, check_name};
use crate::store::audit::{Action, Broken, Entry, Record};
use crate::store::index::{CaRecord, CaState, CertRecord, CertState, Change, TenantIndex};
use crate::store::{Store, StoreError, write_atomic};

/// Errors of CA operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tenant has no active CA (all retired).
    #[error("tenant {0:?} has no active CA; run `tlscope ca rotate --tenant {0} --ca`")]
    NoActiveCa(String),
    /// `ca issue` for a node that already has a current certificate.
    #[error(
        "tenant {tenant:?} already has a current certificate for {name:?} (serial {serial}); use `tlscope ca rotate` to renew it"
    )]
    NodeExists {
        /// Tenant.
        tenant: String,
        /// Node.
        name: String,
        /// Its serial.
        serial: String,
    },
    /// No certificate by that name.
    #[error("tenant {tenant:?} has no current certificate for {name:?}{}", node_list(.known))]
    UnknownNode {
        /// Tenant.
        tenant: String,
        /// Node asked for.
        name: String,
        /// Nodes that exist.
        known: Vec<String>,
    },
    /// Building or signing a certificate or CRL failed.
    #[error("cannot issue: {0}")]
    Issue(String),
    /// An enrolment or renewal was refused.
    #[error(transparent)]
    Enrol(#[from] enrolment::EnrolError),
    /// A CA-level change without the approvals the tenant requires.
    #[error(transparent)]
    Approval(#[from] approvals::ApprovalError),
    /// The node keeps its own key (it was enrolled), so the store holds no material for it.
    #[error(
        "{0} was enrolled and keeps its own key; its certificate and trust are in its state directory"
    )]
    Enrolled(String),
}

fn node_list(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!("; nodes: {}", known.join(", "))
    }
}

pub use tlscope_core::observation::{CertificateListing, CertificateState, RotationEvent};

/// What `rotate` must do even when nothing is due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Force {
    /// Renew every node certificate now.
    pub nodes: bool,
    /// Replace the CA now (and re-issue every node under the new CA).
    pub ca: bool,
}

/// What a node needs to run TLS: its chain and key, the CAs it trusts and their CRLs.
#[derive(Debug)]
pub struct NodeMaterial {
    /// The node's identity.
    pub identity: Identity,
    /// Serial of the node certificate.
    pub serial: String,
    /// Leaf then issuing CA.
    pub chain: Vec<CertificateDer<'static>>,
    /// The node's key.
    pub key: PrivateKeyDer<'static>,
    /// The tenant's trusted CA certificates (active and retiring).
    pub trusted: Vec<CertificateDer<'static>>,
    /// The CRLs of the trusted CAs.
    pub crls: Vec<CertificateRevocationListDer<'static>>,
    /// The index generation this was read at.
    pub generation: u64,
}

/// How many times a change is run again after losing its commit to another writer (object
/// storage), before giving up.
const MAX_ATTEMPTS: u32 = 64;

/// Runs `change` on the tenant's current index under the store's lock and commits the index
/// when it returns `true` beside its value. On object storage, where a commit can lose to
/// another writer, the change is run again on the new index (a short random pause between
/// attempts); `change` must therefore only act through the index and the files it writes.
pub(crate) fn transaction<T>(
    store: &Store,
    tenant: &str,
    mut change: impl FnMut(&mut TenantIndex) -> Result<(T, bool), CaError>,
) -> Result<T, CaError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let lock = store.lock()?;
        let mut index = store.read_index(tenant)?;
        // On one host every file is checked before a change; on object storage each file is
        // checked when it is read (a full check per change would cost a request per file).
        if !store.is_shared() {
            store.verify(&index)?;
        }
        // A content object that already exists (a CRL number, an audit segment) means another
        // writer's change got there first, as much as a lost index commit does: run it again.
        match change(&mut index) {
            Ok((value, false)) => return Ok(value),
            Ok((value, true)) => match store.commit(&mut index, &lock) {
                Ok(()) => return Ok(value),
                Err(StoreError::Conflict(_)) if attempt < MAX_ATTEMPTS => {}
                Err(e) => return Err(e.into()),
            },
            Err(CaError::Store(StoreError::Conflict(_))) if attempt < MAX_ATTEMPTS => {}
            Err(e) => return Err(e),
        }
        drop(lock);
        let mut jitter = [0u8; 1];
        let _ = aws_lc_rs::rand::fill(&mut jitter);
        std::thread::sleep(std::time::Duration::from_millis(
            1 + u64::from(jitter[0] % 20),
        ));
    }
}

/// Records `events` in the audit log of the change `index` is making, as the store's actor.
fn audit_events(store: &Store, index: &mut TenantIndex, events: &[RotationEvent], now: Timestamp) {
    for e in events {
        index.audit(Record::of_event(e, store.actor(), now));
    }
}

/// Records refused handshakes in the tenant's audit log, in one change that leaves the
/// generation alone (nothing for nodes to reload).
pub fn audit_refusals(store: &Store, tenant: &str, records: &[Record]) -> Result<(), CaError> {
    if records.is_empty() {
        return Ok(());
    }
    transaction(store, tenant, |index| {
        index.audit_only = true;
        index.audit_pending = records.to_vec();
        Ok(((), true))
    })
}

/// The tenant's audit log, verified: every entry oldest first, or where the chain breaks.
pub fn audit_log(store: &Store, tenant: &str) -> Result<Result<Vec<Entry>, Broken>, CaError> {
    let index = store.read_index(tenant)?;
    Ok(crate::store::audit::verify(store, &index)?)
}

/// Creates the tenant and its first CA.
pub fn init(
    store: &Store,
    tenant: &str,
    policy: &Policy,
    now: Timestamp,
) -> Result<CertificateListing, CaError> {
    let lock = store.lock()?;
    let mut index = store.new_index(tenant)?;
    let ca = issuing::new_ca(store, &mut index, policy, now)?;
    issuing::refresh_crls(store, &mut index, now)?;
    index.audit(Record::new(now, Action::Init, store.actor(), "ca").serial(&ca.serial));
    store.commit(&mut index, &lock)?;
    Ok(ca_listing(&index, &ca, None))
}

/// Issues a node certificate.
pub fn issue(
    store: &Store,
    tenant: &str,
    role: NodeRole,
    name: &str,
    policy: &Policy,
    now: Timestamp,
) -> Result<CertificateListing, CaError> {
    check_name("node name", name).map_err(StoreError::Name)?;
    transaction(store, tenant, |index| {
        if let Some(existing) = index.current(name) {
            return Err(CaError::NodeExists {
                tenant: tenant.to_owned(),
                name: name.to_owned(),
                serial: existing.serial.clone(),
            });
        }
        let record = issuing::new_node(store, index, role, name, policy, now)?;
        index.audit(
            Record::new(now, Action::Issue, store.actor(), name)
                .serial(&record.serial)
                .detail(role.as_str()),
        );
        Ok((node_listing(index, &record), true))
    })
}

/// Revokes every unrevoked certificate of a node, now (for a tenant that requires approvals,
/// see [`revoke_approved`]).
pub fn revoke(
    store: &Store,
    tenant: &str,
    name: &str,
    now: Timestamp,
) -> Result<Vec<RotationEvent>, CaError> {
    revoke_approved(store, tenant, name, None, now)
}

/// [`revoke`], applying the approved `proposal` where the tenant requires approvals.
pub fn revoke_approved(
    store: &Store,
    tenant: &str,
    name: &str,
    proposal: Option<&str>,
    now: Timestamp,
) -> Result<Vec<RotationEvent>, CaError> {
    transaction(store, tenant, |index| {
        approvals::authorise(
            index,
            &Change::Revoke {
                name: name.to_owned(),
            },
            proposal,
            now,
        )?;
        let mut events = Vec::new();
        for cert in index.certs.iter_mut().filter(|c| c.name == name) {
            if !matches!(cert.state, CertState::Revoked { .. }) {
                cert.state = CertState::Revoked {
                    at: now,
                    reason: "operator".into(),
                };
                events.push(RotationEvent::Revoked {
                    name: name.to_owned(),
                    serial: cert.serial.clone(),
                    reason: "operator".into(),
                });
            }
        }
        if events.is_empty() {
            return Err(unknown_node(index, name));
        }
        issuing::refresh_crls(store, index, now)?;
        audit_events(store, index, &events, now);
        Ok((events, true))
    })
}

/// Does what is due at `now` (and what `force` asks): CA replacement 30 days (policy) before the
/// CA expires with every node re-issued under the new CA; node renewal 14 days (policy) before
/// expiry; retirement of replaced CAs at their notAfter; revocation of replaced certificates at
/// the end of their grace. Commits only when something changed.
pub fn rotate(
    store: &Store,
    tenant: &str,
    policy: &Policy,
    now: Timestamp,
    force: Force,
) -> Result<Vec<RotationEvent>, CaError> {
    rotate_approved(store, tenant, policy, now, force, None)
}

/// [`rotate`]; a forced CA replacement applies the approved `proposal` where the tenant
/// requires approvals (the schedule's own CA rotation, under the policy, needs none).
pub fn rotate_approved(
    store: &Store,
    tenant: &str,
    policy: &Policy,
    now: Timestamp,
    force: Force,
    proposal: Option<&str>,
) -> Result<Vec<RotationEvent>, CaError> {
    transaction(store, tenant, |index| {
        if force.ca {
            approvals::authorise(index, &Change::RotateCa, proposal, now)?;
        }
        let events = issuing::rotate(store, index, policy, now, force)?;
        audit_events(store, index, &events, now);
        let changed = !events.is_empty();
        Ok((events, changed))
    })
}

/// Lists the tenant's CAs and certificates (facts; [`CertificateListing::status`] judges them
/// under a policy).
pub fn list(store: &Store, tenant: &str) -> Result<Vec<CertificateListing>, CaError> {
    let index = store.read_index(tenant)?;
    store.verify(&index)?;
    let mut rows: Vec<CertificateListing> = index
        .cas
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // A retiring CA was replaced when its successor was made.
            let replaced_at = index
                .cas
                .get(i + 1)
                .map(|next| next.not_before)
                .filter(|_| c.state == CaState::Retiring);
            ca_listing(&index, c, replaced_at)
        })
        .collect();
    rows.extend(index.certs.iter().map(|c| node_listing(&index, c)));
    Ok(rows)
}

/// Reads what a node needs to run TLS.
pub fn material(store: &Store, tenant: &str, name: &str) -> Result<NodeMaterial, CaError> {
    store.read_consistent(tenant, |index| {
        let record = index
            .current(name)
            .ok_or_else(|| unknown_node(index, name))?;
        material_of(store, index, record)
    })
}

/// The material of one certificate by serial, whatever its state (tests present old
/// certificates with it; forensics reads them).
pub fn material_of_serial(
    store: &Store,
    tenant: &str,
    serial: &str,
) -> Result<NodeMaterial, CaError> {
    store.read_consistent(tenant, |index| {
        let record = index
            .certs
            .iter()
            .find(|c| c.serial == serial)
            .ok_or_else(|| unknown_node(index, serial))?;
        material_of(store, index, record)
    })
}

fn material_of(
    store: &Store,
    index: &TenantIndex,
    record: &CertRecord,
) -> Result<NodeMaterial, CaError> {
    let tenant = index.tenant.as_str();
    let name = record.name.as_str();
    let ca = index
        .cas
        .iter()
        .find(|c| c.serial == record.ca_serial)
        .ok_or_else(|| CaError::NoActiveCa(tenant.to_owned()))?;
    let leaf = pem_cert(store, tenant, &record.cert)?;
    let issuer = pem_cert(store, tenant, &ca.cert)?;
    let key_file = record
        .key
        .as_ref()
        .ok_or_else(|| CaError::Enrolled(Identity::node(tenant, record.role, name).uri()))?;
    let key_pem = store.read_key(tenant, key_file)?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| StoreError::Corrupt {
            path: store.tenant_dir(tenant).join(&key_file.path),
            reason: format!("expected a PKCS#8 PEM private key: {e}"),
        })?;
    let mut trusted = Vec::new();
    let mut crls = Vec::new();
    for ca in index.trusted_cas() {
        trusted.push(pem_cert(store, tenant, &ca.cert)?);
        if let Some(crl) = &ca.crl {
            let pem = store.read_file(tenant, crl)?;
            crls.push(
                CertificateRevocationListDer::from_pem_slice(&pem).map_err(|e| {
                    StoreError::Corrupt {
                        path: store.tenant_dir(tenant).join(&crl.path),
                        reason: format!("expected a PEM CRL: {e}"),
                    }
                })?,
            );
        }
    }
    Ok(NodeMaterial {
        identity: Identity::node(tenant, record.role, name),
        serial: record.serial.clone(),
        chain: vec![leaf, issuer],
        key,
        trusted,
        crls,
        generation: index.generation,
    })
}

/// An ordinary TLS server certificate (chain DER, PKCS#8 key DER) from the tenant's CA for the
/// given names, `(issued_days_ago, days)`: issued that many days before `now` and valid for
/// `days`; not tracked by rotation (test and demo endpoints).
pub fn server_certificate(
    store: &Store,
    tenant: &str,
    names: &[&str],
    validity: (i64, i64),
    now: Timestamp,
) -> Result<(Vec<Vec<u8>>, Vec<u8>), CaError> {
    let index = store.read_index(tenant)?;
    issuing::server_certificate(store, &index, names, validity, now)
}

/// The tenant's index generation (cheap; nodes poll it to notice changes).
pub fn generation(store: &Store, tenant: &str) -> Result<u64, CaError> {
    Ok(store.read_index(tenant)?.generation)
}

/// Writes `cert.pem` (leaf and issuing CA), `key.pem` (mode 0600), `ca.pem` (every trusted CA)
/// and `crl.pem` for other software (nginx, curl, openssl). Each file is written atomically.
pub fn export(store: &Store, tenant: &str, name: &str, out: &Path) -> Result<Vec<String>, CaError> {
    let material = material(store, tenant, name)?;
    let pem = |label: &str, ders: &mut dyn Iterator<Item = &[u8]>| -> String {
        ders.map(|d| issuing::pem(label, d)).collect()
    };
    let files = [
        (
            "cert.pem",
            pem(
                "CERTIFICATE",
                &mut material.chain.iter().map(|c| c.as_ref()),
            ),
            0o644,
        ),
        (
            "key.pem",
            issuing::pem("PRIVATE KEY", material.key.secret_der()),
            0o600,
        ),
        (
            "ca.pem",
            pem(
                "CERTIFICATE",
                &mut material.trusted.iter().map(|c| c.as_ref()),
            ),
            0o644,
        ),
        (
            "crl.pem",
            pem("X509 CRL", &mut material.crls.iter().map(|c| c.as_ref())),
            0o644,
        ),
    ];
    let mut written = Vec::new();
    for (file, body, mode) in files {
        write_atomic(&out.join(file), body.as_bytes(), mode)?;
        written.push(out.join(file).display().to_string());
    }
    Ok(written)
}

fn pem_cert(
    store: &Store,
    tenant: &str,
    file: &crate::store::index::FileRef,
) -> Result<CertificateDer<'static>, CaError> {
    let pem = store.read_file(tenant, file)?;
    CertificateDer::from_pem_slice(&pem).map_err(|e| {
        CaError::Store(StoreError::Corrupt {
            path: store.tenant_dir(tenant).join(&file.path),
            reason: format!("expected a PEM certificate: {e}"),
        })
    })
}

fn unknown_node(index: &TenantIndex, name: &str) -> CaError {
    let mut known: Vec<String> = index
        .certs
        .iter()
        .filter(|c| c.state == CertState::Current)
        .map(|c| c.name.clone())
        .collect();
    known.dedup();
    CaError::UnknownNode {
        tenant: index.tenant.clone(),
        name: name.to_owned(),
        known,
    }
}

fn ca_listing(
    index: &TenantIndex,
    ca: &CaRecord,
    replaced_at: Option<Timestamp>,
) -> CertificateListing {
    CertificateListing {
        tenant: index.tenant.clone(),
        name: "ca".into(),
        role: tlscope_core::rotation::Role::Ca,
        subject: format!("{}{}/ca/{}", identity::PREFIX, index.tenant, ca.serial),
        serial: ca.serial.clone(),
        not_before: ca.not_before,
        not_after: ca.not_after,
        state: match ca.state {
            CaState::Active => CertificateState::Active,
            CaState::Retiring => CertificateState::Retiring,
            CaState::Retired => CertificateState::Retired,
        },
        replaced_at,
    }
}

fn node_listing(index: &TenantIndex, c: &CertRecord) -> CertificateListing {
    let (state, replaced_at) = match &c.state {
        CertState::Current => (CertificateState::Current, None),
        CertState::Superseded { replaced_at, .. } => {
            (CertificateState::Superseded, Some(*replaced_at))
        }
        CertState::Revoked { .. } => (CertificateState::Revoked, None),
    };
    CertificateListing {
        tenant: index.tenant.clone(),
        name: c.name.clone(),
        role: c.role.rotation_role(),
        subject: Identity::node(&index.tenant, c.role, &c.name).uri(),
        serial: c.serial.clone(),
        not_before: c.not_before,
        not_after: c.not_after,
        state,
        replaced_at,
    }
}
