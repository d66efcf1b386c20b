//! The mesh across hosts: SeaweedFS, two coordinators and three edges, each in its own Linux
//! network namespace with its own address on a bridge the test makes (iproute2), sharing one CA
//! store on the S3 server. Edges enrol over the network with their own keys and run from their
//! state directories; a coordinator killed with SIGKILL leaves its edges to fail over to the
//! other and the store intact; a revocation made through the store is enforced by the surviving
//! coordinator within its reload interval. Traffic stays between the test's own addresses;
//! everything is torn down at the end, also when the test fails. Without the rights to make
//! namespaces the same scenario runs on 127.0.0.x addresses, and says so.

mod infra;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use infra::{Running, lines_of};

const STORE_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const HOSTS: [&str; 6] = ["s3", "c1", "c2", "e1", "e2", "e3"];

/// The test's hosts: network namespaces on a bridge, or loopback addresses.
struct Hosts {
    net: u32,
    namespaces: Vec<String>,
    bridge: Option<String>,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Hosts {
    /// Makes every host of [`HOSTS`] a namespace with address `10.77.NET.(i+1)/24` on a new
    /// bridge (the test's own side is `.254`), or falls back to loopback addresses.
    fn new() -> Self {
        let prefix = format!("tls{}", std::process::id() % 10_000);
        let net = 70 + std::process::id() % 50;
        let bridge = format!("{prefix}br");
        let mut hosts = Self {
            net,
            namespaces: Vec::new(),
            bridge: None,
        };
        if !ip(&["link", "add", &bridge, "type", "bridge"]) {
            println!(
                "network namespaces cannot be made here (not root?): the hosts are 127.0.0.x addresses"
            );
            return hosts;
        }
        hosts.bridge = Some(bridge.clone());
        assert!(ip(&[
            "addr",
            "add",
            &format!("10.77.{net}.254/24"),
            "dev",
            &bridge
        ]));
        assert!(ip(&["link", "set", &bridge, "up"]));
        for (i, name) in HOSTS.iter().enumerate() {
            let ns = format!("{prefix}-{name}");
            let (outer, inner) = (format!("{prefix}v{i}a"), format!("{prefix}v{i}b"));
            assert!(ip(&["netns", "add", &ns]), "ip netns add {ns}");
            hosts.namespaces.push(ns.clone());
            assert!(ip(&[
                "link", "add", &outer, "type", "veth", "peer", "name", &inner
            ]));
            assert!(ip(&["link", "set", &inner, "netns", &ns]));
            assert!(ip(&["link", "set", &outer, "master", &bridge]));
            assert!(ip(&["link", "set", &outer, "up"]));
            let addr = format!("10.77.{net}.{}/24", i + 1);
            assert!(ip(&[
                "netns", "exec", &ns, "ip", "addr", "add", &addr, "dev", &inner
            ]));
            assert!(ip(&[
                "netns", "exec", &ns, "ip", "link", "set", &inner, "up"
            ]));
            assert!(ip(&["netns", "exec", &ns, "ip", "link", "set", "lo", "up"]));
        }
        println!(
            "hosts: {} namespaces on bridge {bridge}, 10.77.{net}.0/24",
            HOSTS.len()
        );
        hosts
    }

    fn index(host: &str) -> usize {
        HOSTS.iter().position(|h| *h == host).expect("known host")
    }

    /// The host's address.
    fn addr(&self, host: &str) -> String {
        let i = Self::index(host);
        if self.bridge.is_some() {
            format!("10.77.{}.{}", self.net, i + 1)
        } else {
            format!("127.0.0.{}", i + 2)
        }
    }

    /// The host's namespace, when there are namespaces.
    fn namespace(&self, host: &str) -> Option<&str> {
        self.namespaces.get(Self::index(host)).map(String::as_str)
    }

    /// `program` run on `host`.
    fn command(&self, host: &str, program: &Path) -> Command {
        match self.namespace(host) {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = ip(&["netns", "del", ns]);
        }
        if let Some(bridge) = &self.bridge {
            let _ = ip(&["link", "del", bridge]);
        }
    }
}

/// Waits (bounded) for a line that satisfies `wanted`; every line seen is kept for the message.
fn wait_for(rx: &Receiver<String>, what: &str, secs: u64, wanted: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if wanted(&line) => return,
            Ok(line) => seen.push(line),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let tail: Vec<&String> = seen.iter().rev().take(8).collect();
    panic!("{what}: not seen within {secs} s; last lines: {tail:?}");
}

fn heartbeat_from(coordinator: &str) -> impl Fn(&str) -> bool + '_ {
    move |line: &str| {
        line.contains("\"event\":\"heartbeat\"")
            && line.contains(&format!("\"coordinator\":\"{coordinator}\""))
    }
}

struct Mesh {
    hosts: Hosts,
    bin: PathBuf,
    endpoint: String,
    bucket: String,
    access_key: String,
    secret_key: String,
    dir: PathBuf,
}

impl Mesh {
    /// `tlscope ARGS` on `host` (`None`: the test's own host) against the shared store.
    fn tlscope(&self, host: Option<&str>, args: &[&str]) -> Command {
        let mut c = match host {
            Some(h) => self.hosts.command(h, &self.bin),
            None => Command::new(&self.bin),
        };
        c.env("AWS_ACCESS_KEY_ID", &self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_key)
            .env("TLSCOPE_STORE", format!("s3://{}/mesh", self.bucket))
            .env("TLSCOPE_S3_ENDPOINT", &self.endpoint)
            .env("TLSCOPE_STORE_KEY", STORE_KEY)
            .env_remove("TLSCOPE_JOIN_TOKEN")
            .stdin(Stdio::null())
            .args(args);
        c
    }

    fn run(&self, host: Option<&str>, args: &[&str]) -> String {
        let out = self.tlscope(host, args).output().expect("run tlscope");
        assert!(
            out.status.success(),
            "tlscope {args:?} on {host:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A coordinator on `host` (client port 8443, mTLS 8444), ready when it says so.
    fn coordinator(&self, host: &str) -> Running {
        let addr = self.hosts.addr(host);
        let mut child = self
            .tlscope(
                Some(host),
                &[
                    "coordinator",
                    "--tenant",
                    "acme",
                    "--name",
                    host,
                    "--listen",
                    &format!("{addr}:8443"),
                    "--mtls-listen",
                    &format!("{addr}:8444"),
                    "--rotate-every",
                    "1",
                    "--quiet",
                    "--s3-allow-http",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start coordinator");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        wait_for(&rx, &format!("coordinator {host} ready"), 60, |l| {
            l.contains("clients on")
        });
        Running(child)
    }

    /// Enrols `edge` through the coordinator on `via`; returns the state directory and the
    /// time it took.
    fn enrol(&self, edge: &str, via: &str) -> (PathBuf, Duration) {
        let token: serde_json::Value = serde_json::from_str(&self.run(
            None,
            &[
                "ca",
                "token",
                "--tenant",
                "acme",
                "--name",
                edge,
                "--json",
                "--s3-allow-http",
            ],
        ))
        .expect("token JSON");
        let state = self.dir.join(edge);
        let started = Instant::now();
        let out = self
            .hosts
            .command(edge, &self.bin)
            .env(
                "TLSCOPE_JOIN_TOKEN",
                token["token"].as_str().expect("token"),
            )
            .args([
                "enroll",
                "--coordinator",
                &format!("{}:8443", self.hosts.addr(via)),
                "--ca-fingerprint",
                token["ca_fingerprint"].as_str().expect("fingerprint"),
                "--state",
            ])
            .arg(&state)
            .stdin(Stdio::null())
            .output()
            .expect("enroll");
        assert!(
            out.status.success(),
            "enrol {edge} via {via}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (state, started.elapsed())
    }

    /// An edge on `edge` running from `state`, trying `coordinators` in order.
    fn edge(&self, edge: &str, state: &Path, coordinators: &[&str]) -> (Running, Receiver<String>) {
        let list: Vec<String> = coordinators
            .iter()
            .map(|c| format!("{}:8444", self.hosts.addr(c)))
            .collect();
        let mut child = self
            .hosts
            .command(edge, &self.bin)
            .env_remove("TLSCOPE_STORE")
            .args([
                "edge",
                "--heartbeat",
                "1",
                "--coordinator",
                &list.join(","),
                "--state",
            ])
            .arg(state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start edge");
        let rx = lines_of(&mut child);
        (Running(child), rx)
    }
}

#[test]
fn edges_enrol_fail_over_and_are_revoked_across_hosts() {
    let dir = std::env::temp_dir().join(format!("tlscope-mesh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    // Declared first, dropped last: every process below is gone before the hosts are.
    let hosts = Hosts::new();
    let s3_ip = hosts.addr("s3");
    let s3 = tlscope_testbed::seaweedfs(&dir, "mesh-store", &s3_ip, hosts.namespace("s3"));
    let mesh = Mesh {
        hosts,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_tlscope")),
        endpoint: s3.endpoint.clone(),
        bucket: s3.bucket.clone(),
        access_key: s3.access_key.clone(),
        secret_key: s3.secret_key.clone(),
        dir: dir.clone(),
    };
    mesh.run(None, &["ca", "init", "--tenant", "acme", "--s3-allow-http"]);
    let mut c1 = mesh.coordinator("c1");
    let c2 = mesh.coordinator("c2");

    let (s1, t1) = mesh.enrol("e1", "c1");
    let (s2, t2) = mesh.enrol("e2", "c1");
    let (s3_state, t3) = mesh.enrol("e3", "c2");
    println!(
        "enrolment across hosts: {:.0} / {:.0} / {:.0} ms (process start included)",
        t1.as_secs_f64() * 1000.0,
        t2.as_secs_f64() * 1000.0,
        t3.as_secs_f64() * 1000.0
    );
    let (e1, r1) = mesh.edge("e1", &s1, &["c1", "c2"]);
    let (e2, r2) = mesh.edge("e2", &s2, &["c1", "c2"]);
    let (e3, r3) = mesh.edge("e3", &s3_state, &["c2", "c1"]);
    wait_for(&r1, "e1 heartbeat via c1", 30, heartbeat_from("c1"));
    wait_for(&r2, "e2 heartbeat via c1", 30, heartbeat_from("c1"));
    wait_for(&r3, "e3 heartbeat via c2", 30, heartbeat_from("c2"));
    // Memory of an idle edge (heartbeating, nothing else), from the kernel's accounting.
    let rss_kib: Vec<u64> = [&e1, &e2, &e3]
        .iter()
        .filter_map(|e| std::fs::read_to_string(format!("/proc/{}/status", e.0.id())).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .collect();
    assert_eq!(rss_kib.len(), 3, "the edges are running");
    println!(
        "memory per idle edge (debug build, resident): {:?} MiB",
        rss_kib
            .iter()
            .map(|k| format!("{:.1}", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
    );

    // c1 is killed outright: its edges move to c2, and the store is whole.
    c1.0.kill().expect("SIGKILL c1");
    let _ = c1.0.wait();
    let failed_over = Instant::now();
    wait_for(&r1, "e1 fails over to c2", 30, heartbeat_from("c2"));
    wait_for(&r2, "e2 fails over to c2", 30, heartbeat_from("c2"));
    println!(
        "failover after SIGKILL: both edges heartbeating via c2 {:.1} s later",
        failed_over.elapsed().as_secs_f64()
    );
    let listed: serde_json::Value = serde_json::from_str(&mesh.run(
        None,
        &[
            "ca",
            "list",
            "--tenant",
            "acme",
            "--json",
            "--s3-allow-http",
        ],
    ))
    .expect("list JSON");
    let current = |role: &str| {
        listed
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["role"] == role && r["state"] == "current")
            .count()
    };
    assert_eq!(
        (current("coordinator"), current("edge")),
        (2, 3),
        "{listed:#}"
    );

    // e3 is revoked through the store; c2 enforces it within its reload interval (1 s here).
    mesh.run(
        None,
        &[
            "ca",
            "revoke",
            "--tenant",
            "acme",
            "--name",
            "e3",
            "--s3-allow-http",
        ],
    );
    wait_for(&r3, "e3 refused after its revocation", 30, |l| {
        l.contains("\"event\":\"disconnected\"") && l.contains("revoked")
    });
    // The others carry on.
    wait_for(&r1, "e1 still heartbeating", 15, heartbeat_from("c2"));
    // Processes first, then the S3 server, then the hosts they ran on.
    drop((e1, e2, e3, c2, c1));
    drop(s3);
    drop(mesh);
    let _ = std::fs::remove_dir_all(&dir);
}
