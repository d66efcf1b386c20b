//! Real rustls handshakes against the target: the chain, ALPN, OCSP stapling, client
//! authentication, resumption and the HSTS header.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tlscope_core::probe::{ClientAuth, Resumption, Service};
use tlscope_core::protocol::TlsVersion;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::scan::{Ctx, within};
use super::shims::{Asked, Capture};

pub(super) struct Real {
    pub(super) chain: Vec<Vec<u8>>,
    pub(super) ocsp: bool,
    pub(super) alpn: Option<String>,
    pub(super) client_auth: ClientAuth,
    pub(super) latency: Duration,
    pub(super) resumption: Option<Resumption>,
    pub(super) hsts: Option<String>,
    pub(super) alt_svc: Option<String>,
}

pub(super) fn real_config(
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

pub(super) type Tls = tokio_rustls::client::TlsStream<TcpStream>;

/// The response headers the probe reads.
#[derive(Default)]
pub(super) struct Headers {
    pub(super) hsts: Option<String>,
    pub(super) alt_svc: Option<String>,
}

impl Ctx<'_> {
    /// PostgreSQL 17+ direct TLS: a TLS handshake straight away, with ALPN `postgresql`.
    pub(super) async fn postgres_direct(&self, version: TlsVersion) -> bool {
        let provider = Arc::new(super::rustls_provider());
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

    /// Offers ECH with `list` (an ECHConfigList from the HTTPS record) in one TLS 1.3 handshake.
    pub(super) async fn ech(&self, list: &[u8]) -> tlscope_core::dns::EchProbe {
        use rustls::client::{EchConfig, EchMode};
        use tlscope_core::dns::{EchProbe, EchStatus};
        let provider = Arc::new(super::rustls_provider());
        let mut out = EchProbe {
            public_name: tlscope_core::dns::decode_ech_public_name(list),
            status: EchStatus::NotOffered,
            detail: None,
            outer_chain: Vec::new(),
        };
        let config = match EchConfig::new(
            rustls::pki_types::EchConfigListBytes::from(list.to_vec()),
            rustls::crypto::aws_lc_rs::hpke::ALL_SUPPORTED_SUITES,
        ) {
            Ok(c) => c,
            Err(e) => {
                out.detail = Some(format!("no config rustls can offer: {e}"));
                return out;
            }
        };
        let capture = Arc::new(Capture {
            provider: Arc::clone(&provider),
            seen: std::sync::Mutex::new(None),
        });
        let asked = Arc::new(Asked {
            asked: AtomicBool::new(false),
            key: None,
        });
        let built = ClientConfig::builder_with_provider(provider)
            .with_ech(EchMode::from(config))
            .map(|b| {
                b.dangerous()
                    .with_custom_certificate_verifier(Arc::clone(&capture) as _)
                    .with_client_cert_resolver(asked)
            });
        let config = match built {
            Ok(c) => c,
            Err(e) => {
                out.detail = Some(format!("ECH client: {e}"));
                return out;
            }
        };
        match self.connect_tls(Arc::new(config)).await {
            Ok((tls, _)) => {
                out.status = if tls.get_ref().1.ech_status() == rustls::client::EchStatus::Accepted
                {
                    EchStatus::Accepted
                } else {
                    EchStatus::Rejected
                };
            }
            Err(e) => {
                out.status = EchStatus::Rejected;
                out.detail = Some(e);
            }
        }
        out.outer_chain = capture
            .seen
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(|(c, _)| c.clone()))
            .unwrap_or_default();
        out
    }

    pub(super) async fn connect_tls(
        &self,
        config: Arc<ClientConfig>,
    ) -> Result<(Tls, Duration), String> {
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

    /// An HTTP/1.1 HEAD request on `tls`; the Strict-Transport-Security and Alt-Svc values.
    pub(super) async fn headers(&self, tls: &mut Tls) -> Result<Headers, String> {
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
        let header = |name: &str| {
            text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        Ok(Headers {
            hsts: header("strict-transport-security"),
            alt_svc: header("alt-svc"),
        })
    }

    pub(super) async fn real(
        &self,
        version: TlsVersion,
        client: Option<Arc<rustls::sign::CertifiedKey>>,
    ) -> Result<Real, String> {
        let provider = Arc::new(super::rustls_provider());
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
                    alt_svc: None,
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
        let mut headers = Headers::default();
        let mut refused_after = false;
        if https && negotiated_alpn.as_deref() != Some("h2") {
            match self.headers(&mut tls).await {
                Ok(h) => headers = h,
                Err(_) => refused_after = true,
            }
        } else {
            let _ = tls.shutdown().await;
            let mut sink = Vec::new();
            if let Ok(Err(e)) =
                tokio::time::timeout(Duration::from_secs(1), tls.read_to_end(&mut sink)).await
            {
                refused_after = crate::mtls::alert_received(&e).is_some();
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
                headers = self.headers(&mut t).await.unwrap_or_default();
            }
        }
        Ok(Real {
            chain,
            ocsp,
            alpn: negotiated_alpn,
            client_auth,
            latency,
            resumption,
            hsts: headers.hsts,
            alt_svc: headers.alt_svc,
        })
    }
}
