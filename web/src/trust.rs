//! What the page trusts and what it checks each chain for: the Mozilla root program, plus the
//! roots the person marked "trust as root" (a private CA, the samples' root), and the host name
//! an entry is checked against.

use std::rc::Rc;
use std::sync::OnceLock;

use tlscope_core::chain::{PeerName, Purpose, TrustAnchor};
use tlscope_core::judge::ChainRequest;

use crate::state::{Entry, Outcome};

/// The Mozilla anchors, parsed once per page.
pub fn mozilla() -> &'static [TrustAnchor] {
    static MOZILLA: OnceLock<Vec<TrustAnchor>> = OnceLock::new();
    MOZILLA.get_or_init(TrustAnchor::mozilla)
}

/// Mozilla's anchors plus every CA certificate in an entry marked trusted.
pub fn anchors(entries: &[Entry]) -> Rc<Vec<TrustAnchor>> {
    let mut all = mozilla().to_vec();
    for entry in entries.iter().filter(|e| e.trusted) {
        if let Outcome::Pki(decoded) = &entry.outcome {
            all.extend(
                decoded
                    .certificates()
                    .filter(|c| c.is_ca)
                    .filter_map(|c| TrustAnchor::from_certificate(&c.der).ok()),
            );
        }
    }
    Rc::new(all)
}

/// Whether an entry holds a CA certificate someone could choose to trust.
pub fn can_be_trusted(entry: &Entry) -> bool {
    matches!(&entry.outcome, Outcome::Pki(d) if d.certificates().any(|c| c.is_ca && c.self_issued))
}

/// How the entry's chain is validated: against `anchors`, for its host name when it has one.
pub fn request(entry: &Entry, anchors: &[TrustAnchor]) -> ChainRequest {
    ChainRequest {
        anchors: anchors.to_vec(),
        purpose: Purpose::ServerAuth,
        peer_names: entry
            .host
            .as_deref()
            .map(PeerName::list)
            .unwrap_or_default(),
        ..ChainRequest::default()
    }
}
