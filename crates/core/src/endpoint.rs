//! What one file says about one end of a TLS connection, as facts the [graph](crate::graph)
//! links: a client (a connection string or an `https://` URL, with what it demands of the
//! server: TLS at all, verification, a CA file, a client certificate, versions) and a server (a
//! configuration's listener: its names, ports, the versions it allows, its certificate and
//! whether it requires client certificates). Clients come from connection strings here; servers
//! from each configuration dialect's parser.

use serde::Serialize;

use crate::connection::{ConnectionString, Engine};
use crate::probe::Service;
use crate::protocol::TlsVersion;

/// What a client demands of the server's certificate, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientTls {
    /// No TLS (`sslmode=disable`, `redis://`).
    Off,
    /// TLS when the server offers it, plaintext otherwise (`sslmode=prefer`, the default).
    Optional,
    /// TLS required, any certificate accepted (`sslmode=require`, `ssl-mode=REQUIRED`).
    Encrypt,
    /// The chain is verified, the host name not (`verify-ca`, `VERIFY_CA`).
    VerifyChain,
    /// The chain and the host name are verified (`verify-full`, `VERIFY_IDENTITY`, HTTPS).
    VerifyFull,
}

/// A setting as written: its value, the line and the key that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written<T> {
    /// The value.
    pub value: T,
    /// 1-based line in its file.
    pub line: usize,
    /// The key or directive as written (`sslrootcert`, `ssl_min_protocol_version`).
    pub name: String,
}

/// One client connection found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientSide {
    /// The file it was found in.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is spoken (PostgreSQL, MySQL, Redis, HTTPS).
    pub service: Service,
    /// The host named (name or address, without brackets).
    pub host: String,
    /// The port, explicit or the service's default.
    pub port: u16,
    /// The string as written, secrets masked.
    pub shown: String,
    /// What it demands of TLS.
    pub tls: ClientTls,
    /// The key that decided [`Self::tls`] (`sslmode`), when one did.
    pub tls_key: Option<String>,
    /// The CA file it verifies the server against (`sslrootcert`, `ssl-ca`, `ssl_ca_certs`).
    pub ca_file: Option<Written<String>>,
    /// The client certificate it presents (`sslcert`, `ssl-cert`, `ssl_certfile`).
    pub client_cert: Option<Written<String>>,
    /// The lowest version it accepts, when set.
    pub min_version: Option<Written<TlsVersion>>,
    /// The highest version it offers, when set.
    pub max_version: Option<Written<TlsVersion>>,
}

/// One TLS listener of a server configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSide {
    /// 1-based line of the block or file that defines it.
    pub line: usize,
    /// What is spoken.
    pub service: Service,
    /// Host names it answers for (`server_name`); empty: any (database servers have none).
    pub names: Vec<String>,
    /// Ports it listens on.
    pub ports: Vec<u16>,
    /// Whether TLS is on at all.
    pub tls: bool,
    /// The versions it allows, oldest first (explicit or the server's default).
    pub versions: Vec<TlsVersion>,
    /// Where the versions were set; `None`: the server's default.
    pub versions_at: Option<(usize, String)>,
    /// Its certificate file (the leaf first, maybe the chain).
    pub certificate: Option<Written<String>>,
    /// The CA file client certificates are verified against.
    pub client_ca: Option<Written<String>>,
    /// Whether the handshake fails without a client certificate.
    pub client_cert_required: bool,
}

impl ServerSide {
    /// A listener for `service` at `line` with TLS off and nothing else known.
    pub fn new(service: Service, line: usize) -> Self {
        Self {
            line,
            service,
            names: Vec::new(),
            ports: Vec::new(),
            tls: false,
            versions: Vec::new(),
            versions_at: None,
            certificate: None,
            client_ca: None,
            client_cert_required: false,
        }
    }
}

/// The versions a list names (`TLSv1.2 TLSv1.3`, `TLSv1.2,TLSv1.3`), oldest first; OpenSSL's
/// `-TLSv1.1`-style exclusions and unknown words are skipped.
pub fn versions_in(list: &str) -> Vec<TlsVersion> {
    let mut out: Vec<TlsVersion> = list
        .split([',', ':', ' ', '\t'])
        .filter(|w| !w.starts_with(['-', '!']))
        .filter_map(TlsVersion::parse)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every version from `min` to `max` (TLS 1.3 when `max` is not set).
pub fn versions_between(min: TlsVersion, max: Option<TlsVersion>) -> Vec<TlsVersion> {
    let max = max.unwrap_or(TlsVersion::Tls13);
    TlsVersion::ALL
        .into_iter()
        .filter(|v| *v >= min && *v <= max)
        .collect()
}

/// Splits `host:port`, `[v6]:port` or `host` (the default port then).
pub fn host_port(text: &str, default_port: u16) -> Option<(String, u16)> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default_port,
        };
        return Some((host.to_owned(), port));
    }
    let (host, port) = match text.rsplit_once(':') {
        // A bare IPv6 address has more than one colon and no port.
        Some((h, p)) if !h.contains(':') => (h, p.parse().ok()?),
        _ => (text, default_port),
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

impl ClientSide {
    /// The client a connection string describes, found in `file` at `line`; `None` for
    /// engines the graph does not link (SQL Server, MongoDB, Kafka, Snowflake, BigQuery) and
    /// strings without a host (Unix sockets).
    pub fn of_connection(c: &ConnectionString, file: &str, line: usize) -> Option<Self> {
        let (service, default_port) = match c.engine {
            Engine::Postgres => (Service::Postgres, 5432),
            Engine::Mysql => (Service::Mysql, 3306),
            Engine::Redis => (Service::Redis, 6379),
            _ => return None,
        };
        let (host, port) = host_port(c.hosts.first()?, default_port)?;
        if host.starts_with('/') {
            return None;
        }
        let written = |key: &str| {
            c.parameter(key).map(|p| Written {
                value: p.value.clone(),
                line,
                name: p.key.clone(),
            })
        };
        let version = |key: &str| {
            c.parameter(key).and_then(|p| {
                Some(Written {
                    value: TlsVersion::parse(&p.value)?,
                    line,
                    name: p.key.clone(),
                })
            })
        };
        let mut client = Self {
            file: file.to_owned(),
            line,
            service,
            host,
            port,
            shown: c.masked.clone(),
            tls: ClientTls::Optional,
            tls_key: None,
            ca_file: None,
            client_cert: None,
            min_version: None,
            max_version: None,
        };
        match c.engine {
            Engine::Postgres => {
                client.ca_file = written("sslrootcert");
                client.client_cert = written("sslcert");
                client.min_version = version("ssl_min_protocol_version");
                client.max_version = version("ssl_max_protocol_version");
                let mode = c.get("sslmode").map(str::to_ascii_lowercase);
                client.tls_key = c.parameter("sslmode").map(|p| p.key.clone());
                client.tls = match mode.as_deref() {
                    Some("disable") => ClientTls::Off,
                    // libpq: require with a root CA file behaves as verify-ca.
                    Some("require") if client.ca_file.is_some() => ClientTls::VerifyChain,
                    Some("require") => ClientTls::Encrypt,
                    Some("verify-ca") => ClientTls::VerifyChain,
                    Some("verify-full") => ClientTls::VerifyFull,
                    // pgJDBC: ssl=true without sslmode verifies fully.
                    None if c.get("ssl").is_some_and(|v| v.eq_ignore_ascii_case("true")) => {
                        client.tls_key = Some("ssl".into());
                        ClientTls::VerifyFull
                    }
                    _ => ClientTls::Optional,
                };
            }
            Engine::Mysql => {
                client.ca_file = written("ssl-ca");
                client.client_cert = written("ssl-cert");
                if let Some(p) = c.parameter("tls-version") {
                    let listed = versions_in(&p.value);
                    let at = |v: TlsVersion| Written {
                        value: v,
                        line,
                        name: p.key.clone(),
                    };
                    client.min_version = listed.first().copied().map(at);
                    client.max_version = listed.last().copied().map(at);
                }
                client.tls_key = c.parameter("ssl-mode").map(|p| p.key.clone());
                client.tls = match c.get("ssl-mode").map(str::to_ascii_uppercase).as_deref() {
                    Some("DISABLED") => ClientTls::Off,
                    Some("REQUIRED") => ClientTls::Encrypt,
                    Some("VERIFY_CA") => ClientTls::VerifyChain,
                    Some("VERIFY_IDENTITY") => ClientTls::VerifyFull,
                    _ => ClientTls::Optional,
                };
            }
            _ => {
                // Redis: rediss:// verifies by default in redis-py, ioredis and redis-cli.
                let tls = c.scheme.as_deref() == Some("rediss");
                client.ca_file = written("ssl_ca_certs");
                client.client_cert = written("ssl_certfile");
                client.tls_key = c.scheme.clone();
                client.tls = match c.get("ssl_cert_reqs").map(str::to_ascii_lowercase) {
                    _ if !tls => ClientTls::Off,
                    Some(v) if v == "none" => ClientTls::Encrypt,
                    _ => ClientTls::VerifyFull,
                };
            }
        }
        Some(client)
    }

    /// The client an `https://` or `wss://` URL in `file` at `line` describes: TLS with full
    /// verification, port 443 unless given.
    pub fn of_url(url: &str, file: &str, line: usize) -> Option<Self> {
        let lower = url.trim().to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("wss://"))?;
        let authority = rest.split(['/', '?', '#']).next()?;
        let authority = authority.rsplit('@').next()?;
        let (host, port) = host_port(authority, 443)?;
        if host.contains(['$', '{', '<', ' ']) {
            return None;
        }
        Some(Self {
            file: file.to_owned(),
            line,
            service: Service::Https,
            host,
            port,
            shown: format!("https://{authority}"),
            tls: ClientTls::VerifyFull,
            tls_key: None,
            ca_file: None,
            client_cert: None,
            min_version: None,
            max_version: None,
        })
    }

    /// The versions the client accepts, oldest first (TLS 1.0 to 1.3 when it sets neither
    /// end: the drivers' own floors are not assumed).
    pub fn versions(&self) -> Vec<TlsVersion> {
        versions_between(
            self.min_version
                .as_ref()
                .map_or(TlsVersion::Tls10, |w| w.value),
            self.max_version.as_ref().map(|w| w.value),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(text: &str) -> ClientSide {
        let c = crate::connection::parse(text).unwrap();
        ClientSide::of_connection(&c, "app/.env", 2).unwrap()
    }

    #[test]
    fn postgres_strings_say_what_they_demand() {
        let c = client(
            "postgres://app:pw@DB.internal:6543/app?sslmode=verify-full&sslrootcert=certs/ca.pem&ssl_min_protocol_version=TLSv1.3",
        );
        assert_eq!((c.host.as_str(), c.port), ("db.internal", 6543));
        assert_eq!(c.tls, ClientTls::VerifyFull);
        assert_eq!(c.ca_file.unwrap().value, "certs/ca.pem");
        assert_eq!(c.min_version.unwrap().value, TlsVersion::Tls13);
        assert!(!c.shown.contains("pw"));
        // libpq's require with a root file verifies the chain.
        let c = client("host=db sslmode=require sslrootcert=ca.pem");
        assert_eq!((c.tls, c.port), (ClientTls::VerifyChain, 5432));
        assert_eq!(client("postgres://db/app").tls, ClientTls::Optional);
    }

    #[test]
    fn mysql_and_redis_strings() {
        let c = client("mysql://app@db:3307/app?ssl-mode=VERIFY_CA&tls-version=TLSv1.2,TLSv1.3");
        assert_eq!(c.tls, ClientTls::VerifyChain);
        assert_eq!(c.min_version.unwrap().value, TlsVersion::Tls12);
        assert_eq!(c.max_version.unwrap().value, TlsVersion::Tls13);
        let r = client("rediss://cache.internal:6380/0");
        assert_eq!(
            (r.service, r.port, r.tls),
            (Service::Redis, 6380, ClientTls::VerifyFull)
        );
        assert_eq!(client("redis://cache").tls, ClientTls::Off);
    }

    #[test]
    fn urls_and_host_ports() {
        let u = ClientSide::of_url("https://api.internal:8443/v1?x=1", "src/a.js", 3).unwrap();
        assert_eq!((u.host.as_str(), u.port), ("api.internal", 8443));
        assert_eq!(ClientSide::of_url("https://${HOST}/", "a", 1), None);
        assert_eq!(host_port("[::1]:5432", 1), Some(("::1".to_owned(), 5432)));
        assert_eq!(host_port("::1", 7), Some(("::1".to_owned(), 7)));
        assert_eq!(host_port("db:x", 7), None);
        assert_eq!(
            versions_in("TLSv1.2 -TLSv1.1 TLSv1.3"),
            [TlsVersion::Tls12, TlsVersion::Tls13]
        );
    }
}
