//! The page's questions to its judging worker, and the worker's answers. The page decodes what
//! is dropped and shows it; every judgement (chain validation and its signature code, the
//! configuration linters and their parsers, the links between inputs, a connected agent's
//! probes) is made in the `tlscope-worker` binary, so none of that code is in the page's
//! WebAssembly. A [`Question`] carries everything its judgement reads (the input, the policy
//! text, the moment, the roots), so the same question always gets the same [`Answer`] and the
//! page can keep answers by question (see [`crate::hooks::judge`]).

use std::cell::RefCell;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use tlscope_core::chain::{CommonNameCheck, PeerName, Purpose, TrustAnchor};
use tlscope_core::code::Setting;
use tlscope_core::graph::Facts;
use tlscope_core::judge::{self, ChainRequest, Inspection};
use tlscope_core::lifetime::LifetimeRules;
use tlscope_core::lint::LintReport;
use tlscope_core::probe::ProbeReport;
use tlscope_core::{Finding, Policy, Timestamp};

use crate::report::{Format, ReportInput};

/// What chains are validated against: Mozilla's set once the page has it, and the CA
/// certificates (DER, base64) of the inputs the person marked "trust as root".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roots {
    /// Whether the Mozilla set is in (the worker was handed it when it was).
    pub mozilla: bool,
    /// The trusted inputs' CA certificates.
    pub trusted: Vec<String>,
}

impl Roots {
    /// The anchors themselves (in the worker, which holds the Mozilla set).
    fn anchors(&self) -> Vec<TrustAnchor> {
        let mut all = if self.mozilla {
            TrustAnchor::mozilla_shared().to_vec()
        } else {
            Vec::new()
        };
        all.extend(
            self.trusted
                .iter()
                .filter_map(|b64| STANDARD.decode(b64).ok())
                .filter_map(|der| TrustAnchor::from_certificate(&der).ok()),
        );
        all
    }
}

/// One judgement the page asks for. Externally tagged, as the answers are, so the worker reads
/// a question (an input of a megabyte, say) without buffering it first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    /// An input of certificates, CSRs and CRLs, judged as the Inspect view shows it.
    Inspect {
        /// The input as dropped, base64.
        source: String,
        /// Host names, IP addresses or e-mail addresses the leaf is checked for.
        host: Option<String>,
        /// The leaf is a TLS client certificate.
        client: bool,
        /// A CN that is none of the SANs invalidates the chain.
        strict_cn: bool,
        /// What the chain is validated against.
        roots: Roots,
        /// The policy text (TOML).
        policy: String,
        /// The moment of judgement.
        now: Timestamp,
    },
    /// A configuration or connection strings, linted.
    Lint {
        /// The file name.
        name: String,
        /// The text.
        text: String,
        /// The policy text.
        policy: String,
        /// The moment of judgement.
        now: Timestamp,
    },
    /// A source file's TLS settings, judged.
    Code {
        /// The settings the source worker read.
        settings: Vec<Setting>,
        /// The policy text.
        policy: String,
    },
    /// The links between the page's inputs (clients joined to the configurations serving them).
    Links {
        /// Each file as dropped: name and bytes (base64).
        files: Vec<(String, String)>,
        /// Each source file read: name and settings.
        code: Vec<(String, Vec<Setting>)>,
        /// The policy text.
        policy: String,
        /// The moment of judgement.
        now: Timestamp,
    },
    /// A policy text, read and checked (the editor's).
    Policy {
        /// The text (TOML).
        text: String,
    },
    /// A policy text, read whole, for a view that judges under it itself (the Live module's).
    WholePolicy {
        /// The text (TOML).
        text: String,
    },
    /// A built-in profile as a complete policy file.
    Profile {
        /// One of [`Policy::PROFILES`].
        name: String,
    },
    /// A report over the page's inputs, to download.
    Report {
        /// What it says of each input, in the page's order.
        inputs: Vec<ReportInput>,
        /// The policy's profile.
        profile: String,
        /// The moment of judgement.
        now: Timestamp,
        /// How it is written.
        format: Format,
    },
    /// A connected agent's probes and enforced CRLs.
    Live {
        /// The agent's probe reports.
        probes: Vec<ProbeReport>,
        /// The agent's anchors (DER, base64), trusted besides Mozilla's.
        anchors: Vec<String>,
        /// The CRLs its coordinators enforce (DER, base64).
        crls: Vec<String>,
        /// The policy text.
        policy: String,
        /// The snapshot's moment.
        at: Timestamp,
    },
}

/// A link between inputs, as the Links card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkShown {
    /// One line: the client, the configurations it was linked to.
    pub summary: String,
    /// Files the two ends name that are not on the page.
    pub unresolved: Vec<String>,
    /// Every finding about the pair.
    pub findings: Vec<Finding>,
}

/// A policy as the page shows it: its profile, what it holds the inputs to in a sentence, and
/// the sections the certificate cards judge lifetimes by. The page reads nothing else of a
/// policy, so it holds no code that reads a whole one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyShown {
    /// The profile it starts from.
    pub profile: String,
    /// The values in force at a glance (versions, rotation, alert bands).
    pub in_force: String,
    /// Alert bands, rotation and the short-lived threshold.
    pub lifetimes: LifetimeRules,
}

impl PolicyShown {
    /// How the page shows `p`.
    pub fn of(p: &Policy) -> Self {
        Self {
            profile: p.profile.clone(),
            in_force: format!(
                "clients ≥ {}, mTLS ≥ {}, databases ≥ {}; leaf {} d renewed {} d before expiry; alerts at {} and {} days ({}% and {}% of a short lifetime){}",
                p.tls.client_min_version,
                p.tls.mtls_min_version,
                p.tls.database_min_version,
                p.rotation.leaf_days,
                p.rotation.leaf_grace_days,
                p.alerts.warning_days,
                p.alerts.critical_days,
                p.alerts.warning_percent,
                p.alerts.critical_percent,
                if p.rotation.cabf_maximum {
                    "; public certificates held to the CA/B Forum maximum"
                } else {
                    ""
                }
            ),
            lifetimes: LifetimeRules::of(p),
        }
    }
}

/// The worker's answer to a [`Question`]. Externally tagged, like the message that carries it
/// ([`crate::bundle::WorkerMessage`]), so the page reads it without buffering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// An input's findings and chain report.
    Inspected(Box<Inspection>),
    /// A lint report, or why the input could not be linted.
    Linted(Result<LintReport, String>),
    /// Findings.
    Findings(Vec<Finding>),
    /// The links with at least one server configuration among the inputs.
    Links(Vec<LinkShown>),
    /// A connected agent's findings: per probe, and about its CRLs.
    Live {
        /// One list per probe, in the snapshot's order.
        probes: Vec<Vec<Finding>>,
        /// About the enforced CRLs.
        crls: Vec<Finding>,
    },
    /// A policy as the page shows it, or where its text is wrong (line and column).
    Policy(Result<PolicyShown, String>),
    /// A whole policy as its JSON, or where its text is wrong. Only the Live module, which
    /// judges under it, reads it back, so the page holds no code that reads a policy.
    WholePolicy(Result<String, String>),
    /// A policy file's text.
    PolicyText(String),
    /// A report, written.
    Report(String),
    /// The question could not be answered (the policy text does not parse, the input does not
    /// decode); why.
    Failed(String),
}

impl Question {
    /// How an [`Inspect`](Self::Inspect) question's chain is validated: against its roots, for
    /// its names, as a server's or a client's certificate, with the CN read leniently or
    /// strictly — the request `tlscope inspect --host … --purpose … --strict-cn` makes.
    pub fn chain_request(&self) -> Option<ChainRequest> {
        let Self::Inspect {
            host,
            client,
            strict_cn,
            roots,
            ..
        } = self
        else {
            return None;
        };
        Some(ChainRequest {
            anchors: roots.anchors(),
            purpose: if *client {
                Purpose::ClientAuth
            } else {
                Purpose::ServerAuth
            },
            peer_names: host.as_deref().map(PeerName::list).unwrap_or_default(),
            common_name: if *strict_cn {
                CommonNameCheck::Refuse
            } else {
                CommonNameCheck::Warn
            },
            ..ChainRequest::default()
        })
    }

    /// The policy text this question is judged under, if it is judged under one.
    fn policy(&self) -> Option<&str> {
        match self {
            Self::Inspect { policy, .. }
            | Self::Lint { policy, .. }
            | Self::Code { policy, .. }
            | Self::Links { policy, .. }
            | Self::Live { policy, .. } => Some(policy),
            Self::Policy { .. }
            | Self::WholePolicy { .. }
            | Self::Profile { .. }
            | Self::Report { .. } => None,
        }
    }
}

/// The worker's answer to `question` (pure: the same question, the same answer).
pub fn answer(question: &Question) -> Answer {
    match (question, question.policy()) {
        (Question::Policy { text }, _) => Answer::Policy(
            Policy::from_toml(text)
                .map(|p| PolicyShown::of(&p))
                .map_err(|e| e.to_string()),
        ),
        (Question::WholePolicy { text }, _) => Answer::WholePolicy(
            Policy::from_toml(text)
                .map_err(|e| e.to_string())
                .and_then(|p| serde_json::to_string(&p).map_err(|e| e.to_string())),
        ),
        (
            Question::Report {
                inputs,
                profile,
                now,
                format,
            },
            _,
        ) => Answer::Report(crate::report::render(inputs, profile, *now, *format)),
        (Question::Profile { name }, _) => match Policy::profile(name) {
            Some(p) => Answer::PolicyText(p.to_toml()),
            None => Answer::Failed(format!(
                "no built-in profile {name:?}: expected one of {}",
                Policy::PROFILES.join(", ")
            )),
        },
        (_, Some(text)) => with_policy(text, |policy| answer_under(question, policy))
            .unwrap_or_else(Answer::Failed),
        (_, None) => Answer::Failed("the question names no policy".into()),
    }
}

fn answer_under(question: &Question, policy: &Policy) -> Answer {
    match question {
        Question::Inspect { source, now, .. } => {
            let bytes = match STANDARD.decode(source) {
                Ok(b) => b,
                Err(e) => {
                    return Answer::Failed(format!("the input did not reach the worker: {e}"));
                }
            };
            let decoded = match tlscope_core::decode(&bytes) {
                Ok(d) => d,
                Err(e) => return Answer::Failed(e.to_string()),
            };
            let request = question.chain_request().unwrap_or_default();
            Answer::Inspected(Box::new(judge::inspect(&decoded, &request, policy, *now)))
        }
        Question::Lint {
            name, text, now, ..
        } => Answer::Linted(
            tlscope_core::lint::lint(
                Some(name),
                text.as_bytes(),
                &ChainRequest::default(),
                policy,
                *now,
            )
            .map_err(|e| e.to_string()),
        ),
        Question::Code { settings, .. } => {
            Answer::Findings(tlscope_core::code::judge(settings, policy))
        }
        Question::Links {
            files, code, now, ..
        } => {
            let mut facts = Facts::default();
            for (name, b64) in files {
                if let Ok(bytes) = STANDARD.decode(b64) {
                    facts.add_file(name, &bytes);
                }
            }
            for (name, settings) in code {
                facts.add_code(name, settings);
            }
            if facts.servers.is_empty() {
                return Answer::Links(Vec::new());
            }
            Answer::Links(
                tlscope_core::graph::link(&facts, &[], policy, *now, None)
                    .into_iter()
                    .filter(|l| !l.servers.is_empty())
                    .map(|l| LinkShown {
                        summary: l.summary(),
                        unresolved: l.unresolved,
                        findings: l.findings,
                    })
                    .collect(),
            )
        }
        Question::Policy { .. }
        | Question::WholePolicy { .. }
        | Question::Profile { .. }
        | Question::Report { .. } => {
            Answer::Failed("a policy question is not judged under a policy".into())
        }
        Question::Live {
            probes,
            anchors,
            crls,
            at,
            ..
        } => {
            let roots = Roots {
                mozilla: true,
                trusted: anchors.clone(),
            }
            .anchors();
            Answer::Live {
                probes: probes
                    .iter()
                    .map(|p| judge::probe(p, &roots, policy, *at))
                    .collect(),
                // Judged like a dropped CRL (CRL-STALE).
                crls: crls
                    .iter()
                    .filter_map(|b| STANDARD.decode(b).ok())
                    .filter_map(|der| tlscope_core::decode(&der).ok())
                    .flat_map(|d| judge::decoded(&d, policy, *at))
                    .collect(),
            }
        }
    }
}

thread_local! {
    /// The policy last read, with its text: a worker reads the page's policy once (while it is
    /// warmed), not again for every job.
    static POLICY: RefCell<Option<(String, Policy)>> = const { RefCell::new(None) };
}

/// `f` of the policy `text` says, read once per text.
pub fn with_policy<T>(text: &str, f: impl FnOnce(&Policy) -> T) -> Result<T, String> {
    POLICY.with_borrow_mut(|slot| {
        let policy = match slot {
            Some((known, policy)) if known == text => policy,
            _ => {
                let policy = Policy::from_toml(text).map_err(|e| format!("policy: {e}"))?;
                &slot.insert((text.to_owned(), policy)).1
            }
        };
        Ok(f(policy))
    })
}
