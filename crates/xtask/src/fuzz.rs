//! `cargo xtask fuzz [RUNS]`: seeds the cargo-fuzz corpora from the x509-limbo certificates, the
//! lint corpus and the source-code corpus, and runs every target in fuzz/ for RUNS executions
//! each (default 1 000 000). With `--sanitizer none` cargo-fuzz builds on stable Rust (libFuzzer's
//! coverage instrumentation needs no nightly flag); installs cargo-fuzz through cargo when missing.

use std::process::Command;

use anyhow::{Context, Result};

use crate::{root, run};

const TARGETS: &[&str] = &[
    "decode",
    "chain",
    "asn1_tree",
    "connection",
    "config",
    "policy",
    "source",
];

pub fn fuzz(args: &[String]) -> Result<()> {
    let runs: u64 = match args.first() {
        Some(n) => n.parse().context("RUNS must be a number of executions")?,
        None => 1_000_000,
    };
    let has_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    seed()?;
    for target in TARGETS {
        // cargo-fuzz finds fuzz/ from the workspace root and uses fuzz/corpus/<target>.
        run(Command::new("cargo")
            // No sanitizer: the core is safe Rust (forbid(unsafe_code)), and without ASan the
            // targets run about five times faster; overflow and debug assertions stay on.
            .args(["fuzz", "run", "--sanitizer", "none", target, "--"])
            .arg(format!("-runs={runs}"))
            .arg("-max_len=16384"))?;
    }
    println!(
        "xtask: fuzzed {} targets for {runs} executions each without a crash",
        TARGETS.len()
    );
    Ok(())
}

/// Certificates from the committed x509-limbo data (crates/core/tests/conformance) as starting
/// points: single DER files for `decode` and `asn1_tree`, length-prefixed bags (leaf,
/// intermediates, root) for `chain`.
fn seed() -> Result<()> {
    use std::io::Read as _;
    let limbo = root().join("crates/core/tests/conformance/limbo.json.gz");
    let compressed = std::fs::read(&limbo)
        .with_context(|| format!("cannot read {} for the seed corpus", limbo.display()))?;
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut text)
        .with_context(|| format!("{} is not gzip", limbo.display()))?;
    let doc: serde_json::Value = serde_json::from_slice(&text)?;
    let corpus = root().join("fuzz/corpus");
    for target in TARGETS {
        std::fs::create_dir_all(corpus.join(target))?;
    }
    // The parsers start from the lint corpus (configs, connection strings) and the profiles.
    let lint_corpus = root().join("crates/core/tests/corpus");
    for entry in std::fs::read_dir(&lint_corpus)?.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "expected") {
            continue;
        }
        let name = entry.file_name();
        let text = std::fs::read(&path)?;
        std::fs::write(corpus.join("config").join(&name), &text)?;
        for (n, line) in String::from_utf8_lossy(&text).lines().enumerate() {
            let seed = corpus
                .join("connection")
                .join(format!("{}-{n}", name.to_string_lossy()));
            std::fs::write(seed, line)?;
        }
    }
    // Source code: the example repository's client and one snippet per language with the
    // settings tlscope reads.
    let source = corpus.join("source");
    std::fs::copy(
        root().join("examples/platform-repo/app/src/inventory.ts"),
        source.join("inventory.ts"),
    )?;
    for (name, text) in [
        (
            "https.js",
            "const https = require('https');\nhttps.request({ host: 'api', rejectUnauthorized: false, minVersion: 'TLSv1' });\nprocess.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';\n",
        ),
        (
            "client.py",
            "import ssl, requests\nctx = ssl.create_default_context()\nctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE\nrequests.get('https://api', verify=False)\n",
        ),
        (
            "main.go",
            "package main\nimport \"crypto/tls\"\nvar c = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}\nconst dsn = \"postgres://app:pw@db:5432/x?sslmode=disable\"\n",
        ),
    ] {
        std::fs::write(source.join(name), text)?;
    }
    for name in tlscope_core::Policy::PROFILES {
        if let Some(p) = tlscope_core::Policy::profile(name) {
            std::fs::write(corpus.join("policy").join(name), p.to_toml())?;
        }
    }
    let cases = doc["testcases"].as_array().cloned().unwrap_or_default();
    for (n, case) in cases.iter().enumerate().take(64) {
        let mut bag = Vec::new();
        let pems = std::iter::once(&case["peer_certificate"])
            .chain(
                case["untrusted_intermediates"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            )
            .chain(case["trusted_certs"].as_array().into_iter().flatten());
        for (m, pem) in pems.filter_map(|p| p.as_str()).enumerate() {
            let Ok(decoded) = tlscope_core::decode(pem.as_bytes()) else {
                continue;
            };
            for cert in decoded.certificates() {
                let name = format!("limbo-{n}-{m}.der");
                std::fs::write(corpus.join("decode").join(&name), &cert.der)?;
                std::fs::write(corpus.join("asn1_tree").join(&name), &cert.der)?;
                let len = u16::try_from(cert.der.len()).unwrap_or(u16::MAX);
                bag.extend_from_slice(&len.to_be_bytes());
                bag.extend_from_slice(&cert.der);
            }
        }
        std::fs::write(corpus.join("chain").join(format!("limbo-{n}.bag")), bag)?;
    }
    Ok(())
}
