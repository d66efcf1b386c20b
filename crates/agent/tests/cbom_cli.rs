//! `--format cbom`: the CycloneDX 1.6 document `inspect` writes for certificate files is valid
//! against the CycloneDX JSON schema (docs/schemas/cyclonedx, with the SPDX and JSF schemas it
//! references), and holds the certificates, keys and algorithms of the inputs, each with where
//! it was found; and so is the one `probe` writes for a QUIC server, with its TLS protocol asset.

use std::process::Command;

use serde_json::Value;

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/schemas/cyclonedx/");

/// Errors of `doc` against the CycloneDX 1.6 schema (empty when valid).
fn cyclonedx_errors(doc: &Value) -> Vec<String> {
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{SCHEMAS}{f}")).expect(f))
            .expect("schema JSON")
    };
    let resource =
        |f: &str| jsonschema::Resource::from_contents(read(f)).expect("a schema resource");
    let validator = jsonschema::options()
        .with_resource(
            "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
            resource("spdx.SNAPSHOT.schema.json"),
        )
        .with_resource(
            "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
            resource("jsf-0.82.SNAPSHOT.schema.json"),
        )
        .build(&read("bom-1.6.SNAPSHOT.schema.json"))
        .expect("the CycloneDX schema compiles");
    validator
        .iter_errors(doc)
        .take(8)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn inspect_writes_a_valid_cyclonedx_cbom() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/corpus/");
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["inspect", "--format", "cbom"])
        .arg(format!("{corpus}ml-dsa-chain.pem"))
        .arg(format!("{corpus}sct-public-45-day.pem"))
        .output()
        .expect("run tlscope inspect");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let errors = cyclonedx_errors(&doc);
    assert!(errors.is_empty(), "CycloneDX 1.6: {errors:#?}");
    // The schema is strict enough to notice a broken document.
    let mut broken = doc.clone();
    broken["components"][0]["cryptoProperties"]["assetType"] = Value::from("spaceship");
    assert!(
        !cyclonedx_errors(&broken).is_empty(),
        "a bad assetType is refused"
    );

    let components = doc["components"].as_array().expect("components");
    let of = |kind: &str| {
        components
            .iter()
            .filter(|c| c["cryptoProperties"]["assetType"] == kind)
            .count()
    };
    assert!(of("certificate") >= 4, "{components:#?}");
    assert!(of("related-crypto-material") >= 3);
    assert!(of("algorithm") >= 3);
    let where_found: Vec<String> = components
        .iter()
        .flat_map(|c| {
            c["evidence"]["occurrences"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|o| o["location"].as_str().map(str::to_owned))
        .collect();
    assert!(where_found.iter().any(|l| l.ends_with("ml-dsa-chain.pem")));
    assert!(
        where_found
            .iter()
            .any(|l| l.ends_with("sct-public-45-day.pem"))
    );
}

#[test]
fn probe_writes_protocol_assets_with_suites_and_groups() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let dir = std::env::temp_dir().join(format!("tlscope-cbom-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pki = tlscope_testbed::Pki::new(&dir.join("pki"));
    let server = tlscope_testbed::quic_server(
        &pki,
        &[cipher_suite::TLS13_AES_256_GCM_SHA384],
        &[kx_group::X25519MLKEM768],
    );
    let target = format!("quic://localhost:{}", server.port);
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["probe", "--format", "cbom", "--timeout", "2", &target])
        .arg("--roots")
        .arg(&pki.ca)
        .output()
        .expect("run tlscope probe");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("CBOM JSON");
    let errors = cyclonedx_errors(&doc);
    assert!(errors.is_empty(), "CycloneDX 1.6: {errors:#?}");
    let components = doc["components"].as_array().expect("components");
    let tls = components
        .iter()
        .find(|c| c["cryptoProperties"]["assetType"] == "protocol")
        .expect("a protocol asset");
    let p = &tls["cryptoProperties"]["protocolProperties"];
    assert_eq!(p["type"], "tls");
    assert_eq!(p["version"], "1.3");
    assert_eq!(p["cipherSuites"][0]["name"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(
        p["cipherSuites"][0]["identifiers"],
        serde_json::json!(["0x13", "0x02"])
    );
    assert_eq!(
        p["cryptoRefArray"],
        serde_json::json!(["algorithm:X25519MLKEM768"])
    );
    let kem = components
        .iter()
        .find(|c| c["bom-ref"] == "algorithm:X25519MLKEM768")
        .expect("the group's algorithm asset");
    assert_eq!(
        kem["cryptoProperties"]["algorithmProperties"]["primitive"],
        "kem"
    );
    assert_eq!(
        tls["evidence"]["occurrences"][0]["location"],
        target.as_str()
    );
    assert!(
        components
            .iter()
            .any(|c| c["cryptoProperties"]["assetType"] == "certificate"),
        "the served certificate"
    );
    drop(server);
}
