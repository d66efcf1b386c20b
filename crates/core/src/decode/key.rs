//! Private keys, summarised by type and size only. The key material is read just far enough to
//! learn the algorithm and size (RSA modulus length, EC curve) and is never kept or shown.

use crate::asn1::{self, TagClass};
use crate::certificate::key_algorithm_name;

/// What tlscope reports about a private key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySummary {
    /// `RSA`, `EC`, `Ed25519`, … when it could be read.
    pub algorithm: Option<String>,
    /// Size in bits (RSA modulus, EC field), when it could be read.
    pub bits: Option<u32>,
}

/// PKCS#8 PrivateKeyInfo: SEQUENCE { version, AlgorithmIdentifier, OCTET STRING key, … }.
pub fn pkcs8(der: &[u8]) -> KeySummary {
    let Ok((_, body)) = asn1::content_of(der) else {
        return KeySummary::default();
    };
    let Ok(items) = asn1::elements(body, 0) else {
        return KeySummary::default();
    };
    let Some((_, alg)) = items.get(1) else {
        return KeySummary::default();
    };
    let Ok(alg_items) = asn1::elements(alg, 0) else {
        return KeySummary::default();
    };
    let oid = alg_items
        .first()
        .and_then(|(_, c)| asn1::oid(c))
        .unwrap_or_default();
    let algorithm = key_algorithm_name(&oid);
    let bits = match algorithm.as_str() {
        "RSA" => items.get(2).and_then(|(_, key)| rsa_bits(key)),
        "EC" => alg_items
            .get(1)
            .and_then(|(_, c)| asn1::oid(c))
            .and_then(|curve| curve_bits(&curve)),
        "Ed25519" => Some(256),
        "Ed448" => Some(456),
        _ => None,
    };
    KeySummary {
        algorithm: Some(algorithm),
        bits,
    }
}

/// PKCS#1 RSAPrivateKey: SEQUENCE { version, modulus, … }.
pub fn pkcs1(der: &[u8]) -> KeySummary {
    KeySummary {
        algorithm: Some("RSA".into()),
        bits: rsa_bits(der),
    }
}

/// SEC1 ECPrivateKey: SEQUENCE { version, privateKey, [0] parameters (curve OID), … }.
pub fn sec1(der: &[u8]) -> KeySummary {
    let bits = asn1::content_of(der)
        .ok()
        .and_then(|(_, body)| asn1::elements(body, 0).ok())
        .and_then(|items| {
            items.into_iter().find_map(|(h, c)| {
                (h.class == TagClass::Context && h.number == 0)
                    .then(|| asn1::content_of(c).ok().and_then(|(_, oid)| asn1::oid(oid)))
                    .flatten()
            })
        })
        .and_then(|curve| curve_bits(&curve));
    KeySummary {
        algorithm: Some("EC".into()),
        bits,
    }
}

fn rsa_bits(der: &[u8]) -> Option<u32> {
    let (_, body) = asn1::content_of(der).ok()?;
    let items = asn1::elements(body, 0).ok()?;
    let (_, modulus) = items.get(1)?;
    asn1::bit_length(modulus)
}

fn curve_bits(oid: &str) -> Option<u32> {
    match oid {
        "1.2.840.10045.3.1.7" | "1.3.132.0.10" => Some(256),
        "1.3.132.0.34" => Some(384),
        "1.3.132.0.35" => Some(521),
        "1.2.840.10045.3.1.1" => Some(192),
        _ => None,
    }
}

/// The openssh-key-v1 container: the public half is in clear, so the type and size are
/// readable even when the private half is encrypted. Returns the summary and whether it is
/// encrypted.
pub fn openssh(body: &[u8]) -> (KeySummary, bool) {
    fn string(input: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
        let len = u32::from_be_bytes(input.get(*pos..*pos + 4)?.try_into().ok()?) as usize;
        let value = input.get(*pos + 4..(*pos + 4).checked_add(len)?)?.to_vec();
        *pos += 4 + len;
        Some(value)
    }
    let Some(rest) = body.strip_prefix(b"openssh-key-v1\0") else {
        return (KeySummary::default(), false);
    };
    let mut pos = 0;
    let cipher = string(rest, &mut pos).unwrap_or_default();
    let encrypted = !cipher.is_empty() && cipher != b"none";
    let _kdf = string(rest, &mut pos);
    let _kdf_options = string(rest, &mut pos);
    pos += 4; // number of keys
    let Some(public) = string(rest, &mut pos) else {
        return (KeySummary::default(), encrypted);
    };
    let mut p = 0;
    let kind = string(&public, &mut p).unwrap_or_default();
    let summary = match kind.as_slice() {
        b"ssh-ed25519" => KeySummary {
            algorithm: Some("Ed25519".into()),
            bits: Some(256),
        },
        b"ssh-rsa" => {
            let _e = string(&public, &mut p);
            let n = string(&public, &mut p).unwrap_or_default();
            KeySummary {
                algorithm: Some("RSA".into()),
                bits: asn1::bit_length(&n),
            }
        }
        k if k.starts_with(b"ecdsa-sha2-nistp") => KeySummary {
            algorithm: Some("EC".into()),
            bits: std::str::from_utf8(&k[16..])
                .ok()
                .and_then(|b| b.parse().ok()),
        },
        other => KeySummary {
            algorithm: Some(String::from_utf8_lossy(other).into_owned()),
            bits: None,
        },
    };
    (summary, encrypted)
}
