//! The details of one X.509 certificate: names, validity, public key, fingerprints and pins,
//! and every extension decoded. Built once from DER; plain data that serialises to the page.

use base64::Engine as _;
use serde::Serialize;
use sha1::{Digest as _, Sha1};
// 0.11, for its WebAssembly SIMD backend (the page hashes every certificate it decodes).
use sha2_fingerprint::{Digest as _, Sha256};
use x509_parser::prelude::*;

use crate::asn1::hex;
use crate::timestamp::Timestamp;

mod extension;
mod name;

pub(crate) use extension::general_name as san_from_general_name;
pub use extension::{Extension, ExtensionValue, SubjectAltName};
pub use name::DistinguishedName;

/// One decoded certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// X.509 version (1, 2 or 3).
    pub version: u32,
    /// Serial number, uppercase hex without separators (as `openssl x509 -serial`).
    pub serial: String,
    /// Signature algorithm, by name where known, else dotted OID.
    pub signature_algorithm: String,
    /// Size of the issuer's signature in bytes (2,420 for ML-DSA-44, 64–72 for ECDSA P-256).
    pub signature_bytes: usize,
    /// Subject name.
    pub subject: DistinguishedName,
    /// Issuer name.
    pub issuer: DistinguishedName,
    /// Validity window.
    pub validity: Validity,
    /// Subject public key.
    pub public_key: PublicKeyInfo,
    /// Subject alternative names, in order (empty when the extension is absent).
    pub subject_alt_names: Vec<SubjectAltName>,
    /// Whether basic constraints mark this a CA certificate.
    pub is_ca: bool,
    /// Whether subject and issuer are the same name.
    pub self_issued: bool,
    /// Every extension, decoded where tlscope knows it.
    pub extensions: Vec<Extension>,
    /// How it can be revoked: OCSP responders, CRL distribution points, Must-Staple.
    pub revocation: Revocation,
    /// SHA-256 of the DER, `AB:CD:…` exactly as `openssl x509 -fingerprint -sha256` prints it.
    pub fingerprint_sha256: String,
    /// SHA-1 of the DER, `AB:CD:…` as `openssl x509 -fingerprint -sha1`.
    pub fingerprint_sha1: String,
    /// Base64 SHA-256 of the SubjectPublicKeyInfo: the `pin-sha256` of HPKP and pinning configs.
    pub spki_sha256_base64: String,
    /// Size of the DER encoding.
    pub der_len: usize,
    /// The DER itself, for chain validation and the raw ASN.1 view; not serialised.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// The validity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Validity {
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity.
    pub not_after: Timestamp,
}

/// Where `now` falls relative to a validity window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidityStatus {
    /// `now` is before `not_before`.
    NotYetValid,
    /// Within the window.
    Valid,
    /// `now` is after `not_after`.
    Expired,
}

impl Validity {
    /// Whole days from `now` until `not_after`; negative once expired.
    pub fn days_left(&self, now: Timestamp) -> i64 {
        now.days_until(self.not_after)
    }

    /// Where `now` falls.
    pub fn status(&self, now: Timestamp) -> ValidityStatus {
        if now < self.not_before {
            ValidityStatus::NotYetValid
        } else if now > self.not_after {
            ValidityStatus::Expired
        } else {
            ValidityStatus::Valid
        }
    }

    /// Total lifetime in whole days.
    pub fn lifetime_days(&self) -> i64 {
        self.not_before.days_until(self.not_after)
    }
}

/// How a certificate can be revoked, from its AIA, CRL distribution points and TLS Feature
/// extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Revocation {
    /// OCSP responder URLs (AIA).
    pub ocsp: Vec<String>,
    /// CRL distribution points.
    pub crl: Vec<String>,
    /// Whether the TLS Feature extension demands a stapled OCSP response (Must-Staple).
    pub must_staple: bool,
}

impl Revocation {
    /// Each way to check it, in words, as every view lists them: `OCSP <url>`, `CRL <url>`,
    /// `Must-Staple`.
    pub fn methods(&self) -> Vec<String> {
        let mut out: Vec<String> = self.ocsp.iter().map(|u| format!("OCSP {u}")).collect();
        out.extend(self.crl.iter().map(|u| format!("CRL {u}")));
        if self.must_staple {
            out.push("Must-Staple".into());
        }
        out
    }

    /// Collected from decoded extensions.
    pub fn of(extensions: &[Extension]) -> Self {
        let mut r = Self::default();
        for e in extensions {
            match &e.value {
                ExtensionValue::AuthorityInfoAccess { entries } => r.ocsp.extend(
                    entries
                        .iter()
                        .filter(|(method, _)| method == "OCSP")
                        .map(|(_, url)| url.clone()),
                ),
                ExtensionValue::CrlDistributionPoints { points } => {
                    r.crl.extend(points.iter().cloned());
                }
                ExtensionValue::TlsFeature { features } => {
                    r.must_staple |= features.iter().any(|f| f == "status_request");
                }
                _ => {}
            }
        }
        r
    }
}

/// The subject public key, described; the key bytes themselves are not repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicKeyInfo {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA`, or the dotted OID.
    pub algorithm: String,
    /// Key size in bits (modulus for RSA, field size for EC).
    pub bits: u32,
    /// Named curve for EC keys (`P-256`, `P-384`, `P-521`, …).
    pub curve: Option<String>,
}

impl PublicKeyInfo {
    /// The key in words, as every view shows it: `EC P-256`, `RSA 2048 bits`, and post-quantum
    /// keys in bytes, as FIPS 204/205 give them: `ML-DSA-44 (1312 bytes)`.
    pub fn describe(&self) -> String {
        match &self.curve {
            Some(curve) => format!("{} {curve}", self.algorithm),
            None if crate::post_quantum::is_name(&self.algorithm) => {
                format!("{} ({} bytes)", self.algorithm, self.bits / 8)
            }
            None => format!("{} {} bits", self.algorithm, self.bits),
        }
    }
}

impl Certificate {
    /// Decodes one DER certificate. The error is the parser's explanation of what was wrong.
    pub fn from_der(der: &[u8]) -> Result<Self, crate::asn1::DerError> {
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| crate::asn1::DerError::from_parser("certificate", &e))?;
        crate::asn1::DerError::check_end("certificate", rest)?;
        let spki_raw = cert.public_key().raw;
        let extensions: Vec<Extension> =
            cert.extensions().iter().map(Extension::from_x509).collect();
        let subject_alt_names = extensions
            .iter()
            .find_map(|e| match &e.value {
                ExtensionValue::SubjectAltName { names } => Some(names.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let subject = DistinguishedName::from_x509(cert.subject());
        let issuer = DistinguishedName::from_x509(cert.issuer());
        Ok(Self {
            version: cert.version().0 + 1,
            serial: serial_hex(cert.raw_serial()),
            signature_algorithm: signature_algorithm_name(&crate::asn1::dotted_cow(
                &cert.signature_algorithm.algorithm,
            )),
            signature_bytes: cert.signature_value.data.len(),
            self_issued: subject.raw_der == issuer.raw_der,
            subject,
            issuer,
            validity: Validity {
                not_before: Timestamp::from_unix(cert.validity().not_before.timestamp()),
                not_after: Timestamp::from_unix(cert.validity().not_after.timestamp()),
            },
            public_key: public_key_info(cert.public_key()),
            subject_alt_names,
            is_ca: cert.is_ca(),
            revocation: Revocation::of(&extensions),
            extensions,
            fingerprint_sha256: hex::colon(&Sha256::digest(der)),
            fingerprint_sha1: hex::colon(&Sha1::digest(der)),
            spki_sha256_base64: base64::engine::general_purpose::STANDARD
                .encode(Sha256::digest(spki_raw)),
            der_len: der.len(),
            der: der.to_vec(),
        })
    }

    /// Whether it carries a CA/Browser Forum reserved policy OID (2.23.140.1.…): issued under
    /// the Baseline Requirements by a publicly-trusted CA.
    pub fn has_cabf_policy(&self) -> bool {
        self.extensions.iter().any(|e| match &e.value {
            ExtensionValue::CertificatePolicies { policies } => {
                policies.iter().any(|p| p.starts_with("2.23.140.1."))
            }
            _ => false,
        })
    }

    /// Whether its extended key usage names `purpose` (`serverAuth`, `clientAuth`, …).
    pub fn has_purpose(&self, purpose: &str) -> bool {
        self.extensions.iter().any(|e| match &e.value {
            ExtensionValue::ExtendedKeyUsage { purposes } => purposes.iter().any(|p| p == purpose),
            _ => false,
        })
    }

    /// The name people use for this certificate: the first DNS SAN, else the subject CN, else
    /// the whole subject.
    pub fn display_name(&self) -> String {
        self.subject_alt_names
            .iter()
            .find_map(|n| match n {
                SubjectAltName::Dns(d) => Some(d.clone()),
                _ => None,
            })
            .or_else(|| self.subject.common_name().map(str::to_owned))
            .unwrap_or_else(|| self.subject.rfc4514.clone())
    }
}

/// The DER SubjectPublicKeyInfo of a DER certificate.
pub fn spki_der(der: &[u8]) -> Option<Vec<u8>> {
    X509Certificate::from_der(der)
        .ok()
        .map(|(_, c)| c.public_key().raw.to_vec())
}

/// Describes a SubjectPublicKeyInfo: algorithm, size, curve.
pub fn public_key_info(spki: &SubjectPublicKeyInfo<'_>) -> PublicKeyInfo {
    let oid = crate::asn1::dotted_cow(&spki.algorithm.algorithm);
    // The key is parsed only where its size is not given by its algorithm or curve.
    let bits = || {
        spki.parsed()
            .map_or(0, |k| u32::try_from(k.key_size()).unwrap_or(0))
    };
    let (algorithm, curve, bits) = match &*oid {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => ("RSA".to_owned(), None, bits()),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| curve_name(&crate::asn1::dotted_cow(&o)));
            let bits = match curve.as_deref() {
                Some("P-256") => 256,
                Some("P-384") => 384,
                Some("P-521") => 521,
                _ => bits(),
            };
            ("EC".to_owned(), curve, bits)
        }
        "1.3.101.112" => ("Ed25519".to_owned(), None, 256),
        "1.3.101.113" => ("Ed448".to_owned(), None, 456),
        "1.2.840.10040.4.1" => ("DSA".to_owned(), None, bits()),
        other => match crate::post_quantum::name(other) {
            // A post-quantum key's size is its encoding's (1,952 bytes for ML-DSA-65).
            Some(name) => (
                name.to_owned(),
                None,
                u32::try_from(spki.subject_public_key.data.len() * 8).unwrap_or(0),
            ),
            None => (other.to_owned(), None, bits()),
        },
    };
    PublicKeyInfo {
        algorithm,
        bits,
        curve,
    }
}

/// The named-curve OID of an EC key (`None` for explicit parameters or a non-EC key).
pub(crate) fn named_curve_oid(spki: &SubjectPublicKeyInfo<'_>) -> Option<String> {
    spki.algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| crate::asn1::dotted(&o))
}

/// The name of a public-key algorithm OID (`RSA`, `EC`, `Ed25519`, …), or the OID itself.
pub fn key_algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => "RSA",
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        other => crate::post_quantum::name(other).unwrap_or(other),
    }
    .to_owned()
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        other => other,
    }
    .to_owned()
}

/// Names of the signature algorithms seen in the field; anything else is shown as its OID.
pub fn signature_algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        other => crate::post_quantum::name(other).unwrap_or(other),
    }
    .to_owned()
}

/// A serial number as `openssl x509 -serial` prints it: uppercase hex of the integer, without
/// the zero byte DER puts before a value whose high bit is set (one byte at least).
pub fn serial_hex(raw: &[u8]) -> String {
    let significant = raw
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(raw.len().saturating_sub(1));
    hex::upper(&raw[significant.min(raw.len())..])
}

#[cfg(test)]
mod tests {
    /// Regression: a serial whose first byte has its high bit set carries a 0x00 byte in DER;
    /// `openssl x509 -serial` (and so the CA's listing) leaves it out, and tlscope printed it
    /// (found by openssl_agreement, one run in two).
    #[test]
    fn serial_with_its_high_bit_set_prints_as_openssl_does() {
        assert_eq!(super::serial_hex(&[0x00, 0x8B, 0x0D]), "8B0D");
        assert_eq!(super::serial_hex(&[0x7F, 0x01]), "7F01");
        assert_eq!(super::serial_hex(&[0x00]), "00");
        assert_eq!(super::serial_hex(&[]), "");
    }

    use super::*;

    fn generated(sans: &[&str]) -> (Vec<u8>, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "svc.example.test");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Acme, Inc.");
        let cert = params.self_signed(&key).unwrap();
        (cert.der().to_vec(), key)
    }

    #[test]
    fn decodes_names_key_and_sans() {
        let (der, _) = generated(&["svc.example.test", "10.0.0.1"]);
        let c = Certificate::from_der(&der).unwrap();
        assert_eq!(c.version, 3);
        assert_eq!(c.subject.rfc4514, "O=Acme\\, Inc.,CN=svc.example.test");
        assert_eq!(c.subject.common_name(), Some("svc.example.test"));
        assert_eq!(
            c.subject_alt_names,
            vec![
                SubjectAltName::Dns("svc.example.test".into()),
                SubjectAltName::Ip("10.0.0.1".into())
            ]
        );
        assert_eq!(
            c.public_key,
            PublicKeyInfo {
                algorithm: "EC".into(),
                bits: 256,
                curve: Some("P-256".into())
            }
        );
        assert_eq!(c.signature_algorithm, "ecdsa-with-SHA256");
        assert!(c.self_issued);
        assert_eq!(c.fingerprint_sha256.len(), 32 * 3 - 1);
        assert_eq!(c.display_name(), "svc.example.test");
    }

    #[test]
    fn days_left_is_relative_to_now() {
        let (der, _) = generated(&["a.test"]);
        let c = Certificate::from_der(&der).unwrap();
        let na = c.validity.not_after;
        assert_eq!(
            c.validity
                .days_left(Timestamp::from_unix(na.unix() - 10 * Timestamp::DAY)),
            10
        );
        assert_eq!(
            c.validity.status(Timestamp::from_unix(na.unix() + 1)),
            ValidityStatus::Expired
        );
        assert_eq!(
            c.validity
                .status(Timestamp::from_unix(c.validity.not_before.unix() - 1)),
            ValidityStatus::NotYetValid
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let (mut der, _) = generated(&["a.test"]);
        der.push(0);
        let err = Certificate::from_der(&der).unwrap_err();
        assert_eq!(
            err,
            crate::asn1::DerError::TrailingBytes {
                what: "certificate",
                extra: 1
            }
        );
        assert_eq!(err.to_string(), "1 unexpected bytes after the certificate");
    }
}
