//! Caddyfile: site blocks and what their `tls` directive sets (`protocols`, `ciphers`,
//! `client_auth` with its `mode` and `trusted_ca_cert_file`), Caddy's own defaults where it sets
//! nothing (TLS 1.2 and up), `reverse_proxy` transports with `tls_insecure_skip_verify`, and
//! the HSTS header a site sends — each judged by the rules nginx's equivalents are, at its line.

use super::{ConfigError, Kind, at};
use crate::endpoint::{ServerSide, Written, host_port, versions_between};
use crate::policy::Policy;
use crate::probe::Service;
use crate::protocol::TlsVersion;
use crate::report::{Finding, Location};

/// One directive: its words, its line, and the block it opens.
#[derive(Debug)]
struct Directive {
    words: Vec<String>,
    line: usize,
    block: Vec<Directive>,
}

impl Directive {
    fn name(&self) -> &str {
        self.words.first().map_or("", String::as_str)
    }

    /// This directive's block and everything nested in it, depth first.
    fn descendants(&self) -> Vec<&Directive> {
        let mut out = Vec::new();
        for d in &self.block {
            out.push(d);
            out.extend(d.descendants());
        }
        out
    }

    fn child(&self, name: &str) -> Option<&Directive> {
        self.block.iter().find(|d| d.name() == name)
    }
}

/// Reads the Caddyfile's nesting: a line ending in `{` opens a block, a line `}` closes it.
fn parse(text: &str) -> Result<Vec<Directive>, ConfigError> {
    let error = |line: usize, column: usize, expected: String| ConfigError {
        kind: Kind::Caddy,
        line,
        column,
        expected,
    };
    let mut open: Vec<Directive> = vec![Directive {
        words: Vec::new(),
        line: 0,
        block: Vec::new(),
    }];
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let mut words = super::words(raw);
        if let Some(comment) = words.iter().position(|w| w.starts_with('#')) {
            words.truncate(comment);
        }
        let Some(last) = words.last().cloned() else {
            continue;
        };
        if words.len() == 1 && last == "}" {
            let Some(done) = open.pop().filter(|_| !open.is_empty()) else {
                return Err(error(number, 1, "no block open for this } to close".into()));
            };
            if let Some(parent) = open.last_mut() {
                parent.block.push(done);
            }
            continue;
        }
        let opens = last == "{";
        if opens {
            words.pop();
        }
        let directive = Directive {
            words,
            line: number,
            block: Vec::new(),
        };
        if opens {
            open.push(directive);
        } else if let Some(parent) = open.last_mut() {
            parent.block.push(directive);
        }
    }
    if open.len() > 1 {
        let line = open.last().map_or(0, |d| d.line);
        return Err(error(
            text.lines().count().max(1),
            1,
            format!("a closing }} for the block opened at line {line}"),
        ));
    }
    Ok(open.pop().map(|top| top.block).unwrap_or_default())
}

/// Whether a site block's addresses are served over HTTPS (Caddy's automatic HTTPS: any address
/// that is not `http://` or port 80), or it sets `tls` itself.
fn serves_https(site: &Directive) -> bool {
    site.words.iter().any(|a| {
        let a = a.trim_end_matches(',');
        !a.starts_with("http://") && !a.ends_with(":80")
    }) || site.descendants().iter().any(|d| d.name() == "tls")
}

/// A `client_auth` block's `mode`, Caddy's `require_and_verify` when unset.
fn client_auth_mode(auth: &Directive) -> &str {
    auth.child("mode")
        .and_then(|m| m.words.get(1))
        .map_or("require_and_verify", String::as_str)
}

/// The sites a Caddyfile serves, as listeners: host names and ports from the site addresses
/// (443 for a bare name), the versions `protocols` allows (Caddy's TLS 1.2–1.3 where unset), the
/// certificate of `tls CERT KEY`, and `client_auth` (its `trusted_ca_cert_file`; a certificate is
/// required unless the mode is `request` or `verify_if_given`).
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let top = parse(text)?;
    let mut out = Vec::new();
    for site in top
        .iter()
        .filter(|d| !d.words.is_empty() && !d.name().starts_with('('))
    {
        let https = serves_https(site);
        let mut l = ServerSide::new(Service::Https, site.line);
        for address in &site.words {
            let address = address.trim_end_matches(',');
            let (rest, default_port) = match address.split_once("://") {
                Some(("http", rest)) => (rest, 80),
                Some((_, rest)) => (rest, 443),
                None => (address, 443),
            };
            let Some((host, port)) =
                host_port(rest.split('/').next().unwrap_or(rest), default_port)
            else {
                continue;
            };
            if !host.is_empty() && !l.names.contains(&host) {
                l.names.push(host);
            }
            if !l.ports.contains(&port) {
                l.ports.push(port);
            }
        }
        l.tls = https;
        if https {
            let nested = site.descendants();
            let tls = nested.iter().find(|d| d.name() == "tls").copied();
            let protocols = tls.and_then(|t| t.child("protocols"));
            let version = |i: usize| {
                protocols
                    .and_then(|p| p.words.get(i))
                    .and_then(|v| TlsVersion::parse(v))
            };
            l.versions = versions_between(version(1).unwrap_or(TlsVersion::Tls12), version(2));
            l.versions_at = protocols.map(|p| (p.line, "protocols".to_owned()));
            // `tls CERT KEY` names files; `tls internal` and `tls EMAIL` do not.
            l.certificate = tls.and_then(|t| {
                let cert = t.words.get(1)?;
                (t.words.len() >= 3 && !cert.contains('@')).then(|| Written {
                    value: cert.clone(),
                    line: t.line,
                    name: "tls".to_owned(),
                })
            });
            if let Some(auth) = tls.and_then(|t| t.child("client_auth")) {
                let mode = client_auth_mode(auth);
                l.client_cert_required = matches!(mode, "require" | "require_and_verify");
                l.client_ca = auth.child("trusted_ca_cert_file").and_then(|ca| {
                    Some(Written {
                        value: ca.words.get(1)?.clone(),
                        line: ca.line,
                        name: "trusted_ca_cert_file".to_owned(),
                    })
                });
            }
        }
        out.push(l);
    }
    Ok(out)
}

/// Judges a Caddyfile.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let top = parse(text)?;
    let mut out = Vec::new();
    // The global options block (`{` alone) and snippets (`(name)`) are not sites.
    let sites = top
        .iter()
        .filter(|d| !d.words.is_empty() && !d.name().starts_with('('));
    for site in sites {
        let name = site.words.join(" ");
        let nested = site.descendants();
        for d in nested
            .iter()
            .filter(|d| d.name() == "tls_insecure_skip_verify")
        {
            out.push(at(
                crate::rule!("WEB-PROXY-VERIFY-OFF"),
                format!(
                    "{name}: tls_insecure_skip_verify: the upstream's certificate is not checked"
                ),
                d.line,
                "tls_insecure_skip_verify",
            ));
        }
        if !serves_https(site) {
            continue;
        }
        let tls = nested.iter().find(|d| d.name() == "tls").copied();
        let protocols = tls.and_then(|t| t.child("protocols"));
        let lowest = protocols
            .and_then(|p| p.words.get(1))
            .and_then(|v| TlsVersion::parse(v))
            .unwrap_or(TlsVersion::Tls12);
        if lowest < policy.tls.client_min_version {
            let (line, how) = match protocols {
                Some(p) => (p.line, format!("protocols {}", p.words[1..].join(" "))),
                None => (
                    tls.map_or(site.line, |t| t.line),
                    "no protocols set: Caddy's default is tls1.2".to_owned(),
                ),
            };
            out.push(at(
                crate::rule!("TLS-VERSION-MIN"),
                format!(
                    "{name}: {how} accepts {lowest}; client connections need at least {}",
                    policy.tls.client_min_version
                ),
                line,
                "protocols",
            ));
        }
        if let Some(ciphers) = tls.and_then(|t| t.child("ciphers")) {
            for suite in &ciphers.words[1..] {
                out.extend(crate::judge::handshake::suite_findings(
                    suite,
                    None,
                    policy,
                    Location::Directive {
                        line: ciphers.line,
                        name: "ciphers".into(),
                    },
                ));
            }
        }
        if let Some(auth) = tls.and_then(|t| t.child("client_auth")) {
            let mode = client_auth_mode(auth);
            if matches!(mode, "request" | "require") {
                out.push(at(
                    crate::rule!("MTLS-CLIENT-NOT-VERIFIED"),
                    format!(
                        "{name}: client_auth mode {mode} takes any client certificate without verifying it"
                    ),
                    auth.child("mode").map_or(auth.line, |m| m.line),
                    "client_auth",
                ));
            }
            for ca in auth
                .block
                .iter()
                .filter(|d| d.name() == "trusted_ca_cert_file")
            {
                if let Some(path) = ca.words.get(1) {
                    out.extend(super::public_trust_for_clients(
                        path,
                        ca.line,
                        "trusted_ca_cert_file",
                    ));
                }
            }
        }
        if policy.web.hsts {
            let header = nested.iter().find(|d| {
                d.words
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case("Strict-Transport-Security"))
            });
            out.extend(super::hsts_header(
                &name,
                header.map(|h| (h.words.as_slice(), h.line)),
                site.line,
                "header",
                policy,
                |_| None,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_block_names_where_it_opened() {
        let err = lint(
            "example.com {\n  tls {\n    protocols tls1.3\n  }\n",
            &Policy::default(),
        )
        .unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.expected.contains("line 1"), "{err}");
        let err = lint("}\n", &Policy::default()).unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
    }

    #[test]
    fn the_default_is_tls12_and_http_sites_are_not_judged_for_tls() {
        let rules = |text: &str| -> Vec<&'static str> {
            lint(text, &Policy::default())
                .unwrap()
                .iter()
                .map(|f| f.rule)
                .collect()
        };
        let site = rules("example.com {\n  respond \"ok\"\n}\n");
        assert!(site.contains(&"TLS-VERSION-MIN"), "{site:?}");
        assert!(rules("http://example.com {\n  respond \"ok\"\n}\n").is_empty());
        let strict = rules(
            "example.com {\n  tls {\n    protocols tls1.3\n  }\n  header Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\"\n}\n",
        );
        assert!(!strict.contains(&"TLS-VERSION-MIN"), "{strict:?}");
        assert!(!strict.contains(&"WEB-HSTS-MISSING"), "{strict:?}");
    }
}
