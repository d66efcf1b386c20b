//! haproxy.cfg: `global` `ssl-default-bind-*` and `ssl-default-server-*` settings, `bind … ssl`
//! lines with their own `ssl-min-ver`, `no-tlsv1x`, `ciphers`, `ciphersuites`, `verify`,
//! `ca-file` and `no-tls-tickets`, `server … ssl verify none`, and the HSTS header a frontend
//! sets — each judged by the rules nginx's equivalents are, at its own line.

use super::{ConfigError, Kind, at};
use crate::endpoint::{ServerSide, Written, versions_between};
use crate::policy::Policy;
use crate::probe::Service;
use crate::protocol::TlsVersion;
use crate::report::Finding;

/// One line: its section (`global`, `frontend web`, …), keyword and arguments.
struct Line {
    number: usize,
    section: String,
    keyword: String,
    args: Vec<String>,
}

const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "peers",
    "resolvers",
    "userlist",
    "program",
    "http-errors",
    "ring",
    "cache",
    "mailers",
];

fn lines(text: &str) -> Result<Vec<Line>, ConfigError> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let mut words = super::words(content).into_iter();
        let keyword = words.next().unwrap_or_default();
        let args: Vec<String> = words.collect();
        if SECTIONS.contains(&keyword.as_str()) {
            section = std::iter::once(keyword.clone())
                .chain(args.iter().take(1).cloned())
                .collect::<Vec<_>>()
                .join(" ");
            continue;
        }
        if section.is_empty() {
            return Err(ConfigError {
                kind: Kind::Haproxy,
                line: i + 1,
                column: raw.len() - raw.trim_start().len() + 1,
                expected: format!(
                    "a section (global, defaults, frontend, backend, listen) before {keyword:?}"
                ),
            });
        }
        out.push(Line {
            number: i + 1,
            section: section.clone(),
            keyword,
            args,
        });
    }
    Ok(out)
}

/// The value after `name` among `args` (`ssl-min-ver TLSv1.2`).
fn after<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The lowest version a bind accepts, from `ssl-min-ver` or the `no-*` options; HAProxy 2.2+
/// defaults to TLS 1.2.
fn lowest(options: &[String]) -> TlsVersion {
    if let Some(v) = after(options, "ssl-min-ver").and_then(TlsVersion::parse) {
        return v;
    }
    if options.iter().any(|o| o == "force-tlsv13") {
        return TlsVersion::Tls13;
    }
    // TLS 1.0 and 1.1 are off unless a lower ssl-min-ver turns them on.
    if options.iter().any(|o| o == "no-tlsv12") {
        TlsVersion::Tls13
    } else {
        TlsVersion::Tls12
    }
}

/// Every `bind` line, for the graph: its port, TLS (`ssl`), the versions from `ssl-min-ver` /
/// `ssl-max-ver` (with `ssl-default-bind-options`), `crt`, `ca-file` and `verify required`.
/// A frontend names no host, so it is linked by port.
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let lines = lines(text)?;
    let defaults: Vec<String> = lines
        .iter()
        .rev()
        .find(|l| l.section == "global" && l.keyword == "ssl-default-bind-options")
        .map(|l| l.args.clone())
        .unwrap_or_default();
    let mut out = Vec::new();
    for l in lines.iter().filter(|l| l.keyword == "bind") {
        let Some(port) = l
            .args
            .first()
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse::<u16>().ok())
        else {
            continue;
        };
        let mut options = defaults.clone();
        options.extend(l.args.iter().cloned());
        let mut b = ServerSide::new(Service::Https, l.number);
        b.ports = vec![port];
        b.tls = l.args.iter().any(|a| a == "ssl");
        b.versions = versions_between(
            lowest(&options),
            after(&options, "ssl-max-ver").and_then(TlsVersion::parse),
        );
        b.versions_at = Some((l.number, "bind".into()));
        let written = |name: &str| {
            after(&l.args, name).map(|v| Written {
                value: v.to_owned(),
                line: l.number,
                name: name.to_owned(),
            })
        };
        b.certificate = written("crt");
        b.client_ca = written("ca-file");
        b.client_cert_required = after(&l.args, "verify") == Some("required");
        out.push(b);
    }
    Ok(out)
}

/// Judges a haproxy.cfg.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let lines = lines(text)?;
    let mut out = Vec::new();
    let global = |k: &str| {
        lines
            .iter()
            .rev()
            .find(|l| l.section == "global" && l.keyword == k)
    };
    let bind_defaults: Vec<String> = global("ssl-default-bind-options")
        .map(|l| l.args.clone())
        .unwrap_or_default();
    for (key, list) in [
        ("ssl-default-bind-ciphers", true),
        ("ssl-default-server-ciphers", true),
        ("ssl-default-bind-ciphersuites", false),
        ("ssl-default-server-ciphersuites", false),
    ] {
        if let Some(l) = global(key) {
            let value = l.args.join(":");
            out.extend(if list {
                super::cipher_list(&value, l.number, key, policy)
            } else {
                super::tls13_suites(&value, l.number, key, policy)
            });
        }
    }
    let server_verify_off =
        global("ssl-server-verify").is_some_and(|l| l.args.first().is_some_and(|a| a == "none"));
    if let Some(l) = global("ssl-server-verify").filter(|_| server_verify_off) {
        out.push(at(
            crate::rule!("WEB-PROXY-VERIFY-OFF"),
            "ssl-server-verify none: no backend server certificate is verified".into(),
            l.number,
            "ssl-server-verify",
        ));
    }
    let mut ssl_frontends: Vec<(&str, usize)> = Vec::new();
    for l in &lines {
        match l.keyword.as_str() {
            "bind" if l.args.iter().any(|a| a == "ssl") => {
                let mut options = bind_defaults.clone();
                options.extend(l.args.iter().cloned());
                let min = lowest(&options);
                if min < policy.tls.client_min_version {
                    out.push(at(
                        crate::rule!("TLS-VERSION-MIN"),
                        format!(
                            "{}: bind {} accepts {min} (ssl-min-ver{}); client connections need at least {}",
                            l.section,
                            l.args.first().map_or("", String::as_str),
                            after(&options, "ssl-min-ver")
                                .map_or(" not set: HAProxy's default is TLSv1.2".to_owned(), |v| format!(" {v}")),
                            policy.tls.client_min_version
                        ),
                        l.number,
                        "bind",
                    ));
                }
                if let Some(c) = after(&l.args, "ciphers") {
                    out.extend(super::cipher_list(c, l.number, "ciphers", policy));
                }
                if let Some(c) = after(&l.args, "ciphersuites") {
                    out.extend(super::tls13_suites(c, l.number, "ciphersuites", policy));
                }
                if !policy.web.session_tickets && !options.iter().any(|o| o == "no-tls-tickets") {
                    out.push(at(
                        crate::rule!("WEB-SESSION-TICKETS-ON"),
                        format!(
                            "{}: bind without no-tls-tickets (HAProxy issues session tickets by default)",
                            l.section
                        ),
                        l.number,
                        "bind",
                    ));
                }
                if after(&l.args, "verify").is_some_and(|v| v != "none")
                    && let Some(ca) = after(&l.args, "ca-file")
                {
                    out.extend(super::public_trust_for_clients(ca, l.number, "ca-file"));
                }
                if !ssl_frontends.iter().any(|(s, _)| *s == l.section) {
                    ssl_frontends.push((&l.section, l.number));
                }
            }
            "server" | "default-server"
                if l.args.iter().any(|a| a == "ssl")
                    && after(&l.args, "verify") == Some("none") =>
            {
                out.push(at(
                    crate::rule!("WEB-PROXY-VERIFY-OFF"),
                    format!(
                        "{}: server {} ssl verify none: the backend's certificate is not checked",
                        l.section,
                        l.args.first().map_or("", String::as_str)
                    ),
                    l.number,
                    &l.keyword,
                ));
            }
            _ => {}
        }
    }
    if policy.web.hsts {
        for (section, line) in ssl_frontends {
            let header = lines.iter().find(|l| {
                l.section == section
                    && l.keyword == "http-response"
                    && l.args
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case("Strict-Transport-Security"))
            });
            out.extend(super::hsts_header(
                section,
                header.map(|h| (h.args.as_slice(), h.number)),
                line,
                "http-response",
                policy,
                |_| None,
            ));
        }
    }
    Ok(out)
}
