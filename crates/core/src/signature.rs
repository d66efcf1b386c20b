//! Signature verification, pure Rust (RustCrypto) so it runs the same natively and in wasm32:
//! RSA PKCS#1 v1.5 and PSS with SHA-2, ECDSA on P-256/P-384/P-521, Ed25519, and the
//! post-quantum ML-DSA and SLH-DSA ([`crate::post_quantum`]). MD5 and SHA-1 signatures are
//! recognised and refused with their own error; anything else is unsupported.

use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use x509_parser::prelude::*;
use x509_parser::signature_algorithm::SignatureAlgorithm;

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// MD5 or SHA-1: collisions are practical, so such signatures prove nothing.
    #[error(
        "{algorithm} is refused: {hash} collisions are practical, so the signature proves nothing"
    )]
    WeakHash {
        /// The signature algorithm.
        algorithm: String,
        /// `MD5` or `SHA-1`.
        hash: &'static str,
    },
    /// An algorithm tlscope does not verify (DSA, SHA-224, GOST, …).
    #[error("signature algorithm {algorithm} is not supported")]
    UnsupportedAlgorithm {
        /// The algorithm, by name or OID.
        algorithm: String,
    },
    /// Algorithm parameters that the algorithm does not allow.
    #[error("signature algorithm {algorithm} has invalid parameters: {detail}")]
    BadParameters {
        /// The algorithm.
        algorithm: String,
        /// What is wrong.
        detail: String,
    },
    /// A key type that cannot be trusted to verify signatures (DSA, P-192, explicit curves).
    #[error("the issuer's {key} key cannot be used to verify signatures: {reason}")]
    UnsupportedKey {
        /// The key type.
        key: String,
        /// Why.
        reason: String,
    },
    /// The algorithm needs a different key type.
    #[error("a {algorithm} signature cannot be made by the issuer's {key} key")]
    KeyMismatch {
        /// The signature algorithm.
        algorithm: String,
        /// The key type.
        key: String,
    },
    /// The key does not parse.
    #[error("the issuer's public key is malformed: {detail}")]
    BadKey {
        /// What the parser said.
        detail: String,
    },
    /// The signature is not a valid signature by this key.
    #[error("the {algorithm} signature does not verify with the issuer's public key")]
    Invalid {
        /// The signature algorithm.
        algorithm: String,
    },
}

/// The hash of a signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    fn from_oid(oid: &str) -> Option<Self> {
        match oid {
            "2.16.840.1.101.3.4.2.1" => Some(Hash::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(Hash::Sha384),
            "2.16.840.1.101.3.4.2.3" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(message).to_vec(),
            Hash::Sha384 => Sha384::digest(message).to_vec(),
            Hash::Sha512 => Sha512::digest(message).to_vec(),
        }
    }

    fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// What a signature algorithm identifier asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    RsaPkcs1(Hash),
    RsaPss { hash: Hash, salt_len: usize },
    Ecdsa(Hash),
    Ed25519,
}

/// Verifies that `signature` over `message` was made with the key in `spki`, using `algorithm`,
/// with RustCrypto.
pub fn verify(
    algorithm: &AlgorithmIdentifier<'_>,
    spki: &SubjectPublicKeyInfo<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    verify_with(None, algorithm, spki, message, signature)
}

/// [`verify`], with the arithmetic of classical signatures done by `backend` when given.
pub fn verify_with(
    backend: Option<Backend>,
    algorithm: &AlgorithmIdentifier<'_>,
    spki: &SubjectPublicKeyInfo<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let key_oid = crate::asn1::dotted(&spki.algorithm.algorithm);
    let oid = crate::asn1::dotted(&algorithm.algorithm);
    if let Some(pq) = crate::post_quantum::algorithm(&oid) {
        // RFC 9881 / RFC 9909: parameters absent.
        if algorithm.parameters.is_some() {
            return Err(SignatureError::BadParameters {
                algorithm: pq.name.to_owned(),
                detail: "RFC 9881 and RFC 9909 require absent parameters".into(),
            });
        }
        use crate::post_quantum::Refusal;
        return crate::post_quantum::verify(
            &oid,
            &key_oid,
            spki.subject_public_key.data.as_ref(),
            message,
            signature,
        )
        .map_err(|r| match r {
            Refusal::NotPostQuantum | Refusal::KeyMismatch => SignatureError::KeyMismatch {
                algorithm: pq.name.to_owned(),
                key: crate::certificate::key_algorithm_name(&key_oid),
            },
            Refusal::BadKey(detail) => SignatureError::BadKey { detail },
            Refusal::Invalid => SignatureError::Invalid {
                algorithm: pq.name.to_owned(),
            },
        });
    }
    let scheme = scheme(algorithm)?;
    let name = crate::certificate::signature_algorithm_name(&oid);
    let invalid = || SignatureError::Invalid {
        algorithm: name.clone(),
    };
    if let Some(backend) = backend
        && let Some(primitive) = primitive(scheme, key_oid.as_str(), spki)?
        && let Some(valid) = backend(
            primitive,
            spki.subject_public_key.data.as_ref(),
            message,
            signature,
        )
    {
        return if valid { Ok(()) } else { Err(invalid()) };
    }
    match (scheme, key_oid.as_str()) {
        (Scheme::RsaPkcs1(_) | Scheme::RsaPss { .. }, "1.2.840.113549.1.1.1") => {
            let key = rsa_key(spki)?;
            let result = match scheme {
                Scheme::RsaPkcs1(hash) => {
                    let padding = match hash {
                        Hash::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                        Hash::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                        Hash::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
                    };
                    key.verify(padding, &hash.digest(message), signature)
                }
                Scheme::RsaPss { hash, salt_len } => {
                    let padding = match hash {
                        Hash::Sha256 => rsa::Pss::new_with_salt::<Sha256>(salt_len),
                        Hash::Sha384 => rsa::Pss::new_with_salt::<Sha384>(salt_len),
                        Hash::Sha512 => rsa::Pss::new_with_salt::<Sha512>(salt_len),
                    };
                    key.verify(padding, &hash.digest(message), signature)
                }
                _ => return Err(invalid()),
            };
            result.map_err(|_| invalid())
        }
        (Scheme::Ecdsa(hash), "1.2.840.10045.2.1") => {
            let point = spki.subject_public_key.data.as_ref();
            let digest = hash.digest(message);
            let bad_key = |e: p256::ecdsa::Error| SignatureError::BadKey {
                detail: format!("not a valid EC point ({e})"),
            };
            match ec_curve(spki)? {
                Curve::P256 => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_key)?;
                    let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| invalid())?;
                    key.verify_prehash(&digest, &sig).map_err(|_| invalid())
                }
                Curve::P384 => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_key)?;
                    let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| invalid())?;
                    key.verify_prehash(&digest, &sig).map_err(|_| invalid())
                }
                Curve::P521 => {
                    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_key)?;
                    let sig = p521::ecdsa::Signature::from_der(signature).map_err(|_| invalid())?;
                    key.verify_prehash(&digest, &sig).map_err(|_| invalid())
                }
            }
        }
        (Scheme::Ed25519, "1.3.101.112") => {
            let bytes: &[u8; 32] =
                spki.subject_public_key
                    .data
                    .as_ref()
                    .try_into()
                    .map_err(|_| SignatureError::BadKey {
                        detail: "an Ed25519 key is 32 bytes".into(),
                    })?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|e| {
                SignatureError::BadKey {
                    detail: e.to_string(),
                }
            })?;
            let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| invalid())?;
            key.verify_strict(message, &sig).map_err(|_| invalid())
        }
        (_, "1.2.840.10040.4.1") => Err(SignatureError::UnsupportedKey {
            key: "DSA".into(),
            reason: "DSA is deprecated (FIPS 186-5) and not accepted for certificates".into(),
        }),
        (_, key) => Err(SignatureError::KeyMismatch {
            algorithm: name,
            key: crate::certificate::key_algorithm_name(key),
        }),
    }
}

/// The primitive a backend computes for `scheme` with this key, once the core has checked the
/// key fits (`None`: a combination the backend is not asked for; the core decides it).
fn primitive(
    scheme: Scheme,
    key_oid: &str,
    spki: &SubjectPublicKeyInfo<'_>,
) -> Result<Option<Primitive>, SignatureError> {
    Ok(match (scheme, key_oid) {
        // Backends (aws-lc-rs, ring) take RSA moduli of 2048 to 8192 bits; the policy may allow
        // others, which the core verifies itself.
        (Scheme::RsaPkcs1(h), "1.2.840.113549.1.1.1") => {
            rsa_backend_size(&rsa_key(spki)?).then_some(Primitive::RsaPkcs1(h))
        }
        (Scheme::RsaPss { hash, .. }, "1.2.840.113549.1.1.1") => {
            rsa_backend_size(&rsa_key(spki)?).then_some(Primitive::RsaPss(hash))
        }
        (Scheme::Ecdsa(h), "1.2.840.10045.2.1") => Some(Primitive::Ecdsa(ec_curve(spki)?, h)),
        (Scheme::Ed25519, "1.3.101.112") => Some(Primitive::Ed25519),
        _ => None,
    })
}

fn rsa_backend_size(key: &rsa::RsaPublicKey) -> bool {
    use rsa::traits::PublicKeyParts as _;
    (2048..=8192).contains(&key.n().bits())
}

fn scheme(algorithm: &AlgorithmIdentifier<'_>) -> Result<Scheme, SignatureError> {
    let oid = crate::asn1::dotted(&algorithm.algorithm);
    let name = crate::certificate::signature_algorithm_name(&oid);
    let weak = |hash| SignatureError::WeakHash {
        algorithm: name.clone(),
        hash,
    };
    let params_absent_or_null = algorithm
        .parameters
        .as_ref()
        .is_none_or(|p| p.tag() == der_parser::asn1_rs::Tag::Null && p.data.is_empty());
    let params_absent = algorithm.parameters.is_none();
    let bad_params = |detail: &str| SignatureError::BadParameters {
        algorithm: name.clone(),
        detail: detail.to_owned(),
    };
    let scheme = match oid.as_str() {
        "1.2.840.113549.1.1.2" | "1.2.840.113549.1.1.4" => return Err(weak("MD5")),
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" => {
            return Err(weak("SHA-1"));
        }
        "1.2.840.113549.1.1.11" => Scheme::RsaPkcs1(Hash::Sha256),
        "1.2.840.113549.1.1.12" => Scheme::RsaPkcs1(Hash::Sha384),
        "1.2.840.113549.1.1.13" => Scheme::RsaPkcs1(Hash::Sha512),
        "1.2.840.10045.4.3.2" => Scheme::Ecdsa(Hash::Sha256),
        "1.2.840.10045.4.3.3" => Scheme::Ecdsa(Hash::Sha384),
        "1.2.840.10045.4.3.4" => Scheme::Ecdsa(Hash::Sha512),
        "1.3.101.112" => Scheme::Ed25519,
        "1.2.840.113549.1.1.10" => return pss(algorithm, &name),
        _ => return Err(SignatureError::UnsupportedAlgorithm { algorithm: name }),
    };
    match scheme {
        Scheme::RsaPkcs1(_) if !params_absent_or_null => {
            Err(bad_params("RFC 4055 requires NULL parameters"))
        }
        Scheme::Ecdsa(_) | Scheme::Ed25519 if !params_absent => Err(bad_params(
            "RFC 5758 and RFC 8410 require absent parameters",
        )),
        s => Ok(s),
    }
}

fn pss(algorithm: &AlgorithmIdentifier<'_>, name: &str) -> Result<Scheme, SignatureError> {
    let bad = |detail: String| SignatureError::BadParameters {
        algorithm: name.to_owned(),
        detail,
    };
    let Ok(SignatureAlgorithm::RSASSA_PSS(params)) = SignatureAlgorithm::try_from(algorithm) else {
        return Err(bad("RSASSA-PSS parameters do not parse".into()));
    };
    let hash_oid = crate::asn1::dotted(params.hash_algorithm_oid());
    let hash = Hash::from_oid(&hash_oid).ok_or_else(|| {
        if hash_oid == "1.3.14.3.2.26" {
            SignatureError::WeakHash {
                algorithm: name.to_owned(),
                hash: "SHA-1",
            }
        } else {
            bad(format!(
                "hash {hash_oid} is not SHA-256, SHA-384 or SHA-512"
            ))
        }
    })?;
    let mgf = params
        .mask_gen_algorithm()
        .map_err(|e| bad(format!("mask generation: {e}")))?;
    if crate::asn1::dotted(&mgf.mgf) != "1.2.840.113549.1.1.8"
        || Hash::from_oid(&crate::asn1::dotted(&mgf.hash)) != Some(hash)
    {
        return Err(bad("MGF1 must use the same hash as the signature".into()));
    }
    let salt_len = usize::try_from(params.salt_length()).unwrap_or(usize::MAX);
    if salt_len != hash.len() {
        return Err(bad(format!(
            "salt length {salt_len} differs from the hash length {}",
            hash.len()
        )));
    }
    Ok(Scheme::RsaPss { hash, salt_len })
}

fn rsa_key(spki: &SubjectPublicKeyInfo<'_>) -> Result<rsa::RsaPublicKey, SignatureError> {
    let bad = |detail: String| SignatureError::BadKey { detail };
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(key)) => {
            let n = rsa::BigUint::from_bytes_be(key.modulus);
            let e = rsa::BigUint::from_bytes_be(key.exponent);
            rsa::RsaPublicKey::new_with_max_size(n, e, 16384)
                .map_err(|e| bad(format!("RSA key rejected: {e}")))
        }
        Ok(_) => Err(bad("expected an RSA public key".into())),
        Err(e) => Err(bad(format!("RSA key does not parse: {e}"))),
    }
}

/// The curves tlscope verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
}

/// One classical signature primitive, checked and named by the core, for a [`Backend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    /// RSASSA-PKCS1-v1_5; the key is the PKCS#1 RSAPublicKey DER.
    RsaPkcs1(Hash),
    /// RSASSA-PSS with MGF1 of the same hash and a salt of the hash's length; key as above.
    RsaPss(Hash),
    /// ECDSA, DER signature; the key is the SEC1 point.
    Ecdsa(Curve, Hash),
    /// Ed25519; the key is its 32 bytes.
    Ed25519,
}

/// A signature backend: the arithmetic of a [`Primitive`] over (`key`, `message`,
/// `signature`) — `Some(valid)`, or `None` for a primitive it does not implement (the core's
/// RustCrypto code then verifies). The core checks algorithms, parameters and key types itself,
/// so a backend only computes. RustCrypto (pure Rust) is the default and what the page runs;
/// the agent passes aws-lc-rs natively, as rustls takes a `CryptoProvider`.
pub type Backend = fn(Primitive, &[u8], &[u8], &[u8]) -> Option<bool>;

fn ec_curve(spki: &SubjectPublicKeyInfo<'_>) -> Result<Curve, SignatureError> {
    let unsupported = |reason: String| SignatureError::UnsupportedKey {
        key: "EC".into(),
        reason,
    };
    let Some(params) = spki.algorithm.parameters.as_ref() else {
        return Err(unsupported("the curve is not named".into()));
    };
    let Ok(oid) = params.as_oid() else {
        return Err(unsupported(
            "explicit curve parameters are forbidden (RFC 5480 2.1.1); use a named curve".into(),
        ));
    };
    match crate::asn1::dotted(&oid).as_str() {
        "1.2.840.10045.3.1.7" => Ok(Curve::P256),
        "1.3.132.0.34" => Ok(Curve::P384),
        "1.3.132.0.35" => Ok(Curve::P521),
        "1.2.840.10045.3.1.1" => Err(unsupported(
            "P-192 gives about 96-bit security, below every current baseline".into(),
        )),
        other => Err(unsupported(format!(
            "curve {other} is not P-256, P-384 or P-521"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        cert.der().to_vec()
    }

    fn check(der: &[u8]) -> Result<(), SignatureError> {
        let (_, cert) = X509Certificate::from_der(der).unwrap();
        verify(
            &cert.signature_algorithm,
            cert.public_key(),
            cert.tbs_certificate.as_ref(),
            cert.signature_value.data.as_ref(),
        )
    }

    #[test]
    fn verifies_self_signatures_of_every_supported_key() {
        for alg in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_ED25519,
        ] {
            let der = signed(alg);
            assert_eq!(check(&der), Ok(()), "{alg:?}");
        }
    }

    #[test]
    fn a_flipped_bit_is_invalid() {
        let mut der = signed(&rcgen::PKCS_ECDSA_P256_SHA256);
        let last = der.len() - 3;
        der[last] ^= 1;
        assert!(matches!(check(&der), Err(SignatureError::Invalid { .. })));
    }
}
