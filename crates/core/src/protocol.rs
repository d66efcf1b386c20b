//! The TLS protocol registry, one for the core, the coordinator, the probe, the linters and the
//! page: protocol versions (wire codes, and the way each piece of software spells them), cipher
//! suites (code, IANA and OpenSSL names, what makes one weak) and key-exchange groups (code and
//! one spelling, post-quantum or not).

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

    /// The version's code on the wire (`0x0303` for TLS 1.2).
    pub fn wire(self) -> u16 {
        match self {
            Self::Ssl3 => 0x0300,
            Self::Tls10 => 0x0301,
            Self::Tls11 => 0x0302,
            Self::Tls12 => 0x0303,
            Self::Tls13 => 0x0304,
        }
    }

    /// The version with this wire code.
    pub fn from_wire(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.wire() == code)
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
    // A registered suite is judged by its IANA name, which spells out its key exchange.
    let n = suite_by_name(name)
        .map_or(name, |s| s.iana)
        .to_ascii_uppercase();
    let tls13 = TLS13_SUITES.contains(&n.as_str())
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

/// The five TLS 1.3 suites of RFC 8446, by IANA name (the registry's first five).
pub const TLS13_SUITES: &[&str] = &[
    SUITES[0].iana,
    SUITES[1].iana,
    SUITES[2].iana,
    SUITES[3].iana,
    SUITES[4].iana,
];

/// A cipher suite: its IANA code point, its IANA name and OpenSSL's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CipherSuite {
    /// The code point (RFC 8446 §B.4, the IANA TLS Cipher Suites registry).
    pub code: u16,
    /// The IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub iana: &'static str,
    /// OpenSSL's name, e.g. `ECDHE-RSA-AES128-GCM-SHA256` (TLS 1.3 suites use the IANA name).
    pub openssl: &'static str,
}

impl CipherSuite {
    /// Whether it is a TLS 1.3 suite (`TLS_AES_*`, `TLS_CHACHA20_*`: 0x13xx).
    pub fn is_tls13(&self) -> bool {
        self.code >> 8 == 0x13
    }

    /// What its name says about it.
    pub fn traits(&self) -> SuiteTraits {
        suite_traits(self.iana)
    }
}

const fn suite(code: u16, iana: &'static str, openssl: &'static str) -> CipherSuite {
    CipherSuite {
        code,
        iana,
        openssl,
    }
}

/// Every suite tlscope knows: the five of TLS 1.3, then SSL 3.0 – TLS 1.2 suites strong and weak
/// (so that whatever a server still accepts is seen), strongest first.
pub const SUITES: &[CipherSuite] = &[
    suite(0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
    suite(0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
    suite(
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
    suite(0x1304, "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256"),
    suite(
        0x1305,
        "TLS_AES_128_CCM_8_SHA256",
        "TLS_AES_128_CCM_8_SHA256",
    ),
    suite(
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
    ),
    suite(
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    ),
    suite(
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
    ),
    suite(
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ),
    suite(
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ),
    suite(
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ),
    suite(
        0x009f,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "DHE-RSA-AES256-GCM-SHA384",
    ),
    suite(
        0x009e,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        "DHE-RSA-AES128-GCM-SHA256",
    ),
    suite(
        0xccaa,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "DHE-RSA-CHACHA20-POLY1305",
    ),
    suite(
        0xc0ad,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        "ECDHE-ECDSA-AES256-CCM",
    ),
    suite(
        0xc0ac,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        "ECDHE-ECDSA-AES128-CCM",
    ),
    suite(
        0xc024,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        "ECDHE-ECDSA-AES256-SHA384",
    ),
    suite(
        0xc023,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "ECDHE-ECDSA-AES128-SHA256",
    ),
    suite(
        0xc028,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        "ECDHE-RSA-AES256-SHA384",
    ),
    suite(
        0xc027,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "ECDHE-RSA-AES128-SHA256",
    ),
    suite(
        0xc00a,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "ECDHE-ECDSA-AES256-SHA",
    ),
    suite(
        0xc009,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "ECDHE-ECDSA-AES128-SHA",
    ),
    suite(
        0xc014,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "ECDHE-RSA-AES256-SHA",
    ),
    suite(
        0xc013,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "ECDHE-RSA-AES128-SHA",
    ),
    suite(
        0x006b,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        "DHE-RSA-AES256-SHA256",
    ),
    suite(
        0x0067,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        "DHE-RSA-AES128-SHA256",
    ),
    suite(
        0x0039,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        "DHE-RSA-AES256-SHA",
    ),
    suite(
        0x0033,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        "DHE-RSA-AES128-SHA",
    ),
    suite(
        0x009d,
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "AES256-GCM-SHA384",
    ),
    suite(
        0x009c,
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "AES128-GCM-SHA256",
    ),
    suite(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256"),
    suite(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"),
    suite(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"),
    suite(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"),
    suite(
        0x0084,
        "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
        "CAMELLIA256-SHA",
    ),
    suite(
        0x0041,
        "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA",
        "CAMELLIA128-SHA",
    ),
    suite(
        0xc012,
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "ECDHE-RSA-DES-CBC3-SHA",
    ),
    suite(
        0x0016,
        "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "DHE-RSA-DES-CBC3-SHA",
    ),
    suite(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"),
    suite(
        0xc011,
        "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "ECDHE-RSA-RC4-SHA",
    ),
    suite(0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"),
    suite(0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4-MD5"),
    suite(0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES-CBC-SHA"),
    suite(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5"),
    suite(
        0x0008,
        "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        "EXP-DES-CBC-SHA",
    ),
    suite(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "ADH-RC4-MD5"),
    suite(0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", "ADH-AES128-SHA"),
    suite(0x003b, "TLS_RSA_WITH_NULL_SHA256", "NULL-SHA256"),
    suite(0x0002, "TLS_RSA_WITH_NULL_SHA", "NULL-SHA"),
    suite(0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL-MD5"),
];

/// The suite with this code point.
pub fn suite_by_code(code: u16) -> Option<&'static CipherSuite> {
    SUITES.iter().find(|s| s.code == code)
}

/// The suite with this IANA or OpenSSL name (any case).
pub fn suite_by_name(name: &str) -> Option<&'static CipherSuite> {
    SUITES
        .iter()
        .find(|s| s.iana.eq_ignore_ascii_case(name) || s.openssl.eq_ignore_ascii_case(name))
}

/// The IANA name of a suite code, or `0xHHHH` for one tlscope does not know.
pub fn suite_name(code: u16) -> String {
    suite_by_code(code).map_or_else(|| format!("0x{code:04X}"), |s| s.iana.to_owned())
}

/// A key-exchange group: its code point and its one spelling (the IANA TLS Supported Groups
/// registry's), everywhere tlscope prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Group {
    /// The code point.
    pub code: u16,
    /// The IANA name, e.g. `x25519`, `secp256r1`, `X25519MLKEM768`.
    pub name: &'static str,
    /// Other spellings accepted on input (OpenSSL, NIST, rustls).
    pub aliases: &'static [&'static str],
    /// A hybrid or pure post-quantum (ML-KEM) group.
    pub post_quantum: bool,
}

const fn group(
    code: u16,
    name: &'static str,
    aliases: &'static [&'static str],
    post_quantum: bool,
) -> Group {
    Group {
        code,
        name,
        aliases,
        post_quantum,
    }
}

/// The groups tlscope knows, those it probes first.
pub const GROUPS: &[Group] = &[
    group(0x11ec, "X25519MLKEM768", &["x25519_mlkem768"], true),
    group(0x11eb, "SecP256r1MLKEM768", &["secp256r1_mlkem768"], true),
    group(0x11ed, "SecP384r1MLKEM1024", &["secp384r1_mlkem1024"], true),
    group(0x001d, "x25519", &["X25519"], false),
    group(
        0x0017,
        "secp256r1",
        &["P-256", "prime256v1", "secp256r1"],
        false,
    ),
    group(0x0018, "secp384r1", &["P-384"], false),
    group(0x0019, "secp521r1", &["P-521"], false),
    group(0x001e, "x448", &["X448"], false),
    group(0x0100, "ffdhe2048", &[], false),
    group(0x0101, "ffdhe3072", &[], false),
    group(0x0201, "MLKEM768", &[], true),
    group(0x0202, "MLKEM1024", &[], true),
];

/// The groups the probe offers one at a time: all five ML-KEM groups (three hybrids and the
/// two pure ones), then the classical groups servers commonly speak.
pub const PROBED_GROUPS: &[u16] = &[
    0x11ec, 0x11eb, 0x11ed, 0x0201, 0x0202, 0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101,
];

/// The group with this code point.
pub fn group_by_code(code: u16) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.code == code)
}

/// The group with this name or alias (any case).
pub fn group_by_name(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| {
        g.name.eq_ignore_ascii_case(name) || g.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// The one spelling of a group code, or `0xHHHH` for one tlscope does not know.
pub fn group_name(code: u16) -> String {
    group_by_code(code).map_or_else(|| format!("0x{code:04X}"), |g| g.name.to_owned())
}

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

    #[test]
    fn the_registry_has_one_entry_per_code_and_name() {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for s in SUITES {
            assert!(codes.insert(s.code), "{:04x} twice", s.code);
            assert!(
                names.insert(s.iana) && (s.is_tls13() || names.insert(s.openssl)),
                "{s:?}"
            );
            assert_eq!(suite_by_code(s.code), Some(s));
            assert_eq!(suite_by_name(s.iana), Some(s));
            assert_eq!(suite_by_name(&s.openssl.to_ascii_lowercase()), Some(s));
        }
        assert_eq!(SUITES.iter().filter(|s| s.is_tls13()).count(), 5);
        assert_eq!(
            TLS13_SUITES,
            SUITES[..5].iter().map(|s| s.iana).collect::<Vec<_>>()
        );
        assert_eq!(suite_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(suite_name(0xfefe), "0xFEFE");
        for g in GROUPS {
            assert_eq!(group_by_code(g.code), Some(g));
            assert_eq!(group_by_name(g.name), Some(g));
        }
        assert!(PROBED_GROUPS.iter().all(|c| group_by_code(*c).is_some()));
        let pq: Vec<u16> = GROUPS
            .iter()
            .filter(|g| g.post_quantum)
            .map(|g| g.code)
            .collect();
        assert_eq!(pq, [0x11ec, 0x11eb, 0x11ed, 0x0201, 0x0202]);
        assert!(
            pq.iter().all(|c| PROBED_GROUPS.contains(c)),
            "every ML-KEM group is probed"
        );
        // One spelling out, every spelling in.
        assert_eq!(group_by_name("X25519").map(|g| g.name), Some("x25519"));
        assert_eq!(group_by_name("P-256").map(|g| g.name), Some("secp256r1"));
        assert_eq!(group_name(0x11ec), "X25519MLKEM768");
        for v in TlsVersion::ALL {
            assert_eq!(TlsVersion::from_wire(v.wire()), Some(v));
        }
    }
}
