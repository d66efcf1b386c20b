//! The downloadable reports — the JSON report document (`tlscope-report/1`), SARIF 2.1.0 and
//! Markdown, the same renderings `tlscope lint` writes — made in the judging worker from what
//! the page knows of each input ([`ReportInput`]), so none of the rendering is in the page's
//! WebAssembly.

use serde::{Deserialize, Serialize};
use tlscope_core::export::{Document, InputReport};
use tlscope_core::lint::Recognised;
use tlscope_core::{Finding, Timestamp};

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The JSON report document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// Markdown.
    Markdown,
}

impl Format {
    /// File name, media type.
    pub fn file(self) -> (&'static str, &'static str) {
        match self {
            Self::Json => ("tlscope-report.json", "application/json"),
            Self::Sarif => ("tlscope-report.sarif", "application/sarif+json"),
            Self::Markdown => ("tlscope-report.md", "text/markdown"),
        }
    }
}

/// What the page's report says of one input: the parts of an [`InputReport`] the page fills
/// (it sends no decoded items, chain or probe).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportInput {
    /// The file name, or "pasted text".
    pub path: String,
    /// What it was recognised as, when it could be read.
    pub recognised: Option<Recognised>,
    /// Why it could not be judged.
    pub error: Option<String>,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// Parts that could not be read while the rest was judged.
    pub problems: Vec<String>,
}

impl From<ReportInput> for InputReport {
    fn from(i: ReportInput) -> Self {
        Self {
            path: i.path,
            recognised: i.recognised,
            error: i.error,
            findings: i.findings,
            problems: i.problems,
            ..Self::default()
        }
    }
}

/// The report over `inputs` (in the page's order), judged under the profile `profile` at `now`,
/// rendered in `format`.
pub fn render(inputs: &[ReportInput], profile: &str, now: Timestamp, format: Format) -> String {
    let doc = Document::new(
        inputs.iter().cloned().map(InputReport::from).collect(),
        profile,
        now,
    );
    let written = match format {
        Format::Json => serde_json::to_string_pretty(&doc),
        Format::Sarif => serde_json::to_string_pretty(&tlscope_core::export::sarif(&doc)),
        Format::Markdown => return tlscope_core::export::markdown(&doc),
    };
    written.unwrap_or_else(|e| unwritten(&e.to_string()))
}

/// What a download says when its report could not be made (never an empty file).
pub fn unwritten(why: &str) -> String {
    format!("tlscope could not write this report: {why}\n")
}
