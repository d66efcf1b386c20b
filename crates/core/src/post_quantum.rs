//! Post-quantum signature algorithms in certificates: ML-DSA (FIPS 204, RFC 9881) at all three
//! levels and SLH-DSA (FIPS 205, RFC 9909) in all twelve parameter sets, named and verified
//! with the pure-Rust RustCrypto crates (so the page verifies them too), and the composite
//! ML-DSA signatures of the IETF LAMPS draft recognised by name. Their keys and signatures
//! are large; [`sizes`] says how large each one should be.

/// Why a post-quantum signature was not accepted ([`crate::signature`] words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an ML-DSA or SLH-DSA OID.
    NotPostQuantum,
    /// The key is of another algorithm than the signature.
    KeyMismatch,
    /// The key has the wrong length for its algorithm.
    BadKey(String),
    /// The signature does not verify (or has the wrong length).
    Invalid,
}

/// One post-quantum algorithm: the same OID names the key and the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Algorithm {
    /// Dotted OID.
    pub oid: &'static str,
    /// Its name, e.g. `ML-DSA-65`, `SLH-DSA-SHA2-128s`.
    pub name: &'static str,
    /// Public key length in bytes.
    pub key_bytes: usize,
    /// Signature length in bytes.
    pub signature_bytes: usize,
    /// NIST security category (1, 3 or 5).
    pub category: u8,
}

const fn alg(
    oid: &'static str,
    name: &'static str,
    key_bytes: usize,
    signature_bytes: usize,
    category: u8,
) -> Algorithm {
    Algorithm {
        oid,
        name,
        key_bytes,
        signature_bytes,
        category,
    }
}

/// ML-DSA and SLH-DSA, by OID (NIST CSOR sigAlgs arc).
pub const ALGORITHMS: &[Algorithm] = &[
    alg("2.16.840.1.101.3.4.3.17", "ML-DSA-44", 1312, 2420, 2),
    alg("2.16.840.1.101.3.4.3.18", "ML-DSA-65", 1952, 3309, 3),
    alg("2.16.840.1.101.3.4.3.19", "ML-DSA-87", 2592, 4627, 5),
    alg("2.16.840.1.101.3.4.3.20", "SLH-DSA-SHA2-128s", 32, 7856, 1),
    alg("2.16.840.1.101.3.4.3.21", "SLH-DSA-SHA2-128f", 32, 17088, 1),
    alg("2.16.840.1.101.3.4.3.22", "SLH-DSA-SHA2-192s", 48, 16224, 3),
    alg("2.16.840.1.101.3.4.3.23", "SLH-DSA-SHA2-192f", 48, 35664, 3),
    alg("2.16.840.1.101.3.4.3.24", "SLH-DSA-SHA2-256s", 64, 29792, 5),
    alg("2.16.840.1.101.3.4.3.25", "SLH-DSA-SHA2-256f", 64, 49856, 5),
    alg("2.16.840.1.101.3.4.3.26", "SLH-DSA-SHAKE-128s", 32, 7856, 1),
    alg(
        "2.16.840.1.101.3.4.3.27",
        "SLH-DSA-SHAKE-128f",
        32,
        17088,
        1,
    ),
    alg(
        "2.16.840.1.101.3.4.3.28",
        "SLH-DSA-SHAKE-192s",
        48,
        16224,
        3,
    ),
    alg(
        "2.16.840.1.101.3.4.3.29",
        "SLH-DSA-SHAKE-192f",
        48,
        35664,
        3,
    ),
    alg(
        "2.16.840.1.101.3.4.3.30",
        "SLH-DSA-SHAKE-256s",
        64,
        29792,
        5,
    ),
    alg(
        "2.16.840.1.101.3.4.3.31",
        "SLH-DSA-SHAKE-256f",
        64,
        49856,
        5,
    ),
];

/// Composite ML-DSA signatures (draft-ietf-lamps-pq-composite-sigs), named but not verified:
/// the draft is not final, and no pure-Rust implementation exists.
pub const COMPOSITES: &[(&str, &str)] = &[
    ("1.3.6.1.5.5.7.6.37", "MLDSA44-RSA2048-PSS-SHA256"),
    ("1.3.6.1.5.5.7.6.38", "MLDSA44-RSA2048-PKCS15-SHA256"),
    ("1.3.6.1.5.5.7.6.39", "MLDSA44-Ed25519-SHA512"),
    ("1.3.6.1.5.5.7.6.40", "MLDSA44-ECDSA-P256-SHA256"),
    ("1.3.6.1.5.5.7.6.41", "MLDSA65-RSA3072-PSS-SHA512"),
    ("1.3.6.1.5.5.7.6.42", "MLDSA65-RSA3072-PKCS15-SHA512"),
    ("1.3.6.1.5.5.7.6.43", "MLDSA65-RSA4096-PSS-SHA512"),
    ("1.3.6.1.5.5.7.6.44", "MLDSA65-RSA4096-PKCS15-SHA512"),
    ("1.3.6.1.5.5.7.6.45", "MLDSA65-ECDSA-P256-SHA512"),
    ("1.3.6.1.5.5.7.6.46", "MLDSA65-ECDSA-P384-SHA512"),
    ("1.3.6.1.5.5.7.6.47", "MLDSA65-ECDSA-brainpoolP256r1-SHA512"),
    ("1.3.6.1.5.5.7.6.48", "MLDSA65-Ed25519-SHA512"),
    ("1.3.6.1.5.5.7.6.49", "MLDSA87-ECDSA-P384-SHA512"),
    ("1.3.6.1.5.5.7.6.50", "MLDSA87-ECDSA-brainpoolP384r1-SHA512"),
    ("1.3.6.1.5.5.7.6.51", "MLDSA87-Ed448-SHAKE256"),
    ("1.3.6.1.5.5.7.6.52", "MLDSA87-RSA3072-PSS-SHA512"),
    ("1.3.6.1.5.5.7.6.53", "MLDSA87-RSA4096-PSS-SHA512"),
    ("1.3.6.1.5.5.7.6.54", "MLDSA87-ECDSA-P521-SHA512"),
];

/// The ML-DSA or SLH-DSA algorithm with this OID.
pub fn algorithm(oid: &str) -> Option<&'static Algorithm> {
    ALGORITHMS.iter().find(|a| a.oid == oid)
}

/// The composite algorithm with this OID, by name.
pub fn composite(oid: &str) -> Option<&'static str> {
    COMPOSITES.iter().find(|(o, _)| *o == oid).map(|(_, n)| *n)
}

/// The name of a post-quantum (or composite) algorithm OID, if it is one.
pub fn name(oid: &str) -> Option<&'static str> {
    algorithm(oid).map(|a| a.name).or_else(|| composite(oid))
}

/// Whether `name` is an ML-DSA or SLH-DSA algorithm name (`ML-DSA-65`).
pub fn is_name(name: &str) -> bool {
    ALGORITHMS.iter().any(|a| a.name == name)
}

/// Verifies a pure ML-DSA or SLH-DSA signature (empty context, as X.509 uses them) made by
/// `key` over `message`. `signature_oid` and `key_oid` must name the same algorithm.
pub fn verify(
    signature_oid: &str,
    key_oid: &str,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), Refusal> {
    let Some(a) = algorithm(signature_oid) else {
        return Err(Refusal::NotPostQuantum);
    };
    if key_oid != signature_oid {
        return Err(Refusal::KeyMismatch);
    }
    if key.len() != a.key_bytes {
        return Err(Refusal::BadKey(format!(
            "an {} public key is {} bytes, this one {}",
            a.name,
            a.key_bytes,
            key.len()
        )));
    }
    if signature.len() != a.signature_bytes {
        return Err(Refusal::Invalid);
    }
    let ok = match a.name {
        "ML-DSA-44" => ml_dsa::<ml_dsa::MlDsa44>(key, message, signature),
        "ML-DSA-65" => ml_dsa::<ml_dsa::MlDsa65>(key, message, signature),
        "ML-DSA-87" => ml_dsa::<ml_dsa::MlDsa87>(key, message, signature),
        "SLH-DSA-SHA2-128s" => slh::<slh_dsa::Sha2_128s>(key, message, signature),
        "SLH-DSA-SHA2-128f" => slh::<slh_dsa::Sha2_128f>(key, message, signature),
        "SLH-DSA-SHA2-192s" => slh::<slh_dsa::Sha2_192s>(key, message, signature),
        "SLH-DSA-SHA2-192f" => slh::<slh_dsa::Sha2_192f>(key, message, signature),
        "SLH-DSA-SHA2-256s" => slh::<slh_dsa::Sha2_256s>(key, message, signature),
        "SLH-DSA-SHA2-256f" => slh::<slh_dsa::Sha2_256f>(key, message, signature),
        "SLH-DSA-SHAKE-128s" => slh::<slh_dsa::Shake128s>(key, message, signature),
        "SLH-DSA-SHAKE-128f" => slh::<slh_dsa::Shake128f>(key, message, signature),
        "SLH-DSA-SHAKE-192s" => slh::<slh_dsa::Shake192s>(key, message, signature),
        "SLH-DSA-SHAKE-192f" => slh::<slh_dsa::Shake192f>(key, message, signature),
        "SLH-DSA-SHAKE-256s" => slh::<slh_dsa::Shake256s>(key, message, signature),
        "SLH-DSA-SHAKE-256f" => slh::<slh_dsa::Shake256f>(key, message, signature),
        _ => false,
    };
    if ok { Ok(()) } else { Err(Refusal::Invalid) }
}

fn ml_dsa<P: ml_dsa::MlDsaParams>(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(encoded) = ml_dsa::EncodedVerifyingKey::<P>::try_from(key) else {
        return false;
    };
    let key = ml_dsa::VerifyingKey::<P>::decode(&encoded);
    let Ok(sig) = ml_dsa::Signature::<P>::try_from(signature) else {
        return false;
    };
    key.verify_with_context(message, &[], &sig)
}

fn slh<P: slh_dsa::ParameterSet>(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = slh_dsa::VerifyingKey::<P>::try_from(key) else {
        return false;
    };
    let Ok(sig) = slh_dsa::Signature::<P>::try_from(signature) else {
        return false;
    };
    key.try_verify_with_context(message, &[], &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_is_named_once_with_its_fips_sizes() {
        let mut oids: Vec<_> = ALGORITHMS
            .iter()
            .map(|a| a.oid)
            .chain(COMPOSITES.iter().map(|(o, _)| *o))
            .collect();
        let n = oids.len();
        oids.sort_unstable();
        oids.dedup();
        assert_eq!(oids.len(), n);
        assert_eq!(name("2.16.840.1.101.3.4.3.18"), Some("ML-DSA-65"));
        assert_eq!(
            name("1.3.6.1.5.5.7.6.40"),
            Some("MLDSA44-ECDSA-P256-SHA256")
        );
        assert_eq!(name("1.2.840.10045.4.3.2"), None);
    }

    #[test]
    fn slh_dsa_signatures_made_by_the_crate_verify_and_tampered_ones_do_not() {
        use slh_dsa::signature::Keypair as _;
        let key = slh_dsa::SigningKey::<slh_dsa::Sha2_128f>::slh_keygen_internal(
            &[1; 16], &[2; 16], &[3; 16],
        );
        let public = key.verifying_key().to_vec();
        let sig = key
            .try_sign_with_context(b"tbs", &[], None)
            .unwrap()
            .to_vec();
        let oid = "2.16.840.1.101.3.4.3.21";
        assert_eq!(verify(oid, oid, &public, b"tbs", &sig), Ok(()));
        assert_eq!(
            verify(oid, oid, &public, b"tbS", &sig),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            verify(oid, "2.16.840.1.101.3.4.3.17", &public, b"tbs", &sig),
            Err(Refusal::KeyMismatch)
        );
        assert!(matches!(
            verify(oid, oid, &public[1..], b"tbs", &sig),
            Err(Refusal::BadKey(_))
        ));
    }
}
