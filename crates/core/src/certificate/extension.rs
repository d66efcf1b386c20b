//! Certificate extensions, decoded into plain data: SAN, key usage, EKU, basic and name
//! constraints, key identifiers, AIA, CRL distribution points, policies, SCTs. Anything else is
//! kept as OID + hex with its critical flag, so nothing in the certificate is hidden.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension, X509Extension};

use crate::asn1::hex;

/// One extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// Dotted OID (borrowed from the table of known OIDs when it is in it).
    pub oid: Cow<'static, str>,
    /// Readable name, or the OID again when unknown.
    pub name: Cow<'static, str>,
    /// The critical flag: a verifier that does not understand a critical extension must reject.
    pub critical: bool,
    /// The decoded value.
    pub value: ExtensionValue,
}

/// A subject (or issuer) alternative name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum SubjectAltName {
    /// dNSName.
    Dns(String),
    /// iPAddress, as text; a name-constraint range renders as `addr/prefix`.
    Ip(String),
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// directoryName, RFC 4514.
    DirectoryName(String),
    /// otherName, registeredID and the rest, described.
    Other(String),
}

/// A decoded extension value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ExtensionValue {
    /// Subject alternative names.
    SubjectAltName {
        /// The names.
        names: Vec<SubjectAltName>,
    },
    /// Key usage bits that are set.
    KeyUsage {
        /// e.g. `digitalSignature`, `keyCertSign`.
        usages: Vec<Cow<'static, str>>,
    },
    /// Extended key usage purposes.
    ExtendedKeyUsage {
        /// e.g. `serverAuth`, `clientAuth`, or dotted OIDs.
        purposes: Vec<Cow<'static, str>>,
    },
    /// Basic constraints.
    BasicConstraints {
        /// Whether this is a CA.
        ca: bool,
        /// Maximum number of intermediates below it.
        path_len: Option<u32>,
    },
    /// Subject key identifier.
    SubjectKeyIdentifier {
        /// Colon hex.
        key_id: String,
    },
    /// Authority key identifier.
    AuthorityKeyIdentifier {
        /// Colon hex, when present.
        key_id: Option<String>,
        /// Issuer serial, when present.
        serial: Option<String>,
    },
    /// Authority information access (OCSP responders, CA issuers).
    AuthorityInfoAccess {
        /// `(method, location)` pairs, e.g. `("OCSP", "http://…")`.
        entries: Vec<(String, String)>,
    },
    /// CRL distribution points.
    CrlDistributionPoints {
        /// The locations.
        points: Vec<String>,
    },
    /// Certificate policies.
    CertificatePolicies {
        /// Policy OIDs, named where well known.
        policies: Vec<String>,
    },
    /// Name constraints.
    NameConstraints {
        /// Permitted subtrees.
        permitted: Vec<SubjectAltName>,
        /// Excluded subtrees.
        excluded: Vec<SubjectAltName>,
    },
    /// Embedded Certificate Transparency SCTs.
    SignedCertificateTimestamps {
        /// How many.
        count: usize,
        /// Log IDs, base64-free colon hex prefix (first 8 bytes).
        logs: Vec<String>,
    },
    /// TLS Feature (RFC 7633): `status_request` is OCSP Must-Staple.
    TlsFeature {
        /// Feature names (`status_request`, `status_request_v2`) or their numbers.
        features: Vec<String>,
    },
    /// Known to exist, not decoded further.
    Raw {
        /// The extension value, hex.
        hex: String,
    },
    /// The extension did not parse.
    Malformed {
        /// What the parser said.
        error: String,
    },
}

impl Extension {
    pub(crate) fn from_x509(ext: &X509Extension<'_>) -> Self {
        // Known OIDs and names are borrowed: no allocation for the extensions nearly every
        // certificate carries.
        let oid = crate::asn1::dotted_cow(&ext.oid);
        let value = match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => ExtensionValue::SubjectAltName {
                names: san.general_names.iter().map(general_name).collect(),
            },
            ParsedExtension::KeyUsage(ku) => {
                let bits = [
                    (ku.digital_signature(), "digitalSignature"),
                    (ku.non_repudiation(), "nonRepudiation"),
                    (ku.key_encipherment(), "keyEncipherment"),
                    (ku.data_encipherment(), "dataEncipherment"),
                    (ku.key_agreement(), "keyAgreement"),
                    (ku.key_cert_sign(), "keyCertSign"),
                    (ku.crl_sign(), "cRLSign"),
                    (ku.encipher_only(), "encipherOnly"),
                    (ku.decipher_only(), "decipherOnly"),
                ];
                ExtensionValue::KeyUsage {
                    usages: bits
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, n)| Cow::Borrowed(*n))
                        .collect(),
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let mut purposes: Vec<Cow<'static, str>> = [
                    (eku.any, "anyExtendedKeyUsage"),
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                    (eku.code_signing, "codeSigning"),
                    (eku.email_protection, "emailProtection"),
                    (eku.time_stamping, "timeStamping"),
                    (eku.ocsp_signing, "OCSPSigning"),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, n)| Cow::Borrowed(*n))
                .collect();
                purposes.extend(eku.other.iter().map(crate::asn1::dotted_cow));
                ExtensionValue::ExtendedKeyUsage { purposes }
            }
            ParsedExtension::BasicConstraints(bc) => ExtensionValue::BasicConstraints {
                ca: bc.ca,
                path_len: bc.path_len_constraint,
            },
            ParsedExtension::SubjectKeyIdentifier(id) => ExtensionValue::SubjectKeyIdentifier {
                key_id: hex::colon(id.0),
            },
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                ExtensionValue::AuthorityKeyIdentifier {
                    key_id: aki.key_identifier.as_ref().map(|k| hex::colon(k.0)),
                    serial: aki.authority_cert_serial.map(hex::upper),
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => ExtensionValue::AuthorityInfoAccess {
                entries: aia
                    .accessdescs
                    .iter()
                    .map(|d| {
                        let method = match crate::asn1::dotted(&d.access_method).as_str() {
                            "1.3.6.1.5.5.7.48.1" => "OCSP".to_owned(),
                            "1.3.6.1.5.5.7.48.2" => "CA Issuers".to_owned(),
                            other => other.to_owned(),
                        };
                        (method, general_name_text(&d.access_location))
                    })
                    .collect(),
            },
            ParsedExtension::CRLDistributionPoints(points) => {
                ExtensionValue::CrlDistributionPoints {
                    points: points
                        .points
                        .iter()
                        .flat_map(|p| match &p.distribution_point {
                            Some(DistributionPointName::FullName(names)) => {
                                names.iter().map(general_name_text).collect()
                            }
                            Some(DistributionPointName::NameRelativeToCRLIssuer(_)) => {
                                vec!["(relative to CRL issuer)".to_owned()]
                            }
                            None => Vec::new(),
                        })
                        .collect(),
                }
            }
            ParsedExtension::CertificatePolicies(policies) => ExtensionValue::CertificatePolicies {
                policies: policies
                    .iter()
                    .map(|p| policy_name(&crate::asn1::dotted(&p.policy_id)))
                    .collect(),
            },
            ParsedExtension::NameConstraints(nc) => ExtensionValue::NameConstraints {
                permitted: nc
                    .permitted_subtrees
                    .iter()
                    .flatten()
                    .map(|s| subtree(&s.base))
                    .collect(),
                excluded: nc
                    .excluded_subtrees
                    .iter()
                    .flatten()
                    .map(|s| subtree(&s.base))
                    .collect(),
            },
            ParsedExtension::SCT(scts) => ExtensionValue::SignedCertificateTimestamps {
                count: scts.len(),
                logs: scts
                    .iter()
                    .map(|s| hex::colon(s.id.key_id.get(..8).unwrap_or(&s.id.key_id[..])))
                    .collect(),
            },
            ParsedExtension::ParseError { error } => ExtensionValue::Malformed {
                error: error.to_string(),
            },
            _ if oid == TLS_FEATURE => tls_feature(ext.value),
            _ => ExtensionValue::Raw {
                hex: hex::upper(ext.value),
            },
        };
        Self {
            name: extension_name(&oid).map_or_else(|| oid.clone(), Cow::Borrowed),
            oid,
            critical: ext.critical,
            value,
        }
    }
}

/// The TLS Feature extension (RFC 7633).
pub const TLS_FEATURE: &str = "1.3.6.1.5.5.7.1.24";

/// `Features ::= SEQUENCE OF INTEGER`; 5 is status_request (Must-Staple), 17 status_request_v2.
fn tls_feature(value: &[u8]) -> ExtensionValue {
    let malformed = |why: &str| ExtensionValue::Malformed {
        error: format!("TLS Feature: expected a SEQUENCE OF INTEGER, {why}"),
    };
    let Ok((rest, seq)) = der_parser::parse_der(value) else {
        return malformed("found no DER value");
    };
    if !rest.is_empty() {
        return malformed("found bytes after it");
    }
    let Ok(items) = seq.as_sequence() else {
        return malformed("found another type");
    };
    let mut features = Vec::new();
    for item in items {
        match item.as_u32() {
            Ok(5) => features.push("status_request".to_owned()),
            Ok(17) => features.push("status_request_v2".to_owned()),
            Ok(n) => features.push(n.to_string()),
            Err(_) => return malformed("found an element that is not a small INTEGER"),
        }
    }
    ExtensionValue::TlsFeature { features }
}

/// Names of the extensions seen in the field.
pub fn extension_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.29.14" => "Subject Key Identifier",
        "2.5.29.15" => "Key Usage",
        "2.5.29.17" => "Subject Alternative Name",
        "2.5.29.18" => "Issuer Alternative Name",
        "2.5.29.19" => "Basic Constraints",
        "2.5.29.30" => "Name Constraints",
        "2.5.29.31" => "CRL Distribution Points",
        "2.5.29.32" => "Certificate Policies",
        "2.5.29.33" => "Policy Mappings",
        "2.5.29.35" => "Authority Key Identifier",
        "2.5.29.36" => "Policy Constraints",
        "2.5.29.37" => "Extended Key Usage",
        "2.5.29.54" => "Inhibit anyPolicy",
        "1.3.6.1.5.5.7.1.1" => "Authority Information Access",
        "1.3.6.1.5.5.7.1.24" => "TLS Feature (OCSP Must-Staple)",
        "1.3.6.1.4.1.11129.2.4.2" => "CT Precertificate SCTs",
        "1.3.6.1.4.1.11129.2.4.3" => "CT Precertificate Poison",
        _ => return None,
    })
}

fn policy_name(oid: &str) -> String {
    match oid {
        "2.23.140.1.2.1" => "2.23.140.1.2.1 (CA/B domain validated)".to_owned(),
        "2.23.140.1.2.2" => "2.23.140.1.2.2 (CA/B organization validated)".to_owned(),
        "2.23.140.1.2.3" => "2.23.140.1.2.3 (CA/B individual validated)".to_owned(),
        "2.23.140.1.1" => "2.23.140.1.1 (CA/B extended validation)".to_owned(),
        "2.5.29.32.0" => "2.5.29.32.0 (anyPolicy)".to_owned(),
        other => other.to_owned(),
    }
}

pub(crate) fn general_name(name: &GeneralName<'_>) -> SubjectAltName {
    match name {
        GeneralName::DNSName(d) => SubjectAltName::Dns((*d).to_owned()),
        GeneralName::RFC822Name(e) => SubjectAltName::Email((*e).to_owned()),
        GeneralName::URI(u) => SubjectAltName::Uri((*u).to_owned()),
        GeneralName::IPAddress(bytes) => SubjectAltName::Ip(ip_text(bytes)),
        GeneralName::DirectoryName(n) => {
            SubjectAltName::DirectoryName(super::DistinguishedName::from_x509(n).rfc4514)
        }
        GeneralName::RegisteredID(oid) => {
            SubjectAltName::Other(format!("registeredID {}", crate::asn1::dotted(oid)))
        }
        GeneralName::OtherName(oid, _) => {
            SubjectAltName::Other(format!("otherName {}", crate::asn1::dotted(oid)))
        }
        GeneralName::X400Address(_) => SubjectAltName::Other("x400Address".to_owned()),
        GeneralName::EDIPartyName(_) => SubjectAltName::Other("ediPartyName".to_owned()),
        GeneralName::Invalid(tag, bytes) => {
            SubjectAltName::Other(format!("invalid [{}] {}", tag.0, hex::upper(bytes)))
        }
    }
}

fn subtree(name: &GeneralName<'_>) -> SubjectAltName {
    // In name constraints an iPAddress is address + mask.
    if let GeneralName::IPAddress(bytes) = name {
        let half = bytes.len() / 2;
        if bytes.len() == 8 || bytes.len() == 32 {
            let (addr, mask) = bytes.split_at(half);
            let prefix: u32 = mask.iter().map(|b| b.count_ones()).sum();
            return SubjectAltName::Ip(format!("{}/{prefix}", ip_text(addr)));
        }
    }
    general_name(name)
}

fn general_name_text(name: &GeneralName<'_>) -> String {
    match general_name(name) {
        SubjectAltName::Dns(s)
        | SubjectAltName::Ip(s)
        | SubjectAltName::Email(s)
        | SubjectAltName::Uri(s)
        | SubjectAltName::DirectoryName(s)
        | SubjectAltName::Other(s) => s,
    }
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => {
            let mut a = [0u8; 4];
            a.copy_from_slice(bytes);
            Ipv4Addr::from(a).to_string()
        }
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            Ipv6Addr::from(a).to_string()
        }
        _ => format!("invalid IP ({})", hex::upper(bytes)),
    }
}
