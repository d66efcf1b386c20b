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

fn algorithm(token: &str) -> Option<Algorithm> {
    let t = token.trim().to_ascii_lowercase();
    let t = t
        .strip_prefix("ke1_")
        .or_else(|| t.strip_prefix("ke2_"))
        .unwrap_or(&t);
    Some(match t {
        "3des" | "des" | "null" | "cast128" => Algorithm::Cipher { weak: true },
        _ if t.starts_with("blowfish") => Algorithm::Cipher { weak: true },
        _ if t.ends_with("gmac") => Algorithm::Cipher { weak: true },
        _ if t.starts_with("aes") && !t.starts_with("aesxcbc") && !t.starts_with("aescmac") => {
            Algorithm::Cipher { weak: false }
        }
        _ if t.starts_with("camellia")
            || t.starts_with("chacha20")
            || t.starts_with("serpent")
            || t.starts_with("twofish") =>
        {
            Algorithm::Cipher { weak: false }
        }
        "md5" | "md5_128" | "prfmd5" => Algorithm::Md5,
        "sha1" | "sha" | "sha1_160" | "prfsha1" => Algorithm::Sha1,
        _ if t.starts_with("sha2")
            || t.starts_with("sha256")
            || t.starts_with("sha384")
            || t.starts_with("sha512")
            || t.starts_with("prfsha")
            || t.starts_with("aesxcbc")
            || t.starts_with("aescmac")
            || t.starts_with("prfaes") =>
        {
            Algorithm::Integrity
        }
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
        _ if t.starts_with("mlkem") => Algorithm::PostQuantum,
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
            match algorithm(token) {
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
    fn durations() {
        assert_eq!(duration_seconds("3600"), Some(3600));
        assert_eq!(duration_seconds("90m"), Some(5400));
        assert_eq!(duration_seconds("1d"), Some(86_400));
        assert_eq!(duration_seconds("3x"), None);
    }
}
