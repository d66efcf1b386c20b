//! IPsec proposals as strongSwan writes them (`aes256-sha256-modp2048`, `aes256gcm16-ecp384`,
//! a `!` for strict): each algorithm named and judged under the policy's `[ipsec]` minimum
//! (NIST SP 800-77r1 by default): the cipher, the integrity and PRF algorithms, the
//! Diffie-Hellman group, and perfect forward secrecy for CHILD_SAs. The configuration dialects
//! that carry proposals (config/strongswan.rs) call this; the judgement is made once, here.

use crate::policy::Policy;
use crate::rules::RuleId;

/// Which SA a proposal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sa {
    /// IKE_SA (`ike=`, `proposals =`): its DH group is the key exchange itself.
    Ike,
    /// CHILD_SA (`esp=`, `ah=`, `esp_proposals =`): a DH group here is PFS.
    Child,
}

/// What one algorithm token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    /// A cipher; `weak` when it is not to be used (DES, 3DES, Blowfish, CAST, NULL, GMAC
    /// without encryption).
    Cipher { weak: bool },
    /// An integrity or PRF algorithm on MD5.
    Md5,
    /// An integrity or PRF algorithm on SHA-1.
    Sha1,
    /// Any other integrity or PRF algorithm (SHA-2, AES-XCBC/CMAC).
    Integrity,
    /// A MODP (finite-field) group of this many bits.
    Modp(u32),
    /// An elliptic-curve group of this many bits.
    Ecp(u32),
    /// A post-quantum key exchange (ML-KEM), alone or additional (`ke1_…`).
    PostQuantum,
    /// `esn`, `noesn`.
    Esn,
}

/// `rest` is empty or one of `options`.
fn one_of(rest: &str, options: &[&str]) -> bool {
    rest.is_empty() || options.contains(&rest)
}

/// A block cipher keyword: `name`, an optional key size, and an optional mode (`ctr`, `ccm` or
/// `gcm` with an optional ICV length) — `aes`, `aes256`, `aes256gcm16`, `camellia128ctr`.
fn block_cipher(t: &str, name: &str, modes: bool) -> bool {
    let Some(rest) = t.strip_prefix(name) else {
        return false;
    };
    let rest = ["128", "192", "256"]
        .iter()
        .find_map(|k| rest.strip_prefix(k))
        .unwrap_or(rest);
    if rest.is_empty() {
        return true;
    }
    if !modes {
        return false;
    }
    const ICV: &[&str] = &["8", "12", "16", "64", "96", "128"];
    rest == "ctr"
        || rest.strip_prefix("ccm").is_some_and(|icv| one_of(icv, ICV))
        || rest.strip_prefix("gcm").is_some_and(|icv| one_of(icv, ICV))
}

/// What a proposal keyword is, by strongSwan's keyword table (its `proposal_keywords`):
/// exact names, so a typo (`sha257`, `modp9999`, `aes512`) is unknown, as charon calls it.
/// `sa` matters for the truncated `sha256_96`, which strongSwan takes in ESP proposals only.
/// The ML-KEM groups (`mlkem768`, `ke1_mlkem768`) are strongSwan 6's.
fn algorithm(token: &str, sa: Sa) -> Option<Algorithm> {
    let t = token.trim().to_ascii_lowercase();
    let t = t
        .strip_prefix("ke1_")
        .or_else(|| t.strip_prefix("ke2_"))
        .unwrap_or(&t);
    Some(match t {
        "3des" | "des" | "null" | "cast128" => Algorithm::Cipher { weak: true },
        _ if block_cipher(t, "blowfish", false) => Algorithm::Cipher { weak: true },
        _ if t
            .strip_suffix("gmac")
            .is_some_and(|k| block_cipher(k, "aes", false)) =>
        {
            Algorithm::Cipher { weak: true }
        }
        "chacha20poly1305" => Algorithm::Cipher { weak: false },
        _ if block_cipher(t, "aes", true)
            || block_cipher(t, "camellia", true)
            || block_cipher(t, "serpent", false)
            || block_cipher(t, "twofish", false) =>
        {
            Algorithm::Cipher { weak: false }
        }
        "md5" | "md5_128" | "prfmd5" => Algorithm::Md5,
        "sha1" | "sha" | "sha1_160" | "prfsha1" => Algorithm::Sha1,
        "sha256" | "sha2_256" | "sha384" | "sha2_384" | "sha512" | "sha2_512" | "aesxcbc"
        | "aescmac" | "camelliaxcbc" | "prfsha256" | "prfsha384" | "prfsha512" | "prfaesxcbc"
        | "prfaescmac" | "prfcamelliaxcbc" => Algorithm::Integrity,
        "sha256_96" | "sha2_256_96" if sa == Sa::Child => Algorithm::Integrity,
        "modp768" => Algorithm::Modp(768),
        "modp1024" | "modp1024s160" => Algorithm::Modp(1024),
        "modp1536" => Algorithm::Modp(1536),
        "modp2048" | "modp2048s224" | "modp2048s256" => Algorithm::Modp(2048),
        "modp3072" => Algorithm::Modp(3072),
        "modp4096" => Algorithm::Modp(4096),
        "modp6144" => Algorithm::Modp(6144),
        "modp8192" => Algorithm::Modp(8192),
        "ecp192" => Algorithm::Ecp(192),
        "ecp224" | "ecp224bp" => Algorithm::Ecp(224),
        "ecp256" | "ecp256bp" | "curve25519" | "x25519" => Algorithm::Ecp(256),
        "ecp384" | "ecp384bp" | "curve448" | "x448" => Algorithm::Ecp(384),
        "ecp521" | "ecp512bp" => Algorithm::Ecp(521),
        "mlkem512" | "mlkem768" | "mlkem1024" => Algorithm::PostQuantum,
        "esn" | "noesn" => Algorithm::Esn,
        _ => return None,
    })
}

/// Every problem of a proposal list (comma-separated proposals of `-`-separated algorithms),
/// as (rule, what is wrong).
pub fn judge_proposals(list: &str, sa: Sa, policy: &Policy) -> Vec<(RuleId, String)> {
    let mut out = Vec::new();
    let min = &policy.ipsec;
    for proposal in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let proposal = proposal.trim_end_matches('!');
        if proposal.eq_ignore_ascii_case("default") {
            continue;
        }
        let mut has_dh = false;
        for token in proposal.split('-') {
            match algorithm(token, sa) {
                Some(Algorithm::Cipher { weak: true }) => out.push((
                    crate::rule!("IPSEC-CIPHER-WEAK"),
                    format!("{proposal}: {token} is not an acceptable cipher (SP 800-77r1: AES)"),
                )),
                Some(Algorithm::Md5) => out.push((
                    crate::rule!("IPSEC-INTEGRITY-WEAK"),
                    format!("{proposal}: {token} is MD5"),
                )),
                Some(Algorithm::Sha1) => out.push((
                    crate::rule!("IPSEC-INTEGRITY-SHA1"),
                    format!("{proposal}: {token} is SHA-1 (SP 800-77r1 prefers SHA-2)"),
                )),
                Some(Algorithm::Modp(bits)) => {
                    has_dh = true;
                    if bits < min.min_modp_bits || token.ends_with("s160") {
                        out.push((
                            crate::rule!("IPSEC-DH-WEAK"),
                            format!(
                                "{proposal}: {token} is a {bits}-bit MODP group; the policy needs at least {} bits",
                                min.min_modp_bits
                            ),
                        ));
                    }
                }
                Some(Algorithm::Ecp(bits)) => {
                    has_dh = true;
                    if bits < min.min_ecp_bits {
                        out.push((
                            crate::rule!("IPSEC-DH-WEAK"),
                            format!(
                                "{proposal}: {token} is a {bits}-bit curve; the policy needs at least {} bits",
                                min.min_ecp_bits
                            ),
                        ));
                    }
                }
                Some(Algorithm::PostQuantum) => has_dh = true,
                Some(Algorithm::Cipher { weak: false } | Algorithm::Integrity | Algorithm::Esn) => {
                }
                None => out.push((
                    crate::rule!("CONFIG-CIPHER-UNKNOWN"),
                    format!("{proposal}: {token} is not an algorithm strongSwan knows"),
                )),
            }
        }
        if sa == Sa::Child && !has_dh && min.pfs {
            out.push((
                crate::rule!("IPSEC-NO-PFS"),
                format!(
                    "{proposal}: no Diffie-Hellman group, so rekeyed CHILD_SAs have no perfect forward secrecy"
                ),
            ));
        }
    }
    out
}

/// A strongSwan duration (`3600`, `60s`, `90m`, `3h`, `1d`) in seconds.
pub fn duration_seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = number.parse().ok()?;
    Some(match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &str, sa: Sa) -> Vec<&'static str> {
        judge_proposals(list, sa, &Policy::default())
            .into_iter()
            .map(|(r, _)| r.as_str())
            .collect()
    }

    #[test]
    fn the_specifications_example_is_acceptable_and_weak_ones_are_not() {
        assert!(rules("aes256-sha256-modp2048!", Sa::Ike).is_empty());
        assert!(
            rules(
                "aes256gcm16-ecp384,aes128gcm16-x25519-ke1_mlkem768",
                Sa::Ike
            )
            .is_empty()
        );
        assert_eq!(
            rules("3des-md5-modp1024", Sa::Ike),
            ["IPSEC-CIPHER-WEAK", "IPSEC-INTEGRITY-WEAK", "IPSEC-DH-WEAK"]
        );
        assert_eq!(
            rules("aes128-sha1", Sa::Child),
            ["IPSEC-INTEGRITY-SHA1", "IPSEC-NO-PFS"]
        );
        assert!(rules("aes256gcm16-modp3072", Sa::Child).is_empty());
        assert_eq!(
            rules("aes256-sha256-modp2048-rot13", Sa::Ike),
            ["CONFIG-CIPHER-UNKNOWN"]
        );
        let fips = Policy::fips();
        let strict: Vec<_> = judge_proposals("aes256-sha384-modp2048", Sa::Ike, &fips)
            .into_iter()
            .map(|(r, _)| r.as_str())
            .collect();
        assert_eq!(strict, ["IPSEC-DH-WEAK"]);
    }

    #[test]
    fn regression_a_near_miss_keyword_is_unknown_as_charon_calls_it() {
        // Prefix matching once took sha257 for SHA-256; charon refuses it (config_servers.rs).
        for typo in [
            "aes256-sha257-modp2048",
            "aes512-sha256-modp2048",
            "aes256-sha256-modp9999",
            "aes128gcm17-prfsha256-ecp256",
        ] {
            assert_eq!(rules(typo, Sa::Ike), ["CONFIG-CIPHER-UNKNOWN"], "{typo}");
        }
        // The truncated SHA-256 is an ESP keyword only.
        assert_eq!(
            rules("aes256-sha256_96-modp2048", Sa::Ike),
            ["CONFIG-CIPHER-UNKNOWN"]
        );
        assert!(rules("aes256-sha256_96-modp2048", Sa::Child).is_empty());
        for known in [
            "aes-sha256-modp2048",
            "camellia256ctr-sha512-modp4096",
            "chacha20poly1305-prfsha256-x25519",
            "aes256gcm-prfsha384-ecp384",
            "aes256-sha384-ecp384-ke1_mlkem768",
        ] {
            assert!(rules(known, Sa::Ike).is_empty(), "{known}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("3600"), Some(3600));
        assert_eq!(duration_seconds("90m"), Some(5400));
        assert_eq!(duration_seconds("1d"), Some(86_400));
        assert_eq!(duration_seconds("3x"), None);
    }
}
