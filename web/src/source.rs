//! Source code read off the main thread. A dropped `.js`, `.ts` or `.py` file goes to a second
//! Web Worker, `tlscope-source-worker`, which carries the real parsers (oxc for JavaScript and
//! TypeScript, RustPython's for Python, from `tlscope-source`) so the page itself never loads
//! them: the worker answers with the file's typed TLS settings, which the judging worker
//! ([`crate::judge`]) judges under the page's policy with the core's `code::judge`, the same
//! judgement `tlscope lint` makes.
//! Go's parser is C (tree-sitter), so the page names the agent for Go instead.

use serde::{Deserialize, Serialize};
use tlscope_core::code::Setting;
use tlscope_source::Language;

use crate::bundle::WorkerMessage;

/// What the page asks the source worker to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceJob {
    /// The file's name: it decides the language and the dialect (TSX, say).
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// The source language of a file the page reads in the source worker; `None` for every other
/// file, Go included (see [`agent_only`]).
pub fn readable(name: &str) -> Option<Language> {
    Language::of(name).filter(|l| l.readable())
}

/// The source language of a file only the agent reads (Go).
pub fn agent_only(name: &str) -> Option<Language> {
    Language::of(name).filter(|l| !l.readable())
}

/// The worker's answer to a job: the settings, or the parser's explanation with line and column.
pub fn read(job: &SourceJob) -> WorkerMessage {
    match tlscope_source::settings(&job.name, &job.text) {
        Ok(settings) => WorkerMessage::Read { settings },
        Err(e) => WorkerMessage::Failed {
            error: e.to_string(),
        },
    }
}

/// The parsers named to a person, by language.
pub fn parser(language: Language) -> &'static str {
    match language {
        Language::JavaScript | Language::TypeScript => "oxc",
        Language::Python => "RustPython's parser",
        Language::Go => "tree-sitter",
    }
}

/// What the page shows for a source file's settings: the same [`Setting`]s the agent reads.
pub type Settings = std::rc::Rc<Vec<Setting>>;
