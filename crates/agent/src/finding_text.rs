//! Findings as text for a terminal, one way for every command (`inspect`, `lint`, `probe`):
//! severity symbol and word, rule id, where, title, then the evidence and the fix on their own
//! lines; "no findings" when there are none.

use std::fmt::Write as _;

use tlscope_core::{Finding, Severity};

/// The symbol and word for a severity, padded to one width.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "✖ critical",
        Severity::Warning => "⚠ warning ",
        Severity::Info => "ℹ info    ",
    }
}

/// Appends `findings` to `out`, indented by two spaces, or "✔ no findings" when there are none.
pub fn findings(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        out.push_str("  ✔ no findings\n");
    }
    for f in findings {
        finding(out, f);
    }
}

/// Appends one finding.
pub fn finding(out: &mut String, f: &Finding) {
    let _ = writeln!(
        out,
        "  {}  {:<34} {}: {}\n      {}\n      fix: {}",
        severity(f.severity),
        f.rule,
        f.location,
        f.title,
        f.evidence,
        f.remediation
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlscope_core::{Location, rule};

    #[test]
    fn a_finding_shows_rule_where_title_evidence_and_fix() {
        let f = Finding::new(
            rule!("CERT-EXPIRED"),
            "expired 3 days ago".into(),
            Location::Line { line: 4 },
        );
        let mut out = String::new();
        findings(&mut out, std::slice::from_ref(&f));
        assert!(out.starts_with("  ✖ critical  CERT-EXPIRED"), "{out}");
        assert!(out.contains("expired 3 days ago"), "{out}");
        assert!(out.contains(&format!("fix: {}", f.remediation)), "{out}");
        let mut none = String::new();
        findings(&mut none, &[]);
        assert_eq!(none, "  ✔ no findings\n");
    }
}
