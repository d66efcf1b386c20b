//! TLS protocol vocabulary shared by every judgement: protocol versions and the way each piece
//! of software spells them, and cipher suites (IANA and OpenSSL names) with what makes one weak.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A protocol version, SSL 3.0 through TLS 1.3, ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    /// SSL 3.0 (RFC 6101), broken (POODLE).
    #[serde(rename = "SSL3.0")]
    Ssl3,
    /// TLS 1.0, deprecated by RFC 8996.
    #[serde(rename = "1.0")]
    Tls10,
    /// TLS 1.1, deprecated by RFC 8996.
    #[serde(rename = "1.1")]
    Tls11,
    /// TLS 1.2.
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[serde(rename = "1.3")]
    Tls13,
}

impl TlsVersion {
    /// Every version, oldest first.
    pub const ALL: [TlsVersion; 5] = [
        TlsVersion::Ssl3,
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// Reads the spellings used by nginx (`TLSv1.2`), OpenSSL/PostgreSQL (`TLSv1.2`), MySQL
    /// (`TLSv1.2`), Redis (`TLSv1.2`), Java/Kafka (`TLSv1.2`), policies (`1.2`) and SQL Server
    /// (`tls1.2`, `Tls12`). Case-insensitive.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase().replace(['_', ' '], "");
        let t = t
            .trim_start_matches("tlsv")
            .trim_start_matches("tls")
            .trim_start_matches('v');
        match t {
            "sslv3" | "ssl3" | "ssl3.0" | "sslv3.0" => Some(Self::Ssl3),
            "1" | "1.0" | "10" => Some(Self::Tls10),
            "1.1" | "11" => Some(Self::Tls11),
            "1.2" | "12" => Some(Self::Tls12),
            "1.3" | "13" => Some(Self::Tls13),
            _ => None,
        }
    }

    /// The policy spelling (`1.2`).
    pub fn policy_name(self) -> &'static str {
        match self {
            Self::Ssl3 => "SSL3.0",
            Self::Tls10 => "1.0",
            Self::Tls11 => "1.1",
            Self::Tls12 => "1.2",
            Self::Tls13 => "1.3",
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ssl3 => "SSL 3.0",
            Self::Tls10 => "TLS 1.0",
            Self::Tls11 => "TLS 1.1",
            Self::Tls12 => "TLS 1.2",
            Self::Tls13 => "TLS 1.3",
        })
    }
}

/// What is known about a cipher suite from its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteTraits {
    /// Ephemeral key exchange (ECDHE/DHE, or any TLS 1.3 suite).
    pub forward_secrecy: bool,
    /// An AEAD cipher (GCM, CCM, ChaCha20-Poly1305).
    pub aead: bool,
    /// A broken primitive: NULL, export, RC4, DES/3DES, MD5, anonymous key exchange.
    pub broken: bool,
}

/// Traits of a suite from its IANA (`TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA`) or OpenSSL
/// (`ECDHE-RSA-AES128-SHA`) name.
pub fn suite_traits(name: &str) -> SuiteTraits {
    let n = name.to_ascii_uppercase();
    let tls13 = crate::protocol::TLS13_SUITES.contains(&n.as_str())
        || n.starts_with("TLS_AES_")
        || n.starts_with("TLS_CHACHA20_");
    let forward_secrecy = tls13 || n.contains("ECDHE") || n.contains("DHE") || n.contains("EDH");
    let aead = tls13 || n.contains("GCM") || n.contains("CCM") || n.contains("CHACHA20");
    let broken = [
        "NULL", "EXPORT", "EXP-", "RC4", "DES", "MD5", "ANON", "ADH", "AECDH",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n.starts_with("EXP");
    SuiteTraits {
        forward_secrecy,
        aead,
        broken,
    }
}

/// The five TLS 1.3 suites of RFC 8446, by IANA name.
pub const TLS13_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_from_every_spelling() {
        for (text, v) in [
            ("TLSv1.2", TlsVersion::Tls12),
            ("tlsv1.3", TlsVersion::Tls13),
            ("TLSv1", TlsVersion::Tls10),
            ("1.1", TlsVersion::Tls11),
            ("Tls12", TlsVersion::Tls12),
            ("SSLv3", TlsVersion::Ssl3),
        ] {
            assert_eq!(TlsVersion::parse(text), Some(v), "{text}");
        }
        assert_eq!(TlsVersion::parse("TLSv2"), None);
        assert!(TlsVersion::Tls10 < TlsVersion::Tls13);
    }

    #[test]
    fn suite_traits_from_names() {
        let cbc = suite_traits("ECDHE-RSA-AES128-SHA");
        assert!(cbc.forward_secrecy && !cbc.aead && !cbc.broken);
        let rsa = suite_traits("TLS_RSA_WITH_AES_128_GCM_SHA256");
        assert!(!rsa.forward_secrecy && rsa.aead);
        assert!(suite_traits("RC4-SHA").broken);
        assert!(suite_traits("DES-CBC3-SHA").broken);
        let t13 = suite_traits("TLS_AES_256_GCM_SHA384");
        assert!(t13.forward_secrecy && t13.aead && !t13.broken);
    }
}
