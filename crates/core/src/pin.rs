//! Certificate pinning: a host's pins are SHA-256 hashes of a certificate (hex, as openssl
//! prints fingerprints) or of its SubjectPublicKeyInfo (`sha256/<base64>`, as HPKP and most
//! pinning configs write them). A chain matches when any of its certificates matches any pin.

use crate::certificate::Certificate;

/// Whether `pin` is `sha256/` + base64 of 32 bytes, or 64 hex digits (colons allowed).
pub fn is_well_formed(pin: &str) -> bool {
    use base64::Engine as _;
    if let Some(b64) = pin.strip_prefix("sha256/") {
        return base64::engine::general_purpose::STANDARD
            .decode(b64)
            .is_ok_and(|b| b.len() == 32);
    }
    let hex: String = pin.chars().filter(|c| *c != ':').collect();
    hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether `c` matches `pin`.
pub fn matches(c: &Certificate, pin: &str) -> bool {
    if let Some(b64) = pin.strip_prefix("sha256/") {
        return c.spki_sha256_base64 == b64;
    }
    let want: String = pin
        .chars()
        .filter(|c| *c != ':')
        .flat_map(char::to_uppercase)
        .collect();
    let have: String = c.fingerprint_sha256.chars().filter(|c| *c != ':').collect();
    want == have.to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_shapes() {
        assert!(is_well_formed(
            "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        ));
        assert!(!is_well_formed("sha256/AAAA"));
        assert!(is_well_formed(
            &"AB:"
                .repeat(31)
                .to_string()
                .chars()
                .chain("CD".chars())
                .collect::<String>()
        ));
        assert!(!is_well_formed("sha1/abc"));
    }
}
