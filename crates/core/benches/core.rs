//! Criterion benchmarks of the core, each beside a peer measured in the same run:
//! decoding one certificate (tlscope details vs a bare x509-parser parse) and decoding the
//! system's CA bundle (~150 certificates). Chain validation against rustls-webpki, with both
//! signature backends, is in crates/agent/benches/chain.rs. Run with `cargo xtask bench`.

use criterion::{Criterion, criterion_group, criterion_main};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
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
        // What the dashboard's worker does with a dropped bundle after decoding it: every
        // certificate judged under the default policy, the chain of its first leaf built and
        // validated (RustCrypto, as in the browser), no anchors.
        let decoded = tlscope_core::decode(&bundle).unwrap();
        let policy = tlscope_core::Policy::default();
        let request = tlscope_core::judge::ChainRequest::default();
        let now = tlscope_core::Timestamp::from_unix(1_780_000_000);
        group.bench_function("tlscope judge (judge::inspect)", |b| {
            b.iter(|| {
                tlscope_core::judge::inspect(std::hint::black_box(&decoded), &request, &policy, now)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
