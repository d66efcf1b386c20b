//! SVCB and HTTPS records (RFC 9460) and the ECH configuration list they carry (RFC 9849):
//! priority, target, ALPN, port, address hints, and each ECHConfig's id, KEM, cipher suites and
//! public name. Keys must be strictly increasing; unknown keys are kept by number.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::DnsError;
use super::wire::Reader;

/// One SVCB or HTTPS record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Svcb {
    /// 0 is AliasMode; anything else is ServiceMode, lower first.
    pub priority: u16,
    /// The target name (`.` means the owner name).
    pub target: String,
    /// `mandatory` keys, by number.
    pub mandatory: Vec<u16>,
    /// `alpn` protocol ids.
    pub alpn: Vec<String>,
    /// `no-default-alpn`: the default protocol (http/1.1 for HTTPS) is not offered.
    pub no_default_alpn: bool,
    /// `port`.
    pub port: Option<u16>,
    /// `ipv4hint` and `ipv6hint` addresses.
    pub hints: Vec<std::net::IpAddr>,
    /// The `ech` parameter, if the record has one.
    pub ech: Option<EchParam>,
    /// Keys this decoder does not know, by number.
    pub other_keys: Vec<u16>,
}

/// The `ech` SvcParam: the ECHConfigList as published, and what it decodes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EchParam {
    /// The ECHConfigList's bytes (base64 in JSON), for a client that offers ECH.
    #[serde(with = "crate::handshake::der_bytes")]
    pub raw: Vec<u8>,
    /// The configs, when the list decodes.
    pub configs: Vec<EchConfig>,
    /// Why the list does not decode, if it does not.
    pub error: Option<DnsError>,
}

impl EchParam {
    /// Whether a client implementing RFC 9849 finds a config it can use.
    pub fn usable(&self) -> bool {
        self.error.is_none() && self.configs.iter().any(|c| c.contents.is_some())
    }
}

/// One ECHConfig (RFC 9849 §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EchConfig {
    /// The version; 0xfe0d is the one RFC 9849 defines, others are skipped by clients.
    pub version: u16,
    /// For a known version: the config id, KEM, key size, suites, name limit and public name.
    pub contents: Option<EchContents>,
}

/// The contents of a version 0xfe0d ECHConfig.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EchContents {
    /// Config id the client echoes.
    pub config_id: u8,
    /// HPKE KEM id and name.
    pub kem: (u16, &'static str),
    /// The KEM public key's size in bytes.
    pub public_key_bytes: usize,
    /// HPKE (KDF, AEAD) pairs by name.
    pub cipher_suites: Vec<(&'static str, &'static str)>,
    /// Padding hint for the inner server name.
    pub maximum_name_length: u8,
    /// The name the outer ClientHello carries in SNI; its certificate must be valid.
    pub public_name: String,
    /// Extension types, by number.
    pub extensions: Vec<u16>,
}

/// ECH's version number in RFC 9849.
pub const ECH_VERSION: u16 = 0xfe0d;

impl Svcb {
    /// The record as a zone file would show it, with the ECH configs described.
    pub fn describe(&self) -> String {
        let mut parts = vec![self.priority.to_string(), self.target.clone()];
        if !self.alpn.is_empty() {
            parts.push(format!("alpn={}", self.alpn.join(",")));
        }
        if self.no_default_alpn {
            parts.push("no-default-alpn".into());
        }
        if let Some(p) = self.port {
            parts.push(format!("port={p}"));
        }
        if !self.hints.is_empty() {
            let hints: Vec<String> = self.hints.iter().map(ToString::to_string).collect();
            parts.push(format!("hints={}", hints.join(",")));
        }
        if let Some(ech) = &self.ech {
            let configs: Vec<String> = ech
                .configs
                .iter()
                .map(|c| match &c.contents {
                    Some(x) => format!("config {} {} for {}", x.config_id, x.kem.1, x.public_name),
                    None => format!("version {:#06x} (skipped)", c.version),
                })
                .collect();
            parts.push(match &ech.error {
                Some(e) => format!("ech=undecodable ({e})"),
                None => format!("ech=[{}]", configs.join(", ")),
            });
        }
        parts.join(" ")
    }
}

/// Decodes one SVCB/HTTPS RDATA.
pub fn decode(rdata: &[u8]) -> Result<Svcb, DnsError> {
    let mut r = Reader::new("HTTPS", rdata);
    let priority = r.u16("SvcPriority")?;
    let target = r.name("TargetName")?;
    let mut out = Svcb {
        priority,
        target,
        mandatory: Vec::new(),
        alpn: Vec::new(),
        no_default_alpn: false,
        port: None,
        hints: Vec::new(),
        ech: None,
        other_keys: Vec::new(),
    };
    let mut last: Option<u16> = None;
    while !r.is_empty() {
        let key = r.u16("SvcParamKey")?;
        if last.is_some_and(|l| key <= l) {
            return Err(r.error(format!(
                "SvcParamKeys in strictly increasing order, found key {key} after {}",
                last.unwrap_or_default()
            )));
        }
        last = Some(key);
        let value = r.long_field("SvcParamValue")?;
        let mut v = Reader::new("HTTPS", value);
        match key {
            0 => {
                while !v.is_empty() {
                    out.mandatory.push(v.u16("mandatory key")?);
                }
            }
            1 => {
                while !v.is_empty() {
                    let id = v.short_field("alpn-id")?;
                    if id.is_empty() {
                        return Err(v.error("a non-empty alpn-id"));
                    }
                    out.alpn.push(String::from_utf8_lossy(id).into_owned());
                }
            }
            2 => out.no_default_alpn = true,
            3 => out.port = Some(v.u16("port")?),
            4 => {
                while !v.is_empty() {
                    let a = v.take(4, "an IPv4 address")?;
                    out.hints.push(Ipv4Addr::new(a[0], a[1], a[2], a[3]).into());
                }
            }
            5 => {
                let (configs, error) = match decode_ech_list(value) {
                    Ok(c) => (c, None),
                    Err(e) => (Vec::new(), Some(e)),
                };
                out.ech = Some(EchParam {
                    raw: value.to_vec(),
                    configs,
                    error,
                });
            }
            6 => {
                while !v.is_empty() {
                    let a = v.take(16, "an IPv6 address")?;
                    let mut b = [0u8; 16];
                    b.copy_from_slice(a);
                    out.hints.push(Ipv6Addr::from(b).into());
                }
            }
            k => out.other_keys.push(k),
        }
    }
    Ok(out)
}

/// Decodes an ECHConfigList (the `ech` SvcParam's value).
pub fn decode_ech_list(bytes: &[u8]) -> Result<Vec<EchConfig>, DnsError> {
    let mut r = Reader::new("ECHConfigList", bytes);
    let list = r.long_field("ECHConfigList length")?;
    if !r.is_empty() {
        return Err(r.error("the end of the ECHConfigList"));
    }
    let mut l = Reader::new("ECHConfigList", list);
    let mut out = Vec::new();
    while !l.is_empty() {
        let version = l.u16("ECHConfig version")?;
        let body = l.long_field("ECHConfig contents")?;
        let contents = if version == ECH_VERSION {
            Some(ech_contents(body)?)
        } else {
            None
        };
        out.push(EchConfig { version, contents });
    }
    if out.is_empty() {
        return Err(l.error("at least one ECHConfig"));
    }
    Ok(out)
}

fn ech_contents(body: &[u8]) -> Result<EchContents, DnsError> {
    let mut r = Reader::new("ECHConfig", body);
    let config_id = r.u8("config_id")?;
    let kem = r.u16("kem_id")?;
    let public_key = r.long_field("public_key")?;
    if public_key.is_empty() {
        return Err(r.error("a non-empty HPKE public key"));
    }
    let suites = r.long_field("cipher_suites")?;
    if suites.is_empty() || suites.len() % 4 != 0 {
        return Err(r.error(format!(
            "cipher_suites as (KDF, AEAD) pairs of 4 bytes, found {} bytes",
            suites.len()
        )));
    }
    let cipher_suites = suites
        .chunks_exact(4)
        .map(|c| {
            (
                kdf_name(u16::from_be_bytes([c[0], c[1]])),
                aead_name(u16::from_be_bytes([c[2], c[3]])),
            )
        })
        .collect();
    let maximum_name_length = r.u8("maximum_name_length")?;
    let name = r.short_field("public_name")?;
    if name.is_empty() {
        return Err(r.error("a non-empty public_name"));
    }
    let public_name = String::from_utf8_lossy(name).to_ascii_lowercase();
    if crate::chain::check_dns_name(&public_name, false).is_err() {
        return Err(r.error(format!(
            "public_name as a DNS host name, found {public_name:?}"
        )));
    }
    let ext = r.long_field("extensions")?;
    let mut e = Reader::new("ECHConfig", ext);
    let mut extensions = Vec::new();
    while !e.is_empty() {
        extensions.push(e.u16("extension type")?);
        e.long_field("extension data")?;
    }
    if !r.is_empty() {
        return Err(r.error("the end of the ECHConfig"));
    }
    Ok(EchContents {
        config_id,
        kem: (kem, kem_name(kem)),
        public_key_bytes: public_key.len(),
        cipher_suites,
        maximum_name_length,
        public_name,
        extensions,
    })
}

/// The public name of the first usable config in an ECHConfigList, if it decodes.
pub fn decode_ech_public_name(list: &[u8]) -> Option<String> {
    decode_ech_list(list)
        .ok()?
        .into_iter()
        .find_map(|c| c.contents.map(|x| x.public_name))
}

/// HPKE KEM names (RFC 9180 and the ML-KEM additions).
pub fn kem_name(id: u16) -> &'static str {
    match id {
        0x0010 => "DHKEM(P-256, HKDF-SHA256)",
        0x0011 => "DHKEM(P-384, HKDF-SHA384)",
        0x0012 => "DHKEM(P-521, HKDF-SHA512)",
        0x0020 => "DHKEM(X25519, HKDF-SHA256)",
        0x0021 => "DHKEM(X448, HKDF-SHA512)",
        0x0040 => "ML-KEM-512",
        0x0041 => "ML-KEM-768",
        0x0042 => "ML-KEM-1024",
        0x647a => "X-Wing (ML-KEM-768 + X25519)",
        _ => "unknown KEM",
    }
}

fn kdf_name(id: u16) -> &'static str {
    match id {
        1 => "HKDF-SHA256",
        2 => "HKDF-SHA384",
        3 => "HKDF-SHA512",
        _ => "unknown KDF",
    }
}

fn aead_name(id: u16) -> &'static str {
    match id {
        1 => "AES-128-GCM",
        2 => "AES-256-GCM",
        3 => "ChaCha20Poly1305",
        0xffff => "export-only",
        _ => "unknown AEAD",
    }
}

/// Builds an ECHConfigList with one version 0xfe0d config (for tests and test zones).
pub fn encode_ech_list(config_id: u8, kem: u16, public_key: &[u8], public_name: &str) -> Vec<u8> {
    let mut c = vec![config_id];
    c.extend_from_slice(&kem.to_be_bytes());
    c.extend_from_slice(&(public_key.len() as u16).to_be_bytes());
    c.extend_from_slice(public_key);
    c.extend_from_slice(&4u16.to_be_bytes());
    c.extend_from_slice(&[0, 1, 0, 1]);
    c.push(0);
    c.push(public_name.len() as u8);
    c.extend_from_slice(public_name.as_bytes());
    c.extend_from_slice(&0u16.to_be_bytes());
    let mut config = ECH_VERSION.to_be_bytes().to_vec();
    config.extend_from_slice(&(c.len() as u16).to_be_bytes());
    config.extend_from_slice(&c);
    let mut list = (config.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&config);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn https(params: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut v = vec![0, 1, 0];
        for (k, val) in params {
            v.extend_from_slice(&k.to_be_bytes());
            v.extend_from_slice(&(val.len() as u16).to_be_bytes());
            v.extend_from_slice(val);
        }
        v
    }

    #[test]
    fn decodes_alpn_port_hints_and_ech() {
        let ech = encode_ech_list(7, 0x0020, &[9u8; 32], "public.example.com");
        let rdata = https(&[
            (1, b"\x02h2\x02h3".to_vec()),
            (3, 8443u16.to_be_bytes().to_vec()),
            (4, vec![127, 0, 0, 1]),
            (5, ech),
        ]);
        let s = decode(&rdata).unwrap();
        assert_eq!((s.priority, s.target.as_str()), (1, "."));
        assert_eq!(s.alpn, ["h2", "h3"]);
        assert_eq!(s.port, Some(8443));
        assert_eq!(s.hints, [std::net::IpAddr::from([127, 0, 0, 1])]);
        let ech = s.ech.unwrap();
        assert!(ech.usable());
        let c = ech.configs[0].contents.as_ref().unwrap();
        assert_eq!(c.config_id, 7);
        assert_eq!(c.kem.1, "DHKEM(X25519, HKDF-SHA256)");
        assert_eq!(c.public_key_bytes, 32);
        assert_eq!(c.cipher_suites, [("HKDF-SHA256", "AES-128-GCM")]);
        assert_eq!(c.public_name, "public.example.com");
    }

    #[test]
    fn keys_out_of_order_and_truncated_ech_say_where() {
        let rdata = https(&[(3, vec![1, 187]), (1, b"\x02h2".to_vec())]);
        let e = decode(&rdata).unwrap_err();
        assert!(e.to_string().contains("strictly increasing"), "{e}");
        let mut ech = encode_ech_list(1, 0x0020, &[1u8; 32], "public.example.com");
        ech.truncate(ech.len() - 5);
        let s = decode(&https(&[(5, ech)])).unwrap();
        let ech = s.ech.unwrap();
        assert!(!ech.usable());
        assert_eq!(ech.error.unwrap().record, "ECHConfigList");
    }

    #[test]
    fn an_unknown_ech_version_is_kept_and_skipped() {
        let list = [0, 6, 0xfe, 0x0a, 0, 2, 1, 2];
        let configs = decode_ech_list(&list).unwrap();
        assert_eq!(configs[0].version, 0xfe0a);
        assert!(configs[0].contents.is_none());
    }
}
