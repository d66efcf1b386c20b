//! The TLS half of `cargo xtask bench`, each side by side with the tools people use today:
//!
//! 1. endpoint scan: `tlscope probe` vs testssl.sh (Debian) vs sslyze (PyPI) against the same
//!    local nginx servers — wall time per host, and versions, suites and groups compared;
//! 2. handshakes: the tlscope coordinator vs nginx (OpenSSL) with the same ECDSA P-256
//!    certificate, TLS 1.3 full, resumed and mTLS, driven by the same load generator
//!    (`tlscope bench`), alternating, several rounds, medians.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use tlscope_testbed as testbed;

use crate::{root, run};

fn tools_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from)
        .join(".cache/tlscope/tools")
}

/// testssl.sh and sslscan from Debian, sslyze from PyPI (in a venv), installed when missing.
fn peers() -> Result<PathBuf> {
    for package in ["testssl.sh", "sslscan"] {
        let installed = Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", package])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"));
        if !installed {
            let install = format!("apt-get install -y --no-install-recommends {package}");
            run(Command::new("sh")
                .args(["-c", &format!("{install} || (apt-get update && {install})")])
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
        }
    }
    let venv = tools_dir().join("sslyze-venv");
    let sslyze = venv.join("bin/sslyze");
    if !sslyze.is_file() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "sslyze"]))?;
    }
    Ok(sslyze)
}

fn tlscope() -> Result<PathBuf> {
    run(Command::new("cargo").args(["build", "--release", "--quiet", "-p", "tlscope-agent"]))?;
    Ok(root().join("target/release/tlscope"))
}

/// One run against one server: handshakes/s, p50 ms, p99 ms, server CPU cores.
type Run = (f64, f64, f64, f64);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn timed(cmd: &mut Command) -> Result<(f64, Vec<u8>)> {
    let started = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{cmd:?}"))?;
    Ok((started.elapsed().as_secs_f64(), out.stdout))
}

/// What a scanner said about one host, normalised for comparison.
#[derive(Debug, Default, PartialEq)]
struct Verdict {
    versions: BTreeSet<String>,
    tls12: BTreeSet<String>,
    tls13: BTreeSet<String>,
    groups: BTreeSet<String>,
    /// Certificate problems as each tool can tell them: "chain trusted" and "host name matches"
    /// under the tool's own (public) trust store.
    certificate: BTreeSet<String>,
}

fn certificate_words(trusted: Option<bool>, host: Option<bool>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(t) = trusted {
        out.insert(
            if t {
                "chain trusted"
            } else {
                "chain not trusted"
            }
            .to_owned(),
        );
    }
    if let Some(h) = host {
        out.insert(
            if h {
                "host name matches"
            } else {
                "host name mismatch"
            }
            .to_owned(),
        );
    }
    out
}

fn group_name(g: &str) -> String {
    match g.to_ascii_lowercase().as_str() {
        "prime256v1" | "secp256r1" => "secp256r1".into(),
        other => other.to_owned(),
    }
}

fn tlscope_verdict(json: &[u8]) -> Result<Verdict> {
    let doc: Value = serde_json::from_slice(json)?;
    // The report document (tlscope-report/1): what the probe saw, and the findings beside it.
    let input = &doc["inputs"][0];
    let t = &input["probe"];
    let mut v = Verdict::default();
    for version in t["versions"].as_array().into_iter().flatten() {
        if version["accepted"] != true {
            continue;
        }
        let name = version["version"].as_str().unwrap_or("").to_owned();
        let suites: BTreeSet<String> = version["suites"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        match name.as_str() {
            "1.2" => v.tls12 = suites,
            "1.3" => v.tls13 = suites,
            _ => {}
        }
        v.versions.insert(name);
    }
    v.groups = t["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(group_name))
        .collect();
    let rules: Vec<&str> = input["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    v.certificate = certificate_words(
        Some(
            !rules
                .iter()
                .any(|r| matches!(*r, "CHAIN-UNTRUSTED-ROOT" | "CHAIN-ISSUER-NOT-FOUND")),
        ),
        Some(!rules.contains(&"HOST-MISMATCH")),
    );
    Ok(v)
}

/// sslyze's JSON holds integers (RSA moduli) beyond what serde_json reads without
/// `arbitrary_precision`, so python3 (which sslyze needs anyway) extracts the fields compared.
const SSLYZE_FIELDS: &str = r#"
import json, sys
r = json.load(open(sys.argv[1]))["server_scan_results"][0]["scan_result"]
def suites(k):
    res = (r.get(k) or {}).get("result") or {}
    return [c["cipher_suite"]["name"] for c in res.get("accepted_cipher_suites", [])]
curves = ((r.get("elliptic_curves") or {}).get("result") or {}).get("supported_curves") or []
deps = (((r.get("certificate_info") or {}).get("result") or {}).get("certificate_deployments") or [{}])
trusted = any(p.get("was_validation_successful") for p in deps[0].get("path_validation_results", []))
host = deps[0].get("leaf_certificate_subject_matches_hostname")
print(json.dumps({"trusted": trusted, "host": host,
    "SSL3.0": suites("ssl_3_0_cipher_suites"), "1.0": suites("tls_1_0_cipher_suites"),
    "1.1": suites("tls_1_1_cipher_suites"), "1.2": suites("tls_1_2_cipher_suites"),
    "1.3": suites("tls_1_3_cipher_suites"), "groups": [c["name"] for c in curves]}))
"#;

fn sslyze_verdict(path: &Path) -> Result<Verdict> {
    let out = Command::new("python3")
        .args(["-c", SSLYZE_FIELDS])
        .arg(path)
        .output()
        .context("python3 reads sslyze's JSON")?;
    if !out.status.success() {
        bail!(
            "reading {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let r: Value = serde_json::from_slice(&out.stdout)?;
    let names = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect()
    };
    let mut v = Verdict::default();
    for name in ["SSL3.0", "1.0", "1.1", "1.2", "1.3"] {
        let suites = names(&r[name]);
        if !suites.is_empty() {
            v.versions.insert(name.into());
        }
        match name {
            "1.2" => v.tls12 = suites,
            "1.3" => v.tls13 = suites,
            _ => {}
        }
    }
    v.groups = names(&r["groups"]).iter().map(|g| group_name(g)).collect();
    v.certificate = certificate_words(r["trusted"].as_bool(), r["host"].as_bool());
    Ok(v)
}

fn testssl_verdict(path: &Path) -> Result<Verdict> {
    let doc: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let mut v = Verdict::default();
    let (mut trusted, mut host) = (None, None);
    for e in doc.as_array().into_iter().flatten() {
        let id = e["id"].as_str().unwrap_or("");
        let finding = e["finding"].as_str().unwrap_or("");
        let version = match id {
            "SSLv3" => Some("SSL3.0"),
            "TLS1" => Some("1.0"),
            "TLS1_1" => Some("1.1"),
            "TLS1_2" => Some("1.2"),
            "TLS1_3" => Some("1.3"),
            _ => None,
        };
        if let Some(name) = version
            && finding.starts_with("offered")
        {
            v.versions.insert(name.into());
        }
        // Per-protocol ids (`cipher-tls1_2_xc02f`) or the plain list (`cipher_x1302`): the
        // last field of the finding is the IANA name; 0x13xx codes are TLS 1.3.
        let code = id
            .strip_prefix("cipher-tls1_2_x")
            .map(|c| (c, false))
            .or_else(|| id.strip_prefix("cipher-tls1_3_x").map(|c| (c, true)))
            .or_else(|| {
                id.strip_prefix("cipher_x")
                    .map(|c| (c, c.starts_with("13")))
            });
        if let (Some((_, tls13)), Some(iana)) = (code, finding.split_whitespace().last()) {
            if tls13 {
                v.tls13.insert(iana.to_owned());
            } else if !id.starts_with("cipher-tls1_0") && !id.starts_with("cipher-tls1_1") {
                v.tls12.insert(iana.to_owned());
            }
        }
        if id == "cert_chain_of_trust" {
            trusted = Some(finding.starts_with("passed"));
        }
        if id == "cert_trust" {
            host = Some(finding.to_ascii_lowercase().starts_with("ok"));
        }
        if id == "PFS_ECDHE_curves" || id == "FS_ECDHE_curves" {
            v.groups = finding.split_whitespace().map(group_name).collect();
        }
    }
    v.certificate = certificate_words(trusted, host);
    Ok(v)
}

/// Our certificate verdicts limited to the kinds (chain, host) the peer gives an opinion on:
/// sslyze 6 no longer reports host-name matching.
fn comparable(ours: &BTreeSet<String>, theirs: &BTreeSet<String>) -> BTreeSet<String> {
    ours.iter()
        .filter(|w| {
            let kind = if w.starts_with("chain") {
                "chain"
            } else {
                "host"
            };
            theirs.iter().any(|t| t.starts_with(kind))
        })
        .cloned()
        .collect()
}

fn list(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "—".into()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Section 1: tlscope probe vs testssl.sh vs sslyze.
pub fn scan(out: &mut String) -> Result<()> {
    let sslyze = peers()?;
    let tlscope = tlscope()?;
    let dir = std::env::temp_dir().join(format!("tlscope-bench-scan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let pki = testbed::Pki::new(&dir.join("pki"));
    let (_nginx, spec, weak) = testbed::nginx(&dir, &pki);
    writeln!(
        out,
        "## Endpoint scan: tlscope probe vs sslscan vs sslyze vs testssl.sh\n"
    )?;
    let package = |name: &str| {
        Command::new("dpkg-query")
            .args(["-W", "-f=${Version}", name])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let sslyze_version = Command::new(sslyze.with_file_name("pip"))
        .args(["show", "sslyze"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("Version: ").map(str::to_owned))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    writeln!(
        out,
        "Local nginx {} ({}), RSA 2048 certificate from a test CA; `spec` is the specification's TLS 1.3-only server, `weak` allows TLS 1.0–1.2 with `ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0`. Peers: sslscan {} and testssl.sh {} (Debian), sslyze {} (PyPI). Wall time per host: tlscope, sslscan and sslyze median of 3 runs, testssl.sh one run. Every tool judges the certificate against public roots (the test CA is not among them), so each should say \"chain not trusted\"; sslyze 6 no longer reports host-name matching, so only the chain is compared with it. sslscan's findings are not parsed (its time is reported).\n",
        package("nginx"),
        crate::tool_version("openssl", &["version"]),
        package("sslscan"),
        package("testssl.sh"),
        sslyze_version,
    )?;
    writeln!(
        out,
        "| host | tlscope probe | sslscan | sslyze | testssl.sh | sslscan / tlscope | sslyze / tlscope | testssl.sh / tlscope |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    let mut comparisons = String::new();
    for (name, port) in [("spec", spec), ("weak", weak)] {
        let target = format!("localhost:{port}");
        let times = |cmd: &dyn Fn() -> Command| -> Result<(f64, Vec<u8>)> {
            let mut all = Vec::new();
            let mut last = Vec::new();
            for _ in 0..3 {
                let (t, output) = timed(&mut cmd())?;
                all.push(t);
                last = output;
            }
            Ok((median(all), last))
        };
        // tlscope judges against the Mozilla roots here, like the peers.
        let (tl, tl_json) = times(&|| {
            let mut c = Command::new(&tlscope);
            c.args(["probe", "--format", "json"]).arg(&target);
            c
        })?;
        let (ss, _) = times(&|| {
            let mut c = Command::new("sslscan");
            c.arg("--no-colour").arg(&target);
            c
        })?;
        let sy_json = dir.join(format!("sslyze-{name}.json"));
        let (sy, _) = times(&|| {
            let mut c = Command::new(&sslyze);
            c.arg("--quiet")
                .arg(format!("--json_out={}", sy_json.display()))
                .arg(&target);
            c
        })?;
        let ts_json = dir.join(format!("testssl-{name}.json"));
        let _ = std::fs::remove_file(&ts_json);
        let (ts_time, _) = timed(
            Command::new("testssl")
                .args(["--quiet", "--warnings", "off", "--ip", "one", "--jsonfile"])
                .arg(&ts_json)
                .arg(&target),
        )?;
        println!(
            "scan {name}: tlscope {tl:.2} s, sslscan {ss:.2} s, sslyze {sy:.2} s, testssl.sh {ts_time:.1} s"
        );
        writeln!(
            out,
            "| {name} | {tl:.3} s | {ss:.2} s | {sy:.2} s | {ts_time:.1} s | {:.1}x | {:.0}x | {:.0}x |",
            ss / tl,
            sy / tl,
            ts_time / tl
        )?;
        let ours = tlscope_verdict(&tl_json)?;
        let theirs = [
            ("sslyze", sslyze_verdict(&sy_json)?),
            ("testssl.sh", testssl_verdict(&ts_json)?),
        ];
        writeln!(
            comparisons,
            "\n**{name}** — tlscope: versions {}; TLS 1.2 {}; TLS 1.3 {}; groups {}; certificate: {}\n",
            list(&ours.versions),
            list(&ours.tls12),
            list(&ours.tls13),
            list(&ours.groups),
            list(&ours.certificate)
        )?;
        for (tool, v) in &theirs {
            let mut diffs = Vec::new();
            for (what, a, b) in [
                ("versions", &ours.versions, &v.versions),
                ("TLS 1.2 suites", &ours.tls12, &v.tls12),
                ("TLS 1.3 suites", &ours.tls13, &v.tls13),
                ("groups", &ours.groups, &v.groups),
                (
                    "certificate",
                    &comparable(&ours.certificate, &v.certificate),
                    &v.certificate,
                ),
            ] {
                if a != b {
                    let only_ours: BTreeSet<_> = a.difference(b).cloned().collect();
                    let only_theirs: BTreeSet<_> = b.difference(a).cloned().collect();
                    diffs.push(format!(
                        "{what}: only tlscope {}, only {tool} {}",
                        list(&only_ours),
                        list(&only_theirs)
                    ));
                }
            }
            if diffs.is_empty() {
                writeln!(
                    comparisons,
                    "- {tool}: agrees on versions, suites, groups and the certificate verdict."
                )?;
            } else {
                writeln!(comparisons, "- {tool}: {}.", diffs.join("; "))?;
            }
        }
    }
    writeln!(out, "\nVerdicts side by side:\n{comparisons}")?;
    writeln!(
        out,
        "Where the groups differ: sslyze and testssl.sh test elliptic-curve groups only. tlscope also sends TLS 1.3 hellos for the finite-field groups (RFC 7919), and OpenSSL 3 enables ffdhe2048–8192 for TLS 1.3 by default, so its extra `ffdhe*` entries are groups the server really accepts (`openssl s_client -groups ffdhe2048` completes against it). tlscope probes X25519MLKEM768 too; this OpenSSL does not offer it. testssl.sh's suite list is per protocol only in its full cipher run; its plain list is mapped by code (0x13xx = TLS 1.3).\n"
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One `tlscope bench` run; the JSON report.
fn load(tlscope: &Path, target: &str, modes: &str, pid: u32, extra: &[&str]) -> Result<Value> {
    let out = Command::new(tlscope)
        .args([
            "bench",
            target,
            "--modes",
            modes,
            "--kx",
            "x25519",
            "--duration",
            "4",
            "--concurrency",
            "4",
            "--idle",
            "0",
            "--json",
        ])
        .args(["--server-pid", &pid.to_string()])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .context("tlscope bench")?;
    if !out.status.success() {
        bail!(
            "tlscope bench {target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Section 2: coordinator vs nginx.
pub fn handshakes(out: &mut String) -> Result<()> {
    let tlscope = tlscope()?;
    let dir = std::env::temp_dir().join(format!("tlscope-bench-hs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let store = dir.join("store");
    let ca = |args: &[&str]| -> Result<()> {
        run(Command::new(&tlscope)
            .arg("ca")
            .args(args)
            .arg("--store")
            .arg(&store))
    };
    ca(&["init", "--tenant", "bench"])?;
    ca(&[
        "issue",
        "--tenant",
        "bench",
        "--role",
        "coordinator",
        "--name",
        "coordinator",
    ])?;
    ca(&[
        "issue", "--tenant", "bench", "--role", "edge", "--name", "load",
    ])?;
    let (server_dir, client_dir) = (dir.join("server"), dir.join("client"));
    run(Command::new(&tlscope)
        .args([
            "ca",
            "export",
            "--tenant",
            "bench",
            "--name",
            "coordinator",
            "--out",
        ])
        .arg(&server_dir)
        .arg("--store")
        .arg(&store))?;
    run(Command::new(&tlscope)
        .args([
            "ca", "export", "--tenant", "bench", "--name", "load", "--out",
        ])
        .arg(&client_dir)
        .arg("--store")
        .arg(&store))?;
    let (nginx, n_tls, n_mtls) = testbed::nginx_bench(
        &dir,
        &server_dir.join("cert.pem"),
        &server_dir.join("key.pem"),
        &server_dir.join("ca.pem"),
    );
    let (c_tls, c_mtls) = (testbed::free_port(), testbed::free_port());
    let mut coordinator = Command::new(&tlscope)
        .args([
            "coordinator",
            "--tenant",
            "bench",
            "--quiet",
            "--listen",
            &format!("127.0.0.1:{c_tls}"),
            "--mtls-listen",
            &format!("127.0.0.1:{c_mtls}"),
        ])
        .arg("--store")
        .arg(&store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start the coordinator")?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", c_mtls)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ca_pem = server_dir.join("ca.pem").display().to_string();
    let (cert, key) = (
        client_dir.join("cert.pem").display().to_string(),
        client_dir.join("key.pem").display().to_string(),
    );
    let roots = ["--roots", ca_pem.as_str()];
    let mtls_args = [
        "--roots",
        ca_pem.as_str(),
        "--cert",
        cert.as_str(),
        "--key",
        key.as_str(),
    ];
    // (mode, label) → per server: Vec<(per_second, p50, p99, cpu)>
    let modes = [
        ("tls13", "TLS 1.3 full"),
        ("tls13-resumed", "TLS 1.3 resumed"),
        ("mtls", "mTLS (TLS 1.3)"),
    ];
    let mut rows: Vec<[Vec<Run>; 2]> = modes.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for round in 0..3 {
        for (i, (mode, _)) in modes.iter().enumerate() {
            let servers = [
                ("nginx", n_tls, n_mtls, nginx.pid()),
                ("coordinator", c_tls, c_mtls, coordinator.id()),
            ];
            // Alternate which goes first each round.
            let order: Vec<usize> = if round % 2 == 0 {
                vec![0, 1]
            } else {
                vec![1, 0]
            };
            for s in order {
                let (_, tls_port, mtls_port, pid) = servers[s];
                let (port, extra): (u16, &[&str]) = if *mode == "mtls" {
                    (mtls_port, &mtls_args)
                } else {
                    (tls_port, &roots)
                };
                let report = load(&tlscope, &format!("localhost:{port}"), mode, pid, extra)?;
                let r = &report["rows"][0];
                if r["failures"].as_u64().unwrap_or(0) > 0 {
                    bail!(
                        "{} {mode}: {} failures: {}",
                        servers[s].0,
                        r["failures"],
                        r["first_failure"]
                    );
                }
                rows[i][s].push((
                    r["per_second"].as_f64().unwrap_or(0.0),
                    r["p50_ms"].as_f64().unwrap_or(0.0),
                    r["p99_ms"].as_f64().unwrap_or(0.0),
                    r["server_cpu_cores"].as_f64().unwrap_or(0.0),
                ));
            }
        }
    }
    let _ = coordinator.kill();
    let _ = coordinator.wait();
    drop(nginx);
    writeln!(out, "## Handshakes: tlscope coordinator vs nginx\n")?;
    writeln!(
        out,
        "Same ECDSA P-256 certificate (issued by `tlscope ca`), TLS 1.3 only, X25519 offered by the clients (nginx's OpenSSL has no X25519MLKEM768), same load generator (`tlscope bench`, 4 clients, 4 s per run), 3 rounds alternating which server goes first; medians. nginx runs one process (`master_process off`); the coordinator is one process with tokio's runtime. Client and server share the 2 cores, so handshakes per second of *server* CPU is the fairer column.\n"
    )?;
    writeln!(
        out,
        "| mode | nginx hs/s | coordinator hs/s | coordinator / nginx | nginx p50 / p99 ms | coordinator p50 / p99 ms | nginx hs per server-core-second | coordinator hs per server-core-second | ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for (i, (_, label)) in modes.iter().enumerate() {
        let m = |s: usize, f: fn(&Run) -> f64| median(rows[i][s].iter().map(f).collect());
        let (n, c) = (m(0, |r| r.0), m(1, |r| r.0));
        let (ncpu, ccpu) = (m(0, |r| r.3), m(1, |r| r.3));
        let (nper, cper) = (n / ncpu.max(1e-9), c / ccpu.max(1e-9));
        println!(
            "{label}: nginx {n:.0}/s, coordinator {c:.0}/s ({:.2}x); per server core {nper:.0} vs {cper:.0} ({:.2}x)",
            c / n,
            cper / nper
        );
        writeln!(
            out,
            "| {label} | {n:.0} | {c:.0} | **{:.2}x** | {:.2} / {:.2} | {:.2} / {:.2} | {nper:.0} | {cper:.0} | **{:.2}x** |",
            c / n,
            m(0, |r| r.1),
            m(0, |r| r.2),
            m(1, |r| r.1),
            m(1, |r| r.2),
            cper / nper
        )?;
    }
    writeln!(out)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
