//! Server and platform configuration files, each read by a parser of its own syntax and judged
//! with file lines in every finding: nginx, HAProxy, Apache httpd, Caddy, Envoy, Kafka brokers, strongSwan, postgresql.conf, pg_hba.conf, my.cnf, redis.conf, and
//! Kubernetes YAML (Istio PeerAuthentication and DestinationRule, cert-manager Certificate and
//! issuers). Files are recognised by content, the file name only breaking ties.

mod apache;
mod caddy;
mod envoy;
mod haproxy;
mod kafka;
mod kubernetes;
mod mysql;
mod nginx;
mod postgres;
mod redis;
mod strongswan;
mod yaml;

use serde::{Deserialize, Serialize};

use crate::policy::Policy;
use crate::report::{Finding, Location};
use crate::rules::RuleId;

/// The kinds of configuration tlscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// nginx.conf and its site files.
    Nginx,
    /// postgresql.conf.
    PostgresqlConf,
    /// pg_hba.conf.
    PgHba,
    /// my.cnf / mariadb.cnf.
    MyCnf,
    /// redis.conf.
    RedisConf,
    /// Kubernetes manifests (YAML, one or more documents).
    Kubernetes,
    /// haproxy.cfg.
    Haproxy,
    /// Apache httpd (mod_ssl) configuration.
    Apache,
    /// A Kafka broker's server.properties.
    KafkaBroker,
    /// A Caddyfile.
    Caddy,
    /// An Envoy bootstrap configuration (YAML).
    Envoy,
    /// strongSwan's ipsec.conf.
    IpsecConf,
    /// strongSwan's swanctl.conf.
    Swanctl,
}

impl Kind {
    /// Every kind, for tests and fuzzing that go through each parser.
    pub const ALL: [Self; 13] = [
        Self::Nginx,
        Self::PostgresqlConf,
        Self::PgHba,
        Self::MyCnf,
        Self::RedisConf,
        Self::Kubernetes,
        Self::Haproxy,
        Self::Apache,
        Self::KafkaBroker,
        Self::Caddy,
        Self::Envoy,
        Self::IpsecConf,
        Self::Swanctl,
    ];

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Nginx => "nginx configuration",
            Self::PostgresqlConf => "postgresql.conf",
            Self::PgHba => "pg_hba.conf",
            Self::MyCnf => "MySQL/MariaDB option file",
            Self::RedisConf => "redis.conf",
            Self::Kubernetes => "Kubernetes manifest",
            Self::Haproxy => "haproxy.cfg",
            Self::Apache => "Apache httpd configuration",
            Self::KafkaBroker => "Kafka broker server.properties",
            Self::Caddy => "Caddyfile",
            Self::Envoy => "Envoy configuration",
            Self::IpsecConf => "strongSwan ipsec.conf",
            Self::Swanctl => "strongSwan swanctl.conf",
        }
    }
}

/// A configuration file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} line {line}, column {column}: expected {expected}", kind = kind.label())]
pub struct ConfigError {
    /// What it was read as.
    pub kind: Kind,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What the parser expected there.
    pub expected: String,
}

/// Recognises a configuration by its content; `name` (a file name) decides only between kinds
/// whose syntax is alike.
pub fn recognise(name: Option<&str>, text: &str) -> Option<Kind> {
    let name = name.unwrap_or_default().to_ascii_lowercase();
    let lines = || {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
    };
    if lines().any(|l| {
        l.starts_with("static_resources:")
            || l.starts_with("dynamic_resources:")
            || l.contains("type.googleapis.com/envoy.")
    }) {
        return Some(Kind::Envoy);
    }
    if lines().any(|l| l.starts_with("apiVersion:") || l.starts_with("kind:")) {
        return Some(Kind::Kubernetes);
    }
    let first_word = |l: &str| l.split_whitespace().next().unwrap_or_default().to_owned();
    if name.ends_with("haproxy.cfg")
        || lines().any(|l| {
            matches!(first_word(l).as_str(), "frontend" | "backend" | "defaults")
                || l.starts_with("ssl-default-bind-")
        })
    {
        return Some(Kind::Haproxy);
    }
    if (name.contains("httpd") || name.contains("apache")) && name.ends_with(".conf")
        || lines().any(|l| {
            l.starts_with("<VirtualHost")
                || l.starts_with("SSLEngine")
                || l.starts_with("SSLProtocol")
                || l.starts_with("SSLCipherSuite")
        })
    {
        return Some(Kind::Apache);
    }
    if name.ends_with("server.properties")
        || lines().any(|l| {
            l.starts_with("listeners=")
                || l.starts_with("broker.id=")
                || l.starts_with("process.roles=")
                || l.starts_with("security.inter.broker.protocol=")
        })
    {
        return Some(Kind::KafkaBroker);
    }
    if name.ends_with("swanctl.conf")
        || lines().any(|l| l == "connections {" || l.starts_with("esp_proposals"))
    {
        return Some(Kind::Swanctl);
    }
    if name.ends_with("ipsec.conf")
        || lines()
            .any(|l| l == "config setup" || l.starts_with("conn ") && text.contains("keyexchange"))
    {
        return Some(Kind::IpsecConf);
    }
    if name.ends_with("caddyfile")
        || lines().any(|l| {
            matches!(
                first_word(l).as_str(),
                "reverse_proxy" | "file_server" | "respond" | "encode" | "php_fastcgi"
            )
        })
    {
        return Some(Kind::Caddy);
    }
    if name.ends_with("pg_hba.conf")
        || lines().any(|l| {
            let first = l.split_whitespace().next().unwrap_or_default();
            matches!(
                first,
                "hostssl" | "hostnossl" | "hostgssenc" | "hostnogssenc"
            ) || (first == "host" && l.split_whitespace().count() >= 4)
                || (first == "local" && l.split_whitespace().count() >= 3)
        })
    {
        return Some(Kind::PgHba);
    }
    if lines().any(|l| {
        l.starts_with("server {")
            || l.starts_with("http {")
            || l.starts_with("ssl_protocols ")
            || l.starts_with("server{")
    }) || (name.contains("nginx") && name.ends_with(".conf"))
    {
        return Some(Kind::Nginx);
    }
    if lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("[mysqld]")
            || l.starts_with("[client]")
            || l.starts_with("[mariadb")
            || l.starts_with("[mysql]")
            || l.starts_with("!include")
    }) || name.ends_with(".cnf")
    {
        return Some(Kind::MyCnf);
    }
    let key = |l: &str| {
        l.split(['=', ' ', '\t'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    if lines().any(|l| {
        matches!(
            key(l).as_str(),
            "shared_buffers"
                | "listen_addresses"
                | "ssl_cert_file"
                | "ssl_min_protocol_version"
                | "max_connections"
                | "hba_file"
        )
    }) || name.ends_with("postgresql.conf")
    {
        return Some(Kind::PostgresqlConf);
    }
    if lines().any(|l| {
        matches!(
            key(l).as_str(),
            "tls-port"
                | "tls-cert-file"
                | "requirepass"
                | "appendonly"
                | "maxmemory"
                | "bind"
                | "protected-mode"
        )
    }) || name.ends_with("redis.conf")
    {
        return Some(Kind::RedisConf);
    }
    None
}

/// Judges `text` as a `kind` configuration under `policy` at `now` (rotation plans look ahead).
pub fn lint(
    kind: Kind,
    text: &str,
    policy: &Policy,
    now: crate::timestamp::Timestamp,
) -> Result<Vec<Finding>, ConfigError> {
    match kind {
        Kind::Nginx => nginx::lint(text, policy),
        Kind::PostgresqlConf => postgres::lint_conf(text, policy),
        Kind::PgHba => postgres::lint_hba(text),
        Kind::MyCnf => mysql::lint(text, policy),
        Kind::RedisConf => redis::lint(text, policy),
        Kind::Kubernetes => kubernetes::lint(text, policy, now),
        Kind::Haproxy => haproxy::lint(text, policy),
        Kind::Apache => apache::lint(text, policy),
        Kind::KafkaBroker => kafka::lint(text, policy),
        Kind::Caddy => caddy::lint(text, policy),
        Kind::Envoy => envoy::lint(text, policy),
        Kind::IpsecConf => strongswan::lint_ipsec_conf(text, policy),
        Kind::Swanctl => strongswan::lint_swanctl(text, policy),
    }
}

/// The listeners a configuration defines, for the [graph](crate::graph): nginx `server`
/// blocks, Apache `<VirtualHost>`s, HAProxy `bind` lines, postgresql.conf, my.cnf's server groups and redis.conf. The
/// other dialects give none yet.
pub fn listeners(kind: Kind, text: &str) -> Result<Vec<crate::endpoint::ServerSide>, ConfigError> {
    match kind {
        Kind::Nginx => nginx::listeners(text),
        Kind::PostgresqlConf => postgres::listeners(text),
        Kind::MyCnf => mysql::listeners(text),
        Kind::RedisConf => redis::listeners(text),
        Kind::Haproxy => haproxy::listeners(text),
        Kind::Apache => apache::listeners(text),
        Kind::Caddy => caddy::listeners(text),
        Kind::Envoy => envoy::listeners(text),
        _ => Ok(Vec::new()),
    }
}

pub use postgres::hba_requires_client_cert;

/// Public root bundles as distributions and libraries install them: a client CA setting that
/// names one trusts every publicly-trusted CA to vouch for clients.
const PUBLIC_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/certs",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/tls/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
    "/usr/share/ca-certificates",
];

/// MTLS-TRUSTS-PUBLIC-ROOTS when a server's client-certificate CA setting (`name` at `line`)
/// is the system's public root bundle (or certifi's `cacert.pem`).
fn public_trust_for_clients(path: &str, line: usize, name: &str) -> Option<Finding> {
    let path = path.trim_matches(['"', '\'']);
    let trimmed = path.trim_end_matches('/');
    let public = PUBLIC_BUNDLES.contains(&trimmed)
        || trimmed.ends_with("/certifi/cacert.pem")
        || trimmed.ends_with("/ca-certificates.crt");
    public.then(|| {
        at(
            crate::rule!("MTLS-TRUSTS-PUBLIC-ROOTS"),
            format!(
                "{name} {path} is the public root bundle: any publicly-trusted CA could issue a client certificate this server accepts"
            ),
            line,
            name,
        )
    })
}

/// Judges an OpenSSL cipher string (TLS ≤ 1.2: nginx `ssl_ciphers`, PostgreSQL `ssl_ciphers`,
/// MySQL `ssl_cipher`, Redis `tls-ciphers`), expanded as OpenSSL does, by the same suite rules as
/// a probed server's suites: one finding per rule, naming the suites it enables.
fn cipher_list(text: &str, line: usize, name: &str, policy: &Policy) -> Vec<Finding> {
    let expanded = crate::cipher_string::expand(text);
    let mut by_rule: Vec<(RuleId, Vec<&str>)> = Vec::new();
    for suite in &expanded.suites {
        let found = crate::judge::handshake::suite_findings(
            suite.iana,
            Some(crate::protocol::TlsVersion::Tls12),
            policy,
            Location::Directive {
                line,
                name: name.into(),
            },
        );
        for f in found {
            match by_rule.iter_mut().find(|(r, _)| f.rule == *r) {
                Some((_, list)) => list.push(suite.openssl),
                None => {
                    if let Some(id) = RuleId::of(f.rule) {
                        by_rule.push((id, vec![suite.openssl]));
                    }
                }
            }
        }
    }
    let what = |id: RuleId| match id.as_str() {
        "TLS-SUITE-WEAK" => "broken suites",
        "TLS-NO-FORWARD-SECRECY" => "static RSA key exchange",
        "TLS-SUITE-CBC" => "CBC suites",
        _ => "suites",
    };
    let mut out: Vec<Finding> = by_rule
        .into_iter()
        .map(|(id, list)| {
            let shown = if list.len() > 6 {
                format!("{} and {} more", list[..6].join(", "), list.len() - 6)
            } else {
                list.join(", ")
            };
            at(
                id,
                format!("{name} {text:?} enables {}: {shown}", what(id)),
                line,
                name,
            )
        })
        .collect();
    if !expanded.unknown.is_empty() {
        out.push(at(
            crate::rule!("CONFIG-CIPHER-UNKNOWN"),
            format!(
                "{name} names {}, which OpenSSL does not know and ignores",
                expanded.unknown.join(", ")
            ),
            line,
            name,
        ));
    }
    out
}

/// A cipher string set anywhere (a source-code option, a dialect outside this module), judged
/// as the configuration files' cipher settings are.
pub fn cipher_setting(text: &str, line: usize, name: &str, policy: &Policy) -> Vec<Finding> {
    cipher_list(text, line, name, policy)
}

/// Judges a TLS 1.3 suite list (MySQL `tls_ciphersuites`, Redis `tls-ciphersuites`, OpenSSL
/// `ciphersuites`) against the policy's suites.
fn tls13_suites(text: &str, line: usize, name: &str, policy: &Policy) -> Vec<Finding> {
    text.split([':', ',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .flat_map(|suite| {
            crate::judge::handshake::suite_findings(
                suite,
                Some(crate::protocol::TlsVersion::Tls13),
                policy,
                Location::Directive {
                    line,
                    name: name.into(),
                },
            )
        })
        .collect()
}

/// The words of a directive line: split on whitespace, except inside `"…"` or `'…'` (the quotes
/// removed, `\"` kept as `"`), as HAProxy and Apache httpd read them.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    let mut started = false;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(n);
                    started = true;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (_, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    out
}

/// The HSTS header a front end sets, judged: WEB-HSTS-MISSING at `line` when `header` (the
/// directive's words and line) is none, WEB-HSTS-WEAK at the header's line when its value, or
/// the dialect's own check `extra` on the words, falls short. The value is the word after
/// `Strict-Transport-Security`.
fn hsts_header(
    owner: &str,
    header: Option<(&[String], usize)>,
    line: usize,
    name: &str,
    policy: &Policy,
    extra: impl Fn(&[String]) -> Option<String>,
) -> Option<Finding> {
    let Some((words, at_line)) = header else {
        return Some(at(
            crate::rule!("WEB-HSTS-MISSING"),
            format!("{owner} sends no Strict-Transport-Security header"),
            line,
            name,
        ));
    };
    let value = words
        .iter()
        .skip_while(|a| !a.eq_ignore_ascii_case("Strict-Transport-Security"))
        .nth(1)
        .cloned()
        .unwrap_or_default();
    let mut weak = crate::judge::web::hsts_weaknesses(&value, policy);
    weak.extend(extra(words));
    (!weak.is_empty()).then(|| {
        at(
            crate::rule!("WEB-HSTS-WEAK"),
            format!("{owner}: \"{value}\": {}", weak.join(", ")),
            at_line,
            name,
        )
    })
}

/// A finding at `line` on directive `name`.
fn at(id: RuleId, evidence: String, line: usize, name: &str) -> Finding {
    Finding::new(
        id,
        evidence,
        Location::Directive {
            line,
            name: name.to_owned(),
        },
    )
}

/// TLS-VERSION-MIN when the versions in `list` (any spelling) go below `min`.
fn version_list(
    list: &str,
    min: crate::protocol::TlsVersion,
    line: usize,
    name: &str,
    segment: &str,
) -> Option<Finding> {
    let lowest = list
        .split([',', ':', ' ', '\t'])
        .filter_map(crate::protocol::TlsVersion::parse)
        .min()?;
    (lowest < min).then(|| {
        at(
            crate::rule!("TLS-VERSION-MIN"),
            format!("{name} {list} allows {lowest}; {segment} connections need at least {min}"),
            line,
            name,
        )
    })
}

/// Simple `key value` / `key = value` files (postgresql.conf, redis.conf, my.cnf bodies):
/// one setting per line, `#` comments, values optionally quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setting {
    key: String,
    value: String,
    line: usize,
}

/// The last setting of `key` (case-insensitive), as the servers read their files.
fn last_setting<'a>(settings: &'a [Setting], key: &str) -> Option<&'a Setting> {
    settings
        .iter()
        .rev()
        .find(|s| s.key.eq_ignore_ascii_case(key))
}

/// The last setting of `key` as written, for the graph's listeners.
fn written_setting(settings: &[Setting], key: &str) -> Option<crate::endpoint::Written<String>> {
    last_setting(settings, key).map(|s| crate::endpoint::Written {
        value: s.value.clone(),
        line: s.line,
        name: s.key.clone(),
    })
}

/// Reads `key = value` or `key value` lines. Values may be quoted with `'` or `"` (a doubled
/// quote inside is one quote); `#` starts a comment outside quotes.
fn settings(text: &str, kind: Kind) -> Result<Vec<Setting>, ConfigError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let mut value = String::new();
        let mut quote: Option<(char, usize)> = None;
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match quote {
                Some((q, _)) if c == q => {
                    if chars.peek().is_some_and(|(_, n)| *n == q) {
                        chars.next();
                        value.push(q);
                    } else {
                        quote = None;
                    }
                }
                Some(_) => value.push(c),
                None if c == '#' => break,
                None if c == '\'' || c == '"' => quote = Some((c, i)),
                None => value.push(c),
            }
        }
        if let Some((q, column)) = quote {
            return Err(ConfigError {
                kind,
                line,
                column: column + 1,
                expected: format!("a closing {q}"),
            });
        }
        let body = value.trim();
        if body.is_empty() {
            continue;
        }
        let split = body
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(body.len());
        let key = body[..split].trim().to_owned();
        let rest = body[split..].trim_start();
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
        out.push(Setting {
            key,
            value: rest.to_owned(),
            line,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
