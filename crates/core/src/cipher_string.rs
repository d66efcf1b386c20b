//! OpenSSL cipher strings (`ssl_ciphers`, `ssl_cipher`, `tls-ciphers`, `SSLCipherSuite`, …)
//! expanded the way OpenSSL's `SSL_CTX_set_cipher_list` does, over the TLS ≤ 1.2 suites of the
//! protocol registry: items separated by `:`, `,` or spaces; `A+B` is the intersection; `!`
//! removes for good, `-` removes (a later item may add back), `+` moves to the end; `@STRENGTH`
//! and `@SECLEVEL=n` are read. Aliases (`HIGH`, `DEFAULT`, `kRSA`, `ECDHE`, `AESGCM`, `SHA256`, …)
//! are defined over each suite's key exchange, authentication, cipher and MAC, which come from
//! its IANA name. TLS 1.3 suites are not governed by cipher strings (OpenSSL's `ciphersuites`).

use crate::protocol::{CipherSuite, SUITES};

/// A suite's parts, as OpenSSL classifies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    kx: &'static str,
    auth: &'static str,
    enc: &'static str,
    mac: &'static str,
    bits: u16,
}

/// The parts of a TLS ≤ 1.2 suite from its IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA`.
fn parts(s: &CipherSuite) -> Option<Parts> {
    let rest = s.iana.strip_prefix("TLS_")?;
    let (kxa, cipher) = rest.split_once("_WITH_")?;
    let (kx, auth) = match kxa {
        "RSA" | "RSA_EXPORT" => ("RSA", "RSA"),
        "ECDHE_RSA" => ("ECDHE", "RSA"),
        "ECDHE_ECDSA" => ("ECDHE", "ECDSA"),
        "DHE_RSA" => ("DHE", "RSA"),
        "DHE_DSS" => ("DHE", "DSS"),
        "DH_anon" => ("DHE", "NULL"),
        "ECDH_anon" => ("ECDHE", "NULL"),
        "PSK" => ("PSK", "PSK"),
        _ => return None,
    };
    let (enc, bits, mac) = cipher_parts(cipher)?;
    Some(Parts {
        kx,
        auth,
        enc,
        mac,
        bits,
    })
}

fn cipher_parts(c: &str) -> Option<(&'static str, u16, &'static str)> {
    let mac = if c.ends_with("_GCM_SHA256")
        || c.ends_with("_GCM_SHA384")
        || c.contains("CHACHA20_POLY1305")
        || c.contains("_CCM")
    {
        "AEAD"
    } else if c.ends_with("_SHA384") {
        "SHA384"
    } else if c.ends_with("_SHA256") {
        "SHA256"
    } else if c.ends_with("_MD5") {
        "MD5"
    } else if c.ends_with("_SHA") {
        "SHA1"
    } else {
        return None;
    };
    let (enc, bits) = if c.starts_with("AES_128_GCM") {
        ("AESGCM128", 128)
    } else if c.starts_with("AES_256_GCM") {
        ("AESGCM256", 256)
    } else if c.starts_with("AES_128_CCM") {
        ("AESCCM128", 128)
    } else if c.starts_with("AES_256_CCM") {
        ("AESCCM256", 256)
    } else if c.starts_with("AES_128") {
        ("AES128", 128)
    } else if c.starts_with("AES_256") {
        ("AES256", 256)
    } else if c.starts_with("CHACHA20") {
        ("CHACHA20", 256)
    } else if c.starts_with("CAMELLIA_128") {
        ("CAMELLIA128", 128)
    } else if c.starts_with("CAMELLIA_256") {
        ("CAMELLIA256", 256)
    } else if c.starts_with("3DES") {
        ("3DES", 112)
    } else if c.starts_with("DES40") {
        ("DES", 40)
    } else if c.starts_with("DES") {
        ("DES", 56)
    } else if c.starts_with("RC4_40") {
        ("RC4", 40)
    } else if c.starts_with("RC4") {
        ("RC4", 128)
    } else if c.starts_with("NULL") {
        ("NULL", 0)
    } else {
        return None;
    };
    Some((enc, bits, mac))
}

/// Whether one alias (or a concrete OpenSSL suite name) selects a suite; `None` for a name
/// OpenSSL would not know.
fn selects(alias: &str, s: &CipherSuite, p: &Parts) -> Option<bool> {
    let export = s.iana.contains("EXPORT");
    let strength_high = p.bits >= 128 && p.enc != "RC4";
    Some(match alias {
        // ALL leaves out the NULL ciphers (COMPLEMENTOFALL).
        "ALL" => p.enc != "NULL",
        "COMPLEMENTOFALL" | "ENULL" | "NULL" | "eNULL" => p.enc == "NULL",
        "DEFAULT" => selects("ALL", s, p)? && !selects("COMPLEMENTOFDEFAULT", s, p)?,
        "COMPLEMENTOFDEFAULT" => {
            p.auth == "NULL"
                || p.auth == "DSS"
                || p.enc.starts_with("CAMELLIA")
                || p.enc.starts_with("AESCCM")
                || p.kx == "PSK"
                || !strength_high
        }
        "HIGH" => strength_high && p.enc != "3DES" && p.enc != "NULL",
        "MEDIUM" => p.enc == "3DES" || (p.enc == "RC4" && p.bits == 128),
        "LOW" => p.enc == "DES" && !export,
        "EXP" | "EXPORT" => export,
        "aNULL" => p.auth == "NULL",
        "kRSA" | "RSA" => p.kx == "RSA",
        "aRSA" => p.auth == "RSA",
        "kEECDH" | "kECDHE" | "ECDHE" | "EECDH" => p.kx == "ECDHE",
        "AECDH" => p.kx == "ECDHE" && p.auth == "NULL",
        "kEDH" | "kDHE" | "DHE" | "EDH" => p.kx == "DHE",
        "ADH" => p.kx == "DHE" && p.auth == "NULL",
        "aECDSA" | "ECDSA" => p.auth == "ECDSA",
        "aDSS" | "DSS" => p.auth == "DSS",
        "kPSK" | "PSK" | "aPSK" => p.kx == "PSK",
        "AES" => p.enc.starts_with("AES"),
        "AES128" => matches!(p.enc, "AES128" | "AESGCM128" | "AESCCM128"),
        "AES256" => matches!(p.enc, "AES256" | "AESGCM256" | "AESCCM256"),
        "AESGCM" => p.enc.starts_with("AESGCM"),
        "AESCCM" => p.enc.starts_with("AESCCM"),
        "CHACHA20" => p.enc == "CHACHA20",
        "CAMELLIA" => p.enc.starts_with("CAMELLIA"),
        "CAMELLIA128" => p.enc == "CAMELLIA128",
        "CAMELLIA256" => p.enc == "CAMELLIA256",
        "3DES" => p.enc == "3DES",
        "DES" => p.enc == "DES",
        "RC4" => p.enc == "RC4",
        "SHA1" | "SHA" => p.mac == "SHA1",
        "SHA256" => p.mac == "SHA256",
        "SHA384" => p.mac == "SHA384",
        "MD5" => p.mac == "MD5",
        "TLSv1.2" => p.mac == "AEAD" || p.mac == "SHA256" || p.mac == "SHA384",
        "TLSv1" | "TLSv1.0" | "SSLv3" => {
            !(p.mac == "AEAD" || p.mac == "SHA256" || p.mac == "SHA384")
        }
        "SUITEB128" | "SUITEB128ONLY" | "SUITEB128C2" | "SUITEB192" => {
            p.kx == "ECDHE" && p.auth == "ECDSA" && p.enc.starts_with("AESGCM")
        }
        name => {
            if s.openssl.eq_ignore_ascii_case(name) || s.iana.eq_ignore_ascii_case(name) {
                true
            } else if SUITES
                .iter()
                .any(|x| x.openssl.eq_ignore_ascii_case(name) || x.iana.eq_ignore_ascii_case(name))
            {
                false
            } else {
                return None;
            }
        }
    })
}

/// A cipher string, expanded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expanded {
    /// The suites enabled, in OpenSSL's resulting order.
    pub suites: Vec<&'static CipherSuite>,
    /// Items OpenSSL would not recognise (it ignores them), as written.
    pub unknown: Vec<String>,
    /// `@SECLEVEL=n`, if given.
    pub security_level: Option<u8>,
}

/// Expands an OpenSSL cipher string over the registry's TLS ≤ 1.2 suites.
pub fn expand(text: &str) -> Expanded {
    let universe: Vec<(&'static CipherSuite, Parts)> = SUITES
        .iter()
        .filter(|s| !s.is_tls13())
        .filter_map(|s| parts(s).map(|p| (s, p)))
        .collect();
    let mut out = Expanded::default();
    let mut list: Vec<usize> = Vec::new();
    let mut banned = vec![false; universe.len()];
    for raw in text
        .split([':', ',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let (op, item) = match raw.chars().next() {
            Some(c @ ('!' | '-' | '+')) => (c, &raw[1..]),
            _ => (' ', raw),
        };
        if let Some(rest) = item.strip_prefix('@') {
            if let Some(n) = rest.strip_prefix("SECLEVEL=") {
                out.security_level = n.parse().ok();
            } else if rest == "STRENGTH" {
                list.sort_by_key(|i| std::cmp::Reverse(universe[*i].1.bits));
            } else {
                out.unknown.push(raw.to_owned());
            }
            continue;
        }
        // `A+B+C`: the suites every part selects.
        let mut known = true;
        let chosen: Vec<usize> = (0..universe.len())
            .filter(|i| {
                let (s, p) = &universe[*i];
                item.split('+').all(|a| match selects(a, s, p) {
                    Some(hit) => hit,
                    None => {
                        known = false;
                        false
                    }
                })
            })
            .collect();
        if !known {
            out.unknown.push(raw.to_owned());
            continue;
        }
        match op {
            '!' => {
                for i in &chosen {
                    banned[*i] = true;
                }
                list.retain(|i| !chosen.contains(i));
            }
            '-' => list.retain(|i| !chosen.contains(i)),
            '+' => {
                let (moved, kept): (Vec<usize>, Vec<usize>) =
                    list.iter().partition(|i| chosen.contains(i));
                list = kept;
                list.extend(moved);
            }
            _ => {
                for i in chosen {
                    if !banned[i] && !list.contains(&i) {
                        list.push(i);
                    }
                }
            }
        }
    }
    out.suites = list.into_iter().map(|i| universe[i].0).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        expand(text).suites.iter().map(|s| s.openssl).collect()
    }

    #[test]
    fn the_usual_strings() {
        assert_eq!(
            names("ECDHE+AESGCM"),
            [
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES128-GCM-SHA256"
            ]
        );
        let high = names("HIGH:!aNULL:!MD5");
        assert!(high.contains(&"AES128-SHA") && !high.contains(&"DES-CBC3-SHA"));
        assert!(!high.contains(&"ADH-AES128-SHA"));
        // `-` removes, a later item may add back; `!` is for good.
        assert!(names("ALL:-kRSA:AES128-SHA").contains(&"AES128-SHA"));
        assert!(!names("ALL:!kRSA:AES128-SHA").contains(&"AES128-SHA"));
        // `+` moves to the end.
        let moved = names("ECDHE-RSA-AES128-SHA:AES128-SHA:+ECDHE");
        assert_eq!(moved, ["AES128-SHA", "ECDHE-RSA-AES128-SHA"]);
        assert!(
            names("DEFAULT")
                .iter()
                .all(|n| !n.contains("NULL") && !n.contains("CAMELLIA"))
        );
        assert!(
            names("SHA256").iter().all(|n| !n.contains("GCM")),
            "GCM suites have an AEAD MAC"
        );
    }

    #[test]
    fn unknown_items_and_security_level_are_reported() {
        let e = expand("HIGH:FOO-BAR:!aNULL");
        assert_eq!(e.unknown, ["FOO-BAR"]);
        let e = expand("HIGH:@SECLEVEL=2");
        assert_eq!(e.security_level, Some(2));
    }
}
