//! The App's custom hooks, one job each: the judging worker and its answers ([`Judge`],
//! [`use_answer`]), the workers judging large inputs ([`use_workers`]), the
//! page's clock ([`use_clock`]), the share link in the URL fragment ([`use_share_link`]) and the
//! Mozilla root set ([`use_mozilla_roots`]).

mod clock;
pub mod judge;
mod roots;
mod share_link;
mod workers;

pub use clock::use_clock;
pub use judge::{Judge, use_answer};
pub use roots::{RootSet, use_mozilla_roots};
pub use share_link::use_share_link;
pub use workers::{Workers, use_workers};
