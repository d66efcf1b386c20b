//! The agent's API as a client sees it, against a real `tlscope demo`: the snapshot holds the
//! demo's probes, handshakes (accepted and refused, with reasons), certificates and edges and no
//! private key; `/metrics` passes `promtool check metrics`; the Server-Sent Events stream carries
//! handshakes, probes and rotations as they happen; `POST /api/v1/probe` probes and rejects bad
//! targets; CORS admits the configured origin; the OpenAPI document names every route.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod infra;
use infra::demo::{demo, http};

fn snapshot(addr: &str) -> Value {
    let (status, _, body) = http(addr, "GET", "/api/v1/snapshot", "", "");
    assert_eq!(status, 200);
    serde_json::from_str(&body).expect("snapshot JSON")
}

#[test]
fn snapshot_metrics_events_probe_cors_and_openapi() {
    let d = demo(&["--probe-every", "2", "--cors", "https://dash.example"]);
    // The SSE stream, opened first so it sees the first probes, handshakes and rotations.
    let mut sse = TcpStream::connect(&d.addr).expect("connect");
    write!(
        sse,
        "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("write");
    sse.set_read_timeout(Some(Duration::from_secs(90)))
        .expect("timeout");
    let events = std::thread::spawn(move || {
        // One data line per event kind.
        let mut seen = std::collections::BTreeMap::new();
        let mut reader = BufReader::new(sse);
        let started = Instant::now();
        let mut line = String::new();
        let mut kind = String::new();
        while seen.len() < 3 && started.elapsed() < Duration::from_secs(90) {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(k) = line.strip_prefix("event: ") {
                kind = k.trim().to_owned();
            } else if let Some(data) = line.strip_prefix("data: ") {
                seen.entry(kind.clone())
                    .or_insert_with(|| data.trim().to_owned());
            }
        }
        seen
    });

    // Wait for every demo endpoint to have been probed.
    let started = Instant::now();
    let snap = loop {
        let s = snapshot(&d.addr);
        if s["probes"].as_array().is_some_and(|p| p.len() >= 4) {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "probes never arrived: {s}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let text = snap.to_string();
    assert!(
        !text.contains("PRIVATE KEY") && !text.contains("\"key\""),
        "no key in the snapshot"
    );
    let probes = snap["probes"].as_array().expect("probes");
    assert!(probes.iter().all(|p| p["error"].is_null()), "{probes:?}");
    let accepted = |p: &Value| -> Vec<String> {
        p["versions"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter(|x| x["accepted"] == true)
                    .map(|x| x["version"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        probes.iter().any(|p| accepted(p) == ["1.2"]),
        "the legacy endpoint"
    );
    assert!(probes.iter().filter(|p| accepted(p) == ["1.3"]).count() >= 3);
    assert!(
        probes
            .iter()
            .any(|p| p["chain"].as_array().is_some_and(|c| c.len() == 1)),
        "the self-signed endpoint"
    );
    let certs = snap["certificates"].as_array().expect("certificates");
    assert!(
        certs
            .iter()
            .any(|c| c["name"] == "revoked-edge" && c["state"] == "revoked")
    );
    assert!(certs.iter().any(|c| c["tenant"] == "intruder"));
    assert_eq!(snap["anchors"].as_array().map(Vec::len), Some(2));
    let handshakes = snap["handshakes"].as_array().expect("handshakes");
    let reasons: Vec<&str> = handshakes
        .iter()
        .filter_map(|h| h["reason"].as_str())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("revoked")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("unknown issuer")),
        "{reasons:?}"
    );
    // Each refusal carries its class, one of those the OpenAPI document lists.
    let classes: Vec<&str> = handshakes
        .iter()
        .filter_map(|h| h["refusal"].as_str())
        .collect();
    assert!(
        classes.contains(&"revoked") && classes.contains(&"unknown-issuer"),
        "{classes:?}"
    );
    let documented: Vec<String> = serde_json::from_str::<Value>(tlscope_agent::server::OPENAPI)
        .expect("openapi")["components"]["schemas"]["HandshakeRecord"]["properties"]["refusal"]
        ["enum"]
        .as_array()
        .expect("refusal enum")
        .iter()
        .map(|v| v.as_str().expect("word").to_owned())
        .collect();
    assert_eq!(
        documented,
        tlscope_core::handshake::Refusal::ALL.map(|r| r.as_str().to_owned())
    );
    assert!(handshakes.iter().any(|h| {
        h["outcome"] == "accepted"
            && h["peer_identity"]
                .as_str()
                .is_some_and(|i| i.contains("/edge/edge-"))
    }));

    // /metrics: well-formed for Prometheus, with the expiry gauge and counters.
    let (status, head, metrics) = http(&d.addr, "GET", "/metrics", "", "");
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4")
    );
    assert!(
        metrics.contains(
            "ssl_certificate_expiry_seconds{source=\"ca\",tenant=\"demo\",name=\"edge-1\""
        ),
        "{metrics}"
    );
    assert!(metrics.contains("ssl_certificate_expiry_seconds{source=\"probe\""));
    assert!(metrics.contains("tlscope_handshakes_total{segment=\"mtls\",outcome=\"refused\""));
    // Refusals by class: the demo's revoked edge is refused on the mTLS listener.
    let revoked = metrics
        .lines()
        .find(|l| {
            l.starts_with("tlscope_handshake_refusals_total{segment=\"mtls\",reason=\"revoked\"}")
        })
        .unwrap_or_else(|| panic!("no refusal counter in {metrics}"));
    let n: u64 = revoked.rsplit(' ').next().unwrap().parse().expect("count");
    assert!(n >= 1, "{revoked}");
    // The CRL's freshness, in seconds until its nextUpdate: the demo's CRLs are fresh.
    let crl = metrics
        .lines()
        .find(|l| l.starts_with("tlscope_crl_next_update_seconds{tenant=\"demo\""))
        .unwrap_or_else(|| panic!("no CRL gauge in {metrics}"));
    let seconds: i64 = crl.rsplit(' ').next().unwrap().parse().expect("seconds");
    assert!(seconds > 0, "{crl}");
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (cargo xtask setup installs prometheus)");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(metrics.as_bytes())
        .expect("feed promtool");
    let out = promtool.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // POST /api/v1/probe.
    let legacy = probes
        .iter()
        .find(|p| accepted(p) == ["1.2"])
        .expect("legacy")["target"]
        .as_str()
        .expect("target")
        .to_owned();
    let (status, _, body) = http(
        &d.addr,
        "POST",
        "/api/v1/probe",
        "Content-Type: application/json\r\n",
        &format!("{{\"targets\":[\"{legacy}\"]}}"),
    );
    assert_eq!(status, 200, "{body}");
    let reports: Value = serde_json::from_str(&body).expect("reports");
    assert_eq!(accepted(&reports[0]), ["1.2"]);
    let (status, _, body) = http(
        &d.addr,
        "POST",
        "/api/v1/probe",
        "Content-Type: application/json\r\n",
        "{\"targets\":[\"ftp://nope:21\"]}",
    );
    assert_eq!(status, 400);
    assert!(body.contains("ftp"), "{body}");

    // CORS for the configured dashboard origin only.
    let preflight = "Origin: https://dash.example\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization\r\n";
    let (_, head, _) = http(&d.addr, "OPTIONS", "/api/v1/snapshot", preflight, "");
    assert!(
        head.to_ascii_lowercase()
            .contains("access-control-allow-origin: https://dash.example"),
        "{head}"
    );
    let (_, head, _) = http(
        &d.addr,
        "GET",
        "/api/v1/snapshot",
        "Origin: https://evil.example\r\n",
        "",
    );
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{head}"
    );

    // OpenAPI names every route.
    let (status, _, body) = http(&d.addr, "GET", "/api/v1/openapi.json", "", "");
    assert_eq!(status, 200);
    let api: Value = serde_json::from_str(&body).expect("openapi");
    for path in [
        "/api/v1/health",
        "/api/v1/snapshot",
        "/api/v1/events",
        "/api/v1/probe",
        "/metrics",
    ] {
        assert!(api["paths"][path].is_object(), "{path}");
    }

    // The snapshot is exactly what the OpenAPI document says, field by field.
    conforms(&api, "Snapshot", &snap);

    // The event stream carried all three kinds (the demo's first renewals come ~15 s in), each
    // an Observation as documented and as the page's core types read it.
    let seen = events.join().expect("sse thread");
    assert_eq!(
        seen.keys().map(String::as_str).collect::<Vec<_>>(),
        ["handshake", "probe", "rotation"]
    );
    for data in seen.values() {
        let value: Value = serde_json::from_str(data).expect("event data is JSON");
        conforms(&api, "Observation", &value);
        serde_json::from_value::<tlscope_core::observation::Observation>(value)
            .expect("the core's Observation reads the event");
    }
    serde_json::from_value::<tlscope_core::observation::Snapshot>(snap)
        .expect("the core's Snapshot reads the snapshot");
}

/// Validates `instance` against the OpenAPI component `name`, with every object schema made
/// closed (no property the document does not name), so a field added to a core type without
/// documenting it, or documented and never sent when required, fails here.
fn conforms(api: &Value, name: &str, instance: &Value) {
    fn close(schema: &mut Value) {
        match schema {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    let mut components = api["components"].clone();
    close(&mut components);
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": components,
    });
    let validator = jsonschema::validator_for(&schema).expect("the OpenAPI schemas compile");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(8)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} does not match docs/openapi.json: {errors:#?}"
    );
}
