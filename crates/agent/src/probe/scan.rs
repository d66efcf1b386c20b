//! Scanning one endpoint: reaching TLS (directly, PostgreSQL SSLRequest, MySQL/MariaDB SSL
//! capability upgrade), versions and suites with hand-built hellos, server order, TLS 1.3 groups
//! through HelloRetryRequest, then real rustls handshakes for the chain, ALPN, OCSP stapling,
//! client authentication, resumption and the HSTS header. Every I/O step has a time limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tlscope_core::Timestamp;
use tlscope_core::probe::{ClientAuth, ProbeReport, Resumption, Service, VersionProbe};
use tlscope_core::protocol::{self, TlsVersion};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::hello::{self, Answer, AnswerError, Offer};
use super::target::ProbeTarget;

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Name for SNI and the certificate check (default: the target's host).
    pub server_name: Option<String>,
    /// Client certificate chain and key for targets that require one.
    pub client: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    /// Limit for each connect, read or handshake.
    pub timeout: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            server_name: None,
            client: None,
            timeout: Duration::from_secs(5),
        }
    }
}

struct Ctx<'a> {
    target: &'a ProbeTarget,
    addr: std::net::SocketAddr,
    name: String,
    timeout: Duration,
    /// Whether any hello got a TLS answer (a ServerHello or an alert).
    answered: AtomicBool,
}

async fn within<T>(
    t: Duration,
    what: &str,
    f: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T, String> {
    match tokio::time::timeout(t, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {} s", t.as_secs())),
    }
}

impl Ctx<'_> {
    /// A TCP connection on which the next bytes are the TLS ClientHello.
    async fn transport(&self) -> Result<TcpStream, String> {
        let mut tcp = within(self.timeout, "connect", TcpStream::connect(self.addr)).await?;
        let _ = tcp.set_nodelay(true);
        match self.target.service {
            Service::Postgres => {
                // SSLRequest: length 8, code 80877103.
                within(
                    self.timeout,
                    "SSLRequest",
                    tcp.write_all(&[0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]),
                )
                .await?;
                let mut answer = [0u8; 1];
                within(self.timeout, "SSLRequest", tcp.read_exact(&mut answer)).await?;
                match answer[0] {
                    b'S' => {}
                    b'N' => {
                        return Err("the PostgreSQL server refused SSLRequest (ssl = off)".into());
                    }
                    other => {
                        return Err(format!(
                            "not a PostgreSQL server: it answered SSLRequest with byte 0x{other:02x}"
                        ));
                    }
                }
            }
            Service::Mysql => {
                let mut header = [0u8; 4];
                within(self.timeout, "MySQL greeting", tcp.read_exact(&mut header)).await?;
                let len = usize::from(header[0])
                    | usize::from(header[1]) << 8
                    | usize::from(header[2]) << 16;
                let mut greeting = vec![0u8; len.min(1 << 16)];
                within(
                    self.timeout,
                    "MySQL greeting",
                    tcp.read_exact(&mut greeting),
                )
                .await?;
                if greeting.first() == Some(&0xff) {
                    let text =
                        String::from_utf8_lossy(greeting.get(3..).unwrap_or_default()).into_owned();
                    return Err(format!("the MySQL server refused the connection: {text}"));
                }
                let nul = greeting
                    .iter()
                    .skip(1)
                    .position(|b| *b == 0)
                    .ok_or("not a MySQL greeting")?;
                let caps_at = 1 + nul + 1 + 4 + 8 + 1;
                let caps = greeting
                    .get(caps_at..caps_at + 2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .ok_or("not a MySQL greeting (too short)")?;
                if caps & 0x0800 == 0 {
                    return Err(
                        "the MySQL server does not offer TLS (no CLIENT_SSL capability)".into(),
                    );
                }
                // SSLRequest: capabilities, max packet, charset, 23 zero bytes; sequence 1.
                let flags: u32 =
                    0x0000_0200 | 0x0000_0800 | 0x0000_8000 | 0x0008_0000 | 0x0000_0001;
                let mut packet = vec![32, 0, 0, 1];
                packet.extend_from_slice(&flags.to_le_bytes());
                packet.extend_from_slice(&(16u32 << 20).to_le_bytes());
                packet.push(45);
                packet.extend_from_slice(&[0u8; 23]);
                within(self.timeout, "MySQL SSLRequest", tcp.write_all(&packet)).await?;
            }
            Service::Tls | Service::Https | Service::Redis => {}
        }
        Ok(tcp)
    }

    /// Sends one hello; `Ok(None)` when the server closed without a TLS answer.
    async fn ask(&self, offer: &Offer<'_>) -> Result<Option<Answer>, String> {
        let mut tcp = self.transport().await?;
        within(
            self.timeout,
            "ClientHello",
            tcp.write_all(&hello::client_hello(offer)),
        )
        .await?;
        let mut buf = Vec::new();
        loop {
            match hello::parse_answer(&buf) {
                Ok(answer) => {
                    self.answered.store(true, Ordering::SeqCst);
                    return Ok(Some(answer));
                }
                Err(AnswerError::Incomplete) => {}
                Err(e) => return Err(e.to_string()),
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout(self.timeout, tcp.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Ok(None),
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                Err(_) => {
                    return Err(format!(
                        "the server accepted the connection but sent no TLS answer within {} s",
                        self.timeout.as_secs()
                    ));
                }
            }
        }
    }

    fn offer<'a>(&'a self, version: TlsVersion, suites: &'a [u16]) -> Offer<'a> {
        Offer {
            version,
            suites,
            server_name: Some(&self.name),
            groups: &[],
            x25519_share: true,
        }
    }

    /// The suite the server picks from `suites` at `version`, if it accepts the version.
    async fn pick(&self, version: TlsVersion, suites: &[u16]) -> Result<Option<u16>, String> {
        let answer = self.ask(&self.offer(version, suites)).await?;
        Ok(match answer {
            Some(Answer::Hello {
                version: v, suite, ..
            }) if v == version.wire() => Some(suite),
            Some(Answer::Retry { suite, .. }) if version == TlsVersion::Tls13 => Some(suite),
            _ => None,
        })
    }

    async fn version(&self, version: TlsVersion) -> Result<VersionProbe, String> {
        let tls13 = version == TlsVersion::Tls13;
        let mut remaining: Vec<u16> = protocol::SUITES
            .iter()
            .filter(|s| s.is_tls13() == tls13)
            .map(|s| s.code)
            .collect();
        let mut found = Vec::new();
        while !remaining.is_empty() {
            match self.pick(version, &remaining).await? {
                Some(s) if remaining.contains(&s) => {
                    found.push(s);
                    remaining.retain(|r| *r != s);
                }
                _ => break,
            }
        }
        let server_order = if found.len() >= 2 {
            let reversed = [found[1], found[0]];
            self.pick(version, &reversed).await?.map(|s| s == found[0])
        } else {
            None
        };
        Ok(VersionProbe {
            version,
            accepted: !found.is_empty(),
            suites: found.into_iter().map(protocol::suite_name).collect(),
            server_order,
        })
    }

    /// ECDHE curves a TLS 1.2-only server accepts: an ECDHE-only offer with one curve listed at
    /// a time; a ServerHello means the server can use that curve.
    async fn curves_tls12(&self, accepted: &[String]) -> Result<Vec<String>, String> {
        let ecdhe: Vec<u16> = protocol::SUITES
            .iter()
            .filter(|s| s.iana.contains("_ECDHE_") && accepted.iter().any(|a| a == s.iana))
            .map(|s| s.code)
            .collect();
        let mut out = Vec::new();
        if ecdhe.is_empty() {
            return Ok(out);
        }
        for protocol::Group { code, name, .. } in protocol::GROUPS
            .iter()
            .filter(|g| matches!(g.code, 0x001d | 0x0017 | 0x0018 | 0x0019 | 0x001e))
        {
            let offer = Offer {
                version: TlsVersion::Tls12,
                suites: &ecdhe,
                server_name: Some(&self.name),
                groups: std::slice::from_ref(code),
                x25519_share: false,
            };
            if let Some(Answer::Hello {
                version: 0x0303,
                suite,
                ..
            }) = self.ask(&offer).await?
                && ecdhe.contains(&suite)
            {
                out.push((*name).to_owned());
            }
        }
        Ok(out)
    }

    async fn groups(&self) -> Result<Vec<String>, String> {
        let suites: Vec<u16> = protocol::SUITES
            .iter()
            .filter(|s| s.is_tls13())
            .map(|s| s.code)
            .collect();
        let mut out = Vec::new();
        for group in protocol::PROBED_GROUPS
            .iter()
            .filter_map(|c| protocol::group_by_code(*c))
        {
            let (code, name) = (&group.code, group.name);
            let offer = Offer {
                version: TlsVersion::Tls13,
                suites: &suites,
                server_name: Some(&self.name),
                groups: std::slice::from_ref(code),
                x25519_share: false,
            };
            match self.ask(&offer).await? {
                Some(
                    Answer::Retry { group: Some(g), .. } | Answer::Hello { group: Some(g), .. },
                ) if g == *code => {
                    out.push((*name).to_owned());
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Accepts any chain and keeps it (and the stapled OCSP response): the core judges it later.
#[derive(Debug)]
struct Capture {
    provider: Arc<CryptoProvider>,
    seen: std::sync::Mutex<Option<(Vec<Vec<u8>>, bool)>>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.to_vec())
            .collect();
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some((chain, !ocsp.is_empty()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Notes whether the server asked for a certificate; presents one if the options have it.
#[derive(Debug)]
struct Asked {
    asked: AtomicBool,
    key: Option<Arc<rustls::sign::CertifiedKey>>,
}

impl ResolvesClientCert for Asked {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.asked.store(true, Ordering::SeqCst);
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

struct Real {
    chain: Vec<Vec<u8>>,
    ocsp: bool,
    alpn: Option<String>,
    client_auth: ClientAuth,
    latency: Duration,
    resumption: Option<Resumption>,
    hsts: Option<String>,
}

fn real_config(
    version: TlsVersion,
    alpn: &[&[u8]],
    capture: Arc<Capture>,
    asked: Arc<Asked>,
) -> Result<ClientConfig, String> {
    let provider = Arc::clone(&capture.provider);
    let versions: &[&rustls::SupportedProtocolVersion] = if version == TlsVersion::Tls13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(capture)
        .with_client_cert_resolver(asked);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

impl Ctx<'_> {
    /// PostgreSQL 17+ direct TLS: a TLS handshake straight away, with ALPN `postgresql`.
    async fn postgres_direct(&self, version: TlsVersion) -> bool {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let capture = Arc::new(Capture {
            provider,
            seen: std::sync::Mutex::new(None),
        });
        let asked = Arc::new(Asked {
            asked: AtomicBool::new(false),
            key: None,
        });
        let Ok(config) = real_config(version, &[b"postgresql"], capture, asked) else {
            return false;
        };
        let Ok(Ok(tcp)) = tokio::time::timeout(self.timeout, TcpStream::connect(self.addr)).await
        else {
            return false;
        };
        let Ok(name) = ServerName::try_from(self.name.clone()) else {
            return false;
        };
        let connect = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp);
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(Ok(tls)) => tls.get_ref().1.alpn_protocol() == Some(b"postgresql".as_slice()),
            _ => false,
        }
    }

    async fn connect_tls(&self, config: Arc<ClientConfig>) -> Result<(Tls, Duration), String> {
        let started = Instant::now();
        let tcp = self.transport().await?;
        let name = ServerName::try_from(self.name.clone()).map_err(|e| e.to_string())?;
        let tls = tokio::time::timeout(
            self.timeout,
            tokio_rustls::TlsConnector::from(config).connect(name, tcp),
        )
        .await
        .map_err(|_| {
            format!(
                "TLS handshake: no answer within {} s",
                self.timeout.as_secs()
            )
        })?
        .map_err(|e| format!("TLS handshake: {}", crate::mtls::refusal_reason(&e)))?;
        Ok((tls, started.elapsed()))
    }

    /// An HTTP/1.1 HEAD request on `tls`; the Strict-Transport-Security value if present.
    async fn hsts(&self, tls: &mut Tls) -> Result<Option<String>, String> {
        let request = format!(
            "HEAD {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tlscope\r\nConnection: close\r\n\r\n",
            self.target.path, self.name
        );
        within(
            self.timeout,
            "HTTP request",
            tls.write_all(request.as_bytes()),
        )
        .await?;
        let mut response = Vec::new();
        let _ = tokio::time::timeout(self.timeout, tls.read_to_end(&mut response)).await;
        let text = String::from_utf8_lossy(&response);
        Ok(text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("strict-transport-security")
                .then(|| v.trim().to_owned())
        }))
    }

    async fn real(
        &self,
        version: TlsVersion,
        client: Option<Arc<rustls::sign::CertifiedKey>>,
    ) -> Result<Real, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let capture = Arc::new(Capture {
            provider,
            seen: std::sync::Mutex::new(None),
        });
        let asked = Arc::new(Asked {
            asked: AtomicBool::new(false),
            key: client.clone(),
        });
        let https = self.target.service == Service::Https;
        let alpn: &[&[u8]] = if https { &[b"h2", b"http/1.1"] } else { &[] };
        let config = Arc::new(real_config(
            version,
            alpn,
            Arc::clone(&capture),
            Arc::clone(&asked),
        )?);
        let first = self.connect_tls(Arc::clone(&config)).await;
        let was_asked = asked.asked.load(Ordering::SeqCst);
        let (mut tls, latency) = match first {
            Ok(ok) => ok,
            Err(_) if was_asked && client.is_none() => {
                // TLS 1.2 servers that require a certificate fail the handshake itself.
                let (chain, ocsp) = capture
                    .seen
                    .lock()
                    .ok()
                    .and_then(|s| s.clone())
                    .unwrap_or_default();
                return Ok(Real {
                    chain,
                    ocsp,
                    alpn: None,
                    client_auth: ClientAuth::Required,
                    latency: Duration::ZERO,
                    resumption: None,
                    hsts: None,
                });
            }
            Err(e) => return Err(e),
        };
        let negotiated_alpn = tls
            .get_ref()
            .1
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        // Read what the server sends next: session tickets, or the alert a server that requires
        // a certificate sends in TLS 1.3 after the handshake.
        let mut hsts = None;
        let mut refused_after = false;
        if https && negotiated_alpn.as_deref() != Some("h2") {
            match self.hsts(&mut tls).await {
                Ok(h) => hsts = h,
                Err(_) => refused_after = true,
            }
        } else {
            let _ = tls.shutdown().await;
            let mut sink = Vec::new();
            if let Ok(Err(e)) =
                tokio::time::timeout(Duration::from_secs(1), tls.read_to_end(&mut sink)).await
            {
                refused_after = crate::mtls::refusal_reason(&e).contains("refused");
            }
        }
        let client_auth = match (was_asked, refused_after && client.is_none()) {
            (false, _) => ClientAuth::NotRequested,
            (true, true) => ClientAuth::Required,
            (true, false) => ClientAuth::Optional,
        };
        let (chain, ocsp) = capture
            .seen
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .unwrap_or_default();
        let resumption = match self.connect_tls(Arc::clone(&config)).await {
            Ok((mut second, t)) => {
                let resumed =
                    second.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
                let _ = second.shutdown().await;
                Some(Resumption {
                    supported: resumed,
                    full_micros: u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                    resumed_micros: resumed
                        .then(|| u64::try_from(t.as_micros()).unwrap_or(u64::MAX)),
                })
            }
            Err(_) => None,
        };
        if https && negotiated_alpn.as_deref() == Some("h2") {
            let capture2 = Arc::new(Capture {
                provider: Arc::clone(&capture.provider),
                seen: std::sync::Mutex::new(None),
            });
            let h1 = Arc::new(real_config(
                version,
                &[b"http/1.1"],
                capture2,
                Arc::clone(&asked),
            )?);
            if let Ok((mut t, _)) = self.connect_tls(h1).await {
                hsts = self.hsts(&mut t).await.unwrap_or(None);
            }
        }
        Ok(Real {
            chain,
            ocsp,
            alpn: negotiated_alpn,
            client_auth,
            latency,
            resumption,
            hsts,
        })
    }
}

/// Probes one target. Never fails: what went wrong is in the report's `error`.
pub async fn probe(target: &ProbeTarget, options: &ProbeOptions, now: Timestamp) -> ProbeReport {
    let name = options
        .server_name
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let mut report = ProbeReport::new(target.shown.clone(), target.service, now);
    report.server_name = Some(name.clone()).filter(|n| n.parse::<std::net::IpAddr>().is_err());
    if let Err(e) = run(target, options, name, &mut report).await {
        report.error = Some(e);
    }
    report
}

async fn run(
    target: &ProbeTarget,
    options: &ProbeOptions,
    name: String,
    report: &mut ProbeReport,
) -> Result<(), String> {
    let addr = within(
        options.timeout,
        "resolve",
        tokio::net::lookup_host((target.host.as_str(), target.port)),
    )
    .await?
    .next()
    .ok_or_else(|| format!("resolve: no address for {}", target.host))?;
    report.address = addr.to_string();
    let ctx = Ctx {
        target,
        addr,
        name,
        timeout: options.timeout,
        answered: AtomicBool::new(false),
    };
    // Newest first: the first probe also tells whether the endpoint speaks TLS at all.
    for version in TlsVersion::ALL.iter().rev() {
        report.versions.push(ctx.version(*version).await?);
    }
    report.versions.reverse();
    let tls13 = report
        .versions
        .iter()
        .any(|v| v.version == TlsVersion::Tls13 && v.accepted);
    let tls12 = report
        .versions
        .iter()
        .any(|v| v.version == TlsVersion::Tls12 && v.accepted);
    if tls13 {
        report.groups = ctx.groups().await?;
    } else if let Some(v12) = report
        .versions
        .iter()
        .find(|v| v.version == TlsVersion::Tls12 && v.accepted)
    {
        report.groups = ctx.curves_tls12(&v12.suites).await?;
    }
    let best = if tls13 {
        TlsVersion::Tls13
    } else if tls12 {
        TlsVersion::Tls12
    } else {
        if !ctx.answered.load(Ordering::SeqCst) {
            return Err(
                "the server closed every connection during the handshake without a TLS answer"
                    .into(),
            );
        }
        if report.versions.iter().all(|v| !v.accepted) {
            return Err("the server accepted none of SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3".into());
        }
        return Ok(());
    };
    let client = match &options.client {
        Some((chain, key)) => {
            let provider = rustls::crypto::aws_lc_rs::default_provider();
            Some(Arc::new(
                rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider)
                    .map_err(|e| format!("--cert/--key: {e}"))?,
            ))
        }
        None => None,
    };
    let mut real = ctx.real(best, None).await?;
    if real.client_auth == ClientAuth::Required && client.is_some() {
        let auth = real.client_auth;
        real = ctx.real(best, client).await?;
        real.client_auth = auth;
    }
    report.chain = real.chain;
    report.ocsp_stapled = Some(real.ocsp);
    report.alpn = real.alpn;
    report.client_auth = Some(real.client_auth);
    report.latency_micros = u64::try_from(real.latency.as_micros()).unwrap_or(u64::MAX);
    report.resumption = real.resumption;
    report.hsts = real.hsts;
    if target.service == Service::Postgres {
        report.postgres_direct_tls = Some(ctx.postgres_direct(best).await);
    }
    Ok(())
}
