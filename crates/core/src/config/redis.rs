//! redis.conf: `port` (plaintext, default 6379), `tls-port`, `tls-auth-clients` (default yes),
//! `tls-protocols`, and `include`.

use super::{ConfigError, Kind, at, last_setting, settings, version_list, written_setting};
use crate::endpoint::ServerSide;
use crate::policy::Policy;
use crate::probe::Service;
use crate::protocol::TlsVersion;
use crate::report::Finding;

/// The server's listener, for the graph: `tls-port` (else the plaintext `port`),
/// `tls-protocols` (Redis's default TLSv1.2 TLSv1.3), the certificate, the client CA and
/// `tls-auth-clients` (default yes: the handshake needs a client certificate).
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let settings = settings(text, Kind::RedisConf)?;
    let last = |key: &str| last_setting(&settings, key);
    let written = |key: &str| written_setting(&settings, key);
    let port = |key: &str| last(key).and_then(|s| s.value.trim().parse::<u16>().ok());
    let mut l = ServerSide::new(Service::Redis, 1);
    match port("tls-port").filter(|p| *p != 0) {
        Some(p) => {
            l.tls = true;
            l.ports = vec![p];
            l.line = last("tls-port").map_or(1, |s| s.line);
        }
        None => l.ports = vec![port("port").unwrap_or(6379)],
    }
    let protocols = last("tls-protocols");
    l.versions = protocols.map_or_else(
        || vec![TlsVersion::Tls12, TlsVersion::Tls13],
        |s| crate::endpoint::versions_in(&s.value),
    );
    l.versions_at = protocols.map(|s| (s.line, s.key.clone()));
    l.certificate = written("tls-cert-file");
    l.client_ca = written("tls-ca-cert-file");
    l.client_cert_required =
        last("tls-auth-clients").is_none_or(|s| s.value.eq_ignore_ascii_case("yes"));
    Ok(vec![l])
}

/// Judges redis.conf.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let settings = settings(text, Kind::RedisConf)?;
    let mut out = Vec::new();
    let last = |key: &str| {
        settings
            .iter()
            .rev()
            .find(|s| s.key.eq_ignore_ascii_case(key))
    };
    let tls_port = last("tls-port").filter(|s| s.value.trim() != "0");
    match (last("port"), tls_port) {
        (Some(p), _) if p.value.trim() == "0" => {}
        (port, None) => out.push(at(
            crate::rule!("DB-REDIS-PLAINTEXT-PORT"),
            format!(
                "no tls-port: Redis serves plaintext only (port {})",
                port.map_or("6379 by default", |p| p.value.as_str())
            ),
            port.map_or(1, |p| p.line),
            "tls-port",
        )),
        (port, Some(_)) => out.push(at(
            crate::rule!("DB-REDIS-PLAINTEXT-PORT"),
            format!(
                "port {} still serves plaintext beside tls-port",
                port.map_or("6379 (default)", |p| p.value.as_str())
            ),
            port.map_or(1, |p| p.line),
            "port",
        )),
    }
    if tls_port.is_some() {
        if let Some(s) = last("tls-auth-clients").filter(|s| !s.value.eq_ignore_ascii_case("yes")) {
            out.push(at(
                crate::rule!("DB-REDIS-TLS-AUTH-CLIENTS"),
                format!("tls-auth-clients {}", s.value),
                s.line,
                "tls-auth-clients",
            ));
        }
        let authenticates =
            last("tls-auth-clients").is_none_or(|s| !s.value.eq_ignore_ascii_case("no"));
        for key in ["tls-ca-cert-file", "tls-ca-cert-dir"] {
            if let Some(s) = last(key).filter(|_| authenticates) {
                out.extend(super::public_trust_for_clients(&s.value, s.line, key));
            }
        }
        if let Some(s) = last("tls-ciphers") {
            out.extend(super::cipher_list(&s.value, s.line, "tls-ciphers", policy));
        }
        if let Some(s) = last("tls-ciphersuites") {
            out.extend(super::tls13_suites(
                &s.value,
                s.line,
                "tls-ciphersuites",
                policy,
            ));
        }
        if let Some(s) = last("tls-protocols") {
            out.extend(version_list(
                &s.value,
                policy.tls.database_min_version,
                s.line,
                "tls-protocols",
                "database",
            ));
        }
    }
    for s in settings.iter().filter(|s| s.key == "include") {
        out.push(at(
            crate::rule!("CONFIG-INCLUDE-NOT-FOLLOWED"),
            format!("include {} was not read", s.value),
            s.line,
            "include",
        ));
    }
    Ok(out)
}
