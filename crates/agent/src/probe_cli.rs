//! `tlscope probe TARGET...`: arguments, reading `@file` target lists, judging each report with
//! the core, and rendering text, JSON, SARIF or Markdown with the policy's exit codes.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::Args;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tlscope_agent::AgentError;
use tlscope_agent::clock::{Clock, SystemClock};
use tlscope_agent::lint::Format;
use tlscope_agent::probe::{self, ProbeOptions};
use tlscope_core::Finding;
use tlscope_core::export::{Document, InputReport};
use tlscope_core::probe::{ClientAuth, ProbeReport};

use crate::judging_cli::{FailOn, JudgeArgs};

/// `tlscope probe` arguments.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// host:port, https://…, postgres://…, mysql://…, rediss://…, or @FILE with one a line.
    #[arg(required = true)]
    targets: Vec<String>,
    #[command(flatten)]
    judge: JudgeArgs,
    /// Server name for SNI and the certificate check (default: each target's host).
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// Client certificate chain (PEM) for targets that require one.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// Client key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Targets probed at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds allowed for each connect, read or handshake.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
    /// DNS server (ADDRESS or ADDRESS:PORT) for addresses and CAA, TLSA and HTTPS records
    /// (default: the system resolver, for records only).
    #[arg(long, value_name = "SERVER", conflicts_with = "no_dns")]
    dns: Option<String>,
    /// DNSKEY records (zone-file syntax) to validate DNSSEC from, instead of the root's.
    #[arg(long, value_name = "FILE")]
    dns_trust_anchor: Option<PathBuf>,
    /// Skip DNS: no CAA, TLSA or HTTPS lookups.
    #[arg(long)]
    no_dns: bool,
    /// Do not follow an HTTPS target's HTTP/3 advertisement (Alt-Svc, HTTPS record) to QUIC.
    #[arg(long)]
    no_quic: bool,
}

/// `--dns ADDRESS[:PORT]` (port 53 when none is given).
fn dns_server(text: &str) -> Result<std::net::SocketAddr, AgentError> {
    if let Ok(a) = text.parse::<std::net::SocketAddr>() {
        return Ok(a);
    }
    text.trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .map(|ip| std::net::SocketAddr::new(ip, 53))
        .map_err(|_| {
            AgentError::Target(format!(
                "--dns {text:?}: expected an IP address, optionally with :PORT (e.g. 127.0.0.1:5353)"
            ))
        })
}

fn read(path: &PathBuf) -> Result<Vec<u8>, AgentError> {
    std::fs::read(path).map_err(|source| AgentError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// One probe report and what the core made of it.
#[derive(Debug)]
pub struct Judged {
    /// What the probe saw.
    pub report: ProbeReport,
    /// What the core made of it.
    pub findings: Vec<Finding>,
}

/// Runs `tlscope probe`.
pub fn probe(args: ProbeArgs) -> Result<ExitCode, AgentError> {
    let policy = &args.judge.load_policy()?;
    let anchors = &args.judge.anchors()?;
    // Probed now; judged as of --at when given ("will this server's chain be valid on the 1st?").
    let judged_at = args.judge.now()?;
    let format = args.judge.format;
    let mut targets = Vec::new();
    for t in &args.targets {
        if let Some(file) = t.strip_prefix('@') {
            let text = String::from_utf8_lossy(&read(&PathBuf::from(file))?).into_owned();
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                targets.push(
                    probe::parse(line)
                        .map_err(|e| AgentError::Target(format!("{file} line {}: {e}", n + 1)))?,
                );
            }
        } else {
            targets.push(probe::parse(t).map_err(|e| AgentError::Target(e.to_string()))?);
        }
    }
    let client = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => {
            let chain = CertificateDer::pem_slice_iter(&read(c)?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AgentError::Target(format!("--cert: {e}")))?;
            let key = PrivateKeyDer::from_pem_slice(&read(k)?)
                .map_err(|e| AgentError::Target(format!("--key: {e}")))?;
            Some((chain, Arc::new(key)))
        }
        _ => None,
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let dns_options = probe::dns::DnsOptions {
        server: args.dns.as_deref().map(dns_server).transpose()?,
        trust_anchor: args.dns_trust_anchor.clone(),
        off: args.no_dns,
    };
    let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
    let dns = if dns_options.off {
        None
    } else {
        let _entered = runtime.enter();
        Some(
            probe::dns::Dns::new(&dns_options, timeout)
                .map_err(|e| AgentError::Target(e.to_string()))?,
        )
    };
    let options = ProbeOptions {
        server_name: args.host.clone(),
        client,
        timeout,
        dns,
        follow_h3: !args.no_quic,
    };
    let now = SystemClock.now();
    let total = targets.len();
    let finished = AtomicUsize::new(0);
    let tty = std::io::stderr().is_terminal() && format == Format::Text;
    let progress = |r: &ProbeReport| {
        let n = finished.fetch_add(1, Ordering::SeqCst) + 1;
        if tty {
            let width = 30;
            let filled = n * width / total.max(1);
            eprint!(
                "\r[{}{}] {n}/{total} {:<40}",
                "#".repeat(filled),
                " ".repeat(width - filled),
                r.target.chars().take(40).collect::<String>()
            );
        }
    };
    let reports = runtime.block_on(probe::probe_all(
        &targets,
        &options,
        now,
        args.concurrency,
        &progress,
    ));
    if tty {
        eprint!("\r{:<80}\r", "");
    }
    let judged: Vec<Judged> = reports
        .into_iter()
        .map(|report| {
            let findings = tlscope_core::judge::probe(&report, anchors, policy, judged_at);
            Judged { report, findings }
        })
        .collect();
    let document = Document::new(
        judged
            .iter()
            .map(|j| InputReport {
                path: j.report.target.clone(),
                recognised: None,
                error: j.report.error.clone(),
                findings: j.findings.clone(),
                probe: Some(j.report.clone()),
                ..InputReport::default()
            })
            .collect(),
        &policy.profile,
        judged_at,
    );
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&document)?),
        Format::Text => print!("{}", render(&judged)),
        other => print!("{}", tlscope_agent::lint::render(&document, other)?),
    }
    let gate = args.judge.gate(Some(FailOn::Critical));
    let failed = judged.iter().any(|j| j.report.error.is_some())
        || gate.is_some_and(|g| document.worst().is_some_and(|w| w >= g));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn ms(micros: u64) -> String {
    format!("{:.1} ms", micros as f64 / 1000.0)
}

/// The text rendering.
pub fn render(judged: &[Judged]) -> String {
    let mut out = String::new();
    for j in judged {
        let r = &j.report;
        out.push_str(&format!(
            "{} ({}, {}){}\n",
            r.target,
            r.service.label(),
            if r.address.is_empty() {
                "unresolved"
            } else {
                &r.address
            },
            if r.latency_micros > 0 {
                format!(" handshake {}", ms(r.latency_micros))
            } else {
                String::new()
            }
        ));
        if !r.versions.is_empty() {
            let line: Vec<String> = r
                .versions
                .iter()
                .map(|v| format!("{} {}", v.version, if v.accepted { "yes" } else { "no" }))
                .collect();
            out.push_str(&format!("  versions: {}\n", line.join(", ")));
        }
        for v in r.accepted() {
            let order = match v.server_order {
                Some(true) => " (server order)",
                Some(false) => " (client order)",
                None => "",
            };
            out.push_str(&format!(
                "  {} suites{order}: {}\n",
                v.version,
                v.suites.join(", ")
            ));
        }
        if !r.groups.is_empty() {
            out.push_str(&format!("  groups: {}\n", r.groups.join(", ")));
        }
        if r.client_auth.is_some() {
            let auth = match r.client_auth {
                Some(ClientAuth::NotRequested) | None => "not requested",
                Some(ClientAuth::Optional) => "requested (optional)",
                Some(ClientAuth::Required) => "required",
            };
            let resumption = match r.resumption {
                Some(x) if x.supported => format!(
                    "yes ({} → {})",
                    ms(x.full_micros),
                    ms(x.resumed_micros.unwrap_or(0))
                ),
                Some(_) => "no".into(),
                None => "not measured".into(),
            };
            out.push_str(&format!(
                "  ALPN: {} · OCSP stapled: {} · resumption: {resumption} · client certificate: {auth}\n",
                r.alpn.as_deref().unwrap_or("none"),
                if r.ocsp_stapled == Some(true) { "yes" } else { "no" },
            ));
        }
        if let Some(direct) = r.postgres_direct_tls {
            out.push_str(&format!(
                "  PostgreSQL direct TLS (ALPN postgresql, 17+): {}\n",
                if direct {
                    "yes"
                } else {
                    "no (SSLRequest only)"
                }
            ));
        }
        if let Some(h) = &r.hsts {
            out.push_str(&format!("  HSTS: {h}\n"));
        }
        if let Some(q) = &r.quic {
            out.push_str(&format!("  {}\n", q.summary()));
        }
        if let Some(dns) = &r.dns {
            for line in dns.summary_lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if !r.chain.is_empty() {
            let names: Vec<String> = r
                .chain
                .iter()
                .filter_map(|d| tlscope_core::decode(d).ok())
                .flat_map(|d| {
                    d.certificates()
                        .map(|c| c.display_name())
                        .collect::<Vec<_>>()
                })
                .collect();
            out.push_str(&format!("  chain: {}\n", names.join(" ← ")));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("  error: {e}\n"));
        }
        if r.error.is_none() || !j.findings.is_empty() {
            tlscope_agent::finding_text::findings(&mut out, &j.findings);
        }
        out.push('\n');
    }
    out
}
