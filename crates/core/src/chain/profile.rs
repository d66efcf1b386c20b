//! The certificate profile: what RFC 5280 (and the CA/Browser Forum baseline requirements
//! where they are stricter and universally enforced) require of one certificate on its own,
//! given the role it plays in a path. Each problem names the rule and the clause.

use std::collections::HashSet;

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::*;

use serde::{Deserialize, Serialize};

use super::names::{check_dns_name, check_email, ip_from_san};
use super::{Options, Purpose};
use crate::rules::RuleId;

/// The role a certificate plays in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The end entity (position 0).
    Leaf,
    /// A CA between the leaf and the anchor.
    Intermediate,
    /// The trust anchor's own certificate.
    Anchor,
}

/// A problem with one certificate: rule id and explanation.
pub type Problem = (RuleId, String);

const KNOWN_CRITICAL: &[&str] = &[
    "2.5.29.15", // keyUsage
    "2.5.29.17", // subjectAltName
    "2.5.29.19", // basicConstraints
    "2.5.29.30", // nameConstraints
    "2.5.29.32", // certificatePolicies
    "2.5.29.33", // policyMappings
    "2.5.29.36", // policyConstraints
    "2.5.29.37", // extKeyUsage
    "2.5.29.54", // inhibitAnyPolicy
];

/// Every profile problem of `cert` in `role`.
pub fn check(cert: &X509Certificate<'_>, role: Role, options: &Options) -> Vec<Problem> {
    let purpose = options.purpose;
    let mut out: Vec<Problem> = Vec::new();
    let mut p = |rule: RuleId, text: String| out.push((rule, text));
    let tbs = &cert.tbs_certificate;
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    let exts = cert.extensions();

    if role != Role::Anchor && cert.version() != X509Version::V3 {
        p(
            crate::rule!("CHAIN-PROFILE"),
            format!(
                "version {} certificate: only X.509 v3 can carry the extensions a verifier needs (RFC 5280 4.1.2.1)",
                cert.version().0 + 1
            ),
        );
    }
    if role != Role::Anchor {
        let serial = cert.raw_serial();
        if serial.len() > 20 {
            p(
                crate::rule!("CHAIN-PROFILE"),
                format!(
                    "the serial number is {} bytes; RFC 5280 4.1.2.2 allows at most 20",
                    serial.len()
                ),
            );
        } else if serial.first().is_some_and(|b| b & 0x80 != 0) {
            p(
                crate::rule!("CHAIN-PROFILE"),
                "the serial number is negative (RFC 5280 4.1.2.2 requires a positive integer)"
                    .into(),
            );
        } else if serial.iter().all(|b| *b == 0) {
            p(
                crate::rule!("CHAIN-PROFILE"),
                "the serial number is zero (RFC 5280 4.1.2.2 requires a positive integer)".into(),
            );
        }
    }
    if tbs.signature.algorithm != cert.signature_algorithm.algorithm
        || tbs.signature.parameters != cert.signature_algorithm.parameters
    {
        p(crate::rule!("CHAIN-PROFILE"), "the signature algorithm inside the signed part differs from the outer one (RFC 5280 4.1.1.2)".into());
    }
    if cert.issuer().iter_rdn().next().is_none() {
        p(
            crate::rule!("CHAIN-PROFILE"),
            "the issuer name is empty (RFC 5280 4.1.2.4)".into(),
        );
    }

    let mut seen = HashSet::new();
    for ext in exts {
        let oid = crate::asn1::dotted(&ext.oid);
        if !seen.insert(oid.clone()) {
            p(
                crate::rule!("CHAIN-PROFILE"),
                format!("extension {oid} appears more than once (RFC 5280 4.2)"),
            );
        }
        if let ParsedExtension::ParseError { error } = ext.parsed_extension() {
            p(
                crate::rule!("CHAIN-PROFILE"),
                format!("extension {oid} is malformed: {error}"),
            );
        }
        if ext.critical
            && ext.parsed_extension().unsupported()
            && !KNOWN_CRITICAL.contains(&oid.as_str())
        {
            p(
                crate::rule!("CHAIN-CRITICAL-EXTENSION"),
                format!(
                    "critical extension {oid} is not understood, so the certificate must be rejected (RFC 5280 4.2)"
                ),
            );
        }
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                if ext.critical {
                    p(crate::rule!("CHAIN-PROFILE"), "authorityKeyIdentifier is critical (RFC 5280 4.2.1.1: MUST be non-critical)".into());
                }
                if aki.key_identifier.is_none() {
                    p(crate::rule!("CHAIN-PROFILE"), "authorityKeyIdentifier has no keyIdentifier (RFC 5280 4.2.1.1, CABF BR 7.1.2)".into());
                }
                if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some() {
                    p(crate::rule!("CHAIN-PROFILE"), "authorityKeyIdentifier carries authorityCertIssuer/SerialNumber, which CABF BR 7.1.2 forbids".into());
                }
            }
            ParsedExtension::SubjectKeyIdentifier(_) if ext.critical => {
                p(
                    crate::rule!("CHAIN-PROFILE"),
                    "subjectKeyIdentifier is critical (RFC 5280 4.2.1.2: MUST be non-critical)"
                        .into(),
                );
            }
            ParsedExtension::AuthorityInfoAccess(_) if ext.critical => {
                p(
                    crate::rule!("CHAIN-PROFILE"),
                    "authorityInfoAccess is critical (RFC 5280 4.2.2.1: MUST be non-critical)"
                        .into(),
                );
            }
            ParsedExtension::PolicyConstraints(_) if !ext.critical => {
                p(
                    crate::rule!("CHAIN-PROFILE"),
                    "policyConstraints is not critical (RFC 5280 4.2.1.11: MUST be critical)"
                        .into(),
                );
            }
            ParsedExtension::NameConstraints(_) if !ext.critical => {
                p(
                    crate::rule!("CHAIN-NAME-CONSTRAINTS"),
                    "nameConstraints is not critical (RFC 5280 4.2.1.10: MUST be critical), so verifiers that ignore it and verifiers that enforce it disagree about this CA".into(),
                );
            }
            ParsedExtension::ExtendedKeyUsage(eku) if eku_is_empty(eku) => {
                p(
                    crate::rule!("CHAIN-EKU"),
                    "extKeyUsage lists no purposes (RFC 5280 4.2.1.12 requires at least one)"
                        .into(),
                );
            }
            _ => {}
        }
    }

    let aki = exts.iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(a) => Some(a),
        _ => None,
    });
    let ski = exts.iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
        _ => None,
    });
    // A trust anchor is trusted by configuration: even a cross-signed copy without AKI is fine.
    if aki.is_none() && !self_issued && role != Role::Anchor {
        p(crate::rule!("CHAIN-PROFILE"), "authorityKeyIdentifier is missing; RFC 5280 4.2.1.1 requires it in every certificate not self-signed".into());
    }
    // Only an anchor is known to be self-*signed*; a self-issued intermediate may be a key rollover.
    if let (Role::Anchor, true, Some(aki_id), Some(ski)) = (
        role,
        self_issued,
        aki.and_then(|a| a.key_identifier.as_ref()),
        ski,
    ) && aki_id.0 != ski
    {
        p(crate::rule!("CHAIN-PROFILE"), "self-signed certificate whose authorityKeyIdentifier differs from its own subjectKeyIdentifier".into());
    }

    let bc = cert.basic_constraints().ok().flatten();
    let is_ca = bc.as_ref().is_some_and(|b| b.value.ca);
    let ku = cert.key_usage().ok().flatten().map(|k| *k.value);
    if is_ca && ski.is_none() {
        p(crate::rule!("CHAIN-PROFILE"), "CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2: MUST be present in CA certificates)".into());
    }
    if let Some(ku) = &ku {
        if is_ca && !ku.key_cert_sign() {
            p(crate::rule!("CHAIN-KEY-USAGE"), "basicConstraints says CA but keyUsage lacks keyCertSign (RFC 5280 4.2.1.3, 4.2.1.9)".into());
        }
        if !is_ca && ku.key_cert_sign() {
            p(
                crate::rule!("CHAIN-KEY-USAGE"),
                "keyUsage has keyCertSign but basicConstraints does not say CA (RFC 5280 4.2.1.3)"
                    .into(),
            );
        }
    }

    let subject_empty = cert.subject().iter_rdn().next().is_none();
    let san_ext = exts
        .iter()
        .find(|e| crate::asn1::dotted(&e.oid) == "2.5.29.17");
    if is_ca && subject_empty {
        p(
            crate::rule!("CHAIN-PROFILE"),
            "CA certificate with an empty subject (RFC 5280 4.1.2.6)".into(),
        );
    }
    if subject_empty && !san_ext.is_some_and(|e| e.critical) {
        p(
            crate::rule!("CHAIN-PROFILE"),
            "empty subject without a critical subjectAltName (RFC 5280 4.1.2.6, 4.2.1.6)".into(),
        );
    }
    if let Some(ext) = san_ext {
        if ext.critical && !subject_empty {
            p(crate::rule!("CHAIN-PROFILE"), "subjectAltName is critical although the subject is not empty (RFC 5280 4.2.1.6, CABF BR 7.1.2.7.12)".into());
        }
        if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
            if san.general_names.is_empty() {
                p(
                    crate::rule!("CHAIN-PROFILE"),
                    "subjectAltName is present but empty (RFC 5280 4.2.1.6)".into(),
                );
            }
            if role == Role::Leaf {
                for problem in san_syntax(&san.general_names) {
                    p(crate::rule!("CHAIN-PROFILE"), problem);
                }
                if purpose == Purpose::ServerAuth
                    && let Some((rule, problem)) =
                        common_name_not_in_san(cert, &san.general_names, options.common_name)
                {
                    p(rule, problem);
                }
            }
        }
    }
    // CABF BR 7.1.2.7.8: a subscriber (TLS end-entity) certificate has cA=FALSE. A CA
    // certificate presented as the peer is refused, as rustls-webpki and browsers do.
    if role == Role::Leaf && is_ca && matches!(purpose, Purpose::ServerAuth | Purpose::ClientAuth) {
        p(
            crate::rule!("CHAIN-CA-AS-LEAF"),
            format!(
                "a CA certificate (basicConstraints cA=TRUE) is used as the end entity for {} (CABF BR 7.1.2.7.8)",
                purpose.label()
            ),
        );
    }
    if role == Role::Leaf
        && !is_ca
        && exts
            .iter()
            .any(|e| crate::asn1::dotted(&e.oid) == "2.5.29.30")
    {
        p(crate::rule!("CHAIN-NAME-CONSTRAINTS"), "an end-entity certificate carries nameConstraints, which only CA certificates may (RFC 5280 4.2.1.10)".into());
    }
    out
}

fn eku_is_empty(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> bool {
    !(eku.any
        || eku.server_auth
        || eku.client_auth
        || eku.code_signing
        || eku.email_protection
        || eku.time_stamping
        || eku.ocsp_signing)
        && eku.other.is_empty()
}

fn san_syntax(names: &[GeneralName<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        match name {
            GeneralName::DNSName(d) => {
                if let Err(e) = check_dns_name(d, true) {
                    out.push(format!("SAN DNS:{d} is not a valid host name: {e}"));
                }
            }
            GeneralName::IPAddress(b) if ip_from_san(b).is_none() => {
                out.push(format!(
                    "SAN iPAddress is {} bytes; an address is 4 or 16 bytes",
                    b.len()
                ));
            }
            GeneralName::RFC822Name(m) => {
                if let Err(e) = check_email(m) {
                    out.push(format!("SAN email {e}"));
                }
            }
            GeneralName::Invalid(tag, _) => {
                out.push(format!(
                    "a SAN entry with tag {tag} is not correctly encoded"
                ));
            }
            _ => {}
        }
    }
    out
}

/// How a subject CN that is none of the SAN entries is judged. Verifiers disagree: browsers,
/// OpenSSL, Go and rustls ignore the CN once a SAN is present, and BetterTLS expects such a
/// certificate to be accepted (for example CN `bad.example.com` with the only DNS SAN
/// `test.localhost`, in cases without any name constraint), while CABF BR 7.1.4.3 forbids
/// issuing it and x509-limbo's `webpki::cn::not-in-san` expects a rejection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommonNameCheck {
    /// A CN outside the SANs is a warning (CERT-CN-NOT-IN-SAN); the chain stays valid, as it is
    /// for every mainstream TLS client. A CN that *respells* a SAN entry is still refused.
    #[default]
    Warn,
    /// CABF BR 7.1.4.3 to the letter: a CN outside the SANs invalidates the chain.
    Refuse,
}

/// CABF BR 7.1.4.3: a subject CN, when present, repeats one SAN entry exactly (an IP in its
/// canonical text form). A CN that is another *spelling* of a SAN entry (case, IP notation,
/// Unicode instead of punycode) is refused: verifiers that still read the CN would disagree
/// with those that read the SAN. A CN that is simply none of the SANs is judged as `check`
/// says (a warning by default; see [`CommonNameCheck`]).
fn common_name_not_in_san(
    cert: &X509Certificate<'_>,
    sans: &[GeneralName<'_>],
    check: CommonNameCheck,
) -> Option<(RuleId, String)> {
    let cn = cert.subject().iter_common_name().next()?;
    let Ok(cn) = cn.as_str() else {
        return Some((
            crate::rule!("CHAIN-PROFILE"),
            "the subject CN is not a readable string".into(),
        ));
    };
    let exact = sans.iter().any(|n| match n {
        GeneralName::DNSName(d) => *d == cn,
        GeneralName::IPAddress(b) => ip_from_san(b).is_some_and(|ip| ip.to_string() == cn),
        _ => false,
    });
    if exact {
        return None;
    }
    // Another spelling of the same address: only an address equal to an IP SAN counts, so a CN
    // `1.1.1.1` beside the SAN `127.0.0.1` names a different host, it does not respell one.
    let same_address = legacy_ip(cn).is_some_and(|ip| {
        sans.iter()
            .any(|n| matches!(n, GeneralName::IPAddress(b) if ip_from_san(b) == Some(ip)))
    });
    let respelled = same_address
        || sans
            .iter()
            .any(|n| matches!(n, GeneralName::DNSName(d) if d.eq_ignore_ascii_case(cn)))
        || (!cn.is_ascii() && !sans.is_empty());
    if respelled {
        return Some((
            crate::rule!("CHAIN-PROFILE"),
            format!(
                "the subject CN {cn:?} spells a SAN entry differently (case, IP notation or Unicode instead of punycode); CABF BR 7.1.4.3 requires it exactly"
            ),
        ));
    }
    let text = format!("the subject CN {cn:?} is not one of the SAN entries (CABF BR 7.1.4.3)");
    Some(match check {
        CommonNameCheck::Warn => (crate::rule!("CERT-CN-NOT-IN-SAN"), text),
        CommonNameCheck::Refuse => (crate::rule!("CHAIN-PROFILE"), text),
    })
}

/// An IP address in any notation a legacy verifier reading the CN might accept: IPv6 in any
/// case or compression, IPv4 as `inet_aton` reads it (one to four parts, each decimal, `0x`
/// hexadecimal or `0`-prefixed octal: `0xC0A80101`, `192.168.001.001`, `127.1`).
fn legacy_ip(text: &str) -> Option<std::net::IpAddr> {
    if text.contains(':') {
        return text.parse::<std::net::Ipv6Addr>().ok().map(Into::into);
    }
    let parts: Vec<u64> = text
        .split('.')
        .map(|part| {
            let (digits, radix) =
                if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                    (hex, 16)
                } else if part.len() > 1 && part.starts_with('0') {
                    (&part[1..], 8)
                } else {
                    (part, 10)
                };
            if digits.is_empty() || digits.len() > 16 {
                return None;
            }
            u64::from_str_radix(digits, radix).ok()
        })
        .collect::<Option<_>>()?;
    let (last, head) = parts.split_last()?;
    if head.len() > 3 || head.iter().any(|p| *p > 255) {
        return None;
    }
    let room = 8 * (4 - head.len() as u32);
    if *last >= 1u64 << room {
        return None;
    }
    let value = head
        .iter()
        .enumerate()
        .fold(*last, |acc, (i, p)| acc | (p << (24 - 8 * i as u32)));
    u32::try_from(value)
        .ok()
        .map(|v| std::net::IpAddr::V4(v.into()))
}

#[cfg(test)]
mod tests {
    use super::legacy_ip;

    #[test]
    fn legacy_ip_notations_read_as_inet_aton_does() {
        for (text, ip) in [
            ("192.168.1.1", "192.168.1.1"),
            ("0xC0A80101", "192.168.1.1"),
            ("192.168.001.001", "192.168.1.1"),
            ("127.1", "127.0.0.1"),
            ("2130706433", "127.0.0.1"),
            ("2001:DB8::8A2E:370:7334", "2001:db8::8a2e:370:7334"),
        ] {
            assert_eq!(legacy_ip(text), ip.parse().ok(), "{text}");
        }
        for text in [
            "example.com",
            "256.1.1.1",
            "1.2.3.4.5",
            "08.1.1.1",
            "",
            "1..1",
        ] {
            assert_eq!(legacy_ip(text), None, "{text}");
        }
    }
}
