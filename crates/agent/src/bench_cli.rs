//! `tlscope bench [TARGET]`: handshakes per second and latency in each mode against a target, or
//! against a coordinator it starts (a child process, so its CPU and memory are measured alone),
//! with memory per idle mTLS connection. Prints a table, or JSON.

use std::io::IsTerminal as _;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::Serialize;
use tlscope_agent::AgentError;
use tlscope_agent::ca::{self, identity::NodeRole};
use tlscope_agent::clock::{Clock, SystemClock};
use tlscope_agent::loadgen::{self, Mode, ModeResult, Target};
use tlscope_agent::store::Store;
use tlscope_core::Policy;

/// `tlscope bench` arguments.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// host:port to measure; without it, a coordinator is started on loopback and measured.
    target: Option<String>,
    /// Seconds per mode.
    #[arg(long, default_value_t = 5)]
    duration: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Modes to run (default: all that apply).
    #[arg(long, value_enum, value_delimiter = ',')]
    modes: Vec<Mode>,
    /// Trust these roots (PEM) instead of the Mozilla set.
    #[arg(long, value_name = "FILE")]
    roots: Option<PathBuf>,
    /// Server name for SNI and verification (default: the target's host).
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// Client certificate chain (PEM) for mTLS.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// Client key (PEM) for mTLS.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Idle mTLS connections to open to measure memory per connection (own coordinator only).
    #[arg(long, default_value_t = 500)]
    idle: usize,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Read this local process's CPU and memory (/proc) while measuring an external target.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Key exchange the clients offer: `default` (X25519MLKEM768 first) or `x25519` (to compare
    /// with servers without the post-quantum hybrid).
    #[arg(long, default_value = "default", value_parser = ["default", "x25519"])]
    kx: String,
}

/// One row of the result, with the server's cost when it was measured.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    result: ModeResult,
    /// Server CPU use during the mode, in cores (1.0 = one core busy).
    server_cpu_cores: Option<f64>,
    /// Server resident memory after the mode, bytes.
    server_rss_bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Report {
    target: String,
    duration_seconds: u64,
    concurrency: usize,
    rows: Vec<Row>,
    idle_connections: Option<usize>,
    bytes_per_idle_connection: Option<f64>,
}

fn read(path: &PathBuf) -> Result<Vec<u8>, AgentError> {
    std::fs::read(path).map_err(|source| AgentError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn bad(what: &str, why: impl std::fmt::Display) -> AgentError {
    AgentError::Bench(format!("{what}: {why}"))
}

struct Own {
    child: Child,
    dir: PathBuf,
}

impl Drop for Own {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Result<SocketAddr, AgentError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| bad("no free port", e))
}

/// A temporary tenant and a `tlscope coordinator` child; the mTLS target with an edge's
/// certificate, and the client-facing address.
fn start_own() -> Result<(Own, Target, SocketAddr), AgentError> {
    let dir = std::env::temp_dir().join(format!("tlscope-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(dir.join("store"), None).map_err(ca::CaError::from)?;
    let policy = Policy::default();
    let now = SystemClock.now();
    ca::init(&store, "bench", &policy, now)?;
    ca::issue(
        &store,
        "bench",
        NodeRole::Coordinator,
        "coordinator",
        &policy,
        now,
    )?;
    ca::issue(&store, "bench", NodeRole::Edge, "load", &policy, now)?;
    let edge = ca::material(&store, "bench", "load")?;
    let (client, mtls) = (free_port()?, free_port()?);
    let exe = std::env::current_exe().map_err(|e| bad("current executable", e))?;
    let child = Command::new(exe)
        .args(["coordinator", "--tenant", "bench", "--quiet", "--listen"])
        .arg(client.to_string())
        .arg("--mtls-listen")
        .arg(mtls.to_string())
        .arg("--store")
        .arg(dir.join("store"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| bad("starting the coordinator", e))?;
    let own = Own { child, dir };
    for _ in 0..100 {
        if std::net::TcpStream::connect(mtls).is_ok()
            && std::net::TcpStream::connect(client).is_ok()
        {
            let mut roots = RootCertStore::empty();
            for ca in &edge.trusted {
                roots.add(ca.clone()).map_err(|e| bad("tenant CA", e))?;
            }
            let target = Target {
                addr: mtls,
                server_name: ServerName::try_from("localhost").map_err(|e| bad("name", e))?,
                roots: Arc::new(roots),
                client: Some((edge.chain.clone(), Arc::new(edge.key.clone_key()))),
                x25519_only: false,
            };
            return Ok((own, target, client));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(bad("coordinator", "did not start listening within 5 s"))
}

fn external(args: &BenchArgs, target: &str) -> Result<Target, AgentError> {
    let hostport = target
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_owned();
    let hostport = if hostport.contains(':') {
        hostport
    } else {
        format!("{hostport}:443")
    };
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| bad(target, e))?
        .next()
        .ok_or_else(|| bad(target, "no address"))?;
    let host = args.host.clone().unwrap_or_else(|| {
        hostport
            .rsplit_once(':')
            .map_or(hostport.clone(), |(h, _)| {
                h.trim_matches(['[', ']']).to_owned()
            })
    });
    let mut roots = RootCertStore::empty();
    match &args.roots {
        Some(path) => {
            for cert in CertificateDer::pem_slice_iter(&read(path)?) {
                roots
                    .add(cert.map_err(|e| bad("--roots", e))?)
                    .map_err(|e| bad("--roots", e))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let client = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => {
            let chain = CertificateDer::pem_slice_iter(&read(c)?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad("--cert", e))?;
            let key = PrivateKeyDer::from_pem_slice(&read(k)?).map_err(|e| bad("--key", e))?;
            Some((chain, Arc::new(key)))
        }
        _ => None,
    };
    Ok(Target {
        addr,
        server_name: ServerName::try_from(host).map_err(|e| bad("--host", e))?,
        roots: Arc::new(roots),
        client,
        x25519_only: false,
    })
}

/// Runs `tlscope bench`.
pub fn bench(args: BenchArgs) -> Result<ExitCode, AgentError> {
    let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
    let (own, mtls_target, client_target, label) = match &args.target {
        Some(t) => {
            let target = external(&args, t)?;
            (None, target.clone(), target, t.clone())
        }
        None => {
            let (own, target, client) = start_own()?;
            let client_target = Target {
                addr: client,
                client: None,
                ..target.clone()
            };
            (
                Some(own),
                target,
                client_target,
                "tlscope coordinator (own, loopback)".to_owned(),
            )
        }
    };
    let pid = own.as_ref().map(|o| o.child.id()).or(args.server_pid);
    let x25519_only = args.kx == "x25519";
    let (mtls_target, client_target) = (
        Target {
            x25519_only,
            ..mtls_target
        },
        Target {
            x25519_only,
            ..client_target
        },
    );
    let modes = if args.modes.is_empty() {
        let mut m = vec![Mode::Tls12, Mode::Tls13, Mode::Tls13Resumed];
        if mtls_target.client.is_some() {
            m.push(Mode::Mtls);
        }
        m
    } else {
        args.modes.clone()
    };
    let duration = Duration::from_secs(args.duration.max(1));
    let tty = std::io::stderr().is_terminal();
    let report = runtime.block_on(async {
        let mut rows = Vec::new();
        for mode in modes {
            let target = if mode == Mode::Mtls {
                &mtls_target
            } else {
                &client_target
            };
            let before = pid.and_then(loadgen::process_usage);
            let started = std::time::Instant::now();
            let progress = |_: u64| {
                if tty {
                    eprint!(
                        "\r{:<22} {:>4.1} s / {} s",
                        mode.label(),
                        started.elapsed().as_secs_f64(),
                        duration.as_secs()
                    );
                }
            };
            let result = loadgen::run(target, mode, duration, args.concurrency, &progress)
                .await
                .map_err(|e| bad(mode.label(), e))?;
            let wall = started.elapsed().as_secs_f64();
            let after = pid.and_then(loadgen::process_usage);
            if tty {
                eprint!("\r{:<40}\r", "");
            }
            rows.push(Row {
                result,
                server_cpu_cores: before.zip(after).map(|(b, a)| (a.0 - b.0) / wall),
                server_rss_bytes: after.map(|a| a.1),
            });
        }
        let mut idle = None;
        if let (Some(pid), true) = (pid, args.idle > 0 && mtls_target.client.is_some()) {
            let before = loadgen::process_usage(pid).map(|u| u.1);
            let open = loadgen::open_idle(&mtls_target, Mode::Mtls, args.idle)
                .await
                .map_err(|e| bad("idle connections", e))?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let after = loadgen::process_usage(pid).map(|u| u.1);
            idle = before
                .zip(after)
                .map(|(b, a)| (a.saturating_sub(b)) as f64 / open.len().max(1) as f64);
            drop(open);
        }
        Ok::<_, AgentError>(Report {
            target: label,
            duration_seconds: duration.as_secs(),
            concurrency: args.concurrency,
            rows,
            idle_connections: idle.map(|_| args.idle),
            bytes_per_idle_connection: idle,
        })
    })?;
    drop(own);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn table(r: &Report) -> String {
    let mut out = format!(
        "target: {}  ({} s per mode, {} clients)\n{:<22} {:>10} {:>10} {:>8} {:>8} {:>9} {:>10}\n",
        r.target,
        r.duration_seconds,
        r.concurrency,
        "mode",
        "handshakes",
        "per second",
        "p50 ms",
        "p99 ms",
        "srv CPU",
        "srv RSS"
    );
    for row in &r.rows {
        let m = &row.result;
        if m.handshakes == 0 {
            out.push_str(&format!(
                "{:<22} refused: {}\n",
                m.mode.label(),
                m.first_failure
                    .as_deref()
                    .unwrap_or("no handshake completed")
            ));
            continue;
        }
        out.push_str(&format!(
            "{:<22} {:>10} {:>10.0} {:>8.2} {:>8.2} {:>9} {:>10}\n",
            m.mode.label(),
            m.handshakes,
            m.per_second,
            m.p50_ms,
            m.p99_ms,
            row.server_cpu_cores
                .map_or("-".into(), |c| format!("{c:.2} cores")),
            row.server_rss_bytes
                .map_or("-".into(), |b| format!("{:.1} MB", b as f64 / 1e6)),
        ));
        if m.failures > 0 {
            out.push_str(&format!(
                "{:<22} {} failed: {}\n",
                "",
                m.failures,
                m.first_failure.as_deref().unwrap_or("")
            ));
        }
    }
    if let (Some(n), Some(b)) = (r.idle_connections, r.bytes_per_idle_connection) {
        out.push_str(&format!(
            "memory per idle mTLS connection: {:.1} KB ({n} connections)\n",
            b / 1024.0
        ));
    }
    out
}
