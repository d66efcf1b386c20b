//! The dashboard's components, one per file.

mod asn1_view;
mod bundle_view;
mod certificate_card;
mod chain_view;
mod copy_button;
mod drop_target;
mod entry_view;
mod error_card;
mod expiry_timeline;
mod export_bar;
mod finding_list;
mod input_bar;
mod links_view;
mod lint_view;
mod live_view;
mod policy_view;
mod source_view;

pub use asn1_view::{Asn1View, Asn1ViewProps};
pub use bundle_view::{BundleView, BundleViewProps};
pub use certificate_card::{CertificateCard, CertificateCardProps};
pub use chain_view::{ChainView, ChainViewProps};
pub use copy_button::{CopyButton, CopyButtonProps};
pub use drop_target::{DropTarget, DropTargetProps};
pub use entry_view::{EntryView, EntryViewProps};
pub use error_card::{ErrorCard, ErrorCardProps};
pub use expiry_timeline::{ExpiryTimeline, ExpiryTimelineProps};
pub use export_bar::{ExportBar, ExportBarProps};
pub use finding_list::{FindingList, FindingListProps};
pub use input_bar::{InputBar, InputBarProps};
pub use links_view::{LinksView, LinksViewProps};
pub use lint_view::{LintView, LintViewProps};
pub use live_view::{LiveView, LiveViewProps};
pub use policy_view::{PolicyView, PolicyViewProps};
pub use source_view::{SourceView, SourceViewProps};
