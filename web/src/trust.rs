//! What the page trusts: the Mozilla root program (fetched once from the page's own
//! `mozilla-anchors.der`, so it is not in the page's code, and handed to the workers), and which
//! inputs hold a root the person could mark "trust as root" (a private CA, the samples' root).
//! What each chain is validated against and checked for is [`crate::judge::Roots`] and
//! [`crate::judge::Question::chain_request`].

use tlscope_core::chain::{AnchorOrigin, TrustAnchor};

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

/// Whether an entry holds a CA certificate someone could choose to trust.
pub fn can_be_trusted(entry: &Entry) -> bool {
    matches!(&entry.outcome, Outcome::Pki(d) if d.certificates().any(|c| c.is_ca && c.self_issued))
}
