//! One entry point for anything a person lints: the input is recognised by content —
//! certificates and other PKI objects (PEM or DER), a server or platform configuration, or
//! connection strings (one per line, `.env`-style `NAME=value` lines, or a Kafka properties
//! file) — and judged under the policy. Used by `tlscope lint` and the dashboard's Lint view.

use serde::{Deserialize, Serialize};

use crate::config::{self, ConfigError};
use crate::connection::{self, ConnectionError};
use crate::decode::{self, DecodeError};
use crate::judge::{self, ChainRequest};
use crate::policy::Policy;
use crate::report::{Finding, Location, MissingField};
use crate::timestamp::Timestamp;

/// What an input was recognised as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", try_from = "RecognisedWire")]
pub enum Recognised {
    /// Certificates, CSRs, CRLs or keys.
    Pki {
        /// How many items decoded.
        items: usize,
    },
    /// A configuration file.
    Config {
        /// Its kind.
        kind: config::Kind,
    },
    /// Connection strings.
    Connections {
        /// Each string, masked, with its line.
        strings: Vec<ConnectionLine>,
    },
    /// Source code, read by the language's parser (tlscope-source).
    Source {
        /// `javascript`, `typescript` or `python`.
        language: String,
        /// TLS settings found.
        settings: usize,
    },
}

/// A [`Recognised`] as it is read: its type and the fields of every type, checked by
/// [`TryFrom`] (the same JSON, read with far less code than an internally tagged enum needs;
/// see [`crate::report::Location`]).
#[derive(Deserialize)]
struct RecognisedWire {
    #[serde(rename = "type")]
    of: RecognisedType,
    items: Option<usize>,
    kind: Option<config::Kind>,
    strings: Option<Vec<ConnectionLine>>,
    language: Option<String>,
    settings: Option<usize>,
}

/// The `type` of a [`Recognised`] in its JSON.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RecognisedType {
    Pki,
    Config,
    Connections,
    Source,
}

impl TryFrom<RecognisedWire> for Recognised {
    type Error = MissingField;

    fn try_from(w: RecognisedWire) -> Result<Self, MissingField> {
        let (of, need) = match w.of {
            RecognisedType::Pki => ("PKI input", "items"),
            RecognisedType::Config => ("configuration", "kind"),
            RecognisedType::Connections => ("connection strings input", "strings"),
            RecognisedType::Source => ("source file", "language"),
        };
        let missing = |field| MissingField { of, field };
        match w.of {
            RecognisedType::Pki => w.items.map(|items| Self::Pki { items }),
            RecognisedType::Config => w.kind.map(|kind| Self::Config { kind }),
            RecognisedType::Connections => w.strings.map(|strings| Self::Connections { strings }),
            RecognisedType::Source => match (w.language, w.settings) {
                (Some(language), Some(settings)) => Some(Self::Source { language, settings }),
                (Some(_), None) => return Err(missing("settings")),
                (None, _) => None,
            },
        }
        .ok_or_else(|| missing(need))
    }
}

impl Recognised {
    /// A short description for people.
    pub fn label(&self) -> String {
        match self {
            Self::Pki { items } => format!("{items} PKI item(s)"),
            Self::Config { kind } => kind.label().to_owned(),
            Self::Connections { strings } => format!("{} connection string(s)", strings.len()),
            Self::Source { language, settings } => {
                format!("{language} source, {settings} TLS setting(s)")
            }
        }
    }
}

/// One connection string of an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionLine {
    /// 1-based line.
    pub line: usize,
    /// The engine.
    pub engine: connection::Engine,
    /// The string with secrets masked.
    pub masked: String,
}

/// The judgement of one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintReport {
    /// What the input was.
    pub recognised: Recognised,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// Parts that could not be read (the rest was still judged), each with where and why.
    pub problems: Vec<String>,
}

/// Why an input could not be judged at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LintError {
    /// Nothing in it.
    #[error("empty input: expected certificates, a configuration file or connection strings")]
    Empty,
    /// Binary that is not DER.
    #[error("{0}")]
    Decode(DecodeError),
    /// A configuration that did not parse.
    #[error("{0}")]
    Config(ConfigError),
    /// A connection string that did not parse.
    #[error("line {line}: {error}")]
    Connection {
        /// 1-based line.
        line: usize,
        /// Why.
        error: ConnectionError,
    },
    /// Text tlscope does not recognise.
    #[error(
        "not something tlscope lints: expected PEM/DER certificates, an nginx, postgresql.conf, pg_hba.conf, my.cnf, redis.conf or Kubernetes file, or connection strings"
    )]
    Unrecognised,
}

/// Recognises and judges `bytes` (named `name`, if it came from a file).
pub fn lint(
    name: Option<&str>,
    bytes: &[u8],
    chain: &ChainRequest,
    policy: &Policy,
    now: Timestamp,
) -> Result<LintReport, LintError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(LintError::Empty);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if !decode::looks_like_pem(bytes) => t,
        _ => return pki(bytes, chain, policy, now),
    };
    if let Some(kind) = config::recognise(name, text) {
        let mut findings = config::lint(kind, text, policy, now).map_err(LintError::Config)?;
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        return Ok(LintReport {
            recognised: Recognised::Config { kind },
            findings,
            problems: Vec::new(),
        });
    }
    connections(text, policy)
}

fn pki(
    bytes: &[u8],
    chain: &ChainRequest,
    policy: &Policy,
    now: Timestamp,
) -> Result<LintReport, LintError> {
    let decoded = decode::decode(bytes).map_err(LintError::Decode)?;
    let inspection = judge::inspect(&decoded, chain, policy, now);
    Ok(LintReport {
        recognised: Recognised::Pki {
            items: decoded.items.len(),
        },
        findings: inspection.findings,
        problems: decoded.errors.iter().map(ToString::to_string).collect(),
    })
}

/// Connection strings: a whole Kafka properties file, or one string per line (blank lines and
/// `#` comments skipped; `NAME=value` and `export NAME="value"` lines read for their value).
fn connections(text: &str, policy: &Policy) -> Result<LintReport, LintError> {
    let mut strings = Vec::new();
    let mut findings = Vec::new();
    let mut problems = Vec::new();
    let mut first_error = None;
    if let Some(c) = connection::parse(text)
        .ok()
        .filter(|c| c.engine == connection::Engine::Kafka)
    {
        // A properties file is one observation; each finding points at its key's own line.
        for mut f in judge::connection(&c, 1, policy) {
            if let Location::Parameter { line, name } = &mut f.location
                && let Some(p) = c.parameter(name)
            {
                *line = 1 + text.get(..p.offset).map_or(0, |t| t.matches('\n').count());
            }
            findings.push(f);
        }
        strings.push(ConnectionLine {
            line: 1,
            engine: c.engine,
            masked: c.masked,
        });
    } else {
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let body = raw.trim();
            if body.is_empty() || body.starts_with('#') || body.starts_with("//") {
                continue;
            }
            let candidate = env_value(body).unwrap_or(body);
            match connection::parse(candidate) {
                Ok(c) => {
                    let mut found = judge::connection(&c, line, policy);
                    for f in &mut found {
                        f.evidence = format!("{} — {}", f.evidence, c.masked);
                    }
                    findings.extend(found);
                    strings.push(ConnectionLine {
                        line,
                        engine: c.engine,
                        masked: c.masked,
                    });
                }
                Err(error) => {
                    problems.push(format!("line {line}: {error}"));
                    first_error.get_or_insert(LintError::Connection { line, error });
                }
            }
        }
    }
    if strings.is_empty() {
        return Err(match first_error {
            Some(LintError::Connection {
                error: ConnectionError::Unrecognised,
                ..
            })
            | None => LintError::Unrecognised,
            Some(e) => e,
        });
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(LintReport {
        recognised: Recognised::Connections { strings },
        findings,
        problems,
    })
}

/// The value of an `.env` or shell line (`DATABASE_URL="postgres://…"`), unquoted.
pub(crate) fn env_value(line: &str) -> Option<&str> {
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (name, value) = line.split_once('=')?;
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    is_name.then(|| value.trim().trim_matches(['"', '\'']))
}

/// The line a finding points at, if any (for SARIF regions and text output).
pub fn finding_line(f: &Finding) -> Option<usize> {
    match &f.location {
        Location::Certificate { .. } | Location::TrustAnchor { .. } | Location::Endpoint { .. } => {
            None
        }
        other => other.line(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: Option<&str>, text: &str) -> Result<LintReport, LintError> {
        lint(
            name,
            text.as_bytes(),
            &ChainRequest::default(),
            &Policy::default(),
            Timestamp::from_unix(1_800_000_000),
        )
    }

    /// What an input was recognised as reads back from its JSON (the same JSON the derived
    /// internally tagged form writes), and a type without its field is refused by name.
    #[test]
    fn what_was_recognised_reads_back_and_a_missing_field_is_named() {
        let connections = run(None, "postgres://app@db/app?sslmode=disable\n").unwrap();
        let all = [
            Recognised::Pki { items: 3 },
            run(
                Some("nginx.conf"),
                "server { listen 443 ssl; ssl_protocols TLSv1.3; }\n",
            )
            .unwrap()
            .recognised,
            connections.recognised,
            Recognised::Source {
                language: "python".into(),
                settings: 2,
            },
        ];
        assert!(matches!(all[1], Recognised::Config { .. }), "{:?}", all[1]);
        assert!(matches!(&all[2], Recognised::Connections { strings } if strings.len() == 1));
        for r in &all {
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(
                &serde_json::from_str::<Recognised>(&json).unwrap(),
                r,
                "{json}"
            );
        }
        assert_eq!(
            serde_json::to_value(&all[0]).unwrap(),
            serde_json::json!({"type": "pki", "items": 3})
        );
        let missing =
            serde_json::from_str::<Recognised>(r#"{"type":"source","language":"python"}"#)
                .map_err(|e| e.to_string());
        assert!(
            matches!(&missing, Err(e) if e.contains("missing field `settings` of a source file")),
            "{missing:?}"
        );
        assert!(serde_json::from_str::<Recognised>(r#"{"type":"config"}"#).is_err());
    }

    #[test]
    fn env_files_and_mixed_lines() {
        let r = run(
            None,
            "# services\nDATABASE_URL=\"postgres://app:pw@db/app?sslmode=require\"\nexport CACHE_URL=rediss://cache:6380\nnot a connection string\n",
        )
        .unwrap();
        let Recognised::Connections { strings } = &r.recognised else {
            panic!("{r:?}")
        };
        assert_eq!(strings.len(), 2);
        assert_eq!(
            strings[0].masked,
            "postgres://app:****@db/app?sslmode=require"
        );
        assert_eq!(r.problems.len(), 1);
        assert!(r.problems[0].starts_with("line 4:"), "{:?}", r.problems);
        let rules: Vec<_> = r.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["DB-PG-SSLMODE", "SECRET-PASSWORD-IN-STRING"]);
        assert!(r.findings.iter().all(|f| !f.evidence.contains(":pw@")));
    }

    #[test]
    fn unknown_and_empty_inputs_are_errors() {
        assert_eq!(run(None, "  \n"), Err(LintError::Empty));
        assert_eq!(run(None, "hello world\n"), Err(LintError::Unrecognised));
        assert!(matches!(
            run(None, "postgres://db:70000/x\n"),
            Err(LintError::Connection { line: 1, .. })
        ));
    }
}
