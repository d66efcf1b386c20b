//! # tlscope-source
//!
//! TLS settings in source code, read by real parsers — JavaScript and TypeScript with oxc,
//! Python with RustPython's parser, Go with tree-sitter's Go grammar — into the core's typed
//! [`Setting`]s with their line, which `tlscope_core::code::judge` judges by the same rules as
//! the equivalent server setting. oxc and RustPython are pure Rust; tree-sitter is C, so Go is
//! read only with the `go` feature (the agent's build; the page's source worker leaves it out).

#![forbid(unsafe_code)]

#[cfg(feature = "go")]
mod go;
mod js;
mod python;

use tlscope_core::code::Setting;

/// The languages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// `.js`, `.mjs`, `.cjs`, `.jsx`.
    JavaScript,
    /// `.ts`, `.mts`, `.cts`, `.tsx`.
    TypeScript,
    /// `.py`.
    Python,
    /// `.go`.
    Go,
}

impl Language {
    /// The language of a file, by its extension.
    pub fn of(path: &str) -> Option<Self> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "js" | "mjs" | "cjs" | "jsx" => Self::JavaScript,
            "ts" | "mts" | "cts" | "tsx" => Self::TypeScript,
            "py" => Self::Python,
            "go" => Self::Go,
            _ => return None,
        })
    }

    /// Whether this build reads it (Go needs the `go` feature: tree-sitter is C).
    pub fn readable(self) -> bool {
        !matches!(self, Self::Go) || cfg!(feature = "go")
    }

    /// Its name.
    pub fn label(self) -> &'static str {
        match self {
            Self::JavaScript => "JavaScript",
            Self::TypeScript => "TypeScript",
            Self::Python => "Python",
            Self::Go => "Go",
        }
    }
}

/// Why a source file could not be read: where, and what the parser expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{language} line {line}, column {column}: {message}", language = language.label())]
pub struct SourceError {
    /// The language it was read as.
    pub language: Language,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The parser's message.
    pub message: String,
}

/// The TLS settings of one source file (`path` decides the language and the dialect, e.g. TSX).
pub fn settings(path: &str, text: &str) -> Result<Vec<Setting>, SourceError> {
    match Language::of(path) {
        Some(Language::Python) => python::settings(text),
        #[cfg(feature = "go")]
        Some(Language::Go) => go::settings(text),
        #[cfg(not(feature = "go"))]
        Some(Language::Go) => Err(SourceError {
            language: Language::Go,
            line: 1,
            column: 1,
            message: "Go is read by the agent (`tlscope lint FILE`): its parser, tree-sitter, is C and not in this build".into(),
        }),
        Some(lang) => js::settings(path, text, lang),
        None => Ok(Vec::new()),
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, str::len) + 1;
    (line, column)
}

/// The lowest version a client option names (`TLSv1.2`, `TLSv1_2`, `PROTOCOL_TLSv1`).
pub(crate) fn version(text: &str) -> Option<tlscope_core::protocol::TlsVersion> {
    let t = text.replace('_', ".");
    let t = t
        .trim_start_matches("PROTOCOL.")
        .trim_end_matches(".method");
    tlscope_core::protocol::TlsVersion::parse(t)
        .or_else(|| tlscope_core::protocol::TlsVersion::parse(&format!("{t}.0")))
}
