//! redis.conf: `port` (plaintext, default 6379), `tls-port`, `tls-auth-clients` (default yes),
//! `tls-protocols`, and `include`.

use super::{ConfigError, Kind, at, settings, version_list};
use crate::policy::Policy;
use crate::report::Finding;

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
