//! The handshake record: what one TLS handshake looked like from where it was observed — the
//! segment it belongs to, version, suite, key-exchange group, ALPN, client authentication, the
//! peer's chain, timing and the outcome. The agent produces records; the core judges them.

use serde::{Deserialize, Serialize};

use crate::protocol::TlsVersion;
use crate::timestamp::Timestamp;

/// Which segment of the specification a handshake belongs to (decides the minimum version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
        /// The class of the reason, which counters, alert rules and the Live view group by.
        #[serde(default)]
        refusal: Refusal,
    },
}

impl Outcome {
    /// A refusal of class `refusal`, in the words of `reason`.
    pub fn refused(refusal: Refusal, reason: impl Into<String>) -> Self {
        Self::Refused {
            reason: reason.into(),
            refusal,
        }
    }
}

/// Why a handshake was refused, as a class: what the refusing side's TLS stack reported,
/// without its words. `/metrics` counts refusals by it and the alert rules match on it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// The peer offered no version the listener accepts (a TLS 1.2 client at a TLS 1.3-only
    /// listener): a downgrade attempt or an outdated client.
    ProtocolVersion,
    /// No cipher suite in common (a suite outside the policy offered): a downgrade attempt
    /// or a misconfigured client.
    CipherSuite,
    /// No key-exchange group in common.
    KeyExchange,
    /// The listener requires a client certificate and none came.
    NoClientCertificate,
    /// The certificate was not issued by a CA this side trusts.
    UnknownIssuer,
    /// Past its notAfter.
    Expired,
    /// Before its notBefore.
    NotYetValid,
    /// On the CRL.
    Revoked,
    /// The CRL to check it against is past its nextUpdate (and the policy fails closed).
    StaleCrl,
    /// Wrong extended key usage for the purpose.
    WrongPurpose,
    /// The certificate's identity (tenant, role, name) is not the expected one.
    WrongIdentity,
    /// A signature in the chain does not verify.
    BadSignature,
    /// The peer sent an alert and ended the handshake (it refused this side).
    PeerAlert,
    /// The handshake did not finish in time.
    Timeout,
    /// The connection closed during the handshake.
    ConnectionClosed,
    /// Anything else.
    #[default]
    Other,
}

impl Refusal {
    /// Every class, in order.
    pub const ALL: [Self; 16] = [
        Self::ProtocolVersion,
        Self::CipherSuite,
        Self::KeyExchange,
        Self::NoClientCertificate,
        Self::UnknownIssuer,
        Self::Expired,
        Self::NotYetValid,
        Self::Revoked,
        Self::StaleCrl,
        Self::WrongPurpose,
        Self::WrongIdentity,
        Self::BadSignature,
        Self::PeerAlert,
        Self::Timeout,
        Self::ConnectionClosed,
        Self::Other,
    ];

    /// The class as serialised and as the `reason` label of `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProtocolVersion => "protocol-version",
            Self::CipherSuite => "cipher-suite",
            Self::KeyExchange => "key-exchange",
            Self::NoClientCertificate => "no-client-certificate",
            Self::UnknownIssuer => "unknown-issuer",
            Self::Expired => "expired",
            Self::NotYetValid => "not-yet-valid",
            Self::Revoked => "revoked",
            Self::StaleCrl => "stale-crl",
            Self::WrongPurpose => "wrong-purpose",
            Self::WrongIdentity => "wrong-identity",
            Self::BadSignature => "bad-signature",
            Self::PeerAlert => "peer-alert",
            Self::Timeout => "timeout",
            Self::ConnectionClosed => "connection-closed",
            Self::Other => "other",
        }
    }

    /// Whether a client offering less than the policy allows could cause it (an old version
    /// or a suite outside the policy): what the downgrade alert counts.
    pub fn is_downgrade(self) -> bool {
        matches!(self, Self::ProtocolVersion | Self::CipherSuite)
    }
}

impl Segment {
    /// The segment as serialised and as a `/metrics` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Mtls => "mtls",
            Self::Database => "database",
        }
    }
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
    /// Whether the server side reports the connection FIPS-approved (rustls's `fips()`): a
    /// FIPS 140-3 module in FIPS mode and approved algorithms only. Only an agent built with
    /// `--features fips` can say yes.
    #[serde(default)]
    pub fips: bool,
    /// Handshake latency in microseconds.
    pub latency_micros: u64,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// One binary blob as a base64 string in JSON.
pub(crate) mod der_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_class_serialises_as_its_label() {
        for r in Refusal::ALL {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::String(r.as_str().into())
            );
        }
        let words: std::collections::BTreeSet<_> =
            Refusal::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(words.len(), Refusal::ALL.len(), "labels are distinct");
    }

    #[test]
    fn a_record_written_before_refusal_classes_reads_as_other() {
        let old: Outcome =
            serde_json::from_str(r#"{"outcome":"refused","reason":"certificate expired"}"#)
                .unwrap();
        assert_eq!(old, Outcome::refused(Refusal::Other, "certificate expired"));
        let new = serde_json::to_value(Outcome::refused(Refusal::Expired, "certificate expired"))
            .unwrap();
        assert_eq!(new["refusal"], "expired");
    }
}
