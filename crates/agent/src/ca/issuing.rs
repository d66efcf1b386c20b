//! Building and signing: CA and node certificates with rcgen (ECDSA P-256), CRLs per CA
//! generation, and the rotation transaction. Works on an index in memory; the caller commits.

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CertificateSigningRequestParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, RevocationReason,
    RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use time::OffsetDateTime;
use tlscope_core::rotation;
use tlscope_core::{Policy, Timestamp};

use super::identity::{Identity, NodeRole};
use super::{CaError, Force, RotationEvent};
use crate::store::index::{CaRecord, CaState, CertRecord, CertState, TenantIndex};
use crate::store::{Store, StoreError};

const DAY: i64 = Timestamp::DAY;

/// How long a new CA is trusted before it issues node certificates: every node reloads its trust
/// (edges poll the store at each heartbeat) before a certificate from the new CA is shown to it.
pub const CA_PROPAGATION_SECONDS: i64 = 3600;

/// The CA that issues node certificates at `now`: the newest trusted CA that has been trusted for
/// [`CA_PROPAGATION_SECONDS`], else the newest trusted CA.
pub fn issuing_ca(index: &TenantIndex, now: Timestamp) -> Option<&CaRecord> {
    let trusted: Vec<&CaRecord> = index.trusted_cas().collect();
    trusted
        .iter()
        .rev()
        .find(|c| now.unix() >= c.not_before.unix().saturating_add(CA_PROPAGATION_SECONDS))
        .or(trusted.last())
        .copied()
}

impl From<rcgen::Error> for CaError {
    fn from(e: rcgen::Error) -> Self {
        Self::Issue(e.to_string())
    }
}

/// PEM text for one DER object.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn datetime(t: Timestamp) -> Result<OffsetDateTime, CaError> {
    OffsetDateTime::from_unix_timestamp(t.unix()).map_err(|e| CaError::Issue(e.to_string()))
}

fn later(t: Timestamp, days: i64) -> Timestamp {
    Timestamp::from_unix(t.unix().saturating_add(days.saturating_mul(DAY)))
}

/// A random positive 16-byte serial and its hex, spelt as the core spells every serial
/// (uppercase, as `openssl x509 -serial` and `tlscope inspect` print it).
fn serial() -> Result<(SerialNumber, String), CaError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CaError::Issue("no randomness".into()))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    Ok((
        SerialNumber::from_slice(&bytes),
        tlscope_core::asn1::hex::upper(&bytes),
    ))
}

/// Creates a CA generation, makes it active and the previous active one retiring.
pub fn new_ca(
    store: &Store,
    index: &mut TenantIndex,
    policy: &Policy,
    now: Timestamp,
) -> Result<CaRecord, CaError> {
    let tenant = index.tenant.clone();
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let (serial_number, serial_hex) = serial()?;
    let not_after = later(now, policy.rotation.ca_days);
    let mut params = CertificateParams::default();
    params.serial_number = Some(serial_number);
    params.not_before = datetime(now)?;
    params.not_after = datetime(not_after)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, format!("tlscope tenant {tenant}"));
    dn.push(
        DnType::CommonName,
        format!("tlscope {tenant} CA {}", index.cas.len() + 1),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let uri = format!("{}{tenant}/ca/{serial_hex}", super::identity::PREFIX);
    params.subject_alt_names = vec![SanType::URI(uri.try_into()?)];
    params.key_identifier_method = KeyIdMethod::Sha256;
    let cert = params.self_signed(&key)?;
    let cert_ref = store.write_file(
        &tenant,
        &format!("ca/{serial_hex}.pem"),
        cert.pem().as_bytes(),
        false,
    )?;
    let key_ref = store.write_key(
        &tenant,
        &format!("ca/{serial_hex}.key"),
        &key.serialize_pem(),
    )?;
    for ca in index.cas.iter_mut().filter(|c| c.state == CaState::Active) {
        ca.state = CaState::Retiring;
    }
    let record = CaRecord {
        serial: serial_hex,
        not_before: now,
        not_after,
        state: CaState::Active,
        cert: cert_ref,
        key: key_ref,
        crl: None,
        crl_next_update: None,
    };
    index.cas.push(record.clone());
    Ok(record)
}

fn issuer_of(
    store: &Store,
    tenant: &str,
    ca: &CaRecord,
) -> Result<Issuer<'static, KeyPair>, CaError> {
    let pem = store.read_file(tenant, &ca.cert)?;
    let der = CertificateDer::from_pem_slice(&pem).map_err(|e| StoreError::Corrupt {
        path: store.tenant_dir(tenant).join(&ca.cert.path),
        reason: format!("expected a PEM certificate: {e}"),
    })?;
    let key_pem = store.read_key(tenant, &ca.key)?;
    let key = KeyPair::from_pem(&key_pem).map_err(|e| StoreError::Corrupt {
        path: store.tenant_dir(tenant).join(&ca.key.path),
        reason: format!("expected a PKCS#8 PEM private key: {e}"),
    })?;
    Ok(Issuer::from_ca_cert_der(&der, key)?)
}

/// Issues a node certificate under the active CA, with a key the CA makes and keeps in the
/// store, and records it as current.
pub fn new_node(
    store: &Store,
    index: &mut TenantIndex,
    role: NodeRole,
    name: &str,
    policy: &Policy,
    now: Timestamp,
) -> Result<CertRecord, CaError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    issue_node(store, index, role, name, NodeKey::Kept(&key), policy, now)
}

/// Issues a node certificate under the active CA for the public key of an enrolled node's CSR
/// (its names are ignored: the identity is `role`/`name`); the store holds no key for it.
pub fn new_node_with_key(
    store: &Store,
    index: &mut TenantIndex,
    role: NodeRole,
    name: &str,
    csr: &CertificateSigningRequestParams,
    policy: &Policy,
    now: Timestamp,
) -> Result<CertRecord, CaError> {
    issue_node(store, index, role, name, NodeKey::Node(csr), policy, now)
}

/// Whose key a node certificate certifies.
enum NodeKey<'a> {
    /// One the CA made and keeps (sealed) in the store.
    Kept(&'a KeyPair),
    /// The enrolled node's own, from its CSR.
    Node(&'a CertificateSigningRequestParams),
}

fn issue_node(
    store: &Store,
    index: &mut TenantIndex,
    role: NodeRole,
    name: &str,
    key: NodeKey<'_>,
    policy: &Policy,
    now: Timestamp,
) -> Result<CertRecord, CaError> {
    let tenant = index.tenant.clone();
    let ca = issuing_ca(index, now)
        .ok_or_else(|| CaError::NoActiveCa(tenant.clone()))?
        .clone();
    let issuer = issuer_of(store, &tenant, &ca)?;
    let (serial_number, serial_hex) = serial()?;
    let not_after = later(now, policy.rotation.leaf_days).min(ca.not_after);
    let mut params = CertificateParams::default();
    params.serial_number = Some(serial_number);
    params.not_before = datetime(now)?;
    params.not_after = datetime(not_after)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, format!("tlscope tenant {tenant}"));
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    let identity = Identity::node(&tenant, role, name);
    let mut sans = vec![
        SanType::URI(identity.uri().try_into()?),
        SanType::DnsName(format!("{name}.{tenant}.tlscope.internal").try_into()?),
    ];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = match role {
        NodeRole::Edge => vec![ExtendedKeyUsagePurpose::ClientAuth],
        NodeRole::Coordinator => {
            // Clients and tools reach the coordinator on loopback too.
            sans.push(SanType::DnsName("localhost".try_into()?));
            sans.push(SanType::IpAddress([127, 0, 0, 1].into()));
            sans.push(SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        }
    };
    params.subject_alt_names = sans;
    params.use_authority_key_identifier_extension = true;
    params.key_identifier_method = KeyIdMethod::Sha256;
    let (cert, key_ref) = match key {
        NodeKey::Kept(key) => {
            let cert = params.signed_by(key, &issuer)?;
            let key_ref = store.write_key(
                &tenant,
                &format!("keys/{serial_hex}.key"),
                &key.serialize_pem(),
            )?;
            (cert, Some(key_ref))
        }
        NodeKey::Node(csr) => {
            let request = CertificateSigningRequestParams {
                params,
                public_key: csr.public_key.clone(),
            };
            (request.signed_by(&issuer)?, None)
        }
    };
    let cert_ref = store.write_file(
        &tenant,
        &format!("certs/{serial_hex}.pem"),
        cert.pem().as_bytes(),
        false,
    )?;
    let record = CertRecord {
        name: name.to_owned(),
        role,
        serial: serial_hex,
        ca_serial: ca.serial,
        not_before: now,
        not_after,
        state: CertState::Current,
        cert: cert_ref,
        key: key_ref,
    };
    index.certs.push(record.clone());
    Ok(record)
}

/// How long a CRL is valid (its nextUpdate), in days.
const CRL_DAYS: i64 = 7;

/// A CRL is re-signed this long before its nextUpdate, so relying parties that enforce
/// nextUpdate (openssl `-crl_check`, webpki with an enforcing expiration policy) never see a
/// stale one while the coordinators run their schedule.
const CRL_REFRESH_DAYS: i64 = 2;

/// Whether some trusted CA's CRL reaches its nextUpdate within [`CRL_REFRESH_DAYS`] (or its
/// nextUpdate is not recorded).
pub fn crls_stale(index: &TenantIndex, now: Timestamp) -> bool {
    index.trusted_cas().any(|ca| {
        ca.crl_next_update
            .is_none_or(|next| now >= later(next, -CRL_REFRESH_DAYS))
    })
}

/// Re-signs the CRL of every trusted CA with the certificates it issued that are revoked.
pub fn refresh_crls(store: &Store, index: &mut TenantIndex, now: Timestamp) -> Result<(), CaError> {
    let tenant = index.tenant.clone();
    let number = index.next_crl_number;
    index.next_crl_number += 1;
    let revoked: Vec<(String, String, Timestamp, String)> = index
        .certs
        .iter()
        .filter_map(|c| match &c.state {
            CertState::Revoked { at, reason } => {
                Some((c.ca_serial.clone(), c.serial.clone(), *at, reason.clone()))
            }
            _ => None,
        })
        .collect();
    for ca in index.cas.iter_mut().filter(|c| c.state != CaState::Retired) {
        let issuer = issuer_of(store, &tenant, ca)?;
        let mut revoked_certs = Vec::new();
        for (_, serial_hex, at, reason) in revoked.iter().filter(|r| r.0 == ca.serial) {
            revoked_certs.push(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&hex_bytes(serial_hex)),
                revocation_time: datetime(*at)?,
                reason_code: Some(if reason == "superseded" {
                    RevocationReason::Superseded
                } else {
                    RevocationReason::Unspecified
                }),
                invalidity_date: None,
            });
        }
        let next_update = later(now, CRL_DAYS);
        let params = CertificateRevocationListParams {
            this_update: datetime(now)?,
            next_update: datetime(next_update)?,
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&issuer)?;
        let pem = crl.pem()?;
        ca.crl_next_update = Some(next_update);
        // Named by number *and* content: a change whose index commit loses leaves its CRL
        // object behind on object storage, and a name from the number alone would then be
        // taken for good (mesh_years, days 301 and 641).
        let digest = crate::store::sha256_hex(pem.as_bytes());
        let digest = digest.get(..16).unwrap_or(&digest);
        ca.crl = Some(store.write_file(
            &tenant,
            &format!("crl/{}-{number}-{digest}.pem", ca.serial),
            pem.as_bytes(),
            false,
        )?);
    }
    Ok(())
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn supersede(
    store: &Store,
    index: &mut TenantIndex,
    at: usize,
    policy: &Policy,
    now: Timestamp,
) -> Result<RotationEvent, CaError> {
    let old = index.certs[at].clone();
    let new = new_node(store, index, old.role, &old.name, policy, now)?;
    Ok(replaced(index, at, &new, policy, now))
}

/// Renews the enrolled node whose current certificate is `index.certs[at]` for the key in
/// `csr`; the old certificate stays accepted through its grace period.
pub fn supersede_with_key(
    store: &Store,
    index: &mut TenantIndex,
    at: usize,
    csr: &CertificateSigningRequestParams,
    policy: &Policy,
    now: Timestamp,
) -> Result<(CertRecord, RotationEvent), CaError> {
    let old = index.certs[at].clone();
    let new = new_node_with_key(store, index, old.role, &old.name, csr, policy, now)?;
    let event = replaced(index, at, &new, policy, now);
    Ok((new, event))
}

/// Marks `index.certs[at]` superseded by `new` at `now`, with the core's grace end.
fn replaced(
    index: &mut TenantIndex,
    at: usize,
    new: &CertRecord,
    policy: &Policy,
    now: Timestamp,
) -> RotationEvent {
    let old = index.certs[at].clone();
    let grace_end = rotation::grace_end(&subject_of(&old), policy, now);
    index.certs[at].state = CertState::Superseded {
        replaced_at: now,
        grace_end,
    };
    RotationEvent::Renewed {
        name: old.name,
        role: old.role,
        serial: new.serial.clone(),
        previous: old.serial,
        grace_end,
    }
}

/// The rotation transaction (see [`super::rotate`]).
pub fn rotate(
    store: &Store,
    index: &mut TenantIndex,
    policy: &Policy,
    now: Timestamp,
    force: Force,
) -> Result<Vec<RotationEvent>, CaError> {
    let mut events = Vec::new();
    let mut crl_due = false;
    let ca_due = index.active_ca().is_none_or(|ca| {
        let subject = rotation::Subject {
            name: "ca".into(),
            role: rotation::Role::Ca,
            not_before: ca.not_before,
            not_after: ca.not_after,
            replaced_at: None,
        };
        rotation::renewal_due(&subject, policy, now)
    });
    if force.ca || ca_due {
        let previous = index
            .active_ca()
            .map(|c| c.serial.clone())
            .unwrap_or_default();
        let ca = new_ca(store, index, policy, now)?;
        events.push(RotationEvent::CaRotated {
            serial: ca.serial,
            previous,
        });
        crl_due = true;
    }
    // Nodes move to the issuing CA once it has propagated.
    let mut moved = std::collections::HashSet::new();
    if let Some(issuing) = issuing_ca(index, now).map(|c| c.serial.clone()) {
        for at in current_positions(index) {
            // Enrolled nodes keep their keys: they move when they next renew themselves.
            if index.certs[at].enrolled() {
                continue;
            }
            if index.certs[at].ca_serial != issuing {
                moved.insert(index.certs[at].name.clone());
                events.push(supersede(store, index, at, policy, now)?);
            }
        }
    }
    for ca in index.cas.iter_mut() {
        if ca.state == CaState::Retiring && now >= ca.not_after {
            ca.state = CaState::Retired;
            events.push(RotationEvent::CaRetired {
                serial: ca.serial.clone(),
            });
        }
    }
    for at in current_positions(index) {
        let c = &index.certs[at];
        if moved.contains(&c.name) || c.enrolled() {
            continue;
        }
        if force.nodes || rotation::renewal_due(&subject_of(c), policy, now) {
            events.push(supersede(store, index, at, policy, now)?);
        }
    }
    for c in &mut index.certs {
        if let CertState::Superseded { grace_end, .. } = c.state
            && now >= grace_end
        {
            c.state = CertState::Revoked {
                at: now,
                reason: "superseded".into(),
            };
            events.push(RotationEvent::Revoked {
                name: c.name.clone(),
                serial: c.serial.clone(),
                reason: "superseded".into(),
            });
            crl_due = true;
        }
    }
    if crl_due || crls_stale(index, now) {
        refresh_crls(store, index, now)?;
        if !crl_due && events.is_empty() {
            events.push(RotationEvent::CrlRefreshed);
        }
    }
    Ok(events)
}

/// A certificate record as the core's rotation planner sees it.
pub(super) fn subject_of(c: &CertRecord) -> rotation::Subject {
    rotation::Subject {
        name: c.name.clone(),
        role: c.role.rotation_role(),
        not_before: c.not_before,
        not_after: c.not_after,
        replaced_at: match c.state {
            CertState::Superseded { replaced_at, .. } => Some(replaced_at),
            _ => None,
        },
    }
}

fn current_positions(index: &TenantIndex) -> Vec<usize> {
    index
        .certs
        .iter()
        .enumerate()
        .filter(|(_, c)| c.state == CertState::Current)
        .map(|(i, _)| i)
        .collect()
}

/// An ordinary TLS server certificate from the tenant's issuing CA, issued `issued_days_ago`
/// before `now` and valid for `days`, for the DNS names and IP addresses given; not tracked by
/// rotation. Returns the chain (leaf, CA) as DER and the PKCS#8 key as DER.
pub fn server_certificate(
    store: &Store,
    index: &TenantIndex,
    names: &[&str],
    (issued_days_ago, days): (i64, i64),
    now: Timestamp,
) -> Result<(Vec<Vec<u8>>, Vec<u8>), CaError> {
    let tenant = index.tenant.clone();
    let ca = issuing_ca(index, now).ok_or_else(|| CaError::NoActiveCa(tenant.clone()))?;
    let issuer = issuer_of(store, &tenant, ca)?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let (serial_number, _) = serial()?;
    let mut params = CertificateParams::default();
    params.serial_number = Some(serial_number);
    let issued = later(now, -issued_days_ago);
    params.not_before = datetime(issued)?;
    params.not_after = datetime(later(issued, days))?;
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("server"),
    );
    params.distinguished_name = dn;
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName((*n).try_into()?)),
        })
        .collect::<Result<_, rcgen::Error>>()?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, &issuer)?;
    let ca_pem = store.read_file(&tenant, &ca.cert)?;
    let ca_der = CertificateDer::from_pem_slice(&ca_pem).map_err(|e| StoreError::Corrupt {
        path: store.tenant_dir(&tenant).join(&ca.cert.path),
        reason: format!("expected a PEM certificate: {e}"),
    })?;
    Ok((
        vec![cert.der().to_vec(), ca_der.to_vec()],
        key.serialize_der(),
    ))
}
