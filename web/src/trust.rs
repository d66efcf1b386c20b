//! What the page trusts and what it checks each chain for: the Mozilla root program (fetched
//! once from the page's own `mozilla-anchors.der`, so it is not in the page's code), plus the
//! roots the person marked "trust as root" (a private CA, the samples' root), and the host name
//! an entry is checked against.

use std::rc::Rc;

use tlscope_core::chain::{AnchorOrigin, CommonNameCheck, PeerName, Purpose, TrustAnchor};
use tlscope_core::judge::ChainRequest;

use crate::state::{Entry, Outcome};

/// The page's copy of the Mozilla set, next to its wasm (made from webpki-roots; a core test
/// keeps it equal).
pub const MOZILLA_FILE: &str = "mozilla-anchors.der";

/// Fetches the Mozilla set and hands it to the core; the number of anchors, or why not.
pub async fn load_mozilla() -> Result<usize, String> {
    if !TrustAnchor::mozilla_shared().is_empty() {
        return Ok(TrustAnchor::mozilla_shared().len());
    }
    let bytes = crate::browser::fetch_asset(MOZILLA_FILE).await?;
    let set = TrustAnchor::from_compact(&bytes, AnchorOrigin::Mozilla)
        .map_err(|e| format!("{MOZILLA_FILE}: {e}"))?;
    let count = set.len();
    TrustAnchor::install_mozilla(set);
    Ok(count)
}

/// Mozilla's anchors plus every CA certificate in an entry marked trusted.
pub fn anchors(entries: &[Entry]) -> Rc<Vec<TrustAnchor>> {
    let mut all = TrustAnchor::mozilla_shared().to_vec();
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

/// How the entry's chain is validated: against `anchors`, for its names when it has any, as a
/// server's or a client's certificate, with the CN read leniently or strictly.
pub fn request(entry: &Entry, anchors: &[TrustAnchor]) -> ChainRequest {
    ChainRequest {
        anchors: anchors.to_vec(),
        purpose: if entry.checks.client {
            Purpose::ClientAuth
        } else {
            Purpose::ServerAuth
        },
        peer_names: entry
            .host
            .as_deref()
            .map(PeerName::list)
            .unwrap_or_default(),
        common_name: if entry.checks.strict_cn {
            CommonNameCheck::Refuse
        } else {
            CommonNameCheck::Warn
        },
        ..ChainRequest::default()
    }
}
