//! postgresql.conf (`ssl`, `ssl_min_protocol_version`, includes) and pg_hba.conf (which
//! connection types are accepted without TLS).

use super::{ConfigError, Kind, at, last_setting, settings, version_list, written_setting};
use crate::endpoint::{ServerSide, versions_between};
use crate::policy::Policy;
use crate::probe::Service;
use crate::protocol::TlsVersion;
use crate::report::Finding;

/// Judges postgresql.conf. Defaults are PostgreSQL's: `ssl = off`, minimum TLSv1.2 (PG 12+).
pub(super) fn lint_conf(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let settings = settings(text, Kind::PostgresqlConf)?;
    let mut out = Vec::new();
    let last = |key: &str| {
        settings
            .iter()
            .rev()
            .find(|s| s.key.eq_ignore_ascii_case(key))
    };
    match last("ssl") {
        Some(s)
            if matches!(
                s.value.to_ascii_lowercase().as_str(),
                "on" | "true" | "yes" | "1"
            ) => {}
        Some(s) => out.push(at(
            crate::rule!("DB-PG-SSL-OFF"),
            format!("ssl = {}", s.value),
            s.line,
            "ssl",
        )),
        None => out.push(at(
            crate::rule!("DB-PG-SSL-OFF"),
            "ssl is not set (default off)".into(),
            1,
            "ssl",
        )),
    }
    // ssl_ca_file is what the server verifies client certificates against (clientcert=…).
    if let Some(s) = last("ssl_ca_file") {
        out.extend(super::public_trust_for_clients(
            &s.value,
            s.line,
            "ssl_ca_file",
        ));
    }
    // PostgreSQL's default is 'HIGH:MEDIUM:+3DES:!aNULL'; only a value written here is judged.
    if let Some(s) = last("ssl_ciphers") {
        out.extend(super::cipher_list(&s.value, s.line, "ssl_ciphers", policy));
    }
    if let Some(s) = last("ssl_min_protocol_version") {
        out.extend(version_list(
            &s.value,
            policy.tls.database_min_version,
            s.line,
            "ssl_min_protocol_version",
            "database",
        ));
    }
    for s in &settings {
        if matches!(
            s.key.as_str(),
            "include" | "include_dir" | "include_if_exists"
        ) {
            out.push(at(
                crate::rule!("CONFIG-INCLUDE-NOT-FOLLOWED"),
                format!("{} '{}' was not read", s.key, s.value),
                s.line,
                &s.key,
            ));
        }
    }
    Ok(out)
}

/// The server's one listener, for the graph: `port` (5432), `ssl`, the version range
/// (PostgreSQL's default minimum TLSv1.2), `ssl_cert_file` and `ssl_ca_file`. Whether client
/// certificates are required is pg_hba.conf's (see [`hba_requires_client_cert`]).
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let settings = settings(text, Kind::PostgresqlConf)?;
    let last = |key: &str| last_setting(&settings, key);
    let written = |key: &str| written_setting(&settings, key);
    let mut l = ServerSide::new(Service::Postgres, 1);
    l.ports = vec![
        last("port")
            .and_then(|p| p.value.trim().parse().ok())
            .unwrap_or(5432),
    ];
    l.tls = last("ssl").is_some_and(|s| {
        matches!(
            s.value.to_ascii_lowercase().as_str(),
            "on" | "true" | "yes" | "1"
        )
    });
    let (min, max) = (
        last("ssl_min_protocol_version"),
        last("ssl_max_protocol_version"),
    );
    l.versions = versions_between(
        min.and_then(|m| TlsVersion::parse(&m.value))
            .unwrap_or(TlsVersion::Tls12),
        max.and_then(|m| TlsVersion::parse(&m.value)),
    );
    l.versions_at = min.or(max).map(|s| (s.line, s.key.clone()));
    l.certificate = written("ssl_cert_file");
    l.client_ca = written("ssl_ca_file");
    Ok(vec![l])
}

/// Whether every pg_hba.conf line a TLS connection over TCP can match (`host`, `hostssl`)
/// requires a client certificate — the `cert` method, or `clientcert=verify-ca|verify-full` —
/// with the first such line. `None` when one of them does not, or there is none: then whether a
/// certificate is needed depends on the database, user and address, and the graph says nothing.
pub fn hba_requires_client_cert(text: &str) -> Option<(usize, String)> {
    let mut first = None;
    for (n, raw) in text.lines().enumerate() {
        let body = raw.split('#').next().unwrap_or_default().trim();
        let fields: Vec<&str> = body.split_whitespace().collect();
        if !matches!(fields.first(), Some(&("host" | "hostssl"))) {
            continue;
        }
        let method_and_options = fields.get(4..).unwrap_or_default();
        let requires = method_and_options.iter().enumerate().any(|(i, f)| {
            (i == 0 && *f == "cert")
                || matches!(
                    f.strip_prefix("clientcert="),
                    Some("verify-ca" | "verify-full" | "1")
                )
        });
        if !requires {
            return None;
        }
        first.get_or_insert((n + 1, body.to_owned()));
    }
    first
}

/// Judges pg_hba.conf: `host` accepts TCP connections with or without TLS and `hostnossl` only
/// without; `hostssl` requires TLS.
pub(super) fn lint_hba(text: &str) -> Result<Vec<Finding>, ConfigError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let body = raw.split('#').next().unwrap_or_default().trim();
        let fields: Vec<&str> = body.split_whitespace().collect();
        let Some(&kind) = fields.first() else {
            continue;
        };
        match kind {
            "local" | "hostssl" | "hostgssenc" => {
                if fields.len() < 3 + usize::from(kind != "local") {
                    return Err(short(line, kind));
                }
            }
            "host" | "hostnossl" | "hostnogssenc" => {
                if fields.len() < 4 {
                    return Err(short(line, kind));
                }
                let how = if kind == "hostnossl" {
                    "only without TLS"
                } else {
                    "with or without TLS"
                };
                out.push(at(
                    crate::rule!("DB-PG-HBA-HOST"),
                    format!("`{body}` accepts connections {how}"),
                    line,
                    kind,
                ));
            }
            "include" | "include_dir" | "include_if_exists" => out.push(at(
                crate::rule!("CONFIG-INCLUDE-NOT-FOLLOWED"),
                format!("{body} was not read"),
                line,
                kind,
            )),
            other => {
                return Err(ConfigError {
                    kind: Kind::PgHba,
                    line,
                    column: raw.find(other).map_or(1, |c| c + 1),
                    expected: format!(
                        "a connection type (local, host, hostssl, hostnossl, hostgssenc, hostnogssenc), found {other:?}"
                    ),
                });
            }
        }
    }
    Ok(out)
}

fn short(line: usize, kind: &str) -> ConfigError {
    ConfigError {
        kind: Kind::PgHba,
        line,
        column: 1,
        expected: format!(
            "database, user{} and method after {kind}",
            if kind == "local" { "" } else { ", address" }
        ),
    }
}
