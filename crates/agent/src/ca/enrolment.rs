//! Nodes that keep their own keys: one-time join tokens, enrolment from a CSR, renewal from a
//! CSR, and the trust bundle they fetch.
//!
//! A join token (`tlsj1.TENANT.SECRET`) is bound to tenant, role and name and expires; the store
//! keeps only its SHA-256, and uses it up inside the same locked transaction that issues the
//! certificate, so it works once. The identity of an enrolled certificate comes from the token
//! (at enrolment) or from the certificate the node authenticated with (at renewal), never from
//! the CSR: a CSR that names anything else, or whose key is not ECDSA P-256 (the CA's profile),
//! is refused. The CA never sees the node's private key.

use base64::Engine as _;
use rcgen::CertificateSigningRequestParams;
use rustls_pki_types::CertificateSigningRequestDer;
use rustls_pki_types::pem::PemObject as _;
use serde::Serialize;
use tlscope_core::{Policy, Timestamp};
use x509_parser::prelude::FromDer as _;

use super::identity::{Identity, NodeRole, check_name};
use super::{CaError, RotationEvent, issuing};
use crate::store::audit::{Action, Record};
use crate::store::index::{CertState, TenantIndex, TokenRecord};
use crate::store::{Store, StoreError};

/// The prefix of every join token (the format's version).
const TOKEN_PREFIX: &str = "tlsj1";

/// Why an enrolment or renewal was refused. Every variant says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrolError {
    /// The token is not `tlsj1.TENANT.SECRET`.
    #[error(
        "the join token is malformed: expected tlsj1.TENANT.SECRET as `tlscope ca token` prints it"
    )]
    Malformed,
    /// The token belongs to another tenant than the one served.
    #[error(
        "the join token is for tenant {token_tenant:?}, but this coordinator serves {served:?}"
    )]
    OtherTenant {
        /// The token's tenant.
        token_tenant: String,
        /// The tenant served.
        served: String,
    },
    /// No such token (never made, or its tenant's store does not know it).
    #[error("the join token is not known to tenant {0:?}; make one with `tlscope ca token`")]
    Unknown(String),
    /// The token was used before.
    #[error("the join token was already used at {0}; make a new one with `tlscope ca token`")]
    Used(Timestamp),
    /// The token expired.
    #[error("the join token expired at {0}; make a new one with `tlscope ca token`")]
    Expired(Timestamp),
    /// The CSR does not parse or its signature does not verify.
    #[error("the certificate signing request is not usable: {0}")]
    BadCsr(String),
    /// The CSR's key is not one the CA issues for.
    #[error("the CSR's key is {0}; the tenant CA issues for ECDSA P-256 keys only")]
    BadKey(String),
    /// The CSR asks for a name the identity does not have.
    #[error(
        "the CSR asks for {asked}, but the certificate is for {identity}; leave names out of the CSR or use exactly these"
    )]
    NameMismatch {
        /// What the CSR names.
        asked: String,
        /// The identity the certificate will carry.
        identity: String,
    },
    /// The node has no current certificate (revoked or never issued): it cannot renew.
    #[error(
        "{0} has no current certificate (revoked or banned); it cannot renew and must be enrolled again"
    )]
    NotCurrent(String),
    /// The certificate the node authenticated with is not one of its unrevoked ones.
    #[error(
        "{identity} authenticated with certificate {serial}, which is not its current or in-grace certificate"
    )]
    StaleCertificate {
        /// The node.
        identity: String,
        /// The serial presented.
        serial: String,
    },
}

/// A new join token, as `tlscope ca token` prints it. The token itself is shown once and never
/// stored.
#[derive(Debug, Clone, Serialize)]
pub struct JoinToken {
    /// The token to hand to the node.
    pub token: String,
    /// The tenant CA's certificate fingerprint the node pins (`sha256:HEX`).
    pub ca_fingerprint: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// What a node needs after enrolment or renewal: its certificate chain and what to trust.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Issued {
    /// The node's identity URI.
    pub identity: String,
    /// The new certificate's serial.
    pub serial: String,
    /// notAfter of the new certificate.
    pub not_after: Timestamp,
    /// The certificate and its issuing CA (PEM).
    pub certificate: String,
    /// What to trust and what is revoked.
    #[serde(flatten)]
    pub trust: TrustBundle,
}

/// The tenant's trusted CAs and their CRLs, and a digest so a node can tell it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TrustBundle {
    /// Every trusted CA certificate (active and retiring), PEM.
    pub trust: String,
    /// Their CRLs, PEM.
    pub crl: String,
    /// SHA-256 of `trust` and `crl`, hex.
    pub trust_digest: String,
    /// The serial of the CA that issues new certificates.
    pub active_ca: String,
}

/// `sha256:HEX` of a DER certificate, the form tokens and `tlscope enroll` use.
pub fn fingerprint(der: &[u8]) -> String {
    format!("sha256:{}", crate::store::sha256_hex(der))
}

fn token_hash(token: &str) -> String {
    crate::store::sha256_hex(token.as_bytes())
}

/// The tenant a token names, or why it is malformed.
pub fn token_tenant(token: &str) -> Result<&str, EnrolError> {
    let mut parts = token.trim().split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(TOKEN_PREFIX), Some(tenant), Some(secret), None)
            if check_name("tenant", tenant).is_ok() && secret.len() >= 32 =>
        {
            Ok(tenant)
        }
        _ => Err(EnrolError::Malformed),
    }
}

/// Makes a join token for node `name` of `tenant` with `role`, valid for `ttl_seconds`.
pub fn token(
    store: &Store,
    tenant: &str,
    role: NodeRole,
    name: &str,
    ttl_seconds: i64,
    now: Timestamp,
) -> Result<JoinToken, CaError> {
    check_name("node name", name).map_err(StoreError::Name)?;
    let mut secret = [0u8; 32];
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| CaError::Issue("no randomness".into()))?;
    let token = format!(
        "{TOKEN_PREFIX}.{tenant}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let expires_at = Timestamp::from_unix(now.unix().saturating_add(ttl_seconds.max(1)));
    let ca_fingerprint = super::transaction(store, tenant, |index| {
        if let Some(existing) = index.current(name) {
            return Err(CaError::NodeExists {
                tenant: tenant.to_owned(),
                name: name.to_owned(),
                serial: existing.serial.clone(),
            });
        }
        // Tokens that ended long ago are dropped so the index does not grow without bound.
        index
            .tokens
            .retain(|t| t.expires_at.unix() > now.unix() - 30 * Timestamp::DAY);
        index.tokens.push(TokenRecord {
            sha256: token_hash(&token),
            role,
            name: name.to_owned(),
            expires_at,
            used_at: None,
        });
        index.audit(
            Record::new(now, Action::Token, store.actor(), name)
                .detail(format!("{role} join token, expires {expires_at}")),
        );
        Ok((fingerprint(&active_ca_der(store, index)?), true))
    })?;
    Ok(JoinToken {
        token,
        ca_fingerprint,
        expires_at,
    })
}

/// Uses up `token` and issues the certificate for its identity from `csr` (PEM or DER).
pub fn enroll(
    store: &Store,
    tenant: &str,
    token: &str,
    csr: &[u8],
    policy: &Policy,
    now: Timestamp,
) -> Result<Issued, CaError> {
    let token_tenant = token_tenant(token)?;
    if token_tenant != tenant {
        return Err(EnrolError::OtherTenant {
            token_tenant: token_tenant.to_owned(),
            served: tenant.to_owned(),
        }
        .into());
    }
    let hash = token_hash(token.trim());
    let identity_and_cert = super::transaction(store, tenant, |index| {
        let record = index
            .tokens
            .iter_mut()
            .find(|t| t.sha256 == hash)
            .ok_or_else(|| EnrolError::Unknown(tenant.to_owned()))?;
        if let Some(at) = record.used_at {
            return Err(EnrolError::Used(at).into());
        }
        if now >= record.expires_at {
            return Err(EnrolError::Expired(record.expires_at).into());
        }
        // Used up in the same commit that issues: a second coordinator's commit of the same
        // token loses the compare-and-swap (or waits for the lock) and then finds it used.
        record.used_at = Some(now);
        let (role, name) = (record.role, record.name.clone());
        if let Some(existing) = index.current(&name) {
            return Err(CaError::NodeExists {
                tenant: tenant.to_owned(),
                name,
                serial: existing.serial.clone(),
            });
        }
        let identity = Identity::node(tenant, role, &name);
        let request = checked_csr(csr, &identity)?;
        let cert = issuing::new_node_with_key(store, index, role, &name, &request, policy, now)?;
        index.audit(
            Record::new(now, Action::Enrol, &identity.uri(), &name)
                .serial(&cert.serial)
                .detail(format!(
                    "{role}, with a join token, through {}",
                    store.actor()
                )),
        );
        Ok((cert, true))
    })?;
    let index = store.read_index(tenant)?;
    issued(store, &index, &identity_and_cert)
}

/// Renews the enrolled node that authenticated with certificate `presented_serial` and carries
/// `identity`: a new certificate for its key in `csr`; the presented one stays accepted through
/// the grace period. Refused for a node with no current certificate (revoked, banned).
pub fn renew(
    store: &Store,
    identity: &Identity,
    presented_serial: &str,
    csr: &[u8],
    policy: &Policy,
    now: Timestamp,
) -> Result<(Issued, RotationEvent), CaError> {
    let tenant = identity.tenant.as_str();
    let (cert, event) = super::transaction(store, tenant, |index| {
        let Some(at) = index
            .certs
            .iter()
            .rposition(|c| c.name == identity.name && c.state == CertState::Current)
        else {
            return Err(EnrolError::NotCurrent(identity.uri()).into());
        };
        let presented_ok = index.certs.iter().any(|c| {
            c.name == identity.name
                && c.serial == presented_serial
                && !matches!(c.state, CertState::Revoked { .. })
        });
        if !presented_ok {
            return Err(EnrolError::StaleCertificate {
                identity: identity.uri(),
                serial: presented_serial.to_owned(),
            }
            .into());
        }
        let request = checked_csr(csr, identity)?;
        let (cert, event) = issuing::supersede_with_key(store, index, at, &request, policy, now)?;
        let mut record = Record::of_event(&event, &identity.uri(), now);
        record.detail = format!(
            "{}; over its mTLS channel, through {}",
            record.detail,
            store.actor()
        );
        index.audit(record);
        Ok(((cert, event), true))
    })?;
    let index = store.read_index(tenant)?;
    Ok((issued(store, &index, &cert)?, event))
}

/// The tenant's current trust bundle.
pub fn trust(store: &Store, tenant: &str) -> Result<TrustBundle, CaError> {
    store.read_consistent(tenant, |index| trust_of(store, index))
}

fn trust_of(store: &Store, index: &TenantIndex) -> Result<TrustBundle, CaError> {
    let tenant = index.tenant.as_str();
    let mut trust = String::new();
    let mut crl = String::new();
    for ca in index.trusted_cas() {
        trust.push_str(&String::from_utf8_lossy(
            &store.read_file(tenant, &ca.cert)?,
        ));
        if let Some(c) = &ca.crl {
            crl.push_str(&String::from_utf8_lossy(&store.read_file(tenant, c)?));
        }
    }
    let trust_digest = crate::store::sha256_hex(format!("{trust}\n{crl}").as_bytes());
    Ok(TrustBundle {
        trust,
        crl,
        trust_digest,
        active_ca: index
            .active_ca()
            .map(|c| c.serial.clone())
            .unwrap_or_default(),
    })
}

fn issued(
    store: &Store,
    index: &TenantIndex,
    cert: &crate::store::index::CertRecord,
) -> Result<Issued, CaError> {
    let tenant = index.tenant.as_str();
    let ca = index
        .cas
        .iter()
        .find(|c| c.serial == cert.ca_serial)
        .ok_or_else(|| CaError::NoActiveCa(tenant.to_owned()))?;
    let mut certificate =
        String::from_utf8_lossy(&store.read_file(tenant, &cert.cert)?).into_owned();
    certificate.push_str(&String::from_utf8_lossy(
        &store.read_file(tenant, &ca.cert)?,
    ));
    Ok(Issued {
        identity: Identity::node(tenant, cert.role, &cert.name).uri(),
        serial: cert.serial.clone(),
        not_after: cert.not_after,
        certificate,
        trust: trust_of(store, index)?,
    })
}

fn active_ca_der(store: &Store, index: &TenantIndex) -> Result<Vec<u8>, CaError> {
    let tenant = index.tenant.as_str();
    let ca = index
        .active_ca()
        .ok_or_else(|| CaError::NoActiveCa(tenant.to_owned()))?;
    let pem = store.read_file(tenant, &ca.cert)?;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(&pem).map_err(|e| {
        StoreError::Corrupt {
            path: store.tenant_dir(tenant).join(&ca.cert.path),
            reason: format!("expected a PEM certificate: {e}"),
        }
    })?;
    Ok(der.to_vec())
}

/// Parses and verifies `csr` (PEM or DER) and checks that its key is ECDSA P-256 and that every
/// name it carries is one `identity`'s certificate will carry.
fn checked_csr(
    csr: &[u8],
    identity: &Identity,
) -> Result<CertificateSigningRequestParams, EnrolError> {
    let der = match CertificateSigningRequestDer::from_pem_slice(csr) {
        Ok(der) => der,
        Err(_) => CertificateSigningRequestDer::from(csr.to_vec()),
    };
    let (_, parsed) = x509_parser::certification_request::X509CertificationRequest::from_der(&der)
        .map_err(|e| EnrolError::BadCsr(format!("expected a PKCS#10 request: {e}")))?;
    let spki = &parsed.certification_request_info.subject_pki;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let algorithm = spki.algorithm.algorithm.to_id_string();
    if algorithm != "1.2.840.10045.2.1" || curve.as_deref() != Some("1.2.840.10045.3.1.7") {
        return Err(EnrolError::BadKey(match curve {
            Some(c) if algorithm == "1.2.840.10045.2.1" => format!("EC on curve {c}"),
            _ => format!("algorithm {algorithm}"),
        }));
    }
    let request = CertificateSigningRequestParams::from_der(&der)
        .map_err(|e| EnrolError::BadCsr(e.to_string()))?;
    let allowed_dns = format!("{}.{}.tlscope.internal", identity.name, identity.tenant);
    let uri = identity.uri();
    for (kind, value) in request.params.distinguished_name.iter() {
        let text = dn_text(value);
        if !(matches!(kind, rcgen::DnType::CommonName) && text == identity.name) {
            let attribute = match kind {
                rcgen::DnType::CommonName => "CN",
                rcgen::DnType::OrganizationName => "O",
                rcgen::DnType::OrganizationalUnitName => "OU",
                rcgen::DnType::CountryName => "C",
                _ => "an attribute",
            };
            return Err(EnrolError::NameMismatch {
                asked: format!("subject {attribute}={text}"),
                identity: uri,
            });
        }
    }
    for san in &request.params.subject_alt_names {
        let (fits, shown) = match san {
            rcgen::SanType::DnsName(d) => {
                (d.as_str() == allowed_dns, format!("DNS:{}", d.as_str()))
            }
            rcgen::SanType::URI(u) => (u.as_str() == uri, format!("URI:{}", u.as_str())),
            rcgen::SanType::IpAddress(ip) => (false, format!("IP:{ip}")),
            rcgen::SanType::Rfc822Name(m) => (false, format!("email:{}", m.as_str())),
            _ => (false, "another kind of name".to_owned()),
        };
        if !fits {
            return Err(EnrolError::NameMismatch {
                asked: format!("SAN {shown}"),
                identity: uri,
            });
        }
    }
    Ok(request)
}

fn dn_text(value: &rcgen::DnValue) -> String {
    match value {
        rcgen::DnValue::Utf8String(s) => s.clone(),
        rcgen::DnValue::PrintableString(s) => s.as_str().to_owned(),
        rcgen::DnValue::Ia5String(s) => s.as_str().to_owned(),
        _ => "(a non-text value)".to_owned(),
    }
}
