//! The FIPS build of `tlscope` (`--features fips`: aws-lc-rs's FIPS 140-3 module), as an operator
//! runs it under the fips profile: a coordinator, a node enrolled over the network and an edge,
//! all from the FIPS binary. It says `fips: yes`, its handshake records and `/metrics` say so,
//! OpenSSL interoperates with it on the profile's suites and groups, and what FIPS forbids
//! (ChaCha20, X25519 alone, TLS 1.2) is refused. The default build refuses to run the fips
//! profile at all, and the FIPS build under the default policy says honestly that its handshakes
//! are not all FIPS-approved.
//!
//! The FIPS binary is built by `cargo xtask test` (or `cargo build -p tlscope-agent --features
//! fips`, copied to target/fips/tlscope) and found through `TLSCOPE_FIPS_BIN`.

mod infra;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use infra::demo::http;
use infra::{Running, lines_of, scratch};

/// The FIPS build: `TLSCOPE_FIPS_BIN`, else target/fips/tlscope.
fn fips_bin() -> PathBuf {
    let bin = std::env::var_os("TLSCOPE_FIPS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fips/tlscope"));
    assert!(
        bin.is_file(),
        "{} not found: `cargo xtask test` builds it (cargo build -p tlscope-agent --features fips, copied to target/fips/tlscope)",
        bin.display()
    );
    bin
}

fn default_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tlscope"))
}

/// `tlscope ARGS… --policy POLICY` with the store at `store` (every subcommand used here takes
/// `--policy` after its own arguments).
fn tlscope(bin: &Path, store: &Path, args: &[&str], policy: &Path) -> Command {
    let mut c = Command::new(bin);
    c.env_remove("TLSCOPE_STORE_KEY")
        .env_remove("TLSCOPE_JOIN_TOKEN")
        .env_remove("TLSCOPE_TOKEN")
        .env("TLSCOPE_STORE", store)
        .args(args)
        .arg("--policy")
        .arg(policy)
        .stdin(Stdio::null());
    c
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A policy file in `dir` that extends `profile`.
fn policy(dir: &Path, profile: &str) -> PathBuf {
    let path = dir.join(format!("{profile}.toml"));
    std::fs::write(&path, format!("version = 1\nextends = \"{profile}\"\n")).expect("policy");
    path
}

/// A running coordinator: its (client, mTLS, API) addresses, the FIPS line it printed, and its
/// handshake records (stdout JSON lines).
struct Coordinator {
    _running: Running,
    client: String,
    mtls: String,
    api: String,
    fips_line: String,
    records: Receiver<String>,
}

fn coordinator(bin: &Path, store: &Path, policy: &Path) -> Coordinator {
    let mut cmd = tlscope(
        bin,
        store,
        &[
            "coordinator",
            "--tenant",
            "t",
            "--listen",
            "127.0.0.1:0",
            "--mtls-listen",
            "127.0.0.1:0",
            "--api-listen",
            "127.0.0.1:0",
        ],
        policy,
    );
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start coordinator");
    let records = lines_of(&mut child);
    let stderr = child.stderr.take().expect("stderr");
    let running = Running(child);
    let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
    let mut next = || lines.next().expect("the coordinator's start-up lines");
    // "tlscope coordinator: tenant t serial S; clients on A, edges (mTLS) on B"
    let first = next();
    let client = first
        .split("clients on ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("client address in {first:?}"))
        .to_owned();
    let mtls = first
        .split("(mTLS) on ")
        .nth(1)
        .unwrap_or_else(|| panic!("mTLS address in {first:?}"))
        .trim()
        .to_owned();
    let fips_line = next();
    // "tlscope coordinator: metrics at http://ADDR/metrics, API at /api/v1/snapshot"
    let api_line = next();
    let api = api_line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("API address in {api_line:?}"))
        .to_owned();
    std::thread::spawn(move || for _ in lines {});
    Coordinator {
        _running: running,
        client,
        mtls,
        api,
        fips_line,
        records,
    }
}

/// The next accepted handshake record of `segment` within 20 s.
fn next_accepted(records: &Receiver<String>, segment: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(line) = records.recv_timeout(Duration::from_millis(200)) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if v["segment"] == segment && v["outcome"] == "accepted" {
                return v;
            }
        }
    }
    panic!("no accepted {segment} handshake record within 20 s");
}

/// `openssl s_client` against `addr` with `extra` options and the node's files; (completed,
/// output).
fn s_client(addr: &str, state: &Path, extra: &[&str]) -> (bool, String) {
    let (_, out, err) = output(
        Command::new("openssl")
            .args(["s_client", "-connect", addr, "-brief", "-cert"])
            .arg(state.join("cert.pem"))
            .arg("-key")
            .arg(state.join("key.pem"))
            .arg("-CAfile")
            .arg(state.join("ca.pem"))
            .args(extra)
            .stdin(Stdio::null()),
    );
    let text = format!("{out}{err}");
    let completed = text.contains("CONNECTION ESTABLISHED") && text.contains("TLSv1.3");
    (completed, text)
}

#[test]
fn the_fips_build_runs_the_fips_profile_with_openssl_interop_and_refuses_what_fips_forbids() {
    let bin = fips_bin();
    let dir = scratch("fips-build");
    let store = dir.join("store");
    let fips = policy(&dir, "fips");
    let (code, _, err) = output(&mut tlscope(
        &bin,
        &store,
        &["ca", "init", "--tenant", "t"],
        &fips,
    ));
    assert_eq!(code, 0, "ca init: {err}");
    let c = coordinator(&bin, &store, &fips);
    assert!(
        c.fips_line.contains("fips: yes") && c.fips_line.contains("FIPS 140-3 module in FIPS mode"),
        "{}",
        c.fips_line
    );

    // A node enrolled over the network by the FIPS binary, then an edge run from its state.
    let (code, out, err) = output(&mut tlscope(
        &bin,
        &store,
        &[
            "ca", "token", "--tenant", "t", "--name", "e1", "--ttl", "10m", "--json",
        ],
        &fips,
    ));
    assert_eq!(code, 0, "ca token: {err}");
    let token: serde_json::Value = serde_json::from_str(&out).expect("token JSON");
    let state = dir.join("e1");
    let (code, out, err) = output(
        Command::new(&bin)
            .env(
                "TLSCOPE_JOIN_TOKEN",
                token["token"].as_str().expect("token"),
            )
            .args(["enroll", "--coordinator", &c.client, "--ca-fingerprint"])
            .arg(token["ca_fingerprint"].as_str().expect("fingerprint"))
            .arg("--state")
            .arg(&state)
            .arg("--policy")
            .arg(&fips)
            .stdin(Stdio::null()),
    );
    assert_eq!(code, 0, "enroll: {out}{err}");
    // The enrolment itself was a client-segment handshake with the FIPS module.
    let enrolment = next_accepted(&c.records, "client");
    assert_eq!(enrolment["fips"], true, "{enrolment}");
    assert_eq!(enrolment["version"], "1.3", "{enrolment}");

    let mut edge = Running(
        Command::new(&bin)
            .env_remove("TLSCOPE_STORE")
            .args([
                "edge",
                "--heartbeat",
                "1",
                "--coordinator",
                &c.mtls,
                "--state",
            ])
            .arg(&state)
            .arg("--policy")
            .arg(&fips)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start edge"),
    );
    let _edge_lines = lines_of(&mut edge.0);
    let mtls = next_accepted(&c.records, "mtls");
    assert_eq!(mtls["fips"], true, "{mtls}");
    assert_eq!(mtls["peer_identity"], "spiffe://tlscope/tenant/t/edge/e1");
    let suite = mtls["suite"].as_str().unwrap_or_default();
    assert!(
        suite == "TLS_AES_256_GCM_SHA384" || suite == "TLS_AES_128_GCM_SHA256",
        "{mtls}"
    );
    let group = mtls["group"].as_str().unwrap_or_default();
    assert!(
        [
            "secp256r1",
            "secp384r1",
            "X25519MLKEM768",
            "SecP256r1MLKEM768"
        ]
        .contains(&group),
        "a FIPS group: {mtls}"
    );

    // OpenSSL (not a FIPS build) with the node's files: the profile's suites and a NIST curve
    // interoperate; ChaCha20 alone, X25519 alone and TLS 1.2 are refused.
    let (ok, text) = s_client(&c.mtls, &state, &["-groups", "P-256"]);
    assert!(ok, "AES-GCM over P-256: {text}");
    let record = next_accepted(&c.records, "mtls");
    assert_eq!(record["fips"], true, "{record}");
    assert_eq!(record["group"], "secp256r1", "{record}");
    let (ok, text) = s_client(
        &c.mtls,
        &state,
        &["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
    );
    assert!(!ok, "ChaCha20 must be refused: {text}");
    let (ok, text) = s_client(&c.mtls, &state, &["-groups", "X25519"]);
    assert!(!ok, "X25519 alone must be refused: {text}");
    let (ok, text) = s_client(&c.mtls, &state, &["-tls1_2"]);
    assert!(!ok, "TLS 1.2 must be refused: {text}");

    // /metrics: the module and the FIPS-approved handshakes it counted.
    let (status, _, body) = http(&c.api, "GET", "/metrics", "", "");
    assert_eq!(status, 200);
    assert!(
        body.contains("tlscope_fips_mode{module=\"yes\"} 1"),
        "{body}"
    );
    assert!(
        body.lines()
            .any(|l| l.starts_with("tlscope_fips_handshakes_total{segment=\"mtls\",fips=\"yes\"}")),
        "{body}"
    );
    assert!(
        !body.contains("fips=\"no\""),
        "every accepted handshake was FIPS-approved: {body}"
    );
    // The snapshot the Live view reads.
    let (status, _, body) = http(&c.api, "GET", "/api/v1/snapshot", "", "");
    assert_eq!(status, 200);
    let snapshot: serde_json::Value = serde_json::from_str(&body).expect("snapshot JSON");
    assert_eq!(
        snapshot["fips"],
        serde_json::json!({"module": true, "approved": true})
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_default_build_refuses_the_fips_profile_and_the_fips_build_is_honest_under_the_default_policy()
 {
    let dir = scratch("fips-default");
    let store = dir.join("store");
    let fips = policy(&dir, "fips");
    let spec = policy(&dir, "default");
    let (code, _, err) = output(&mut tlscope(
        &default_bin(),
        &store,
        &["ca", "init", "--tenant", "t"],
        &spec,
    ));
    assert_eq!(code, 0, "ca init: {err}");

    // The default build under the fips profile: no coordinator, and the reason.
    let (code, _, err) = output(
        Command::new(default_bin())
            .env("TLSCOPE_STORE", &store)
            .env_remove("TLSCOPE_STORE_KEY")
            .args([
                "coordinator",
                "--tenant",
                "t",
                "--listen",
                "127.0.0.1:0",
                "--mtls-listen",
                "127.0.0.1:0",
                "--policy",
            ])
            .arg(&fips)
            .stdin(Stdio::null()),
    );
    assert_ne!(code, 0, "the default build must not serve the fips profile");
    assert!(
        err.contains("requires FIPS-approved handshakes") && err.contains("not a FIPS build"),
        "{err}"
    );

    // Nor does its CA make keys or sign under the profile; it still lists what it holds.
    let (code, _, err) = output(&mut tlscope(
        &default_bin(),
        &store,
        &[
            "ca", "issue", "--tenant", "t", "--role", "edge", "--name", "e9",
        ],
        &fips,
    ));
    assert_ne!(
        code, 0,
        "the default build must not issue under the fips profile"
    );
    assert!(err.contains("not a FIPS build"), "{err}");
    let (code, out, err) = output(&mut tlscope(
        &default_bin(),
        &store,
        &["ca", "list", "--tenant", "t"],
        &fips,
    ));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("e9"), "{out}");

    // The FIPS build under the default policy (ChaCha20 and X25519 allowed): it serves, says
    // its handshakes are not all approved, and a ChaCha20 handshake is recorded as not FIPS.
    let c = coordinator(&fips_bin(), &store, &spec);
    assert!(
        c.fips_line.contains("fips: no") && c.fips_line.contains("not all FIPS-approved"),
        "{}",
        c.fips_line
    );
    let (_, out, err) = output(
        Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &c.client,
                "-brief",
                "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256",
            ])
            .stdin(Stdio::null()),
    );
    assert!(
        format!("{out}{err}").contains("CONNECTION ESTABLISHED"),
        "{out}{err}"
    );
    let record = next_accepted(&c.records, "client");
    assert_eq!(record["suite"], "TLS_CHACHA20_POLY1305_SHA256", "{record}");
    assert_eq!(record["fips"], false, "{record}");
    let (_, _, body) = http(&c.api, "GET", "/metrics", "", "");
    assert!(
        body.contains("tlscope_fips_mode{module=\"yes\"} 0"),
        "{body}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression: the FIPS build's probe offered only FIPS suites and groups in its own rustls
/// handshake, so against a server that speaks only ChaCha20 and X25519 it could enumerate the
/// versions but not read the chain. The probe observes; it now offers everything aws-lc-rs has,
/// and judges what it saw under the fips profile.
#[test]
fn the_fips_builds_probe_reads_the_chain_of_a_server_with_only_chacha20_and_x25519() {
    let dir = scratch("fips-probe");
    let pki = tlscope_testbed::Pki::new(&dir.join("pki"));
    let port = tlscope_testbed::free_port();
    let _server = Running(
        Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-www",
                "-tls1_3",
                "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256",
                "-groups",
                "X25519",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
            ])
            .arg(&pki.cert)
            .arg("-key")
            .arg(&pki.key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s_server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, out, err) = output(
        Command::new(fips_bin())
            .args([
                "probe",
                "--format",
                "json",
                "--timeout",
                "3",
                "--profile",
                "fips",
                "--roots",
            ])
            .arg(&pki.ca)
            .arg(format!("localhost:{port}")),
    );
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON ({e}): {out}{err}"));
    let input = &doc["inputs"][0];
    let probe = &input["probe"];
    assert_eq!(probe["error"], serde_json::Value::Null, "{probe}");
    assert!(
        probe["chain"].as_array().is_some_and(|c| !c.is_empty()),
        "the chain was read: {probe}"
    );
    assert_eq!(probe["groups"], serde_json::json!(["x25519"]), "{probe}");
    let rules: Vec<&str> = input["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    for rule in ["TLS-SUITE-NOT-ALLOWED", "TLS-GROUP-NOT-ALLOWED"] {
        assert!(rules.contains(&rule), "{rule} in {rules:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
