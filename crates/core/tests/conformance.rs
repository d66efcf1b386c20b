//! Conformance: every testcase of C2SP x509-limbo (`limbo.json`, 208 cases) and of BetterTLS in
//! limbo's format (`limbo-bettertls.json`, 9,572 name-constraint and path-building cases), both
//! committed gzip-compressed in `tests/conformance/`, through the chain validator — with
//! rustls-webpki's verdict on the same case beside it.
//!
//! Printed per file and namespace: pass, wrong accept, wrong reject (each with how many of them
//! are deliberate decisions), skip, and rustls-webpki's passes. The test fails on any verdict
//! that differs from the expectation without being listed, with its reason, in
//! `tests/conformance/decisions.txt`, and on any listed decision that no longer holds.
//!
//! `TLSCOPE_CONFORMANCE_CASE=ID` prints that case's full chain report.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::Value;
use sha2::Digest as _;
use tlscope_core::Timestamp;
use tlscope_core::chain::{self, Options, PeerName, Purpose, TrustAnchor};
use tlscope_core::decode::scan_pem;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// One data file: its name, the SHA-256 of its uncompressed JSON (README.md beside it), and
/// the moment cases without a validation time are judged at (when the file was generated), so
/// the run never depends on the clock.
struct DataFile {
    name: &'static str,
    sha256: &'static str,
    default_time: &'static str,
}

const LIMBO: DataFile = DataFile {
    name: "limbo.json",
    sha256: "d1d4dcb95d028759d8883e070b8418407883614986e33357ef9044c57d66c79f",
    default_time: "2026-06-29T00:00:00Z",
};
const BETTERTLS: DataFile = DataFile {
    name: "limbo-bettertls.json",
    sha256: "95d3c545db42c9050823397ebea4ca4f0a798cc36dd0267cc9afe01093caa798",
    default_time: "2026-11-30T00:00:00Z",
};

/// The testcases of `file`, decompressed and checked against the recorded digest.
fn load(file: &DataFile) -> Vec<Value> {
    let path = data_dir().join(format!("{}.gz", file.name));
    let compressed =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut json)
        .unwrap_or_else(|e| panic!("{} is not gzip: {e}", path.display()));
    let digest: String = sha2::Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest, file.sha256,
        "{} differs from the recorded copy",
        file.name
    );
    let doc: Value = serde_json::from_slice(&json).expect("conformance data is JSON");
    doc["testcases"].as_array().cloned().expect("testcases")
}

fn ders(v: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let pems: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        other => other
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect(),
    };
    for pem in pems {
        for block in scan_pem(pem.as_bytes()).into_iter().flatten() {
            out.push(block.der);
        }
    }
    out
}

fn validation_time(t: &Value, file: &DataFile) -> Timestamp {
    let text = t["validation_time"].as_str().unwrap_or(file.default_time);
    Timestamp::parse_rfc3339(text).expect("validation_time is RFC 3339")
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

fn purpose(t: &Value) -> Purpose {
    if t["validation_kind"] == "CLIENT" {
        Purpose::ClientAuth
    } else {
        Purpose::ServerAuth
    }
}

/// The case's options as the library takes them: the same constraints `tlscope inspect` takes
/// as flags (`--host`, `--email`, `--max-depth`, `--key-usage`, `--eku`, `--purpose`).
fn options(t: &Value, now: Timestamp) -> Options {
    let mut peer_names: Vec<PeerName> = peer_name(&t["expected_peer_name"]).into_iter().collect();
    for n in t["expected_peer_names"].as_array().into_iter().flatten() {
        peer_names.extend(peer_name(n));
    }
    let strings = |key: &str| -> Vec<String> {
        t[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect()
    };
    Options {
        now,
        purpose: purpose(t),
        peer_names,
        max_intermediates: t["max_chain_depth"]
            .as_u64()
            .and_then(|d| usize::try_from(d).ok()),
        leaf_key_usage: strings("key_usage"),
        crls: ders(&t["crls"]),
        leaf_ekus: strings("extended_key_usage")
            .iter()
            .filter_map(|e| chain::eku_oid(e))
            .collect(),
        ..Options::default()
    }
}

/// tlscope's verdict, the first problem when it rejects, and every rule raised on any path.
fn tlscope_verdict(t: &Value, now: Timestamp) -> (bool, String, BTreeSet<&'static str>) {
    verdict_with(t, &options(t, now))
}

/// Whether tlscope rejects the case when a CN outside the SANs is refused (`--strict-cn`).
fn strict_cn_rejects(t: &Value, now: Timestamp) -> bool {
    let options = Options {
        common_name: chain::CommonNameCheck::Refuse,
        ..options(t, now)
    };
    !verdict_with(t, &options).0
}

fn verdict_with(t: &Value, options: &Options) -> (bool, String, BTreeSet<&'static str>) {
    let mut certificates = ders(&t["peer_certificate"]);
    certificates.extend(ders(&t["untrusted_intermediates"]));
    let anchors: Vec<TrustAnchor> = ders(&t["trusted_certs"])
        .iter()
        .filter_map(|d| TrustAnchor::from_certificate(d).ok())
        .collect();
    let report = chain::validate(&certificates, 0, &anchors, options);
    if std::env::var("TLSCOPE_CONFORMANCE_CASE").is_ok_and(|c| t["id"] == c.as_str()) {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a chain report serialises")
        );
    }
    let why = report
        .problems
        .iter()
        .find(|f| f.severity == tlscope_core::Severity::Critical)
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

/// rustls-webpki's verdict on the same case (its supported algorithms, DNS and IP names).
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
    let peer = ders(&t["peer_certificate"]);
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

/// A verdict tlscope gives on purpose although the file expects the other one.
struct Decision {
    accept: bool,
    reason: String,
}

/// `decisions.txt`: `ID accept|reject REASON`, `#` comments.
fn decisions() -> BTreeMap<String, Decision> {
    let path = data_dir().join("decisions.txt");
    let text = std::fs::read_to_string(&path).expect("read decisions.txt");
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(id), Some(verdict)) = (parts.next(), parts.next()) else {
            panic!(
                "decisions.txt line {}: expected `ID accept|reject REASON`",
                n + 1
            );
        };
        let accept = match verdict {
            "accept" => true,
            "reject" => false,
            other => panic!(
                "decisions.txt line {}: {other:?} is neither accept nor reject",
                n + 1
            ),
        };
        let reason = parts.collect::<Vec<_>>().join(" ");
        assert!(
            !reason.is_empty(),
            "decisions.txt line {}: {id} needs a reason",
            n + 1
        );
        out.insert(id.to_owned(), Decision { accept, reason });
    }
    out
}

/// Counts for one namespace.
#[derive(Default)]
struct Tally {
    pass: usize,
    wrong_accept: usize,
    wrong_accept_decided: usize,
    wrong_reject: usize,
    wrong_reject_decided: usize,
    webpki_pass: usize,
}

/// What a run found that the test must fail on.
#[derive(Default)]
struct Outcome {
    undecided: Vec<String>,
    stale: Vec<String>,
    rules_of_case: BTreeMap<String, BTreeSet<&'static str>>,
    /// Cases expected to succeed that raised CERT-CN-NOT-IN-SAN, and their validation time.
    cn_warned: Vec<(Value, Timestamp)>,
}

fn run(file: &DataFile, decisions: &BTreeMap<String, Decision>) -> Outcome {
    let cases = load(file);
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut outcome = Outcome::default();
    let mut disagreements = 0usize;
    for t in &cases {
        let id = t["id"].as_str().expect("every case has an id").to_owned();
        let namespace = id.split("::").take(2).collect::<Vec<_>>().join("::");
        let namespace = if id.starts_with("bettertls::") {
            namespace
        } else {
            id.split("::").next().unwrap_or_default().to_owned()
        };
        let expected = t["expected_result"] == "SUCCESS";
        let now = validation_time(t, file);
        let (ours, why, rules) = tlscope_verdict(t, now);
        let theirs = webpki_verdict(t, now);
        if expected && rules.contains("CERT-CN-NOT-IN-SAN") {
            outcome.cn_warned.push((t.clone(), now));
        }
        outcome.rules_of_case.insert(id.clone(), rules);
        let tally = tallies.entry(namespace).or_default();
        if theirs == expected {
            tally.webpki_pass += 1;
        }
        if ours != theirs {
            disagreements += 1;
        }
        let decision = decisions.get(&id);
        if ours == expected {
            tally.pass += 1;
            if decision.is_some() {
                outcome.stale.push(format!(
                    "{id}: now {} as expected; remove it from decisions.txt",
                    if ours { "accepted" } else { "rejected" }
                ));
            }
            continue;
        }
        let decided = decision.is_some_and(|d| d.accept == ours);
        match (ours, decided) {
            (true, true) => tally.wrong_accept_decided += 1,
            (true, false) => tally.wrong_accept += 1,
            (false, true) => tally.wrong_reject_decided += 1,
            (false, false) => tally.wrong_reject += 1,
        }
        if !decided {
            outcome.undecided.push(format!(
                "{id}: expected {}, tlscope {}{}",
                if expected { "SUCCESS" } else { "FAILURE" },
                if ours { "accepts" } else { "rejects" },
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                }
            ));
        }
    }
    println!("\n{}: {} testcases", file.name, cases.len());
    println!(
        "  {:<34} {:>6} {:>14} {:>14} {:>5} | {:>13}",
        "namespace", "pass", "wrong accept", "wrong reject", "skip", "webpki pass"
    );
    let mut total = Tally::default();
    for (ns, t) in &tallies {
        println!(
            "  {ns:<34} {:>6} {:>6} ({:>2} dec.) {:>6} ({:>2} dec.) {:>5} | {:>13}",
            t.pass,
            t.wrong_accept + t.wrong_accept_decided,
            t.wrong_accept_decided,
            t.wrong_reject + t.wrong_reject_decided,
            t.wrong_reject_decided,
            0,
            t.webpki_pass
        );
        total.pass += t.pass;
        total.wrong_accept += t.wrong_accept;
        total.wrong_accept_decided += t.wrong_accept_decided;
        total.wrong_reject += t.wrong_reject;
        total.wrong_reject_decided += t.wrong_reject_decided;
        total.webpki_pass += t.webpki_pass;
    }
    println!(
        "  {:<34} {:>6} {:>6} ({:>2} dec.) {:>6} ({:>2} dec.) {:>5} | {:>13}",
        "all",
        total.pass,
        total.wrong_accept + total.wrong_accept_decided,
        total.wrong_accept_decided,
        total.wrong_reject + total.wrong_reject_decided,
        total.wrong_reject_decided,
        0,
        total.webpki_pass
    );
    println!("  tlscope and rustls-webpki disagree on {disagreements} cases");
    let ids: BTreeSet<&str> = cases.iter().filter_map(|t| t["id"].as_str()).collect();
    let ours = |id: &str| id.starts_with("bettertls::") == (file.name == BETTERTLS.name);
    for id in decisions.keys().filter(|id| ours(id)) {
        if !ids.contains(id.as_str()) {
            outcome
                .stale
                .push(format!("{id}: no such testcase in {}", file.name));
        }
    }
    for (id, d) in decisions.iter().filter(|(id, _)| ids.contains(id.as_str())) {
        println!(
            "  decided: {id} {}: {}",
            if d.accept { "accept" } else { "reject" },
            d.reason
        );
    }
    outcome
}

fn check(outcome: &Outcome, file: &DataFile) {
    assert!(
        outcome.undecided.is_empty(),
        "{}: {} verdicts differ from the expectation without a decision in decisions.txt:\n  {}",
        file.name,
        outcome.undecided.len(),
        outcome.undecided.join("\n  ")
    );
    assert!(
        outcome.stale.is_empty(),
        "{}: decisions that no longer hold:\n  {}",
        file.name,
        outcome.stale.join("\n  ")
    );
}

#[test]
fn x509_limbo() {
    let decisions = decisions();
    let outcome = run(&LIMBO, &decisions);
    // Each chain rule stays pinned to a testcase that raises it (rules.txt).
    let pinned = std::fs::read_to_string(data_dir().join("rules.txt")).expect("read rules.txt");
    for line in pinned.lines().filter(|l| !l.trim().is_empty()) {
        let (rule, case) = line.split_once(' ').unwrap_or((line, ""));
        assert!(
            outcome
                .rules_of_case
                .get(case)
                .is_some_and(|r| r.contains(rule)),
            "limbo testcase {case} no longer raises {rule}"
        );
    }
    check(&outcome, &LIMBO);
    // The strict reading of CABF BR 7.1.4.3 refuses the CN cases decided as warnings.
    let cases = load(&LIMBO);
    for id in ["webpki::cn::not-in-san", "webpki::cn::punycode-not-in-san"] {
        let t = cases.iter().find(|t| t["id"] == id).expect("case exists");
        assert!(
            strict_cn_rejects(t, validation_time(t, &LIMBO)),
            "--strict-cn accepts {id}"
        );
    }
}

#[test]
fn bettertls() {
    let outcome = run(&BETTERTLS, &decisions());
    check(&outcome, &BETTERTLS);
    // What the strict CN reading would cost: BetterTLS expects these chains accepted.
    let refused = outcome
        .cn_warned
        .iter()
        .filter(|(t, now)| strict_cn_rejects(t, *now))
        .count();
    println!(
        "  with --strict-cn: {refused} of the {} SUCCESS cases whose CN is none of the SANs would be rejected",
        outcome.cn_warned.len()
    );
    assert!(
        refused > 0,
        "the strict CN reading changed nothing on BetterTLS"
    );
}
