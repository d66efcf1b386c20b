//! Conformance: every C2SP x509-limbo testcase in ../shared/conformance/limbo.json through the
//! chain validator, with pass / fail counts by namespace and feature, a committed baseline of
//! passing cases that must not shrink, and the same cases through rustls-webpki to show where
//! the two disagree.
//!
//! Update the baseline after an improvement with
//! `TLSCOPE_UPDATE_LIMBO_BASELINE=1 cargo test -p tlscope-core --test limbo`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::Value;
use tlscope_core::Timestamp;
use tlscope_core::chain::{self, Options, PeerName, Purpose, TrustAnchor};
use tlscope_core::decode::scan_pem;

/// limbo.json was generated on 2026-06-29; cases without a validation time are judged then, so
/// the run never depends on the clock.
const DEFAULT_TIME: &str = "2026-06-29T00:00:00Z";

fn limbo_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/limbo.json")
}

fn baseline_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/limbo/baseline.txt")
}

fn ders(v: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for pem in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
        for block in scan_pem(pem.as_bytes()).into_iter().flatten() {
            out.push(block.der);
        }
    }
    out
}

struct Case {
    id: String,
    expected_success: bool,
    pedantic: bool,
    conflicts: bool,
    features: Vec<String>,
    namespace: String,
}

/// The validator's verdict and, on rejection, its first finding.
fn tlscope_verdict(t: &Value, now: Timestamp) -> (bool, String, BTreeSet<&'static str>) {
    let peer = ders(&Value::Array(vec![t["peer_certificate"].clone()]));
    let mut certificates = peer;
    certificates.extend(ders(&t["untrusted_intermediates"]));
    let anchors: Vec<TrustAnchor> = ders(&t["trusted_certs"])
        .iter()
        .filter_map(|d| TrustAnchor::from_certificate(d).ok())
        .collect();
    let purpose = purpose(t);
    let mut peer_names = Vec::new();
    if let Some(name) = peer_name(&t["expected_peer_name"]) {
        peer_names.push(name);
    }
    for n in t["expected_peer_names"].as_array().into_iter().flatten() {
        peer_names.extend(peer_name(n));
    }
    let options = Options {
        now,
        purpose,
        peer_names,
        max_intermediates: t["max_chain_depth"].as_u64().map(|d| d as usize),
        leaf_key_usage: t["key_usage"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect(),
        crls: ders(&t["crls"]),
    };
    let report = chain::validate(&certificates, 0, &anchors, &options);
    if std::env::var("TLSCOPE_LIMBO_CASE").is_ok_and(|c| t["id"] == c.as_str()) {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    }
    let why = report
        .problems
        .first()
        .map(|f| format!("{}: {}", f.rule, f.evidence))
        .unwrap_or_default();
    let rules = report
        .paths
        .iter()
        .flat_map(|p| p.problems.iter().map(|f| f.rule))
        .chain(report.problems.iter().map(|f| f.rule))
        .collect();
    (report.valid, why, rules)
}

fn purpose(t: &Value) -> Purpose {
    let ekus: Vec<&str> = t["extended_key_usage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if ekus.contains(&"clientAuth") {
        Purpose::ClientAuth
    } else if ekus.contains(&"serverAuth") || t["validation_kind"] == "SERVER" {
        Purpose::ServerAuth
    } else {
        Purpose::ClientAuth
    }
}

fn peer_name(v: &Value) -> Option<PeerName> {
    let value = v["value"].as_str()?.to_owned();
    match v["kind"].as_str()? {
        "DNS" => Some(PeerName::Dns(value)),
        "IP" => value.parse().ok().map(PeerName::Ip),
        "RFC822" => Some(PeerName::Email(value)),
        _ => None,
    }
}

/// rustls-webpki's verdict on the same case (SERVER and CLIENT usage, DNS/IP names).
fn webpki_verdict(t: &Value, now: Timestamp) -> bool {
    let algs: &[&dyn rustls_pki_types::SignatureVerificationAlgorithm] = &[
        webpki::ring::ECDSA_P256_SHA256,
        webpki::ring::ECDSA_P256_SHA384,
        webpki::ring::ECDSA_P384_SHA256,
        webpki::ring::ECDSA_P384_SHA384,
        webpki::ring::ED25519,
        webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        webpki::ring::RSA_PKCS1_2048_8192_SHA384,
        webpki::ring::RSA_PKCS1_2048_8192_SHA512,
        webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    ];
    let trusted = ders(&t["trusted_certs"]);
    let trusted_der: Vec<CertificateDer<'_>> = trusted
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let anchors: Vec<_> = trusted_der
        .iter()
        .filter_map(|d| webpki::anchor_from_trusted_cert(d).ok())
        .collect();
    let intermediates: Vec<CertificateDer<'_>> = ders(&t["untrusted_intermediates"])
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let peer = ders(&Value::Array(vec![t["peer_certificate"].clone()]));
    let Some(peer) = peer.first() else {
        return false;
    };
    let peer_der = CertificateDer::from(peer.as_slice());
    let Ok(ee) = webpki::EndEntityCert::try_from(&peer_der) else {
        return false;
    };
    let crl_ders = ders(&t["crls"]);
    let crls: Vec<webpki::CertRevocationList<'_>> = crl_ders
        .iter()
        .filter_map(|d| webpki::OwnedCertRevocationList::from_der(d).ok())
        .map(webpki::CertRevocationList::from)
        .collect();
    let crl_refs: Vec<&webpki::CertRevocationList<'_>> = crls.iter().collect();
    if crl_ders.len() != crls.len() {
        return false;
    }
    let revocation = webpki::RevocationOptionsBuilder::new(&crl_refs)
        .ok()
        .map(|b| b.build());
    let usage = match purpose(t) {
        Purpose::ClientAuth => webpki::KeyUsage::client_auth(),
        _ => webpki::KeyUsage::server_auth(),
    };
    let secs = u64::try_from(now.unix()).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(Duration::from_secs(secs));
    if ee
        .verify_for_usage(
            algs,
            &anchors,
            &intermediates,
            time,
            usage,
            revocation,
            None,
        )
        .is_err()
    {
        return false;
    }
    match t["expected_peer_name"]["value"].as_str() {
        Some(name) if t["expected_peer_name"]["kind"] != "RFC822" => ServerName::try_from(name)
            .map(|n| ee.verify_is_valid_for_subject_name(&n).is_ok())
            .unwrap_or(false),
        _ => true,
    }
}

#[test]
fn x509_limbo_conformance() {
    let path = limbo_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (../shared beside the repo)",
            path.display()
        )
    });
    let limbo: Value = serde_json::from_str(&text).expect("limbo.json is JSON");
    let default_now = Timestamp::parse_rfc3339(DEFAULT_TIME).unwrap();

    let mut passed = BTreeSet::new();
    let mut false_accepts = Vec::new();
    let mut false_rejects = Vec::new();
    let mut webpki_passed = 0usize;
    let mut disagreements = Vec::new();
    let mut by_namespace: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut by_feature: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut first_case_of_rule: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut rules_of_case: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let cases = limbo["testcases"].as_array().expect("testcases");
    for t in cases {
        let features: Vec<String> = t["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect();
        let id = t["id"].as_str().unwrap_or_default().to_owned();
        let case = Case {
            namespace: id.split("::").next().unwrap_or_default().to_owned(),
            expected_success: t["expected_result"] == "SUCCESS",
            pedantic: features.iter().any(|f| f.starts_with("pedantic-")),
            conflicts: t["conflicts_with"]
                .as_array()
                .is_some_and(|c| !c.is_empty())
                || features
                    .iter()
                    .any(|f| f == "rfc5280-incompatible-with-webpki"),
            features,
            id,
        };
        let now = t["validation_time"]
            .as_str()
            .map(|s| Timestamp::parse_rfc3339(s).expect("validation_time"))
            .unwrap_or(default_now);
        let (ours, why, rules) = tlscope_verdict(t, now);
        for rule in &rules {
            first_case_of_rule
                .entry(*rule)
                .or_insert_with(|| case.id.clone());
        }
        rules_of_case.insert(case.id.clone(), rules);
        let theirs = webpki_verdict(t, now);
        let ok = ours == case.expected_success;
        if theirs == case.expected_success {
            webpki_passed += 1;
        }
        if ours != theirs {
            disagreements.push(format!(
                "{:<60} expected {:<7} tlscope {:<7} webpki {}",
                case.id,
                if case.expected_success {
                    "SUCCESS"
                } else {
                    "FAILURE"
                },
                if ours { "accept" } else { "reject" },
                if theirs { "accept" } else { "reject" },
            ));
        }
        let ns = by_namespace.entry(case.namespace.clone()).or_default();
        if ok {
            ns.0 += 1;
            passed.insert(case.id.clone());
        } else {
            ns.1 += 1;
            let tag = if case.pedantic {
                " [pedantic]"
            } else if case.conflicts {
                " [conflicting expectations]"
            } else {
                ""
            };
            if ours {
                false_accepts.push(format!("{}{tag}", case.id));
            } else {
                false_rejects.push(format!("{}{tag} — {why}", case.id));
            }
        }
        for f in &case.features {
            let e = by_feature.entry(f.clone()).or_default();
            if ok {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }

    // Each chain rule is pinned to a testcase that triggers it (tests/limbo/rules.txt).
    let rules_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/limbo/rules.txt");
    if std::env::var_os("TLSCOPE_UPDATE_LIMBO_BASELINE").is_some() {
        let text: String = first_case_of_rule
            .iter()
            .map(|(rule, case)| format!("{rule} {case}\n"))
            .collect();
        std::fs::write(&rules_path, text).unwrap();
    }
    let pinned = std::fs::read_to_string(&rules_path).unwrap_or_default();
    for line in pinned.lines().filter(|l| !l.trim().is_empty()) {
        let (rule, case) = line.split_once(' ').unwrap_or((line, ""));
        assert!(
            rules_of_case.get(case).is_some_and(|r| r.contains(rule)),
            "limbo testcase {case} no longer triggers {rule}"
        );
    }
    println!("x509-limbo: {} testcases", cases.len());
    println!(
        "tlscope: {} pass, {} fail, 0 skip | rustls-webpki: {} pass",
        passed.len(),
        cases.len() - passed.len(),
        webpki_passed
    );
    println!("by namespace (pass/fail):");
    for (ns, (p, f)) in &by_namespace {
        println!("  {ns:<14} {p:>4} / {f}");
    }
    println!("by feature (pass/fail):");
    for (feat, (p, f)) in &by_feature {
        println!("  {feat:<34} {p:>4} / {f}");
    }
    println!(
        "accepted although FAILURE was expected ({}):",
        false_accepts.len()
    );
    for c in &false_accepts {
        println!("  {c}");
    }
    println!(
        "rejected although SUCCESS was expected ({}):",
        false_rejects.len()
    );
    for c in &false_rejects {
        println!("  {c}");
    }
    println!(
        "tlscope and rustls-webpki disagree on {} cases:",
        disagreements.len()
    );
    for d in &disagreements {
        println!("  {d}");
    }

    let baseline_file = baseline_path();
    if std::env::var_os("TLSCOPE_UPDATE_LIMBO_BASELINE").is_some() {
        let body: String = passed.iter().map(|id| format!("{id}\n")).collect();
        std::fs::write(&baseline_file, body).expect("write baseline");
        println!("baseline updated: {} cases", passed.len());
    }
    let baseline_text = std::fs::read_to_string(&baseline_file).expect("read baseline");
    let baseline: BTreeSet<String> = baseline_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let regressed: Vec<&String> = baseline.difference(&passed).collect();
    assert!(
        regressed.is_empty(),
        "{} baseline cases no longer pass: {regressed:?}",
        regressed.len()
    );
    assert!(
        passed.len() >= baseline.len(),
        "pass count {} dropped below the baseline {}",
        passed.len(),
        baseline.len()
    );
    let divergences = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/limbo/divergences.txt"),
    )
    .expect("read divergences");
    let documented: BTreeSet<&str> = divergences
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let unexplained: Vec<&String> = false_accepts
        .iter()
        .filter(|c| !c.contains('[') && !documented.contains(c.as_str()))
        .collect();
    assert!(
        unexplained.is_empty(),
        "accepted chains the testcases expect to be rejected: {unexplained:?}"
    );
}
