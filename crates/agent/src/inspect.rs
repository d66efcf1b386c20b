//! `tlscope inspect FILE...`: decode each file with the core, validate its chain and render what
//! it holds, as text for people or JSON for pipelines. Exit status is non-zero when any file
//! fails to decode or a chain is invalid.

use std::fmt::Write as _;

use serde::Serialize;
use tlscope_core::certificate::ValidityStatus;
use tlscope_core::chain::ChainReport;
use tlscope_core::judge::ChainRequest;
use tlscope_core::{
    Certificate, DecodeError, Decoded, Finding, Item, Policy, Severity, SubjectAltName, Timestamp,
    decode, judge,
};

/// What one file held.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The path as given.
    pub file: String,
    /// The decoded items and per-block errors, or the error that stopped decoding.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// What the policy and chain validation say about them, most severe first.
    pub findings: Vec<Finding>,
    /// The chain verdict, when the file held certificates.
    pub chain: Option<ChainReport>,
    /// The leaf's embedded SCTs, verified against `--ct-logs` when given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scts: Vec<tlscope_core::transparency::Sct>,
}

/// The result of decoding one file.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    /// Something decoded.
    Decoded(Decoded),
    /// Nothing did.
    Failed {
        /// Why.
        error: DecodeError,
        /// The same, as a sentence.
        message: String,
    },
}

impl FileReport {
    /// Decodes `bytes` read from `file`, judges them under `policy` at `now` and validates the
    /// chain as `request` asks.
    pub fn new(
        file: &str,
        bytes: &[u8],
        request: &ChainRequest,
        policy: &Policy,
        now: Timestamp,
    ) -> Self {
        let (outcome, findings, chain, scts) = match decode(bytes) {
            Ok(d) => {
                let inspection = judge::inspect(&d, request, policy, now);
                (
                    Outcome::Decoded(d),
                    inspection.findings,
                    inspection.chain,
                    inspection.scts,
                )
            }
            Err(error) => (
                Outcome::Failed {
                    message: error.to_string(),
                    error,
                },
                Vec::new(),
                None,
                Vec::new(),
            ),
        };
        Self {
            file: file.to_owned(),
            outcome,
            findings,
            chain,
            scts,
        }
    }

    /// The file as an input of the report document: the findings, what was decoded and the
    /// chain verdict.
    pub fn to_input(&self) -> tlscope_core::export::InputReport {
        let (recognised, error, problems, decoded) = match &self.outcome {
            Outcome::Decoded(d) => (
                Some(tlscope_core::lint::Recognised::Pki {
                    items: d.items.len(),
                }),
                None,
                d.errors.iter().map(ToString::to_string).collect(),
                Some(d.clone()),
            ),
            Outcome::Failed { message, .. } => (None, Some(message.clone()), Vec::new(), None),
        };
        tlscope_core::export::InputReport {
            path: self.file.clone(),
            recognised,
            error,
            findings: self.findings.clone(),
            problems,
            decoded,
            chain: self.chain.clone(),
            scts: self.scts.clone(),
            probe: None,
        }
    }

    /// Whether the file held a chain that did not validate.
    pub fn chain_invalid(&self) -> bool {
        self.chain.as_ref().is_some_and(|c| !c.valid)
    }

    /// Whether anything in the file failed to decode.
    pub fn has_errors(&self) -> bool {
        match &self.outcome {
            Outcome::Decoded(d) => !d.errors.is_empty(),
            Outcome::Failed { .. } => true,
        }
    }
}

/// Renders reports as text for a terminal.
pub fn render_text(reports: &[FileReport], now: Timestamp) -> String {
    let mut out = String::new();
    for report in reports {
        match &report.outcome {
            Outcome::Failed { message, .. } => {
                let _ = writeln!(out, "{}: error: {message}", report.file);
            }
            Outcome::Decoded(d) => {
                for item in &d.items {
                    match item {
                        Item::Certificate {
                            source,
                            certificate,
                        } => {
                            let at = source
                                .line
                                .map_or_else(|| "DER".to_owned(), |l| format!("line {l}"));
                            let _ = writeln!(out, "{} ({at}): certificate", report.file);
                            render_certificate(&mut out, certificate, now);
                        }
                        Item::PrivateKey {
                            source,
                            format,
                            encrypted,
                            algorithm,
                            bits,
                        } => {
                            let line = source.line.unwrap_or(1);
                            let enc = if *encrypted { "encrypted " } else { "" };
                            let kind = match (algorithm, bits) {
                                (Some(a), Some(b)) => format!("{a} {b}-bit "),
                                (Some(a), None) => format!("{a} "),
                                _ => String::new(),
                            };
                            let _ = writeln!(
                                out,
                                "{} (line {line}): warning: {enc}{kind}{format} private key supplied; key material is not shown or kept",
                                report.file
                            );
                        }
                        Item::Request { source, request } => {
                            let at = source
                                .line
                                .map_or_else(|| "DER".to_owned(), |l| format!("line {l}"));
                            let _ = writeln!(
                                out,
                                "{} ({at}): certificate signing request",
                                report.file
                            );
                            let key = match &request.public_key.curve {
                                Some(curve) => format!("{} {curve}", request.public_key.algorithm),
                                None => format!(
                                    "{} {} bits",
                                    request.public_key.algorithm, request.public_key.bits
                                ),
                            };
                            let sig = match &request.signature_problem {
                                None => "valid (proof of possession)".to_owned(),
                                Some(p) => format!("INVALID: {p}"),
                            };
                            for (k, v) in [
                                ("Subject", request.subject.rfc4514.clone()),
                                ("SANs", render_sans(&request.subject_alt_names)),
                                ("Public key", key),
                                (
                                    "Signature",
                                    format!("{} — {sig}", request.signature_algorithm),
                                ),
                            ] {
                                let _ = writeln!(out, "  {k:<11} {v}");
                            }
                        }
                        Item::RevocationList { source, crl } => {
                            let at = source
                                .line
                                .map_or_else(|| "DER".to_owned(), |l| format!("line {l}"));
                            let _ = writeln!(
                                out,
                                "{} ({at}): certificate revocation list",
                                report.file
                            );
                            for (k, v) in [
                                ("Issuer", crl.issuer.rfc4514.clone()),
                                ("This update", crl.this_update.to_string()),
                                (
                                    "Next update",
                                    crl.next_update.map_or("(none)".into(), |t| t.to_string()),
                                ),
                                (
                                    "CRL number",
                                    crl.number.clone().unwrap_or_else(|| "(none)".into()),
                                ),
                                ("Revoked", format!("{} certificate(s)", crl.revoked_count)),
                            ] {
                                let _ = writeln!(out, "  {k:<11} {v}");
                            }
                            for e in crl.revoked.iter().take(20) {
                                let reason = e
                                    .reason
                                    .as_deref()
                                    .map(|r| format!(" ({r})"))
                                    .unwrap_or_default();
                                let _ = writeln!(
                                    out,
                                    "    {} revoked {}{reason}",
                                    e.serial, e.revoked_at
                                );
                            }
                        }
                        _ => {}
                    }
                    out.push('\n');
                }
                for e in &d.errors {
                    let _ = writeln!(out, "{}: error: {e}", report.file);
                }
                if let Some(chain) = &report.chain {
                    render_chain(&mut out, chain);
                }
                render_scts(&mut out, &report.scts);
                render_findings(&mut out, &report.findings);
            }
        }
    }
    out
}

fn render_chain(out: &mut String, chain: &ChainReport) {
    let verdict = if chain.valid {
        "✔ valid"
    } else {
        "✖ INVALID"
    };
    let trusted = if chain.trusted_by.is_empty() {
        String::new()
    } else {
        let stores: Vec<&str> = chain.trusted_by.iter().map(|o| o.store_name()).collect();
        format!("; trusted by {}", stores.join(" and "))
    };
    let _ = writeln!(
        out,
        "  Chain: {verdict} ({} path(s) tried){trusted}",
        chain.paths.len()
    );
    for (n, path) in chain.paths.iter().enumerate() {
        let mark = if path.valid {
            "✔"
        } else if path.anchored {
            "✖"
        } else {
            "…"
        };
        let links: Vec<String> = path
            .links
            .iter()
            .map(|l| match (l.anchor, l.input_index) {
                (Some(origin), _) => format!("{} [trusted root, {origin:?}]", l.name),
                (None, Some(i)) => format!("{} [#{i}]", l.name),
                (None, None) => l.name.clone(),
            })
            .collect();
        let _ = writeln!(out, "    {mark} path {}: {}", n + 1, links.join(" → "));
        let critical = path
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Critical)
            .count();
        if critical > 0 {
            let _ = writeln!(out, "      {critical} problem(s); see the findings below");
        }
    }
    out.push('\n');
}

fn render_sans(names: &[SubjectAltName]) -> String {
    let sans = names
        .iter()
        .map(|n| match n {
            SubjectAltName::Dns(v) => format!("DNS:{v}"),
            SubjectAltName::Ip(v) => format!("IP:{v}"),
            SubjectAltName::Email(v) => format!("email:{v}"),
            SubjectAltName::Uri(v) => format!("URI:{v}"),
            SubjectAltName::DirectoryName(v) => format!("DirName:{v}"),
            SubjectAltName::Other(v) => v.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    if sans.is_empty() {
        "(none)".to_owned()
    } else {
        sans
    }
}

fn render_findings(out: &mut String, findings: &[Finding]) {
    if !findings.is_empty() {
        let _ = writeln!(out, "  Findings:");
    }
    crate::finding_text::findings(out, findings);
    out.push('\n');
}

fn render_scts(out: &mut String, scts: &[tlscope_core::transparency::Sct]) {
    use tlscope_core::transparency::SctStatus;
    if scts.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  Certificate Transparency: {} embedded SCT(s)",
        scts.len()
    );
    for s in scts {
        let status = match &s.status {
            SctStatus::Unchecked => "not checked (no --ct-logs)".to_owned(),
            SctStatus::Verified => "verified".to_owned(),
            SctStatus::UnknownLog => "log not in the list".to_owned(),
            SctStatus::Invalid(why) => format!("INVALID: {why}"),
            SctStatus::NotCounted(why) => format!("verified, not counted: {why}"),
        };
        let log = match (&s.log, &s.operator) {
            (Some(l), Some(o)) => format!("{l} ({o})"),
            _ => format!("log {}", s.log_id),
        };
        let _ = writeln!(
            out,
            "    {} {log}, {}: {status}",
            s.timestamp, s.signature_algorithm
        );
    }
}

/// The revocation row: where a relying party can check it, or why it needs none.
fn revocation_text(c: &Certificate) -> String {
    let methods = c.revocation.methods();
    if methods.is_empty() {
        "none".into()
    } else {
        methods.join(", ")
    }
}

fn render_certificate(out: &mut String, c: &Certificate, now: Timestamp) {
    let days = c.validity.days_left(now);
    let status = match c.validity.status(now) {
        ValidityStatus::Valid => format!("{days} days left"),
        ValidityStatus::Expired => format!("EXPIRED {} days ago", -days),
        ValidityStatus::NotYetValid => "NOT YET VALID".to_owned(),
    };
    let sans = render_sans(&c.subject_alt_names);
    let key = c.public_key.describe();
    let rows = [
        ("Subject", c.subject.rfc4514.clone()),
        ("Issuer", c.issuer.rfc4514.clone()),
        ("Serial", c.serial.clone()),
        ("Not before", c.validity.not_before.to_string()),
        ("Not after", format!("{} ({status})", c.validity.not_after)),
        ("SANs", sans),
        (
            "Lifetime",
            format!(
                "{} (public maximum for its issue date: {} days)",
                tlscope_core::lifetime::duration_text(tlscope_core::lifetime::validity_seconds(
                    &c.validity
                )),
                tlscope_core::lifetime::cabf_maximum_days(c.validity.not_before)
            ),
        ),
        ("Revocation", revocation_text(c)),
        ("Public key", key),
        (
            "Signature",
            format!("{} ({} bytes)", c.signature_algorithm, c.signature_bytes),
        ),
        ("CA", if c.is_ca { "yes" } else { "no" }.to_owned()),
        ("SHA-256", c.fingerprint_sha256.clone()),
        ("SHA-1", c.fingerprint_sha1.clone()),
        ("SPKI pin", format!("sha256/{}", c.spki_sha256_base64)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<11} {v}");
    }
}
