//! Handshake load: many concurrent clients opening TCP + TLS connections to one endpoint for a
//! fixed time, in one of four modes (TLS 1.2, TLS 1.3 full, TLS 1.3 resumed, TLS 1.3 mTLS), with
//! handshakes per second and latency percentiles; and the memory an endpoint spends per idle
//! connection. `tlscope bench` drives it against any target or against a coordinator it starts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde::Serialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// A handshake mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// TLS 1.2, full handshake, no resumption.
    Tls12,
    /// TLS 1.3, full handshake, no resumption.
    Tls13,
    /// TLS 1.3 resuming a session (PSK with (EC)DHE).
    Tls13Resumed,
    /// TLS 1.3 with a client certificate, full handshake.
    Mtls,
}

impl Mode {
    /// The label in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Tls12 => "TLS 1.2",
            Self::Tls13 => "TLS 1.3",
            Self::Tls13Resumed => "TLS 1.3 + resumption",
            Self::Mtls => "mTLS (TLS 1.3)",
        }
    }
}

/// What one mode measured.
#[derive(Debug, Clone, Serialize)]
pub struct ModeResult {
    /// The mode.
    pub mode: Mode,
    /// Completed handshakes.
    pub handshakes: u64,
    /// Failed handshakes.
    pub failures: u64,
    /// The first failure, in words.
    pub first_failure: Option<String>,
    /// Handshakes that were resumptions.
    pub resumed: u64,
    /// Completed handshakes per second of wall time.
    pub per_second: f64,
    /// Median latency (TCP connect + handshake), milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// The address.
    pub addr: SocketAddr,
    /// The name for SNI and certificate checks.
    pub server_name: ServerName<'static>,
    /// Trust anchors.
    pub roots: Arc<RootCertStore>,
    /// Client certificate chain and key, for mTLS.
    pub client: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// Offer only X25519 (to compare with servers that lack the post-quantum hybrid); otherwise
    /// rustls' defaults, X25519MLKEM768 first.
    pub x25519_only: bool,
}

/// Why a load run could not run or a handshake failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// rustls refused the client configuration.
    #[error("client configuration: {0}")]
    Config(#[from] rustls::Error),
    /// mTLS without a client certificate.
    #[error("mTLS needs --cert and --key")]
    NoClientCertificate,
    /// The TCP connection failed.
    #[error("connect: {0}")]
    Connect(std::io::Error),
    /// The TLS handshake failed, in words.
    #[error("handshake: {0}")]
    Handshake(String),
    /// A client task stopped unexpectedly.
    #[error("a client task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The client configuration for a mode (`None` when mTLS has no client certificate).
pub fn client_config(target: &Target, mode: Mode) -> Result<ClientConfig, LoadError> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if target.x25519_only {
        provider
            .kx_groups
            .retain(|g| g.name() == rustls::NamedGroup::X25519);
    }
    let provider = Arc::new(provider);
    let version: &[&rustls::SupportedProtocolVersion] = match mode {
        Mode::Tls12 => &[&rustls::version::TLS12],
        _ => &[&rustls::version::TLS13],
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(version)?
        .with_root_certificates(Arc::clone(&target.roots));
    let mut config = match (mode, &target.client) {
        (Mode::Mtls, Some((chain, key))) => {
            builder.with_client_auth_cert(chain.clone(), key.clone_key())?
        }
        (Mode::Mtls, None) => return Err(LoadError::NoClientCertificate),
        _ => builder.with_no_client_auth(),
    };
    if mode != Mode::Tls13Resumed {
        config.resumption = Resumption::disabled();
    }
    Ok(config)
}

/// One handshake: TCP connect and TLS handshake; its latency and whether it resumed. With
/// `collect_tickets`, it then reads (after the latency is taken) so the session tickets
/// a TLS 1.3 server sends after the handshake reach the session cache for the next one: it sends
/// close_notify and reads until the server closes (at most a second).
async fn handshake(
    connector: &TlsConnector,
    target: &Target,
    collect_tickets: bool,
) -> Result<(Duration, bool), LoadError> {
    let started = Instant::now();
    let tcp = TcpStream::connect(target.addr)
        .await
        .map_err(LoadError::Connect)?;
    let _ = tcp.set_nodelay(true);
    let mut tls = connector
        .connect(target.server_name.clone(), tcp)
        .await
        .map_err(|e| LoadError::Handshake(crate::mtls::refusal_reason(&e)))?;
    let latency = started.elapsed();
    let resumed = tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    if collect_tickets {
        // close_notify, then read to the server's close: the tickets it sent come before that.
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let _ = tls.shutdown().await;
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(1), tls.read_to_end(&mut sink)).await;
    }
    Ok((latency, resumed))
}

/// Runs `mode` for `duration` with `concurrency` clients; `progress` is called about every
/// 200 ms with the handshakes so far.
pub async fn run(
    target: &Target,
    mode: Mode,
    duration: Duration,
    concurrency: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ModeResult, LoadError> {
    let connector = TlsConnector::from(Arc::new(client_config(target, mode)?));
    if mode == Mode::Tls13Resumed {
        // Prime the session cache; every later handshake can resume.
        handshake(&connector, target, true).await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (connector, target, stop) = (connector.clone(), target.clone(), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut failures, mut resumed, mut first) = (0u64, 0u64, None);
            let tickets = mode == Mode::Tls13Resumed;
            while !stop.load(Ordering::Relaxed) {
                match handshake(&connector, &target, tickets).await {
                    Ok((latency, r)) => {
                        latencies.push(latency);
                        resumed += u64::from(r);
                    }
                    Err(e) => {
                        failures += 1;
                        first.get_or_insert(e.to_string());
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (latencies, failures, resumed, first)
        }));
    }
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_millis(200)).await;
        progress(0);
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = Vec::new();
    let (mut failures, mut resumed, mut first_failure) = (0, 0, None);
    for t in tasks {
        let (l, f, r, first) = t.await?;
        latencies.extend(l);
        failures += f;
        resumed += r;
        if first_failure.is_none() {
            first_failure = first;
        }
    }
    latencies.sort();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i.min(latencies.len() - 1)].as_secs_f64() * 1000.0
    };
    Ok(ModeResult {
        mode,
        handshakes: latencies.len() as u64,
        failures,
        first_failure,
        resumed,
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}

/// Opens `count` connections in `mode` and keeps them open, returning them (drop to close).
pub async fn open_idle(
    target: &Target,
    mode: Mode,
    count: usize,
) -> Result<Vec<tokio_rustls::client::TlsStream<TcpStream>>, LoadError> {
    let connector = TlsConnector::from(Arc::new(client_config(target, mode)?));
    let mut open = Vec::with_capacity(count);
    for _ in 0..count {
        let tcp = TcpStream::connect(target.addr)
            .await
            .map_err(LoadError::Connect)?;
        let tls = connector
            .connect(target.server_name.clone(), tcp)
            .await
            .map_err(|e| LoadError::Handshake(crate::mtls::refusal_reason(&e)))?;
        open.push(tls);
    }
    Ok(open)
}

/// CPU seconds (user + system) and resident memory (bytes) of a process, from /proc.
pub fn process_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    // USER_HZ is 100 on Linux.
    Some((ticks / 100.0, rss_kb * 1024))
}
