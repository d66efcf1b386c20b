//! `tlscope probe` against real servers started on loopback — nginx with the specification's
//! TLS 1.3-only configuration and with a weak one, `openssl s_server` limited to TLS 1.2 with a
//! CBC suite, PostgreSQL with ssl=on, MariaDB with TLS, redis-server with tls-port — and against
//! endpoints that misbehave (nothing listening, plain HTTP, closing mid-handshake, never
//! answering), all in one run: every result is asserted against the server's known
//! configuration, and each bad endpoint gets its own clear error without disturbing the others.

use tlscope_testbed as servers;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

fn scratch() -> std::path::PathBuf {
    // Under /tmp so the postgres user can reach it.
    let dir = std::env::temp_dir().join(format!("tlscope-probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// A listener that misbehaves in one way; returns its port. The thread ends with the process.
fn misbehaving(kind: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            match kind {
                "http" => {
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                }
                "close" => {
                    let mut buf = [0u8; 16];
                    let _ = s.read(&mut buf);
                }
                _ => held.push(s), // accept and never answer
            }
        }
    });
    port
}

/// The report for the `i`th target (reports come in the targets' order).
fn nth(doc: &Value, i: usize) -> &Value {
    let r = &doc["targets"][i];
    assert!(r.is_object(), "no report {i}");
    r
}

fn accepted(r: &Value) -> Vec<String> {
    r["versions"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|x| x["accepted"] == true)
                .map(|x| x["version"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn suites(r: &Value, version: &str) -> Vec<String> {
    r["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["version"] == version))
        .and_then(|x| x["suites"].as_array())
        .map(|s| {
            s.iter()
                .map(|x| x.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn rules(r: &Value) -> Vec<String> {
    let mut ids: Vec<String> = r["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| x["rule"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn probes_real_servers_and_misbehaving_endpoints_in_one_run() {
    let dir = scratch();
    let pki = servers::Pki::new(&dir.join("pki"));
    let (_nginx, spec, weak) = servers::nginx(&dir, &pki);
    let s_server = servers::openssl_tls12_cbc(&dir, &pki);
    let no_ems = servers::openssl_tls12_no_ems(&dir, &pki);
    let redis = servers::redis(&dir, &pki);
    let pg = servers::postgres(&dir, &pki);
    let maria = servers::mariadb(&dir, &pki);
    let closed = servers::free_port();
    let (http, close, silent) = (
        misbehaving("http"),
        misbehaving("close"),
        misbehaving("silent"),
    );

    let t = |s: String| s;
    let targets = [
        t(format!("https://localhost:{spec}/")),
        t(format!("https://localhost:{weak}/")),
        t(format!("localhost:{}", s_server.port)),
        t(format!("rediss://localhost:{}", redis.port)),
        t(format!(
            "postgres://app:hunter2@localhost:{}/orders",
            pg.port
        )),
        t(format!("mysql://root@localhost:{}", maria.port)),
        t(format!("127.0.0.1:{closed}")),
        t(format!("127.0.0.1:{http}")),
        t(format!("127.0.0.1:{close}")),
        t(format!("127.0.0.1:{silent}")),
        t(format!("localhost:{}", no_ems.port)),
    ];
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args([
            "probe",
            "--format",
            "json",
            "--timeout",
            "2",
            "--concurrency",
            "10",
        ])
        .arg("--roots")
        .arg(&pki.ca)
        .args(&targets)
        .output()
        .expect("run tlscope probe");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "targets failed, so exit 1:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("hunter2"), "the password is masked");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["schema"], "tlscope-report/1");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "the probe's report does not validate: {errors:#?}"
    );
    // Each input: what the probe saw, with the core's findings beside it.
    let doc = serde_json::json!({
        "targets": report["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .map(|i| {
                let mut seen = i["probe"].clone();
                seen["findings"] = i["findings"].clone();
                seen
            })
            .collect::<Vec<_>>()
    });

    // nginx, the specification's front end: TLS 1.3 only, OpenSSL's three default suites,
    // HSTS as configured; nothing to report but the stapling it does not do (its certificate
    // names an OCSP responder) and, on Debian's OpenSSL 3.0, no ML-KEM group (issue 20).
    let r = nth(&doc, 0);
    assert_eq!(r["error"], Value::Null, "{r}");
    assert_eq!(accepted(r), vec!["1.3"]);
    let mut s13 = suites(r, "1.3");
    s13.sort();
    assert_eq!(
        s13,
        vec![
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    assert_eq!(r["hsts"], "max-age=31536000; includeSubDomains; preload");
    assert!(
        r["groups"]
            .as_array()
            .is_some_and(|g| g.iter().any(|x| x == "x25519")),
        "{r}"
    );
    assert_eq!(r["client_auth"], "not-requested");
    assert_eq!(r["ocsp_stapled"], false);
    assert_eq!(
        rules(r),
        vec!["TLS-NO-POST-QUANTUM", "WEB-OCSP-STAPLING-OFF"],
        "{}",
        r["findings"]
    );
    assert_eq!(r["chain"].as_array().map(Vec::len), Some(1));

    // nginx, weak: TLS 1.2 (and older with SECLEVEL=0) in the server's order, a CBC suite, no HSTS.
    let r = nth(&doc, 1);
    assert_eq!(r["error"], Value::Null, "{r}");
    let versions = accepted(r);
    assert!(
        versions.contains(&"1.2".to_owned()) && !versions.contains(&"1.3".to_owned()),
        "{versions:?}"
    );
    let s12 = suites(r, "1.2");
    assert_eq!(
        s12,
        vec![
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_128_CBC_SHA"
        ],
        "server order"
    );
    let v12 = r["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["version"] == "1.2"))
        .expect("1.2");
    assert_eq!(v12["server_order"], true);
    // nginx's OpenSSL echoes the extended master secret the probe offers.
    assert_eq!(v12["extended_master_secret"], true, "{v12}");
    assert!(!rules(r).contains(&"TLS-NO-EMS".to_owned()));
    let found = rules(r);
    for rule in [
        "TLS-VERSION-MIN",
        "TLS-SUITE-CBC",
        "TLS-NO-FORWARD-SECRECY",
        "WEB-HSTS-MISSING",
    ] {
        assert!(found.contains(&rule.to_owned()), "{rule} in {found:?}");
    }

    // openssl s_server -tls1_2 -cipher AES128-SHA.
    let r = nth(&doc, 2);
    assert_eq!(accepted(r), vec!["1.2"], "{r}");
    assert_eq!(suites(r, "1.2"), vec!["TLS_RSA_WITH_AES_128_CBC_SHA"]);
    assert_eq!(
        rules(r),
        vec!["TLS-NO-FORWARD-SECRECY", "TLS-SUITE-CBC", "TLS-VERSION-MIN"]
    );

    // Databases: TLS reached through each protocol; TLS 1.2 is allowed for databases.
    for (i, service) in [(3, "redis"), (4, "postgres"), (5, "mysql")] {
        let r = nth(&doc, i);
        assert_eq!(r["error"], Value::Null, "{service}: {r}");
        assert_eq!(r["service"], service);
        let versions = accepted(r);
        assert!(
            versions.contains(&"1.2".to_owned()),
            "{service}: {versions:?}"
        );
        assert!(
            !versions.contains(&"1.0".to_owned()) && !versions.contains(&"1.1".to_owned()),
            "{service}: {versions:?}"
        );
        assert!(
            !rules(r).contains(&"TLS-VERSION-MIN".to_owned()),
            "{service}: {}",
            r["findings"]
        );
        // Redis sends its CA too; the leaf always comes first.
        assert!(
            r["chain"].as_array().is_some_and(|c| !c.is_empty()),
            "{service}"
        );
        assert!(r["latency_micros"].as_u64().unwrap_or(0) > 0);
    }
    assert_eq!(
        nth(&doc, 4)["target"],
        format!("postgres://app:****@localhost:{}/orders", pg.port)
    );

    // Misbehaving endpoints: one clear error each.
    let error = |i: usize| nth(&doc, i)["error"].as_str().unwrap_or("").to_owned();
    assert!(error(6).contains("Connection refused"), "{}", error(6));
    assert!(
        error(7).contains("not TLS") && error(7).contains("HTTP/1.1"),
        "{}",
        error(7)
    );
    assert!(error(8).contains("closed every connection"), "{}", error(8));
    assert!(
        error(9).contains("no TLS answer within 2 s"),
        "{}",
        error(9)
    );
    // openssl s_server with `Options = -ExtendedMasterSecret`: TLS 1.2 without EMS.
    let r = nth(&doc, 10);
    assert_eq!(accepted(r), vec!["1.2"], "{r}");
    let v12 = r["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["version"] == "1.2"))
        .expect("1.2");
    assert_eq!(v12["extended_master_secret"], false, "{v12}");
    assert_eq!(
        rules(r),
        vec!["TLS-NO-EMS", "TLS-VERSION-MIN"],
        "{}",
        r["findings"]
    );
    eprintln!(
        "probed {} targets in {:.1} s",
        targets.len(),
        elapsed.as_secs_f64()
    );
    drop((s_server, no_ems, redis, pg, maria));
    let _ = std::fs::remove_dir_all(&dir);
}
