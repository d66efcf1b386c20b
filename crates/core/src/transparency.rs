//! Certificate Transparency (RFC 6962): the SCTs embedded in a certificate, each decoded (log
//! id, time, signature) and verified against a log list the user gives in Chrome's JSON format
//! (`log_list.json`, v3: operators → logs with base64 `log_id` and DER `key`), and Chrome's CT
//! policy judged on them: at least two SCTs (three for certificates valid more than 180 days)
//! from logs of at least two distinct operators. An SCT is evidence only when its signature
//! verifies: over the precertificate entry (issuer key hash and the TBS without the SCT list).

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use x509_parser::prelude::*;

use crate::timestamp::Timestamp;

/// The embedded SCT list extension.
pub const SCT_LIST_OID: &str = "1.3.6.1.4.1.11129.2.4.2";

/// One embedded SCT, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sct {
    /// SCT version (0 is v1).
    pub version: u8,
    /// The log's id (SHA-256 of its key), base64 as log lists write it.
    pub log_id: String,
    /// When the log promised to include the certificate.
    pub timestamp: Timestamp,
    /// The signature algorithm, e.g. `ecdsa-sha256`, `rsa-sha256`.
    pub signature_algorithm: String,
    /// Signature length in bytes.
    pub signature_bytes: usize,
    /// The verdict against the log list, when one was given.
    pub status: SctStatus,
    /// The log's description and operator, when the list names it.
    pub log: Option<String>,
    /// The log's operator, when the list names it.
    pub operator: Option<String>,
}

/// What checking one SCT found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "detail")]
pub enum SctStatus {
    /// No log list was given: decoded, not checked.
    Unchecked,
    /// The signature verifies with the log's key.
    Verified,
    /// The log is not in the list.
    UnknownLog,
    /// The signature does not verify (or could not be checked: the issuer is missing).
    Invalid(String),
    /// The signature verifies, but Chrome does not count it: the log is pending or rejected,
    /// was retired before the SCT, or does not accept certificates expiring when this one does.
    NotCounted(String),
}

/// A log list in Chrome's v3 format; only what judging needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LogList {
    /// The log operators.
    pub operators: Vec<Operator>,
}

/// One log operator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Operator {
    /// Its name, e.g. `Google`.
    pub name: String,
    /// Its RFC 6962 logs.
    #[serde(default)]
    pub logs: Vec<Log>,
    /// Its static-CT (tiled) logs; SCTs from them are the same.
    #[serde(default)]
    pub tiled_logs: Vec<Log>,
}

/// One log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Log {
    /// Its description.
    pub description: String,
    /// SHA-256 of its key, base64.
    pub log_id: String,
    /// Its public key, DER SubjectPublicKeyInfo, base64.
    pub key: String,
    /// Its state in the list: `{"usable": {"timestamp": …}}`, `retired`, `rejected`, …
    #[serde(default)]
    pub state: Option<std::collections::BTreeMap<String, StateSince>>,
    /// The notAfter range the log accepts (sharded logs).
    #[serde(default)]
    pub temporal_interval: Option<TemporalInterval>,
}

/// When a log entered its state.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StateSince {
    /// RFC 3339.
    pub timestamp: String,
}

/// The notAfter range a sharded log accepts: `[start_inclusive, end_exclusive)`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemporalInterval {
    /// RFC 3339.
    pub start_inclusive: String,
    /// RFC 3339.
    pub end_exclusive: String,
}

impl Log {
    /// Why Chrome would not count a verified SCT from this log made at `at` for a certificate
    /// expiring at `not_after`; `None` when it counts.
    fn not_counted(&self, at: Timestamp, not_after: Timestamp) -> Option<String> {
        let parse = |t: &str| Timestamp::parse_rfc3339(t).ok();
        if let Some((state, since)) = self.state.as_ref().and_then(|m| m.iter().next()) {
            match state.as_str() {
                "pending" | "rejected" => {
                    return Some(format!("the log is {state} in the list"));
                }
                "retired" if parse(&since.timestamp).is_some_and(|r| at >= r) => {
                    return Some(format!(
                        "the log was retired at {} and the SCT is from {at}",
                        since.timestamp
                    ));
                }
                _ => {}
            }
        }
        if let Some(i) = &self.temporal_interval
            && let (Some(start), Some(end)) = (parse(&i.start_inclusive), parse(&i.end_exclusive))
            && !(start <= not_after && not_after < end)
        {
            return Some(format!(
                "the log takes certificates expiring from {} to {}, and this one expires {not_after}",
                i.start_inclusive, i.end_exclusive
            ));
        }
        None
    }
}

/// Why a log list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "log list line {line}, column {column}: {message} (expected Chrome's log_list.json v3: {{\"operators\": [{{\"name\", \"logs\": [{{\"description\", \"log_id\", \"key\"}}]}}]}})"
)]
pub struct LogListError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What the parser said.
    pub message: String,
}

impl LogList {
    /// Parses Chrome's `log_list.json` (or any list in its shape).
    pub fn from_json(text: &str) -> Result<Self, LogListError> {
        serde_json::from_str(text).map_err(|e| LogListError {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// The log whose id is `log_id` (base64), with its operator's name.
    fn find(&self, log_id: &str) -> Option<(&Log, &str)> {
        self.operators.iter().find_map(|o| {
            o.logs
                .iter()
                .chain(&o.tiled_logs)
                .find(|l| l.log_id == log_id)
                .map(|l| (l, o.name.as_str()))
        })
    }
}

/// The SCTs embedded in `leaf` (DER), each checked against `logs` when given; `issuer_spki` is
/// the DER SubjectPublicKeyInfo of the leaf's issuer (needed to verify).
pub fn scts(leaf: &[u8], issuer_spki: Option<&[u8]>, logs: Option<&LogList>) -> Vec<Sct> {
    let Some(logs) = logs else {
        return embedded(leaf);
    };
    read(leaf, |s, cert, log_id| {
        let Some((log, operator)) = logs.find(log_id) else {
            return (SctStatus::UnknownLog, None);
        };
        let status = match (precert_tbs(cert.tbs_certificate.as_ref()), issuer_spki) {
            (_, None) => SctStatus::Invalid(
                "the issuer is not in the input, so its key hash is unknown".into(),
            ),
            (None, _) => SctStatus::Invalid("the certificate's TBS does not parse".into()),
            (Some(tbs), Some(issuer)) => match verify(s, log, &tbs, issuer) {
                SctStatus::Verified => {
                    let at = Timestamp::from_unix(i64::try_from(s.timestamp / 1000).unwrap_or(0));
                    let not_after = Timestamp::from_unix(cert.validity().not_after.timestamp());
                    log.not_counted(at, not_after)
                        .map_or(SctStatus::Verified, SctStatus::NotCounted)
                }
                other => other,
            },
        };
        (status, Some((log.description.clone(), operator.to_owned())))
    })
}

/// The SCTs embedded in `leaf` (DER), read and not checked: what a certificate card shows
/// without the log list (and without the signature code, which the dashboard's page does not
/// carry).
pub fn embedded(leaf: &[u8]) -> Vec<Sct> {
    read(leaf, |_, _, _| (SctStatus::Unchecked, None))
}

/// The SCTs in `leaf`'s SCT list extension, each given the status (and log description and
/// operator) `check` finds for it from its base64 log id.
fn read(
    leaf: &[u8],
    check: impl Fn(
        &SignedCertificateTimestamp<'_>,
        &X509Certificate<'_>,
        &str,
    ) -> (SctStatus, Option<(String, String)>),
) -> Vec<Sct> {
    let Ok((_, cert)) = X509Certificate::from_der(leaf) else {
        return Vec::new();
    };
    let Some(list) = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SCT(list) => Some(list),
            _ => None,
        })
    else {
        return Vec::new();
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    list.iter()
        .map(|s| {
            let log_id = b64.encode(s.id.key_id);
            let (status, found) = check(s, &cert, &log_id);
            let (log, operator) = found.unzip();
            Sct {
                version: s.version.0,
                log_id,
                timestamp: Timestamp::from_unix(i64::try_from(s.timestamp / 1000).unwrap_or(0)),
                signature_algorithm: algorithm_name(
                    s.signature.hash_alg_id,
                    s.signature.sign_alg_id,
                ),
                signature_bytes: s.signature.data.len(),
                status,
                log,
                operator,
            }
        })
        .collect()
}

fn algorithm_name(hash: u8, sign: u8) -> String {
    let hash = match hash {
        4 => "sha256",
        5 => "sha384",
        6 => "sha512",
        other => return format!("hash {other}, signature {sign}"),
    };
    match sign {
        1 => format!("rsa-{hash}"),
        3 => format!("ecdsa-{hash}"),
        other => format!("{hash}, signature {other}"),
    }
}

/// The TBSCertificate without its SCT list extension: what the log signed (as part of the
/// precertificate entry). `None` when the TBS does not have the expected shape.
pub fn precert_tbs(tbs: &[u8]) -> Option<Vec<u8>> {
    use crate::asn1::{content_of, elements, wrap};
    let (_, body) = content_of(tbs).ok()?;
    let mut out = Vec::new();
    for (h, content) in elements(body, 0).ok()? {
        let whole = body.get(h.offset..h.offset + h.total_len())?;
        // [3] EXPLICIT Extensions
        if h.class == crate::asn1::TagClass::Context && h.number == 3 && h.constructed {
            let (_, list) = content_of(content).ok()?;
            let mut kept = Vec::new();
            for (eh, ext) in elements(list, 0).ok()? {
                let (oid_h, oid) = elements(ext, 0).ok()?.into_iter().next()?;
                let is_sct =
                    oid_h.number == 6 && crate::asn1::oid(oid).as_deref() == Some(SCT_LIST_OID);
                if !is_sct {
                    kept.extend_from_slice(list.get(eh.offset..eh.offset + eh.total_len())?);
                }
            }
            if !kept.is_empty() {
                out.extend(wrap(0xa3, &wrap(0x30, &kept)));
            }
        } else {
            out.extend_from_slice(whole);
        }
    }
    Some(wrap(0x30, &out))
}

/// The bytes a log signs for an embedded SCT (RFC 6962 §3.2, precert_entry).
pub fn signed_data(
    sct_timestamp_ms: u64,
    extensions: &[u8],
    issuer_spki: &[u8],
    tbs: &[u8],
) -> Vec<u8> {
    let mut out = vec![0u8, 0u8]; // v1, certificate_timestamp
    out.extend(sct_timestamp_ms.to_be_bytes());
    out.extend([0u8, 1u8]); // precert_entry
    out.extend(Sha256::digest(issuer_spki));
    let len = u32::try_from(tbs.len()).unwrap_or(u32::MAX).to_be_bytes();
    out.extend(&len[1..]);
    out.extend(tbs);
    let elen = u16::try_from(extensions.len())
        .unwrap_or(u16::MAX)
        .to_be_bytes();
    out.extend(elen);
    out.extend(extensions);
    out
}

fn verify(
    s: &SignedCertificateTimestamp<'_>,
    log: &Log,
    tbs: &[u8],
    issuer_spki: &[u8],
) -> SctStatus {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Ok(key_der) = b64.decode(&log.key) else {
        return SctStatus::Invalid(format!(
            "the list's key for {:?} is not base64",
            log.description
        ));
    };
    // The log id is the hash of the key: a list whose id and key disagree proves nothing.
    if b64.encode(Sha256::digest(&key_der)) != log.log_id {
        return SctStatus::Invalid(format!(
            "the list's log_id for {:?} is not the SHA-256 of its key",
            log.description
        ));
    }
    let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(&key_der) else {
        return SctStatus::Invalid(format!(
            "the list's key for {:?} is not a SubjectPublicKeyInfo",
            log.description
        ));
    };
    let oid = match (s.signature.hash_alg_id, s.signature.sign_alg_id) {
        (4, 3) => x509_parser::oid_registry::OID_SIG_ECDSA_WITH_SHA256,
        (4, 1) => x509_parser::oid_registry::OID_PKCS1_SHA256WITHRSA,
        (h, g) => {
            return SctStatus::Invalid(format!(
                "{} is not allowed by RFC 6962",
                algorithm_name(h, g)
            ));
        }
    };
    let params = (s.signature.sign_alg_id == 1)
        .then(|| der_parser::asn1_rs::Any::from_tag_and_data(der_parser::asn1_rs::Tag::Null, &[]));
    let algorithm = AlgorithmIdentifier::new(oid, params);
    let data = signed_data(s.timestamp, s.extensions.0, issuer_spki, tbs);
    match crate::signature::verify(&algorithm, &spki, &data, s.signature.data) {
        Ok(()) => SctStatus::Verified,
        Err(e) => SctStatus::Invalid(e.to_string()),
    }
}

/// How many SCTs Chrome's CT policy requires for a certificate valid `lifetime_days`.
pub fn chrome_required(lifetime_days: i64) -> usize {
    if lifetime_days > 180 { 3 } else { 2 }
}
