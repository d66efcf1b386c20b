//! The questions the page's state makes for its judging worker ([`crate::judge`]): what each
//! entry is asked about, the roots its chain is validated against, and the links between all the
//! entries. The same entry always makes the same question, so an answer is found again.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tlscope_core::Timestamp;

use crate::judge::{Question, Roots};
use crate::state::{Entry, Outcome, SourceStatus};

/// The roots for `entries`: every CA certificate of an entry marked trusted.
pub fn roots(entries: &[Entry], mozilla: bool) -> Roots {
    Roots {
        mozilla,
        trusted: crate::state::trusted_roots(entries),
    }
}

/// How entry `entry` is judged, if it is one the worker judges (certificates, text, a source
/// file that was read); bundles are judged by their own worker.
pub fn about(entry: &Entry, roots: &Roots, policy: &str, now: Timestamp) -> Option<Question> {
    Some(match &entry.outcome {
        Outcome::Pki(_) => Question::Inspect {
            source: STANDARD.encode(&entry.source),
            host: entry.host.clone(),
            client: entry.checks.client,
            strict_cn: entry.checks.strict_cn,
            roots: roots.clone(),
            policy: policy.to_owned(),
            now,
        },
        Outcome::Text(text) => Question::Lint {
            name: entry.name.clone(),
            text: text.clone(),
            policy: policy.to_owned(),
            now,
        },
        Outcome::Source(SourceStatus::Read(settings)) => Question::Code {
            settings: (**settings).clone(),
            policy: policy.to_owned(),
        },
        Outcome::Source(_) | Outcome::Bundle(_) | Outcome::Failed(_) => return None,
    })
}

/// The links question for every input on the page; `None` when no input is a server
/// configuration (so there is nothing to link to).
pub fn links(entries: &[Entry], policy: &str, now: Timestamp) -> Option<Question> {
    let mut files = Vec::new();
    let mut code = Vec::new();
    for e in entries {
        match &e.outcome {
            Outcome::Pki(_) | Outcome::Text(_) => {
                files.push((e.name.clone(), STANDARD.encode(&e.source)))
            }
            Outcome::Source(SourceStatus::Read(settings)) => {
                code.push((e.name.clone(), (**settings).clone()))
            }
            Outcome::Source(_) | Outcome::Bundle(_) | Outcome::Failed(_) => {}
        }
    }
    (!files.is_empty()).then(|| Question::Links {
        files,
        code,
        policy: policy.to_owned(),
        now,
    })
}
