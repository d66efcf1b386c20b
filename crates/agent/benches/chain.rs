//! Chain validation, tlscope beside rustls-webpki in the same criterion run: a 3-certificate
//! ECDSA P-256 chain and a real-world-shaped 4-certificate RSA chain (RSA 2048 leaf, two RSA
//! intermediates, RSA 4096 root), each with the core's RustCrypto backend (what the page runs)
//! and with aws-lc-rs (what the agent runs natively). tlscope reports every problem of every
//! path; webpki stops at the first error. Run with `cargo xtask bench`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, RsaKeySize, SignatureAlgorithm,
};
use rustls_pki_types::{CertificateDer, ServerName, SignatureVerificationAlgorithm, UnixTime};
use tlscope_core::Timestamp;
use tlscope_core::chain::{self, Options, PeerName, TrustAnchor};

fn key(alg: &'static SignatureAlgorithm, rsa_bits: Option<RsaKeySize>) -> KeyPair {
    match rsa_bits {
        Some(size) => KeyPair::generate_rsa_for(alg, size).unwrap(),
        None => KeyPair::generate_for(alg).unwrap(),
    }
}

/// A chain root → `intermediates` → leaf, leaf first, root last; keys of `root`, then
/// `intermediate` for the CAs below it, `leaf` for the leaf.
fn make_chain(
    alg: &'static SignatureAlgorithm,
    root: Option<RsaKeySize>,
    intermediate: Option<RsaKeySize>,
    leaf: Option<RsaKeySize>,
    intermediates: usize,
) -> Vec<Vec<u8>> {
    let ca = |name: &str| {
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.use_authority_key_identifier_extension = true;
        p
    };
    let root_key = key(alg, root);
    let root_params = ca("Bench Root");
    let mut ders = vec![root_params.self_signed(&root_key).unwrap().der().to_vec()];
    let mut issuer = Issuer::new(root_params, root_key);
    for n in 0..intermediates {
        let k = key(alg, intermediate);
        let params = ca(&format!("Bench Intermediate {n}"));
        ders.push(params.signed_by(&k, &issuer).unwrap().der().to_vec());
        issuer = Issuer::new(params, k);
    }
    let leaf_key = key(alg, leaf);
    let mut p = CertificateParams::new(vec!["bench.example.com".into()]).unwrap();
    p.distinguished_name
        .push(DnType::CommonName, "bench.example.com");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    ders.push(p.signed_by(&leaf_key, &issuer).unwrap().der().to_vec());
    ders.reverse();
    ders
}

fn bench_chain(
    c: &mut Criterion,
    group: &str,
    ders: &[Vec<u8>],
    webpki_algs: &[&'static dyn SignatureVerificationAlgorithm],
) {
    let root = ders.last().unwrap();
    let anchors = vec![TrustAnchor::from_certificate(root).unwrap()];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let options = |backend| Options {
        now: Timestamp::from_unix(now as i64),
        peer_names: vec![PeerName::host("bench.example.com")],
        backend,
        ..Options::default()
    };
    let rustcrypto = options(None);
    let aws_lc = options(Some(tlscope_agent::signature_backend::NATIVE));
    let bag: Vec<Vec<u8>> = ders[..ders.len() - 1].to_vec();
    assert!(chain::validate(&bag, 0, &anchors, &rustcrypto).valid);
    assert!(chain::validate(&bag, 0, &anchors, &aws_lc).valid);

    let root_der = CertificateDer::from(root.as_slice());
    let webpki_anchors = vec![webpki::anchor_from_trusted_cert(&root_der).unwrap()];
    let intermediates: Vec<CertificateDer<'_>> = ders[1..ders.len() - 1]
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let leaf_der = CertificateDer::from(ders[0].as_slice());
    let time = UnixTime::since_unix_epoch(Duration::from_secs(now));
    let name = ServerName::try_from("bench.example.com").unwrap();
    let webpki_validate = || {
        let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
        ee.verify_for_usage(
            webpki_algs,
            &webpki_anchors,
            &intermediates,
            time,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .unwrap();
        ee.verify_is_valid_for_subject_name(&name).unwrap();
    };
    webpki_validate();

    let mut g = c.benchmark_group(group);
    g.bench_function("tlscope (every problem, RustCrypto)", |b| {
        b.iter(|| chain::validate(std::hint::black_box(&bag), 0, &anchors, &rustcrypto))
    });
    g.bench_function("tlscope (every problem, native: ring + aws-lc-rs)", |b| {
        b.iter(|| chain::validate(std::hint::black_box(&bag), 0, &anchors, &aws_lc))
    });
    g.bench_function("rustls-webpki (first error, ring) (peer)", |b| {
        b.iter(webpki_validate)
    });
    g.finish();
}

fn validate(c: &mut Criterion) {
    let ecdsa = make_chain(&rcgen::PKCS_ECDSA_P256_SHA256, None, None, None, 1);
    bench_chain(
        c,
        "validate 3-certificate chain",
        &ecdsa,
        &[webpki::ring::ECDSA_P256_SHA256],
    );
    let rsa = make_chain(
        &rcgen::PKCS_RSA_SHA256,
        Some(RsaKeySize::_4096),
        Some(RsaKeySize::_2048),
        Some(RsaKeySize::_2048),
        2,
    );
    assert_eq!(rsa.len(), 4);
    bench_chain(
        c,
        "validate 4-certificate RSA chain",
        &rsa,
        &[webpki::ring::RSA_PKCS1_2048_8192_SHA256],
    );
}

criterion_group!(benches, validate);
criterion_main!(benches);
