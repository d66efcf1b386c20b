//! Trust anchors: roots a user supplies, a tenant CA, or the Mozilla set (webpki-roots).
//! An anchor is a subject name and a public key; when it came from a certificate, the
//! certificate is kept so its own constraints (validity, basic constraints, name constraints)
//! are checked too.

use serde::{Deserialize, Serialize};
use x509_parser::prelude::*;

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

    /// The Mozilla anchors, parsed once per process (or page) and shared. A build without the
    /// `mozilla-roots` feature (the page, which fetches them) has what [`Self::install_mozilla`]
    /// was given, else none.
    pub fn mozilla_shared() -> &'static [Self] {
        #[cfg(feature = "mozilla-roots")]
        return MOZILLA.get_or_init(Self::mozilla);
        #[cfg(not(feature = "mozilla-roots"))]
        MOZILLA.get().map_or(&[], Vec::as_slice)
    }

    /// Supplies the Mozilla set to a build that does not carry it (the page fetches
    /// `mozilla-anchors.der`, see [`Self::from_compact`]). False when a set is already there.
    pub fn install_mozilla(anchors: Vec<Self>) -> bool {
        MOZILLA.set(anchors).is_ok()
    }

    /// Anchors in their compact form: each anchor's subject Name and SubjectPublicKeyInfo, both
    /// DER, one after the other. This is how the page carries the Mozilla set outside its code.
    pub fn to_compact(anchors: &[Self]) -> Vec<u8> {
        let mut out = Vec::new();
        for a in anchors {
            out.extend_from_slice(&a.subject);
            out.extend_from_slice(&a.spki);
        }
        out
    }

    /// Reads the compact form written by [`Self::to_compact`]; each anchor gets `origin`. The
    /// error says which byte did not hold what was expected.
    pub fn from_compact(bytes: &[u8], origin: AnchorOrigin) -> Result<Vec<Self>, CompactError> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let subject = compact_element(bytes, &mut pos, "a subject Name (SEQUENCE)")?;
            let (_, name) = X509Name::from_der(subject).map_err(|_| CompactError::Unexpected {
                offset: pos - subject.len(),
                expected: "a subject Name",
            })?;
            let readable = readable_name(&name);
            let spki = compact_element(bytes, &mut pos, "a SubjectPublicKeyInfo (SEQUENCE)")?;
            if SubjectPublicKeyInfo::from_der(spki).is_err() {
                return Err(CompactError::Unexpected {
                    offset: pos - spki.len(),
                    expected: "a SubjectPublicKeyInfo",
                });
            }
            out.push(Self {
                name: readable,
                subject: subject.to_vec(),
                spki: spki.to_vec(),
                certificate: None,
                origin,
                distrust_after: None,
            });
        }
        Ok(out)
    }

    /// The Mozilla root program's anchors (about 150), as shipped in webpki-roots.
    #[cfg(feature = "mozilla-roots")]
    pub fn mozilla() -> Vec<Self> {
        webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(|root| {
                // webpki-roots stores the *contents* of the Name and SPKI SEQUENCEs.
                let subject = crate::asn1::wrap_sequence(root.subject.as_ref());
                let name = X509Name::from_der(&subject)
                    .map(|(_, n)| readable_name(&n))
                    .unwrap_or_else(|_| "Mozilla root".to_owned());
                Self {
                    name,
                    subject,
                    spki: crate::asn1::wrap_sequence(root.subject_public_key_info.as_ref()),
                    certificate: None,
                    origin: AnchorOrigin::Mozilla,
                    distrust_after: None,
                }
            })
            .collect()
    }
}

/// The Mozilla set of this process or page: compiled in, or installed once fetched.
static MOZILLA: std::sync::OnceLock<Vec<TrustAnchor>> = std::sync::OnceLock::new();

/// Why a compact anchor set does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompactError {
    /// The DER framing is broken.
    #[error("anchor set: {0}")]
    Der(#[from] crate::asn1::Asn1Error),
    /// An element that is not what the form puts there.
    #[error("anchor set: byte offset {offset}: expected {expected}")]
    Unexpected {
        /// Where the element starts.
        offset: usize,
        /// What belongs there.
        expected: &'static str,
    },
}

/// The whole DER element at `*pos` (a SEQUENCE), moving `pos` past it.
fn compact_element<'b>(
    bytes: &'b [u8],
    pos: &mut usize,
    expected: &'static str,
) -> Result<&'b [u8], CompactError> {
    let rest = bytes.get(*pos..).unwrap_or_default();
    let header = crate::asn1::read_header(rest, *pos)?;
    let end = header.total_len();
    if rest.first() != Some(&0x30) {
        return Err(CompactError::Unexpected {
            offset: *pos,
            expected,
        });
    }
    let element = rest.get(..end).ok_or(CompactError::Unexpected {
        offset: *pos,
        expected,
    })?;
    *pos += end;
    Ok(element)
}

/// The subject CN, else the whole subject in RFC 4514 form.
pub(crate) fn readable_name(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
        // RFC 4514, as every other name tlscope shows (x509-parser's Display would link its
        // whole OID registry into the page).
        .unwrap_or_else(|| crate::certificate::DistinguishedName::from_x509(name).rfc4514)
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

    /// The set the page fetches, `web/mozilla-anchors.der`, is webpki-roots' set: regenerate it
    /// with `TLSCOPE_BLESS=1 cargo test -p tlscope-core mozilla` after a webpki-roots update.
    #[test]
    fn the_pages_anchor_file_is_the_mozilla_set() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/mozilla-anchors.der");
        let expected = TrustAnchor::to_compact(&TrustAnchor::mozilla());
        if std::env::var_os("TLSCOPE_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let file = std::fs::read(path).unwrap();
        assert!(
            file == expected,
            "{path} is not webpki-roots' set; run TLSCOPE_BLESS=1 cargo test -p tlscope-core mozilla"
        );
        let read = TrustAnchor::from_compact(&file, AnchorOrigin::Mozilla).unwrap();
        assert_eq!(read, TrustAnchor::mozilla());
    }

    #[test]
    fn a_broken_compact_set_says_where() {
        let good = TrustAnchor::to_compact(&TrustAnchor::mozilla()[..2]);
        assert_eq!(
            TrustAnchor::from_compact(&good, AnchorOrigin::Supplied)
                .unwrap()
                .len(),
            2
        );
        // Cut inside the second anchor's key.
        let cut = &good[..good.len() - 5];
        assert!(matches!(
            TrustAnchor::from_compact(cut, AnchorOrigin::Supplied),
            Err(CompactError::Der(_))
        ));
        // A subject where a key belongs.
        let first_subject_len = TrustAnchor::mozilla()[0].subject.len();
        let mut swapped = good[..first_subject_len].to_vec();
        swapped.extend_from_slice(&good[..first_subject_len]);
        let err = TrustAnchor::from_compact(&swapped, AnchorOrigin::Supplied).unwrap_err();
        assert_eq!(
            err,
            CompactError::Unexpected {
                offset: first_subject_len,
                expected: "a SubjectPublicKeyInfo"
            }
        );
        assert!(err.to_string().contains("byte offset"), "{err}");
        // Not DER at all.
        assert!(TrustAnchor::from_compact(b"hello", AnchorOrigin::Supplied).is_err());
        assert_eq!(
            TrustAnchor::from_compact(&[], AnchorOrigin::Supplied).unwrap(),
            vec![]
        );
    }

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
