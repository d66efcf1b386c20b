//! tlscope-core's two hot paths — decode + details, and chain validation — exported through
//! wasm-bindgen so `cargo xtask bench` can time the core compiled to wasm32 under node, in the
//! same process as @peculiar/x509, and against the native criterion figures.

#![forbid(unsafe_code)]

use tlscope_core::Timestamp;
use tlscope_core::chain::{self, Options, PeerName, TrustAnchor};
use wasm_bindgen::prelude::*;

/// Decodes `bytes` (PEM or DER, any number of blocks) with every detail the dashboard shows;
/// returns how many items were found, or 0 when the input is refused.
#[wasm_bindgen]
pub fn decode_details(bytes: &[u8]) -> usize {
    tlscope_core::decode(bytes).map_or(0, |d| d.items.len())
}

/// A leaf, its intermediates and one root kept in wasm memory, validated repeatedly.
#[wasm_bindgen]
pub struct PreparedChain {
    bag: Vec<Vec<u8>>,
    anchors: Vec<TrustAnchor>,
    options: Options,
}

#[wasm_bindgen]
impl PreparedChain {
    /// `leaf` and `intermediate` are DER; `root` is the trust anchor's DER; `host` the peer
    /// name; `now` seconds since the Unix epoch.
    #[wasm_bindgen(constructor)]
    pub fn new(
        leaf: &[u8],
        intermediate: &[u8],
        root: &[u8],
        host: &str,
        now: f64,
    ) -> Result<PreparedChain, JsError> {
        let anchor =
            TrustAnchor::from_certificate(root).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self {
            bag: vec![leaf.to_vec(), intermediate.to_vec()],
            anchors: vec![anchor],
            options: Options {
                // Whole seconds are all a validity check needs.
                now: Timestamp::from_unix(now as i64),
                peer_names: vec![PeerName::host(host)],
                ..Options::default()
            },
        })
    }

    /// Full path building and RFC 5280 validation; true when a valid path was found.
    pub fn validate(&self) -> bool {
        chain::validate(&self.bag, 0, &self.anchors, &self.options).valid
    }
}
