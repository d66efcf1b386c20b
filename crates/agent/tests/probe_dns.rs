//! `tlscope probe --dns` against Knot DNS on loopback: a DNSSEC-signed parent zone (`test.`,
//! the trust anchor) delegating to a signed child with a DS (`signed.test.`) and to an unsigned
//! one (`plain.test.`), with CAA, TLSA (matching and not) and HTTPS records (with a good and a
//! broken ECH configuration) in front of the testbed's nginx. Every DNS finding is asserted
//! present where the zone makes it true and absent where it does not.

use tlscope_testbed as servers;

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-dns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the SubjectPublicKeyInfo of the first certificate in a PEM file.
fn spki_sha256(pem: &std::path::Path) -> String {
    let decoded = tlscope_core::decode(&std::fs::read(pem).expect("pem")).expect("decodes");
    let cert = decoded.certificates().next().expect("a certificate");
    hex(&Sha256::digest(
        tlscope_core::certificate::spki_der(&cert.der).expect("spki"),
    ))
}

fn rules(input: &Value) -> Vec<String> {
    input["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| r.starts_with("DNS-"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn caa_tlsa_https_and_ech_from_a_signed_and_an_unsigned_zone() {
    let dir = scratch();
    let pki = servers::Pki::new(&dir.join("pki"));
    let (nginx, spec, _weak) = servers::nginx(&dir, &pki);
    let leaf_key = spki_sha256(&pki.cert);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let good_ech = tlscope_core::dns::encode_ech_list(3, 0x0020, &[5u8; 32], "public.signed.test");
    let mut broken_ech = good_ech.clone();
    broken_ech.truncate(good_ech.len() - 6);
    let port = nginx.port;
    assert_eq!(port, spec);
    let signed = format!(
        "www A 127.0.0.1\n\
         www2 A 127.0.0.1\n\
         @ CAA 0 issue \"ca.tlscope.test\"\n\
         www2 CAA 0 issue \"letsencrypt.org\"\n\
         _{port}._tcp.www TLSA 3 1 1 {leaf_key}\n\
         _{port}._tcp.www2 TLSA 3 1 1 {}\n\
         _{port}._https.www HTTPS 1 . alpn=h2 ech={}\n\
         _{port}._https.www2 HTTPS 1 . alpn=http/1.1,h3 ech={}\n",
        "ab".repeat(32),
        b64(&good_ech),
        b64(&broken_ech),
    );
    // The served key and the next one, pre-published: nothing to say but that it is unsigned.
    let plain = format!(
        "www A 127.0.0.1\n\
         _{port}._tcp.www TLSA 3 1 1 {leaf_key}\n\
         _{port}._tcp.www TLSA 3 1 1 {}\n",
        "cd".repeat(32)
    );
    let knot = servers::knot(
        &dir,
        "test",
        &[
            servers::Zone {
                name: "signed.test".into(),
                signed: true,
                records: signed,
            },
            servers::Zone {
                name: "plain.test".into(),
                signed: false,
                records: plain,
            },
        ],
    );
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n[dns.caa_issuers]\n\"ca.tlscope.test\" = [\"tlscope test CA\"]\n",
    )
    .expect("policy");
    let resolver = format!("127.0.0.1:{}", knot.port);
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["probe", "--format", "json", "--timeout", "3"])
        .arg("--roots")
        .arg(&pki.ca)
        .arg("--policy")
        .arg(&policy)
        .args(["--dns", &resolver])
        .arg("--dns-trust-anchor")
        .arg(&knot.anchor)
        .arg(format!("https://www.signed.test:{port}/"))
        .arg(format!("https://www2.signed.test:{port}/"))
        .arg(format!("https://www.plain.test:{port}/"))
        .arg(format!("https://nowhere.plain.test:{port}/"))
        .output()
        .expect("run tlscope probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/report.schema.json"
        ))
        .expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "report.schema.json: {errors:#?}");
    let inputs = doc["inputs"].as_array().expect("inputs");
    let (www, www2, plain, nowhere) = (&inputs[0], &inputs[1], &inputs[2], &inputs[3]);

    // The signed zone: every answer validated from the parent's key through the DS.
    let dns = &www["probe"]["dns"];
    assert_eq!(dns["resolver"], resolver.as_str());
    for set in ["caa", "tlsa", "https"] {
        assert_eq!(dns[set]["proof"], "secure", "{set}: {dns:#}");
    }
    assert_eq!(
        dns["caa"]["name"], "signed.test.",
        "the walk stops where CAA is found"
    );
    assert_eq!(
        dns["caa_walk"],
        serde_json::json!(["www.signed.test.", "signed.test."])
    );
    assert!(
        www["probe"]["address"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:")),
        "the address came from --dns: {www:#}"
    );
    // CAA allows the testbed CA (mapped by the policy); the TLSA record pins the served key and
    // nothing else (rollover); the HTTPS record says h2, nginx without http2 chose http/1.1.
    let mut got = rules(www);
    got.sort();
    // The record's ECH config (a key nginx does not hold) is offered and rejected, and the
    // certificate nginx serves is not valid for the config's public name.
    assert_eq!(
        got,
        [
            "DNS-ECH-PUBLIC-NAME-CERT",
            "DNS-ECH-REJECTED",
            "DNS-HTTPS-ALPN-MISMATCH",
            "DNS-TLSA-ROLLOVER"
        ],
        "{www:#}"
    );
    assert_eq!(dns["ech"]["status"], "rejected", "{dns:#}");
    assert_eq!(dns["ech"]["public_name"], "public.signed.test");

    let mut got = rules(www2);
    got.sort();
    assert_eq!(
        got,
        [
            "DNS-CAA-FORBIDS-ISSUER",
            "DNS-ECH-UNDECODABLE",
            "DNS-HTTPS-ALPN-MISMATCH",
            "DNS-TLSA-MISMATCH"
        ],
        "{www2:#}"
    );
    // The record advertises h3; nginx has no QUIC, so the probe's HTTP/3 attempt failed.
    assert!(
        www2["probe"]["quic"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("QUIC")),
        "{www2:#}"
    );
    let evidence: Vec<&str> = www2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["evidence"].as_str())
        .collect();
    assert!(
        evidence
            .iter()
            .any(|e| e.contains("letsencrypt.org") && e.contains("ca.tlscope.test")),
        "{evidence:#?}"
    );

    // The unsigned zone: an insecure delegation, so its TLSA (which matches) counts for nothing.
    let dns = &plain["probe"]["dns"];
    assert_eq!(dns["tlsa"]["proof"], "insecure", "{dns:#}");
    assert_eq!(rules(plain), ["DNS-TLSA-NOT-VALIDATED"], "{plain:#}");

    // A name that does not exist: a clear error, not a hang.
    let error = nowhere["probe"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("nowhere.plain.test") && error.contains(&resolver),
        "{nowhere:#}"
    );
    // The same results in Markdown and SARIF, beside the TCP ones.
    let report_as = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
            .args(["probe", "--format", format, "--timeout", "3", "--no-quic"])
            .arg("--roots")
            .arg(&pki.ca)
            .arg("--policy")
            .arg(&policy)
            .args(["--dns", &resolver])
            .arg("--dns-trust-anchor")
            .arg(&knot.anchor)
            .arg(format!("https://www.signed.test:{port}/"))
            .output()
            .expect("run tlscope probe");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let md = report_as("md");
    assert!(
        md.contains("- DNS: CAA at signed.test. (DNSSEC-validated): issue \"ca.tlscope.test\""),
        "{md}"
    );
    assert!(
        md.contains("- DNS: TLSA at _") && md.contains("`DNS-TLSA-ROLLOVER`"),
        "{md}"
    );
    let sarif: Value = serde_json::from_str(&report_as("sarif")).expect("SARIF JSON");
    let sarif_rules: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert!(sarif_rules.contains(&"DNS-ECH-REJECTED"), "{sarif_rules:?}");
    drop(knot);

    // A resolver that never answers: the probe ends within its timeout with the reason.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    let silent_addr = silent.local_addr().expect("addr").to_string();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["probe", "--format", "json", "--timeout", "1"])
        .args(["--dns", &silent_addr])
        .arg(format!("https://www.signed.test:{port}/"))
        .output()
        .expect("run tlscope probe");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "bounded by --timeout"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let error = doc["inputs"][0]["probe"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("resolve"), "{doc:#}");
    drop(nginx);
}
