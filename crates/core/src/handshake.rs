//! The handshake record: what one TLS handshake looked like from where it was observed — the
//! segment it belongs to, version, suite, key-exchange group, ALPN, client authentication, the
//! peer's chain, timing and the outcome. The agent produces records; the core judges them.

use serde::{Deserialize, Serialize};

use crate::protocol::TlsVersion;
use crate::timestamp::Timestamp;

/// Which segment of the specification a handshake belongs to (decides the minimum version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Segment {
    /// A client to the coordinator or a web front end.
    Client,
    /// Coordinator ↔ edge, mutual TLS.
    Mtls,
    /// An edge to a database.
    Database,
}

/// How a handshake ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The handshake completed.
    Accepted,
    /// The handshake was refused, and why.
    Refused {
        /// The reason, as the refusing side stated it.
        reason: String,
    },
}

/// One observed handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeRecord {
    /// `host:port` of the server side.
    pub endpoint: String,
    /// The server name the client asked for (SNI), if any.
    pub server_name: Option<String>,
    /// The segment.
    pub segment: Segment,
    /// When it happened.
    pub at: Timestamp,
    /// Negotiated version.
    pub version: Option<TlsVersion>,
    /// Negotiated suite, IANA name.
    pub suite: Option<String>,
    /// Key-exchange group (`X25519`, `secp256r1`, `X25519MLKEM768`).
    pub group: Option<String>,
    /// Negotiated ALPN protocol.
    pub alpn: Option<String>,
    /// Whether the client presented a certificate.
    pub client_certificate: bool,
    /// The peer's identity (URI SAN or subject) when it presented a certificate.
    pub peer_identity: Option<String>,
    /// The peer's chain, DER, leaf first (base64 in JSON).
    #[serde(with = "der_list", default)]
    pub peer_chain: Vec<Vec<u8>>,
    /// Whether the session was resumed.
    pub resumed: bool,
    /// Handshake latency in microseconds.
    pub latency_micros: u64,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// DER blobs as base64 strings in JSON.
pub(crate) mod der_list {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|d| STANDARD.encode(d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts: Vec<String> = Vec::deserialize(d)?;
        texts
            .iter()
            .map(|t| STANDARD.decode(t).map_err(serde::de::Error::custom))
            .collect()
    }
}
