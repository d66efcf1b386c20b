//! Scanning one endpoint: reaching TLS (directly, PostgreSQL SSLRequest, MySQL/MariaDB SSL
//! capability upgrade), versions and suites with hand-built hellos, server order, TLS 1.3 groups
//! through HelloRetryRequest, then real rustls handshakes for the chain, ALPN, OCSP stapling,
//! client authentication, resumption and the HSTS header. Every I/O step has a time limit.
//!
//! This file orchestrates one probe; the steps live beside it: `upgrade.rs` (reaching TLS),
//! `enumerate.rs` (hand-built hellos), `handshake.rs` (real handshakes), `shims.rs` (the rustls
//! verifier and resolver that observe instead of judging).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tlscope_core::Timestamp;
use tlscope_core::probe::{ClientAuth, ProbeReport, Service};
use tlscope_core::protocol::TlsVersion;

use super::target::ProbeTarget;

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Name for SNI and the certificate check (default: the target's host).
    pub server_name: Option<String>,
    /// Client certificate chain and key for targets that require one.
    pub client: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// Limit for each connect, read or handshake.
    pub timeout: Duration,
    /// The resolver for CAA, TLSA and HTTPS records (and addresses, when it names a server);
    /// `None` skips DNS.
    pub dns: Option<super::dns::Dns>,
    /// Whether an HTTPS target that advertises HTTP/3 is probed over QUIC too.
    pub follow_h3: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            server_name: None,
            client: None,
            timeout: Duration::from_secs(5),
            dns: None,
            follow_h3: true,
        }
    }
}

/// One probe's target, address and limits, shared by its steps.
pub(super) struct Ctx<'a> {
    pub(super) target: &'a ProbeTarget,
    pub(super) addr: std::net::SocketAddr,
    pub(super) name: String,
    pub(super) timeout: Duration,
    /// Whether any hello got a TLS answer (a ServerHello or an alert).
    pub(super) answered: AtomicBool,
}

pub(super) async fn within<T>(
    t: Duration,
    what: &str,
    f: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T, String> {
    match tokio::time::timeout(t, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {} s", t.as_secs())),
    }
}

/// Probes one target. Never fails: what went wrong is in the report's `error`.
pub async fn probe(target: &ProbeTarget, options: &ProbeOptions, now: Timestamp) -> ProbeReport {
    let name = options
        .server_name
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let mut report = ProbeReport::new(target.shown.clone(), target.service, now);
    report.server_name = Some(name.clone()).filter(|n| n.parse::<std::net::IpAddr>().is_err());
    // DNS records are looked up beside the TLS probe, not before it.
    let dns = options
        .dns
        .as_ref()
        .filter(|_| super::dns::is_dns_name(&target.host));
    let records = async {
        match dns {
            Some(d) => Some(d.report(&target.host, target.port).await),
            None => None,
        }
    };
    let (result, records) = tokio::join!(run(target, options, name.clone(), &mut report), records);
    report.dns = records;
    if let Err(e) = result {
        report.error = Some(e);
    }
    // An HTTPS record with ECH configs: offer ECH once, to the address already probed.
    let ech_list = report.dns.as_ref().and_then(|d| {
        d.https_records()
            .into_iter()
            .filter_map(Result::ok)
            .find_map(|r| r.ech.filter(|e| e.error.is_none()).map(|e| e.raw))
    });
    if let (Some(list), Ok(addr), true) = (
        ech_list,
        report.address.parse::<std::net::SocketAddr>(),
        report.error.is_none() && target.service != Service::Quic,
    ) {
        let ctx = Ctx {
            target,
            addr,
            name: name.clone(),
            timeout: options.timeout,
            answered: AtomicBool::new(false),
        };
        let ech = ctx.ech(&list).await;
        if let Some(d) = report.dns.as_mut() {
            d.ech = Some(ech);
        }
    }
    // HTTPS that advertises HTTP/3 (Alt-Svc or its HTTPS record) is probed over QUIC too.
    if let Some(port) = h3_port(&report, target.port).filter(|_| options.follow_h3)
        && let Ok(addr) = report.address.parse::<std::net::SocketAddr>()
    {
        let ctx = Ctx {
            target,
            addr: std::net::SocketAddr::new(addr.ip(), port),
            name,
            timeout: options.timeout,
            answered: AtomicBool::new(false),
        };
        report.quic = Some(ctx.quic_report().await.0);
    }
    report
}

/// The UDP port an HTTPS endpoint advertises HTTP/3 on: Alt-Svc `h3=":PORT"` for the same
/// host, else an HTTPS record listing `h3` (its port, or the target's).
fn h3_port(report: &ProbeReport, port: u16) -> Option<u16> {
    if report.service != Service::Https {
        return None;
    }
    let from_alt_svc = report.alt_svc.as_deref().and_then(|v| {
        v.split(',').find_map(|entry| {
            let (proto, rest) = entry.trim().split_once('=')?;
            if proto.trim() != "h3" {
                return None;
            }
            let authority = rest.split(';').next()?.trim().trim_matches('"');
            let (host, p) = authority.rsplit_once(':')?;
            host.is_empty().then(|| p.parse::<u16>().ok()).flatten()
        })
    });
    let from_record = || {
        report.dns.as_ref().and_then(|d| {
            d.https_records()
                .into_iter()
                .filter_map(Result::ok)
                .find(|r| r.alpn.iter().any(|a| a == "h3"))
                .map(|r| r.port.unwrap_or(port))
        })
    };
    from_alt_svc.or_else(from_record)
}

/// The address to connect to: through `--dns` when it names a server, else the system's.
async fn address(
    target: &ProbeTarget,
    options: &ProbeOptions,
) -> Result<std::net::SocketAddr, String> {
    if let Some(dns) = options
        .dns
        .as_ref()
        .filter(|d| d.explicit && super::dns::is_dns_name(&target.host))
    {
        let ips = tokio::time::timeout(options.timeout, dns.addresses(&target.host))
            .await
            .map_err(|_| format!("resolve: no answer within {} s", options.timeout.as_secs()))??;
        return ips
            .first()
            .map(|ip| std::net::SocketAddr::new(*ip, target.port))
            .ok_or_else(|| format!("resolve: no address for {}", target.host));
    }
    within(
        options.timeout,
        "resolve",
        tokio::net::lookup_host((target.host.as_str(), target.port)),
    )
    .await?
    .next()
    .ok_or_else(|| format!("resolve: no address for {}", target.host))
}

async fn run(
    target: &ProbeTarget,
    options: &ProbeOptions,
    name: String,
    report: &mut ProbeReport,
) -> Result<(), String> {
    let addr = address(target, options).await?;
    report.address = addr.to_string();
    let ctx = Ctx {
        target,
        addr,
        name,
        timeout: options.timeout,
        answered: AtomicBool::new(false),
    };
    if target.service == Service::Quic {
        return ctx.quic(report).await;
    }
    // Every version at once, each its own sequence of hellos; an error is reported as the
    // newest version's (which also tells whether the endpoint speaks TLS at all).
    let probes =
        futures_util::future::join_all(TlsVersion::ALL.iter().map(|v| ctx.version(*v))).await;
    if let Some(Err(e)) = probes.iter().rev().find(|p| p.is_err()) {
        return Err(e.clone());
    }
    report.versions = probes.into_iter().filter_map(Result::ok).collect();
    let tls13 = report
        .versions
        .iter()
        .any(|v| v.version == TlsVersion::Tls13 && v.accepted);
    let tls12 = report
        .versions
        .iter()
        .find(|v| v.version == TlsVersion::Tls12 && v.accepted)
        .cloned();
    let best = if tls13 {
        TlsVersion::Tls13
    } else if tls12.is_some() {
        TlsVersion::Tls12
    } else {
        if !ctx.answered.load(Ordering::SeqCst) {
            return Err(
                "the server closed every connection during the handshake without a TLS answer"
                    .into(),
            );
        }
        if report.versions.iter().all(|v| !v.accepted) {
            return Err("the server accepted none of SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3".into());
        }
        return Ok(());
    };
    let client = match &options.client {
        Some((chain, key)) => {
            let provider = rustls::crypto::aws_lc_rs::default_provider();
            Some(Arc::new(
                rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider)
                    .map_err(|e| format!("--cert/--key: {e}"))?,
            ))
        }
        None => None,
    };
    // Groups (one hello per group) and the real handshakes run side by side.
    let groups = async {
        match &tls12 {
            _ if tls13 => ctx.groups().await,
            Some(v12) => ctx.curves_tls12(&v12.suites).await,
            None => Ok(Vec::new()),
        }
    };
    let handshakes = async {
        let mut real = ctx.real(best, None).await?;
        if real.client_auth == ClientAuth::Required && client.is_some() {
            let auth = real.client_auth;
            real = ctx.real(best, client).await?;
            real.client_auth = auth;
        }
        Ok::<_, String>(real)
    };
    let (groups, real) = tokio::join!(groups, handshakes);
    report.groups = groups?;
    let real = real?;
    report.chain = real.chain;
    report.ocsp_stapled = Some(real.ocsp);
    report.alpn = real.alpn;
    report.client_auth = Some(real.client_auth);
    report.latency_micros = u64::try_from(real.latency.as_micros()).unwrap_or(u64::MAX);
    report.resumption = real.resumption;
    report.hsts = real.hsts;
    report.alt_svc = real.alt_svc;
    if target.service == Service::Postgres {
        report.postgres_direct_tls = Some(ctx.postgres_direct(best).await);
    }
    Ok(())
}
