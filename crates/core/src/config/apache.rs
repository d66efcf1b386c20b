//! Apache httpd (mod_ssl): `SSLProtocol`, `SSLCipherSuite` (with its `TLSv1.3` form),
//! `SSLUseStapling`, `SSLSessionTickets`, `SSLProxyEngine` with `SSLProxyVerify` and
//! `SSLProxyCheckPeerName`, `SSLCACertificateFile` for client certificates, and the HSTS
//! `Header`, per `<VirtualHost>` with `SSLEngine on` (server-wide settings inherited), each
//! judged by the rules nginx's equivalents are, at its own line.

use super::{ConfigError, Kind, at};
use crate::endpoint::{ServerSide, Written};
use crate::policy::Policy;
use crate::probe::Service;
use crate::protocol::TlsVersion;
use crate::report::Finding;

/// One directive with its line and the virtual host it is in (`None`: server-wide).
struct Directive {
    line: usize,
    vhost: Option<usize>,
    name: String,
    args: Vec<String>,
}

fn directives(text: &str) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut vhost = None;
    let mut pending = String::new();
    let mut pending_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if pending.is_empty() {
            pending_line = i + 1;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let content = std::mem::take(&mut pending);
        let content = content.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if let Some(tag) = content.strip_prefix("</") {
            let name = tag.trim_end_matches('>').trim().to_ascii_lowercase();
            match open.pop() {
                Some((n, _)) if n == name => {}
                Some((n, at_line)) => {
                    return Err(ConfigError {
                        kind: Kind::Apache,
                        line: pending_line,
                        column: 1,
                        expected: format!("</{n}> to close the <{n}> of line {at_line}"),
                    });
                }
                None => {
                    return Err(ConfigError {
                        kind: Kind::Apache,
                        line: pending_line,
                        column: 1,
                        expected: format!("a directive, not a </{name}> with nothing open"),
                    });
                }
            }
            if name == "virtualhost" {
                vhost = None;
            }
            continue;
        }
        if let Some(tag) = content.strip_prefix('<') {
            let name = tag
                .split([' ', '>'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if name == "virtualhost" {
                vhost = Some(pending_line);
                // The tag's addresses, kept as a directive of the host for its listener.
                out.push(Directive {
                    line: pending_line,
                    vhost,
                    name: VHOST.into(),
                    args: super::words(tag.trim_end_matches('>'))
                        .into_iter()
                        .skip(1)
                        .collect(),
                });
            }
            open.push((name, pending_line));
            continue;
        }
        let mut words = super::words(content).into_iter();
        let name = words.next().unwrap_or_default();
        out.push(Directive {
            line: pending_line,
            vhost,
            name,
            args: words.collect(),
        });
    }
    if let Some((n, at_line)) = open.pop() {
        return Err(ConfigError {
            kind: Kind::Apache,
            line: at_line,
            column: 1,
            expected: format!("</{n}> before the end of the file"),
        });
    }
    Ok(out)
}

/// The name under which a `<VirtualHost addr:port …>` tag's addresses are kept.
const VHOST: &str = "<VirtualHost";

/// Every `<VirtualHost>`, for the graph: its ports (from the tag), `ServerName` and
/// `ServerAlias`, TLS (`SSLEngine on`), `SSLProtocol` (mod_ssl's default: TLS 1.0 and up),
/// `SSLCertificateFile`, `SSLCACertificateFile` and `SSLVerifyClient require`; server-wide
/// settings inherited.
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let all = directives(text)?;
    let mut out = Vec::new();
    for tag in all.iter().filter(|d| d.name == VHOST) {
        let host = tag.vhost;
        let own = |name: &str| -> Vec<&Directive> {
            all.iter()
                .filter(|d| d.vhost == host && d.name.eq_ignore_ascii_case(name))
                .collect()
        };
        let get = |name: &str| {
            own(name).last().copied().or_else(|| {
                all.iter()
                    .rev()
                    .find(|d| d.vhost.is_none() && d.name.eq_ignore_ascii_case(name))
            })
        };
        let mut l = ServerSide::new(Service::Https, tag.line);
        l.ports = tag
            .args
            .iter()
            .filter_map(|a| a.rsplit(':').next().and_then(|p| p.parse().ok()))
            .collect();
        l.names = own("ServerName")
            .into_iter()
            .chain(own("ServerAlias"))
            .flat_map(|d| d.args.iter())
            .map(|n| n.split(':').next().unwrap_or(n).to_ascii_lowercase())
            .collect();
        l.tls = get("SSLEngine")
            .is_some_and(|d| d.args.first().is_some_and(|a| a.eq_ignore_ascii_case("on")));
        let protocol = get("SSLProtocol");
        l.versions = protocol.map_or_else(
            || {
                vec![
                    TlsVersion::Tls10,
                    TlsVersion::Tls11,
                    TlsVersion::Tls12,
                    TlsVersion::Tls13,
                ]
            },
            |d| {
                let mut v = protocols(&d.args);
                v.sort();
                v
            },
        );
        l.versions_at = protocol.map(|d| (d.line, d.name.clone()));
        let written = |name: &str| {
            get(name).map(|d| Written {
                value: d.args.join(" "),
                line: d.line,
                name: d.name.clone(),
            })
        };
        l.certificate = written("SSLCertificateFile");
        l.client_ca = written("SSLCACertificateFile");
        l.client_cert_required = get("SSLVerifyClient").is_some_and(|d| {
            d.args
                .first()
                .is_some_and(|a| a.eq_ignore_ascii_case("require"))
        });
        out.push(l);
    }
    Ok(out)
}

/// The versions an `SSLProtocol` expression enables (`all -SSLv3 -TLSv1`, `-all +TLSv1.3`).
fn protocols(args: &[String]) -> Vec<TlsVersion> {
    let all = [
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];
    let mut on: Vec<TlsVersion> = Vec::new();
    for a in args {
        let (add, name) = match a.strip_prefix('-') {
            Some(n) => (false, n),
            None => (true, a.trim_start_matches('+')),
        };
        let versions: Vec<TlsVersion> = if name.eq_ignore_ascii_case("all") {
            all.to_vec()
        } else {
            TlsVersion::parse(name).into_iter().collect()
        };
        for v in versions {
            on.retain(|x| *x != v);
            if add {
                on.push(v);
            }
        }
    }
    on
}

/// Judges an Apache httpd configuration.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let all = directives(text)?;
    let mut out = Vec::new();
    // Every virtual host with SSLEngine on, and the server itself when it has SSLEngine on.
    let mut hosts: Vec<Option<usize>> = all
        .iter()
        .filter(|d| d.name.eq_ignore_ascii_case("SSLEngine"))
        .filter(|d| d.args.first().is_some_and(|a| a.eq_ignore_ascii_case("on")))
        .map(|d| d.vhost)
        .collect();
    hosts.dedup();
    for host in hosts {
        // The host's own setting, else the server-wide one.
        let get = |name: &str| {
            all.iter()
                .rev()
                .find(|d| d.vhost == host && d.name.eq_ignore_ascii_case(name))
                .or_else(|| {
                    all.iter()
                        .rev()
                        .find(|d| d.vhost.is_none() && d.name.eq_ignore_ascii_case(name))
                })
        };
        let where_ = host.map_or("the server".to_owned(), |l| {
            format!("<VirtualHost> of line {l}")
        });
        let line = host.unwrap_or(1);
        let versions = get("SSLProtocol").map_or_else(
            // mod_ssl's default: all -SSLv3 (TLS 1.0 and up).
            || {
                (
                    vec![
                        TlsVersion::Tls10,
                        TlsVersion::Tls11,
                        TlsVersion::Tls12,
                        TlsVersion::Tls13,
                    ],
                    None,
                )
            },
            |d| (protocols(&d.args), Some(d)),
        );
        if let Some(lowest) = versions.0.iter().min()
            && *lowest < policy.tls.client_min_version
        {
            let (how, at_line) = match versions.1 {
                Some(d) => (format!("SSLProtocol {}", d.args.join(" ")), d.line),
                None => ("SSLProtocol not set (default all -SSLv3)".to_owned(), line),
            };
            out.push(at(
                crate::rule!("TLS-VERSION-MIN"),
                format!(
                    "{where_}: {how} allows {lowest}; client connections need at least {}",
                    policy.tls.client_min_version
                ),
                at_line,
                "SSLProtocol",
            ));
        }
        for d in all.iter().filter(|d| {
            d.name.eq_ignore_ascii_case("SSLCipherSuite") && (d.vhost == host || d.vhost.is_none())
        }) {
            match d.args.as_slice() {
                [proto, spec] if proto.eq_ignore_ascii_case("TLSv1.3") => {
                    out.extend(super::tls13_suites(spec, d.line, "SSLCipherSuite", policy));
                }
                [proto, spec] if proto.eq_ignore_ascii_case("SSL") => {
                    out.extend(super::cipher_list(spec, d.line, "SSLCipherSuite", policy));
                }
                [spec] => out.extend(super::cipher_list(spec, d.line, "SSLCipherSuite", policy)),
                _ => {}
            }
        }
        let flag = |name: &str| {
            get(name)
                .and_then(|d| d.args.first())
                .map(|a| a.eq_ignore_ascii_case("on"))
        };
        if policy.web.ocsp_stapling && flag("SSLUseStapling") != Some(true) {
            out.push(at(
                crate::rule!("WEB-OCSP-STAPLING-OFF"),
                format!("{where_}: SSLUseStapling is not on (default off); this matters when its certificate names an OCSP responder"),
                get("SSLUseStapling").map_or(line, |d| d.line),
                "SSLUseStapling",
            ));
        }
        if !policy.web.session_tickets && flag("SSLSessionTickets") != Some(false) {
            out.push(at(
                crate::rule!("WEB-SESSION-TICKETS-ON"),
                format!("{where_}: SSLSessionTickets is not off (default on)"),
                get("SSLSessionTickets").map_or(line, |d| d.line),
                "SSLSessionTickets",
            ));
        }
        if flag("SSLProxyEngine") == Some(true) {
            let verify = get("SSLProxyVerify")
                .and_then(|d| d.args.first())
                .map(String::as_str);
            if !verify.is_some_and(|v| v.eq_ignore_ascii_case("require")) {
                out.push(at(
                    crate::rule!("WEB-PROXY-VERIFY-OFF"),
                    format!("{where_}: SSLProxyEngine on with SSLProxyVerify {} (default none): the backend's certificate is not checked", verify.unwrap_or("not set")),
                    get("SSLProxyVerify").map_or(line, |d| d.line),
                    "SSLProxyVerify",
                ));
            }
            if let Some(d) = get("SSLProxyCheckPeerName").filter(|d| {
                d.args
                    .first()
                    .is_some_and(|a| a.eq_ignore_ascii_case("off"))
            }) {
                out.push(at(
                    crate::rule!("WEB-PROXY-VERIFY-OFF"),
                    format!("{where_}: SSLProxyCheckPeerName off: any certificate from the backend's CA is accepted for any name"),
                    d.line,
                    "SSLProxyCheckPeerName",
                ));
            }
        }
        if get("SSLVerifyClient")
            .and_then(|d| d.args.first())
            .is_some_and(|v| {
                v.eq_ignore_ascii_case("require") || v.eq_ignore_ascii_case("optional")
            })
            && let Some(d) = get("SSLCACertificateFile").or_else(|| get("SSLCACertificatePath"))
            && let Some(path) = d.args.first()
        {
            out.extend(super::public_trust_for_clients(path, d.line, &d.name));
        }
        if policy.web.hsts {
            let header = all.iter().find(|d| {
                (d.vhost == host || d.vhost.is_none())
                    && d.name.eq_ignore_ascii_case("Header")
                    && d.args
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case("Strict-Transport-Security"))
            });
            out.extend(super::hsts_header(
                &where_,
                header.map(|h| (h.args.as_slice(), h.line)),
                line,
                "Header",
                policy,
                |words| {
                    (!words
                        .first()
                        .is_some_and(|a| a.eq_ignore_ascii_case("always")))
                    .then(|| "not sent on error responses (Header always set …)".to_owned())
                },
            ));
        }
    }
    Ok(out)
}
