//! Probing TLS over QUIC (`quic://HOST:PORT`) with quinn over rustls: one full handshake (ALPN
//! h3) whose server flight is captured from the CRYPTO stream for the core to decode (suite,
//! group, ALPN, transport parameters), then the TLS 1.3 suites and the key-exchange groups the
//! server accepts, each offered alone. Every connection is bounded by the probe's timeout.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use quinn::crypto::rustls::QuicClientConfig;
use quinn_proto::crypto::{
    self, ExportKeyingMaterialError, HeaderKey, KeyPair, Keys, PacketKey, Session,
};
use quinn_proto::transport_parameters::TransportParameters;
use quinn_proto::{ConnectError, ConnectionId, Side, TransportError};
use rustls::crypto::CryptoProvider;
use rustls::crypto::aws_lc_rs as provider;
use tlscope_core::probe::{ProbeReport, VersionProbe};
use tlscope_core::protocol::TlsVersion;
use tlscope_core::quic::{QuicReport, server_flight};

use super::scan::Ctx;
use super::shims::{Asked, Capture};

/// The most of the server's flight kept (ServerHello and EncryptedExtensions come first).
const FLIGHT_LIMIT: usize = 64 * 1024;

/// What one QUIC handshake showed.
struct Handshake {
    version: u32,
    flight: Vec<u8>,
    chain: Vec<Vec<u8>>,
    rtt: std::time::Duration,
}

/// quinn's rustls session, with the server's handshake bytes copied as they arrive.
struct Observed {
    inner: Box<dyn Session>,
    flight: Arc<Mutex<Vec<u8>>>,
}

impl Session for Observed {
    fn initial_keys(&self, dst_cid: &ConnectionId, side: Side) -> Keys {
        self.inner.initial_keys(dst_cid, side)
    }
    fn handshake_data(&self) -> Option<Box<dyn std::any::Any>> {
        self.inner.handshake_data()
    }
    fn peer_identity(&self) -> Option<Box<dyn std::any::Any>> {
        self.inner.peer_identity()
    }
    fn early_crypto(&self) -> Option<(Box<dyn HeaderKey>, Box<dyn PacketKey>)> {
        self.inner.early_crypto()
    }
    fn early_data_accepted(&self) -> Option<bool> {
        self.inner.early_data_accepted()
    }
    fn is_handshaking(&self) -> bool {
        self.inner.is_handshaking()
    }
    fn read_handshake(&mut self, buf: &[u8]) -> Result<bool, TransportError> {
        if let Ok(mut f) = self.flight.lock() {
            let room = FLIGHT_LIMIT.saturating_sub(f.len());
            f.extend_from_slice(&buf[..buf.len().min(room)]);
        }
        self.inner.read_handshake(buf)
    }
    fn transport_parameters(&self) -> Result<Option<TransportParameters>, TransportError> {
        self.inner.transport_parameters()
    }
    fn write_handshake(&mut self, buf: &mut Vec<u8>) -> Option<Keys> {
        self.inner.write_handshake(buf)
    }
    fn next_1rtt_keys(&mut self) -> Option<KeyPair<Box<dyn PacketKey>>> {
        self.inner.next_1rtt_keys()
    }
    fn is_valid_retry(&self, orig_dst_cid: &ConnectionId, header: &[u8], payload: &[u8]) -> bool {
        self.inner.is_valid_retry(orig_dst_cid, header, payload)
    }
    fn export_keying_material(
        &self,
        output: &mut [u8],
        label: &[u8],
        context: &[u8],
    ) -> Result<(), ExportKeyingMaterialError> {
        self.inner.export_keying_material(output, label, context)
    }
}

/// A client config whose sessions are [`Observed`]; records the QUIC version asked for.
struct Observing {
    inner: Arc<QuicClientConfig>,
    flight: Arc<Mutex<Vec<u8>>>,
    version: Arc<Mutex<u32>>,
}

impl crypto::ClientConfig for Observing {
    fn start_session(
        self: Arc<Self>,
        version: u32,
        server_name: &str,
        params: &TransportParameters,
    ) -> Result<Box<dyn Session>, ConnectError> {
        if let Ok(mut v) = self.version.lock() {
            *v = version;
        }
        let inner = Arc::clone(&self.inner).start_session(version, server_name, params)?;
        Ok(Box::new(Observed {
            inner,
            flight: Arc::clone(&self.flight),
        }))
    }
}

impl Ctx<'_> {
    /// One QUIC handshake offering `provider`'s suites and groups. `Err` says why it failed.
    async fn quic_handshake(&self, provider: CryptoProvider) -> Result<Handshake, String> {
        let capture = Arc::new(Capture {
            provider: Arc::new(provider),
            seen: Mutex::new(None),
        });
        let asked = Arc::new(Asked {
            asked: AtomicBool::new(false),
            key: None,
        });
        let tls =
            super::handshake::real_config(TlsVersion::Tls13, &[b"h3"], capture.clone(), asked)?;
        let initial = provider::cipher_suite::TLS13_AES_128_GCM_SHA256
            .tls13()
            .and_then(|s| s.quic_suite())
            .ok_or("the QUIC initial suite (TLS_AES_128_GCM_SHA256) is missing")?;
        let quic = QuicClientConfig::with_initial(Arc::new(tls), initial)
            .map_err(|e| format!("QUIC client: {e}"))?;
        let flight = Arc::new(Mutex::new(Vec::new()));
        let version = Arc::new(Mutex::new(0));
        let observing = Observing {
            inner: Arc::new(quic),
            flight: Arc::clone(&flight),
            version: Arc::clone(&version),
        };
        let mut config = quinn::ClientConfig::new(Arc::new(observing));
        let mut transport = quinn::TransportConfig::default();
        transport.max_idle_timeout(quinn::IdleTimeout::try_from(self.timeout).ok());
        config.transport_config(Arc::new(transport));
        let bind: std::net::SocketAddr = if self.addr.is_ipv6() {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        };
        let endpoint = quinn::Endpoint::client(bind).map_err(|e| format!("UDP socket: {e}"))?;
        let connecting = endpoint
            .connect_with(config, self.addr, &self.name)
            .map_err(|e| format!("QUIC connect: {e}"))?;
        let result = tokio::time::timeout(self.timeout, connecting).await;
        let out = match result {
            Err(_) => Err(format!(
                "QUIC: no answer within {} s (nothing listening on UDP {}, or a firewall drops it)",
                self.timeout.as_secs(),
                self.addr
            )),
            Ok(Err(e)) => Err(format!("QUIC handshake: {e}")),
            Ok(Ok(conn)) => {
                let rtt = conn.rtt();
                conn.close(0u32.into(), b"probe done");
                let chain = capture
                    .seen
                    .lock()
                    .ok()
                    .and_then(|s| s.as_ref().map(|(c, _)| c.clone()))
                    .unwrap_or_default();
                Ok(Handshake {
                    version: version.lock().map(|v| *v).unwrap_or_default(),
                    flight: flight.lock().map(|f| f.clone()).unwrap_or_default(),
                    chain,
                    rtt,
                })
            }
        };
        endpoint.close(0u32.into(), b"");
        out
    }

    /// Probes TLS over QUIC on this context's address: the full handshake, then each suite and
    /// each group alone. The chain comes back beside the report.
    pub(super) async fn quic_report(&self) -> (QuicReport, Vec<Vec<u8>>) {
        let mut out = QuicReport {
            port: self.addr.port(),
            version: 0,
            flight: None,
            suites: Vec::new(),
            groups: Vec::new(),
            rtt_micros: 0,
            error: None,
        };
        let full = match self.quic_handshake(super::rustls_provider()).await {
            Ok(f) => f,
            Err(e) => {
                out.error = Some(e);
                return (out, Vec::new());
            }
        };
        // Each TLS 1.3 suite alone, and each group alone, all at once.
        let suites = provider::ALL_CIPHER_SUITES
            .iter()
            .filter(|s| s.tls13().is_some())
            .map(|s| {
                let p = CryptoProvider {
                    cipher_suites: vec![*s],
                    ..super::rustls_provider()
                };
                (u16::from(s.suite()), p)
            })
            .collect::<Vec<_>>();
        let groups = provider::ALL_KX_GROUPS
            .iter()
            .map(|g| {
                let p = CryptoProvider {
                    kx_groups: vec![*g],
                    ..super::rustls_provider()
                };
                (u16::from(g.name()), p)
            })
            .collect::<Vec<_>>();
        let suite_probes = futures_util::future::join_all(
            suites
                .into_iter()
                .map(|(s, p)| async move { (s, self.quic_handshake(p).await.is_ok()) }),
        );
        let group_probes = futures_util::future::join_all(
            groups
                .into_iter()
                .map(|(g, p)| async move { (g, self.quic_handshake(p).await.is_ok()) }),
        );
        let (suites, groups) = tokio::join!(suite_probes, group_probes);
        out.suites = suites
            .into_iter()
            .filter(|(_, ok)| *ok)
            .map(|(code, _)| {
                tlscope_core::protocol::suite_by_code(code)
                    .map_or_else(|| format!("{code:#06x}"), |s| s.iana.to_owned())
            })
            .collect();
        out.groups = groups
            .into_iter()
            .filter(|(_, ok)| *ok)
            .map(|(code, _)| {
                tlscope_core::protocol::group_by_code(code)
                    .map_or_else(|| format!("{code:#06x}"), |g| g.name.to_owned())
            })
            .collect();
        out.version = full.version;
        out.rtt_micros = u64::try_from(full.rtt.as_micros()).unwrap_or(u64::MAX);
        match server_flight(&full.flight) {
            Ok(f) => out.flight = Some(f),
            Err(e) => out.error = Some(e.to_string()),
        }
        (out, full.chain)
    }

    /// Probes a `quic://` target into `report`: its TLS facts go where the TCP probe puts them,
    /// so the same rules judge them.
    pub(super) async fn quic(&self, report: &mut ProbeReport) -> Result<(), String> {
        let (quic, chain) = self.quic_report().await;
        if let Some(e) = &quic.error {
            return Err(e.clone());
        }
        report.alpn = quic.flight.as_ref().and_then(|f| f.alpn.clone());
        report.versions = vec![VersionProbe {
            version: TlsVersion::Tls13,
            accepted: true,
            suites: quic.suites.clone(),
            server_order: None,
            extended_master_secret: None,
        }];
        report.groups = quic.groups.clone();
        report.chain = chain;
        report.latency_micros = quic.rtt_micros;
        report.quic = Some(quic);
        Ok(())
    }
}
