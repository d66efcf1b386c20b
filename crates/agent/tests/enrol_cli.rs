//! `tlscope ca token`, `tlscope enroll` and `tlscope edge --state` as an operator runs them,
//! against a real `tlscope coordinator` process; the enrolled node's cert.pem, key.pem and ca.pem
//! work with curl and `openssl s_client` against the mTLS listener.

mod infra;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use infra::{Running, lines_of};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn tlscope(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tlscope"));
    c.env_remove("TLSCOPE_STORE_KEY")
        .env_remove("TLSCOPE_JOIN_TOKEN")
        .env("TLSCOPE_STORE", store)
        .stdin(Stdio::null());
    c
}

/// Starts a coordinator on ephemeral ports; returns it and its (client, mTLS) addresses, read
/// from the line it prints when ready.
fn coordinator(store: &Path) -> (Running, String, String) {
    let mut child = tlscope(store)
        .args([
            "coordinator",
            "--tenant",
            "t",
            "--listen",
            "127.0.0.1:0",
            "--mtls-listen",
            "127.0.0.1:0",
            "--quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start coordinator");
    let stderr = child.stderr.take().expect("stderr");
    let running = Running(child);
    let mut lines = BufReader::new(stderr).lines();
    let line = lines
        .next()
        .and_then(Result::ok)
        .expect("the coordinator says where it listens");
    // "tlscope coordinator: tenant t serial S; clients on A, edges (mTLS) on B"
    let client = line
        .split("clients on ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .expect("client address")
        .to_owned();
    let mtls = line
        .split("(mTLS) on ")
        .nth(1)
        .expect("mTLS address")
        .trim()
        .to_owned();
    std::thread::spawn(move || for _ in lines {});
    (running, client, mtls)
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn token_enrol_and_run_from_the_state_directory_with_curl_and_openssl_interop() {
    let dir = scratch("enrol");
    let store = dir.join("store");
    let (code, _, err) = output(tlscope(&store).args(["ca", "init", "--tenant", "t"]));
    assert_eq!(code, 0, "{err}");
    let (_coordinator, client, mtls) = coordinator(&store);

    let (code, out, err) = output(tlscope(&store).args([
        "ca", "token", "--tenant", "t", "--name", "e1", "--ttl", "10m", "--json",
    ]));
    assert_eq!(code, 0, "{err}");
    let token: serde_json::Value = serde_json::from_str(&out).expect("token JSON");
    let (secret, pin) = (
        token["token"].as_str().expect("token").to_owned(),
        token["ca_fingerprint"]
            .as_str()
            .expect("fingerprint")
            .to_owned(),
    );
    assert!(token["expires_at"].is_string(), "{token}");

    let state = dir.join("e1");
    let enrol = |state: &Path, pin: &str| {
        output(
            tlscope(&store)
                .env("TLSCOPE_JOIN_TOKEN", &secret)
                .args([
                    "enroll",
                    "--coordinator",
                    &client,
                    "--ca-fingerprint",
                    pin,
                    "--state",
                ])
                .arg(state),
        )
    };
    // A wrong pin first: refused, nothing written, the token still unused.
    let wrong = format!("sha256:{}", "ab".repeat(32));
    let (code, _, err) = enrol(&state, &wrong);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pinned fingerprint"), "{err}");
    assert!(!state.join("cert.pem").exists());
    let (code, out, err) = enrol(&state, &pin);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("enrolled spiffe://tlscope/tenant/t/edge/e1"),
        "{out}"
    );
    // Twice: refused with the reason, nothing written.
    let again = dir.join("e1-again");
    let (code, _, err) = enrol(&again, &pin);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already used"), "{err}");
    assert!(!again.exists());

    // curl and openssl with the enrolled node's own files.
    let port = mtls.rsplit(':').next().expect("port");
    let (code, out, err) = output(
        Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(state.join("ca.pem"))
            .arg("--cert")
            .arg(state.join("cert.pem"))
            .arg("--key")
            .arg(state.join("key.pem"))
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/v1/whoami")),
    );
    assert_eq!(code, 0, "curl: {err}");
    let whoami: serde_json::Value = serde_json::from_str(&out).expect("whoami JSON");
    assert_eq!(whoami["peer_identity"], "spiffe://tlscope/tenant/t/edge/e1");
    let (_, out, err) = output(
        Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &mtls,
                "-verify_return_error",
                "-cert",
            ])
            .arg(state.join("cert.pem"))
            .arg("-key")
            .arg(state.join("key.pem"))
            .arg("-CAfile")
            .arg(state.join("ca.pem"))
            .stdin(Stdio::null()),
    );
    assert!(
        out.contains("Verify return code: 0 (ok)") && out.contains("TLSv1.3"),
        "openssl s_client: {out}{err}"
    );

    // The edge runs from the state directory alone (no store) and heartbeats.
    let mut edge = Running(
        Command::new(env!("CARGO_BIN_EXE_tlscope"))
            .env_remove("TLSCOPE_STORE")
            .args([
                "edge",
                "--heartbeat",
                "1",
                "--coordinator",
                &mtls,
                "--state",
            ])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start edge"),
    );
    let rx = lines_of(&mut edge.0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let heartbeat = line.contains("\"event\":\"heartbeat\"");
                seen.push(line);
                if heartbeat {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("\"event\":\"heartbeat\"")),
        "no heartbeat from the enrolled edge: {seen:?}"
    );
    drop(edge);
    let _ = std::fs::remove_dir_all(&dir);
}
