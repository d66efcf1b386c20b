//! The one rules table: every rule's stable id, severity, title, remediation and compliance
//! references. Findings name rules by id; tests name rules by id. No rule is defined twice.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// Fix soon.
    Warning,
    /// Fix now: connections fail or are not protected.
    Critical,
}

impl Severity {
    /// The word shown next to the symbol, so severity is never carried by colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable identifier, e.g. `CERT-EXPIRY-CRITICAL`.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub title: &'static str,
    /// What to do about it.
    pub remediation: &'static str,
    /// Compliance references a finding of this rule supports.
    pub references: &'static [&'static str],
}

const TRANSPORT: &[&str] = &[
    "NIST 800-53 SC-8",
    "PCI-DSS 4.1",
    "HIPAA 164.312(e)",
    "GDPR art. 32",
    "SOC 2 CC6.1",
    "ISO 27001 A.13.1",
];
const CRYPTO: &[&str] = &["NIST 800-53 SC-13", "PCI-DSS 4.1", "SOC 2 CC6.1"];
const ROTATION: &[&str] = &[
    "NIST 800-53 SC-12",
    "FedRAMP (rotation < 90 d)",
    "SOC 2 CC6.1",
];

/// Every rule tlscope knows.
pub const RULES: &[Rule] = &[
    Rule {
        id: "CERT-EXPIRED",
        severity: Severity::Critical,
        title: "certificate has expired",
        remediation: "Issue and deploy a new certificate now; clients refuse expired certificates.",
        references: TRANSPORT,
    },
    Rule {
        id: "CERT-NOT-YET-VALID",
        severity: Severity::Critical,
        title: "certificate is not yet valid",
        remediation: "Check the issuing system's clock, or wait until notBefore; clients refuse it until then.",
        references: TRANSPORT,
    },
    Rule {
        id: "CERT-EXPIRY-CRITICAL",
        severity: Severity::Critical,
        title: "certificate expires within the critical window",
        remediation: "Renew now (the agent renews certificates it owns automatically at this point).",
        references: ROTATION,
    },
    Rule {
        id: "CERT-EXPIRY-WARNING",
        severity: Severity::Warning,
        title: "certificate expires within the warning window",
        remediation: "Schedule renewal; with ACME or cert-manager, check that automatic renewal is running.",
        references: ROTATION,
    },
    Rule {
        id: "CERT-LIFETIME-LONG",
        severity: Severity::Warning,
        title: "leaf certificate lifetime exceeds the rotation policy",
        remediation: "Issue leaf certificates for at most the policy's rotation period (90 days by default) and automate renewal.",
        references: ROTATION,
    },
    Rule {
        id: "CERT-SIG-WEAK-HASH",
        severity: Severity::Critical,
        title: "certificate is signed with MD5 or SHA-1",
        remediation: "Reissue with a SHA-256 (or stronger) signature; MD5 and SHA-1 signatures are forgeable and refused by modern clients.",
        references: CRYPTO,
    },
    Rule {
        id: "CERT-KEY-WEAK",
        severity: Severity::Critical,
        title: "public key is too weak",
        remediation: "Use RSA of at least 2048 bits, ECDSA P-256 or P-384, or Ed25519.",
        references: CRYPTO,
    },
    Rule {
        id: "CERT-KEY-UNAPPROVED",
        severity: Severity::Warning,
        title: "public key algorithm or curve is outside the policy",
        remediation: "Use RSA (at least 2048 bits), ECDSA P-256 or P-384, or Ed25519.",
        references: CRYPTO,
    },
    Rule {
        id: "CERT-SAN-MISSING",
        severity: Severity::Critical,
        title: "leaf certificate has no subject alternative name",
        remediation: "Reissue with the host names in the subjectAltName extension; clients ignore the subject CN (RFC 6125).",
        references: TRANSPORT,
    },
    Rule {
        id: "CERT-V1",
        severity: Severity::Warning,
        title: "certificate is X.509 version 1 (no extensions)",
        remediation: "Reissue as a version 3 certificate with basic constraints, key usage and subjectAltName.",
        references: TRANSPORT,
    },
    Rule {
        id: "KEY-MATERIAL-SUPPLIED",
        severity: Severity::Warning,
        title: "private key material was supplied",
        remediation: "Private keys need not and should not leave the machine that uses them; tlscope discarded it. Rotate the key if it was shared.",
        references: &["NIST 800-53 SC-12", "SOC 2 CC6.1"],
    },
    Rule {
        id: "CHAIN-ISSUER-NOT-FOUND",
        severity: Severity::Critical,
        title: "issuer certificate is missing from the chain",
        remediation: "Serve the full chain: configure the server with the leaf followed by every intermediate (e.g. nginx ssl_certificate with fullchain.pem).",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-UNTRUSTED-ROOT",
        severity: Severity::Critical,
        title: "chain ends at a root that is not trusted",
        remediation: "Have clients trust this root (distribute it as a trust anchor, or pass it with --roots), or get the certificate from a CA the clients already trust.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-SIGNATURE-INVALID",
        severity: Severity::Critical,
        title: "certificate signature does not verify",
        remediation: "The certificate was not signed by the issuer it names (wrong intermediate, re-keyed CA, or tampering): serve the right issuer or reissue.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-SIGNATURE-WEAK",
        severity: Severity::Critical,
        title: "certificate is signed with MD5 or SHA-1 and refused",
        remediation: "Reissue with a SHA-256 (or stronger) signature; MD5 and SHA-1 collisions are practical.",
        references: CRYPTO,
    },
    Rule {
        id: "CHAIN-SIGNATURE-UNSUPPORTED",
        severity: Severity::Critical,
        title: "signature algorithm or issuer key cannot be verified",
        remediation: "Use RSA PKCS#1 v1.5 or PSS with SHA-256/384/512, ECDSA on P-256/P-384/P-521, or Ed25519.",
        references: CRYPTO,
    },
    Rule {
        id: "CHAIN-KEY-REJECTED",
        severity: Severity::Critical,
        title: "a key in the chain is too weak or of a refused kind",
        remediation: "Reissue with RSA of at least 2048 bits (a multiple of 8), ECDSA on a named NIST curve, or Ed25519.",
        references: CRYPTO,
    },
    Rule {
        id: "CHAIN-NOT-A-CA",
        severity: Severity::Critical,
        title: "a certificate that signs others is not a valid CA",
        remediation: "Issuers need a critical basicConstraints with cA=TRUE; reissue the intermediate from a proper CA profile.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-PATH-LEN",
        severity: Severity::Critical,
        title: "the chain is longer than a CA allows",
        remediation: "Respect pathLenConstraint (or the verifier's depth limit): remove an intermediate level or reissue the CA with a larger path length.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-KEY-USAGE",
        severity: Severity::Critical,
        title: "key usage does not allow this use",
        remediation: "Reissue with keyUsage matching the role: keyCertSign (and cRLSign) for CAs only, digitalSignature for TLS leaves.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-EKU",
        severity: Severity::Critical,
        title: "extended key usage does not allow this purpose",
        remediation: "Reissue with extKeyUsage serverAuth for servers and clientAuth for mTLS clients; a CA's EKU must include the purposes it issues for.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-NAME-CONSTRAINTS",
        severity: Severity::Critical,
        title: "a name violates a CA's name constraints",
        remediation: "Issue only names inside the CA's permitted subtrees and outside its excluded ones, or use a CA whose constraints cover the name.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-CRITICAL-EXTENSION",
        severity: Severity::Critical,
        title: "certificate has a critical extension that is not understood",
        remediation: "RFC 5280 requires rejecting unknown critical extensions: reissue without it, or mark it non-critical if clients may ignore it.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-PROFILE",
        severity: Severity::Critical,
        title: "certificate violates the RFC 5280 / CA/B Forum profile",
        remediation: "Reissue the certificate with a conforming profile; the evidence names the clause it breaks.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-REVOKED",
        severity: Severity::Critical,
        title: "certificate has been revoked",
        remediation: "Replace the certificate now; its issuer has declared it must not be trusted.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-CRL-INVALID",
        severity: Severity::Critical,
        title: "a supplied CRL cannot be used",
        remediation: "Fetch a current CRL from the issuer's distribution point; a CRL must be signed by a key with cRLSign and carry a non-critical CRL number.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-TOO-COMPLEX",
        severity: Severity::Critical,
        title: "chain is too complex to validate safely",
        remediation: "The input exceeds path-building limits (a denial-of-service guard): serve a short, direct chain.",
        references: TRANSPORT,
    },
    Rule {
        id: "CERT-CN-NOT-IN-SAN",
        severity: Severity::Warning,
        title: "subject CN is not one of the subject alternative names",
        remediation: "Reissue with the CN equal to one SAN entry, or without a CN (CABF BR 7.1.4.3); clients match host names against the SAN only.",
        references: TRANSPORT,
    },
    Rule {
        id: "CSR-SIGNATURE-INVALID",
        severity: Severity::Critical,
        title: "certificate request is not signed by its own key",
        remediation: "Regenerate the CSR with the private key it names (openssl req -new -key KEY); a CA must refuse a request without proof of possession.",
        references: CRYPTO,
    },
    Rule {
        id: "CRL-STALE",
        severity: Severity::Warning,
        title: "certificate revocation list is past its nextUpdate",
        remediation: "Fetch the current CRL from the issuer's CRL distribution point; stale CRLs miss recent revocations.",
        references: TRANSPORT,
    },
    Rule {
        id: "HOST-MISMATCH",
        severity: Severity::Critical,
        title: "certificate is not valid for the host name",
        remediation: "Reissue with the host name (or IP address) in subjectAltName; clients ignore the subject CN.",
        references: TRANSPORT,
    },
];

/// The rule with `id`. Every id used in the code is in the table (a test checks it).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_shaped_alike() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for r in RULES {
            assert!(
                r.id.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
            assert!(
                r.title.chars().next().is_some_and(char::is_lowercase),
                "{}: titles are lowercase",
                r.id
            );
            assert!(
                !r.remediation.is_empty() && !r.references.is_empty(),
                "{}",
                r.id
            );
        }
    }
}
