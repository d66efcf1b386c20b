//! Findings: a rule, the evidence, and where. Plain data that serialises to the page, the CLI's
//! JSON and (later) SARIF; a finding is never an `Err`.

use std::borrow::Cow;

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
    pub title: Cow<'static, str>,
    /// What was observed, specifically.
    pub evidence: String,
    /// What to do.
    pub remediation: Cow<'static, str>,
    /// Compliance references.
    pub references: References,
    /// Where.
    pub location: Location,
}

/// A finding's compliance references: its rule's, or those it was read back with.
#[derive(Debug, Clone, Eq)]
pub enum References {
    /// The rules table's.
    Rule(&'static [&'static str]),
    /// Read from a serialised finding.
    Read(Vec<String>),
}

impl References {
    /// Each reference, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let (table, read) = match self {
            Self::Rule(r) => (*r, &[][..]),
            Self::Read(r) => (&[][..], r.as_slice()),
        };
        table.iter().copied().chain(read.iter().map(String::as_str))
    }

    /// Every reference, `separator` between them.
    pub fn join(&self, separator: &str) -> String {
        self.iter().collect::<Vec<_>>().join(separator)
    }
}

/// The same references, wherever they came from.
impl PartialEq for References {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Serialize for References {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl Finding {
    /// A finding of rule `id` (see [`rule!`](crate::rule): ids are checked while compiling).
    pub fn new(id: RuleId, evidence: String, location: Location) -> Self {
        let r = id.rule();
        Self {
            rule: r.id,
            severity: r.severity,
            title: Cow::Borrowed(r.title),
            evidence,
            remediation: Cow::Borrowed(r.remediation),
            references: References::Rule(r.references),
            location,
        }
    }
}

/// A finding read back from its serialised form (a Web Worker's answer, a saved report), with
/// the texts it was written with: a reader that only shows findings (the dashboard's page)
/// needs no rules table beyond the ids. An id the table does not know is an error.
impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            rule: String,
            severity: Severity,
            title: String,
            evidence: String,
            remediation: String,
            references: Vec<String>,
            location: Location,
        }
        let wire = Wire::deserialize(deserializer)?;
        let known = RuleId::of(&wire.rule)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule {:?}", wire.rule)))?;
        Ok(Self {
            rule: known.as_str(),
            severity: wire.severity,
            title: Cow::Owned(wire.title),
            evidence: wire.evidence,
            remediation: Cow::Owned(wire.remediation),
            references: References::Read(wire.references),
            location: wire.location,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn expired() -> Finding {
        Finding::new(
            crate::rule!("CERT-EXPIRED"),
            "expired on 2026-01-01".into(),
            Location::Line { line: 3 },
        )
    }

    #[test]
    fn a_finding_read_back_equals_the_one_written() -> Result<(), serde_json::Error> {
        let f = expired();
        let back: Finding = serde_json::from_str(&serde_json::to_string(&f)?)?;
        assert_eq!(back, f);
        assert_eq!(back.references.join(", "), f.references.join(", "));
        Ok(())
    }

    /// The page reads findings without the rules table's texts: what it shows is what the
    /// finding was written with.
    #[test]
    fn a_finding_keeps_the_texts_it_was_written_with() -> Result<(), serde_json::Error> {
        let mut json = serde_json::to_value(expired())?;
        json["title"] = "written title".into();
        json["references"] = serde_json::json!(["RFC 5280"]);
        let back: Finding = serde_json::from_value(json.clone())?;
        assert_eq!(
            (&*back.title, back.references.join("")),
            ("written title", "RFC 5280".into())
        );
        assert_eq!(back.rule, "CERT-EXPIRED");
        json["rule"] = "NO-SUCH-RULE".into();
        let unknown = serde_json::from_value::<Finding>(json).map_err(|e| e.to_string());
        assert!(
            matches!(&unknown, Err(e) if e.contains("unknown rule")),
            "{unknown:?}"
        );
        Ok(())
    }
}
