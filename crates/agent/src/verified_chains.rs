//! Client chains the coordinator has verified, so that an edge reconnecting with the same
//! certificate costs the server one signature check (its CertificateVerify, which proves it holds
//! the key and is never cached) instead of a chain validation, CRL lookup and identity parse.
//! An entry holds only while the clock is inside the window it was verified for (the leaf's
//! validity, cut at the CRLs' nextUpdate when the policy fails closed on stale CRLs); the whole
//! cache belongs to one set of trust anchors and CRLs and is dropped with them, so a revocation
//! takes effect at the next reload exactly as without it.

use std::collections::HashMap;
use std::sync::Mutex;

use rustls::pki_types::CertificateDer;
use sha2::{Digest as _, Sha256};

/// How many chains one cache remembers before it starts over.
pub const CAPACITY: usize = 4096;

/// The SHA-256 of a presented chain (leaf, then intermediates, each length-prefixed).
pub type ChainKey = [u8; 32];

/// Verified chains and the window (unix seconds, inclusive start, exclusive end) each holds for.
#[derive(Debug, Default)]
pub struct VerifiedChains {
    entries: Mutex<HashMap<ChainKey, (u64, u64)>>,
}

impl VerifiedChains {
    /// The key of the chain `end_entity` + `intermediates`.
    pub fn key(end_entity: &CertificateDer<'_>, intermediates: &[CertificateDer<'_>]) -> ChainKey {
        let mut hash = Sha256::new();
        for der in std::iter::once(end_entity).chain(intermediates) {
            hash.update((der.len() as u64).to_be_bytes());
            hash.update(der.as_ref());
        }
        hash.finalize().into()
    }

    /// Whether `key` was verified for a window that contains `now`.
    pub fn holds(&self, key: &ChainKey, now: u64) -> bool {
        self.entries.lock().is_ok_and(|e| {
            e.get(key)
                .is_some_and(|&(from, until)| from <= now && now < until)
        })
    }

    /// Remembers that `key` verified for `[from, until)`.
    pub fn insert(&self, key: ChainKey, from: u64, until: u64) {
        if let Ok(mut e) = self.entries.lock() {
            if e.len() >= CAPACITY {
                e.clear();
            }
            e.insert(key, (from, until));
        }
    }

    /// How many chains are remembered.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_holds_only_inside_its_window() {
        let cache = VerifiedChains::default();
        let leaf = CertificateDer::from(vec![1, 2, 3]);
        let key = VerifiedChains::key(&leaf, &[]);
        assert!(!cache.holds(&key, 100));
        cache.insert(key, 100, 200);
        assert!(cache.holds(&key, 100));
        assert!(cache.holds(&key, 199));
        assert!(!cache.holds(&key, 200), "not at or after the end");
        assert!(!cache.holds(&key, 99), "not before the start");
    }

    #[test]
    fn the_key_covers_the_whole_chain() {
        let leaf = CertificateDer::from(vec![1, 2, 3]);
        let ca = CertificateDer::from(vec![4]);
        let other = CertificateDer::from(vec![5]);
        assert_ne!(
            VerifiedChains::key(&leaf, std::slice::from_ref(&ca)),
            VerifiedChains::key(&leaf, &[other])
        );
        // Length prefixes: ([1,2],[3]) is not ([1],[2,3]).
        assert_ne!(
            VerifiedChains::key(
                &CertificateDer::from(vec![1, 2]),
                &[CertificateDer::from(vec![3])]
            ),
            VerifiedChains::key(
                &CertificateDer::from(vec![1]),
                &[CertificateDer::from(vec![2, 3])]
            )
        );
    }

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let cache = VerifiedChains::default();
        for i in 0..=CAPACITY {
            let leaf = CertificateDer::from((i as u64).to_be_bytes().to_vec());
            cache.insert(VerifiedChains::key(&leaf, &[]), 0, 10);
        }
        assert_eq!(cache.len(), 1);
    }
}
