//! The probe report: what scanning one endpoint observed — protocol versions accepted (SSL 3.0
//! through TLS 1.3), cipher suites per version and whether the server imposes its order,
//! key-exchange groups, ALPN, the certificate chain, OCSP stapling, session resumption, client
//! authentication, the HSTS header, latency. The agent produces it; the core judges it.

use serde::{Deserialize, Serialize};

use crate::handshake::Segment;
use crate::protocol::TlsVersion;
use crate::timestamp::Timestamp;

/// What kind of endpoint, which decides how TLS is reached and which segment it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// TLS directly on the port.
    Tls,
    /// HTTPS: TLS, then an HTTP request for the HSTS header.
    Https,
    /// PostgreSQL: SSLRequest, then TLS.
    Postgres,
    /// MySQL or MariaDB: the SSL capability upgrade, then TLS.
    Mysql,
    /// Redis: TLS directly (rediss://).
    Redis,
    /// QUIC (RFC 9000/9001): TLS 1.3 inside QUIC over UDP (quic://), ALPN h3.
    Quic,
}

impl Service {
    /// The name used in reports and on the page (as serialised).
    pub fn label(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::Https => "https",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Redis => "redis",
            Self::Quic => "quic",
        }
    }

    /// The policy segment this endpoint belongs to.
    pub fn segment(self) -> Segment {
        match self {
            Self::Tls | Self::Https | Self::Quic => Segment::Client,
            Self::Postgres | Self::Mysql | Self::Redis => Segment::Database,
        }
    }
}

/// One protocol version as probed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionProbe {
    /// The version.
    pub version: TlsVersion,
    /// Whether the server completed a ServerHello for it.
    pub accepted: bool,
    /// Suites the server accepted with this version, by IANA name, in the server's preference
    /// order when it imposes one.
    pub suites: Vec<String>,
    /// Whether the server chooses by its own order (`None` with fewer than two suites).
    pub server_order: Option<bool>,
    /// TLS 1.0–1.2: whether the server's ServerHello echoed the extended master secret the probe
    /// offers (RFC 7627); `None` for TLS 1.3 (always there) or when not seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_master_secret: Option<bool>,
}

/// Whether the server asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// No CertificateRequest.
    NotRequested,
    /// A CertificateRequest, but the handshake completes without a certificate.
    Optional,
    /// The handshake fails without a certificate.
    Required,
}

/// Session resumption as measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumption {
    /// Whether a second connection resumed the first one's session.
    pub supported: bool,
    /// Full handshake time, microseconds.
    pub full_micros: u64,
    /// Resumed handshake time, microseconds (when supported).
    pub resumed_micros: Option<u64>,
}

/// Everything one probe of one endpoint observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// The target as given, passwords masked.
    pub target: String,
    /// How it was reached.
    pub service: Service,
    /// The address connected to.
    pub address: String,
    /// The name sent in SNI and checked in the certificate.
    pub server_name: Option<String>,
    /// When the probe ran.
    pub at: Timestamp,
    /// Versions, oldest first.
    pub versions: Vec<VersionProbe>,
    /// Key-exchange groups the server accepts, by IANA name: TLS 1.3 groups when it speaks
    /// TLS 1.3, else the ECDHE curves it accepts with TLS 1.2.
    pub groups: Vec<String>,
    /// The ALPN protocol the server chose, if any.
    pub alpn: Option<String>,
    /// The certificate chain the server presented, leaf first (DER, base64 in JSON).
    #[serde(with = "crate::handshake::der_list", default)]
    pub chain: Vec<Vec<u8>>,
    /// Whether an OCSP response was stapled (`None` when not checked).
    pub ocsp_stapled: Option<bool>,
    /// Session resumption.
    pub resumption: Option<Resumption>,
    /// Client authentication.
    pub client_auth: Option<ClientAuth>,
    /// The Strict-Transport-Security header for HTTPS (`None` when absent or not HTTPS).
    pub hsts: Option<String>,
    /// The Alt-Svc header for HTTPS (`h3=":443"` advertises HTTP/3 over QUIC).
    #[serde(default)]
    pub alt_svc: Option<String>,
    /// PostgreSQL only: whether the server also accepts direct TLS with ALPN `postgresql`
    /// (PostgreSQL 17+, `sslnegotiation=direct`) besides SSLRequest.
    #[serde(default)]
    pub postgres_direct_tls: Option<bool>,
    /// Full handshake latency with the best version, microseconds.
    pub latency_micros: u64,
    /// What DNS publishes about this endpoint (CAA, TLSA, HTTPS), when the host is a name.
    #[serde(default)]
    pub dns: Option<crate::dns::DnsReport>,
    /// QUIC: the version, the server's handshake flight and transport parameters.
    #[serde(default)]
    pub quic: Option<crate::quic::QuicReport>,
    /// Why the probe could not finish, if it could not.
    pub error: Option<String>,
}

impl ProbeReport {
    /// A report for `target` with nothing observed yet.
    pub fn new(target: String, service: Service, at: Timestamp) -> Self {
        Self {
            target,
            service,
            address: String::new(),
            server_name: None,
            at,
            versions: Vec::new(),
            groups: Vec::new(),
            alpn: None,
            chain: Vec::new(),
            ocsp_stapled: None,
            resumption: None,
            client_auth: None,
            hsts: None,
            alt_svc: None,
            postgres_direct_tls: None,
            latency_micros: 0,
            dns: None,
            quic: None,
            error: None,
        }
    }

    /// Versions the server accepted.
    pub fn accepted(&self) -> impl Iterator<Item = &VersionProbe> {
        self.versions.iter().filter(|v| v.accepted)
    }
}
