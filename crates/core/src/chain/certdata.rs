//! Mozilla's `certdata.txt` (NSS's built-in trust, the root program's own data) read as a
//! trust store: every certificate object whose trust object makes it a trusted delegator for
//! server authentication, with its `CKA_NSS_SERVER_DISTRUST_AFTER` date when it has one — the
//! data webpki-roots and the system bundle leave out. Roots marked not trusted, or trusted
//! only for e-mail, are not anchors.

use std::collections::HashMap;

use sha1::{Digest as _, Sha1};

use super::anchor::{AnchorOrigin, TrustAnchor};
use crate::timestamp::Timestamp;

/// Why a certdata.txt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certdata.txt line {line}: {message}")]
pub struct CertdataError {
    /// 1-based line.
    pub line: usize,
    /// What was expected.
    pub message: String,
}

#[derive(Default)]
struct Object {
    class: String,
    label: String,
    value: Vec<u8>,
    sha1: Vec<u8>,
    server_trust: String,
    distrust_after: Option<Vec<u8>>,
}

/// Reads `text` as Mozilla's certdata.txt: the server-authentication trust anchors it holds.
pub fn anchors(text: &str) -> Result<Vec<TrustAnchor>, CertdataError> {
    let objects = objects(text)?;
    let trust: HashMap<&[u8], &Object> = objects
        .iter()
        .filter(|o| o.class == "CKO_NSS_TRUST")
        .map(|o| (o.sha1.as_slice(), o))
        .collect();
    let mut out = Vec::new();
    for o in objects.iter().filter(|o| o.class == "CKO_CERTIFICATE") {
        let hash = Sha1::digest(&o.value);
        let trusted = trust
            .get(hash.as_slice())
            .is_some_and(|t| t.server_trust == "CKT_NSS_TRUSTED_DELEGATOR");
        if !trusted {
            continue;
        }
        let Ok(mut anchor) = TrustAnchor::from_certificate(&o.value) else {
            continue;
        };
        anchor.origin = AnchorOrigin::Mozilla;
        if !o.label.is_empty() {
            anchor.name = o.label.clone();
        }
        anchor.distrust_after = o.distrust_after.as_deref().and_then(utc_time);
        out.push(anchor);
    }
    Ok(out)
}

/// `YYMMDDHHMMSSZ` (UTCTime, as certdata.txt stores the distrust date).
fn utc_time(bytes: &[u8]) -> Option<Timestamp> {
    let text = std::str::from_utf8(bytes).ok()?;
    let digits = text.strip_suffix('Z')?;
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i64 = digits.get(0..2)?.parse().ok()?;
    let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
    let rfc3339 = format!(
        "{year}-{}-{}T{}:{}:{}Z",
        digits.get(2..4)?,
        digits.get(4..6)?,
        digits.get(6..8)?,
        digits.get(8..10)?,
        digits.get(10..12)?
    );
    Timestamp::parse_rfc3339(&rfc3339).ok()
}

fn objects(text: &str) -> Result<Vec<Object>, CertdataError> {
    let mut out = Vec::new();
    let mut current: Option<Object> = None;
    let mut lines = text.lines().enumerate();
    let mut seen_class = false;
    while let Some((n, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("BEGINDATA") {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let attribute = parts.next().unwrap_or_default();
        let kind = parts.next().unwrap_or_default();
        let value = parts.next().unwrap_or_default();
        if attribute == "CKA_CLASS" {
            seen_class = true;
            if let Some(o) = current.take() {
                out.push(o);
            }
            current = Some(Object {
                class: value.to_owned(),
                ..Object::default()
            });
            continue;
        }
        let octal = if kind == "MULTILINE_OCTAL" {
            let mut bytes = Vec::new();
            loop {
                let Some((m, body)) = lines.next() else {
                    return Err(CertdataError {
                        line: n + 1,
                        message: format!("END after the {attribute} octal block"),
                    });
                };
                let body = body.trim();
                if body == "END" {
                    break;
                }
                for chunk in body.split('\\').filter(|c| !c.is_empty()) {
                    let byte = u8::from_str_radix(chunk, 8).map_err(|_| CertdataError {
                        line: m + 1,
                        message: format!("expected \\ooo octal bytes, found {chunk:?}"),
                    })?;
                    bytes.push(byte);
                }
            }
            Some(bytes)
        } else {
            None
        };
        let Some(o) = current.as_mut() else {
            continue;
        };
        match attribute {
            "CKA_LABEL" => o.label = value.trim_matches('"').to_owned(),
            "CKA_VALUE" => o.value = octal.unwrap_or_default(),
            "CKA_CERT_SHA1_HASH" => o.sha1 = octal.unwrap_or_default(),
            "CKA_TRUST_SERVER_AUTH" => o.server_trust = value.to_owned(),
            "CKA_NSS_SERVER_DISTRUST_AFTER" => o.distrust_after = octal,
            _ => {}
        }
    }
    if let Some(o) = current {
        out.push(o);
    }
    if !seen_class {
        return Err(CertdataError {
            line: 1,
            message: "expected CKA_CLASS objects (Mozilla's certdata.txt)".into(),
        });
    }
    Ok(out)
}

/// Whether `text` looks like a certdata.txt (for choosing how to read a trust-store file).
pub fn looks_like_certdata(text: &str) -> bool {
    text.contains("CKA_CLASS") && text.contains("CKO_CERTIFICATE")
}

/// `der` as certdata.txt writes a certificate (for tests and tools that make one).
pub fn octal_block(der: &[u8]) -> String {
    let mut out = String::new();
    for line in der.chunks(16) {
        for b in line {
            out.push_str(&format!("\\{b:03o}"));
        }
        out.push('\n');
    }
    out.push_str("END\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(der: &[u8], label: &str, trust: &str, distrust: Option<&str>) -> String {
        let distrust = match distrust {
            Some(d) => format!(
                "CKA_NSS_SERVER_DISTRUST_AFTER MULTILINE_OCTAL\n{}",
                octal_block(d.as_bytes())
            ),
            None => "CKA_NSS_SERVER_DISTRUST_AFTER CK_BBOOL CK_FALSE\n".into(),
        };
        format!(
            "CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_TOKEN CK_BBOOL CK_TRUE\nCKA_LABEL UTF8 \"{label}\"\nCKA_VALUE MULTILINE_OCTAL\n{}{distrust}\nCKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST\nCKA_LABEL UTF8 \"{label}\"\nCKA_CERT_SHA1_HASH MULTILINE_OCTAL\n{}CKA_TRUST_SERVER_AUTH CK_TRUST {trust}\n\n",
            octal_block(der),
            octal_block(&Sha1::digest(der)),
        )
    }

    fn root(name: &str) -> (Vec<u8>, rcgen::Issuer<'static, rcgen::KeyPair>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, name);
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2040, 1, 1);
        let der = p.self_signed(&key).unwrap().der().to_vec();
        (der, rcgen::Issuer::new(p, key))
    }

    fn leaf(issuer: &rcgen::Issuer<'static, rcgen::KeyPair>, year: i32) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["d.example.test".to_owned()]).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.not_before = rcgen::date_time_ymd(year, 1, 1);
        p.not_after = rcgen::date_time_ymd(year, 3, 1);
        p.use_authority_key_identifier_extension = true;
        p.signed_by(&key, issuer).unwrap().der().to_vec()
    }

    /// A root the program distrusts after 2024-11-30: a leaf issued in 2024 still validates,
    /// one issued in 2025 does not. Untrusted and e-mail-only roots are not anchors.
    #[test]
    fn distrust_after_is_applied_by_the_leaf_not_before() {
        let (retiring, retiring_issuer) = root("Retiring Root");
        let (revoked, _) = root("Not Trusted Root");
        let (email, _) = root("E-mail Only Root");
        let text = format!(
            "# certdata.txt\nBEGINDATA\n{}{}{}",
            entry(
                &retiring,
                "Retiring Root",
                "CKT_NSS_TRUSTED_DELEGATOR",
                Some("241130235959Z")
            ),
            entry(&revoked, "Not Trusted Root", "CKT_NSS_NOT_TRUSTED", None),
            entry(
                &email,
                "E-mail Only Root",
                "CKT_NSS_MUST_VERIFY_TRUST",
                None
            ),
        );
        assert!(looks_like_certdata(&text));
        let anchors = anchors(&text).unwrap();
        assert_eq!(anchors.len(), 1);
        assert_eq!(anchors[0].name, "Retiring Root");
        assert_eq!(anchors[0].origin, AnchorOrigin::Mozilla);
        assert_eq!(
            anchors[0].distrust_after.map(|t| t.to_string()).as_deref(),
            Some("2024-11-30T23:59:59Z")
        );
        let options = |year: i32| crate::chain::Options {
            now: Timestamp::parse_rfc3339(&format!("{year}-02-01T00:00:00Z")).unwrap(),
            peer_names: vec![crate::chain::PeerName::host("d.example.test")],
            ..crate::chain::Options::default()
        };
        let before =
            crate::chain::validate(&[leaf(&retiring_issuer, 2024)], 0, &anchors, &options(2024));
        assert!(before.valid, "{:#?}", before.problems);
        assert_eq!(before.trusted_by, [AnchorOrigin::Mozilla]);
        let after =
            crate::chain::validate(&[leaf(&retiring_issuer, 2025)], 0, &anchors, &options(2025));
        assert!(!after.valid);
        let rules: Vec<_> = after.problems.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["CHAIN-ANCHOR-DISTRUSTED"]);
        assert!(
            after.problems[0].evidence.contains("Mozilla"),
            "{}",
            after.problems[0].evidence
        );
    }

    #[test]
    fn a_file_that_is_not_certdata_is_refused_with_a_line() {
        assert!(anchors("hello\n").is_err());
        let e = anchors(
            "CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_VALUE MULTILINE_OCTAL\n\\999\nEND\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        let e =
            anchors("CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_VALUE MULTILINE_OCTAL\n\\060")
                .unwrap_err();
        assert!(e.message.contains("END"), "{e}");
    }
}
