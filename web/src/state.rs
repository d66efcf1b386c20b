//! The page's state: what was dropped, what the core made of it, the policy everything is
//! judged under (edited in the Policy view, kept in the browser), the moment it is judged at,
//! and which view is showing.

use std::rc::Rc;

use std::cell::Cell;

use tlscope_core::decode::DecodeError;
use tlscope_core::decode::decode_unverified;
use tlscope_core::{Decoded, Policy, Timestamp};
use yew::Reducible;

use crate::bundle::{BundleJob, BundleReport};
use crate::judge::PolicyShown;
use crate::source::Settings;

/// The dashboard's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Certificates, chains, CSRs, CRLs.
    Inspect,
    /// Configurations and connection strings.
    Lint,
    /// The policy editor.
    Policy,
    /// A connected agent's endpoints, edges, handshakes and certificates.
    Live,
}

/// What the core made of an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// PKI objects (PEM or DER), shared: every action copies the state, and an input of many
    /// certificates must not be copied with it.
    Pki(Rc<Decoded>),
    /// Text that is not PKI: a configuration or connection strings, linted under the policy.
    Text(String),
    /// Nothing could be read; why.
    Failed(String),
    /// A large bundle, judged in the Web Worker.
    Bundle(BundleStatus),
    /// A source file (JavaScript, TypeScript, Python), read in the source worker.
    Source(SourceStatus),
}

/// Where a source file's reading in the source worker has got to.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceStatus {
    /// Handed over, not answered yet.
    Reading,
    /// Its TLS settings (judged by the page under its policy).
    Read(Settings),
    /// The parser (or the worker) could not read it; why, with line and column.
    Failed(String),
}

/// Where a bundle's judgement in the worker has got to.
#[derive(Debug, Clone, PartialEq)]
pub enum BundleStatus {
    /// Under way: `done` of `total` steps of `stage` (`decoding`, `judging`).
    Working {
        /// What the worker is doing.
        stage: String,
        /// Steps done.
        done: usize,
        /// Steps in all (0 until the worker knows).
        total: usize,
    },
    /// Judged.
    Ready(Rc<BundleReport>),
}

/// One input the person gave: a file or a paste.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Unique within the page, for keys.
    pub id: usize,
    /// File name, or "pasted text".
    pub name: String,
    /// What the core made of it.
    pub outcome: Outcome,
    /// The bytes as given (for the share link).
    pub source: Rc<[u8]>,
    /// The host name the chain is checked for, when the person gave one.
    pub host: Option<String>,
    /// Whether the person trusts this input's CA certificates as roots.
    pub trusted: bool,
    /// What else the chain is checked for.
    pub checks: Checks,
}

/// How an entry's chain is validated besides its names: the same choices as
/// `tlscope inspect --purpose client` and `--strict-cn`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    /// The leaf is a TLS client (mTLS) certificate rather than a server's.
    pub client: bool,
    /// A subject CN that is none of the SANs invalidates the chain (CABF BR 7.1.4.3).
    pub strict_cn: bool,
}

impl Entry {
    /// Whether the Lint view (rather than Inspect) shows this entry.
    pub fn is_lint(&self) -> bool {
        matches!(self.outcome, Outcome::Text(_) | Outcome::Source(_))
    }
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Inputs, newest first.
    pub entries: Vec<Entry>,
    /// The moment validity is judged at ("as of").
    pub now: Timestamp,
    /// Whether `now` follows the clock or was set by the person.
    pub now_pinned: bool,
    /// The policy every view judges under (the last one that parsed), as the page shows it.
    pub policy: Rc<PolicyShown>,
    /// That policy's text: what the workers are given to judge under.
    pub policy_source: Rc<str>,
    /// The policy text in the editor.
    pub policy_text: String,
    /// What the editor's text is: the policy in force, being read, or wrong.
    pub policy_status: PolicyStatus,
    /// The view showing.
    pub view: View,
}

/// Where the policy editor's text stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyStatus {
    /// It is the policy in force.
    InForce,
    /// The judging worker is reading it.
    Reading,
    /// It is not a valid policy: why (line and column); the last valid one stays in force.
    Wrong(String),
}

thread_local! {
    static NEXT_ID: Cell<usize> = const { Cell::new(0) };
}

/// A new entry id, unique within the page (the worker's messages are addressed by it, so it is
/// known before the entry is added).
pub fn fresh_id() -> usize {
    NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    })
}

/// What can happen to the state.
#[derive(Debug)]
pub enum Action {
    /// Bytes arrived from a file or a paste; decode them.
    Input {
        /// File name or "pasted text".
        name: String,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A file could not even be read.
    ReadFailed {
        /// File name.
        name: String,
        /// Why.
        error: String,
    },
    /// Judge as of another moment (`None` returns to the clock).
    SetNow(Option<Timestamp>),
    /// The clock ticked.
    Tick(Timestamp),
    /// Forget one input.
    Remove(usize),
    /// Forget everything.
    Clear,
    /// The policy editor's text changed (the judging worker reads it: [`Action::PolicyRead`]).
    EditPolicy(String),
    /// The judging worker read the policy text `text`: the policy, or where it is wrong.
    PolicyRead {
        /// The text it read.
        text: String,
        /// The policy, or why the text is not one.
        policy: Result<Rc<PolicyShown>, String>,
    },
    /// Show another view.
    Show(View),
    /// Check an input's chain for this host name (empty: no host check).
    SetHost {
        /// The input.
        id: usize,
        /// The host name.
        host: String,
    },
    /// Check an input's chain this way.
    SetChecks {
        /// The input.
        id: usize,
        /// The checks.
        checks: Checks,
    },
    /// Trust (or stop trusting) an input's CA certificates as roots.
    SetTrusted {
        /// The input.
        id: usize,
        /// Whether to trust them.
        trusted: bool,
    },
    /// Add the built-in samples and judge as of their date.
    LoadSamples,
    /// A large input was handed to the worker as entry `id`.
    Offloaded {
        /// Its id, from [`fresh_id`].
        id: usize,
        /// File name.
        name: String,
        /// The bytes.
        source: Rc<[u8]>,
    },
    /// A source file was handed to the source worker as entry `id`.
    SourceOffloaded {
        /// Its id, from [`fresh_id`].
        id: usize,
        /// File name.
        name: String,
        /// The bytes.
        source: Rc<[u8]>,
    },
    /// The source worker read entry `id`.
    SourceRead {
        /// The entry.
        id: usize,
        /// Its TLS settings.
        settings: Settings,
    },
    /// The source worker could not read entry `id`.
    SourceFailed {
        /// The entry.
        id: usize,
        /// Why, with line and column.
        error: String,
    },
    /// The worker is judging entry `id` again (policy or date changed).
    Rejudge(usize),
    /// The worker got further.
    BundleProgress {
        /// The entry.
        id: usize,
        /// What it is doing.
        stage: String,
        /// Steps done.
        done: usize,
        /// Steps in all.
        total: usize,
    },
    /// The worker finished.
    BundleDone {
        /// The entry.
        id: usize,
        /// Its report.
        report: Rc<BundleReport>,
    },
    /// The bundle's worker could not run: decode entry `id` on the page instead, to be judged
    /// by the judging worker like any input.
    JudgeHere(usize),
    /// The worker could not read the input.
    BundleFailed {
        /// The entry.
        id: usize,
        /// Why.
        error: String,
    },
}

impl State {
    /// An empty page judged at `now` under the default policy, with `policy_text` (the text the
    /// person saved, if any) in the editor: once the judging worker has read it, it is the
    /// policy in force ([`Action::PolicyRead`]).
    pub fn new(now: Timestamp, policy_text: Option<String>) -> Self {
        let text = policy_text.unwrap_or_else(|| Policy::DEFAULT_TOML.to_owned());
        Self {
            entries: Vec::new(),
            now,
            now_pinned: false,
            policy: Rc::new(PolicyShown::of(&Policy::default())),
            policy_source: Rc::from(Policy::DEFAULT_TOML),
            policy_status: if text == Policy::DEFAULT_TOML {
                PolicyStatus::InForce
            } else {
                PolicyStatus::Reading
            },
            policy_text: text,
            view: View::Inspect,
        }
    }
}

/// Every CA certificate (DER, base64) of the entries the person marked "trust as root".
pub fn trusted_roots(entries: &[Entry]) -> Vec<String> {
    use base64::Engine as _;
    entries
        .iter()
        .filter(|e| e.trusted)
        .filter_map(|e| match &e.outcome {
            Outcome::Pki(d) => Some(d.certificates().filter(|c| c.is_ca)),
            _ => None,
        })
        .flatten()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(&c.der))
        .collect()
}

/// PKI when the bytes decode; otherwise text for the linter; otherwise the decoder's reason.
/// CSR signatures are not checked here: the judging worker decodes the input again and does.
fn classify(bytes: Vec<u8>) -> Outcome {
    match decode_unverified(&bytes) {
        Ok(d) => Outcome::Pki(Rc::new(d)),
        Err(e @ (DecodeError::NoPemBlock { .. } | DecodeError::Empty)) => {
            match String::from_utf8(bytes) {
                Ok(text) if !text.trim().is_empty() => Outcome::Text(text),
                _ => Outcome::Failed(e.to_string()),
            }
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

impl BundleStatus {
    /// Handed over, nothing heard yet.
    pub fn starting() -> Self {
        Self::Working {
            stage: "starting".into(),
            done: 0,
            total: 0,
        }
    }
}

impl State {
    /// The worker's job for a large input checked for `host`: the page's policy, date and the
    /// roots the person trusts.
    pub fn bundle_job(&self, host: Option<String>) -> BundleJob {
        BundleJob {
            policy: self.policy_source.to_string(),
            now: self.now,
            host,
            trusted_roots: trusted_roots(&self.entries),
        }
    }

    /// Adds an input (shown first) and returns its id.
    fn push(&mut self, name: String, outcome: Outcome, source: Rc<[u8]>) -> usize {
        self.push_as(fresh_id(), name, outcome, source)
    }

    fn push_as(&mut self, id: usize, name: String, outcome: Outcome, source: Rc<[u8]>) -> usize {
        self.entries.insert(
            0,
            Entry {
                id,
                name,
                outcome,
                source,
                host: None,
                trusted: false,
                checks: Checks::default(),
            },
        );
        id
    }

    fn entry_mut(&mut self, id: usize) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Input { name, bytes } => {
                let source: Rc<[u8]> = Rc::from(bytes.as_slice());
                let outcome = classify(bytes);
                next.view = if matches!(outcome, Outcome::Text(_)) {
                    View::Lint
                } else {
                    View::Inspect
                };
                next.push(name, outcome, source);
            }
            Action::ReadFailed { name, error } => {
                next.push(name, Outcome::Failed(error), Rc::from(Vec::new()));
            }
            Action::SetNow(Some(t)) => {
                next.now = t;
                next.now_pinned = true;
            }
            Action::SetNow(None) => next.now_pinned = false,
            Action::Tick(t) if !next.now_pinned => next.now = t,
            Action::Tick(_) => return self,
            Action::Remove(id) => next.entries.retain(|e| e.id != id),
            Action::Clear => next.entries.clear(),
            Action::EditPolicy(text) => {
                // Back to the text in force: nothing to read.
                next.policy_status = if *text == *next.policy_source {
                    PolicyStatus::InForce
                } else {
                    PolicyStatus::Reading
                };
                next.policy_text = text;
            }
            // An answer about a text the person has since changed is not news.
            Action::PolicyRead { text, .. } if text != next.policy_text => return self,
            Action::PolicyRead { text, policy } => match policy {
                Ok(p) => {
                    next.policy = p;
                    next.policy_source = Rc::from(text.as_str());
                    next.policy_status = PolicyStatus::InForce;
                }
                Err(e) => next.policy_status = PolicyStatus::Wrong(e),
            },
            Action::Show(view) => next.view = view,
            Action::SetHost { id, host } => {
                if let Some(e) = next.entry_mut(id) {
                    e.host = Some(host.trim().to_owned()).filter(|h| !h.is_empty());
                }
            }
            Action::SetChecks { id, checks } => {
                if let Some(e) = next.entry_mut(id) {
                    e.checks = checks;
                }
            }
            Action::SetTrusted { id, trusted } => {
                if let Some(e) = next.entry_mut(id) {
                    e.trusted = trusted;
                }
            }
            Action::LoadSamples => {
                // Pushed last to first, so they read in order.
                for sample in crate::samples::SAMPLES.iter().rev() {
                    let id = next.push(
                        sample.name.to_owned(),
                        classify(sample.bytes.to_vec()),
                        Rc::from(sample.bytes),
                    );
                    if let Some(e) = next.entry_mut(id) {
                        e.host = sample.host.map(str::to_owned);
                        e.trusted = sample.trusted;
                    }
                }
                next.now = crate::samples::sample_date();
                next.now_pinned = true;
                next.view = View::Inspect;
            }
            Action::Offloaded { id, name, source } => {
                next.push_as(id, name, Outcome::Bundle(BundleStatus::starting()), source);
                next.view = View::Inspect;
            }
            Action::SourceOffloaded { id, name, source } => {
                next.push_as(id, name, Outcome::Source(SourceStatus::Reading), source);
                next.view = View::Lint;
            }
            Action::SourceRead { id, settings } => {
                if let Some(e) = next.entry_mut(id) {
                    e.outcome = Outcome::Source(SourceStatus::Read(settings));
                }
            }
            Action::SourceFailed { id, error } => {
                if let Some(e) = next.entry_mut(id) {
                    e.outcome = Outcome::Source(SourceStatus::Failed(error));
                }
            }
            Action::Rejudge(id) => {
                if let Some(e) = next.entry_mut(id) {
                    e.outcome = Outcome::Bundle(BundleStatus::starting());
                }
            }
            Action::BundleProgress {
                id,
                stage,
                done,
                total,
            } => match next.entry_mut(id) {
                Some(e) if matches!(e.outcome, Outcome::Bundle(BundleStatus::Working { .. })) => {
                    e.outcome = Outcome::Bundle(BundleStatus::Working { stage, done, total });
                }
                _ => return self,
            },
            Action::BundleDone { id, report } => {
                if let Some(e) = next.entry_mut(id) {
                    e.outcome = Outcome::Bundle(BundleStatus::Ready(report));
                }
            }
            Action::JudgeHere(id) => {
                if let Some(e) = next.entry_mut(id) {
                    e.outcome = classify(e.source.to_vec());
                }
            }
            Action::BundleFailed { id, error } => {
                if let Some(e) = next.entry_mut(id) {
                    e.outcome = Outcome::Failed(error);
                }
            }
        }
        Rc::new(next)
    }
}
