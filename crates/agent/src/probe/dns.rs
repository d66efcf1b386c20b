//! What DNS says about a probe target, through hickory's resolver with DNSSEC validation:
//! the host's addresses (when `--dns` names a server), the CAA walk up the name tree, TLSA at
//! `_PORT._tcp.HOST` and the HTTPS record — all at once, each bounded by the probe's timeout,
//! handed to the core as RDATA with its DNSSEC state.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::dnssec::{Proof as HickoryProof, TrustAnchors};
use hickory_resolver::proto::rr::RecordType;
use hickory_resolver::proto::serialize::binary::BinEncodable;
use tlscope_core::dns::{self, DnsReport, Proof, RecordSet};

/// Which resolver to ask, and what to validate against.
#[derive(Debug, Clone, Default)]
pub struct DnsOptions {
    /// `--dns ADDRESS[:PORT]`: ask this server (UDP, then TCP); `None` is the system resolver.
    pub server: Option<SocketAddr>,
    /// `--dns-trust-anchor FILE`: DNSKEY records (zone-file syntax) to validate from instead
    /// of the root's.
    pub trust_anchor: Option<PathBuf>,
    /// `--no-dns`: skip DNS entirely.
    pub off: bool,
}

/// Why the resolver could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DnsSetupError {
    /// The trust anchor file did not parse.
    #[error("--dns-trust-anchor {path}: expected DNSKEY records in zone-file syntax: {why}")]
    TrustAnchor {
        /// The file.
        path: String,
        /// The parser's reason.
        why: String,
    },
    /// The system configuration could not be read.
    #[error("the system resolver configuration (/etc/resolv.conf): {0}")]
    System(String),
}

/// A resolver for the probe, shared by every target of one run.
#[derive(Clone)]
pub struct Dns {
    resolver: Arc<TokioResolver>,
    shown: String,
    validating: bool,
    /// Whether a server was named, so addresses come from it too (not the system's).
    pub(super) explicit: bool,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dns({})", self.shown)
    }
}

impl Dns {
    /// Builds the resolver `options` describe, with `timeout` per query.
    pub fn new(options: &DnsOptions, timeout: Duration) -> Result<Self, DnsSetupError> {
        let mut builder = match options.server {
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => {
                TokioResolver::builder_tokio().map_err(|e| DnsSetupError::System(e.to_string()))?
            }
        };
        let opts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.edns0 = true;
        opts.validate = true;
        if let Some(path) = &options.trust_anchor {
            let anchors =
                TrustAnchors::from_file(path).map_err(|e| DnsSetupError::TrustAnchor {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })?;
            builder = builder.with_trust_anchor(Arc::new(anchors));
        }
        let resolver = builder
            .build()
            .map_err(|e| DnsSetupError::System(e.to_string()))?;
        Ok(Self {
            resolver: Arc::new(resolver),
            shown: options
                .server
                .map_or_else(|| "system".to_owned(), |a| a.to_string()),
            validating: true,
            explicit: options.server.is_some(),
        })
    }

    /// The addresses of `host` through this resolver.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        let lookup = self
            .resolver
            .lookup_ip(fqdn(host))
            .await
            .map_err(|e| format!("resolve {host} through {}: {e}", self.shown))?;
        Ok(lookup.iter().collect())
    }

    /// CAA, TLSA and HTTPS for `host:port`, all at once.
    pub async fn report(&self, host: &str, port: u16) -> DnsReport {
        let started = Instant::now();
        let walk = dns::caa_walk(host);
        let caa = futures_util::future::join_all(
            walk.iter().map(|name| self.records(name, RecordType::CAA)),
        );
        let tlsa_name = dns::tlsa_name(host, port);
        let https_name = dns::https_name(host, port);
        let (caa, tlsa, https) = tokio::join!(
            caa,
            self.records(&tlsa_name, RecordType::TLSA),
            self.records(&https_name, RecordType::HTTPS)
        );
        let mut errors = Vec::new();
        let mut keep = |r: Result<Option<RecordSet>, String>| match r {
            Ok(set) => set,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        // The relevant CAA set is the first one found walking up (RFC 8659 §3).
        let mut caa_walk = Vec::new();
        let mut relevant = None;
        for (name, answer) in walk.iter().zip(caa) {
            caa_walk.push(name.clone());
            if let Some(set) = keep(answer) {
                relevant = Some(set);
                break;
            }
        }
        let tlsa = keep(tlsa);
        let https = keep(https);
        DnsReport {
            resolver: self.shown.clone(),
            validating: self.validating,
            caa_walk,
            caa: relevant,
            tlsa,
            https,
            errors,
            ech: None,
            lookup_micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        }
    }

    /// The records of one type at one name; `None` when there are none.
    async fn records(&self, name: &str, kind: RecordType) -> Result<Option<RecordSet>, String> {
        let lookup = match self.resolver.lookup(name, kind).await {
            Ok(l) => l,
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => return Ok(None),
            Err(e) => return Err(format!("{kind} {name}: {e}")),
        };
        let mut proof = Proof::Secure;
        let mut rdata = Vec::new();
        for record in lookup.answers().iter().filter(|r| r.record_type() == kind) {
            proof = weaker(proof, map_proof(record.proof));
            let bytes = record
                .data
                .to_bytes()
                .map_err(|e| format!("{kind} {name}: re-encoding the answer: {e}"))?;
            rdata.push(bytes);
        }
        if rdata.is_empty() {
            return Ok(None);
        }
        Ok(Some(RecordSet {
            name: name.to_owned(),
            proof,
            rdata,
        }))
    }
}

fn fqdn(host: &str) -> String {
    format!("{}.", host.trim_end_matches('.'))
}

fn map_proof(p: HickoryProof) -> Proof {
    match p {
        HickoryProof::Secure => Proof::Secure,
        HickoryProof::Insecure => Proof::Insecure,
        HickoryProof::Bogus => Proof::Bogus,
        HickoryProof::Indeterminate => Proof::Indeterminate,
    }
}

/// The weaker of two proofs (a set is only as secure as its least secure record).
fn weaker(a: Proof, b: Proof) -> Proof {
    let rank = |p: Proof| match p {
        Proof::Secure => 3,
        Proof::Insecure => 2,
        Proof::Indeterminate => 1,
        Proof::Bogus => 0,
    };
    if rank(b) < rank(a) { b } else { a }
}

/// Whether a host is one DNS is asked about: a name, not an address, not `localhost`
/// (RFC 6761 §6.3: never sent to DNS).
pub fn is_dns_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h.parse::<IpAddr>().is_err()
        && !h.starts_with('[')
        && h != "localhost"
        && !h.ends_with(".localhost")
}
