//! `tlscope bench` against the coordinator it starts: TLS 1.2 refused, the three TLS 1.3 modes
//! complete handshakes without failure, resumption really resumes, and memory per idle
//! connection is measured. (Speed itself is reported, never asserted.)

use std::process::Command;

#[test]
fn bench_measures_every_mode_against_its_own_coordinator() {
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args([
            "bench",
            "--duration",
            "1",
            "--concurrency",
            "2",
            "--idle",
            "20",
            "--json",
        ])
        .output()
        .expect("run tlscope bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = report["rows"].as_array().expect("rows");
    let row = |mode: &str| {
        rows.iter()
            .find(|r| r["mode"] == mode)
            .unwrap_or_else(|| panic!("no {mode} row in {report}"))
    };
    let tls12 = row("tls12");
    assert_eq!(tls12["handshakes"], 0);
    assert!(
        tls12["first_failure"]
            .as_str()
            .unwrap_or("")
            .contains("protocol version"),
        "{tls12}"
    );
    for mode in ["tls13", "tls13-resumed", "mtls"] {
        let r = row(mode);
        assert!(r["handshakes"].as_u64().unwrap_or(0) > 0, "{r}");
        assert_eq!(r["failures"], 0, "{r}");
        assert!(r["p99_ms"].as_f64().unwrap_or(0.0) >= r["p50_ms"].as_f64().unwrap_or(0.0));
        assert!(r["server_cpu_cores"].as_f64().is_some(), "{r}");
    }
    assert_eq!(row("tls13")["resumed"], 0);
    assert_eq!(
        row("tls13-resumed")["resumed"],
        row("tls13-resumed")["handshakes"]
    );
    assert!(
        report["bytes_per_idle_connection"].as_f64().is_some(),
        "{report}"
    );
}
