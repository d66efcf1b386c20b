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

/// A leaf with these SANs (DNS names, or IP addresses when they parse as one) and this CN.
fn leaf_with_cn(cn: &str, sans: &[&str], parent: &Ca) -> Vec<u8> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p =
        CertificateParams::new(sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2026, 12, 31);
    p.use_authority_key_identifier_extension = true;
    p.signed_by(&key, &parent.issuer).unwrap().der().to_vec()
}

/// x509-limbo `webpki::ca-as-leaf`: a CA certificate presented as the server is refused.
#[test]
fn webpki_ca_as_leaf_is_refused() {
    let r = root("Root");
    let i = intermediate("ca.example.test", &r, 2030);
    let report = validate(
        std::slice::from_ref(&i.der),
        0,
        &anchors(&[&r]),
        &options("ca.example.test"),
    );
    assert!(!report.valid);
    assert!(rules(&report).contains(&"CHAIN-CA-AS-LEAF"), "{report:#?}");
    // Without a name to check, and for no particular purpose, the intermediate is a valid CA.
    let as_ca = Options {
        purpose: Purpose::Any,
        peer_names: Vec::new(),
        ..options("ca.example.test")
    };
    let report = validate(&[i.der], 0, &anchors(&[&r]), &as_ca);
    assert!(report.valid, "{:#?}", report.problems);
}

/// x509-limbo `rfc5280::nc::permitted-dns-match-noncritical`: nameConstraints must be critical.
#[test]
fn rfc5280_nc_permitted_dns_match_noncritical_is_refused() {
    // NameConstraints { permittedSubtrees [0] { GeneralSubtree { dNSName "example.test" } } },
    // DER, in a root that marks it critical and in one that does not.
    let mut nc = vec![0x30, 0x12, 0xa0, 0x10, 0x30, 0x0e, 0x82, 0x0c];
    nc.extend_from_slice(b"example.test");
    let constrained_root = |critical: bool| {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = ca_params("Constrained root", 2035);
        let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 30], nc.clone());
        ext.set_criticality(critical);
        params.custom_extensions.push(ext);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        Ca {
            der,
            issuer: Issuer::new(params, key),
        }
    };
    let r = constrained_root(true);
    let l = leaf("api.example.test", &r, 9);
    let ok = validate(
        std::slice::from_ref(&l),
        0,
        &anchors(&[&r]),
        &options("api.example.test"),
    );
    assert!(ok.valid, "{:#?}", ok.problems);
    let r = constrained_root(false);
    let l = leaf("api.example.test", &r, 9);
    let report = validate(&[l], 0, &anchors(&[&r]), &options("api.example.test"));
    assert!(!report.valid);
    assert!(
        report
            .problems
            .iter()
            .any(|f| f.rule == "CHAIN-NAME-CONSTRAINTS" && f.evidence.contains("not critical")),
        "{report:#?}"
    );
}

/// BetterTLS (100 wrong rejects before): a CN naming *another* IP address than the IP SAN is
/// not a respelling of it, only a CN outside the SANs (a warning).
#[test]
fn bettertls_ip_cn_naming_another_address_is_not_a_respelling() {
    let r = root("Root");
    let l = leaf_with_cn("1.1.1.1", &["127.0.0.1"], &r);
    let report = validate(&[l], 0, &anchors(&[&r]), &options("127.0.0.1"));
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!(rules(&report), ["CERT-CN-NOT-IN-SAN"]);
    // The same address in another notation still is one, and is refused.
    let l = leaf_with_cn("127.000.000.001", &["127.0.0.1"], &r);
    let report = validate(&[l], 0, &anchors(&[&r]), &options("127.0.0.1"));
    assert!(!report.valid);
    assert_eq!(rules(&report), ["CHAIN-PROFILE"]);
}

/// x509-limbo `webpki::cn::not-in-san`: a warning by default, refused under
/// `CommonNameCheck::Refuse` (`tlscope inspect --strict-cn`).
#[test]
fn webpki_cn_not_in_san_warns_and_strict_refuses() {
    let r = root("Root");
    let l = leaf_with_cn("notinsan.example.test", &["valid.example.test"], &r);
    let report = validate(
        std::slice::from_ref(&l),
        0,
        &anchors(&[&r]),
        &options("valid.example.test"),
    );
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!(rules(&report), ["CERT-CN-NOT-IN-SAN"]);
    let strict = Options {
        common_name: CommonNameCheck::Refuse,
        ..options("valid.example.test")
    };
    let report = validate(&[l], 0, &anchors(&[&r]), &strict);
    assert!(!report.valid);
    assert_eq!(rules(&report), ["CHAIN-PROFILE"]);
}

/// "What is this root?": a root of a store that keeps only subject and key (the Mozilla set),
/// inspected by itself, is recognised as that anchor and judged as a CA; asked for as a server
/// it is a CA used as an end entity.
#[test]
fn a_root_inspected_alone_is_recognised_as_its_trust_anchor() {
    let r = root("Lonely Root");
    let from_cert = TrustAnchor::from_certificate(&r.der).unwrap();
    let by_name_and_key = TrustAnchor {
        certificate: None,
        origin: AnchorOrigin::Mozilla,
        ..from_cert
    };
    let alone = Options {
        peer_names: Vec::new(),
        ..options("unused")
    };
    let report = validate(
        std::slice::from_ref(&r.der),
        0,
        std::slice::from_ref(&by_name_and_key),
        &alone,
    );
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!(rules(&report), ["CERT-TRUST-ANCHOR"]);
    assert!(report.problems[0].evidence.contains("Mozilla"));
    assert_eq!(report.paths[0].links[0].anchor, Some(AnchorOrigin::Mozilla));
    let report = validate(
        &[r.der],
        0,
        &[by_name_and_key],
        &options("www.example.test"),
    );
    assert!(!report.valid);
    assert!(rules(&report).contains(&"CHAIN-CA-AS-LEAF"), "{report:#?}");
}

/// Regression: a validation that stopped at its limits with candidates left untried (here more
/// than `MAX_PATHS` impostor intermediates before the real one) said only "signature invalid",
/// as if no valid path existed; a signature left unchecked for the budget was reported as an
/// unsupported algorithm. It must say it stopped (CHAIN-TOO-COMPLEX), and nothing else false.
#[test]
fn regression_a_validation_stopped_at_its_limits_says_so() {
    let root = root("Budget Root");
    // Intermediates with the issuer's name and key identifier but other keys: each is a
    // candidate whose signature must be checked, more than the budget allows.
    let same_id = |parent: &Ca| {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = ca_params("Budget CA", 2030);
        params.key_identifier_method = KeyIdMethod::PreSpecified(vec![7; 20]);
        let der = params
            .signed_by(&key, &parent.issuer)
            .unwrap()
            .der()
            .to_vec();
        Ca {
            der,
            issuer: Issuer::new(params, key),
        }
    };
    let real = same_id(&root);
    let mut bag = vec![leaf("budget.example", &real, 7)];
    for _ in 0..(Limits::MAX_SIGNATURES + 10) {
        bag.push(same_id(&root).der);
    }
    bag.push(real.der.clone());
    let report = validate(&bag, 0, &anchors(&[&root]), &options("budget.example"));
    let found: Vec<&str> = report
        .paths
        .iter()
        .flat_map(|p| p.problems.iter().map(|f| f.rule))
        .chain(rules(&report))
        .collect();
    assert!(report.exhausted, "{found:?}");
    assert!(found.contains(&"CHAIN-TOO-COMPLEX"), "{found:?}");
    assert!(!found.contains(&"CHAIN-SIGNATURE-UNSUPPORTED"), "{found:?}");
}

/// Issue 16: the chain's RSA minimum is the policy's (`keys.rsa_min_bits`), not a constant, and
/// the policy's judgement of the same key adds no second finding.
#[test]
fn the_rsa_minimum_is_the_policys_and_one_key_gives_one_finding() {
    let root = root("RSA Root");
    let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let params = ca_params("RSA CA", 2030);
    let rsa = Ca {
        der: params.signed_by(&key, &root.issuer).unwrap().der().to_vec(),
        issuer: Issuer::new(params, key),
    };
    let bag = vec![leaf("rsa.example", &rsa, 9), rsa.der.clone()];
    let at = |bits| Options {
        rsa_min_bits: Some(bits),
        ..options("rsa.example")
    };
    assert!(validate(&bag, 0, &anchors(&[&root]), &at(2048)).valid);
    let strict = validate(&bag, 0, &anchors(&[&root]), &at(3072));
    assert!(!strict.valid);
    assert!(
        strict
            .problems
            .iter()
            .any(|f| f.rule == "CHAIN-KEY-REJECTED" && f.evidence.contains("at least 3072")),
        "{:#?}",
        strict.problems
    );

    // Through the judge, under a policy requiring 3072 bits: one finding for that key.
    let pem: String = bag
        .iter()
        .map(|der| {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(der);
            format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
        })
        .collect();
    let decoded = crate::decode(pem.as_bytes()).unwrap();
    let mut policy = crate::Policy::default();
    policy.keys.rsa_min_bits = 3072;
    let request = crate::judge::ChainRequest::for_host(
        anchors(&[&root]),
        Purpose::ServerAuth,
        Some(PeerName::host("rsa.example")),
    );
    let inspection = crate::judge::inspect(&decoded, &request, &policy, options("x").now);
    let about_the_key: Vec<&str> = inspection
        .findings
        .iter()
        .filter(|f| f.evidence.contains("RSA"))
        .map(|f| f.rule)
        .collect();
    assert_eq!(
        about_the_key,
        ["CHAIN-KEY-REJECTED"],
        "{:#?}",
        inspection.findings
    );
}

/// Issue 20: a post-quantum chain, made by aws-lc-rs through rcgen — an ML-DSA-87 root, an
/// ML-DSA-65 intermediate, an ML-DSA-44 leaf — verifies with the pure-Rust ML-DSA in the core,
/// and a leaf whose signature is altered does not.
#[test]
fn an_ml_dsa_chain_at_every_level_verifies() {
    let make_ca = |name: &str, alg: &'static rcgen::SignatureAlgorithm, parent: Option<&Ca>| {
        let key = KeyPair::generate_for(alg).unwrap();
        let params = ca_params(name, 2035);
        let der = match parent {
            None => params.self_signed(&key).unwrap().der().to_vec(),
            Some(p) => params.signed_by(&key, &p.issuer).unwrap().der().to_vec(),
        };
        Ca {
            der,
            issuer: Issuer::new(params, key),
        }
    };
    let r = make_ca("PQ Root", &rcgen::PKCS_ML_DSA_87, None);
    let i = make_ca("PQ Intermediate", &rcgen::PKCS_ML_DSA_65, Some(&r));
    let key = KeyPair::generate_for(&rcgen::PKCS_ML_DSA_44).unwrap();
    let mut p = CertificateParams::new(vec!["pq.example.test".to_owned()]).unwrap();
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2026, 12, 31);
    p.use_authority_key_identifier_extension = true;
    let l = p.signed_by(&key, &i.issuer).unwrap().der().to_vec();
    let report = validate(
        &[l.clone(), i.der.clone()],
        0,
        &anchors(&[&r]),
        &options("pq.example.test"),
    );
    assert!(report.valid, "{:#?}", report.problems);
    let names: Vec<_> = [&l, &i.der, &r.der]
        .iter()
        .map(|d| {
            let c = crate::certificate::Certificate::from_der(d).unwrap();
            (
                c.public_key.algorithm,
                c.signature_algorithm,
                c.signature_bytes,
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("ML-DSA-44".to_owned(), "ML-DSA-65".to_owned(), 3309),
            ("ML-DSA-65".to_owned(), "ML-DSA-87".to_owned(), 4627),
            ("ML-DSA-87".to_owned(), "ML-DSA-87".to_owned(), 4627),
        ]
    );
    // The last byte of the DER is the signature's: flip it.
    let mut bad = l.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let report = validate(
        &[bad, i.der.clone()],
        0,
        &anchors(&[&r]),
        &options("pq.example.test"),
    );
    assert!(!report.valid);
    assert!(
        report
            .problems
            .iter()
            .any(|f| f.evidence.contains("ML-DSA-65 signature does not verify")),
        "{:#?}",
        report.problems
    );
}

/// Issue 20: a client certificate whose path ends at a root of the Mozilla program is flagged
/// (public hierarchies are dropping clientAuth); the same chain under a supplied private root,
/// or validated for a server, is not.
#[test]
fn a_client_certificate_from_a_public_root_is_flagged() {
    let r = root("Public-ish Root");
    let i = intermediate("Issuing CA", &r, 2030);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(vec!["edge.example.test".to_owned()]).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::CommonName, "edge.example.test");
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2026, 12, 31);
    p.use_authority_key_identifier_extension = true;
    let l = p.signed_by(&key, &i.issuer).unwrap().der().to_vec();
    let supplied = TrustAnchor::from_certificate(&r.der).unwrap();
    let mozilla = TrustAnchor {
        certificate: None,
        origin: AnchorOrigin::Mozilla,
        ..supplied.clone()
    };
    let client = Options {
        purpose: Purpose::ClientAuth,
        peer_names: Vec::new(),
        ..options("unused")
    };
    let chain = [l, i.der.clone()];
    let report = validate(&chain, 0, std::slice::from_ref(&mozilla), &client);
    assert!(
        report.valid,
        "a warning, not a refusal: {:#?}",
        report.problems
    );
    assert_eq!(rules(&report), ["MTLS-PUBLIC-CLIENT-CERT"]);
    assert!(report.problems[0].evidence.contains("Public-ish Root"));
    let report = validate(&chain, 0, &[supplied], &client);
    assert_eq!(rules(&report), Vec::<&str>::new());
    let report = validate(&chain, 0, &[mozilla], &options("edge.example.test"));
    assert_eq!(rules(&report), Vec::<&str>::new());
}

/// Issue 20: the verdict names every store whose anchor ends the valid path — the same root in
/// the Mozilla program and the system store is trusted by both.
#[test]
fn the_verdict_names_each_store_that_trusts_the_chain() {
    let r = root("Shared Root");
    let i = intermediate("Intermediate", &r, 2030);
    let l = leaf("api.example.test", &i, 9);
    let base = TrustAnchor::from_certificate(&r.der).unwrap();
    let stores = [
        TrustAnchor {
            certificate: None,
            origin: AnchorOrigin::Mozilla,
            ..base.clone()
        },
        TrustAnchor {
            origin: AnchorOrigin::System,
            ..base
        },
    ];
    let chain = [l, i.der.clone()];
    let report = validate(&chain, 0, &stores, &options("api.example.test"));
    assert!(report.valid, "{:#?}", report.problems);
    assert_eq!(
        report.trusted_by,
        [AnchorOrigin::Mozilla, AnchorOrigin::System]
    );
    let report = validate(&chain, 0, &stores[1..], &options("api.example.test"));
    assert_eq!(report.trusted_by, [AnchorOrigin::System]);
    let report = validate(&chain, 0, &[], &options("api.example.test"));
    assert!(report.trusted_by.is_empty());
}

thread_local! {
    /// Signature checks made through [`counting_backend`] on this test's thread.
    static CHECKED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A backend that counts each check and leaves the arithmetic to RustCrypto.
fn counting_backend(_: signature::Primitive, _: &[u8], _: &[u8], _: &[u8]) -> Option<bool> {
    CHECKED.with(|c| c.set(c.get() + 1));
    None
}

fn checks_made(bag: &[Vec<u8>], anchors: &[TrustAnchor], host: &str) -> (bool, usize) {
    CHECKED.with(|c| c.set(0));
    let opts = Options {
        backend: Some(counting_backend),
        ..options(host)
    };
    let report = validate(bag, 0, anchors, &opts);
    (report.valid, CHECKED.with(std::cell::Cell::get))
}

#[test]
fn a_three_certificate_chain_costs_two_signature_checks_and_the_anchor_none() {
    let root = root("Count Root");
    let int = intermediate("Count Intermediate", &root, 2030);
    let leaf = leaf("count.example", &int, 1);
    // The root is in the bag too, and the Mozilla set beside it: neither adds a check.
    let mut all = anchors(&[&root]);
    all.extend(TrustAnchor::mozilla());
    let bag = vec![leaf, int.der.clone(), root.der.clone()];
    assert_eq!(checks_made(&bag, &all, "count.example"), (true, 2));
}

#[test]
fn a_cross_signed_intermediate_is_verified_once_per_issuer_key() {
    let trusted = root("Cross Trusted Root");
    let other = root("Cross Other Root");
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = ca_params("Cross Intermediate", 2030);
    let by_other = params
        .signed_by(&key, &other.issuer)
        .unwrap()
        .der()
        .to_vec();
    let by_trusted = params
        .signed_by(&key, &trusted.issuer)
        .unwrap()
        .der()
        .to_vec();
    let int = Ca {
        der: by_trusted.clone(),
        issuer: Issuer::new(params, key),
    };
    let leaf = leaf("cross.example", &int, 2);
    // The untrusted cross-sign comes first, so its dead-end path is tried first: the leaf's
    // signature by the shared key is checked there and not again on the valid path.
    let bag = vec![leaf, by_other, by_trusted];
    assert_eq!(
        checks_made(&bag, &anchors(&[&trusted]), "cross.example"),
        (true, 2)
    );
}
