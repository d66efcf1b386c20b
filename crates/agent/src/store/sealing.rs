//! Encryption of private keys at rest: AES-256-GCM (aws-lc-rs) with a 256-bit store key read from a
//! file or an environment variable. Each sealed file names what it holds in its associated data,
//! so a sealed key cannot be swapped for another one unnoticed.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The first line of a sealed file.
pub const SEALED_HEADER: &str = "TLSCOPE-SEALED-KEY 1";

/// Why a store key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The key text is not 32 bytes in any accepted spelling.
    #[error(
        "store key: expected 32 bytes as 64 hexadecimal digits, base64, or a 32-byte binary file; got {0} bytes of something else"
    )]
    KeyFormat(usize),
    /// The sealed text is not in the sealed format.
    #[error("sealed key: expected a {SEALED_HEADER:?} header line and base64, {0}")]
    Format(String),
    /// Authentication failed: the wrong key, or the file was changed.
    #[error("the store key does not open it (wrong key, or the file was changed)")]
    Open,
    /// The platform's random generator or cipher failed.
    #[error("cipher failure")]
    Cipher,
}

/// A 256-bit key for sealing private keys.
pub struct SealingKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(****)")
    }
}

impl SealingKey {
    /// Reads a key: 64 hex digits, base64 of 32 bytes (surrounding whitespace ignored), or exactly
    /// 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let text = std::str::from_utf8(bytes).map(str::trim).ok();
        let raw = text
            .and_then(|t| hex(t).or_else(|| STANDARD.decode(t).ok()))
            .filter(|k| k.len() == 32)
            .or_else(|| (bytes.len() == 32).then(|| bytes.to_vec()))
            .ok_or(SealError::KeyFormat(bytes.len()))?;
        let key = UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| SealError::Cipher)?;
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// A fresh random key, as 64 hex digits (for `ca init --new-store-key`).
    pub fn generate_hex() -> Result<String, SealError> {
        let mut raw = [0u8; 32];
        aws_lc_rs::rand::fill(&mut raw).map_err(|_| SealError::Cipher)?;
        Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Seals `plain`, binding it to `label`.
    pub fn seal(&self, label: &str, plain: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SealError::Cipher)?;
        let mut data = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(label.as_bytes()),
                &mut data,
            )
            .map_err(|_| SealError::Cipher)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{SEALED_HEADER}\n{}\n", STANDARD.encode(out)))
    }

    /// Opens what [`seal`](Self::seal) wrote for the same `label`.
    pub fn open(&self, label: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        let body = sealed
            .strip_prefix(SEALED_HEADER)
            .ok_or_else(|| SealError::Format("the header is missing".into()))?;
        let bytes = STANDARD
            .decode(body.trim())
            .map_err(|e| SealError::Format(format!("the body is not base64 ({e})")))?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(SealError::Format(format!(
                "the body is {} bytes, shorter than a nonce and a tag",
                bytes.len()
            )));
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Cipher)?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(label.as_bytes()), &mut data)
            .map_err(|_| SealError::Open)?;
        Ok(plain.to_vec())
    }
}

/// Whether a stored key file is sealed.
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(SEALED_HEADER)
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_refusals() {
        let key = SealingKey::from_bytes(SealingKey::generate_hex().unwrap().as_bytes()).unwrap();
        let other = SealingKey::from_bytes(&[7u8; 32]).unwrap();
        let sealed = key.seal("tenant/a/key/1", b"secret").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("secret"));
        assert_eq!(key.open("tenant/a/key/1", &sealed).unwrap(), b"secret");
        assert_eq!(other.open("tenant/a/key/1", &sealed), Err(SealError::Open));
        assert_eq!(key.open("tenant/a/key/2", &sealed), Err(SealError::Open));
        assert!(matches!(
            key.open("tenant/a/key/1", &sealed[..30]),
            Err(SealError::Format(_))
        ));
        assert!(SealingKey::from_bytes(b"too short").is_err());
        let b64 = STANDARD.encode([9u8; 32]);
        assert!(SealingKey::from_bytes(b64.as_bytes()).is_ok());
    }
}
