//! Findings: a rule, the evidence, and where. Plain data that serialises to the page, the CLI's
//! JSON and (later) SARIF; a finding is never an `Err`.

use serde::{Deserialize, Serialize};

use crate::rules::{RuleId, Severity};

/// Where a finding applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Location {
    /// The n-th certificate of an input (0-based) and its name.
    Certificate {
        /// Position among the input's certificates.
        index: usize,
        /// The certificate's display name.
        name: String,
    },
    /// A trust anchor that is not part of the input.
    TrustAnchor {
        /// The anchor's name.
        name: String,
    },
    /// A line of the input.
    Line {
        /// 1-based line.
        line: usize,
    },
    /// A directive or key of a configuration file.
    Directive {
        /// 1-based line.
        line: usize,
        /// The directive or key (`ssl_protocols`, `spec.mtls.mode`).
        name: String,
    },
    /// A parameter of a connection string.
    Parameter {
        /// 1-based line of the string in its input.
        line: usize,
        /// The parameter (`sslmode`, `Encrypt`), or the scheme.
        name: String,
    },
    /// A network endpoint (`host:port`).
    Endpoint {
        /// Where the handshake or probe went.
        endpoint: String,
    },
    /// A line of a named file: where a judgement over several inputs (a link between a
    /// client and a server's configuration) points.
    File {
        /// The file, as the inputs name it.
        path: String,
        /// 1-based line.
        line: usize,
        /// The key or directive there.
        name: String,
    },
}

impl Location {
    /// The 1-based line this location points at, when it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Line { line }
            | Self::Directive { line, .. }
            | Self::Parameter { line, .. }
            | Self::File { line, .. } => Some(*line),
            _ => None,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Certificate { index, name } => write!(f, "certificate #{index} ({name})"),
            Self::TrustAnchor { name } => write!(f, "trust anchor {name}"),
            Self::Line { line } => write!(f, "line {line}"),
            Self::Directive { line, name } => write!(f, "line {line}, {name}"),
            Self::Parameter { line, name } => write!(f, "line {line}, {name}"),
            Self::Endpoint { endpoint } => write!(f, "{endpoint}"),
            Self::File { path, line, name } => write!(f, "{path}:{line}, {name}"),
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable id.
    pub rule: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The rule's title.
    pub title: &'static str,
    /// What was observed, specifically.
    pub evidence: String,
    /// What to do.
    pub remediation: &'static str,
    /// Compliance references.
    pub references: &'static [&'static str],
    /// Where.
    pub location: Location,
}

impl Finding {
    /// A finding of rule `id` (see [`rule!`](crate::rule): ids are checked while compiling).
    pub fn new(id: RuleId, evidence: String, location: Location) -> Self {
        let r = id.rule();
        Self {
            rule: r.id,
            severity: r.severity,
            title: r.title,
            evidence,
            remediation: r.remediation,
            references: r.references,
            location,
        }
    }
}

/// A finding read back from its serialised form (a Web Worker's answer, a saved report): the
/// rule's text comes from the rules table, so only the id, severity, evidence and location
/// travel. An id the table does not know is an error.
impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            rule: String,
            severity: Severity,
            evidence: String,
            location: Location,
        }
        let wire = Wire::deserialize(deserializer)?;
        let known = RuleId::of(&wire.rule)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule {:?}", wire.rule)))?;
        Ok(Self {
            severity: wire.severity,
            ..Self::new(known, wire.evidence, wire.location)
        })
    }
}

/// Counts by severity, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Critical findings.
    pub critical: usize,
    /// Warnings.
    pub warning: usize,
    /// Informational findings.
    pub info: usize,
}

impl Summary {
    /// Counts `findings`.
    pub fn of(findings: &[Finding]) -> Self {
        let mut s = Self::default();
        for f in findings {
            match f.severity {
                Severity::Critical => s.critical += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }
}
