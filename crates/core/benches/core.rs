//! Criterion benchmarks of the core, each beside a peer measured in the same run:
//! decoding one certificate (tlscope details vs a bare x509-parser parse), decoding the
//! system's CA bundle (~150 certificates), and validating a 3-certificate chain (tlscope vs
//! rustls-webpki with ring). Run with `cargo bench -p tlscope-core` or `cargo xtask bench`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tlscope_core::Timestamp;
use tlscope_core::chain::{self, Options, PeerName, TrustAnchor};
use x509_parser::prelude::FromDer;

/// root → intermediate → leaf, all ECDSA P-256, as DER.
fn three_chain() -> [Vec<u8>; 3] {
    let ca = |name: &str| {
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.use_authority_key_identifier_extension = true;
        p
    };
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca("Bench Root");
    let root = root_params.self_signed(&root_key).unwrap().der().to_vec();
    let root_issuer = Issuer::new(root_params, root_key);
    let int_key = KeyPair::generate().unwrap();
    let int_params = ca("Bench Intermediate");
    let int = int_params
        .signed_by(&int_key, &root_issuer)
        .unwrap()
        .der()
        .to_vec();
    let int_issuer = Issuer::new(int_params, int_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec!["bench.example.com".into()]).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "bench.example.com");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.use_authority_key_identifier_extension = true;
    let leaf = leaf_params
        .signed_by(&leaf_key, &int_issuer)
        .unwrap()
        .der()
        .to_vec();
    [leaf, int, root]
}

fn decode(c: &mut Criterion) {
    let [leaf, ..] = three_chain();
    let mut group = c.benchmark_group("decode one certificate");
    group.bench_function("tlscope decode + details", |b| {
        b.iter(|| tlscope_core::decode(std::hint::black_box(&leaf)).unwrap())
    });
    group.bench_function("x509-parser parse only (peer)", |b| {
        b.iter(|| {
            x509_parser::certificate::X509Certificate::from_der(std::hint::black_box(&leaf))
                .unwrap()
        })
    });
    group.finish();

    // Debian's ca-certificates bundle, installed by `cargo xtask setup`.
    if let Ok(bundle) = std::fs::read("/etc/ssl/certs/ca-certificates.crt") {
        let count = tlscope_core::decode(&bundle)
            .unwrap()
            .certificates()
            .count();
        let mut group = c.benchmark_group(format!("decode CA bundle ({count} certificates)"));
        group.sample_size(20);
        group.bench_function("tlscope decode + details", |b| {
            b.iter(|| tlscope_core::decode(std::hint::black_box(&bundle)).unwrap())
        });
        group.finish();
    }
}

fn validate(c: &mut Criterion) {
    let [leaf, int, root] = three_chain();
    let anchors = vec![TrustAnchor::from_certificate(&root).unwrap()];
    let options = Options {
        now: Timestamp::from_unix(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64,
        ),
        peer_names: vec![PeerName::host("bench.example.com")],
        ..Options::default()
    };
    let bag = vec![leaf.clone(), int.clone()];
    assert!(chain::validate(&bag, 0, &anchors, &options).valid);

    let root_der = CertificateDer::from(root.as_slice());
    let webpki_anchors = vec![webpki::anchor_from_trusted_cert(&root_der).unwrap()];
    let int_der = vec![CertificateDer::from(int.as_slice())];
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let time = UnixTime::since_unix_epoch(Duration::from_secs(options.now.unix() as u64));
    let name = ServerName::try_from("bench.example.com").unwrap();
    let webpki_validate = || {
        let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
        ee.verify_for_usage(
            &[webpki::ring::ECDSA_P256_SHA256],
            &webpki_anchors,
            &int_der,
            time,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .unwrap();
        ee.verify_is_valid_for_subject_name(&name).unwrap();
    };
    webpki_validate();

    let mut group = c.benchmark_group("validate 3-certificate chain");
    group.bench_function("tlscope (every problem, RustCrypto)", |b| {
        b.iter(|| chain::validate(std::hint::black_box(&bag), 0, &anchors, &options))
    });
    group.bench_function("rustls-webpki (first error, ring) (peer)", |b| {
        b.iter(webpki_validate)
    });
    group.finish();
}

criterion_group!(benches, decode, validate);
criterion_main!(benches);
