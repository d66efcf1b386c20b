//! The dashboard's components, one per file.

mod certificate_card;
mod drop_target;
mod entry_view;
mod error_card;
mod finding_list;
mod input_bar;

pub use certificate_card::{CertificateCard, CertificateCardProps};
pub use drop_target::{DropTarget, DropTargetProps};
pub use entry_view::{EntryView, EntryViewProps};
pub use error_card::{ErrorCard, ErrorCardProps};
pub use finding_list::{FindingList, FindingListProps};
pub use input_bar::{InputBar, InputBarProps};
