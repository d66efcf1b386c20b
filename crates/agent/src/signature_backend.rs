//! The native signature backend: the core checks algorithms, parameters and keys and hands the
//! arithmetic here — ECDSA on P-256 and P-384 to ring (its x86-64 assembly is about three times
//! faster than the aws-lc-rs build here, measured in crates/agent/benches/chain.rs), RSA,
//! P-521 and Ed25519 to aws-lc-rs; both many times faster than the pure-Rust RustCrypto the
//! page runs. Anything neither offers stays with the core.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use tlscope_core::signature::{Curve, Hash, Primitive};

/// The backend: pass as `ChainRequest.backend` / `chain::Options.backend`.
pub const NATIVE: tlscope_core::signature::Backend = verify;

fn algorithm(p: Primitive) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match p {
        Primitive::RsaPkcs1(Hash::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        Primitive::RsaPkcs1(Hash::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
        Primitive::RsaPkcs1(Hash::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
        Primitive::RsaPss(Hash::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
        Primitive::RsaPss(Hash::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
        Primitive::RsaPss(Hash::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
        Primitive::Ecdsa(Curve::P256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
        Primitive::Ecdsa(Curve::P256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
        Primitive::Ecdsa(Curve::P256, Hash::Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
        Primitive::Ecdsa(Curve::P384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
        Primitive::Ecdsa(Curve::P384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
        Primitive::Ecdsa(Curve::P384, Hash::Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
        Primitive::Ecdsa(Curve::P521, Hash::Sha256) => &signature::ECDSA_P521_SHA256_ASN1,
        Primitive::Ecdsa(Curve::P521, Hash::Sha384) => &signature::ECDSA_P521_SHA384_ASN1,
        Primitive::Ecdsa(Curve::P521, Hash::Sha512) => &signature::ECDSA_P521_SHA512_ASN1,
        Primitive::Ed25519 => &signature::ED25519,
    })
}

/// ring's ECDSA, where it has the curve and hash.
fn ring_ecdsa(p: Primitive) -> Option<&'static ring::signature::EcdsaVerificationAlgorithm> {
    use ring::signature as r;
    Some(match p {
        Primitive::Ecdsa(Curve::P256, Hash::Sha256) => &r::ECDSA_P256_SHA256_ASN1,
        Primitive::Ecdsa(Curve::P256, Hash::Sha384) => &r::ECDSA_P256_SHA384_ASN1,
        Primitive::Ecdsa(Curve::P384, Hash::Sha256) => &r::ECDSA_P384_SHA256_ASN1,
        Primitive::Ecdsa(Curve::P384, Hash::Sha384) => &r::ECDSA_P384_SHA384_ASN1,
        _ => return None,
    })
}

fn verify(p: Primitive, key: &[u8], message: &[u8], sig: &[u8]) -> Option<bool> {
    if let Some(alg) = ring_ecdsa(p) {
        let key = ring::signature::UnparsedPublicKey::new(alg, key);
        return Some(key.verify(message, sig).is_ok());
    }
    let alg = algorithm(p)?;
    Some(
        UnparsedPublicKey::new(alg, key)
            .verify(message, sig)
            .is_ok(),
    )
}

#[cfg(test)]
mod tests {
    use tlscope_core::Timestamp;
    use tlscope_core::chain::{self, Options, PeerName, TrustAnchor};

    /// The same chains give the same verdicts with either backend: valid, and a tampered
    /// signature refused, for ECDSA P-256/P-384, RSA 2048 (PKCS#1) and Ed25519.
    #[test]
    fn native_agrees_with_rustcrypto() {
        for alg in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_RSA_SHA256,
            &rcgen::PKCS_ED25519,
        ] {
            let key = if alg == &rcgen::PKCS_RSA_SHA256 {
                rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_2048).unwrap()
            } else {
                rcgen::KeyPair::generate_for(alg).unwrap()
            };
            let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            ca.distinguished_name
                .push(rcgen::DnType::CommonName, "Backend Root");
            let root = ca.self_signed(&key).unwrap().der().to_vec();
            let issuer = rcgen::Issuer::new(ca, key);
            let leaf_key = rcgen::KeyPair::generate().unwrap();
            let mut p = rcgen::CertificateParams::new(vec!["b.example.test".to_owned()]).unwrap();
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.use_authority_key_identifier_extension = true;
            let leaf = p.signed_by(&leaf_key, &issuer).unwrap().der().to_vec();
            let anchors = [TrustAnchor::from_certificate(&root).unwrap()];
            let mut bad = leaf.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            for backend in [None, Some(super::NATIVE)] {
                let options = Options {
                    now: Timestamp::from_unix(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs() as i64,
                    ),
                    peer_names: vec![PeerName::host("b.example.test")],
                    backend,
                    ..Options::default()
                };
                let good = chain::validate(std::slice::from_ref(&leaf), 0, &anchors, &options);
                assert!(good.valid, "{alg:?} {:#?}", good.problems);
                let refused = chain::validate(std::slice::from_ref(&bad), 0, &anchors, &options);
                let rules: Vec<_> = refused.problems.iter().map(|f| f.rule).collect();
                assert_eq!(rules, ["CHAIN-SIGNATURE-INVALID"], "{alg:?}");
            }
        }
    }
}
