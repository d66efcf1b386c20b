//! `tlscope probe quic://…` against real QUIC servers on loopback: Debian's Caddy (HTTP/3 from
//! quic-go) and a quinn server limited to two suites and two groups, so every enumerated suite
//! and group is asserted against what the server was configured with; and a UDP port with
//! nothing behind it, which must give a clear error within `--timeout`.

use tlscope_testbed as servers;

use std::process::Command;
use std::time::{Duration, Instant};

use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
use serde_json::Value;

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-quic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn rules(input: &Value) -> Vec<String> {
    strings(&Value::Array(
        input["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].clone())
            .collect(),
    ))
}

#[test]
fn suites_groups_alpn_and_transport_parameters_over_quic() {
    let dir = scratch();
    let pki = servers::Pki::new(&dir.join("pki"));
    let caddy = servers::caddy(&dir, &pki);
    let quinn = servers::quic_server(
        &pki,
        &[
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        ],
        &[kx_group::X25519MLKEM768, kx_group::SECP384R1],
    );
    // Nothing answers on this UDP port: the socket is bound and never read.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    let silent_port = silent.local_addr().expect("addr").port();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(["probe", "--format", "json", "--timeout", "2"])
        .arg("--roots")
        .arg(&pki.ca)
        .arg(format!("quic://localhost:{}", caddy.port))
        .arg(format!("quic://localhost:{}", quinn.port))
        .arg(format!("quic://127.0.0.1:{silent_port}"))
        .arg(format!("https://localhost:{}/", caddy.port))
        .output()
        .expect("run tlscope probe");
    let elapsed = started.elapsed();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
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
    let (caddy_in, quinn_in, silent_in, https_in) =
        (&inputs[0], &inputs[1], &inputs[2], &inputs[3]);

    // Caddy: quic-go speaks QUIC v1 with every TLS 1.3 suite and classical groups only.
    let p = &caddy_in["probe"];
    assert_eq!(p["service"], "quic");
    assert_eq!(p["error"], Value::Null, "{p:#}");
    assert_eq!(p["quic"]["version"], 1);
    assert_eq!(p["alpn"], "h3");
    let mut suites = strings(&p["versions"][0]["suites"]);
    suites.sort();
    assert_eq!(
        suites,
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    let groups = strings(&p["groups"]);
    assert!(groups.contains(&"x25519".to_owned()), "{groups:?}");
    assert!(!groups.iter().any(|g| g.contains("MLKEM")), "{groups:?}");
    assert!(rules(caddy_in).contains(&"TLS-NO-POST-QUANTUM".to_owned()));
    let params = p["quic"]["flight"]["transport_parameters"]
        .as_array()
        .expect("transport parameters");
    let named = |n: &str| {
        params
            .iter()
            .find(|t| t["name"] == n)
            .map(|t| t["value"].clone())
    };
    assert!(named("initial_max_data").is_some(), "{params:#?}");
    assert!(named("initial_source_connection_id").is_some());
    assert!(
        !p["chain"].as_array().expect("chain").is_empty(),
        "the chain is captured"
    );

    // quinn, configured with two suites and two groups: exactly those are found.
    let p = &quinn_in["probe"];
    assert_eq!(p["error"], Value::Null, "{p:#}");
    let mut suites = strings(&p["versions"][0]["suites"]);
    suites.sort();
    assert_eq!(
        suites,
        ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
    );
    let mut groups = strings(&p["groups"]);
    groups.sort();
    assert_eq!(groups, ["X25519MLKEM768", "secp384r1"]);
    let flight = &p["quic"]["flight"];
    assert_eq!(flight["tls_version"], "1.3");
    assert_eq!(flight["alpn"], "h3");
    assert!(
        ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
            .contains(&flight["suite"].as_str().unwrap_or_default()),
        "{flight:#}"
    );
    assert!(!rules(quinn_in).contains(&"TLS-NO-POST-QUANTUM".to_owned()));

    // Nothing behind the port: a clear error, within the timeout (every probe at once).
    let error = silent_in["probe"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("no answer within 2 s") && error.contains("UDP"),
        "{silent_in:#}"
    );
    assert!(elapsed < Duration::from_secs(12), "took {elapsed:?}");

    // Caddy's HTTPS side advertises HTTP/3 in Alt-Svc: the probe follows it over QUIC and
    // judges that side by the same rules, at its own location.
    let p = &https_in["probe"];
    assert!(
        p["alt_svc"].as_str().is_some_and(|a| a.contains("h3=")),
        "{p:#}"
    );
    let quic = &p["quic"];
    assert_eq!(quic["error"], Value::Null, "{quic:#}");
    assert_eq!(quic["port"], caddy.port);
    assert_eq!(strings(&quic["suites"]).len(), 3, "{quic:#}");
    let over_quic = https_in["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["location"]["endpoint"]
                .as_str()
                .is_some_and(|e| e.contains("(QUIC, UDP port"))
        })
        .filter_map(|f| f["rule"].as_str())
        .collect::<Vec<_>>();
    assert_eq!(over_quic, ["TLS-NO-POST-QUANTUM"], "{https_in:#}");
    drop((caddy, quinn, silent));
}
