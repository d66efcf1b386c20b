//! Findings: a rule, the evidence, and where. Plain data that serialises to the page, the CLI's
//! JSON and (later) SARIF; a finding is never an `Err`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::rules::{RuleId, Severity};

/// Where a finding applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", try_from = "LocationWire")]
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

/// A [`Location`] as it is read: its kind and the fields of every kind, checked by
/// [`TryFrom`]. Read this way, a location costs the page's WebAssembly a fraction of the code
/// serde writes for an internally tagged enum (which buffers each object before reading it).
/// The JSON is the same either way.
#[derive(Deserialize)]
struct LocationWire {
    kind: LocationKind,
    index: Option<usize>,
    name: Option<String>,
    line: Option<usize>,
    endpoint: Option<String>,
    path: Option<String>,
}

/// The `kind` of a [`Location`] in its JSON.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum LocationKind {
    Certificate,
    TrustAnchor,
    Line,
    Directive,
    Parameter,
    Endpoint,
    File,
}

impl LocationKind {
    /// What a location of this kind is, in a message.
    fn what(self) -> &'static str {
        match self {
            Self::Certificate => "certificate location",
            Self::TrustAnchor => "trust-anchor location",
            Self::Line => "line location",
            Self::Directive => "directive location",
            Self::Parameter => "parameter location",
            Self::Endpoint => "endpoint location",
            Self::File => "file location",
        }
    }
}

/// A tagged object's JSON lacks a field its tag gives it (a `file` location without `line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingField {
    /// What the object is, by its tag (`file location`, `PKI input`).
    pub of: &'static str,
    /// The field it lacks.
    pub field: &'static str,
}

impl std::fmt::Display for MissingField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "missing field `{}` of a {}", self.field, self.of)
    }
}

impl TryFrom<LocationWire> for Location {
    type Error = MissingField;

    fn try_from(w: LocationWire) -> Result<Self, MissingField> {
        let of = w.kind.what();
        fn need<T>(v: Option<T>, of: &'static str, field: &'static str) -> Result<T, MissingField> {
            v.ok_or(MissingField { of, field })
        }
        Ok(match w.kind {
            LocationKind::Certificate => Self::Certificate {
                index: need(w.index, of, "index")?,
                name: need(w.name, of, "name")?,
            },
            LocationKind::TrustAnchor => Self::TrustAnchor {
                name: need(w.name, of, "name")?,
            },
            LocationKind::Line => Self::Line {
                line: need(w.line, of, "line")?,
            },
            LocationKind::Directive => Self::Directive {
                line: need(w.line, of, "line")?,
                name: need(w.name, of, "name")?,
            },
            LocationKind::Parameter => Self::Parameter {
                line: need(w.line, of, "line")?,
                name: need(w.name, of, "name")?,
            },
            LocationKind::Endpoint => Self::Endpoint {
                endpoint: need(w.endpoint, of, "endpoint")?,
            },
            LocationKind::File => Self::File {
                path: need(w.path, of, "path")?,
                line: need(w.line, of, "line")?,
                name: need(w.name, of, "name")?,
            },
        })
    }
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

    /// Every kind of location reads back as written, from the same JSON the derived
    /// internally tagged form writes; a location without a field its kind has is refused,
    /// naming the field, and an unknown kind is refused.
    #[test]
    fn every_location_reads_back_and_a_missing_field_is_named() -> Result<(), serde_json::Error> {
        let all = [
            Location::Certificate {
                index: 2,
                name: "leaf".into(),
            },
            Location::TrustAnchor {
                name: "ISRG Root X1".into(),
            },
            Location::Line { line: 3 },
            Location::Directive {
                line: 4,
                name: "ssl_protocols".into(),
            },
            Location::Parameter {
                line: 1,
                name: "sslmode".into(),
            },
            Location::Endpoint {
                endpoint: "db:5432".into(),
            },
            Location::File {
                path: "app.py".into(),
                line: 9,
                name: "verify".into(),
            },
        ];
        for l in &all {
            let json = serde_json::to_string(l)?;
            assert_eq!(&serde_json::from_str::<Location>(&json)?, l, "{json}");
        }
        assert_eq!(
            serde_json::to_value(&all[3])?,
            serde_json::json!({"kind": "directive", "line": 4, "name": "ssl_protocols"})
        );
        let missing = serde_json::from_str::<Location>(r#"{"kind":"file","path":"a","line":1}"#)
            .map_err(|e| e.to_string());
        assert!(
            matches!(&missing, Err(e) if e.contains("missing field `name` of a file location")),
            "{missing:?}"
        );
        let unknown = serde_json::from_str::<Location>(r#"{"kind":"galaxy","line":1}"#);
        assert!(unknown.is_err());
        Ok(())
    }
}
