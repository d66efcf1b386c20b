//! The checks of one certificate in a path, under its position: validity, CA constraints
//! (basic constraints, key usage, path length), extended key usage for the purpose, the leaf's
//! names and profile, and key hygiene. Path building (in `mod.rs`) calls them for each link.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::*;

use super::profile::Role;
use super::{Entry, Options, PeerName, Purpose, dns_matches, names};
use crate::rules::RuleId;
use crate::timestamp::Timestamp;

/// The certificate's SAN entries (empty when the extension is absent or unreadable).
pub(super) fn subject_alt_names<'a>(cert: &X509Certificate<'a>) -> Vec<GeneralName<'a>> {
    cert.subject_alternative_name()
        .ok()
        .flatten()
        .map(|s| s.value.general_names.clone())
        .unwrap_or_default()
}

pub(super) fn validity(
    cert: &X509Certificate<'_>,
    now: Timestamp,
    push: &mut impl FnMut(RuleId, String),
) {
    let not_before = Timestamp::from_unix(cert.validity().not_before.timestamp());
    let not_after = Timestamp::from_unix(cert.validity().not_after.timestamp());
    if now < not_before {
        push(
            crate::rule!("CERT-NOT-YET-VALID"),
            format!("valid only from {not_before}; the validation time is {now}"),
        );
    }
    if now > not_after {
        push(
            crate::rule!("CERT-EXPIRED"),
            format!("expired at {not_after}; the validation time is {now}"),
        );
    }
}

/// What a certificate acting as a CA (position `pos` ≥ 1) must satisfy.
pub(super) fn ca_checks(
    cert: &X509Certificate<'_>,
    pos: usize,
    path: &[usize],
    pool: &[Entry<'_>],
    push: &mut impl FnMut(RuleId, String),
) {
    match cert.basic_constraints() {
        Ok(Some(bc)) => {
            if !bc.value.ca {
                push(crate::rule!("CHAIN-NOT-A-CA"), "it signs another certificate but basicConstraints says cA=FALSE (RFC 5280 6.1.4(k))".into());
            }
            if !bc.critical {
                push(crate::rule!("CHAIN-NOT-A-CA"), "basicConstraints is not critical in a CA certificate (RFC 5280 4.2.1.9: MUST be critical)".into());
            }
            if let (true, Some(max)) = (bc.value.ca, bc.value.path_len_constraint) {
                let below = path
                    .iter()
                    .take(pos)
                    .skip(1)
                    .filter(|&&i| !pool[i].self_issued)
                    .count();
                if below > max as usize {
                    push(
                        crate::rule!("CHAIN-PATH-LEN"),
                        format!("pathLenConstraint {max} allows {max} intermediate(s) below it, but the path has {below}"),
                    );
                }
            }
        }
        Ok(None) => push(crate::rule!("CHAIN-NOT-A-CA"), "it signs another certificate but has no basicConstraints extension (RFC 5280 6.1.4(k))".into()),
        Err(e) => push(crate::rule!("CHAIN-NOT-A-CA"), format!("basicConstraints is unreadable: {e}")),
    }
    if let Ok(Some(ku)) = cert.key_usage()
        && !ku.value.key_cert_sign()
    {
        push(
            crate::rule!("CHAIN-KEY-USAGE"),
            "it signs another certificate but keyUsage lacks keyCertSign (RFC 5280 6.1.4(n))"
                .into(),
        );
    }
}

pub(super) fn eku_checks(
    cert: &X509Certificate<'_>,
    role: Role,
    options: &Options,
    push: &mut impl FnMut(RuleId, String),
) {
    let purpose = options.purpose;
    let Ok(Some(eku)) = cert.extended_key_usage() else {
        return;
    };
    let e = &eku.value;
    if role == Role::Leaf {
        let listed = eku_oids(e);
        for wanted in &options.leaf_ekus {
            if !listed.iter().any(|l| l == wanted) {
                push(
                    crate::rule!("CHAIN-EKU"),
                    format!(
                        "the certificate's extKeyUsage does not include {}, which this use requires",
                        eku_name(wanted).unwrap_or(wanted)
                    ),
                );
            }
        }
    }
    let allowed = match purpose {
        Purpose::ServerAuth => e.server_auth,
        Purpose::ClientAuth => e.client_auth,
        Purpose::Any => true,
    };
    // anyExtendedKeyUsage satisfies a CA's EKU; in a leaf it is not a TLS purpose (CABF).
    let any_ok = e.any && role != Role::Leaf;
    if !allowed && !any_ok && role != Role::Anchor {
        let what = if role == Role::Leaf {
            "the certificate's extKeyUsage does not include"
        } else {
            "this CA's extKeyUsage restricts what it may issue and does not include"
        };
        push(
            crate::rule!("CHAIN-EKU"),
            format!("{what} {}", purpose.label()),
        );
    }
}

/// Extended key usages by name (RFC 5280 4.2.1.12) and OID, as `--eku` takes them.
pub const EKU_NAMES: &[(&str, &str)] = &[
    ("serverAuth", "1.3.6.1.5.5.7.3.1"),
    ("clientAuth", "1.3.6.1.5.5.7.3.2"),
    ("codeSigning", "1.3.6.1.5.5.7.3.3"),
    ("emailProtection", "1.3.6.1.5.5.7.3.4"),
    ("timeStamping", "1.3.6.1.5.5.7.3.8"),
    ("OCSPSigning", "1.3.6.1.5.5.7.3.9"),
    ("anyExtendedKeyUsage", "2.5.29.37.0"),
];

/// The OID of an extended key usage given by name or as a dotted OID; `None` for neither.
pub fn eku_oid(text: &str) -> Option<String> {
    if let Some((_, oid)) = EKU_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Some((*oid).to_owned());
    }
    let arcs: Vec<&str> = text.split('.').collect();
    (arcs.len() >= 2
        && arcs
            .iter()
            .all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit())))
    .then(|| text.to_owned())
}

pub(super) fn eku_name(oid: &str) -> Option<&'static str> {
    EKU_NAMES.iter().find(|(_, o)| *o == oid).map(|(n, _)| *n)
}

pub(super) fn eku_oids(e: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut out: Vec<String> = [
        (e.server_auth, "1.3.6.1.5.5.7.3.1"),
        (e.client_auth, "1.3.6.1.5.5.7.3.2"),
        (e.code_signing, "1.3.6.1.5.5.7.3.3"),
        (e.email_protection, "1.3.6.1.5.5.7.3.4"),
        (e.time_stamping, "1.3.6.1.5.5.7.3.8"),
        (e.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
        (e.any, "2.5.29.37.0"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, oid)| oid.to_owned())
    .collect();
    out.extend(e.other.iter().map(|o| crate::asn1::dotted(o)));
    out
}

pub(super) fn leaf_checks(
    cert: &X509Certificate<'_>,
    options: &Options,
    push: &mut impl FnMut(RuleId, String),
) {
    if let Ok(Some(ku)) = cert.key_usage() {
        for wanted in &options.leaf_key_usage {
            let ok = match wanted.as_str() {
                "digitalSignature" => ku.value.digital_signature(),
                "keyEncipherment" => ku.value.key_encipherment(),
                "keyAgreement" => ku.value.key_agreement(),
                _ => true,
            };
            if !ok {
                push(
                    crate::rule!("CHAIN-KEY-USAGE"),
                    format!("keyUsage lacks {wanted}, which this use requires"),
                );
            }
        }
    }
    if options.peer_names.is_empty() {
        return;
    }
    let sans = subject_alt_names(cert);
    for wanted in &options.peer_names {
        let matched = sans.iter().any(|san| match (san, wanted) {
            (GeneralName::DNSName(d), PeerName::Dns(h)) => dns_matches(d, h),
            (GeneralName::IPAddress(b), PeerName::Ip(ip)) => names::ip_from_san(b) == Some(*ip),
            (GeneralName::RFC822Name(m), PeerName::Email(e)) => names::email_matches(m, e),
            _ => false,
        });
        if !matched {
            let listed: Vec<String> = sans
                .iter()
                .filter_map(|s| match s {
                    GeneralName::DNSName(d) => Some(format!("DNS:{d}")),
                    GeneralName::IPAddress(b) => names::ip_from_san(b).map(|ip| format!("IP:{ip}")),
                    GeneralName::RFC822Name(m) => Some(format!("email:{m}")),
                    _ => None,
                })
                .collect();
            let text = if sans.is_empty() {
                format!(
                    "{wanted} cannot match: the certificate has no subjectAltName, and clients ignore the subject CN (RFC 6125 6.4.4)"
                )
            } else {
                format!(
                    "{wanted} matches none of the certificate's names: {}",
                    listed.join(", ")
                )
            };
            push(crate::rule!("HOST-MISMATCH"), text);
        }
    }
}

/// Keys a verifier refuses: too small, odd sizes, curves outside P-256/384/521, DSA.
pub(super) fn key_problems(
    spki: &SubjectPublicKeyInfo<'_>,
    role: Role,
    rsa_min_bits: u32,
) -> Vec<(RuleId, String)> {
    let whose = if role == Role::Leaf {
        "its"
    } else {
        "the issuing"
    };
    let mut out = Vec::new();
    match crate::asn1::dotted(&spki.algorithm.algorithm).as_str() {
        "1.2.840.113549.1.1.1" => {
            if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = spki.parsed() {
                let bits = crate::asn1::bit_length(rsa.modulus).unwrap_or(0);
                if bits < rsa_min_bits {
                    out.push((
                        crate::rule!("CHAIN-KEY-REJECTED"),
                        format!(
                            "{whose} RSA key is {bits} bits; the policy requires at least {rsa_min_bits}"
                        ),
                    ));
                } else if !bits.is_multiple_of(8) {
                    out.push((
                        crate::rule!("CHAIN-KEY-REJECTED"),
                        format!("{whose} RSA key is {bits} bits, not a whole number of bytes"),
                    ));
                }
            }
        }
        "1.2.840.10045.2.1" => match crate::certificate::named_curve_oid(spki).as_deref() {
            Some("1.2.840.10045.3.1.7" | "1.3.132.0.34" | "1.3.132.0.35") => {}
            Some(other) => out.push((
                crate::rule!("CHAIN-KEY-REJECTED"),
                format!(
                    "{whose} EC key is on curve {other}; only P-256, P-384 and P-521 are accepted"
                ),
            )),
            None => out.push((
                crate::rule!("CHAIN-KEY-REJECTED"),
                format!("{whose} EC key uses explicit curve parameters, which RFC 5480 forbids"),
            )),
        },
        "1.3.101.112" => {}
        oid if crate::post_quantum::algorithm(oid).is_some() => {
            if let Some(a) = crate::post_quantum::algorithm(oid)
                && spki.subject_public_key.data.len() != a.key_bytes
            {
                out.push((
                    crate::rule!("CHAIN-KEY-REJECTED"),
                    format!(
                        "{whose} {} key is {} bytes; FIPS 204/205 define {}",
                        a.name,
                        spki.subject_public_key.data.len(),
                        a.key_bytes
                    ),
                ));
            }
        }
        "1.2.840.10040.4.1" => out.push((
            crate::rule!("CHAIN-KEY-REJECTED"),
            format!("{whose} key is DSA, which is not accepted"),
        )),
        other => out.push((
            crate::rule!("CHAIN-KEY-REJECTED"),
            format!(
                "{whose} key algorithm {} is not accepted",
                crate::certificate::key_algorithm_name(other)
            ),
        )),
    }
    out
}
