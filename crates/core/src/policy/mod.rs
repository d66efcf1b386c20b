//! The policy a judgement is made under. `Policy::default()` encodes the transport-security
//! specification (DESIGN.md): alerts at 30 and 7 days (a third and a tenth of
//! the lifetime for short certificates), 90-day leaf rotation, RSA ≥ 2048,
//! ECDSA P-256/P-384, Ed25519, no MD5 or SHA-1 signatures, TLS 1.3 only for clients and mTLS
//! with its three suites, database TLS ≥ 1.2, HSTS, OCSP stapling, no session tickets.

mod language;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::TlsVersion;

pub use language::PolicyError;

/// Everything the rules read from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Profile this policy starts from (`default`, `cert-manager`).
    pub profile: String,
    /// Expiry alert bands.
    pub alerts: Alerts,
    /// Certificate lifetimes.
    pub rotation: Rotation,
    /// Key and signature hygiene.
    pub keys: Keys,
    /// Protocol versions and suites per segment.
    pub tls: Tls,
    /// Web front ends: HSTS, OCSP stapling, session tickets.
    pub web: Web,
    /// Revocation: what counts as short-lived enough to need none.
    #[serde(default)]
    pub revocation: Revocation,
    /// DNS: which CAA domain each issuing CA answers to.
    #[serde(default)]
    pub dns: Dns,
    /// IPsec (strongSwan proposals): the minimum a proposal must meet.
    #[serde(default)]
    pub ipsec: Ipsec,
    /// Pin sets: host name → SHA-256 pins (`sha256/<base64 SPKI hash>` or a certificate
    /// fingerprint in hex). A host with pins must present a chain that matches one of them.
    pub pins: BTreeMap<String, Vec<String>>,
}

/// Protocol versions and suites for each segment of the specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Lowest version a client-facing listener may accept.
    pub client_min_version: TlsVersion,
    /// Lowest version between coordinator and edges (mTLS).
    pub mtls_min_version: TlsVersion,
    /// Lowest version between an edge and a database.
    pub database_min_version: TlsVersion,
    /// TLS 1.3 suites allowed, by IANA name.
    pub suites: Vec<String>,
    /// How bad it is that a TLS 1.3 endpoint accepts no post-quantum (ML-KEM) key exchange:
    /// `info` by default, `warning` or `critical` where harvest-now-decrypt-later matters.
    #[serde(default = "Tls::default_post_quantum_missing")]
    pub post_quantum_missing: crate::rules::Severity,
    /// Key-exchange groups allowed, by IANA name (empty: any). The `fips` profile allows the
    /// NIST curves and the ML-KEM groups, not X25519 alone.
    #[serde(default)]
    pub groups: Vec<String>,
    /// TLS 1.2 suites allowed, by IANA name (empty: any suite the TLS 1.2 rules pass). The
    /// `fips` profile allows the four ECDHE AES-GCM suites, not ChaCha20 (SP 800-52r2 §3.3.1).
    #[serde(default)]
    pub tls12_suites: Vec<String>,
    /// Whether TLS 1.2 must negotiate the extended master secret (RFC 7627): RFC 9325 asks it
    /// of every TLS 1.2 endpoint, SP 800-52r2 and FIPS 140-3 IG D.Q require it.
    #[serde(default = "Tls::default_extended_master_secret")]
    pub extended_master_secret: bool,
    /// Whether the agent's own handshakes (coordinator, edges) must be made by a FIPS 140-3
    /// validated module in FIPS mode with approved algorithms only: `tlscope` built with
    /// `--features fips`, as rustls's `fips()` reports it on each connection.
    #[serde(default)]
    pub fips_module: bool,
}

impl Tls {
    fn default_post_quantum_missing() -> crate::rules::Severity {
        crate::rules::Severity::Info
    }

    fn default_extended_master_secret() -> bool {
        true
    }
}

/// Settings a web front end must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Web {
    /// Whether an HSTS header is required.
    pub hsts: bool,
    /// Smallest acceptable HSTS max-age, in seconds.
    pub hsts_min_max_age: i64,
    /// Whether HSTS must carry includeSubDomains.
    pub hsts_include_subdomains: bool,
    /// Whether HSTS must carry preload.
    pub hsts_preload: bool,
    /// Whether OCSP stapling must be on.
    pub ocsp_stapling: bool,
    /// Whether session tickets are allowed (the specification turns them off).
    pub session_tickets: bool,
}

/// Expiry alert bands: days before notAfter, and for short certificates a share of the
/// certificate's own lifetime. A band holds when both hold, so a 6-day certificate is not in
/// a 30-day band from the day it is issued, and a 397-day one is judged by days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Warning at or below this many days left.
    pub warning_days: i64,
    /// Critical at or below this many days left.
    pub critical_days: i64,
    /// Warning only once at most this percentage of the lifetime is left (0: days alone).
    #[serde(default)]
    pub warning_percent: u8,
    /// Critical only once at most this percentage of the lifetime is left (0: days alone).
    #[serde(default)]
    pub critical_percent: u8,
}

/// Revocation as CAs now do it: CRLs, OCSP where still offered, and none for short-lived
/// certificates (CA/Browser Forum Baseline Requirements §4.9, ballot SC-063).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// A certificate valid this many days or fewer needs no revocation information (the
    /// Baseline Requirements' short-lived threshold: 7 days for certificates issued from
    /// 2026-03-15, 10 before).
    pub short_lived_days: i64,
}

impl Default for Revocation {
    fn default() -> Self {
        Self {
            short_lived_days: 7,
        }
    }
}

/// What the DNS checks need to know: the CAA domain (RFC 8659 issuer domain name) of each CA,
/// found by a case-insensitive fragment of the served leaf's issuer O or CN. Public CAs are
/// built in; an internal CA is added here (`[dns.caa_issuers] "ca.example.net" = ["Example CA"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// CAA domain → issuer name fragments.
    pub caa_issuers: BTreeMap<String, Vec<String>>,
}

impl Default for Dns {
    fn default() -> Self {
        let public: [(&str, &[&str]); 11] = [
            ("letsencrypt.org", &["Let's Encrypt"]),
            ("digicert.com", &["DigiCert"]),
            ("sectigo.com", &["Sectigo", "ZeroSSL", "COMODO"]),
            ("pki.goog", &["Google Trust Services"]),
            ("amazon.com", &["Amazon"]),
            ("globalsign.com", &["GlobalSign"]),
            ("godaddy.com", &["GoDaddy", "Go Daddy"]),
            ("ssl.com", &["SSL.com", "SSL Corporation"]),
            ("buypass.com", &["Buypass"]),
            ("entrust.net", &["Entrust"]),
            ("actalis.it", &["Actalis"]),
        ];
        Self {
            caa_issuers: public
                .into_iter()
                .map(|(d, f)| (d.to_owned(), f.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
        }
    }
}

impl Dns {
    /// The CAA domain of the CA whose name (O or CN) is given, if the policy knows it.
    pub fn caa_domain<'a>(
        &self,
        issuer_names: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Option<&str> {
        self.caa_issuers.iter().find_map(|(domain, fragments)| {
            let hit = issuer_names.clone().into_iter().any(|n| {
                let n = n.to_lowercase();
                fragments.iter().any(|f| n.contains(&f.to_lowercase()))
            });
            hit.then_some(domain.as_str())
        })
    }
}

/// The IPsec minimum, after NIST SP 800-77r1: AES with SHA-2, Diffie-Hellman of at least 2048
/// bits (MODP) or 256 (elliptic curves), perfect forward secrecy for CHILD_SAs, IKE_SAs rekeyed
/// within 24 hours and CHILD_SAs within 8. The fips profile raises the groups to CNSA's 3072 and
/// 384 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipsec {
    /// The smallest MODP (finite-field) group, in bits.
    pub min_modp_bits: u32,
    /// The smallest elliptic curve, in bits.
    pub min_ecp_bits: u32,
    /// Whether CHILD_SA proposals must carry a DH group.
    pub pfs: bool,
    /// The longest IKE_SA lifetime, in hours.
    pub ike_max_lifetime_hours: u32,
    /// The longest CHILD_SA lifetime, in hours.
    pub child_max_lifetime_hours: u32,
}

impl Default for Ipsec {
    fn default() -> Self {
        Self {
            min_modp_bits: 2048,
            min_ecp_bits: 256,
            pfs: true,
            ike_max_lifetime_hours: 24,
            child_max_lifetime_hours: 8,
        }
    }
}

/// Certificate lifetimes and renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Longest acceptable leaf lifetime.
    pub leaf_days: i64,
    /// Renew this many days before expiry (the grace window).
    pub leaf_grace_days: i64,
    /// CA lifetime.
    pub ca_days: i64,
    /// CA overlap during rotation.
    pub ca_grace_days: i64,
    /// Root lifetime (an offline root above the issuing CA).
    pub root_days: i64,
    /// For short certificates: renew once at most this percentage of the lifetime is left,
    /// when that is later than the grace in days (cert-manager renews at one third; 0: days
    /// alone).
    #[serde(default)]
    pub grace_percent: u8,
    /// Judge each leaf's validity against the CA/Browser Forum maximum in force on its
    /// notBefore (ballot SC-081: 398, 200, 100, then 47 days) — the `public-web` profile.
    #[serde(default)]
    pub cabf_maximum: bool,
    /// Whether the coordinator refuses edges while the CRL it holds is past its nextUpdate
    /// (fail closed), instead of accepting them and reporting the stale CRL (fail open).
    #[serde(default)]
    pub crl_fail_closed: bool,
}

/// Key and signature hygiene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Smallest acceptable RSA modulus.
    pub rsa_min_bits: u32,
    /// Acceptable EC curves.
    pub ec_curves: Vec<String>,
    /// Whether Ed25519 keys are acceptable.
    pub ed25519: bool,
    /// Whether post-quantum keys are acceptable: ML-DSA (FIPS 204) and SLH-DSA (FIPS 205).
    #[serde(default = "Keys::default_post_quantum")]
    pub post_quantum: bool,
}

impl Keys {
    fn default_post_quantum() -> bool {
        true
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            profile: "default".into(),
            alerts: Alerts {
                warning_days: 30,
                critical_days: 7,
                // A third, rounded up so a 90-day certificate keeps its 30-day band.
                warning_percent: 34,
                critical_percent: 10,
            },
            rotation: Rotation {
                leaf_days: 90,
                leaf_grace_days: 14,
                ca_days: 365,
                ca_grace_days: 30,
                root_days: 3650,
                grace_percent: 33,
                cabf_maximum: false,
                crl_fail_closed: false,
            },
            keys: Keys {
                rsa_min_bits: 2048,
                ec_curves: vec!["P-256".into(), "P-384".into()],
                ed25519: true,
                post_quantum: true,
            },
            tls: Tls {
                client_min_version: TlsVersion::Tls13,
                mtls_min_version: TlsVersion::Tls13,
                database_min_version: TlsVersion::Tls12,
                suites: vec![
                    "TLS_AES_256_GCM_SHA384".into(),
                    "TLS_AES_128_GCM_SHA256".into(),
                    "TLS_CHACHA20_POLY1305_SHA256".into(),
                ],
                post_quantum_missing: crate::rules::Severity::Info,
                groups: Vec::new(),
                tls12_suites: Vec::new(),
                extended_master_secret: true,
                fips_module: false,
            },
            web: Web {
                hsts: true,
                hsts_min_max_age: 31_536_000,
                hsts_include_subdomains: true,
                hsts_preload: true,
                ocsp_stapling: true,
                session_tickets: false,
            },
            revocation: Revocation::default(),
            dns: Dns::default(),
            ipsec: Ipsec::default(),
            pins: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// The cert-manager profile: leaf 90 days renewed 30 days before expiry, intermediate 1 year,
    /// root 10 years.
    pub fn cert_manager() -> Self {
        let default = Self::default();
        Self {
            profile: "cert-manager".into(),
            rotation: Rotation {
                leaf_grace_days: 30,
                root_days: 3650,
                ..default.rotation
            },
            ..default
        }
    }

    /// The fips profile (FIPS 140-3 / SP 800-52r2 with SP 800-227 for ML-KEM): TLS 1.3 with the
    /// AES-GCM suites only (no ChaCha20), TLS 1.2 (where a segment allows it) with the ECDHE
    /// AES-GCM suites and the extended master secret, key exchange on P-256/P-384/P-521 or an
    /// ML-KEM group (X25519 only inside X25519MLKEM768), RSA keys of 2048 bits or more, and the
    /// agent's own handshakes made by a FIPS module in FIPS mode.
    pub fn fips() -> Self {
        let default = Self::default();
        Self {
            profile: "fips".into(),
            tls: Tls {
                suites: vec![
                    "TLS_AES_256_GCM_SHA384".into(),
                    "TLS_AES_128_GCM_SHA256".into(),
                ],
                groups: [
                    "secp256r1",
                    "secp384r1",
                    "secp521r1",
                    "X25519MLKEM768",
                    "SecP256r1MLKEM768",
                    "SecP384r1MLKEM1024",
                    "MLKEM768",
                    "MLKEM1024",
                ]
                .iter()
                .map(|g| (*g).to_owned())
                .collect(),
                tls12_suites: [
                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                ]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
                extended_master_secret: true,
                fips_module: true,
                ..default.tls
            },
            keys: Keys {
                ed25519: true,
                rsa_min_bits: 2048,
                ..default.keys
            },
            ipsec: Ipsec {
                min_modp_bits: 3072,
                min_ecp_bits: 384,
                ..default.ipsec
            },
            ..default
        }
    }

    /// The public-web profile, for certificates from publicly-trusted CAs: each leaf judged
    /// against the CA/Browser Forum maximum validity in force on its notBefore (SC-081), rather
    /// than the specification's 90-day internal rotation; renewal when a third is left.
    pub fn public_web() -> Self {
        let default = Self::default();
        Self {
            profile: "public-web".into(),
            rotation: Rotation {
                leaf_days: 398,
                leaf_grace_days: 30,
                cabf_maximum: true,
                ..default.rotation
            },
            ..default
        }
    }
}
