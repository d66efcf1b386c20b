//! The coordinator's listeners: accept TCP, run the TLS handshake (client-facing or mTLS),
//! record every handshake, accepted or refused, as a core `HandshakeRecord`, and serve the
//! connection's HTTP/1.1 requests with [`super::routes`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tlscope_core::Timestamp;
use tlscope_core::handshake::{HandshakeRecord, Outcome, Refusal, Segment};
use tlscope_core::protocol::TlsVersion;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::{Coordinator, HANDSHAKE_TIMEOUT};
use crate::ca::identity::Identity;
use crate::mtls;

impl Coordinator {
    pub(super) async fn accept_loop(self: Arc<Self>, listener: TcpListener, segment: Segment) {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let Ok((tcp, peer)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let this = Arc::clone(&self);
            connections.spawn(async move { this.connection(tcp, peer, segment).await });
        }
    }

    async fn connection(
        self: Arc<Self>,
        tcp: tokio::net::TcpStream,
        peer: SocketAddr,
        segment: Segment,
    ) {
        let config = match segment {
            Segment::Mtls => Arc::clone(&self.mtls_tls),
            _ => Arc::clone(&self.client_tls),
        };
        let started = Instant::now();
        let at = self.clock.now();
        let endpoint = tcp
            .local_addr()
            .map_or_else(|_| String::new(), |a| a.to_string());
        let accepted =
            tokio::time::timeout(HANDSHAKE_TIMEOUT, TlsAcceptor::from(config).accept(tcp)).await;
        let latency_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let tls = match accepted {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                self.refuse(
                    refused(endpoint, segment, at, latency_micros, mtls::refusal(&e)),
                    peer,
                );
                return;
            }
            Err(_) => {
                self.refuse(
                    refused(
                        endpoint,
                        segment,
                        at,
                        latency_micros,
                        Outcome::refused(Refusal::Timeout, "handshake timed out"),
                    ),
                    peer,
                );
                return;
            }
        };
        let mut record = accepted_record(tls.get_ref().1, endpoint, segment, at, latency_micros);
        record.server_name = tls.get_ref().1.server_name().map(str::to_owned);
        record.fips = tls.get_ref().1.fips();
        let peer_serial = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| serial_of(c))
            .unwrap_or_default();
        let peer_not_after = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| not_after_of(c));
        let identity = record.peer_identity.clone();
        // A resumed TLS 1.3 session carries the certificate of the session it resumes: refuse it
        // when that certificate has since been revoked. The connection is still served, so that
        // `respond` answers its first request with the reason (403, "revoked", then close)
        // instead of a bare close the client cannot explain.
        if segment == Segment::Mtls && self.revoked.read().is_ok_and(|r| r.contains(&peer_serial)) {
            let reason = format!("certificate revoked (serial {peer_serial}, resumed session)");
            self.refuse(
                HandshakeRecord {
                    outcome: Outcome::refused(Refusal::Revoked, reason),
                    ..record
                },
                peer,
            );
        } else {
            self.publish(record);
        }
        let this = Arc::clone(&self);
        let service = hyper::service::service_fn(move |req| {
            let this = Arc::clone(&this);
            let identity = identity.clone();
            let peer_serial = peer_serial.clone();
            async move {
                Ok::<_, std::convert::Infallible>(
                    this.respond(req, segment, identity, &peer_serial, peer_not_after)
                        .await,
                )
            }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
            .await;
    }
}

/// The notAfter of a DER certificate, if it parses.
fn not_after_of(der: &[u8]) -> Option<Timestamp> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, c)| Timestamp::from_unix(c.validity().not_after.timestamp()))
}

/// The serial of a DER certificate as the store and `inspect` spell it: uppercase hex without
/// leading zero bytes.
pub fn serial_of(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| tlscope_core::certificate::serial_hex(c.raw_serial()))
        .unwrap_or_default()
}

fn refused(
    endpoint: String,
    segment: Segment,
    at: Timestamp,
    latency_micros: u64,
    outcome: Outcome,
) -> HandshakeRecord {
    HandshakeRecord {
        endpoint,
        server_name: None,
        segment,
        at,
        version: None,
        suite: None,
        group: None,
        alpn: None,
        client_certificate: false,
        peer_identity: None,
        peer_chain: Vec::new(),
        resumed: false,
        fips: false,
        latency_micros,
        outcome,
    }
}

/// The record of a completed handshake, from the rustls connection state.
pub fn accepted_record(
    conn: &rustls::CommonState,
    endpoint: String,
    segment: Segment,
    at: Timestamp,
    latency_micros: u64,
) -> HandshakeRecord {
    let chain: Vec<Vec<u8>> = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.to_vec()).collect())
        .unwrap_or_default();
    HandshakeRecord {
        endpoint,
        server_name: None,
        segment,
        at,
        version: conn.protocol_version().and_then(version),
        suite: conn.negotiated_cipher_suite().map(mtls::suite_name),
        group: conn
            .negotiated_key_exchange_group()
            .map(|g| mtls::group_name(g.name())),
        alpn: conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        client_certificate: !chain.is_empty(),
        peer_identity: chain
            .first()
            .and_then(|c| Identity::of_certificate(c).into_iter().next())
            .map(|i| i.uri()),
        peer_chain: chain,
        resumed: conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        // Set by the caller, which holds the whole connection (`fips()` is not on CommonState).
        fips: false,
        latency_micros,
        outcome: Outcome::Accepted,
    }
}

/// The core's name for a rustls protocol version.
pub fn version(v: rustls::ProtocolVersion) -> Option<TlsVersion> {
    TlsVersion::from_wire(u16::from(v))
}
