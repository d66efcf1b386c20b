//! The App's custom hooks, one job each: the workers judging large inputs ([`use_workers`]), the
//! page's clock ([`use_clock`]) and the share link in the URL fragment ([`use_share_link`]).

mod clock;
mod share_link;
mod workers;

pub use clock::use_clock;
pub use share_link::use_share_link;
pub use workers::{Workers, use_workers};
