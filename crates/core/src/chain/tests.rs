//! Chain validation on chains made at test time with rcgen: one test per behaviour, each
//! naming the rule it expects.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SerialNumber, date_time_ymd,
};

use super::*;

struct Ca {
    der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(name: &str, not_after_year: i32) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2025, 1, 1);
    p.not_after = date_time_ymd(not_after_year, 1, 1);
    p.use_authority_key_identifier_extension = true;
    p
}

fn root(name: &str) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = ca_params(name, 2035);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca {
        der,
        issuer: Issuer::new(params, key),
    }
}

fn intermediate(name: &str, parent: &Ca, not_after_year: i32) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = ca_params(name, not_after_year);
    let der = params
        .signed_by(&key, &parent.issuer)
        .unwrap()
        .der()
        .to_vec();
    Ca {
        der,
        issuer: Issuer::new(params, key),
    }
}

fn leaf(host: &str, parent: &Ca, serial: u64) -> Vec<u8> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(vec![host.to_owned()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, host);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2026, 12, 31);
    p.serial_number = Some(SerialNumber::from(serial));
    p.use_authority_key_identifier_extension = true;
    p.signed_by(&key, &parent.issuer).unwrap().der().to_vec()
}

fn options(host: &str) -> Options {
    Options {
        now: Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap(),
        peer_names: vec![PeerName::host(host)],
        ..Options::default()
    }
}

fn anchors(roots: &[&Ca]) -> Vec<TrustAnchor> {
    roots
        .iter()
        .map(|r| TrustAnchor::from_certificate(&r.der).unwrap())
        .collect()
}

fn rules(report: &ChainReport) -> Vec<&'static str> {
    report.problems.iter().map(|f| f.rule).collect()
}

#[test]
fn a_correct_chain_is_valid() {
    let r = root("Root");
    let i = intermediate("Intermediate", &r, 2030);
    let l = leaf("api.example.test", &i, 7);
    let report = validate(
        &[l, i.der.clone()],
        0,
        &anchors(&[&r]),
        &options("api.example.test"),
    );
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!(report.paths.len(), 1);
    let names: Vec<&str> = report.paths[0]
        .links
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(names, ["api.example.test", "Intermediate", "Root"]);
}

#[test]
fn an_unordered_bag_with_duplicates_finds_its_leaf_and_path() {
    let r = root("Root");
    let i = intermediate("Intermediate", &r, 2030);
    let l = leaf("api.example.test", &i, 7);
    let bag = vec![i.der.clone(), i.der.clone(), l.clone(), r.der.clone()];
    let leaf_at = leaf_index(&bag);
    assert_eq!(leaf_at, 2);
    let report = validate(&bag, leaf_at, &anchors(&[&r]), &options("api.example.test"));
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!(report.paths[0].links[0].input_index, Some(2));
}

#[test]
fn a_missing_intermediate_is_named() {
    let r = root("Root");
    let i = intermediate("Intermediate", &r, 2030);
    let l = leaf("api.example.test", &i, 7);
    let report = validate(&[l], 0, &anchors(&[&r]), &options("api.example.test"));
    assert!(!report.valid);
    assert_eq!(rules(&report), ["CHAIN-ISSUER-NOT-FOUND"]);
    assert!(report.problems[0].evidence.contains("CN=Intermediate"));
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let r = root("Root");
    let i = intermediate("Intermediate", &r, 2026); // expires 2026-01-01
    let l = leaf("api.example.test", &i, 7);
    let report = validate(
        &[l, i.der.clone()],
        0,
        &anchors(&[&r]),
        &options("www.example.test"),
    );
    assert!(!report.valid);
    let found = rules(&report);
    assert!(found.contains(&"CERT-EXPIRED"), "{found:?}");
    assert!(found.contains(&"HOST-MISMATCH"), "{found:?}");
    let expired = report
        .problems
        .iter()
        .find(|f| f.rule == "CERT-EXPIRED")
        .unwrap();
    assert!(
        matches!(&expired.location, Location::Certificate { index: 1, name } if name == "Intermediate")
    );
}

#[test]
fn an_untrusted_root_is_reported_as_such() {
    let r = root("Private Root");
    let l = leaf("api.example.test", &r, 7);
    let report = validate(&[l, r.der.clone()], 0, &[], &options("api.example.test"));
    assert!(!report.valid);
    assert_eq!(rules(&report), ["CHAIN-UNTRUSTED-ROOT"]);
}

#[test]
fn a_signature_from_the_wrong_key_is_invalid() {
    let r = root("Root");
    let impostor = root("Root"); // same name, other key
    let l = leaf("api.example.test", &impostor, 7);
    let mut report = validate(
        std::slice::from_ref(&l),
        0,
        &anchors(&[&r]),
        &options("api.example.test"),
    );
    // rcgen sets AKI, so the impostor's leaf does not even look issued by the real root.
    assert!(!report.valid);
    // Without AKI/SKI hints the signature check itself must catch it.
    let anchor = TrustAnchor {
        certificate: None,
        ..TrustAnchor::from_certificate(&r.der).unwrap()
    };
    report = validate(&[l], 0, &[anchor], &options("api.example.test"));
    assert!(
        rules(&report).contains(&"CHAIN-SIGNATURE-INVALID"),
        "{:?}",
        rules(&report)
    );
}

#[test]
fn a_wrong_purpose_is_an_eku_problem() {
    let r = root("Root");
    let l = leaf("api.example.test", &r, 7);
    let mut o = options("api.example.test");
    o.purpose = Purpose::ClientAuth;
    let report = validate(&[l], 0, &anchors(&[&r]), &o);
    assert_eq!(rules(&report), ["CHAIN-EKU"]);
}

#[test]
fn a_revoked_leaf_is_rejected_and_an_unlisted_one_is_not() {
    let r = root("Root");
    let revoked = leaf("a.example.test", &r, 41);
    let fine = leaf("b.example.test", &r, 42);
    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 5, 1),
        next_update: date_time_ymd(2026, 7, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(41u64),
            revocation_time: date_time_ymd(2026, 5, 1),
            reason_code: Some(rcgen::RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&r.issuer)
    .unwrap();
    let mut o = options("a.example.test");
    o.crls = vec![crl.der().to_vec()];
    let report = validate(&[revoked], 0, &anchors(&[&r]), &o);
    assert_eq!(rules(&report), ["CHAIN-REVOKED"]);
    assert!(
        report.problems[0].evidence.contains("29"),
        "{}",
        report.problems[0].evidence
    );
    o.peer_names = vec![PeerName::host("b.example.test")];
    assert!(validate(&[fine], 0, &anchors(&[&r]), &o).valid);
}

#[test]
fn mozilla_anchors_are_used_by_name_and_key() {
    let anchors = TrustAnchor::mozilla();
    let r = root("Root");
    let l = leaf("api.example.test", &r, 7);
    let report = validate(&[l], 0, &anchors, &options("api.example.test"));
    assert_eq!(rules(&report), ["CHAIN-ISSUER-NOT-FOUND"]);
}
