//! MySQL/MariaDB option files (my.cnf): INI sections; the server groups ([mysqld], [server],
//! [mariadb], [mysqld-8.0]…) must require secure transport and allow only modern versions, the
//! client groups ([client], [mysql]) must verify the server. `!include` is reported.

use super::{ConfigError, Kind, Setting, at, version_list};
use crate::endpoint::{ServerSide, Written};
use crate::policy::Policy;
use crate::probe::Service;
use crate::protocol::TlsVersion;
use crate::report::Finding;

fn is_server(group: &str) -> bool {
    let g = group.to_ascii_lowercase();
    g.starts_with("mysqld") || g.starts_with("mariadb") || g == "server"
}

fn is_client(group: &str) -> bool {
    matches!(
        group.to_ascii_lowercase().as_str(),
        "client" | "mysql" | "client-server" | "mariadb-client"
    )
}

fn normal(key: &str) -> String {
    key.to_ascii_lowercase().replace('-', "_")
}

/// An option file's server and client groups, as read.
#[derive(Default)]
struct OptionFile {
    server: Vec<Setting>,
    client: Vec<Setting>,
    /// The line of the first server group.
    server_line: Option<usize>,
    /// `!include` and `!includedir` findings.
    includes: Vec<Finding>,
}

fn last(list: &[Setting], key: &str) -> Option<Setting> {
    list.iter().rev().find(|s| s.key == key).cloned()
}

/// The server's listener, for the graph: `port` (3306), TLS unless `ssl=0` / `skip_ssl` (MySQL
/// and MariaDB serve TLS by default), `tls_version` (default TLSv1.2,TLSv1.3), `ssl_cert` and
/// `ssl_ca`. Client certificates are required per account (`REQUIRE X509`), not here.
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let file = read(text)?;
    let Some(line) = file.server_line else {
        return Ok(Vec::new());
    };
    let server = &file.server;
    let written = |key: &str| {
        last(server, key).map(|s| Written {
            value: s.value,
            line: s.line,
            name: s.key,
        })
    };
    let mut l = ServerSide::new(Service::Mysql, line);
    l.ports = vec![
        last(server, "port")
            .and_then(|p| p.value.trim().parse().ok())
            .unwrap_or(3306),
    ];
    let off = |v: &str| matches!(v.to_ascii_uppercase().as_str(), "0" | "OFF" | "FALSE");
    l.tls =
        last(server, "skip_ssl").is_none() && last(server, "ssl").is_none_or(|s| !off(&s.value));
    let versions = last(server, "tls_version");
    l.versions = versions.as_ref().map_or_else(
        || vec![TlsVersion::Tls12, TlsVersion::Tls13],
        |s| crate::endpoint::versions_in(&s.value),
    );
    l.versions_at = versions.map(|s| (s.line, s.key));
    l.certificate = written("ssl_cert");
    l.client_ca = written("ssl_ca");
    Ok(vec![l])
}

fn read(text: &str) -> Result<OptionFile, ConfigError> {
    let mut file = OptionFile::default();
    let mut group = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let body = raw.trim();
        if body.is_empty() || body.starts_with('#') || body.starts_with(';') {
            continue;
        }
        if let Some(directive) = body.strip_prefix('!') {
            file.includes.push(at(
                crate::rule!("CONFIG-INCLUDE-NOT-FOLLOWED"),
                format!("!{directive} was not read"),
                line,
                directive.split_whitespace().next().unwrap_or("include"),
            ));
            continue;
        }
        if let Some(name) = body.strip_prefix('[') {
            let Some(name) = name.strip_suffix(']') else {
                return Err(ConfigError {
                    kind: Kind::MyCnf,
                    line,
                    column: body.len() + 1,
                    expected: "`]` to close the group name".into(),
                });
            };
            group = name.trim().to_owned();
            if is_server(&group) && file.server_line.is_none() {
                file.server_line = Some(line);
            }
            continue;
        }
        if group.is_empty() {
            return Err(ConfigError {
                kind: Kind::MyCnf,
                line,
                column: 1,
                expected: "a [group] header before the first option".into(),
            });
        }
        let body = body.split(" #").next().unwrap_or(body);
        let (key, value) = match body.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim().trim_matches(['"', '\''])),
            None => (body.trim(), "ON"),
        };
        let setting = Setting {
            key: normal(key),
            value: value.to_owned(),
            line,
        };
        if is_server(&group) {
            file.server.push(setting);
        } else if is_client(&group) {
            file.client.push(setting);
        }
    }
    Ok(file)
}

/// Judges a my.cnf.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let OptionFile {
        server,
        client,
        server_line,
        includes: mut out,
    } = read(text)?;
    if let Some(group_line) = server_line {
        match last(&server, "require_secure_transport") {
            Some(s) if matches!(s.value.to_ascii_uppercase().as_str(), "ON" | "1" | "TRUE") => {}
            Some(s) => out.push(at(
                crate::rule!("DB-MYSQL-INSECURE-TRANSPORT"),
                format!("require_secure_transport = {}", s.value),
                s.line,
                "require_secure_transport",
            )),
            None => out.push(at(
                crate::rule!("DB-MYSQL-INSECURE-TRANSPORT"),
                "require_secure_transport is not set (default OFF)".into(),
                group_line,
                "require_secure_transport",
            )),
        }
        // The server's CA verifies client certificates (REQUIRE X509 / SUBJECT accounts).
        if let Some(s) = last(&server, "ssl_ca") {
            out.extend(super::public_trust_for_clients(&s.value, s.line, "ssl_ca"));
        }
        if let Some(s) = last(&server, "ssl_cipher") {
            out.extend(super::cipher_list(&s.value, s.line, "ssl_cipher", policy));
        }
        if let Some(s) = last(&server, "tls_ciphersuites") {
            out.extend(super::tls13_suites(
                &s.value,
                s.line,
                "tls_ciphersuites",
                policy,
            ));
        }
        if let Some(s) = last(&server, "tls_version") {
            out.extend(version_list(
                &s.value,
                policy.tls.database_min_version,
                s.line,
                "tls_version",
                "database",
            ));
        }
    }
    if let Some(s) = last(&client, "ssl_mode") {
        match s.value.to_ascii_uppercase().as_str() {
            "VERIFY_IDENTITY" => {}
            "VERIFY_CA" => out.push(at(
                crate::rule!("DB-MYSQL-SSL-MODE-VERIFY-CA"),
                "ssl-mode = VERIFY_CA".into(),
                s.line,
                "ssl-mode",
            )),
            other => out.push(at(
                crate::rule!("DB-MYSQL-SSL-MODE"),
                format!("ssl-mode = {other} does not verify the server"),
                s.line,
                "ssl-mode",
            )),
        }
    }
    if let Some(s) = last(&client, "tls_version") {
        out.extend(version_list(
            &s.value,
            policy.tls.database_min_version,
            s.line,
            "tls-version",
            "database",
        ));
    }
    Ok(out)
}
