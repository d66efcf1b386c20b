//! Every x509-limbo testcase through `tlscope inspect` as a user runs it: the leaf and the
//! intermediates in one file (CRLs appended), `--roots` with the trusted certificates, `--at`,
//! `--host`/`--email`, `--purpose`, `--max-depth`, `--key-usage` and `--eku` — nothing is
//! skipped. The verdict read from `--json` must equal the library's (the decisions in
//! crates/core/tests/conformance/decisions.txt included), and the exit code must say the same.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/conformance")
}

fn testcases() -> Vec<Value> {
    let compressed = std::fs::read(conformance_dir().join("limbo.json.gz")).expect("limbo data");
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut json)
        .expect("gzip");
    let doc: Value = serde_json::from_slice(&json).expect("JSON");
    doc["testcases"].as_array().cloned().expect("testcases")
}

/// Case ids and the verdict (`true`: accept) decided against the expectation.
fn decided() -> Vec<(String, bool)> {
    std::fs::read_to_string(conformance_dir().join("decisions.txt"))
        .expect("decisions.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_owned(), w.next()? == "accept"))
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        other => other
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
    }
}

/// The `tlscope inspect` arguments for case `t`, its files written to `dir`.
fn arguments(t: &Value, dir: &Path) -> Vec<String> {
    let mut bag = strings(&t["peer_certificate"]);
    bag.extend(strings(&t["untrusted_intermediates"]));
    bag.extend(strings(&t["crls"]));
    std::fs::write(dir.join("chain.pem"), bag.join("\n")).unwrap();
    std::fs::write(
        dir.join("roots.pem"),
        strings(&t["trusted_certs"]).join("\n"),
    )
    .unwrap();
    let mut args: Vec<String> = ["inspect", "chain.pem", "--json", "--roots", "roots.pem"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let at = t["validation_time"]
        .as_str()
        .unwrap_or("2026-06-29T00:00:00Z");
    args.extend(["--at".into(), at.to_owned()]);
    let purpose = if t["validation_kind"] == "CLIENT" {
        "client"
    } else {
        "server"
    };
    args.extend(["--purpose".into(), purpose.into()]);
    let mut names = vec![t["expected_peer_name"].clone()];
    names.extend(
        t["expected_peer_names"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    for name in names.iter().filter(|n| n.is_object()) {
        let value = name["value"].as_str().unwrap_or_default().to_owned();
        let flag = if name["kind"] == "RFC822" {
            "--email"
        } else {
            "--host"
        };
        args.extend([flag.into(), value]);
    }
    if let Some(depth) = t["max_chain_depth"].as_u64() {
        args.extend(["--max-depth".into(), depth.to_string()]);
    }
    let usages = strings(&t["key_usage"]);
    if !usages.is_empty() {
        args.extend(["--key-usage".into(), usages.join(",")]);
    }
    for eku in strings(&t["extended_key_usage"]) {
        args.extend(["--eku".into(), eku]);
    }
    args
}

#[test]
fn every_limbo_case_through_tlscope_inspect() {
    let cases = testcases();
    let decided = decided();
    let dir = std::env::temp_dir().join(format!("tlscope-limbo-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut wrong = Vec::new();
    let (mut pass, mut decided_count) = (0, 0);
    for t in &cases {
        let id = t["id"].as_str().unwrap_or_default();
        let args = arguments(t, &dir);
        let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
            .args(&args)
            .current_dir(&dir)
            .output()
            .expect("run tlscope");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{id}: tlscope {args:?} printed no JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let accepted = doc["inputs"][0]["chain"]["valid"] == true;
        assert_eq!(
            out.status.success(),
            accepted,
            "{id}: the exit code ({:?}) disagrees with the verdict",
            out.status.code()
        );
        let expected = t["expected_result"] == "SUCCESS";
        if accepted == expected {
            pass += 1;
        } else if decided.iter().any(|(d, a)| d == id && *a == accepted) {
            decided_count += 1;
        } else {
            wrong.push(format!(
                "{id}: expected {}, tlscope inspect {} ({args:?})",
                t["expected_result"],
                if accepted { "accepts" } else { "rejects" }
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "x509-limbo through tlscope inspect: {} cases, {pass} pass, {decided_count} decided in decisions.txt, {} wrong, 0 skipped",
        cases.len(),
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} undecided verdicts:\n  {}",
        wrong.len(),
        wrong.join("\n  ")
    );
}
