//! Trust anchors: roots a user supplies, a tenant CA, or the Mozilla set (webpki-roots).
//! An anchor is a subject name and a public key; when it came from a certificate, the
//! certificate is kept so its own constraints (validity, basic constraints, name constraints)
//! are checked too.

use serde::{Deserialize, Serialize};
use x509_parser::prelude::*;

use crate::asn1;

/// Where a trust anchor came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorOrigin {
    /// Supplied by the user (`--roots`, dropped in the dashboard).
    Supplied,
    /// The Mozilla root program: webpki-roots, or Mozilla's own certdata.txt.
    Mozilla,
    /// The operating system's store (`/etc/ssl/certs/ca-certificates.crt`, `SSL_CERT_FILE`).
    System,
}

impl AnchorOrigin {
    /// The store in words, as verdicts name it.
    pub fn store_name(self) -> &'static str {
        match self {
            Self::Supplied => "the supplied roots",
            Self::Mozilla => "the Mozilla root program",
            Self::System => "the system store",
        }
    }
}

/// One trust anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    /// How people name it (the subject CN, else the RFC 4514 subject).
    pub name: String,
    /// The subject Name, DER (SEQUENCE included).
    pub subject: Vec<u8>,
    /// The SubjectPublicKeyInfo, DER.
    pub spki: Vec<u8>,
    /// The certificate, when the anchor came from one.
    pub certificate: Option<Vec<u8>>,
    /// Where it came from.
    pub origin: AnchorOrigin,
    /// The root program's server-distrust-after date (Mozilla's CKA_NSS_SERVER_DISTRUST_AFTER):
    /// leaves issued (notBefore) after it are not trusted through this anchor.
    pub distrust_after: Option<crate::timestamp::Timestamp>,
}

impl TrustAnchor {
    /// An anchor from a DER certificate. The error says why the certificate does not parse.
    pub fn from_certificate(der: &[u8]) -> Result<Self, crate::asn1::DerError> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| crate::asn1::DerError::from_parser("certificate", &e))?;
        Ok(Self {
            name: readable_name(cert.subject()),
            subject: cert.subject().as_raw().to_vec(),
            spki: cert.public_key().raw.to_vec(),
            certificate: Some(der.to_vec()),
            origin: AnchorOrigin::Supplied,
            distrust_after: None,
        })
    }

    /// Whether the certificate `der` (with this subject and SubjectPublicKeyInfo, both DER) is
    /// this anchor: the same bytes, or, for an anchor known only by subject and key (the
    /// Mozilla set), the same subject and key.
    pub fn is_certificate(&self, der: &[u8], subject: &[u8], spki: &[u8]) -> bool {
        match &self.certificate {
            Some(own) => own.as_slice() == der,
            None => self.subject == subject && self.spki == spki,
        }
    }

    /// The Mozilla anchors, parsed once per process (or page) and shared.
    pub fn mozilla_shared() -> &'static [Self] {
        static MOZILLA: std::sync::OnceLock<Vec<TrustAnchor>> = std::sync::OnceLock::new();
        MOZILLA.get_or_init(Self::mozilla)
    }

    /// The Mozilla root program's anchors (about 150), as shipped in webpki-roots.
    pub fn mozilla() -> Vec<Self> {
        webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(|root| {
                // webpki-roots stores the *contents* of the Name and SPKI SEQUENCEs.
                let subject = asn1::wrap_sequence(root.subject.as_ref());
                let name = X509Name::from_der(&subject)
                    .map(|(_, n)| readable_name(&n))
                    .unwrap_or_else(|_| "Mozilla root".to_owned());
                Self {
                    name,
                    subject,
                    spki: asn1::wrap_sequence(root.subject_public_key_info.as_ref()),
                    certificate: None,
                    origin: AnchorOrigin::Mozilla,
                    distrust_after: None,
                }
            })
            .collect()
    }
}

/// The subject CN, else the whole subject in RFC 4514 form.
pub(crate) fn readable_name(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| name.to_string())
}

/// How people name a certificate: subject CN, else first DNS SAN, else the subject.
pub(crate) fn certificate_name(cert: &X509Certificate<'_>) -> String {
    let name = readable_name(cert.subject());
    if !name.is_empty() {
        return name;
    }
    cert.subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|san| {
            san.value.general_names.iter().find_map(|n| match n {
                x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
                _ => None,
            })
        })
        .unwrap_or_else(|| "(empty subject)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mozilla_anchors_parse() {
        let anchors = TrustAnchor::mozilla();
        assert!(anchors.len() > 100, "{}", anchors.len());
        for a in &anchors {
            assert!(X509Name::from_der(&a.subject).is_ok(), "{}", a.name);
            assert!(
                SubjectPublicKeyInfo::from_der(&a.spki).is_ok(),
                "{}",
                a.name
            );
        }
        assert!(anchors.iter().any(|a| a.name.contains("ISRG Root X1")));
    }
}
