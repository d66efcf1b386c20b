//! Reports out of the page: what the downloads (written by the judging worker, see
//! [`crate::report`]) say of each input, the `data:` URL they are offered in, and the share
//! link, whose state (inputs and policy) lives in the URL fragment, which browsers never send to
//! a server. Private keys never go into a link, and secrets are masked.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use tlscope_core::Policy;
use tlscope_core::lint::Recognised;

use crate::judge::Answer;
use crate::report::ReportInput;
use crate::state::{BundleStatus, Entry, Outcome, SourceStatus};

/// The longest share link offered; longer states are refused with a message.
pub const SHARE_LIMIT: usize = 256 * 1024;

/// The answer the judging worker gave for an entry, if it has (see [`crate::judge`]).
pub type Answers<'a> = &'a dyn Fn(&Entry) -> Option<Rc<Answer>>;

/// What the report says of every input on the page, in the order given, as the page has judged
/// them: what the judging worker answered for each (an input it has not answered yet says so).
/// The worker writes the report from it ([`crate::report::render`]).
pub fn report_inputs(entries: &[Entry], answers: Answers<'_>) -> Vec<ReportInput> {
    const PENDING: &str = "still being judged in the worker";
    entries
        .iter()
        .rev()
        .map(|e| match (&e.outcome, answers(e).as_deref()) {
            (_, Some(Answer::Failed(why))) => failed(&e.name, why.clone()),
            (Outcome::Pki(d), Some(Answer::Inspected(inspection))) => ReportInput {
                path: e.name.clone(),
                recognised: Some(Recognised::Pki {
                    items: d.items.len(),
                }),
                error: None,
                findings: inspection.findings.clone(),
                problems: d.errors.iter().map(ToString::to_string).collect(),
            },
            (Outcome::Text(_), Some(Answer::Linted(Ok(r)))) => ReportInput {
                path: e.name.clone(),
                recognised: Some(r.recognised.clone()),
                error: None,
                findings: r.findings.clone(),
                problems: r.problems.clone(),
            },
            (Outcome::Text(_), Some(Answer::Linted(Err(err)))) => failed(&e.name, err.clone()),
            (Outcome::Bundle(BundleStatus::Ready(r)), _) => ReportInput {
                path: e.name.clone(),
                recognised: Some(Recognised::Pki {
                    items: r.certificates.len() + r.requests + r.crls + r.private_keys,
                }),
                error: None,
                findings: r.inspection.findings.clone(),
                problems: r.errors.clone(),
            },
            (Outcome::Source(SourceStatus::Read(settings)), Some(Answer::Findings(findings))) => {
                ReportInput {
                    path: e.name.clone(),
                    recognised: Some(Recognised::Source {
                        language: crate::source::readable(&e.name)
                            .map(|l| l.label().to_ascii_lowercase())
                            .unwrap_or_default(),
                        settings: settings.len(),
                    }),
                    findings: findings.clone(),
                    ..ReportInput::default()
                }
            }
            (Outcome::Source(SourceStatus::Reading), _) => {
                failed(&e.name, "still being read in the source worker".into())
            }
            (Outcome::Source(SourceStatus::Failed(why)) | Outcome::Failed(why), _) => {
                failed(&e.name, why.clone())
            }
            (Outcome::Pki(_) | Outcome::Text(_) | Outcome::Source(_) | Outcome::Bundle(_), _) => {
                failed(&e.name, PENDING.into())
            }
        })
        .collect()
}

fn failed(name: &str, error: String) -> ReportInput {
    ReportInput {
        path: name.to_owned(),
        recognised: None,
        error: Some(error),
        ..ReportInput::default()
    }
}

/// What a download says when its document could not be serialised (never an empty file).
/// A `data:` URL holding `body`.
pub fn data_url(media_type: &str, body: &str) -> String {
    let encoded: String = js_sys::encode_uri_component(body).into();
    format!("data:{media_type};charset=utf-8,{encoded}")
}

#[derive(Serialize, Deserialize)]
struct Shared {
    v: u32,
    policy: Option<String>,
    inputs: Vec<(String, String)>,
}

/// What an input may carry into a share link: private keys and source code never (the entry
/// is left out), connection strings with their passwords masked (so text the judging worker
/// has not read yet is left out too), and configuration lines whose key names a password,
/// secret or token with the value masked.
fn shareable(e: &Entry, answers: Answers<'_>) -> Option<Vec<u8>> {
    match &e.outcome {
        // Source code can hold secrets in more shapes than the page can mask: never shared.
        Outcome::Failed(_) | Outcome::Source(_) | Outcome::Bundle(BundleStatus::Working { .. }) => {
            None
        }
        Outcome::Bundle(BundleStatus::Ready(r)) => (r.private_keys == 0).then(|| e.source.to_vec()),
        Outcome::Pki(d) => (!d
            .items
            .iter()
            .any(|i| matches!(i, tlscope_core::Item::PrivateKey { .. })))
        .then(|| e.source.to_vec()),
        Outcome::Text(text) => {
            let mut lines: Vec<String> = text.lines().map(mask_secret_line).collect();
            let answer = answers(e)?;
            if let Answer::Linted(Ok(r)) = &*answer
                && let Recognised::Connections { strings } = &r.recognised
            {
                for s in strings {
                    if let Some(line) = lines.get_mut(s.line.saturating_sub(1)) {
                        line.clone_from(&s.masked);
                    }
                }
            }
            Some(lines.join("\n").into_bytes())
        }
    }
}

fn mask_secret_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let key: String = trimmed
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '=' && *c != ':')
        .collect();
    let lower = key.to_ascii_lowercase();
    if ["pass", "secret", "token"]
        .iter()
        .any(|w| lower.contains(w))
        && trimmed.len() > key.len()
    {
        let indent = &line[..line.len() - trimmed.len()];
        let sep = trimmed[key.len()..].chars().next().unwrap_or(' ');
        format!("{indent}{key}{sep}****")
    } else {
        line.to_owned()
    }
}

/// The URL fragment (`#share=…`) holding the inputs and the policy text, and how many inputs
/// were left out (private keys, unreadable files).
pub fn share_fragment(
    entries: &[Entry],
    answers: Answers<'_>,
    policy_text: &str,
) -> Result<(String, usize), String> {
    let mut left_out = 0;
    let inputs = entries
        .iter()
        .rev()
        .filter_map(|e| {
            let shared = shareable(e, answers);
            if shared.is_none() {
                left_out += 1;
            }
            shared.map(|b| (e.name.clone(), URL_SAFE_NO_PAD.encode(b)))
        })
        .collect();
    let shared = Shared {
        v: 1,
        policy: (policy_text != Policy::DEFAULT_TOML).then(|| policy_text.to_owned()),
        inputs,
    };
    let json = serde_json::to_vec(&shared).map_err(|e| e.to_string())?;
    let fragment = format!("share={}", URL_SAFE_NO_PAD.encode(json));
    if fragment.len() > SHARE_LIMIT {
        return Err(format!(
            "too large to share as a link ({} KB; the limit is {} KB) — export a report instead",
            fragment.len() / 1024,
            SHARE_LIMIT / 1024
        ));
    }
    Ok((fragment, left_out))
}

/// What a share link restores: inputs (name, bytes) and the policy text, if not the default.
pub type SharedState = (Vec<(String, Vec<u8>)>, Option<String>);

/// What a share fragment holds; `None` when the fragment is not a share link or does not
/// decode.
pub fn parse_fragment(hash: &str) -> Option<SharedState> {
    let data = hash.trim_start_matches('#').strip_prefix("share=")?;
    let json = URL_SAFE_NO_PAD.decode(data).ok()?;
    let shared: Shared = serde_json::from_slice(&json).ok()?;
    if shared.v != 1 {
        return None;
    }
    let inputs = shared
        .inputs
        .into_iter()
        .filter_map(|(name, b64)| URL_SAFE_NO_PAD.decode(b64).ok().map(|b| (name, b)))
        .collect();
    Some((inputs, shared.policy))
}
