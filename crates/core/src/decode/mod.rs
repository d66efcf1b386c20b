//! Turning arbitrary bytes into items — certificates, private-key summaries — or an error that
//! says what was expected and where (byte offset, line).
//!
//! Input may be PEM with any number of blocks and surrounding text, or raw DER. A damaged block
//! in a bundle does not hide the good ones: [`Decoded`] carries the items *and* the errors.

mod key;
mod pem;
mod pkcs7;
mod sniff;

use serde::Serialize;

use crate::asn1::{self, Asn1Error};
use crate::certificate::Certificate;
use crate::request::{CertificateRequest, Verify};
use crate::revocation_list::RevocationList;

pub use pem::{PemBlock, looks_like_pem, scan as scan_pem};

/// Everything found in one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decoded {
    /// What decoded, in input order.
    pub items: Vec<Item>,
    /// Blocks that did not decode, in input order; the items around them are still good.
    pub errors: Vec<DecodeError>,
}

/// Where in the input an item came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Byte offset of the item (the BEGIN line for PEM).
    pub offset: usize,
    /// 1-based line of the BEGIN line, for PEM.
    pub line: Option<usize>,
    /// The PEM label, or `DER`.
    pub label: String,
}

/// One thing recognised in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Item {
    /// An X.509 certificate.
    Certificate {
        /// Where it was.
        source: Source,
        /// Its details.
        certificate: Box<Certificate>,
    },
    /// A PKCS#10 certificate signing request.
    Request {
        /// Where it was.
        source: Source,
        /// Its details.
        request: Box<CertificateRequest>,
    },
    /// A certificate revocation list.
    RevocationList {
        /// Where it was.
        source: Source,
        /// Its details.
        crl: Box<RevocationList>,
    },
    /// Private key material: reported by type and size only, never kept or shown.
    PrivateKey {
        /// Where it was.
        source: Source,
        /// The kind of key container, e.g. `PKCS#8`, `OpenSSH`.
        format: String,
        /// Whether the key is encrypted at rest.
        encrypted: bool,
        /// `RSA`, `EC`, `Ed25519`, … when readable without decrypting.
        algorithm: Option<String>,
        /// Key size in bits, when readable without decrypting.
        bits: Option<u32>,
    },
}

impl Decoded {
    /// The certificates, in input order.
    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.items.iter().filter_map(|i| match i {
            Item::Certificate { certificate, .. } => Some(certificate.as_ref()),
            _ => None,
        })
    }

    /// The CRLs, in input order.
    pub fn revocation_lists(&self) -> impl Iterator<Item = &RevocationList> {
        self.items.iter().filter_map(|i| match i {
            Item::RevocationList { crl, .. } => Some(crl.as_ref()),
            _ => None,
        })
    }
}

/// Why input, or one block of it, could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DecodeError {
    /// Nothing at all.
    #[error("empty input: expected a PEM or DER certificate")]
    Empty,
    /// Text without any PEM block.
    #[error(
        "no PEM block found in {bytes} bytes of text: expected a line like -----BEGIN CERTIFICATE-----"
    )]
    NoPemBlock {
        /// Size of the text.
        bytes: usize,
    },
    /// A BEGIN line without its END line.
    #[error(
        "PEM block {label:?} starting at line {line} (byte offset {offset}) has no -----END {label}----- line"
    )]
    PemUnterminated {
        /// The block's label.
        label: String,
        /// Line of the BEGIN line.
        line: usize,
        /// Byte offset of the BEGIN line.
        offset: usize,
    },
    /// END label differs from BEGIN label.
    #[error(
        "PEM block {begin:?} ends with -----END {end}----- at line {line} (byte offset {offset}): expected -----END {begin}-----"
    )]
    PemMismatchedEnd {
        /// BEGIN label.
        begin: String,
        /// END label found.
        end: String,
        /// Line of the END line.
        line: usize,
        /// Byte offset of the END line.
        offset: usize,
    },
    /// The body is not base64.
    #[error(
        "PEM block {label:?} at line {line} (byte offset {offset}) is not valid base64: {detail}"
    )]
    PemBase64 {
        /// The block's label.
        label: String,
        /// Line of the BEGIN line.
        line: usize,
        /// Byte offset of the BEGIN line.
        offset: usize,
        /// What the base64 decoder said.
        detail: String,
    },
    /// A PEM label tlscope does not handle.
    #[error(
        "PEM block {label:?} at line {line} is not something tlscope reads: expected CERTIFICATE, PKCS7, CERTIFICATE REQUEST, X509 CRL or a private key"
    )]
    UnsupportedLabel {
        /// The block's label.
        label: String,
        /// Line of the BEGIN line.
        line: usize,
    },
    /// The bytes are not well-formed DER.
    #[error("{context}: {source}")]
    Der {
        /// Which input or block.
        context: String,
        /// What broke, with its offset.
        source: Asn1Error,
    },
    /// Well-formed DER that is not a certificate.
    #[error(
        "{context}: expected an X.509 certificate (SEQUENCE of tbsCertificate, signatureAlgorithm, signature): {detail}"
    )]
    NotACertificate {
        /// Which input or block.
        context: String,
        /// What the certificate parser said.
        detail: String,
    },
    /// Well-formed DER of another kind that does not decode as what it claims to be.
    #[error("{context}: expected {expected}: {detail}")]
    NotA {
        /// Which input or block.
        context: String,
        /// What it was expected to be.
        expected: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// A file of some other well-known type.
    #[error(
        "this is {format}, not a certificate: expected PEM text (-----BEGIN CERTIFICATE-----) or DER (certificate, PKCS#7, CSR, CRL)"
    )]
    ForeignFormat {
        /// What it looks like, e.g. "a JPEG image".
        format: &'static str,
    },
    /// A PKCS#12 / PFX archive.
    #[error(
        "this is a PKCS#12 (.p12/.pfx) archive, which is password-protected and holds a private key; extract the certificates with `openssl pkcs12 -in FILE -nokeys -out certs.pem` and drop certs.pem"
    )]
    Pkcs12,
    /// Binary that is neither DER nor anything recognised.
    #[error(
        "not a certificate: expected PEM text or DER starting with a SEQUENCE (0x30) at byte offset 0, found 0x{first:02x}"
    )]
    NotDer {
        /// The first byte.
        first: u8,
    },
}

/// Decodes `input`. `Err` when nothing in it could be decoded; otherwise the items plus an error
/// for every block that failed.
pub fn decode(input: &[u8]) -> Result<Decoded, DecodeError> {
    decode_with_progress(input, &mut |_, _| {})
}

/// [`decode`] without checking CSR signatures (each request says it was not checked): for a
/// reader that only shows what it decoded, such as the dashboard's page, whose judging worker
/// decodes the input again and checks them.
pub fn decode_unverified(input: &[u8]) -> Result<Decoded, DecodeError> {
    decode_as(input, None, &mut |_, _| {})
}

/// [`decode`], telling `progress(done, total)` after each PEM block (a large bundle in the
/// dashboard's worker shows how far it is). DER input is one step.
pub fn decode_with_progress(
    input: &[u8],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Decoded, DecodeError> {
    decode_as(input, Some(crate::signature::verify), progress)
}

fn decode_as(
    input: &[u8],
    verify: Option<Verify>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Decoded, DecodeError> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    if let Some(format) = sniff::foreign_format(input) {
        return Err(DecodeError::ForeignFormat { format });
    }
    if !is_whole_der(input) && looks_like_pem(input) {
        let mut decoded = Decoded {
            items: Vec::new(),
            errors: Vec::new(),
        };
        let blocks = scan_pem(input);
        let total = blocks.len();
        for (done, block) in blocks.into_iter().enumerate() {
            match block.and_then(|b| items_from_pem(b, verify)) {
                Ok(items) => decoded.items.extend(items),
                Err(e) => decoded.errors.push(e),
            }
            progress(done + 1, total);
        }
        return match (decoded.items.is_empty(), decoded.errors.first()) {
            (true, Some(first)) if decoded.errors.len() == 1 => Err(first.clone()),
            _ => Ok(decoded),
        };
    }
    let first = input.first().copied().unwrap_or_default();
    if first != 0x30 {
        if std::str::from_utf8(input).is_ok() {
            return Err(DecodeError::NoPemBlock { bytes: input.len() });
        }
        return Err(DecodeError::NotDer { first });
    }
    if sniff::is_pkcs12(input) {
        return Err(DecodeError::Pkcs12);
    }
    let source = Source {
        offset: 0,
        line: None,
        label: "DER".into(),
    };
    Ok(Decoded {
        items: der_items(input, &source, "DER input", verify)?,
        errors: Vec::new(),
    })
}

/// Binary that is exactly one DER SEQUENCE (a certificate, a CRL, …): no need to search it for
/// PEM markers. Text, even text that happens to start with `0`, is always searched.
fn is_whole_der(input: &[u8]) -> bool {
    input.first() == Some(&0x30)
        && !input.is_ascii()
        && asn1::read_header(input, 0).is_ok_and(|h| h.total_len() == input.len())
}

fn items_from_pem(block: PemBlock, verify: Option<Verify>) -> Result<Vec<Item>, DecodeError> {
    let source = Source {
        offset: block.offset,
        line: Some(block.line),
        label: block.label.clone(),
    };
    let context = format!("PEM block {:?} at line {}", block.label, block.line);
    let der = block.der.as_slice();
    let one = |item: Item| Ok(vec![item]);
    match block.label.as_str() {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            one(certificate_item(der, source, &context)?)
        }
        "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS" => pkcs7_items(der, &source, &context),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            let request = CertificateRequest::from_der_with(der, verify).map_err(|detail| {
                DecodeError::NotA {
                    context,
                    expected: "a PKCS#10 certificate request",
                    detail: detail.to_string(),
                }
            })?;
            one(Item::Request {
                source,
                request: Box::new(request),
            })
        }
        "X509 CRL" => {
            let crl = RevocationList::from_der(der).map_err(|detail| DecodeError::NotA {
                context,
                expected: "an X.509 CRL",
                detail: detail.to_string(),
            })?;
            one(Item::RevocationList {
                source,
                crl: Box::new(crl),
            })
        }
        "PRIVATE KEY" => one(private_key(source, "PKCS#8", false, key::pkcs8(der))),
        "ENCRYPTED PRIVATE KEY" => one(private_key(source, "PKCS#8", true, Default::default())),
        "RSA PRIVATE KEY" if block.has_headers => one(private_key(
            source,
            "PKCS#1 RSA",
            true,
            key::KeySummary {
                algorithm: Some("RSA".into()),
                bits: None,
            },
        )),
        "RSA PRIVATE KEY" => one(private_key(source, "PKCS#1 RSA", false, key::pkcs1(der))),
        "EC PRIVATE KEY" if block.has_headers => one(private_key(
            source,
            "SEC1 EC",
            true,
            key::KeySummary {
                algorithm: Some("EC".into()),
                bits: None,
            },
        )),
        "EC PRIVATE KEY" => one(private_key(source, "SEC1 EC", false, key::sec1(der))),
        "OPENSSH PRIVATE KEY" => {
            let (summary, encrypted) = key::openssh(der);
            one(private_key(source, "OpenSSH", encrypted, summary))
        }
        _ => Err(DecodeError::UnsupportedLabel {
            label: block.label,
            line: block.line,
        }),
    }
}

/// Whatever a DER blob is: a certificate, PKCS#7 bundle, CRL, CSR or private key.
fn der_items(
    der: &[u8],
    source: &Source,
    context: &str,
    verify: Option<Verify>,
) -> Result<Vec<Item>, DecodeError> {
    if pkcs7::is_signed_data(der) {
        return pkcs7_items(der, source, context);
    }
    let cert_error = match certificate_item(der, source.clone(), context) {
        Ok(item) => return Ok(vec![item]),
        Err(e) => e,
    };
    if let Ok(crl) = RevocationList::from_der(der) {
        return Ok(vec![Item::RevocationList {
            source: source.clone(),
            crl: Box::new(crl),
        }]);
    }
    if let Ok(request) = CertificateRequest::from_der_with(der, verify) {
        return Ok(vec![Item::Request {
            source: source.clone(),
            request: Box::new(request),
        }]);
    }
    if let Some(item) = der_private_key(der, source) {
        return Ok(vec![item]);
    }
    Err(cert_error)
}

/// PKCS#8, PKCS#1 or SEC1 keys in DER, told apart by their second element.
fn der_private_key(der: &[u8], source: &Source) -> Option<Item> {
    let (_, body) = asn1::content_of(der).ok()?;
    let items = asn1::elements(body, 0).ok()?;
    let (first, _) = items.first()?;
    let (second, _) = items.get(1)?;
    if first.number != 2 {
        return None; // keys start with a version INTEGER
    }
    let mut source = source.clone();
    source.label = "DER private key".into();
    match (second.number, items.len()) {
        (16, 3..=5) => Some(private_key(source, "PKCS#8", false, key::pkcs8(der))),
        (2, 9) => Some(private_key(source, "PKCS#1 RSA", false, key::pkcs1(der))),
        (4, 2..=4) => Some(private_key(source, "SEC1 EC", false, key::sec1(der))),
        _ => None,
    }
}

fn pkcs7_items(der: &[u8], source: &Source, context: &str) -> Result<Vec<Item>, DecodeError> {
    let certs = pkcs7::certificates(der).map_err(|source| DecodeError::Der {
        context: format!("{context} (PKCS#7)"),
        source,
    })?;
    if certs.is_empty() {
        return Err(DecodeError::NotA {
            context: context.to_owned(),
            expected: "a PKCS#7 bundle with certificates",
            detail: "the bundle holds no certificates".into(),
        });
    }
    certs
        .into_iter()
        .enumerate()
        .map(|(i, cert)| {
            let mut s = source.clone();
            s.label = format!("PKCS7 certificate {}", i + 1);
            certificate_item(cert, s, &format!("{context}, certificate {}", i + 1))
        })
        .collect()
}

fn private_key(source: Source, format: &str, encrypted: bool, summary: key::KeySummary) -> Item {
    Item::PrivateKey {
        source,
        format: format.to_owned(),
        encrypted,
        algorithm: summary.algorithm,
        bits: summary.bits,
    }
}

fn certificate_item(der: &[u8], source: Source, context: &str) -> Result<Item, DecodeError> {
    let header = asn1::read_header(der, 0).map_err(|source| DecodeError::Der {
        context: context.to_owned(),
        source,
    })?;
    // `TRUSTED CERTIFICATE` appends auxiliary trust data after the certificate itself.
    let der = der.get(..header.total_len()).unwrap_or(der);
    let certificate =
        Certificate::from_der(der).map_err(|detail| DecodeError::NotACertificate {
            context: context.to_owned(),
            detail: detail.to_string(),
        })?;
    Ok(Item::Certificate {
        source,
        certificate: Box::new(certificate),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace_are_empty() {
        assert_eq!(decode(b"").unwrap_err(), DecodeError::Empty);
        assert_eq!(decode(b" \n\t").unwrap_err(), DecodeError::Empty);
    }

    #[test]
    fn plain_text_says_a_pem_block_was_expected() {
        let e = decode(b"hello world").unwrap_err();
        assert!(e.to_string().contains("-----BEGIN CERTIFICATE-----"), "{e}");
    }

    #[test]
    fn binary_names_the_first_byte() {
        assert_eq!(
            decode(&[0x01, 0xff, 0xfe]).unwrap_err(),
            DecodeError::NotDer { first: 0x01 }
        );
    }

    #[test]
    fn truncated_der_reports_the_offset() {
        let e = decode(&[0x30, 0x82, 0x04, 0xb0, 0x30, 0x01]).unwrap_err();
        assert!(
            e.to_string()
                .contains("byte offset 0 declares 1200 content bytes"),
            "{e}"
        );
    }

    #[test]
    fn private_keys_are_reported_by_type_only() {
        let pem =
            b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBs=\n-----END PRIVATE KEY-----\n";
        let d = decode(pem).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert!(
            matches!(&d.items[0], Item::PrivateKey { format, encrypted: false, .. } if format == "PKCS#8")
        );
        assert!(
            !json.contains("MC4C"),
            "key material must never be serialised"
        );
    }
}
