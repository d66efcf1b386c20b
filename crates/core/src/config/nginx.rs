//! nginx configuration: tokenised as nginx does (words, quotes, `;`, blocks, `#` comments) into
//! a directive tree, then each TLS `server` block is judged with what it inherits from `http`
//! and nginx's own defaults (ssl_protocols TLSv1.2 TLSv1.3, ssl_session_tickets on,
//! ssl_stapling off, no HSTS, proxy_ssl_verify off). `include` is reported, not followed.

use super::{ConfigError, Kind, at, version_list};
use crate::endpoint::{ServerSide, Written};
use crate::judge::handshake::suite_findings;
use crate::policy::Policy;
use crate::probe::Service;
use crate::protocol::TlsVersion;
use crate::report::{Finding, Location};

/// One directive, with its block when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Directive {
    pub(super) name: String,
    pub(super) args: Vec<String>,
    pub(super) line: usize,
    pub(super) block: Option<Vec<Directive>>,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Semicolon,
    Open,
    Close,
}

fn error(line: usize, column: usize, expected: impl Into<String>) -> ConfigError {
    ConfigError {
        kind: Kind::Nginx,
        line,
        column,
        expected: expected.into(),
    }
}

/// Tokens with their (line, column).
fn tokenise(text: &str) -> Result<Vec<(Token, usize, usize)>, ConfigError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let (mut line, mut column) = (1, 0);
    let advance = |c: char, line: &mut usize, column: &mut usize| {
        if c == '\n' {
            *line += 1;
            *column = 0;
        } else {
            *column += 1;
        }
    };
    while let Some(c) = chars.next() {
        advance(c, &mut line, &mut column);
        match c {
            c if c.is_whitespace() => {}
            '#' => {
                while let Some(&n) = chars.peek() {
                    if n == '\n' {
                        break;
                    }
                    chars.next();
                    advance(n, &mut line, &mut column);
                }
            }
            ';' => out.push((Token::Semicolon, line, column)),
            '{' => out.push((Token::Open, line, column)),
            '}' => out.push((Token::Close, line, column)),
            '"' | '\'' => {
                let (start_line, start_col) = (line, column);
                let mut word = String::new();
                let mut closed = false;
                while let Some(n) = chars.next() {
                    advance(n, &mut line, &mut column);
                    match n {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                advance(e, &mut line, &mut column);
                                word.push(e);
                            }
                        }
                        q if q == c => {
                            closed = true;
                            break;
                        }
                        other => word.push(other),
                    }
                }
                if !closed {
                    return Err(error(start_line, start_col, format!("a closing {c}")));
                }
                out.push((Token::Word(word), start_line, start_col));
            }
            _ => {
                let (start_line, start_col) = (line, column);
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, ';' | '{' | '}') {
                        break;
                    }
                    chars.next();
                    advance(n, &mut line, &mut column);
                    word.push(n);
                }
                out.push((Token::Word(word), start_line, start_col));
            }
        }
    }
    Ok(out)
}

/// Parses the directive tree.
pub(super) fn parse(text: &str) -> Result<Vec<Directive>, ConfigError> {
    let tokens = tokenise(text)?;
    let mut pos = 0;
    let top = block(&tokens, &mut pos, 0)?;
    Ok(top)
}

fn block(
    tokens: &[(Token, usize, usize)],
    pos: &mut usize,
    depth: usize,
) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
    if depth > 64 {
        let (_, l, c) = &tokens[(*pos).min(tokens.len().saturating_sub(1))];
        return Err(error(*l, *c, "blocks nested at most 64 deep"));
    }
    loop {
        let Some((token, line, column)) = tokens.get(*pos) else {
            if depth > 0 {
                let (l, c) = tokens.last().map_or((1, 1), |(_, l, c)| (*l, *c));
                return Err(error(l, c, "`}` to close the block"));
            }
            return Ok(out);
        };
        *pos += 1;
        match token {
            Token::Close if depth > 0 => return Ok(out),
            Token::Close => {
                return Err(error(
                    *line,
                    *column,
                    "a directive, found `}` without a block to close",
                ));
            }
            Token::Semicolon | Token::Open => {
                return Err(error(*line, *column, "a directive name"));
            }
            Token::Word(name) => {
                let mut args = Vec::new();
                loop {
                    match tokens.get(*pos) {
                        Some((Token::Word(w), _, _)) => {
                            args.push(w.clone());
                            *pos += 1;
                        }
                        Some((Token::Semicolon, _, _)) => {
                            *pos += 1;
                            out.push(Directive {
                                name: name.clone(),
                                args,
                                line: *line,
                                block: None,
                            });
                            break;
                        }
                        Some((Token::Open, _, _)) => {
                            *pos += 1;
                            let inner = block(tokens, pos, depth + 1)?;
                            out.push(Directive {
                                name: name.clone(),
                                args,
                                line: *line,
                                block: Some(inner),
                            });
                            break;
                        }
                        Some((Token::Close, l, c)) => {
                            return Err(error(*l, *c, format!("`;` after the `{name}` directive")));
                        }
                        None => {
                            let (l, c) =
                                tokens.last().map_or((*line, *column), |(_, l, c)| (*l, *c));
                            return Err(error(l, c, format!("`;` after the `{name}` directive")));
                        }
                    }
                }
            }
        }
    }
}

/// Settings that inherit from `http` into `server` (the last one at the nearest level wins).
#[derive(Debug, Clone, Default)]
struct Inherited<'a> {
    protocols: Option<&'a Directive>,
    ciphers: Option<&'a Directive>,
    conf_ciphersuites: Option<&'a Directive>,
    stapling: Option<&'a Directive>,
    tickets: Option<&'a Directive>,
    headers: Vec<&'a Directive>,
    proxy_verify: Option<&'a Directive>,
    client_ca: Option<&'a Directive>,
    verify_client: Option<&'a Directive>,
    certificate: Option<&'a Directive>,
}

impl<'a> Inherited<'a> {
    fn apply(&self, block: &'a [Directive]) -> Self {
        let mut s = self.clone();
        let own_headers: Vec<&Directive> =
            block.iter().filter(|d| d.name == "add_header").collect();
        if !own_headers.is_empty() {
            s.headers = own_headers; // add_header at a level replaces all inherited ones
        }
        for d in block {
            match d.name.as_str() {
                "ssl_protocols" => s.protocols = Some(d),
                "ssl_ciphers" => s.ciphers = Some(d),
                "ssl_conf_command"
                    if d.args
                        .first()
                        .is_some_and(|a| a.eq_ignore_ascii_case("Ciphersuites")) =>
                {
                    s.conf_ciphersuites = Some(d);
                }
                "ssl_stapling" => s.stapling = Some(d),
                "ssl_session_tickets" => s.tickets = Some(d),
                "proxy_ssl_verify" => s.proxy_verify = Some(d),
                "ssl_client_certificate" | "ssl_trusted_certificate" => s.client_ca = Some(d),
                "ssl_verify_client" => s.verify_client = Some(d),
                // The first ssl_certificate of a level is the one the graph follows.
                "ssl_certificate" if s.certificate.is_none_or(|c| c.line > d.line) => {
                    s.certificate = Some(d);
                }
                _ => {}
            }
        }
        s
    }
}

/// Judges an nginx configuration.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let tree = parse(text)?;
    let mut out = Vec::new();
    includes(&tree, &mut out);
    for (server, settings) in servers(&tree) {
        let body = server.block.as_deref().unwrap_or_default();
        if is_tls(body) {
            judge_server(server, body, &settings, policy, &mut out);
        }
    }
    // A directive inherited from `http` by several servers is one finding, not one per server.
    let mut unique: Vec<Finding> = Vec::with_capacity(out.len());
    for f in out {
        if !unique
            .iter()
            .any(|g| g.rule == f.rule && g.location == f.location && g.evidence == f.evidence)
        {
            unique.push(f);
        }
    }
    Ok(unique)
}

/// Every `server` block (top level or in `http`) with what it inherits.
fn servers(tree: &[Directive]) -> Vec<(&Directive, Inherited<'_>)> {
    let root = Inherited::default().apply(tree);
    let mut servers = Vec::new();
    for d in tree {
        match (d.name.as_str(), &d.block) {
            ("http", Some(body)) => {
                let http = root.apply(body);
                for s in body {
                    if let ("server", Some(sb)) = (s.name.as_str(), &s.block) {
                        servers.push((s, http.apply(sb)));
                    }
                }
            }
            ("server", Some(sb)) => servers.push((d, root.apply(sb))),
            _ => {}
        }
    }
    servers
}

/// The listeners of every `server` block, for the graph: ports (TLS ones when any listen with
/// `ssl`), `server_name`s, `ssl_protocols` (nginx's default TLSv1.2 TLSv1.3), the certificate
/// and `ssl_verify_client on`.
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let tree = parse(text)?;
    let mut out = Vec::new();
    for (server, s) in servers(&tree) {
        let body = server.block.as_deref().unwrap_or_default();
        let mut l = ServerSide::new(Service::Https, server.line);
        l.tls = is_tls(body);
        // The old `ssl on;` makes every listen TLS; otherwise only those marked `ssl` are.
        let ssl_on = body
            .iter()
            .any(|d| d.name == "ssl" && d.args.first().is_some_and(|a| a == "on"));
        for d in body.iter().filter(|d| d.name == "listen") {
            let ssl = ssl_on || d.args.iter().any(|a| a == "ssl");
            let port = d.args.first().and_then(|a| listen_port(a));
            if let Some(port) = port.filter(|_| ssl || !l.tls) {
                l.ports.push(port);
            }
        }
        if !body.iter().any(|d| d.name == "listen") {
            l.ports.push(if l.tls { 443 } else { 80 });
        }
        l.names = body
            .iter()
            .filter(|d| d.name == "server_name")
            .flat_map(|d| d.args.iter())
            .filter(|n| !n.is_empty() && *n != "_")
            .map(|n| n.to_ascii_lowercase())
            .collect();
        l.versions = match s.protocols {
            Some(d) => crate::endpoint::versions_in(&d.args.join(" ")),
            None => vec![TlsVersion::Tls12, TlsVersion::Tls13],
        };
        l.versions_at = s.protocols.map(|d| (d.line, d.name.clone()));
        let written = |d: &Directive| Written {
            value: d.args.join(" "),
            line: d.line,
            name: d.name.clone(),
        };
        l.certificate = s.certificate.map(written);
        l.client_ca = s.client_ca.map(written);
        l.client_cert_required = s
            .verify_client
            .is_some_and(|d| d.args.first().is_some_and(|a| a == "on"));
        out.push(l);
    }
    Ok(out)
}

/// The port of a `listen` address (`443`, `0.0.0.0:443`, `[::]:443`); `None` for `unix:`.
fn listen_port(address: &str) -> Option<u16> {
    if address.starts_with("unix:") {
        return None;
    }
    let port = address.rsplit(':').next().unwrap_or(address);
    port.parse().ok().or_else(|| {
        // A bare address listens on port 80.
        (!address.contains(':') || address.ends_with(']')).then_some(80)
    })
}

fn includes(tree: &[Directive], out: &mut Vec<Finding>) {
    for d in tree {
        if d.name == "include" {
            let target = d.args.join(" ");
            if !target.ends_with("mime.types") {
                out.push(at(
                    crate::rule!("CONFIG-INCLUDE-NOT-FOLLOWED"),
                    format!("include {target} was not read"),
                    d.line,
                    "include",
                ));
            }
        }
        if let Some(b) = &d.block {
            includes(b, out);
        }
    }
}

/// A server block terminates TLS when it listens with `ssl` or has a certificate.
fn is_tls(body: &[Directive]) -> bool {
    body.iter().any(|d| {
        (d.name == "listen" && d.args.iter().any(|a| a == "ssl" || a == "quic"))
            || d.name == "ssl_certificate"
            || (d.name == "ssl" && d.args.first().is_some_and(|a| a == "on"))
    })
}

fn judge_server(
    server: &Directive,
    body: &[Directive],
    s: &Inherited<'_>,
    policy: &Policy,
    out: &mut Vec<Finding>,
) {
    let name = body
        .iter()
        .find(|d| d.name == "server_name")
        .and_then(|d| d.args.first())
        .map_or_else(
            || format!("server (line {})", server.line),
            |n| format!("server {n}"),
        );
    let min = policy.tls.client_min_version;
    // Versions.
    let versions: Vec<TlsVersion> = match s.protocols {
        Some(d) => {
            out.extend(version_list(
                &d.args.join(" "),
                min,
                d.line,
                "ssl_protocols",
                "client",
            ));
            d.args.iter().filter_map(|a| TlsVersion::parse(a)).collect()
        }
        None => {
            if TlsVersion::Tls12 < min {
                out.push(at(
                    crate::rule!("TLS-VERSION-MIN"),
                    format!("{name} has no ssl_protocols: nginx defaults to TLSv1.2 TLSv1.3; client connections need at least {min}"),
                    server.line,
                    "ssl_protocols",
                ));
            }
            vec![TlsVersion::Tls12, TlsVersion::Tls13]
        }
    };
    // TLS 1.2-and-older suites matter only when such versions are enabled.
    if versions.iter().any(|v| *v < TlsVersion::Tls13)
        && let Some(d) = s.ciphers
    {
        out.extend(cipher_string(d, policy));
    }
    if let Some(d) = s.conf_ciphersuites {
        for suite in d.args.get(1).map(|a| a.split(':')).into_iter().flatten() {
            out.extend(suite_findings(
                suite,
                Some(TlsVersion::Tls13),
                policy,
                Location::Directive {
                    line: d.line,
                    name: "ssl_conf_command Ciphersuites".into(),
                },
            ));
        }
    }
    if let Some(d) = s
        .verify_client
        .filter(|d| d.args.first().is_some_and(|a| a == "optional_no_ca"))
    {
        out.push(at(
            crate::rule!("MTLS-CLIENT-NOT-VERIFIED"),
            format!("{name}: ssl_verify_client optional_no_ca takes a client certificate without verifying it"),
            d.line,
            "ssl_verify_client",
        ));
    }
    let verifies_clients = s
        .verify_client
        .and_then(|d| d.args.first())
        .is_some_and(|a| a != "off" && a != "optional_no_ca");
    if verifies_clients
        && let Some(ca) = s.client_ca
        && let Some(path) = ca.args.first()
        && let Some(f) = super::public_trust_for_clients(path, ca.line, &ca.name)
    {
        out.push(f);
    }
    let flag = |d: Option<&Directive>| d.and_then(|d| d.args.first()).map(|a| a == "on");
    if policy.web.ocsp_stapling && flag(s.stapling) != Some(true) {
        let line = s.stapling.map_or(server.line, |d| d.line);
        out.push(at(
            crate::rule!("WEB-OCSP-STAPLING-OFF"),
            format!("{name}: ssl_stapling is not on (default off); this matters when its certificate names an OCSP responder, which Let's Encrypt's no longer do"),
            line,
            "ssl_stapling",
        ));
    }
    if !policy.web.session_tickets && flag(s.tickets) != Some(false) {
        let line = s.tickets.map_or(server.line, |d| d.line);
        let how = if s.tickets.is_some() {
            "ssl_session_tickets on"
        } else {
            "ssl_session_tickets not set (default on)"
        };
        out.push(at(
            crate::rule!("WEB-SESSION-TICKETS-ON"),
            format!("{name}: {how}"),
            line,
            "ssl_session_tickets",
        ));
    }
    if policy.web.hsts {
        hsts(&name, server.line, &s.headers, policy, out);
    }
    proxy(body, s, out);
}

fn hsts(
    name: &str,
    server_line: usize,
    headers: &[&Directive],
    policy: &Policy,
    out: &mut Vec<Finding>,
) {
    let Some(d) = headers.iter().find(|d| {
        d.args
            .first()
            .is_some_and(|h| h.eq_ignore_ascii_case("Strict-Transport-Security"))
    }) else {
        out.push(at(
            crate::rule!("WEB-HSTS-MISSING"),
            format!("{name} sends no Strict-Transport-Security header"),
            server_line,
            "add_header",
        ));
        return;
    };
    let value = d.args.get(1).cloned().unwrap_or_default();
    let mut weak = crate::judge::web::hsts_weaknesses(&value, policy);
    if !d.args.iter().any(|a| a == "always") {
        weak.push("not sent on error responses (add `always`)".into());
    }
    if !weak.is_empty() {
        out.push(at(
            crate::rule!("WEB-HSTS-WEAK"),
            format!("{name}: \"{value}\": {}", weak.join(", ")),
            d.line,
            "add_header",
        ));
    }
}

/// proxy_pass to https:// without proxy_ssl_verify on, in the server or any location.
fn proxy(body: &[Directive], inherited: &Inherited<'_>, out: &mut Vec<Finding>) {
    let settings = inherited.apply(body);
    for d in body {
        if d.name == "proxy_pass" && d.args.first().is_some_and(|u| u.starts_with("https://")) {
            let on = settings
                .proxy_verify
                .and_then(|v| v.args.first())
                .is_some_and(|a| a == "on");
            if !on {
                out.push(at(
                    crate::rule!("WEB-PROXY-VERIFY-OFF"),
                    format!(
                        "proxy_pass {} without proxy_ssl_verify on (default off)",
                        d.args[0]
                    ),
                    d.line,
                    "proxy_pass",
                ));
            }
        }
        if let (true, Some(b)) = (d.name == "location", &d.block) {
            proxy(b, &settings, out);
        }
    }
}

/// Judges `ssl_ciphers`, expanded as OpenSSL expands it.
fn cipher_string(d: &Directive, policy: &Policy) -> Vec<Finding> {
    super::cipher_list(&d.args.join(":"), d.line, "ssl_ciphers", policy)
}
