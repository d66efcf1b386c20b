//! Turning arbitrary bytes into items — certificates, private-key summaries — or an error that
//! says what was expected and where (byte offset, line).
//!
//! Input may be PEM with any number of blocks and surrounding text, or raw DER. A damaged block
//! in a bundle does not hide the good ones: [`Decoded`] carries the items *and* the errors.

mod pem;
mod sniff;

use serde::Serialize;

use crate::asn1::{self, Asn1Error};
use crate::certificate::Certificate;

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
    /// Private key material: reported by type only, never kept or shown.
    PrivateKey {
        /// Where it was.
        source: Source,
        /// The kind of key container, e.g. `PKCS#8`, `OpenSSH`.
        format: String,
        /// Whether the key is encrypted at rest.
        encrypted: bool,
    },
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
    #[error("PEM block {label:?} at line {line} is not a certificate or key: expected CERTIFICATE")]
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
    /// A file of some other well-known type.
    #[error(
        "this is {format}, not a certificate: expected PEM text (-----BEGIN CERTIFICATE-----) or DER"
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
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    if let Some(format) = sniff::foreign_format(input) {
        return Err(DecodeError::ForeignFormat { format });
    }
    if looks_like_pem(input) {
        let mut decoded = Decoded {
            items: Vec::new(),
            errors: Vec::new(),
        };
        for block in scan_pem(input) {
            match block.and_then(item_from_pem) {
                Ok(item) => decoded.items.push(item),
                Err(e) => decoded.errors.push(e),
            }
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
    let item = certificate_item(input, source, "DER input")?;
    Ok(Decoded {
        items: vec![item],
        errors: Vec::new(),
    })
}

fn item_from_pem(block: PemBlock) -> Result<Item, DecodeError> {
    let source = Source {
        offset: block.offset,
        line: Some(block.line),
        label: block.label.clone(),
    };
    let context = format!("PEM block {:?} at line {}", block.label, block.line);
    match block.label.as_str() {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            certificate_item(&block.der, source, &context)
        }
        "PRIVATE KEY" => Ok(private_key(source, "PKCS#8", false)),
        "ENCRYPTED PRIVATE KEY" => Ok(private_key(source, "PKCS#8", true)),
        "RSA PRIVATE KEY" => Ok(private_key(source, "PKCS#1 RSA", block.has_headers)),
        "EC PRIVATE KEY" => Ok(private_key(source, "SEC1 EC", block.has_headers)),
        "OPENSSH PRIVATE KEY" => Ok(private_key(source, "OpenSSH", false)),
        _ => Err(DecodeError::UnsupportedLabel {
            label: block.label,
            line: block.line,
        }),
    }
}

fn private_key(source: Source, format: &str, encrypted: bool) -> Item {
    Item::PrivateKey {
        source,
        format: format.to_owned(),
        encrypted,
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
            detail,
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
