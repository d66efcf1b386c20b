//! The graph of a repository's TLS connections: each client a file names (a connection string,
//! an `https://` URL in code) is linked to the server configurations that serve its host and
//! port, the certificate files both sides name, and — when the agent probed it — what that host
//! actually serves; then the two ends are judged together (a client that verifies against
//! `ca.pem` and a server whose certificate does not chain to it; a client that pins TLS 1.3 and
//! a server that allows 1.2; a configuration that is not what runs). One pure function over
//! facts: the agent and the page gather the facts from their files, the agent adds probes.

use serde::Serialize;

use crate::chain::{self, PeerName, Purpose, TrustAnchor};
use crate::config;
use crate::connection;
use crate::decode;
use crate::endpoint::{ClientSide, ClientTls, ServerSide, Written};
use crate::policy::Policy;
use crate::probe::{ProbeReport, Service};
use crate::protocol::TlsVersion;
use crate::report::{Finding, Location};
use crate::rules::{RuleId, Severity};
use crate::timestamp::Timestamp;

/// A server configuration's listener and the file it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    /// The file.
    pub file: String,
    /// Its dialect.
    pub kind: config::Kind,
    /// The listener.
    pub listener: ServerSide,
}

/// A file of certificates (a CA file, a server's certificate and chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFile {
    /// The file.
    pub path: String,
    /// Its certificates, DER, in file order.
    pub certificates: Vec<Vec<u8>>,
}

/// Everything the inputs say about connections, gathered file by file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Every client found.
    pub clients: Vec<ClientSide>,
    /// Every server listener found.
    pub servers: Vec<Server>,
    /// Every certificate file.
    pub certificates: Vec<CertificateFile>,
    /// pg_hba.conf files whose every TCP line requires a client certificate: (path, line,
    /// the line as written). The PostgreSQL servers of the same directory then require one.
    pub hba_client_cert: Vec<(String, usize, String)>,
}

impl Facts {
    /// Adds what the file `path` holds: certificates, a configuration's listeners, or
    /// connection strings and `https://` URLs (one per line, `.env` lines too). A file that
    /// reads as none of these adds nothing (`lint` reports why).
    pub fn add_file(&mut self, path: &str, bytes: &[u8]) {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) if !decode::looks_like_pem(bytes) => t,
            _ => {
                if let Ok(d) = decode::decode(bytes) {
                    let certificates: Vec<Vec<u8>> =
                        d.certificates().map(|c| c.der.clone()).collect();
                    if !certificates.is_empty() {
                        self.certificates.push(CertificateFile {
                            path: path.to_owned(),
                            certificates,
                        });
                    }
                }
                return;
            }
        };
        let name = path.rsplit(['/', '\\']).next();
        if let Some(kind) = config::recognise(name, text) {
            if kind == config::Kind::PgHba
                && let Some((line, written)) = config::hba_requires_client_cert(text)
            {
                self.hba_client_cert.push((path.to_owned(), line, written));
            }
            for listener in config::listeners(kind, text).unwrap_or_default() {
                self.servers.push(Server {
                    file: path.to_owned(),
                    kind,
                    listener,
                });
            }
            return;
        }
        for (n, raw) in text.lines().enumerate() {
            let body = raw.trim();
            let value = crate::lint::env_value(body).unwrap_or(body);
            self.add_string(value, path, n + 1);
        }
    }

    /// Adds the clients a source file's literals name (the settings of `tlscope-source`),
    /// with what the file's TLS options do to them: `rejectUnauthorized: false` and its kin
    /// make every client of the file accept any certificate, a host-name check turned off
    /// leaves the chain check, and a minimum version applies to the file's clients that set
    /// none of their own. (Which object literal an option sits in is not followed.)
    pub fn add_code(&mut self, file: &str, settings: &[crate::code::Setting]) {
        use crate::code::SettingKind;
        let first = self.clients.len();
        for s in settings {
            if let SettingKind::Endpoint(text) = &s.kind {
                self.add_string(text, file, s.line);
            }
        }
        for s in settings {
            for c in &mut self.clients[first..] {
                match &s.kind {
                    SettingKind::VerifyOff if c.tls > ClientTls::Encrypt => {
                        c.tls = ClientTls::Encrypt;
                        c.tls_key = Some(s.symbol.clone());
                    }
                    SettingKind::HostnameOff if c.tls > ClientTls::VerifyChain => {
                        c.tls = ClientTls::VerifyChain;
                        c.tls_key = Some(s.symbol.clone());
                    }
                    SettingKind::MinVersion(v) if c.min_version.is_none() => {
                        c.min_version = Some(Written {
                            value: *v,
                            line: s.line,
                            name: s.symbol.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
    }

    /// Adds the client a string written in `file` at `line` names, if it is a connection
    /// string or an `https://` URL.
    pub fn add_string(&mut self, text: &str, file: &str, line: usize) {
        let client = match connection::parse(text) {
            Ok(c) => ClientSide::of_connection(&c, file, line),
            Err(_) => ClientSide::of_url(text, file, line),
        };
        self.clients.extend(client);
    }

    /// The endpoints a probe should visit: each client's host and port that expects TLS, once.
    pub fn endpoints(&self) -> Vec<(Service, String, u16)> {
        let mut out: Vec<(Service, String, u16)> = Vec::new();
        for c in self.clients.iter().filter(|c| c.tls >= ClientTls::Optional) {
            let e = (c.service, c.host.clone(), c.port);
            if !out.contains(&e) {
                out.push(e);
            }
        }
        out
    }
}

/// A probe's report for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    /// The host probed, as the client names it.
    pub host: String,
    /// The port.
    pub port: u16,
    /// What the probe saw.
    pub report: ProbeReport,
}

/// A server configuration a client was linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerRef {
    /// The configuration file.
    pub file: String,
    /// Its dialect.
    pub kind: config::Kind,
    /// The line of the listener (the `server` block; 1 for whole-file servers).
    pub line: usize,
    /// `name and port` when the configuration names the client's host, `port` when it names
    /// no host at all (database servers).
    pub matched_by: String,
}

/// What the probe saw at the client's endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Served {
    /// The address connected to.
    pub address: String,
    /// The versions it accepted, oldest first.
    pub versions: Vec<TlsVersion>,
    /// The leaf certificate's name, when one was served.
    pub leaf: Option<String>,
    /// Why the probe could not finish, if it could not.
    pub error: Option<String>,
}

/// One client with everything it was linked to, judged together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The client.
    pub client: ClientSide,
    /// The server configurations that serve its host and port.
    pub servers: Vec<ServerRef>,
    /// What the endpoint served, when it was probed.
    pub served: Option<Served>,
    /// Files the two ends name that are not among the inputs, so a check could not be made.
    pub unresolved: Vec<String>,
    /// Every finding about the pair, most severe first.
    pub findings: Vec<Finding>,
}

impl Link {
    /// One line for people: the client, the configurations it was linked to, what was served.
    pub fn summary(&self) -> String {
        let c = &self.client;
        let mut out = format!("{} ({}:{}) → ", c.shown, c.file, c.line);
        if self.servers.is_empty() {
            out.push_str("no server configuration among the inputs");
        } else {
            let servers: Vec<String> = self
                .servers
                .iter()
                .map(|s| {
                    format!(
                        "{}:{} ({}, by {})",
                        s.file,
                        s.line,
                        s.kind.label(),
                        s.matched_by
                    )
                })
                .collect();
            out.push_str(&servers.join(", "));
        }
        if let Some(s) = &self.served {
            match (&s.error, s.versions.is_empty()) {
                (Some(e), true) => out.push_str(&format!("; the probe failed: {e}")),
                _ => out.push_str(&format!(
                    "; {} serves {}{}",
                    s.address,
                    list(&s.versions),
                    s.leaf
                        .as_ref()
                        .map_or_else(String::new, |l| format!(" with {l}"))
                )),
            }
        }
        out
    }
}

impl Facts {
    /// The pg_hba.conf of `server`'s directory that requires client certificates on every TCP
    /// line, as `path:line (`line`)`, when `server` is a PostgreSQL one.
    fn hba_for(&self, server: &Server) -> Option<String> {
        let dir = |p: &str| p.rsplit_once(['/', '\\']).map_or("", |(d, _)| d).to_owned();
        (server.kind == config::Kind::PostgresqlConf)
            .then(|| {
                self.hba_client_cert
                    .iter()
                    .find(|(p, _, _)| dir(p) == dir(&server.file))
            })
            .flatten()
            .map(|(path, line, written)| format!("{path}:{line} (`{written}`)"))
    }

    /// `server` with what a pg_hba.conf of its directory adds: a PostgreSQL server whose every
    /// TCP line requires a client certificate requires one.
    fn with_hba(&self, server: &Server) -> Server {
        let mut s = server.clone();
        if self.hba_for(server).is_some() {
            s.listener.client_cert_required = true;
        }
        s
    }
}

/// Links every client of `facts` to its servers and probes and judges each link under
/// `policy` at `now`, chains verified with `backend` (`None`: RustCrypto).
pub fn link(
    facts: &Facts,
    probes: &[Probed],
    policy: &Policy,
    now: Timestamp,
    backend: Option<crate::signature::Backend>,
) -> Vec<Link> {
    let judge = Judge {
        facts,
        policy,
        now,
        backend,
    };
    let effective: Vec<Server> = facts.servers.iter().map(|s| facts.with_hba(s)).collect();
    facts
        .clients
        .iter()
        .map(|client| {
            let servers: Vec<(&Server, &'static str)> = effective
                .iter()
                .filter_map(|s| serves(&s.listener, client).map(|how| (s, how)))
                .collect();
            let probed = probes
                .iter()
                .find(|p| p.host == client.host && p.port == client.port);
            let mut link = Link {
                client: client.clone(),
                servers: servers
                    .iter()
                    .map(|(s, how)| ServerRef {
                        file: s.file.clone(),
                        kind: s.kind,
                        line: s.listener.line,
                        matched_by: (*how).to_owned(),
                    })
                    .collect(),
                served: probed.map(|p| served(&p.report)),
                unresolved: Vec::new(),
                findings: Vec::new(),
            };
            for (server, _) in &servers {
                judge.configured(client, server, &mut link);
            }
            if let Some(p) = probed {
                judge.probed(client, &servers, &p.report, &mut link);
            }
            link.unresolved.dedup();
            link.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
            link
        })
        .collect()
}

/// Whether `listener` serves `client`, and by what.
fn serves(listener: &ServerSide, client: &ClientSide) -> Option<&'static str> {
    let service = match listener.service {
        Service::Https | Service::Tls => matches!(client.service, Service::Https | Service::Tls),
        s => s == client.service,
    };
    if !service || !listener.ports.contains(&client.port) {
        return None;
    }
    if listener.names.is_empty() {
        return Some("port");
    }
    listener
        .names
        .iter()
        .any(|n| name_matches(n, &client.host))
        .then_some("name and port")
}

/// nginx-style server names: exact, `*.example.com`, `.example.com` (the name and its
/// subdomains). Regular expressions (`~…`) match nothing here.
fn name_matches(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    if let Some(suffix) = p.strip_prefix("*.") {
        h.strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1)
    } else if let Some(base) = p.strip_prefix('.') {
        h == base || h.ends_with(&p)
    } else {
        p == h
    }
}

fn served(r: &ProbeReport) -> Served {
    Served {
        address: r.address.clone(),
        versions: accepted(r),
        leaf: r
            .chain
            .first()
            .and_then(|der| crate::certificate::Certificate::from_der(der).ok())
            .map(|c| c.display_name()),
        error: r.error.clone(),
    }
}

fn accepted(r: &ProbeReport) -> Vec<TlsVersion> {
    r.versions
        .iter()
        .filter(|v| v.accepted)
        .map(|v| v.version)
        .collect()
}

struct Judge<'a> {
    facts: &'a Facts,
    policy: &'a Policy,
    now: Timestamp,
    backend: Option<crate::signature::Backend>,
}

/// A finding at a line of a file.
fn at(id: RuleId, evidence: String, path: &str, line: usize, name: &str) -> Finding {
    Finding::new(
        id,
        evidence,
        Location::File {
            path: path.to_owned(),
            line,
            name: name.to_owned(),
        },
    )
}

fn list(versions: &[TlsVersion]) -> String {
    if versions.is_empty() {
        return "no version".into();
    }
    versions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Judge<'_> {
    /// The client against one server configuration.
    fn configured(&self, c: &ClientSide, s: &Server, link: &mut Link) {
        let l = &s.listener;
        let endpoint = format!("{}:{}", c.host, c.port);
        let where_ = format!("{}:{}", s.file, l.line);
        let tls_key = c.tls_key.as_deref().unwrap_or("tls");
        if c.tls < ClientTls::Encrypt {
            return;
        }
        if !l.tls {
            link.findings.push(at(
                crate::rule!("LINK-TLS-UNAVAILABLE"),
                format!(
                    "{} requires TLS ({tls_key}) to {endpoint}, but {where_} serves it without TLS: the connection fails",
                    c.shown
                ),
                &c.file,
                c.line,
                tls_key,
            ));
            return;
        }
        let (server_at, server_name) = versions_where(s);
        let common: Vec<TlsVersion> = c
            .versions()
            .into_iter()
            .filter(|v| l.versions.contains(v))
            .collect();
        if common.is_empty() {
            link.findings.push(at(
                crate::rule!("LINK-VERSION-NONE"),
                format!(
                    "the client accepts {}; {where_} allows {}: no version in common, the handshake fails",
                    list(&c.versions()),
                    list(&l.versions)
                ),
                &c.file,
                c.line,
                c.min_version.as_ref().map_or(tls_key, |w| w.name.as_str()),
            ));
        } else if let Some(min) = &c.min_version {
            let below: Vec<TlsVersion> = l
                .versions
                .iter()
                .copied()
                .filter(|v| *v < min.value)
                .collect();
            if !below.is_empty() {
                link.findings.push(at(
                    crate::rule!("LINK-SERVER-WEAKER"),
                    format!(
                        "{}:{} requires {} at least ({}), but {server_name} here allows {} as well: raise the server's minimum to match its clients",
                        c.file,
                        c.line,
                        min.value,
                        min.name,
                        list(&below)
                    ),
                    &s.file,
                    server_at,
                    &server_name,
                ));
            }
        }
        if l.client_cert_required && c.client_cert.is_none() {
            let by = self
                .facts
                .hba_for(s)
                .map_or_else(String::new, |hba| format!(" by {hba}"));
            link.findings.push(at(
                crate::rule!("LINK-CLIENT-CERT-MISSING"),
                format!(
                    "{where_} requires a client certificate{by}, and {} sends none: the handshake fails",
                    c.shown
                ),
                &c.file,
                c.line,
                tls_key,
            ));
        }
        if c.tls >= ClientTls::VerifyChain
            && let Some(ca) = &c.ca_file
            && let Some(cert) = &l.certificate
        {
            let anchors = self.anchors(c, ca, link);
            let chain = self.file(cert, &s.file, link);
            if let (Some(anchors), Some(chain)) = (anchors, chain) {
                let what = format!("{} ({} at {}:{})", chain.path, cert.name, s.file, cert.line);
                self.trust(c, ca, &anchors, &chain.certificates, &what, link);
            }
        }
    }

    /// The client against what its endpoint served, and each configuration against it too.
    fn probed(
        &self,
        c: &ClientSide,
        servers: &[(&Server, &str)],
        r: &ProbeReport,
        link: &mut Link,
    ) {
        if r.error.is_some() && r.versions.iter().all(|v| !v.accepted) {
            return;
        }
        let endpoint = format!("{}:{}", c.host, c.port);
        let served = accepted(r);
        let tls_key = c.tls_key.as_deref().unwrap_or("tls");
        if c.tls >= ClientTls::Encrypt {
            if served.is_empty() {
                link.findings.push(at(
                    crate::rule!("LINK-TLS-UNAVAILABLE"),
                    format!(
                        "{endpoint} completed no TLS handshake, and {} requires TLS",
                        c.shown
                    ),
                    &c.file,
                    c.line,
                    tls_key,
                ));
            } else if !c.versions().iter().any(|v| served.contains(v)) {
                link.findings.push(at(
                    crate::rule!("LINK-VERSION-NONE"),
                    format!(
                        "the client accepts {}; {endpoint} accepts {}: no version in common",
                        list(&c.versions()),
                        list(&served)
                    ),
                    &c.file,
                    c.line,
                    c.min_version.as_ref().map_or(tls_key, |w| w.name.as_str()),
                ));
            }
        }
        for (s, _) in servers.iter().filter(|(s, _)| s.listener.tls) {
            let l = &s.listener;
            let (line, name) = versions_where(s);
            if !served.is_empty() && served != l.versions {
                link.findings.push(at(
                    crate::rule!("LINK-CONFIG-DRIFT"),
                    format!(
                        "{} allows {}; {endpoint} accepts {}",
                        s.file,
                        list(&l.versions),
                        list(&served)
                    ),
                    &s.file,
                    line,
                    &name,
                ));
            }
            if let (Some(cert), Some(leaf)) = (&l.certificate, r.chain.first())
                && let Some(file) = resolve(&cert.value, &s.file, &self.facts.certificates)
                && file.certificates.first() != Some(leaf)
            {
                link.findings.push(at(
                    crate::rule!("LINK-CONFIG-DRIFT"),
                    format!(
                        "{endpoint} serves {}, not the certificate of {} ({})",
                        served_name(leaf),
                        file.path,
                        cert.name
                    ),
                    &s.file,
                    cert.line,
                    &cert.name,
                ));
            }
        }
        if c.tls >= ClientTls::VerifyChain
            && let Some(ca) = &c.ca_file
            && !r.chain.is_empty()
            && let Some(anchors) = self.anchors(c, ca, link)
        {
            let what = format!("the chain {endpoint} serves");
            self.trust(c, ca, &anchors, &r.chain, &what, link);
        }
    }

    fn file<'f>(
        &'f self,
        w: &Written<String>,
        from: &str,
        link: &mut Link,
    ) -> Option<&'f CertificateFile> {
        let found = resolve(&w.value, from, &self.facts.certificates);
        if found.is_none() {
            link.unresolved.push(format!(
                "{} {} ({from}:{}) is not among the inputs",
                w.name, w.value, w.line
            ));
        }
        found
    }

    fn anchors(
        &self,
        c: &ClientSide,
        ca: &Written<String>,
        link: &mut Link,
    ) -> Option<Vec<TrustAnchor>> {
        let file = self.file(ca, &c.file, link)?;
        let anchors: Vec<TrustAnchor> = file
            .certificates
            .iter()
            .filter_map(|der| TrustAnchor::from_certificate(der).ok())
            .collect();
        (!anchors.is_empty()).then_some(anchors)
    }

    /// LINK-CA-MISMATCH or LINK-NAME-MISMATCH when `chain` (described as `what`) does not
    /// validate for the client against its CA file.
    fn trust(
        &self,
        c: &ClientSide,
        ca: &Written<String>,
        anchors: &[TrustAnchor],
        chain: &[Vec<u8>],
        what: &str,
        link: &mut Link,
    ) {
        let full = c.tls >= ClientTls::VerifyFull;
        let options = chain::Options {
            now: self.now,
            purpose: Purpose::ServerAuth,
            peer_names: if full {
                vec![PeerName::host(&c.host)]
            } else {
                Vec::new()
            },
            rsa_min_bits: Some(self.policy.keys.rsa_min_bits),
            backend: self.backend,
            ..chain::Options::default()
        };
        let report = chain::validate(chain, chain::leaf_index(chain), anchors, &options);
        if report.valid {
            return;
        }
        let critical: Vec<&Finding> = report
            .problems
            .iter()
            .filter(|f| f.severity == Severity::Critical)
            .collect();
        let anchored = report.best_path().is_some_and(|p| p.anchored);
        let name_only = anchored
            && !critical.is_empty()
            && critical
                .iter()
                .all(|f| f.rule == crate::rule!("HOST-MISMATCH"));
        let why = critical
            .first()
            .map_or_else(String::new, |f| format!(": {}", f.evidence));
        let (id, evidence) = if name_only {
            (
                crate::rule!("LINK-NAME-MISMATCH"),
                format!(
                    "{what} chains to {} but does not name {}{why}",
                    ca.value, c.host
                ),
            )
        } else {
            (
                crate::rule!("LINK-CA-MISMATCH"),
                format!("{what} does not chain to {} ({}){why}", ca.value, ca.name),
            )
        };
        link.findings
            .push(at(id, evidence, &c.file, ca.line, &ca.name));
    }
}

fn served_name(der: &[u8]) -> String {
    crate::certificate::Certificate::from_der(der).map_or_else(
        |_| "a certificate tlscope cannot read".into(),
        |c| c.display_name(),
    )
}

/// Where a server's versions are set: the line and directive, or the listener's line and the
/// directive whose default applies.
fn versions_where(s: &Server) -> (usize, String) {
    let l = &s.listener;
    l.versions_at
        .clone()
        .unwrap_or_else(|| (l.line, format!("{} (default)", version_key(s.kind))))
}

/// The directive that sets a dialect's versions, for findings about its default.
fn version_key(kind: config::Kind) -> &'static str {
    match kind {
        config::Kind::Nginx => "ssl_protocols",
        config::Kind::PostgresqlConf => "ssl_min_protocol_version",
        config::Kind::MyCnf => "tls_version",
        config::Kind::RedisConf => "tls-protocols",
        config::Kind::Haproxy => "bind",
        config::Kind::Apache => "SSLProtocol",
        _ => "versions",
    }
}

/// The certificate file a setting names, as the file `from` names it: relative to `from`'s
/// directory, else a file whose path ends with the reference, else the one file with its
/// name. Absolute paths (`/etc/ssl/…`) resolve by their tail the same way.
fn resolve<'a>(
    reference: &str,
    from: &str,
    files: &'a [CertificateFile],
) -> Option<&'a CertificateFile> {
    let reference = reference.trim().trim_matches(['"', '\'']);
    if reference.is_empty() {
        return None;
    }
    let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if reference.starts_with('/') || dir.is_empty() {
        normalise(reference)
    } else {
        normalise(&format!("{dir}/{reference}"))
    };
    if let Some(f) = files.iter().find(|f| normalise(&f.path) == joined) {
        return Some(f);
    }
    let tail = normalise(reference.trim_start_matches('/'));
    if let Some(f) = files
        .iter()
        .find(|f| normalise(&f.path).ends_with(&format!("/{tail}")) || normalise(&f.path) == tail)
    {
        return Some(f);
    }
    let name = reference.rsplit('/').next()?;
    let mut named = files
        .iter()
        .filter(|f| f.path.rsplit('/').next() == Some(name));
    match (named.next(), named.next()) {
        (Some(f), None) => Some(f),
        _ => None,
    }
}

/// A path with `.` and `a/..` removed.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests;
