//! Any bag of DER blobs through path building and validation. The input is split on a
//! two-byte big-endian length prefix; the first blob is the leaf, the last is also a trust
//! anchor when it parses as one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlscope_core::Timestamp;
use tlscope_core::chain::{self, Options, PeerName, TrustAnchor};

fuzz_target!(|data: &[u8]| {
    let mut blobs = Vec::new();
    let mut rest = data;
    while rest.len() >= 2 && blobs.len() < 8 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let end = (2 + len).min(rest.len());
        blobs.push(rest[2..end].to_vec());
        rest = &rest[end..];
    }
    if blobs.is_empty() {
        return;
    }
    let anchors: Vec<TrustAnchor> = blobs
        .last()
        .and_then(|b| TrustAnchor::from_certificate(b).ok())
        .into_iter()
        .collect();
    let options = Options {
        now: Timestamp::from_unix(1_800_000_000),
        peer_names: vec![PeerName::host("example.com")],
        crls: blobs.iter().skip(1).cloned().collect(),
        ..Options::default()
    };
    let leaf = chain::leaf_index(&blobs);
    let _ = chain::validate(&blobs, leaf, &anchors, &options);
});
