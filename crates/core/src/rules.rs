//! The one rules table: every rule's stable id, severity, title, remediation and compliance
//! references. Findings name rules by id; tests name rules by id. No rule is defined twice.

use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
const TRANSPORT_MTLS: &[&str] = &[
    "NIST 800-53 SC-8",
    "FedRAMP (mTLS)",
    "PCI-DSS 4.1",
    "SOC 2 CC6.1",
    "ISO 27001 A.13.1",
];
const ROTATION: &[&str] = &[
    "NIST 800-53 SC-12",
    "FedRAMP (rotation < 90 d)",
    "SOC 2 CC6.1",
];

const CABF_LIFETIME: &[&str] = &[
    "CA/B Forum BR 6.3.2 (SC-081v3)",
    "NIST 800-53 SC-12",
    "SOC 2 CC6.1",
];
const PQC: &[&str] = &[
    "NIST FIPS 203 (ML-KEM)",
    "NSA CNSA 2.0",
    "draft-ietf-tls-ecdhe-mlkem",
];
const PUBLIC_CLIENT_AUTH: &[&str] = &[
    "Chrome Root Program Policy 1.6 (serverAuth-only hierarchies)",
    "NIST 800-53 IA-5(2)",
    "SOC 2 CC6.1",
];
const CT: &[&str] = &["RFC 6962", "Chrome CT policy", "CA/B Forum BR 7.1.2.11.1"];
const REVOCATION: &[&str] = &[
    "CA/B Forum BR 4.9, 7.1.2 (SC-063)",
    "RFC 7633",
    "NIST 800-53 SC-17",
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
        id: "CERT-LIFETIME-PUBLIC-MAX",
        severity: Severity::Warning,
        title: "leaf certificate is valid longer than the CA/Browser Forum allows for its issue date",
        remediation: "Publicly-trusted TLS certificates may be valid at most 398 days if issued before 2026-03-15, 200 days from then, 100 days from 2027-03-15 and 47 days from 2029-03-15; issue shorter certificates and automate renewal (ACME).",
        references: CABF_LIFETIME,
    },
    Rule {
        id: "ROTATION-EXCEEDS-PUBLIC-MAX",
        severity: Severity::Warning,
        title: "configured certificate duration will exceed the CA/Browser Forum maximum when it renews",
        remediation: "Shorten the duration (cert-manager `spec.duration`) below the maximum in force on the renewal date — 200 days from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15 — or the CA will refuse or shorten the renewal.",
        references: CABF_LIFETIME,
    },
    Rule {
        id: "CERT-MUST-STAPLE-NO-OCSP",
        severity: Severity::Critical,
        title: "Must-Staple certificate names no OCSP responder",
        remediation: "A client that honours Must-Staple (Firefox) refuses this certificate unless an OCSP response is stapled, and the server has no responder to fetch one from (Let's Encrypt turned its OCSP off on 2025-08-06). Reissue without the TLS Feature extension.",
        references: REVOCATION,
    },
    Rule {
        id: "CERT-NO-REVOCATION-INFO",
        severity: Severity::Info,
        title: "certificate can not be revoked: no CRL distribution point or OCSP responder",
        remediation: "Issue it with a CRL distribution point (the Baseline Requirements require one for publicly-trusted certificates longer than the short-lived threshold, 7 days from 2026-03-15), or keep its lifetime short-lived.",
        references: REVOCATION,
    },
    Rule {
        id: "MTLS-TRUSTS-PUBLIC-ROOTS",
        severity: Severity::Critical,
        title: "client certificates are verified against the public root bundle",
        remediation: "Verify clients against your own CA only (a file holding just it). With the public bundle any publicly-trusted CA's customer can present an accepted client certificate, and the root programs are ending public client authentication: Chrome requires serverAuth-only hierarchies (new intermediates from 2026-06-15) and Let's Encrypt no longer issues clientAuth certificates (default profile from 2026-02-11).",
        references: PUBLIC_CLIENT_AUTH,
    },
    Rule {
        id: "IPSEC-CIPHER-WEAK",
        severity: Severity::Critical,
        title: "IPsec proposal with a broken or absent cipher",
        remediation: "Use AES, preferably AES-GCM (`aes256gcm16`, `aes128gcm16`): NIST SP 800-77r1 removed DES and 3DES, Blowfish and CAST were never approved, and NULL or GMAC-only ESP leaves traffic unencrypted.",
        references: CRYPTO,
    },
    Rule {
        id: "IPSEC-INTEGRITY-WEAK",
        severity: Severity::Critical,
        title: "IPsec proposal with MD5 integrity or PRF",
        remediation: "Use SHA-2 (`sha256`, `sha384`) or an AEAD cipher; MD5 is disallowed for integrity by NIST SP 800-77r1.",
        references: CRYPTO,
    },
    Rule {
        id: "IPSEC-INTEGRITY-SHA1",
        severity: Severity::Warning,
        title: "IPsec proposal with SHA-1 integrity or PRF",
        remediation: "Move to SHA-2 (`sha256`, `sha384`) or an AEAD cipher: NIST SP 800-77r1 keeps HMAC-SHA-1 only for legacy peers, and CNSA does not allow it.",
        references: CRYPTO,
    },
    Rule {
        id: "IPSEC-DH-WEAK",
        severity: Severity::Critical,
        title: "IPsec Diffie-Hellman group below the policy's minimum",
        remediation: "Use MODP 3072 or more, or an elliptic curve (`ecp256`, `ecp384`, `curve25519`), optionally with ML-KEM (`ke1_mlkem768`); MODP 768, 1024 and 1536 are within reach of precomputation attacks (Logjam).",
        references: CRYPTO,
    },
    Rule {
        id: "IPSEC-NO-PFS",
        severity: Severity::Warning,
        title: "CHILD_SA proposal without perfect forward secrecy",
        remediation: "Add a DH group to the ESP proposal (`esp=aes256gcm16-ecp384`, swanctl `esp_proposals`), so a rekeyed CHILD_SA does not derive its keys from the IKE_SA's alone.",
        references: CRYPTO,
    },
    Rule {
        id: "IPSEC-IKEV1",
        severity: Severity::Warning,
        title: "IKEv1 in use",
        remediation: "Use IKEv2 (`keyexchange=ikev2`, swanctl `version = 2`): IKEv1 is deprecated (RFC 9395) and its aggressive mode with pre-shared keys exposes the key to offline guessing.",
        references: CRYPTO,
    },
    Rule {
        id: "IPSEC-LIFETIME-LONG",
        severity: Severity::Warning,
        title: "IPsec SA lifetime beyond the policy's maximum",
        remediation: "Rekey IKE_SAs within 24 hours and CHILD_SAs within 8 hours (NIST SP 800-77r1), or what the policy's [ipsec] section sets.",
        references: CRYPTO,
    },
    Rule {
        id: "MTLS-CLIENT-NOT-VERIFIED",
        severity: Severity::Critical,
        title: "client certificates are asked for but not verified",
        remediation: "Verify the client certificate against your client CA (Caddy `client_auth { mode require_and_verify; trusted_ca_cert_file ca.pem }`, nginx `ssl_verify_client on` with `ssl_client_certificate`). A certificate taken without verification proves nothing: anyone can make one with any name.",
        references: TRANSPORT_MTLS,
    },
    Rule {
        id: "MTLS-PUBLIC-CLIENT-CERT",
        severity: Severity::Warning,
        title: "client certificate chains to a public root",
        remediation: "Issue client certificates from a private CA you control. Public CAs are dropping clientAuth: Chrome's root program requires serverAuth-only hierarchies (new intermediates from 2026-06-15) and Let's Encrypt removed clientAuth from its default profile on 2026-02-11; renewals will come without it and mTLS will fail.",
        references: PUBLIC_CLIENT_AUTH,
    },
    Rule {
        id: "CERT-PUBLIC-CLIENT-AUTH",
        severity: Severity::Warning,
        title: "publicly-issued certificate relied on for client authentication",
        remediation: "Do not rely on clientAuth in a publicly-trusted certificate: Let's Encrypt stopped including it (default profile from 2026-02-11) and Chrome's root program requires serverAuth-only hierarchies (new intermediates from 2026-06-15), so the next renewal will not authenticate clients. Use a private CA for mTLS.",
        references: PUBLIC_CLIENT_AUTH,
    },
    Rule {
        id: "CT-SCT-INVALID",
        severity: Severity::Warning,
        title: "an embedded SCT does not verify against its log's key",
        remediation: "An SCT whose signature fails is no evidence of logging; Chrome ignores it and may then refuse the certificate. Reissue from the CA, and check the log list is current.",
        references: CT,
    },
    Rule {
        id: "CT-SCT-UNKNOWN-LOG",
        severity: Severity::Info,
        title: "an embedded SCT is from a log the log list does not name",
        remediation: "Give the current Chrome log list (`--ct-logs log_list.json` from https://www.gstatic.com/ct/log_list/v3/log_list.json); an SCT from an unknown or removed log does not count.",
        references: CT,
    },
    Rule {
        id: "CT-SCT-NOT-COUNTED",
        severity: Severity::Info,
        title: "an embedded SCT verifies but Chrome does not count it",
        remediation: "The log is pending or rejected, was retired before the SCT was made, or does not accept certificates expiring when this one does (a sharded log's temporal interval); make sure enough other SCTs count, or reissue.",
        references: CT,
    },
    Rule {
        id: "CT-TOO-FEW-SCTS",
        severity: Severity::Warning,
        title: "too few SCTs for Chrome's Certificate Transparency policy",
        remediation: "Chrome requires embedded SCTs from at least two logs, three for certificates valid more than 180 days; without them it refuses a publicly-trusted certificate. Reissue from a CA that logs to enough logs.",
        references: CT,
    },
    Rule {
        id: "CT-ONE-OPERATOR",
        severity: Severity::Warning,
        title: "every SCT comes from logs of one operator",
        remediation: "Chrome's CT policy requires SCTs from logs of at least two distinct operators; reissue from a CA that logs with several.",
        references: CT,
    },
    Rule {
        id: "TLS-CLIENT-VERIFY-OFF",
        severity: Severity::Critical,
        title: "a TLS client does not verify the server's certificate or name",
        remediation: "Remove the switch (`rejectUnauthorized: false`, `NODE_TLS_REJECT_UNAUTHORIZED=0`, `verify=False`, `CERT_NONE`, `check_hostname = False`, `InsecureSkipVerify: true`) and give the client the CA that issued the server's certificate (`ca:`, `cafile=`, `RootCAs`) instead.",
        references: TRANSPORT,
    },
    Rule {
        id: "TLS-GROUP-NOT-ALLOWED",
        severity: Severity::Warning,
        title: "the server accepts a key-exchange group the policy does not allow",
        remediation: "Restrict the groups (nginx `ssl_ecdh_curve`, OpenSSL `Groups`, Go `CurvePreferences`, rustls `kx_groups`) to the policy's list; under the fips profile that is P-256/P-384/P-521 and the ML-KEM groups, not X25519 alone.",
        references: CRYPTO,
    },
    Rule {
        id: "CONFIG-CIPHER-UNKNOWN",
        severity: Severity::Info,
        title: "a cipher string names something OpenSSL does not know",
        remediation: "OpenSSL ignores unknown names in a cipher string (and fails only when nothing matches), so the setting may not do what it says: check the spelling against `openssl ciphers -v 'STRING'`.",
        references: CRYPTO,
    },
    Rule {
        id: "DNS-CAA-FORBIDS-ISSUER",
        severity: Severity::Warning,
        title: "CAA does not allow the CA that issued the served certificate",
        remediation: "CAs check CAA at issuance (RFC 8659), so the next renewal from this CA will be refused: add `issue \"CA-DOMAIN\"` (or `issuewild`) for the CA you use, or move to a CA the record allows. Map an internal CA to its CAA domain under [dns.caa_issuers] in the policy.",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-TLSA-MISMATCH",
        severity: Severity::Critical,
        title: "no TLSA record matches the certificate chain the server serves",
        remediation: "DANE clients (SMTP MTAs, validating browsers) refuse the connection. Publish a TLSA record for the served key (`3 1 1 <SHA-256 of its SubjectPublicKeyInfo>`) or the issuing CA (`2 1 1`), and remove stale ones after the TTL.",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-TLSA-NOT-VALIDATED",
        severity: Severity::Warning,
        title: "TLSA records are published without DNSSEC validation",
        remediation: "RFC 6698 §4.1: TLSA records are usable only when DNSSEC-validated, so they protect nothing here. Sign the zone and publish its DS at the parent, or remove the records.",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-TLSA-ROLLOVER",
        severity: Severity::Warning,
        title: "TLSA pins only the current end-entity key or certificate; the next rotation breaks DANE",
        remediation: "RFC 7671 §8.1: publish the next key's `3 1 1` record at least one TTL before rotating (keep both until the old certificate is gone), reuse the key across renewals, or pin the issuing CA with `2 1 1`.",
        references: ROTATION,
    },
    Rule {
        id: "DNS-ECH-UNDECODABLE",
        severity: Severity::Warning,
        title: "the HTTPS record's ECH configuration cannot be used",
        remediation: "Clients that cannot read the ECHConfigList connect without ECH and send the real server name in the clear. Republish the `ech` parameter from the server's current ECH keys (RFC 9849 version 0xfe0d).",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-ECH-REJECTED",
        severity: Severity::Warning,
        title: "the server rejects the ECH configuration its HTTPS record publishes",
        remediation: "Clients offering ECH fall back to the outer ClientHello (and the server's retry configs), costing a round trip or leaking the name: publish the ECH keys the server (or its front end) actually holds, or remove the `ech` parameter.",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-ECH-PUBLIC-NAME-CERT",
        severity: Severity::Warning,
        title: "the certificate for the ECH public name is not valid",
        remediation: "RFC 9849 §6.1.6: a client that is rejected authenticates the outer handshake against the public name before it uses retry configs. Serve a certificate valid for the ECHConfig's public_name on the client-facing server.",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-HTTPS-ALPN-MISMATCH",
        severity: Severity::Warning,
        title: "the HTTPS record advertises a protocol the server does not speak",
        remediation: "Clients trust the HTTPS record's alpn list (RFC 9460 §7.1) and fail or fall back when the server refuses it: make the record list what the server negotiates, or enable that protocol on the server.",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-DNSSEC-BOGUS",
        severity: Severity::Critical,
        title: "a DNS answer is signed but does not validate",
        remediation: "Validating resolvers return SERVFAIL for the name, so clients behind them cannot reach it: re-sign the zone (expired RRSIGs, a DS for a removed key) and check it with a DNSSEC analyser.",
        references: TRANSPORT,
    },
    Rule {
        id: "DNS-RECORD-UNDECODABLE",
        severity: Severity::Warning,
        title: "a CAA, TLSA or HTTPS record cannot be decoded",
        remediation: "Clients and CAs ignore (or fail on) records they cannot read: fix the record's syntax in the zone.",
        references: TRANSPORT,
    },
    Rule {
        id: "CHAIN-ANCHOR-DISTRUSTED",
        severity: Severity::Critical,
        title: "the root is distrusted for certificates issued after a date, and this one was",
        remediation: "The root program stopped trusting new certificates from this root (Mozilla's server-distrust-after); reissue from a CA under a root that is still trusted.",
        references: TRANSPORT,
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
        remediation: "Reissue with RSA of at least 2048 bits (a multiple of 8), ECDSA on a named NIST curve, Ed25519, or ML-DSA / SLH-DSA (FIPS 204/205).",
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
        id: "CHAIN-CA-AS-LEAF",
        severity: Severity::Critical,
        title: "a CA certificate is used as the end entity",
        remediation: "Serve a subscriber certificate (basicConstraints cA=FALSE, no keyCertSign) issued by this CA; a CA certificate itself is a trust anchor or an intermediate, not a server or client identity.",
        references: TRANSPORT,
    },
    Rule {
        id: "CERT-TRUST-ANCHOR",
        severity: Severity::Info,
        title: "the certificate is itself a trust anchor",
        remediation: "Nothing to fix: a trust anchor is trusted by configuration. It is judged as a CA (validity, key, constraints), not as a server certificate.",
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
        id: "LINK-TLS-UNAVAILABLE",
        severity: Severity::Critical,
        title: "client requires TLS that the server it names does not offer",
        remediation: "Turn TLS on at the server (`ssl = on`, `tls-port`, `listen … ssl`) or point the client at the TLS listener; the connection fails as configured.",
        references: TRANSPORT,
    },
    Rule {
        id: "LINK-VERSION-NONE",
        severity: Severity::Critical,
        title: "client and server have no TLS version in common",
        remediation: "Align the client's version range and the server's (`ssl_min_protocol_version`, `ssl_protocols`, `tls_version`); the handshake fails as configured.",
        references: TRANSPORT,
    },
    Rule {
        id: "LINK-SERVER-WEAKER",
        severity: Severity::Warning,
        title: "server allows versions below what its clients require",
        remediation: "Raise the server's minimum version to the clients' minimum, so no other client and no downgraded connection gets less.",
        references: TRANSPORT,
    },
    Rule {
        id: "LINK-CLIENT-CERT-MISSING",
        severity: Severity::Critical,
        title: "server requires a client certificate the client does not send",
        remediation: "Give the client a certificate from the server's client CA (`sslcert`, `ssl_certfile`, `tls.cert`), or stop requiring one where clients are not services.",
        references: TRANSPORT_MTLS,
    },
    Rule {
        id: "LINK-CA-MISMATCH",
        severity: Severity::Critical,
        title: "server's certificate does not chain to the CA file its client trusts",
        remediation: "Issue the server's certificate from the CA in the client's CA file, or give the client the CA that issued it; verification fails as configured.",
        references: TRANSPORT,
    },
    Rule {
        id: "LINK-NAME-MISMATCH",
        severity: Severity::Critical,
        title: "server's certificate does not name the host its client connects to",
        remediation: "Add the host the client uses to the certificate's subjectAltName, or connect by a name it has.",
        references: TRANSPORT,
    },
    Rule {
        id: "LINK-CONFIG-DRIFT",
        severity: Severity::Warning,
        title: "what the host serves differs from its configuration in the repository",
        remediation: "Deploy the configuration (or correct it to what runs): a review of the repository's file no longer describes the server.",
        references: TRANSPORT,
    },
    Rule {
        id: "HOST-MISMATCH",
        severity: Severity::Critical,
        title: "certificate is not valid for the host name",
        remediation: "Reissue with the host name (or IP address) in subjectAltName; clients ignore the subject CN.",
        references: TRANSPORT,
    },
    Rule {
        id: "TLS-VERSION-MIN",
        severity: Severity::Critical,
        title: "protocol version below the policy's minimum",
        remediation: "Disable the old versions (nginx `ssl_protocols TLSv1.3;`, PostgreSQL `ssl_min_protocol_version = 'TLSv1.3'`); TLS 1.0 and 1.1 are deprecated by RFC 8996.",
        references: TRANSPORT,
    },
    Rule {
        id: "TLS-SUITE-NOT-ALLOWED",
        severity: Severity::Critical,
        title: "cipher suite outside the policy's allow-list",
        remediation: "Limit TLS 1.3 to TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256 and TLS_CHACHA20_POLY1305_SHA256 (or the policy's `tls.suites`), and TLS 1.2 to the policy's `tls.tls12_suites` where it has them (the fips profile: the ECDHE AES-GCM suites, no ChaCha20).",
        references: CRYPTO,
    },
    Rule {
        id: "TLS-NO-EMS",
        severity: Severity::Warning,
        title: "TLS 1.2 without the extended master secret",
        remediation: "Enable the extended master secret (RFC 7627) for TLS 1.0–1.2: OpenSSL and rustls offer it unless turned off (`Options -ExtendedMasterSecret`, `ssl_conf_command`); without it a TLS 1.2 session is open to the triple-handshake attack, and FIPS 140-3 (IG D.Q, SP 800-52r2) does not allow it. Or allow TLS 1.3 only.",
        references: CRYPTO,
    },
    Rule {
        id: "TLS-NOT-FIPS",
        severity: Severity::Critical,
        title: "a handshake was not made by a FIPS module in FIPS mode",
        remediation: "Under the fips profile run the agent built with `--features fips` (aws-lc-rs's FIPS module) and with the profile's suites and groups: `tlscope coordinator` prints `fips: yes` when every handshake it makes is FIPS-approved, and `/metrics` has `tlscope_fips_mode 1`.",
        references: CRYPTO,
    },
    Rule {
        id: "TLS-SUITE-WEAK",
        severity: Severity::Critical,
        title: "a broken cipher suite is enabled",
        remediation: "Remove NULL, export, RC4, DES/3DES, MD5 and anonymous suites (e.g. nginx `ssl_ciphers` ending in `!aNULL:!eNULL:!EXPORT:!RC4:!3DES:!MD5`).",
        references: CRYPTO,
    },
    Rule {
        id: "TLS-SUITE-CBC",
        severity: Severity::Warning,
        title: "a CBC (non-AEAD) cipher suite is enabled",
        remediation: "Prefer AEAD suites only (AES-GCM, ChaCha20-Poly1305); CBC suites have a history of padding-oracle attacks (Lucky13, POODLE).",
        references: CRYPTO,
    },
    Rule {
        id: "TLS-NO-POST-QUANTUM",
        severity: Severity::Info,
        title: "no post-quantum key exchange",
        remediation: "Offer a hybrid ML-KEM group (X25519MLKEM768, code point 0x11EC: OpenSSL 3.5+, BoringSSL, rustls, Go 1.24+) so recorded traffic can not be decrypted later by a quantum computer. The policy's `tls.post_quantum_missing` sets the severity.",
        references: PQC,
    },
    Rule {
        id: "TLS-NO-FORWARD-SECRECY",
        severity: Severity::Critical,
        title: "key exchange without forward secrecy",
        remediation: "Use only ECDHE/DHE suites in TLS 1.2 (TLS 1.3 always has forward secrecy); a leaked server key must not decrypt recorded traffic.",
        references: CRYPTO,
    },
    Rule {
        id: "TLS-MTLS-NO-CLIENT-CERT",
        severity: Severity::Critical,
        title: "mTLS segment accepted a connection without a client certificate",
        remediation: "Require client certificates chaining to the tenant CA (rustls `WebPkiClientVerifier`, nginx `ssl_verify_client on`).",
        references: TRANSPORT_MTLS,
    },
    Rule {
        id: "PIN-MISMATCH",
        severity: Severity::Critical,
        title: "presented chain matches none of the host's pins",
        remediation: "Check whether the key was rotated: add the new SPKI pin to the policy before deploying a new key, or investigate interception.",
        references: TRANSPORT,
    },
    Rule {
        id: "WEB-HSTS-MISSING",
        severity: Severity::Warning,
        title: "no Strict-Transport-Security header",
        remediation: "Add `add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains; preload\" always;`.",
        references: TRANSPORT,
    },
    Rule {
        id: "WEB-HSTS-WEAK",
        severity: Severity::Warning,
        title: "Strict-Transport-Security weaker than the policy",
        remediation: "Use max-age of at least one year with includeSubDomains and preload, as the policy requires.",
        references: TRANSPORT,
    },
    Rule {
        id: "WEB-OCSP-STAPLING-OFF",
        severity: Severity::Warning,
        title: "OCSP stapling is off",
        remediation: "Turn it on (nginx `ssl_stapling on; ssl_stapling_verify on;` with a resolver) so clients get revocation status without asking the CA. Probes judge it only when the certificate names an OCSP responder: CAs without OCSP (Let's Encrypt since 2025-08-06) leave nothing to staple.",
        references: TRANSPORT,
    },
    Rule {
        id: "WEB-SESSION-TICKETS-ON",
        severity: Severity::Warning,
        title: "TLS session tickets are on",
        remediation: "Set `ssl_session_tickets off;`: ticket keys that are not rotated break forward secrecy for resumed sessions.",
        references: CRYPTO,
    },
    Rule {
        id: "WEB-PROXY-VERIFY-OFF",
        severity: Severity::Critical,
        title: "proxied TLS connections do not verify the upstream certificate",
        remediation: "Set `proxy_ssl_verify on;` with `proxy_ssl_trusted_certificate` and `proxy_ssl_name`.",
        references: TRANSPORT,
    },
    Rule {
        id: "CONFIG-INCLUDE-NOT-FOLLOWED",
        severity: Severity::Info,
        title: "an included file was not read",
        remediation: "Lint the included files too (pass them or their directory to `tlscope lint`).",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-PG-SSL-OFF",
        severity: Severity::Critical,
        title: "PostgreSQL server does not enable TLS",
        remediation: "Set `ssl = on` with `ssl_cert_file` and `ssl_key_file` in postgresql.conf.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-PG-HBA-HOST",
        severity: Severity::Critical,
        title: "pg_hba.conf accepts network connections without TLS",
        remediation: "Use `hostssl` instead of `host` (and never `hostnossl`) for network entries.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-PG-SSLMODE",
        severity: Severity::Critical,
        title: "PostgreSQL client does not verify the server",
        remediation: "Use `sslmode=verify-full` with `sslrootcert` (libpq's default `prefer` silently falls back to plaintext).",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-PG-SSLMODE-VERIFY-CA",
        severity: Severity::Warning,
        title: "PostgreSQL client verifies the CA but not the host name",
        remediation: "Use `sslmode=verify-full` so the server's name is checked too.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-PG-CHANNEL-BINDING",
        severity: Severity::Warning,
        title: "SCRAM channel binding is disabled",
        remediation: "Use `channel_binding=require` (or leave the default `prefer`) so the password exchange is bound to the TLS channel.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-MYSQL-INSECURE-TRANSPORT",
        severity: Severity::Critical,
        title: "server accepts unencrypted MySQL/MariaDB connections",
        remediation: "Set `require_secure_transport = ON` in the [mysqld] section.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-MYSQL-SSL-MODE",
        severity: Severity::Critical,
        title: "MySQL client does not verify the server",
        remediation: "Use `ssl-mode=VERIFY_IDENTITY` (Connector/J `sslMode=VERIFY_IDENTITY`) with `ssl-ca`.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-MYSQL-SSL-MODE-VERIFY-CA",
        severity: Severity::Warning,
        title: "MySQL client verifies the CA but not the host name",
        remediation: "Use `ssl-mode=VERIFY_IDENTITY`.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-MSSQL-ENCRYPT",
        severity: Severity::Critical,
        title: "SQL Server connection is not encrypted",
        remediation: "Set `Encrypt=yes` (or `strict` with TDS 8); older drivers default to no encryption.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-MSSQL-TRUST-SERVER-CERTIFICATE",
        severity: Severity::Critical,
        title: "SQL Server client trusts any server certificate",
        remediation: "Set `TrustServerCertificate=no` and install the server's CA in the client's trust store.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-MONGO-TLS",
        severity: Severity::Critical,
        title: "MongoDB connection does not use TLS",
        remediation: "Add `tls=true` and `tlsCAFile=...` to the URI (mongodb+srv:// turns TLS on by default).",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-MONGO-TLS-INSECURE",
        severity: Severity::Critical,
        title: "MongoDB client skips certificate or host-name checks",
        remediation: "Remove tlsInsecure, tlsAllowInvalidCertificates and tlsAllowInvalidHostnames.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-REDIS-TLS",
        severity: Severity::Critical,
        title: "Redis connection does not use TLS",
        remediation: "Use a `rediss://` URL against the server's tls-port.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-REDIS-TLS-NO-VERIFY",
        severity: Severity::Critical,
        title: "Redis client does not verify the server certificate",
        remediation: "Remove `ssl_cert_reqs=none` (or `insecure`/`verify=false` options) and trust the server's CA.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-REDIS-PLAINTEXT-PORT",
        severity: Severity::Critical,
        title: "Redis server still listens without TLS",
        remediation: "Set `port 0` and serve on `tls-port` only.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-REDIS-TLS-AUTH-CLIENTS",
        severity: Severity::Warning,
        title: "Redis server does not require client certificates",
        remediation: "Set `tls-auth-clients yes` where clients are services with certificates from the tenant CA.",
        references: TRANSPORT_MTLS,
    },
    Rule {
        id: "DB-KAFKA-PLAINTEXT",
        severity: Severity::Critical,
        title: "Kafka client connects without TLS",
        remediation: "Set `security.protocol=SSL` (or `SASL_SSL`).",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-KAFKA-HOSTNAME-VERIFICATION",
        severity: Severity::Critical,
        title: "Kafka client does not verify the broker's host name",
        remediation: "Leave `ssl.endpoint.identification.algorithm=https` (the default since Kafka 2.0); an empty value turns the check off.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-SNOWFLAKE-OCSP-OFF",
        severity: Severity::Warning,
        title: "Snowflake driver does not check certificate revocation",
        remediation: "Remove `insecureMode`/`disableOCSPChecks` (Python: `insecure_mode`); the drivers check OCSP by default.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-SNOWFLAKE-OCSP-FAIL-OPEN",
        severity: Severity::Info,
        title: "Snowflake driver fails open when revocation status is unknown",
        remediation: "Set `ocspFailOpen=false` (Python: `ocsp_fail_open=False`) where an outage of the OCSP responders may block connections rather than let an unchecked certificate through.",
        references: TRANSPORT,
    },
    Rule {
        id: "DB-BIGQUERY-PLAINTEXT",
        severity: Severity::Critical,
        title: "BigQuery endpoint is plain HTTP",
        remediation: "Use the `https://` API endpoint (`https://www.googleapis.com/bigquery/v2:443`, or your private endpoint over HTTPS).",
        references: TRANSPORT,
    },
    Rule {
        id: "SECRET-PASSWORD-IN-STRING",
        severity: Severity::Warning,
        title: "a password is embedded in the connection string",
        remediation: "Move it to a secret store, a password file (~/.pgpass, ~/.my.cnf with mode 0600) or an environment variable; tlscope masks it in every output.",
        references: TRANSPORT,
    },
    Rule {
        id: "MESH-PEER-AUTH-NOT-STRICT",
        severity: Severity::Critical,
        title: "Istio PeerAuthentication allows plaintext",
        remediation: "Set `spec.mtls.mode: STRICT`.",
        references: TRANSPORT_MTLS,
    },
    Rule {
        id: "MESH-DESTINATION-RULE-TLS",
        severity: Severity::Critical,
        title: "Istio DestinationRule does not use mutual TLS",
        remediation: "Set `spec.trafficPolicy.tls.mode: ISTIO_MUTUAL` (or `MUTUAL` with client certificates).",
        references: TRANSPORT_MTLS,
    },
    Rule {
        id: "CERTMANAGER-RENEW-BEFORE",
        severity: Severity::Warning,
        title: "cert-manager renews later than the policy's grace window",
        remediation: "Set `renewBefore` to at least the policy's grace (e.g. `336h` for 14 days, `720h` for the cert-manager profile).",
        references: ROTATION,
    },
    Rule {
        id: "CERTMANAGER-SKIP-TLS-VERIFY",
        severity: Severity::Critical,
        title: "cert-manager issuer skips TLS verification of its CA server",
        remediation: "Remove `skipTLSVerify: true` and give the issuer the server's CA (`caBundle`).",
        references: TRANSPORT,
    },
    Rule {
        id: "ROTATION-RENEW-DUE",
        severity: Severity::Warning,
        title: "certificate is due for renewal",
        remediation: "Renew now: it has entered its renewal window; the agent renews certificates it owns automatically.",
        references: ROTATION,
    },
    Rule {
        id: "ROTATION-IN-GRACE",
        severity: Severity::Warning,
        title: "certificate has been replaced and is in its grace period",
        remediation: "Make sure every peer has the new certificate before the grace period ends; the old one is revoked then.",
        references: ROTATION,
    },
    Rule {
        id: "ROTATION-OVERDUE",
        severity: Severity::Critical,
        title: "certificate is past its renewal window and still in use",
        remediation: "Renew immediately and find out why automatic renewal did not run.",
        references: ROTATION,
    },
];

/// The rule with `id`. Every id used in the code is in the table (a test checks it).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Every rule's id, in the table's order, made from [`RULES`] while compiling. A [`RuleId`] is
/// an index into it, so a binary that names rules without showing them (the dashboard's page,
/// which reads findings with their texts from its worker) carries the ids, not the table's
/// titles and remediations.
const IDS: [&str; RULES.len()] = {
    let mut ids = [""; RULES.len()];
    let mut i = 0;
    while i < RULES.len() {
        ids[i] = RULES[i].id;
        i += 1;
    }
    ids
};

/// A rule id that is in the table: made by [`rule!`](crate::rule), which checks the id while
/// compiling (a typo is a build error, not an "unknown rule" finding at run time), or by
/// [`RuleId::of`] for an id read at run time.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleId(u16);

impl std::fmt::Debug for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RuleId").field(&self.as_str()).finish()
    }
}

/// A finding's rule (`&'static str`) compares with the id it was made from.
impl PartialEq<RuleId> for &str {
    fn eq(&self, other: &RuleId) -> bool {
        *self == other.as_str()
    }
}

impl RuleId {
    /// The id of rule `id`, when the table has it, in a const context: [`rule!`](crate::rule)
    /// evaluates it while compiling and refuses to build when it is `None`. Never panics.
    #[doc(hidden)]
    pub const fn lookup(id: &str) -> Option<Self> {
        let mut i = 0;
        // The table has a few hundred rules at most: an index always fits.
        while i < IDS.len() && i <= u16::MAX as usize {
            if const_eq(IDS[i], id) {
                return Some(Self(i as u16));
            }
            i += 1;
        }
        None
    }

    /// The id of rule `id`, when the table has it (ids read back from JSON).
    pub fn of(id: &str) -> Option<Self> {
        IDS.iter()
            .position(|known| *known == id)
            .and_then(|i| u16::try_from(i).ok())
            .map(Self)
    }

    /// The rule, with its texts.
    pub const fn rule(self) -> &'static Rule {
        &RULES[self.0 as usize]
    }

    /// The id as text.
    pub const fn as_str(self) -> &'static str {
        IDS[self.0 as usize]
    }
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A [`RuleId`] checked against the rules table while compiling:
///
/// ```
/// let id = tlscope_core::rule!("CERT-EXPIRED");
/// assert_eq!(id.rule().severity, tlscope_core::Severity::Critical);
/// ```
///
/// A misspelt id does not build:
///
/// ```compile_fail
/// let id = tlscope_core::rule!("NO-SUCH-RULE");
/// ```
#[macro_export]
macro_rules! rule {
    ($id:literal) => {{
        // A const item: an id missing from the table is a build error here, never a run-time
        // failure.
        const ID: $crate::rules::RuleId = match $crate::rules::RuleId::lookup($id) {
            Some(id) => id,
            None => panic!(concat!("rule id ", $id, " is not in the rules table")),
        };
        ID
    }};
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
            // Lowercase, except where the title opens with a product or protocol name.
            let first = r.title.split_whitespace().next().unwrap_or_default();
            let name = first.chars().skip(1).any(|c| c.is_ascii_uppercase())
                || ["Redis", "Kafka", "Istio", "Snowflake"].contains(&first);
            assert!(
                name || r.title.chars().next().is_some_and(char::is_lowercase),
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
