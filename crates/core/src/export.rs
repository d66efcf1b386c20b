//! Reports for other tools and for people: the JSON document (schema `tlscope-report/1`,
//! documented in docs/report-schema.md and docs/report.schema.json), SARIF 2.1.0 for code-scanning
//! UIs, and Markdown for pull requests and tickets. All three render the same [`Document`].

use serde::Serialize;

use crate::lint::{Recognised, finding_line};
use crate::report::{Finding, Summary};
use crate::rules::{RULES, Severity};
use crate::timestamp::Timestamp;

/// The schema identifier written into every JSON report.
pub const SCHEMA: &str = "tlscope-report/1";

/// The judgement of one input (a file, a pasted text, an endpoint). `lint` fills the common
/// fields; `inspect` adds what it decoded and the chain verdict, `probe` what the probe saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputReport {
    /// The file path or a name for the input.
    pub path: String,
    /// What it was recognised as, when it could be read.
    pub recognised: Option<Recognised>,
    /// Why it could not be judged at all.
    pub error: Option<String>,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// Parts that could not be read while the rest was judged.
    pub problems: Vec<String>,
    /// What `inspect` decoded: every item (certificate details, requests, CRLs, key summaries)
    /// and the blocks that could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<crate::Decoded>,
    /// The chain verdict (`inspect`), when the input held certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<crate::chain::ChainReport>,
    /// The leaf's embedded SCTs (`inspect`), verified against a log list when one was given.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub scts: Vec<crate::transparency::Sct>,
    /// What the probe saw (`probe`): versions, suites, groups, the chain, timings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<crate::probe::ProbeReport>,
}

/// Everything one run judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The tool and its version.
    pub tool: Tool,
    /// The moment of judgement (`--at`, or the current time).
    pub judged_at: Timestamp,
    /// The policy's profile.
    pub policy: String,
    /// Counts over every input.
    pub summary: Summary,
    /// One entry per input, in the order given.
    pub inputs: Vec<InputReport>,
    /// Each client the inputs name, linked to the server configurations, certificate files and
    /// probe for its host and port, and judged together (`lint` on several files).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub links: Vec<crate::graph::Link>,
}

/// The producing tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tool {
    /// `tlscope`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

impl Document {
    /// A document over `inputs`, judged at `judged_at` under the profile `policy`.
    pub fn new(inputs: Vec<InputReport>, policy: &str, judged_at: Timestamp) -> Self {
        let all: Vec<Finding> = inputs.iter().flat_map(|i| i.findings.clone()).collect();
        Self {
            schema: SCHEMA,
            tool: Tool {
                name: "tlscope",
                version: env!("CARGO_PKG_VERSION"),
            },
            judged_at,
            policy: policy.to_owned(),
            summary: Summary::of(&all),
            inputs,
            links: Vec::new(),
        }
    }

    /// The document with `links`; their findings count in the summary and the gate.
    #[must_use]
    pub fn with_links(mut self, links: Vec<crate::graph::Link>) -> Self {
        self.links = links;
        let all: Vec<Finding> = self.findings().cloned().collect();
        self.summary = Summary::of(&all);
        self
    }

    /// Every finding: the inputs' and the links'.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.inputs
            .iter()
            .flat_map(|i| i.findings.iter())
            .chain(self.links.iter().flat_map(|l| l.findings.iter()))
    }

    /// The most severe finding's severity, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings().map(|f| f.severity).max()
    }
}

// ---------------------------------------------------------------------------------------------
// SARIF 2.1.0

/// A SARIF 2.1.0 log with one run.
#[derive(Debug, Clone, Serialize)]
pub struct Sarif {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<SarifRun>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun {
    tool: SarifTool,
    artifacts: Vec<SarifArtifact>,
    results: Vec<SarifResult>,
    invocations: Vec<SarifInvocation>,
}

#[derive(Debug, Clone, Serialize)]
struct SarifTool {
    driver: SarifDriver,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifDriver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<SarifRule>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    short_description: SarifText,
    help: SarifText,
    default_configuration: SarifConfiguration,
    properties: SarifRuleProperties,
}

#[derive(Debug, Clone, Serialize)]
struct SarifText {
    text: String,
}

#[derive(Debug, Clone, Serialize)]
struct SarifConfiguration {
    level: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct SarifRuleProperties {
    tags: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
struct SarifArtifact {
    location: SarifArtifactLocation,
}

#[derive(Debug, Clone, Serialize)]
struct SarifArtifactLocation {
    uri: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: SarifText,
    locations: Vec<SarifLocation>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: SarifPhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<SarifLogicalLocation>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysicalLocation {
    artifact_location: SarifArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<SarifRegion>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLogicalLocation {
    name: String,
    kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifInvocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<SarifNotification>,
}

#[derive(Debug, Clone, Serialize)]
struct SarifNotification {
    level: &'static str,
    message: SarifText,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `path` as a SARIF artifact URI (relative paths stay relative; spaces and `%` are escaped).
fn uri(path: &str) -> String {
    path.replace('%', "%25")
        .replace(' ', "%20")
        .replace('\\', "/")
}

/// The document as a SARIF 2.1.0 log: every rule of the table as a reporting descriptor, every
/// finding as a result at its file and line, unreadable inputs as tool notifications.
pub fn sarif(doc: &Document) -> Sarif {
    let rules = RULES
        .iter()
        .map(|r| SarifRule {
            id: r.id,
            short_description: SarifText {
                text: r.title.to_owned(),
            },
            help: SarifText {
                text: format!("{} References: {}.", r.remediation, r.references.join(", ")),
            },
            default_configuration: SarifConfiguration {
                level: level(r.severity),
            },
            properties: SarifRuleProperties {
                tags: r.references.to_vec(),
            },
        })
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for input in &doc.inputs {
        if let Some(e) = &input.error {
            notifications.push(SarifNotification {
                level: "error",
                message: SarifText {
                    text: format!("{}: {e}", input.path),
                },
            });
        }
        for p in &input.problems {
            notifications.push(SarifNotification {
                level: "warning",
                message: SarifText {
                    text: format!("{}: {p}", input.path),
                },
            });
        }
        results.extend(input.findings.iter().map(|f| sarif_result(f, &input.path)));
    }
    // A link's finding is at the line of the file it names (the client's or the server's).
    for link in &doc.links {
        for f in &link.findings {
            let path = match &f.location {
                crate::report::Location::File { path, .. } => path,
                _ => &link.client.file,
            };
            results.push(sarif_result(f, path));
        }
    }
    Sarif {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "tlscope",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://example.invalid/tlscope",
                    rules,
                },
            },
            artifacts: doc
                .inputs
                .iter()
                .map(|i| SarifArtifact {
                    location: SarifArtifactLocation { uri: uri(&i.path) },
                })
                .collect(),
            results,
            invocations: vec![SarifInvocation {
                execution_successful: doc.inputs.iter().all(|i| i.error.is_none()),
                tool_execution_notifications: notifications,
            }],
        }],
    }
}

fn sarif_result(f: &Finding, path: &str) -> SarifResult {
    let line = finding_line(f);
    let logical = match line {
        Some(_) => Vec::new(),
        None => vec![SarifLogicalLocation {
            name: f.location.to_string(),
            kind: "object",
        }],
    };
    SarifResult {
        rule_id: f.rule,
        rule_index: RULES.iter().position(|r| r.id == f.rule).unwrap_or(0),
        level: level(f.severity),
        message: SarifText {
            text: format!("{}: {}", f.title, f.evidence),
        },
        locations: vec![SarifLocation {
            physical_location: SarifPhysicalLocation {
                artifact_location: SarifArtifactLocation { uri: uri(path) },
                region: line.map(|start_line| SarifRegion { start_line }),
            },
            logical_locations: logical,
        }],
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown

fn symbol(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "✖ critical",
        Severity::Warning => "⚠ warning",
        Severity::Info => "ℹ info",
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The document as Markdown: a summary line, then per input a table of findings with the fix.
pub fn markdown(doc: &Document) -> String {
    let mut out = format!(
        "# tlscope report\n\nJudged at {} under the `{}` policy: **{} critical**, **{} warning**, {} info.\n",
        doc.judged_at, doc.policy, doc.summary.critical, doc.summary.warning, doc.summary.info
    );
    for input in &doc.inputs {
        out.push_str(&format!("\n## {}\n\n", cell(&input.path)));
        if let Some(r) = &input.recognised {
            out.push_str(&format!("Read as {}.\n\n", r.label()));
        }
        if let Some(e) = &input.error {
            out.push_str(&format!("**Could not be read:** {}\n", cell(e)));
            continue;
        }
        for p in &input.problems {
            out.push_str(&format!("- not read: {}\n", cell(p)));
        }
        // What a probe learnt beside TCP: HTTP/3 over QUIC and the records DNS publishes.
        if let Some(probe) = &input.probe {
            if let Some(q) = &probe.quic {
                out.push_str(&format!("- QUIC: {}\n", cell(&q.summary())));
            }
            for line in probe.dns.iter().flat_map(|d| d.summary_lines()) {
                out.push_str(&format!("- DNS: {}\n", cell(&line)));
            }
        }
        if input.findings.is_empty() {
            out.push_str("No findings.\n");
            continue;
        }
        out.push_str("| severity | rule | where | finding | fix |\n|---|---|---|---|---|\n");
        for f in &input.findings {
            out.push_str(&format!(
                "| {} | `{}` | {} | {}: {} | {} |\n",
                symbol(f.severity),
                f.rule,
                cell(&f.location.to_string()),
                cell(&f.title),
                cell(&f.evidence),
                cell(&f.remediation)
            ));
        }
    }
    if !doc.links.is_empty() {
        out.push_str("\n## Links between the inputs\n");
    }
    for link in &doc.links {
        out.push_str(&format!("\n- {}\n", cell(&link.summary())));
        for u in &link.unresolved {
            out.push_str(&format!("  - not checked: {}\n", cell(u)));
        }
        for f in &link.findings {
            out.push_str(&format!(
                "  - {} `{}` at {}: {}: {} — {}\n",
                symbol(f.severity),
                f.rule,
                cell(&f.location.to_string()),
                cell(&f.title),
                cell(&f.evidence),
                cell(&f.remediation)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Location;

    fn doc() -> Document {
        Document::new(
            vec![
                InputReport {
                    path: "nginx/site one.conf".into(),
                    recognised: Some(Recognised::Config {
                        kind: crate::config::Kind::Nginx,
                    }),
                    error: None,
                    findings: vec![Finding::new(
                        crate::rule!("TLS-VERSION-MIN"),
                        "ssl_protocols TLSv1.2 | TLSv1.3".into(),
                        Location::Directive {
                            line: 4,
                            name: "ssl_protocols".into(),
                        },
                    )],
                    problems: Vec::new(),
                    ..InputReport::default()
                },
                InputReport {
                    path: "junk.bin".into(),
                    recognised: None,
                    error: Some("not something tlscope lints".into()),
                    findings: Vec::new(),
                    problems: Vec::new(),
                    ..InputReport::default()
                },
            ],
            "default",
            Timestamp::from_unix(1_800_000_000),
        )
    }

    #[test]
    fn summary_and_worst() {
        let d = doc();
        assert_eq!(d.summary.critical, 1);
        assert_eq!(d.worst(), Some(Severity::Critical));
    }

    #[test]
    fn markdown_escapes_cells_and_lists_every_input() {
        let md = markdown(&doc());
        assert!(md.contains("**1 critical**"));
        assert!(
            md.contains("| ✖ critical | `TLS-VERSION-MIN` | line 4, ssl_protocols |"),
            "{md}"
        );
        assert!(md.contains("TLSv1.2 \\| TLSv1.3"));
        assert!(md.contains("## junk.bin\n\n**Could not be read:**"));
    }
}
