//! The other formats people drop, made by the `openssl` command line: PKCS#7 bundles (PEM and
//! DER), CSRs, CRLs, and private keys in every container, which must be reported by type and
//! size only. Also an openssl-built chain validated end to end.

mod common;

use std::path::Path;
use std::process::Command;

use common::{openssl, workdir};

use tlscope_core::chain::{self, Options, PeerName, TrustAnchor};
use tlscope_core::{Item, Timestamp, decode};

fn sh(script: &str, dir: &Path) {
    let out = Command::new("sh")
        .args(["-ec", script])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// root → intermediate → leaf for `api.example.test`, as a platform team would make it.
fn make_chain(dir: &Path) {
    sh(
        r#"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
  -subj "/CN=Test Root" -days 3650 -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout int.key -out int.csr -subj "/CN=Test Intermediate" 2>/dev/null
printf "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n" > int.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 1000 -extfile int.ext 2>/dev/null
openssl req -newkey rsa:3072 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=api.example.test" -addext "subjectAltName=DNS:api.example.test" 2>/dev/null
printf "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:api.example.test\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n" > leaf.ext
openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 4660 -out leaf.pem -days 80 -extfile leaf.ext 2>/dev/null
cat leaf.pem int.pem > bundle.pem
"#,
        dir,
    );
}

fn certificates(bytes: &[u8]) -> Vec<Vec<u8>> {
    decode(bytes)
        .unwrap()
        .certificates()
        .map(|c| c.der.clone())
        .collect()
}

#[test]
fn pkcs7_bundles_yield_their_certificates_in_pem_and_der() {
    let dir = workdir("p7b");
    make_chain(&dir);
    openssl(
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "bundle.pem",
            "-out",
            "b.p7b",
        ],
        &dir,
    );
    openssl(
        &[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            "bundle.pem",
            "-outform",
            "DER",
            "-out",
            "b.p7b.der",
        ],
        &dir,
    );
    let expected = certificates(&std::fs::read(dir.join("bundle.pem")).unwrap());
    for file in ["b.p7b", "b.p7b.der"] {
        let got = certificates(&std::fs::read(dir.join(file)).unwrap());
        assert_eq!(got.len(), 2, "{file}");
        for der in &expected {
            assert!(got.contains(der), "{file} lost a certificate");
        }
    }
}

#[test]
fn an_openssl_chain_validates_and_a_wrong_host_does_not() {
    let dir = workdir("chain");
    make_chain(&dir);
    let bag = certificates(&std::fs::read(dir.join("bundle.pem")).unwrap());
    let root = certificates(&std::fs::read(dir.join("root.pem")).unwrap());
    let anchors = vec![TrustAnchor::from_certificate(&root[0]).unwrap()];
    let mut options = Options {
        now: Timestamp::from_unix(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64,
        ),
        peer_names: vec![PeerName::host("api.example.test")],
        ..Options::default()
    };
    let report = chain::validate(&bag, chain::leaf_index(&bag), &anchors, &options);
    assert!(report.valid, "{:#?}", report.problems);
    options.peer_names = vec![PeerName::host("db.example.test")];
    let report = chain::validate(&bag, chain::leaf_index(&bag), &anchors, &options);
    assert_eq!(
        report.problems.iter().map(|f| f.rule).collect::<Vec<_>>(),
        ["HOST-MISMATCH"]
    );
}

#[test]
fn csrs_are_decoded_with_proof_of_possession() {
    let dir = workdir("csr");
    make_chain(&dir);
    let bytes = std::fs::read(dir.join("leaf.csr")).unwrap();
    let d = decode(&bytes).unwrap();
    let Item::Request { request, .. } = &d.items[0] else {
        panic!("expected a CSR: {:?}", d.items);
    };
    assert_eq!(request.subject.rfc4514, "CN=api.example.test");
    assert_eq!(request.public_key.bits, 3072);
    assert!(request.signature_valid, "{:?}", request.signature_problem);
    assert!(request.signature_checked);
    assert_eq!(request.subject_alt_names.len(), 1);
    // The dashboard's page decodes without checking (its judging worker checks): the same
    // request, said to be unchecked rather than valid or invalid.
    let shown = tlscope_core::decode::decode_unverified(&bytes).unwrap();
    let Item::Request { request: shown, .. } = &shown.items[0] else {
        panic!("expected a CSR: {:?}", shown.items);
    };
    assert!(!shown.signature_checked && !shown.signature_valid);
    assert_eq!(shown.signature_problem, None);
    assert_eq!(shown.subject, request.subject);
    assert_eq!(shown.subject_alt_names, request.subject_alt_names);
}

#[test]
fn crls_are_decoded_and_used_for_revocation() {
    let dir = workdir("crl");
    make_chain(&dir);
    sh(
        r#"
mkdir -p ca/newcerts && : > ca/index.txt && echo 1000 > ca/crlnumber
cat > ca.cnf <<EOF
[ ca ]
default_ca = CA
[ CA ]
dir = ./ca
database = ./ca/index.txt
new_certs_dir = ./ca/newcerts
certificate = int.pem
private_key = int.key
crlnumber = ./ca/crlnumber
default_md = sha256
default_crl_days = 7
EOF
openssl ca -config ca.cnf -revoke leaf.pem -crl_reason keyCompromise 2>/dev/null
openssl ca -config ca.cnf -gencrl -out int.crl 2>/dev/null
"#,
        &dir,
    );
    let crl_bytes = std::fs::read(dir.join("int.crl")).unwrap();
    let d = decode(&crl_bytes).unwrap();
    let Item::RevocationList { crl, .. } = &d.items[0] else {
        panic!("expected a CRL: {:?}", d.items);
    };
    assert_eq!(crl.issuer.rfc4514, "CN=Test Intermediate");
    assert_eq!(crl.revoked_count, 1);
    assert_eq!(crl.revoked[0].serial, "1234");
    assert_eq!(crl.number.as_deref(), Some("1000"));

    let mut input = std::fs::read(dir.join("bundle.pem")).unwrap();
    input.extend_from_slice(&crl_bytes);
    let decoded = decode(&input).unwrap();
    let root = certificates(&std::fs::read(dir.join("root.pem")).unwrap());
    let request = tlscope_core::judge::ChainRequest {
        anchors: vec![TrustAnchor::from_certificate(&root[0]).unwrap()],
        ..Default::default()
    };
    let now = crl.this_update;
    let inspection =
        tlscope_core::judge::inspect(&decoded, &request, &tlscope_core::Policy::default(), now);
    let chain = inspection.chain.unwrap();
    assert!(!chain.valid);
    assert!(
        chain
            .problems
            .iter()
            .any(|f| f.rule == "CHAIN-REVOKED" && f.evidence.contains("1234")),
        "{:#?}",
        chain.problems
    );
}

#[test]
fn private_keys_are_reported_by_type_and_size_only() {
    let dir = workdir("keys");
    sh(
        r#"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa8.pem 2>/dev/null
openssl rsa -in rsa8.pem -traditional -out rsa1.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec8.pem 2>/dev/null
openssl ec -in ec8.pem -out sec1.pem 2>/dev/null
openssl genpkey -algorithm ED25519 -out ed.pem 2>/dev/null
openssl pkcs8 -topk8 -in ec8.pem -passout pass:secret -out enc.pem 2>/dev/null
openssl pkey -in ec8.pem -outform DER -out sec1.der 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in ec8.pem -outform DER -out ec8.der 2>/dev/null
"#,
        &dir,
    );
    // file, container, algorithm, bits, encrypted
    type KeyCase = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<u32>,
        bool,
    );
    let cases: &[KeyCase] = &[
        ("rsa8.pem", "PKCS#8", Some("RSA"), Some(3072), false),
        ("rsa1.pem", "PKCS#1 RSA", Some("RSA"), Some(3072), false),
        ("ec8.pem", "PKCS#8", Some("EC"), Some(384), false),
        ("sec1.pem", "SEC1 EC", Some("EC"), Some(384), false),
        ("ed.pem", "PKCS#8", Some("Ed25519"), Some(256), false),
        ("enc.pem", "PKCS#8", None, None, true),
        ("ec8.der", "PKCS#8", Some("EC"), Some(384), false),
        // `openssl pkey -outform DER` writes EC keys as SEC1, not PKCS#8.
        ("sec1.der", "SEC1 EC", Some("EC"), Some(384), false),
    ];
    for (file, want_format, want_alg, want_bits, want_encrypted) in cases {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let d = decode(&bytes).unwrap();
        let Item::PrivateKey {
            format,
            algorithm,
            bits,
            encrypted,
            ..
        } = &d.items[0]
        else {
            panic!("{file}: {:?}", d.items);
        };
        assert_eq!(format, want_format, "{file}");
        assert_eq!(algorithm.as_deref(), *want_alg, "{file}");
        assert_eq!(bits, want_bits, "{file}");
        assert_eq!(encrypted, want_encrypted, "{file}");
        let json = serde_json::to_string(&d).unwrap();
        if !file.ends_with(".pem") {
            continue;
        }
        let body: String = String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        assert!(
            body.len() < 16 || !json.contains(&body[..16]),
            "{file}: key material leaked into the output"
        );
    }
}

fn rule_ids(findings: &[tlscope_core::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule).collect()
}

#[test]
fn sha1_signatures_tampered_requests_and_stale_crls_are_findings() {
    let dir = workdir("weak");
    make_chain(&dir);
    sh(
        r#"
openssl x509 -req -sha1 -in leaf.csr -CA int.pem -CAkey int.key -set_serial 77 -out sha1.pem -days 80 -extfile leaf.ext 2>/dev/null
openssl req -in leaf.csr -outform DER -out leaf.csr.der
mkdir -p ca/newcerts && : > ca/index.txt && echo 1000 > ca/crlnumber
printf "[ca]\ndefault_ca=CA\n[CA]\ndatabase=./ca/index.txt\nnew_certs_dir=./ca/newcerts\ncertificate=int.pem\nprivate_key=int.key\ncrlnumber=./ca/crlnumber\ndefault_md=sha256\ndefault_crl_days=1\n" > ca.cnf
openssl ca -config ca.cnf -gencrl -out int.crl 2>/dev/null
"#,
        &dir,
    );
    let policy = tlscope_core::Policy::default();
    let root = certificates(&std::fs::read(dir.join("root.pem")).unwrap());
    let anchors = vec![TrustAnchor::from_certificate(&root[0]).unwrap()];
    let mut bag = certificates(&std::fs::read(dir.join("sha1.pem")).unwrap());
    bag.extend(certificates(&std::fs::read(dir.join("int.pem")).unwrap()));
    let now = decode(&std::fs::read(dir.join("sha1.pem")).unwrap())
        .unwrap()
        .certificates()
        .next()
        .unwrap()
        .validity
        .not_before;
    let report = chain::validate(
        &bag,
        0,
        &anchors,
        &Options {
            now,
            ..Options::default()
        },
    );
    assert!(!report.valid);
    assert!(
        rule_ids(&report.problems).contains(&"CHAIN-SIGNATURE-WEAK"),
        "{:#?}",
        report.problems
    );

    // A CSR whose signature no longer matches its content.
    let mut csr = std::fs::read(dir.join("leaf.csr.der")).unwrap();
    let last = csr.len() - 1;
    csr[last] ^= 0x55;
    let d = decode(&csr).unwrap();
    let ids = rule_ids(&tlscope_core::judge::decoded(&d, &policy, now));
    assert!(ids.contains(&"CSR-SIGNATURE-INVALID"), "{ids:?}");
    let clean = decode(&std::fs::read(dir.join("leaf.csr")).unwrap()).unwrap();
    assert!(
        !rule_ids(&tlscope_core::judge::decoded(&clean, &policy, now))
            .contains(&"CSR-SIGNATURE-INVALID")
    );

    // A CRL judged after its nextUpdate.
    let d = decode(&std::fs::read(dir.join("int.crl")).unwrap()).unwrap();
    let next = d.revocation_lists().next().unwrap().next_update.unwrap();
    let before = rule_ids(&tlscope_core::judge::decoded(&d, &policy, next));
    assert!(!before.contains(&"CRL-STALE"), "{before:?}");
    let after = Timestamp::from_unix(next.unix() + 3600);
    assert!(rule_ids(&tlscope_core::judge::decoded(&d, &policy, after)).contains(&"CRL-STALE"));
}

#[test]
fn pinned_hosts_must_present_a_pinned_key() {
    use tlscope_core::handshake::{HandshakeRecord, Outcome, Segment};
    let dir = workdir("pins");
    make_chain(&dir);
    let bundle = std::fs::read(dir.join("bundle.pem")).unwrap();
    let decoded = decode(&bundle).unwrap();
    let leaf = decoded.certificates().next().unwrap().clone();
    let root = certificates(&std::fs::read(dir.join("root.pem")).unwrap());
    let anchors = vec![TrustAnchor::from_certificate(&root[0]).unwrap()];
    let record = HandshakeRecord {
        endpoint: "127.0.0.1:443".into(),
        server_name: Some("api.example.test".into()),
        segment: Segment::Client,
        at: leaf.validity.not_before,
        version: Some(tlscope_core::protocol::TlsVersion::Tls13),
        suite: Some("TLS_AES_128_GCM_SHA256".into()),
        group: Some("X25519".into()),
        alpn: None,
        client_certificate: false,
        peer_identity: None,
        peer_chain: certificates(&bundle),
        resumed: false,
        fips: false,
        latency_micros: 1000,
        outcome: Outcome::Accepted,
    };
    let judge = |pin: &str| {
        let mut policy = tlscope_core::Policy::default();
        policy
            .pins
            .insert("api.example.test".into(), vec![pin.to_owned()]);
        rule_ids(&tlscope_core::judge::handshake(
            &record,
            &anchors,
            &policy,
            leaf.validity.not_before,
        ))
    };
    assert_eq!(
        judge(&format!("sha256/{}", leaf.spki_sha256_base64)),
        Vec::<&str>::new()
    );
    assert_eq!(judge(&leaf.fingerprint_sha256), Vec::<&str>::new());
    assert_eq!(
        judge("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
        ["PIN-MISMATCH"]
    );
}
