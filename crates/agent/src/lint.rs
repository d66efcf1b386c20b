//! `tlscope lint PATH...`: walks files and directories, lets the core recognise each file by
//! content (PKI objects, server configs, connection strings), judges it under the policy and
//! renders the report as text, JSON (`tlscope-report/1`), SARIF 2.1.0 or Markdown. The exit
//! code is the CI gate: 1 when a finding reaches `--fail-on` or a named file cannot be judged.

use std::path::{Path, PathBuf};

use tlscope_core::export::{Document, InputReport, markdown, sarif};
use tlscope_core::graph::{Facts, Probed, link};
use tlscope_core::judge::ChainRequest;
use tlscope_core::lint::{LintError, Recognised, lint};
use tlscope_core::{Policy, Severity, Timestamp};

use crate::AgentError;

/// Output formats shared by `lint` and `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people at a terminal.
    Text,
    /// The `tlscope-report/1` JSON document (docs/report-schema.md).
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
    /// Markdown, for pull requests and tickets.
    Md,
    /// A CycloneDX 1.6 cryptographic bill of materials: certificates, keys, algorithms and
    /// protocols, each with where it was found.
    Cbom,
}

/// Files larger than this are not configuration or certificates; they are skipped in walks.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Directories a walk never enters.
const SKIP_DIRS: &[&str] = &["target", "node_modules", ".git", "dist"];

/// Every file to lint: named files as given, directories walked (sorted, hidden entries and
/// build output skipped). The flag says whether the file was named explicitly.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, AgentError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push((path.clone(), true));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, bool)>) -> Result<(), AgentError> {
    let read = std::fs::read_dir(dir).map_err(|source| AgentError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = read.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(&path, out)?;
            }
        } else if meta.is_file() && meta.len() <= MAX_FILE {
            out.push((path, false));
        }
    }
    Ok(())
}

/// Lints `files` and returns the document, with every client the files name linked to its
/// server configurations and certificate files (no probes); files found by walking that are
/// not recognised are left out rather than reported as errors.
pub fn run(
    files: &[(PathBuf, bool)],
    read: impl Fn(&Path) -> Result<Vec<u8>, AgentError>,
    request: &ChainRequest,
    policy: &Policy,
    now: Timestamp,
) -> Result<Document, AgentError> {
    run_with(files, read, request, policy, now, |_| Vec::new())
}

/// [`run`], with `probe` asked for what the clients' endpoints serve (`lint --probe`): each
/// probe is judged as an input of its own and joins the links.
pub fn run_with(
    files: &[(PathBuf, bool)],
    read: impl Fn(&Path) -> Result<Vec<u8>, AgentError>,
    request: &ChainRequest,
    policy: &Policy,
    now: Timestamp,
    probe: impl FnOnce(&Facts) -> Vec<Probed>,
) -> Result<Document, AgentError> {
    let mut inputs = Vec::new();
    let mut facts = Facts::default();
    for (path, named) in files {
        let shown = path.display().to_string();
        let bytes = read(path)?;
        // Source code goes to its language's parser; its settings are judged by the core.
        if let Some(language) = tlscope_source::Language::of(&shown) {
            let text = String::from_utf8_lossy(&bytes);
            let read = tlscope_source::settings(&shown, &text);
            if let Ok(settings) = &read {
                facts.add_code(&shown, settings);
            }
            match read {
                Ok(settings) if settings.is_empty() && !named => {}
                Ok(settings) => inputs.push(InputReport {
                    path: shown,
                    recognised: Some(Recognised::Source {
                        language: language.label().to_ascii_lowercase(),
                        settings: settings.len(),
                    }),
                    findings: tlscope_core::code::judge(&settings, policy),
                    ..InputReport::default()
                }),
                // A walked file the parser cannot read is a problem, not a failed run.
                Err(e) if !named => inputs.push(InputReport {
                    path: shown,
                    recognised: Some(Recognised::Source {
                        language: language.label().to_ascii_lowercase(),
                        settings: 0,
                    }),
                    problems: vec![e.to_string()],
                    ..InputReport::default()
                }),
                Err(e) => inputs.push(InputReport {
                    path: shown,
                    recognised: None,
                    error: Some(e.to_string()),
                    ..InputReport::default()
                }),
            }
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str());
        facts.add_file(&shown, &bytes);
        match lint(name, &bytes, request, policy, now) {
            Ok(report) => inputs.push(InputReport {
                path: shown,
                recognised: Some(report.recognised),
                error: None,
                findings: report.findings,
                problems: report.problems,
                ..InputReport::default()
            }),
            Err(LintError::Unrecognised | LintError::Empty | LintError::Decode(_)) if !named => {}
            Err(e) => inputs.push(InputReport {
                path: shown,
                recognised: None,
                error: Some(e.to_string()),
                ..InputReport::default()
            }),
        }
    }
    let probes = probe(&facts);
    for p in &probes {
        inputs.push(InputReport {
            path: p.report.target.clone(),
            error: p.report.error.clone(),
            findings: tlscope_core::judge::probe(&p.report, &request.anchors, policy, now),
            probe: Some(p.report.clone()),
            ..InputReport::default()
        });
    }
    let links = link(&facts, &probes, policy, now, request.backend);
    Ok(Document::new(inputs, &policy.profile, now).with_links(links))
}

/// The document in `format`; a document that cannot be serialised is an error, never an empty
/// output.
pub fn render(doc: &Document, format: Format) -> Result<String, serde_json::Error> {
    Ok(match format {
        Format::Text => text(doc),
        Format::Json => serde_json::to_string_pretty(doc)? + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif(doc))? + "\n",
        Format::Md => markdown(doc),
        Format::Cbom => serde_json::to_string_pretty(&tlscope_core::cbom::bom(doc))? + "\n",
    })
}

/// Whether the run fails the gate: a finding at or above `fail_on`, or an input that could not
/// be judged.
pub fn gate_fails(doc: &Document, fail_on: Severity) -> bool {
    doc.worst().is_some_and(|w| w >= fail_on) || doc.inputs.iter().any(|i| i.error.is_some())
}

fn text(doc: &Document) -> String {
    let mut out = String::new();
    for input in &doc.inputs {
        let what = input
            .recognised
            .as_ref()
            .map_or_else(|| "unreadable".to_owned(), |r| r.label());
        out.push_str(&format!("{} — {what}\n", input.path));
        if let Some(e) = &input.error {
            out.push_str(&format!("  error: {e}\n"));
        }
        for p in &input.problems {
            out.push_str(&format!("  not read: {p}\n"));
        }
        if input.error.is_none() || !input.findings.is_empty() {
            crate::finding_text::findings(&mut out, &input.findings);
        }
        out.push('\n');
    }
    if !doc.links.is_empty() {
        out.push_str("links between the inputs\n");
    }
    for link in &doc.links {
        out.push_str(&format!("  {}\n", link.summary()));
        for u in &link.unresolved {
            out.push_str(&format!("    not checked: {u}\n"));
        }
        let mut found = String::new();
        crate::finding_text::findings(&mut found, &link.findings);
        for line in found.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if !doc.links.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!(
        "{} input(s) under the {} policy: {} critical, {} warning, {} info\n",
        doc.inputs.len(),
        doc.policy,
        doc.summary.critical,
        doc.summary.warning,
        doc.summary.info
    ));
    out
}
