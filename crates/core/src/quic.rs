//! TLS over QUIC (RFC 9000/9001) as the probe sees it: the server's handshake flight, read from
//! the CRYPTO stream in the clear (ServerHello for the version, suite and key-exchange group;
//! EncryptedExtensions for ALPN and the QUIC transport parameters), and the report of one QUIC
//! probe. The agent captures the bytes; this module decodes them, so the decoding is pure and
//! fuzzable like every other parser here.

use serde::{Deserialize, Serialize};

use crate::protocol::{TlsVersion, group_by_code, suite_by_code};

/// What one QUIC probe observed. The TLS facts that the TCP probe also has (versions, suites,
/// groups, ALPN, chain) are in the surrounding `ProbeReport`, so the same rules judge them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuicReport {
    /// The UDP port probed (an `https://` target's QUIC port comes from Alt-Svc or its HTTPS
    /// record).
    pub port: u16,
    /// The QUIC version the connection used (`0x00000001` is QUIC v1; 0 when none completed).
    pub version: u32,
    /// What the server's handshake flight said, when it completed.
    pub flight: Option<ServerFlight>,
    /// TLS 1.3 suites accepted over QUIC, each offered alone, by IANA name.
    #[serde(default)]
    pub suites: Vec<String>,
    /// Key-exchange groups accepted over QUIC, each offered alone.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Round-trip time quinn measured, microseconds.
    pub rtt_micros: u64,
    /// Why the QUIC handshake failed, if it did.
    #[serde(default)]
    pub error: Option<String>,
}

/// The server's TLS 1.3 handshake flight, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFlight {
    /// The version from `supported_versions` (TLS 1.3 for QUIC).
    pub tls_version: Option<TlsVersion>,
    /// The suite chosen, by IANA name (or `0x....` when not in the registry).
    pub suite: String,
    /// The key-exchange group of the final ServerHello's key share.
    pub group: Option<String>,
    /// Whether the server asked for another key share first (HelloRetryRequest).
    pub hello_retry: bool,
    /// The ALPN protocol from EncryptedExtensions.
    pub alpn: Option<String>,
    /// The server's QUIC transport parameters, in the order sent.
    pub transport_parameters: Vec<TransportParameter>,
}

/// One QUIC transport parameter (RFC 9000 §18.2 and extensions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportParameter {
    /// Its id.
    pub id: u64,
    /// Its registered name, or `reserved (GREASE)` / `unknown`.
    pub name: String,
    /// Its value: a number, hex bytes, or `present`.
    pub value: String,
}

/// Why the server's flight could not be read: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server handshake flight, byte {offset}: expected {expected}")]
pub struct FlightError {
    /// Offset into the captured CRYPTO bytes.
    pub offset: usize,
    /// What was expected there.
    pub expected: String,
}

/// The SHA-256 of "HelloRetryRequest" that a HelloRetryRequest carries as its random.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Self { bytes, at: 0, base }
    }

    fn err(&self, expected: impl Into<String>) -> FlightError {
        FlightError {
            offset: self.base + self.at,
            expected: expected.into(),
        }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], FlightError> {
        match self.at.checked_add(n).filter(|e| *e <= self.bytes.len()) {
            Some(end) => {
                let out = &self.bytes[self.at..end];
                self.at = end;
                Ok(out)
            }
            None => Err(self.err(format!(
                "{what} ({n} bytes), found {}",
                self.bytes.len() - self.at
            ))),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, FlightError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, FlightError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self, what: &str) -> Result<usize, FlightError> {
        let b = self.take(3, what)?;
        Ok((usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
    }

    /// A QUIC variable-length integer (RFC 9000 §16).
    fn varint(&mut self, what: &str) -> Result<u64, FlightError> {
        let first = self.u8(what)?;
        let len = 1usize << (first >> 6);
        let mut v = u64::from(first & 0x3f);
        for b in self.take(len - 1, what)? {
            v = (v << 8) | u64::from(*b);
        }
        Ok(v)
    }

    fn sub(&mut self, n: usize, what: &str) -> Result<Cursor<'a>, FlightError> {
        let base = self.base + self.at;
        let bytes = self.take(n, what)?;
        Ok(Cursor::new(bytes, base))
    }
}

/// Decodes the server's handshake messages as the CRYPTO stream delivered them (ServerHello,
/// possibly after a HelloRetryRequest, then EncryptedExtensions; later messages are skipped).
pub fn server_flight(bytes: &[u8]) -> Result<ServerFlight, FlightError> {
    let mut c = Cursor::new(bytes, 0);
    let mut flight: Option<ServerFlight> = None;
    let mut hello_retry = false;
    while !c.done() {
        let kind = c.u8("a handshake message type")?;
        let len = c.u24("a handshake message length")?;
        // A flight cut short after the messages that matter is still readable.
        if c.at + len > c.bytes.len()
            && flight
                .as_ref()
                .is_some_and(|f| f.alpn.is_some() || !f.transport_parameters.is_empty())
        {
            break;
        }
        let mut body = c.sub(len, "the handshake message body")?;
        match kind {
            2 => {
                let hello = server_hello(&mut body)?;
                hello_retry |= hello.hello_retry;
                if !hello.hello_retry {
                    flight = Some(ServerFlight {
                        hello_retry,
                        ..hello
                    });
                }
            }
            8 => {
                let Some(f) = flight.as_mut() else {
                    return Err(body.err("a ServerHello before EncryptedExtensions"));
                };
                encrypted_extensions(&mut body, f)?;
                break;
            }
            _ => {}
        }
    }
    flight.ok_or_else(|| c.err("a ServerHello"))
}

fn server_hello(c: &mut Cursor<'_>) -> Result<ServerFlight, FlightError> {
    c.u16("legacy_version")?;
    let random = c.take(32, "random")?;
    let hello_retry = random == HRR_RANDOM;
    let sid = c.u8("legacy_session_id length")?;
    c.take(usize::from(sid), "legacy_session_id")?;
    let suite = c.u16("cipher_suite")?;
    c.u8("legacy_compression_method")?;
    let ext_len = c.u16("extensions length")?;
    let mut ext = c.sub(usize::from(ext_len), "extensions")?;
    let mut tls_version = None;
    let mut group = None;
    while !ext.done() {
        let kind = ext.u16("an extension type")?;
        let len = ext.u16("an extension length")?;
        let mut data = ext.sub(usize::from(len), "the extension data")?;
        match kind {
            43 => tls_version = TlsVersion::from_wire(data.u16("selected_version")?),
            51 => {
                let code = data.u16("key_share group")?;
                group = Some(
                    group_by_code(code)
                        .map_or_else(|| format!("{code:#06x}"), |g| g.name.to_owned()),
                );
            }
            _ => {}
        }
    }
    Ok(ServerFlight {
        tls_version,
        suite: suite_by_code(suite).map_or_else(|| format!("{suite:#06x}"), |s| s.iana.to_owned()),
        group,
        hello_retry,
        alpn: None,
        transport_parameters: Vec::new(),
    })
}

fn encrypted_extensions(c: &mut Cursor<'_>, f: &mut ServerFlight) -> Result<(), FlightError> {
    let len = c.u16("extensions length")?;
    let mut ext = c.sub(usize::from(len), "extensions")?;
    while !ext.done() {
        let kind = ext.u16("an extension type")?;
        let len = ext.u16("an extension length")?;
        let mut data = ext.sub(usize::from(len), "the extension data")?;
        match kind {
            16 => {
                data.u16("the ALPN list length")?;
                let n = data.u8("a protocol name length")?;
                let name = data.take(usize::from(n), "a protocol name")?;
                f.alpn = Some(String::from_utf8_lossy(name).into_owned());
            }
            0x39 => f.transport_parameters = transport_parameters(&mut data)?,
            _ => {}
        }
    }
    Ok(())
}

fn transport_parameters(c: &mut Cursor<'_>) -> Result<Vec<TransportParameter>, FlightError> {
    let mut out = Vec::new();
    while !c.done() {
        let id = c.varint("a transport parameter id")?;
        let len = c.varint("a transport parameter length")?;
        let len = usize::try_from(len).map_err(|_| c.err("a transport parameter length"))?;
        let mut value = c.sub(len, "the transport parameter value")?;
        let (name, kind) = parameter(id);
        let shown = match kind {
            Kind::Integer => value.varint("an integer value")?.to_string(),
            Kind::Flag => "present".to_owned(),
            Kind::Bytes => {
                let b = value.take(len, "bytes")?;
                if b.len() > 24 {
                    format!("{} bytes", b.len())
                } else {
                    b.iter().map(|x| format!("{x:02x}")).collect()
                }
            }
        };
        out.push(TransportParameter {
            id,
            name: name.to_owned(),
            value: shown,
        });
    }
    Ok(out)
}

enum Kind {
    Integer,
    Flag,
    Bytes,
}

fn parameter(id: u64) -> (&'static str, Kind) {
    match id {
        0x00 => ("original_destination_connection_id", Kind::Bytes),
        0x01 => ("max_idle_timeout", Kind::Integer),
        0x02 => ("stateless_reset_token", Kind::Bytes),
        0x03 => ("max_udp_payload_size", Kind::Integer),
        0x04 => ("initial_max_data", Kind::Integer),
        0x05 => ("initial_max_stream_data_bidi_local", Kind::Integer),
        0x06 => ("initial_max_stream_data_bidi_remote", Kind::Integer),
        0x07 => ("initial_max_stream_data_uni", Kind::Integer),
        0x08 => ("initial_max_streams_bidi", Kind::Integer),
        0x09 => ("initial_max_streams_uni", Kind::Integer),
        0x0a => ("ack_delay_exponent", Kind::Integer),
        0x0b => ("max_ack_delay", Kind::Integer),
        0x0c => ("disable_active_migration", Kind::Flag),
        0x0d => ("preferred_address", Kind::Bytes),
        0x0e => ("active_connection_id_limit", Kind::Integer),
        0x0f => ("initial_source_connection_id", Kind::Bytes),
        0x10 => ("retry_source_connection_id", Kind::Bytes),
        0x11 => ("version_information", Kind::Bytes),
        0x20 => ("max_datagram_frame_size", Kind::Integer),
        0x2ab2 => ("grease_quic_bit", Kind::Flag),
        0xff04de1b => ("min_ack_delay", Kind::Integer),
        id if id >= 27 && (id - 27) % 31 == 0 => ("reserved (GREASE)", Kind::Bytes),
        _ => ("unknown", Kind::Bytes),
    }
}

impl QuicReport {
    /// One line, as the CLI and the page show it.
    pub fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!("QUIC on UDP port {}: {e}", self.port);
        }
        let flight = self.flight.as_ref().map_or_else(String::new, |f| {
            format!(
                ": {} {}, {}{}, ALPN {}, {} transport parameters",
                f.tls_version
                    .map_or_else(|| "TLS ?".to_owned(), |v| v.to_string()),
                f.suite,
                f.group.as_deref().unwrap_or("no group"),
                if f.hello_retry {
                    " (after HelloRetryRequest)"
                } else {
                    ""
                },
                f.alpn.as_deref().unwrap_or("none"),
                f.transport_parameters.len()
            )
        });
        format!(
            "{} on UDP port {}{flight}; suites {}; groups {}",
            version_name(self.version),
            self.port,
            self.suites.join(", "),
            self.groups.join(", ")
        )
    }
}

/// The QUIC version's name.
pub fn version_name(v: u32) -> String {
    match v {
        1 => "QUIC v1 (RFC 9000)".into(),
        0x6b33_43cf => "QUIC v2 (RFC 9369)".into(),
        v if v & 0xff00_0000 == 0xff00_0000 => format!("draft-{}", v & 0xff),
        v => format!("{v:#010x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let len = body.len();
        let mut v = vec![kind, (len >> 16) as u8, (len >> 8) as u8, len as u8];
        v.extend_from_slice(body);
        v
    }

    fn ext(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut v = kind.to_be_bytes().to_vec();
        v.extend_from_slice(&(data.len() as u16).to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    fn hello(random: [u8; 32], suite: u16, group: u16) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&random);
        b.push(0);
        b.extend_from_slice(&suite.to_be_bytes());
        b.push(0);
        let mut exts = ext(43, &[3, 4]);
        let mut share = group.to_be_bytes().to_vec();
        if random != HRR_RANDOM {
            share.extend_from_slice(&[0, 2, 9, 9]);
        }
        exts.extend(ext(51, &share));
        b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        b.extend(exts);
        message(2, &b)
    }

    fn encrypted_extensions() -> Vec<u8> {
        let mut exts = ext(16, &[0, 3, 2, b'h', b'3']);
        // max_idle_timeout 30000 (varint 0x80007530), initial_max_data 1048576, GREASE 0x1b,
        // grease_quic_bit.
        let params = [
            &[0x01, 0x04, 0x80, 0x00, 0x75, 0x30][..],
            &[0x04, 0x04, 0x80, 0x10, 0x00, 0x00],
            &[0x1b, 0x01, 0xaa],
            &[0x6a, 0xb2, 0x00],
        ]
        .concat();
        exts.extend(ext(0x39, &params));
        let mut b = (exts.len() as u16).to_be_bytes().to_vec();
        b.extend(exts);
        message(8, &b)
    }

    #[test]
    fn reads_suite_group_alpn_and_transport_parameters() {
        let mut flight = hello([1; 32], 0x1302, 0x11ec);
        flight.extend(encrypted_extensions());
        flight.extend(message(11, &[0; 10]));
        let f = server_flight(&flight).unwrap();
        assert_eq!(f.tls_version, Some(TlsVersion::Tls13));
        assert_eq!(f.suite, "TLS_AES_256_GCM_SHA384");
        assert_eq!(f.group.as_deref(), Some("X25519MLKEM768"));
        assert!(!f.hello_retry);
        assert_eq!(f.alpn.as_deref(), Some("h3"));
        let p: Vec<(&str, &str)> = f
            .transport_parameters
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            p,
            [
                ("max_idle_timeout", "30000"),
                ("initial_max_data", "1048576"),
                ("reserved (GREASE)", "aa"),
                ("grease_quic_bit", "present")
            ]
        );
    }

    #[test]
    fn a_hello_retry_is_noted_and_the_second_hello_counts() {
        let mut flight = hello(HRR_RANDOM, 0x1301, 0x0017);
        flight.extend(hello([2; 32], 0x1301, 0x0017));
        flight.extend(encrypted_extensions());
        let f = server_flight(&flight).unwrap();
        assert!(f.hello_retry);
        assert_eq!(f.group.as_deref(), Some("secp256r1"));
    }

    #[test]
    fn truncation_says_where() {
        let flight = hello([1; 32], 0x1301, 0x001d);
        let e = server_flight(&flight[..20]).unwrap_err();
        assert!(e.to_string().contains("byte 4"), "{e}");
        assert!(server_flight(&[]).is_err());
        assert!(server_flight(&message(8, &[0, 0])).is_err());
    }
}
