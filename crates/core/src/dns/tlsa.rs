//! TLSA records (RFC 6698, with RFC 7671's operational updates): decoding one record and
//! matching it against the chain a server presented — the leaf for usages 1 and 3, an issuer
//! for 0 and 2; the whole certificate or its SubjectPublicKeyInfo; exact, SHA-256 or SHA-512.

use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};

use super::DnsError;
use super::wire::Reader;

/// One TLSA record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tlsa {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// Selector: 0 the full certificate, 1 the SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// The association data, hex.
    pub data: String,
}

/// Decodes one TLSA RDATA.
pub fn decode(rdata: &[u8]) -> Result<Tlsa, DnsError> {
    let mut r = Reader::new("TLSA", rdata);
    let usage = r.u8("certificate usage")?;
    let selector = r.u8("selector")?;
    let matching = r.u8("matching type")?;
    let data = r.rest();
    let want = match matching {
        1 => Some(32),
        2 => Some(64),
        _ => None,
    };
    if let Some(n) = want.filter(|n| *n != data.len()) {
        return Err(r.error(format!(
            "a {}-byte digest for matching type {matching}, found {} bytes",
            n,
            data.len()
        )));
    }
    if data.is_empty() {
        return Err(r.error("certificate association data"));
    }
    Ok(Tlsa {
        usage,
        selector,
        matching,
        data: data.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

impl Tlsa {
    /// `3 1 1` and friends, as zone files write it.
    pub fn parameters(&self) -> String {
        format!("{} {} {}", self.usage, self.selector, self.matching)
    }

    /// The usage's name.
    pub fn usage_name(&self) -> &'static str {
        match self.usage {
            0 => "PKIX-TA",
            1 => "PKIX-EE",
            2 => "DANE-TA",
            3 => "DANE-EE",
            _ => "unassigned",
        }
    }

    /// Whether this record's usage, selector and matching type are ones RFC 6698 defines.
    pub fn is_understood(&self) -> bool {
        self.usage <= 3 && self.selector <= 1 && self.matching <= 2
    }

    /// Whether the record pins the end-entity certificate or key (usages 1 and 3).
    pub fn pins_leaf(&self) -> bool {
        matches!(self.usage, 1 | 3)
    }

    /// The position in `chain` (leaf first, DER) this record matches, if any.
    pub fn matches(&self, chain: &[Vec<u8>]) -> Option<usize> {
        if !self.is_understood() {
            return None;
        }
        let candidates: Box<dyn Iterator<Item = (usize, &Vec<u8>)>> = if self.pins_leaf() {
            Box::new(chain.iter().enumerate().take(1))
        } else {
            Box::new(chain.iter().enumerate().skip(1))
        };
        for (i, der) in candidates {
            let selected = match self.selector {
                0 => Some(der.clone()),
                _ => crate::certificate::spki_der(der),
            };
            let Some(selected) = selected else { continue };
            let digest: Vec<u8> = match self.matching {
                0 => selected,
                1 => Sha256::digest(&selected).to_vec(),
                _ => Sha512::digest(&selected).to_vec(),
            };
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            if hex == self.data {
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_digest_is_refused_with_its_length() {
        let mut rdata = vec![3, 1, 1];
        rdata.extend_from_slice(&[0u8; 31]);
        let e = decode(&rdata).unwrap_err();
        assert!(e.to_string().contains("32-byte digest"), "{e}");
        assert!(decode(&[3, 1]).is_err());
    }

    #[test]
    fn matches_leaf_spki_and_issuer_certificate() {
        let pem = include_str!("../../tests/corpus/ml-dsa-chain.pem");
        let decoded = crate::decode(pem.as_bytes()).unwrap();
        let chain: Vec<Vec<u8>> = decoded.certificates().map(|c| c.der.clone()).collect();
        assert!(chain.len() >= 2);
        let spki = crate::certificate::spki_der(&chain[0]).unwrap();
        let mut rdata = vec![3, 1, 1];
        rdata.extend_from_slice(&Sha256::digest(&spki));
        let leaf = decode(&rdata).unwrap();
        assert_eq!(leaf.matches(&chain), Some(0));
        let mut rdata = vec![2, 0, 2];
        rdata.extend_from_slice(&Sha512::digest(&chain[1]));
        assert_eq!(decode(&rdata).unwrap().matches(&chain), Some(1));
        // The same digest under usage 3 looks at the leaf only.
        rdata[0] = 3;
        assert_eq!(decode(&rdata).unwrap().matches(&chain), None);
    }
}
