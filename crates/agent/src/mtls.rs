//! TLS for the tenant's nodes, on rustls with aws-lc-rs: TLS 1.3 only with exactly the policy's
//! suites; certificates and trust that reload in place (new handshakes see the new material,
//! established connections are untouched); client and server verifiers that add the tenant and
//! role in the URI SAN to webpki's checks (chain to a trusted CA of the tenant, validity at the
//! agent's clock, CRL, EKU); and the reason a refused handshake gives, in words.

use std::sync::{Arc, RwLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, Error, OtherError,
    RootCertStore, ServerConfig, SignatureScheme,
};
use tlscope_core::Policy;
use tlscope_core::handshake::{Outcome, Refusal};
use tlscope_core::observation::FipsStatus;

use crate::ca::NodeMaterial;
use crate::ca::identity::{Identity, NodeRole};
use crate::clock::Clock;
use crate::verified_chains::VerifiedChains;

/// Errors building TLS configuration from a node's material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MtlsError {
    /// rustls refused the material or the settings.
    #[error("tls configuration: {0}")]
    Rustls(#[from] Error),
    /// The policy names a suite this build cannot offer.
    #[error("policy suite {0:?} is not a TLS 1.3 suite rustls offers")]
    Suite(String),
    /// The policy asks for FIPS-approved handshakes and this build or policy cannot make them.
    #[error(
        "the policy requires FIPS-approved handshakes (tls.fips_module = true), and here: {0}; build tlscope with `cargo build --release -p tlscope-agent --features fips` and keep the fips profile's suites and groups"
    )]
    NotFips(&'static str),
    /// The policy's key-exchange groups include none rustls offers.
    #[error(
        "policy groups [{0}] include none of the groups rustls offers (X25519MLKEM768, SecP256r1MLKEM768, x25519, secp256r1, secp384r1, MLKEM768, MLKEM1024)"
    )]
    Groups(String),
    /// The trust anchors or CRLs were rejected.
    #[error("trust store: {0}")]
    Trust(String),
}

/// aws-lc-rs with only the policy's TLS 1.3 suites (in the policy's order) and, when the policy
/// lists key-exchange groups, only those (in rustls's order of preference).
///
/// Suites and groups come from aws-lc-rs's complete lists, not its defaults: a build with
/// `--features fips` leaves ChaCha20 and X25519 out of the defaults, but a policy that names
/// them still gets them — and rustls then reports those connections as not FIPS-approved
/// ([`fips_mode`]), which the core judges (TLS-NOT-FIPS) under a policy that asks for FIPS.
///
/// A policy that asks for a FIPS module (`tls.fips_module`, the fips profile) gets an error
/// instead of a provider that is not FIPS-approved: the coordinator, edges and enrolment refuse
/// to start rather than make handshakes the policy forbids.
pub fn provider(policy: &Policy) -> Result<Arc<CryptoProvider>, MtlsError> {
    let provider = unchecked_provider(policy)?;
    if policy.tls.fips_module {
        let status = fips_status(&provider);
        if !status.approved {
            return Err(MtlsError::NotFips(status.describe()));
        }
    }
    Ok(provider)
}

fn fips_status(provider: &CryptoProvider) -> FipsStatus {
    let module = cfg!(feature = "fips") && aws_lc_rs::try_fips_mode().is_ok();
    FipsStatus {
        module,
        approved: module && provider.fips(),
    }
}

fn unchecked_provider(policy: &Policy) -> Result<Arc<CryptoProvider>, MtlsError> {
    use rustls::crypto::aws_lc_rs::{ALL_CIPHER_SUITES, ALL_KX_GROUPS};
    let base = rustls::crypto::aws_lc_rs::default_provider();
    let mut suites = Vec::new();
    for name in &policy.tls.suites {
        let found = ALL_CIPHER_SUITES
            .iter()
            .find(|s| suite_name(**s) == *name && s.version() == &rustls::version::TLS13)
            .ok_or_else(|| MtlsError::Suite(name.clone()))?;
        suites.push(*found);
    }
    let kx_groups = if policy.tls.groups.is_empty() {
        base.kx_groups
    } else {
        ALL_KX_GROUPS
            .iter()
            .filter(|g| {
                let name = group_name(g.name());
                policy
                    .tls
                    .groups
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&name))
            })
            .copied()
            .collect()
    };
    if kx_groups.is_empty() {
        return Err(MtlsError::Groups(policy.tls.groups.join(", ")));
    }
    Ok(Arc::new(CryptoProvider {
        cipher_suites: suites,
        kx_groups,
        ..base
    }))
}

/// What this build's cryptography is under `policy`: whether aws-lc-rs runs its FIPS 140-3
/// module in FIPS mode (only a build with `--features fips` can), and whether every handshake
/// the coordinator and edges make is FIPS-approved (rustls's `CryptoProvider::fips()`: module,
/// suites, groups, signature algorithms, randomness and keys).
pub fn fips_mode(policy: &Policy) -> FipsStatus {
    match unchecked_provider(policy) {
        Ok(p) => fips_status(&p),
        Err(_) => FipsStatus {
            approved: false,
            ..fips_status(&rustls::crypto::aws_lc_rs::default_provider())
        },
    }
}

/// The IANA name of a suite (`TLS_AES_256_GCM_SHA384`), from the core's registry by its code.
pub fn suite_name(suite: rustls::SupportedCipherSuite) -> String {
    tlscope_core::protocol::suite_name(u16::from(suite.suite()))
}

/// The one spelling of a key-exchange group (`x25519`, `X25519MLKEM768`), from the core's
/// registry by its code.
pub fn group_name(group: rustls::NamedGroup) -> String {
    tlscope_core::protocol::group_name(u16::from(group))
}

/// rustls reads time through this, so certificate validity follows the agent's clock.
#[derive(Debug)]
pub struct ClockTime(pub Arc<dyn Clock>);

impl rustls::time_provider::TimeProvider for ClockTime {
    fn current_time(&self) -> Option<UnixTime> {
        u64::try_from(self.0.now().unix())
            .ok()
            .map(|s| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s)))
    }
}

/// A node's certificate and key, replaceable while serving.
#[derive(Debug)]
pub struct Credentials {
    key: RwLock<Arc<CertifiedKey>>,
    serial: RwLock<String>,
}

impl Credentials {
    /// Loads the node's chain and key.
    pub fn new(provider: &CryptoProvider, material: &NodeMaterial) -> Result<Self, MtlsError> {
        Ok(Self {
            key: RwLock::new(Arc::new(certified_key(provider, material)?)),
            serial: RwLock::new(material.serial.clone()),
        })
    }

    /// Replaces chain and key for the next handshakes.
    pub fn replace(
        &self,
        provider: &CryptoProvider,
        material: &NodeMaterial,
    ) -> Result<(), MtlsError> {
        let key = Arc::new(certified_key(provider, material)?);
        if let Ok(mut slot) = self.key.write() {
            *slot = key;
        }
        if let Ok(mut slot) = self.serial.write() {
            slot.clone_from(&material.serial);
        }
        Ok(())
    }

    /// The serial of the certificate in use.
    pub fn serial(&self) -> String {
        self.serial.read().map(|s| s.clone()).unwrap_or_default()
    }

    fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.key.read().ok().map(|k| Arc::clone(&k))
    }
}

fn certified_key(provider: &CryptoProvider, m: &NodeMaterial) -> Result<CertifiedKey, MtlsError> {
    Ok(CertifiedKey::from_der(
        m.chain.clone(),
        m.key.clone_key(),
        provider,
    )?)
}

impl ResolvesServerCert for Credentials {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current()
    }
}

impl ResolvesClientCert for Credentials {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.current()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The tenant's trust: CA certificates and CRLs, replaceable while serving.
#[derive(Debug)]
struct Trust {
    roots: Arc<RootCertStore>,
    crls: Vec<rustls::pki_types::CertificateRevocationListDer<'static>>,
}

fn trust(material: &NodeMaterial) -> Result<Trust, MtlsError> {
    let mut roots = RootCertStore::empty();
    for ca in &material.trusted {
        roots
            .add(ca.clone())
            .map_err(|e| MtlsError::Trust(e.to_string()))?;
    }
    Ok(Trust {
        roots: Arc::new(roots),
        crls: material.crls.clone(),
    })
}

/// An identity check failed after the chain verified.
#[derive(Debug, thiserror::Error)]
#[error("wrong identity: {0}")]
pub struct IdentityRefused(pub String);

fn check_identity(
    end_entity: &CertificateDer<'_>,
    tenant: &str,
    role: NodeRole,
) -> Result<Identity, Error> {
    let ids = Identity::of_certificate(end_entity);
    let refuse = |why: String| {
        Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
            IdentityRefused(why),
        ))))
    };
    let Some(id) = ids.first() else {
        return Err(refuse(
            "no spiffe://tlscope identity in the certificate".into(),
        ));
    };
    if id.tenant != tenant {
        return Err(refuse(format!(
            "{id} belongs to tenant {:?}, expected {tenant:?}",
            id.tenant
        )));
    }
    if id.role != role.as_str() {
        return Err(refuse(format!(
            "{id} is a {} certificate, expected {role}",
            id.role
        )));
    }
    Ok(id.clone())
}

/// The coordinator's check of an edge: webpki (chain to a trusted CA of the tenant, time, CRL,
/// client-auth EKU) and then the identity (this tenant, role edge), remembered per chain until
/// the trust or the CRLs change ([`VerifiedChains`]).
#[derive(Debug)]
pub struct EdgeVerifier {
    tenant: String,
    provider: Arc<CryptoProvider>,
    crl_fail_closed: bool,
    inner: RwLock<Arc<Verifying>>,
}

/// One set of trust anchors and CRLs: webpki's verifier over them, the chains it verified, and
/// (failing closed) the earliest nextUpdate of the CRLs, past which no verification holds.
#[derive(Debug)]
struct Verifying {
    webpki: Arc<dyn ClientCertVerifier>,
    verified: VerifiedChains,
    crls_until: Option<u64>,
}

impl EdgeVerifier {
    /// Trusts the tenant's CAs in `material`.
    pub fn new(
        provider: Arc<CryptoProvider>,
        material: &NodeMaterial,
        crl_fail_closed: bool,
    ) -> Result<Self, MtlsError> {
        let inner = Self::build(&provider, material, crl_fail_closed)?;
        Ok(Self {
            tenant: material.identity.tenant.clone(),
            provider,
            crl_fail_closed,
            inner: RwLock::new(inner),
        })
    }

    /// How many client chains the current trust has verified and remembers.
    pub fn remembered(&self) -> usize {
        self.inner.read().map_or(0, |v| v.verified.len())
    }

    /// webpki's client verifier over the tenant's CAs and CRLs; failing closed, a CRL past its
    /// nextUpdate refuses every client it covers.
    fn build(
        provider: &Arc<CryptoProvider>,
        material: &NodeMaterial,
        crl_fail_closed: bool,
    ) -> Result<Arc<Verifying>, MtlsError> {
        let crls_until = crl_fail_closed
            .then(|| {
                material
                    .crls
                    .iter()
                    .filter_map(|der| x509_parser::parse_x509_crl(der).ok())
                    .filter_map(|(_, crl)| crl.next_update())
                    .map(|t| u64::try_from(t.timestamp()).unwrap_or(0))
                    .min()
            })
            .flatten();
        let t = trust(material)?;
        let builder = WebPkiClientVerifier::builder_with_provider(t.roots, Arc::clone(provider))
            .with_crls(t.crls)
            .only_check_end_entity_revocation()
            .allow_unknown_revocation_status();
        let builder = if crl_fail_closed {
            builder.enforce_revocation_expiration()
        } else {
            builder
        };
        let webpki = builder
            .build()
            .map_err(|e| MtlsError::Trust(e.to_string()))?;
        Ok(Arc::new(Verifying {
            webpki,
            verified: VerifiedChains::default(),
            crls_until,
        }))
    }

    /// Replaces the trusted CAs and CRLs for the next handshakes.
    pub fn replace(&self, material: &NodeMaterial) -> Result<(), MtlsError> {
        let inner = Self::build(&self.provider, material, self.crl_fail_closed)?;
        if let Ok(mut slot) = self.inner.write() {
            *slot = inner;
        }
        Ok(())
    }

    fn inner(&self) -> Result<Arc<Verifying>, Error> {
        self.inner
            .read()
            .map(|v| Arc::clone(&v))
            .map_err(|_| Error::General("verifier lock poisoned".into()))
    }
}

impl ClientCertVerifier for EdgeVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let v = self.inner()?;
        let key = VerifiedChains::key(end_entity, intermediates);
        if v.verified.holds(&key, now.as_secs()) {
            return Ok(ClientCertVerified::assertion());
        }
        v.webpki
            .verify_client_cert(end_entity, intermediates, now)?;
        check_identity(end_entity, &self.tenant, NodeRole::Edge)?;
        if let Ok((_, leaf)) = x509_parser::parse_x509_certificate(end_entity) {
            let seconds =
                |t: x509_parser::time::ASN1Time| u64::try_from(t.timestamp()).unwrap_or(0);
            let validity = leaf.validity();
            let until = seconds(validity.not_after).min(v.crls_until.unwrap_or(u64::MAX));
            v.verified.insert(key, seconds(validity.not_before), until);
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?
            .webpki
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?
            .webpki
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The edge's check of the coordinator: webpki (chain to a trusted CA of the tenant, time, CRL,
/// server name) and then the identity (this tenant, role coordinator).
#[derive(Debug)]
pub struct CoordinatorVerifier {
    tenant: String,
    provider: Arc<CryptoProvider>,
    inner: RwLock<Arc<WebPkiServerVerifier>>,
    /// Whether the name the edge dialled must be in the certificate. An enrolled edge reaching
    /// coordinators by whatever address the network gives them checks the identity instead.
    check_name: bool,
}

impl CoordinatorVerifier {
    /// Trusts the tenant's CAs in `material`; the coordinator's DNS name must match too.
    pub fn new(provider: Arc<CryptoProvider>, material: &NodeMaterial) -> Result<Self, MtlsError> {
        let inner = Self::build(&provider, material)?;
        Ok(Self {
            tenant: material.identity.tenant.clone(),
            provider,
            inner: RwLock::new(inner),
            check_name: true,
        })
    }

    /// Trusts the tenant's CAs in `material` and accepts any coordinator of the tenant by its
    /// identity (URI SAN), whatever address it was reached at (SPIFFE-style).
    pub fn by_identity(
        provider: Arc<CryptoProvider>,
        material: &NodeMaterial,
    ) -> Result<Self, MtlsError> {
        Ok(Self {
            check_name: false,
            ..Self::new(provider, material)?
        })
    }

    fn build(
        provider: &Arc<CryptoProvider>,
        material: &NodeMaterial,
    ) -> Result<Arc<WebPkiServerVerifier>, MtlsError> {
        let t = trust(material)?;
        WebPkiServerVerifier::builder_with_provider(t.roots, Arc::clone(provider))
            .with_crls(t.crls)
            .only_check_end_entity_revocation()
            .allow_unknown_revocation_status()
            .build()
            .map_err(|e| MtlsError::Trust(e.to_string()))
    }

    /// Replaces the trusted CAs and CRLs for the next handshakes.
    pub fn replace(&self, material: &NodeMaterial) -> Result<(), MtlsError> {
        let inner = Self::build(&self.provider, material)?;
        if let Ok(mut slot) = self.inner.write() {
            *slot = inner;
        }
        Ok(())
    }

    fn inner(&self) -> Result<Arc<WebPkiServerVerifier>, Error> {
        self.inner
            .read()
            .map(|v| Arc::clone(&v))
            .map_err(|_| Error::General("verifier lock poisoned".into()))
    }
}

impl ServerCertVerifier for CoordinatorVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let own_name;
        let name = if self.check_name {
            server_name
        } else {
            own_name = own_dns_name(end_entity)?;
            &own_name
        };
        self.inner()?
            .verify_server_cert(end_entity, intermediates, name, ocsp, now)?;
        check_identity(end_entity, &self.tenant, NodeRole::Coordinator)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner()
            .map(|v| v.supported_verify_schemes())
            .unwrap_or_default()
    }
}

/// The first DNS name in a certificate's SANs, so webpki checks chain, time, EKU and revocation
/// while the identity check decides who it is.
fn own_dns_name(end_entity: &CertificateDer<'_>) -> Result<ServerName<'static>, Error> {
    let refuse = || Error::InvalidCertificate(CertificateError::NotValidForName);
    let (_, cert) = x509_parser::parse_x509_certificate(end_entity)
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let dns = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|san| {
            san.value.general_names.iter().find_map(|n| match n {
                x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
                _ => None,
            })
        })
        .ok_or_else(refuse)?;
    ServerName::try_from(dns).map_err(|_| refuse())
}

/// The check an enrolling node makes of the coordinator before it has any trust: the chain the
/// coordinator presents must hold a CA certificate with the pinned SHA-256 fingerprint, the leaf
/// must chain to it (webpki: signature, time, EKU) and carry the tenant's coordinator identity.
#[derive(Debug)]
pub struct PinnedCaVerifier {
    tenant: String,
    pin: String,
    provider: Arc<CryptoProvider>,
}

/// The pinned CA was not among the certificates the coordinator presented.
#[derive(Debug, thiserror::Error)]
#[error(
    "the coordinator's chain holds no CA with the pinned fingerprint {pinned} (it presented {presented})"
)]
pub struct PinMismatch {
    /// The pin given.
    pub pinned: String,
    /// Fingerprints of what was presented.
    pub presented: String,
}

impl PinnedCaVerifier {
    /// Pins `pin` (`sha256:HEX`) for `tenant`.
    pub fn new(provider: Arc<CryptoProvider>, tenant: &str, pin: &str) -> Self {
        Self {
            tenant: tenant.to_owned(),
            pin: pin.trim().to_ascii_lowercase(),
            provider,
        }
    }
}

impl ServerCertVerifier for PinnedCaVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let fingerprints: Vec<String> = intermediates
            .iter()
            .map(|c| crate::ca::enrolment::fingerprint(c))
            .collect();
        let Some(pinned) = intermediates
            .iter()
            .zip(&fingerprints)
            .find(|(_, f)| **f == self.pin)
            .map(|(c, _)| c.clone().into_owned())
        else {
            return Err(Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch {
                    pinned: self.pin.clone(),
                    presented: if fingerprints.is_empty() {
                        "no CA certificate".into()
                    } else {
                        fingerprints.join(", ")
                    },
                })),
            )));
        };
        let mut roots = RootCertStore::empty();
        roots
            .add(pinned)
            .map_err(|e| Error::General(format!("the pinned CA certificate: {e}")))?;
        let verifier = WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&self.provider),
        )
        .build()
        .map_err(|e| Error::General(e.to_string()))?;
        let name = own_dns_name(end_entity)?;
        verifier.verify_server_cert(end_entity, intermediates, &name, ocsp, now)?;
        check_identity(end_entity, &self.tenant, NodeRole::Coordinator)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS 1.3-only client configuration without a client certificate, checking the server with
/// `verifier` (enrolment).
pub fn anonymous_client_config(
    provider: Arc<CryptoProvider>,
    clock: Arc<dyn Clock>,
    verifier: Arc<dyn ServerCertVerifier>,
    alpn: &[&[u8]],
) -> Result<ClientConfig, MtlsError> {
    let mut config = ClientConfig::builder_with_details(provider, Arc::new(ClockTime(clock)))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// A TLS 1.3-only server configuration; `clients` asks for and requires edge certificates.
pub fn server_config(
    provider: Arc<CryptoProvider>,
    clock: Arc<dyn Clock>,
    credentials: Arc<Credentials>,
    clients: Option<Arc<EdgeVerifier>>,
    alpn: &[&[u8]],
) -> Result<ServerConfig, MtlsError> {
    let builder = ServerConfig::builder_with_details(provider, Arc::new(ClockTime(clock)))
        .with_protocol_versions(&[&rustls::version::TLS13])?;
    let builder = match clients {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(credentials);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// A TLS 1.3-only client configuration presenting `credentials` and checking the coordinator.
pub fn client_config(
    provider: Arc<CryptoProvider>,
    clock: Arc<dyn Clock>,
    credentials: Arc<Credentials>,
    coordinator: Arc<CoordinatorVerifier>,
    alpn: &[&[u8]],
) -> Result<ClientConfig, MtlsError> {
    let mut config = ClientConfig::builder_with_details(provider, Arc::new(ClockTime(clock)))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(coordinator)
        .with_client_cert_resolver(credentials);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// Why a handshake was refused: its class (for counters and alert rules) and its words.
pub fn refusal(error: &std::io::Error) -> Outcome {
    let refusal = match error.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        Some(tls) => classify(tls),
        None => match error.kind() {
            std::io::ErrorKind::UnexpectedEof => Refusal::ConnectionClosed,
            std::io::ErrorKind::TimedOut => Refusal::Timeout,
            _ => Refusal::Other,
        },
    };
    Outcome::refused(refusal, refusal_reason(error))
}

/// The alert the peer ended the connection with, if that is how it ended.
pub fn alert_received(error: &std::io::Error) -> Option<rustls::AlertDescription> {
    match error.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        Some(Error::AlertReceived(alert)) => Some(*alert),
        _ => None,
    }
}

/// The class of a rustls error.
pub fn classify(tls: &Error) -> Refusal {
    use rustls::PeerIncompatible as P;
    match tls {
        Error::NoCertificatesPresented => Refusal::NoClientCertificate,
        Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => Refusal::Expired,
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                Refusal::NotYetValid
            }
            CertificateError::Revoked => Refusal::Revoked,
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => Refusal::StaleCrl,
            CertificateError::UnknownIssuer => Refusal::UnknownIssuer,
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                Refusal::WrongPurpose
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Refusal::WrongIdentity
            }
            CertificateError::BadSignature => Refusal::BadSignature,
            CertificateError::Other(OtherError(e))
                if e.downcast_ref::<IdentityRefused>().is_some()
                    || e.downcast_ref::<PinMismatch>().is_some() =>
            {
                Refusal::WrongIdentity
            }
            _ => Refusal::Other,
        },
        Error::PeerIncompatible(
            P::SupportedVersionsExtensionRequired
            | P::Tls12NotOffered
            | P::Tls12NotOfferedOrEnabled
            | P::ServerDoesNotSupportTls12Or13,
        ) => Refusal::ProtocolVersion,
        Error::PeerIncompatible(P::NoCipherSuitesInCommon) => Refusal::CipherSuite,
        Error::PeerIncompatible(P::NoKxGroupsInCommon) => Refusal::KeyExchange,
        Error::AlertReceived(_) => Refusal::PeerAlert,
        _ => Refusal::Other,
    }
}

/// Why a handshake was refused, in the words the handshake record and the operator see.
pub fn refusal_reason(error: &std::io::Error) -> String {
    let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<Error>()) else {
        return match error.kind() {
            std::io::ErrorKind::UnexpectedEof => "connection closed during the handshake".into(),
            std::io::ErrorKind::TimedOut => "handshake timed out".into(),
            _ => format!("i/o error during the handshake: {error}"),
        };
    };
    describe(tls)
}

/// The words for any error whose source chain holds a rustls error (hyper wraps the TLS
/// stream's I/O errors), else its own message.
pub fn describe_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(tls) = e.downcast_ref::<Error>() {
            return describe(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<Error>())
        {
            return describe(tls);
        }
        cause = e.source();
    }
    error.to_string()
}

/// The words for a rustls error: one sentence per class, the error's own words where it
/// carries more (an identity refusal, a peer's alert, anything unclassified).
pub fn describe(tls: &Error) -> String {
    let words = match classify(tls) {
        Refusal::NoClientCertificate => "no client certificate",
        Refusal::Expired => "certificate expired",
        Refusal::NotYetValid => "certificate not yet valid",
        Refusal::Revoked => "certificate revoked",
        Refusal::StaleCrl => {
            "revocation list past its nextUpdate (the policy fails closed on a stale CRL)"
        }
        Refusal::UnknownIssuer => "certificate not issued by a CA of this tenant (unknown issuer)",
        Refusal::WrongPurpose => "certificate not valid for this purpose (extended key usage)",
        Refusal::BadSignature => "certificate signature invalid",
        Refusal::ProtocolVersion => "protocol version: peer does not offer TLS 1.3",
        Refusal::CipherSuite => {
            "no cipher suite in common (peer offered none of the policy's TLS 1.3 suites)"
        }
        Refusal::KeyExchange => "no key-exchange group in common",
        Refusal::WrongIdentity
        | Refusal::PeerAlert
        | Refusal::Timeout
        | Refusal::ConnectionClosed
        | Refusal::Other => {
            return describe_detail(tls);
        }
    };
    words.into()
}

fn describe_detail(tls: &Error) -> String {
    match tls {
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "certificate not valid for the server name".into(),
        Error::InvalidCertificate(CertificateError::Other(OtherError(e))) => e.to_string(),
        Error::InvalidCertificate(other) => format!("certificate refused: {other}"),
        Error::AlertReceived(alert) => {
            use rustls::AlertDescription as A;
            let what = match alert {
                A::CertificateRevoked => "certificate revoked",
                A::CertificateExpired => "certificate expired",
                A::UnknownCA => "unknown issuer",
                A::BadCertificate => "bad certificate",
                A::CertificateRequired => "no client certificate",
                A::ProtocolVersion => "protocol version",
                A::HandshakeFailure => "handshake failure",
                _ => "",
            };
            format!("the peer refused the handshake: {what} (alert {alert:?})")
        }
        other => other.to_string(),
    }
}
