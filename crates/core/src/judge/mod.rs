//! Judging observations against a policy, each a pure function of (observation, policy, `now`):
//! decoded certificates here (expiry bands, lifetime, key and signature hygiene, SAN presence,
//! and the chain), connection strings in [`connection`](mod@connection), handshake records in
//! [`handshake`](mod@handshake), endpoint probes in [`probe`](mod@probe), pins in [`pin`], HSTS
//! values in [`web`].

pub mod connection;
pub mod dns;
pub mod handshake;
pub mod probe;
pub mod transparency;
pub mod web;

pub use connection::connection;
pub use handshake::handshake;
pub use probe::probe;

use serde::{Deserialize, Serialize};

use crate::certificate::{Certificate, ValidityStatus};
use crate::chain::{self, ChainReport, PeerName, Purpose, TrustAnchor};
use crate::decode::{Decoded, Item};
use crate::policy::{Alerts, Policy};
use crate::report::{Finding, Location};
use crate::rules::RuleId;
use crate::timestamp::Timestamp;

/// Where a certificate stands against the policy's expiry alert bands at a moment: the one
/// judgement behind the CERT-EXPIRY-* findings and every badge that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpiryBand {
    /// Past notAfter.
    Expired,
    /// Before notBefore.
    NotYetValid,
    /// Valid, with at most the policy's critical number of days left.
    Critical,
    /// Valid, with at most the policy's warning number of days left.
    Warning,
    /// Valid, outside both bands.
    Ok,
}

impl ExpiryBand {
    /// The band of `c` under the policy's `alerts` at `now`: days before notAfter, or for a
    /// short certificate a share of its lifetime (see [`crate::lifetime`]).
    pub fn of(c: &Certificate, alerts: &Alerts, now: Timestamp) -> Self {
        let left = c.validity.not_after.unix().saturating_sub(now.unix());
        let lifetime = crate::lifetime::validity_seconds(&c.validity);
        match c.validity.status(now) {
            ValidityStatus::Expired => Self::Expired,
            ValidityStatus::NotYetValid => Self::NotYetValid,
            ValidityStatus::Valid if crate::lifetime::critical(alerts).holds(left, lifetime) => {
                Self::Critical
            }
            ValidityStatus::Valid if crate::lifetime::warning(alerts).holds(left, lifetime) => {
                Self::Warning
            }
            ValidityStatus::Valid => Self::Ok,
        }
    }

    /// The severity a badge for this band shows (`None`: nothing to flag).
    pub fn severity(self) -> Option<crate::rules::Severity> {
        use crate::rules::Severity;
        match self {
            Self::Expired | Self::NotYetValid | Self::Critical => Some(Severity::Critical),
            Self::Warning => Some(Severity::Warning),
            Self::Ok => None,
        }
    }
}

/// Every finding for one certificate, the `index`-th of its input.
pub fn certificate(c: &Certificate, index: usize, policy: &Policy, now: Timestamp) -> Vec<Finding> {
    let at = || Location::Certificate {
        index,
        name: c.display_name(),
    };
    let mut out = Vec::new();
    let days = c.validity.days_left(now);
    let lifetime = crate::lifetime::validity_seconds(&c.validity);
    match ExpiryBand::of(c, &policy.alerts, now) {
        ExpiryBand::Expired => out.push(Finding::new(
            crate::rule!("CERT-EXPIRED"),
            format!(
                "notAfter {} is {} days before {now}",
                c.validity.not_after, -days
            ),
            at(),
        )),
        ExpiryBand::NotYetValid => out.push(Finding::new(
            crate::rule!("CERT-NOT-YET-VALID"),
            format!("notBefore {} is after {now}", c.validity.not_before),
            at(),
        )),
        ExpiryBand::Critical => out.push(Finding::new(
            crate::rule!("CERT-EXPIRY-CRITICAL"),
            format!(
                "{} left (critical at {}); notAfter {}",
                left_text(c, now),
                crate::lifetime::critical(&policy.alerts).describe(lifetime),
                c.validity.not_after
            ),
            at(),
        )),
        ExpiryBand::Warning => out.push(Finding::new(
            crate::rule!("CERT-EXPIRY-WARNING"),
            format!(
                "{} left (warning at {}); notAfter {}",
                left_text(c, now),
                crate::lifetime::warning(&policy.alerts).describe(lifetime),
                c.validity.not_after
            ),
            at(),
        )),
        ExpiryBand::Ok => {}
    }
    if !c.is_ca && c.validity.lifetime_days() > policy.rotation.leaf_days {
        out.push(Finding::new(
            crate::rule!("CERT-LIFETIME-LONG"),
            format!(
                "lifetime {} days; the policy rotates leaf certificates every {} days",
                c.validity.lifetime_days(),
                policy.rotation.leaf_days
            ),
            at(),
        ));
    }
    if !c.is_ca
        && policy.rotation.cabf_maximum
        && crate::lifetime::exceeds_cabf_maximum(&c.validity)
    {
        out.push(Finding::new(
            crate::rule!("CERT-LIFETIME-PUBLIC-MAX"),
            format!(
                "valid {} from {}; publicly-trusted certificates issued then may be valid at most {} days (CA/Browser Forum SC-081)",
                crate::lifetime::duration_text(lifetime),
                c.validity.not_before,
                crate::lifetime::cabf_maximum_days(c.validity.not_before)
            ),
            at(),
        ));
    }
    out.extend(revocation_findings(c, policy, &at));
    if !c.is_ca && c.has_cabf_policy() && c.has_purpose("clientAuth") {
        out.push(Finding::new(
            crate::rule!("CERT-PUBLIC-CLIENT-AUTH"),
            "a publicly-trusted certificate (CA/Browser Forum policy OID) with the clientAuth extended key usage: public CAs are removing it".into(),
            at(),
        ));
    }
    let sig = c.signature_algorithm.to_ascii_lowercase();
    if sig.contains("md5") || sig.contains("sha1") {
        out.push(Finding::new(
            crate::rule!("CERT-SIG-WEAK-HASH"),
            format!("signature algorithm {}", c.signature_algorithm),
            at(),
        ));
    }
    let key = &c.public_key;
    match key.algorithm.as_str() {
        "RSA" if key.bits < policy.keys.rsa_min_bits => out.push(Finding::new(
            crate::rule!("CERT-KEY-WEAK"),
            format!(
                "RSA {} bits; the policy requires at least {}",
                key.bits, policy.keys.rsa_min_bits
            ),
            at(),
        )),
        "RSA" => {}
        "EC" => {
            let curve = key.curve.clone().unwrap_or_else(|| "unnamed curve".into());
            if !policy.keys.ec_curves.contains(&curve) {
                out.push(Finding::new(
                    crate::rule!("CERT-KEY-UNAPPROVED"),
                    format!(
                        "EC key on {curve}; the policy allows {}",
                        policy.keys.ec_curves.join(", ")
                    ),
                    at(),
                ));
            }
        }
        "Ed25519" if policy.keys.ed25519 => {}
        name if policy.keys.post_quantum && crate::post_quantum::is_name(name) => {}
        "DSA" => out.push(Finding::new(
            crate::rule!("CERT-KEY-WEAK"),
            format!("DSA {} bits", key.bits),
            at(),
        )),
        other => out.push(Finding::new(
            crate::rule!("CERT-KEY-UNAPPROVED"),
            format!("{other} key"),
            at(),
        )),
    }
    if c.version < 3 {
        out.push(Finding::new(
            crate::rule!("CERT-V1"),
            format!("X.509 version {}", c.version),
            at(),
        ));
    }
    if !c.is_ca && c.subject_alt_names.is_empty() {
        let cn = c
            .subject
            .common_name()
            .map(|cn| format!(" (subject CN is {cn:?})"))
            .unwrap_or_default();
        out.push(Finding::new(
            crate::rule!("CERT-SAN-MISSING"),
            format!("no subjectAltName extension{cn}"),
            at(),
        ));
    }
    out
}

/// Time left in words: whole days, or hours when less than two days are left.
fn left_text(c: &Certificate, now: Timestamp) -> String {
    let left = c.validity.not_after.unix().saturating_sub(now.unix());
    if left < 2 * Timestamp::DAY {
        format!("{} hours", left / 3600)
    } else {
        format!("{} days", left.div_euclid(Timestamp::DAY))
    }
}

/// Revocation as it is now: a Must-Staple certificate needs an OCSP responder to staple from,
/// and a publicly-trusted certificate (one carrying a CA/Browser Forum policy OID, or any under
/// the public-web profile) longer than the short-lived threshold needs a CRL or OCSP to be
/// revocable. A private CA may distribute revocation out of band, as tlscope's coordinator does.
fn revocation_findings(
    c: &Certificate,
    policy: &Policy,
    at: &dyn Fn() -> Location,
) -> Vec<Finding> {
    let r = &c.revocation;
    let mut out = Vec::new();
    if r.must_staple && r.ocsp.is_empty() {
        out.push(Finding::new(
            crate::rule!("CERT-MUST-STAPLE-NO-OCSP"),
            "the TLS Feature extension requires a stapled OCSP response (status_request), but the certificate names no OCSP responder to get one from".into(),
            at(),
        ));
    }
    let public = policy.rotation.cabf_maximum || c.has_cabf_policy();
    if public
        && !c.self_issued
        && r.ocsp.is_empty()
        && r.crl.is_empty()
        && !crate::lifetime::is_short_lived(&policy.revocation, &c.validity)
    {
        out.push(Finding::new(
            crate::rule!("CERT-NO-REVOCATION-INFO"),
            format!(
                "neither a CRL distribution point nor an OCSP responder, and valid {} (short-lived is ≤ {} days)",
                crate::lifetime::duration_text(crate::lifetime::validity_seconds(&c.validity)),
                policy.revocation.short_lived_days
            ),
            at(),
        ));
    }
    out
}

/// Every finding for everything one input held.
pub fn decoded(d: &Decoded, policy: &Policy, now: Timestamp) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut index = 0;
    for item in &d.items {
        match item {
            Item::Certificate { certificate: c, .. } => {
                out.extend(certificate(c, index, policy, now));
                index += 1;
            }
            Item::PrivateKey {
                source,
                format,
                algorithm,
                bits,
                ..
            } => {
                let kind = match (algorithm, bits) {
                    (Some(a), Some(b)) => format!("{a} {b}-bit "),
                    (Some(a), None) => format!("{a} "),
                    _ => String::new(),
                };
                out.push(Finding::new(
                    crate::rule!("KEY-MATERIAL-SUPPLIED"),
                    format!("{kind}{format} private key; its contents were discarded"),
                    Location::Line {
                        line: source.line.unwrap_or(1),
                    },
                ));
            }
            Item::Request { source, request } => {
                if let Some(problem) = &request.signature_problem {
                    out.push(Finding::new(
                        crate::rule!("CSR-SIGNATURE-INVALID"),
                        format!("the request is not signed by its own key: {problem}"),
                        Location::Line {
                            line: source.line.unwrap_or(1),
                        },
                    ));
                }
            }
            Item::RevocationList { source, crl } => {
                if let Some(next) = crl.next_update.filter(|n| *n < now) {
                    out.push(Finding::new(
                        crate::rule!("CRL-STALE"),
                        format!(
                            "nextUpdate {next} has passed; a newer CRL from {} exists",
                            crl.issuer.rfc4514
                        ),
                        Location::Line {
                            line: source.line.unwrap_or(1),
                        },
                    ));
                }
            }
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

/// What to validate a decoded input's chain for.
#[derive(Debug, Clone, Default)]
pub struct ChainRequest {
    /// Trust anchors (user roots, a tenant CA, or [`TrustAnchor::mozilla`]).
    pub anchors: Vec<TrustAnchor>,
    /// What the leaf is for.
    pub purpose: Purpose,
    /// The names the leaf must be valid for (host names, IP addresses, e-mail addresses);
    /// empty: no name check.
    pub peer_names: Vec<PeerName>,
    /// At most this many intermediates between the leaf and the anchor.
    pub max_intermediates: Option<usize>,
    /// Key usages the leaf must allow (`digitalSignature`, `keyEncipherment`, `keyAgreement`).
    pub key_usage: Vec<String>,
    /// Extended key usages (OIDs) the leaf must allow besides the purpose's.
    pub ekus: Vec<String>,
    /// How a subject CN outside the SANs is judged.
    pub common_name: chain::CommonNameCheck,
    /// CT logs to verify embedded SCTs against (Chrome's log list); `None`: SCTs are decoded
    /// and counted, not verified.
    pub ct_logs: Option<crate::transparency::LogList>,
    /// The signature backend chain validation runs with (`None`: RustCrypto).
    pub backend: Option<crate::signature::Backend>,
}

impl ChainRequest {
    /// A request for `anchors`, for `purpose`, checking the leaf for `host` when there is one.
    pub fn for_host(anchors: Vec<TrustAnchor>, purpose: Purpose, host: Option<PeerName>) -> Self {
        Self {
            anchors,
            purpose,
            peer_names: host.into_iter().collect(),
            ..Self::default()
        }
    }

    /// The validation options for this request at `now` with these CRLs. A CA certificate in
    /// the leaf position with no name to check is validated as the CA it is (an intermediate
    /// or root on its own: "does it chain to a trusted root?"), not as a TLS end entity.
    pub fn options(
        &self,
        leaf_is_ca: bool,
        now: Timestamp,
        crls: Vec<Vec<u8>>,
        policy: &Policy,
    ) -> chain::Options {
        let purpose = if leaf_is_ca && self.peer_names.is_empty() {
            Purpose::Any
        } else {
            self.purpose
        };
        chain::Options {
            now,
            purpose,
            peer_names: self.peer_names.clone(),
            max_intermediates: self.max_intermediates,
            leaf_key_usage: self.key_usage.clone(),
            crls,
            leaf_ekus: self.ekus.clone(),
            common_name: self.common_name,
            rsa_min_bits: Some(policy.keys.rsa_min_bits),
            backend: self.backend,
        }
    }
}

/// The whole judgement of one input: findings (policy and chain, merged, most severe first)
/// and the chain report when the input held certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    /// Every finding, most severe first, without duplicates.
    pub findings: Vec<Finding>,
    /// The chain verdict, when the input held a certificate.
    pub chain: Option<ChainReport>,
    /// The leaf's embedded SCTs, verified against the request's log list when it has one.
    #[serde(default)]
    pub scts: Vec<crate::transparency::Sct>,
}

/// Chain rules and the certificate rules that name the same problem of the same certificate
/// under the policy: the chain's finding (it invalidates the path) is the one kept.
const SAME_PROBLEM: &[(RuleId, &[RuleId])] = &[
    (
        crate::rule!("CHAIN-SIGNATURE-WEAK"),
        &[crate::rule!("CERT-SIG-WEAK-HASH")],
    ),
    (
        crate::rule!("CHAIN-KEY-REJECTED"),
        &[
            crate::rule!("CERT-KEY-WEAK"),
            crate::rule!("CERT-KEY-UNAPPROVED"),
        ],
    ),
];

/// Whether two findings are about the same input certificate.
fn same_certificate(a: &Finding, b: &Finding) -> bool {
    matches!(
        (&a.location, &b.location),
        (Location::Certificate { index: i, .. }, Location::Certificate { index: j, .. }) if i == j
    )
}

/// Judges `d` under `policy` at `now` and validates its chain as `request` asks; CRLs in the
/// input are used for revocation.
pub fn inspect(d: &Decoded, request: &ChainRequest, policy: &Policy, now: Timestamp) -> Inspection {
    let mut findings = decoded(d, policy, now);
    let ders: Vec<Vec<u8>> = d.certificates().map(|c| c.der.clone()).collect();
    let leaf_at = (!ders.is_empty()).then(|| chain::leaf_index(&ders));
    let chain = leaf_at.map(|leaf| {
        let leaf_is_ca = d.certificates().nth(leaf).is_some_and(|c| c.is_ca);
        let crls = d.revocation_lists().map(|c| c.der.clone()).collect();
        let options = request.options(leaf_is_ca, now, crls, policy);
        chain::validate(&ders, leaf, &request.anchors, &options)
    });
    if let Some(report) = &chain {
        for f in &report.problems {
            // One finding per problem: where the chain refuses a certificate's signature or
            // key, the policy's finding about the same signature or key says nothing more.
            if let Some(&(_, covered)) = SAME_PROBLEM.iter().find(|(rule, _)| f.rule == *rule) {
                findings
                    .retain(|g| !(covered.iter().any(|c| g.rule == *c) && same_certificate(g, f)));
            }
            let duplicate = findings
                .iter()
                .any(|g| g.rule == f.rule && g.location == f.location);
            if !duplicate {
                findings.push(f.clone());
            }
        }
    }
    // Certificate Transparency for the leaf, its issuer taken from the input or the anchors.
    let mut scts = Vec::new();
    if let Some(leaf_at) = leaf_at
        && let Some(leaf) = d.certificates().nth(leaf_at)
    {
        let issuer = d
            .certificates()
            .enumerate()
            .filter(|(i, c)| *i != leaf_at && c.subject.raw_der == leaf.issuer.raw_der)
            .find_map(|(_, c)| crate::certificate::spki_der(&c.der))
            .or_else(|| {
                request
                    .anchors
                    .iter()
                    .find(|a| a.subject == leaf.issuer.raw_der)
                    .map(|a| a.spki.clone())
            });
        scts = crate::transparency::scts(&leaf.der, issuer.as_deref(), request.ct_logs.as_ref());
        findings.extend(transparency::transparency(
            leaf,
            leaf_at,
            &scts,
            request.ct_logs.is_some(),
        ));
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Inspection {
        findings,
        chain,
        scts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    const DAY: i64 = Timestamp::DAY;

    /// A leaf valid from `start` for `lifetime` days, with SANs unless `sans` is empty.
    fn leaf(lifetime: i64, sans: &[&str]) -> Certificate {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "judge.example.test");
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after =
            params.not_before + std::time::Duration::from_secs((lifetime * DAY) as u64);
        Certificate::from_der(params.self_signed(&key).unwrap().der()).unwrap()
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule).collect()
    }

    /// DER for one tag and its contents (short lengths only; test URLs are short).
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag, u8::try_from(body.len()).unwrap()];
        out.extend_from_slice(body);
        out
    }

    /// How a test leaf can be revoked.
    #[derive(Default)]
    pub(super) struct Revocable {
        /// Carries the CA/B Forum domain-validated policy OID.
        pub(super) public: bool,
        pub(super) crl: bool,
        pub(super) ocsp: bool,
        pub(super) must_staple: bool,
        /// Carries the clientAuth extended key usage (beside serverAuth).
        pub(super) client_auth: bool,
    }

    /// A leaf issued by a throwaway CA (not self-issued), valid `lifetime_seconds` from
    /// 2026-01-01, with the revocation extensions asked for.
    pub(super) fn issued(lifetime_seconds: i64, r: Revocable) -> Certificate {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Judge Test CA");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["r.test".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after =
            params.not_before + std::time::Duration::from_secs(lifetime_seconds as u64 - 1);
        if r.crl {
            params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
                uris: vec!["http://crl.test/ca.crl".to_owned()],
            }];
        }
        if r.ocsp {
            // AuthorityInfoAccess: SEQUENCE { SEQUENCE { id-ad-ocsp, [6] URL } }
            let ocsp_oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
            let mut access = ocsp_oid.to_vec();
            access.extend(tlv(0x86, b"http://ocsp.test"));
            let value = tlv(0x30, &tlv(0x30, &access));
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                    value,
                ));
        }
        if r.public {
            // CertificatePolicies: SEQUENCE { SEQUENCE { 2.23.140.1.2.1 } }
            let dv = [0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x01];
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &[2, 5, 29, 32],
                    tlv(0x30, &tlv(0x30, &dv)),
                ));
        }
        if r.client_auth {
            params.extended_key_usages = vec![
                rcgen::ExtendedKeyUsagePurpose::ServerAuth,
                rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            ];
        }
        if r.must_staple {
            // TLS Feature: SEQUENCE { INTEGER 5 (status_request) }
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 5, 5, 7, 1, 24],
                    tlv(0x30, &[0x02, 0x01, 0x05]),
                ));
        }
        Certificate::from_der(params.signed_by(&key, &issuer).unwrap().der()).unwrap()
    }

    /// Issue 20: under public-web a 365-day certificate issued in December 2026 exceeds the
    /// 200-day maximum and a 190-day one does not; the default profile judges the 90-day
    /// rotation instead.
    #[test]
    fn public_web_judges_validity_by_the_maximum_of_the_issue_date() {
        let issued_in = |y: i32, m: u8, d: u8, days: i64| {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let mut params = rcgen::CertificateParams::new(vec!["w.test".to_owned()]).unwrap();
            params.not_before = rcgen::date_time_ymd(y, m, d);
            params.not_after =
                params.not_before + std::time::Duration::from_secs((days * DAY - 1) as u64);
            Certificate::from_der(params.self_signed(&key).unwrap().der()).unwrap()
        };
        let public = Policy::public_web();
        let judge = |c: &Certificate, p: &Policy| {
            ids(&certificate(
                c,
                0,
                p,
                Timestamp::from_unix(c.validity.not_before.unix() + DAY),
            ))
        };
        let year = issued_in(2026, 12, 1, 365);
        assert_eq!(judge(&year, &public), ["CERT-LIFETIME-PUBLIC-MAX"]);
        let found = certificate(&year, 0, &public, year.validity.not_before);
        assert!(
            found[0].evidence.contains("at most 200 days"),
            "{}",
            found[0].evidence
        );
        assert_eq!(
            judge(&issued_in(2026, 12, 1, 190), &public),
            Vec::<&str>::new()
        );
        // 365 days issued in 2025 was within the 398-day maximum then.
        assert_eq!(
            judge(&issued_in(2025, 6, 1, 365), &public),
            Vec::<&str>::new()
        );
        // 60 days from 2029-03-15 is over 47.
        assert_eq!(
            judge(&issued_in(2029, 3, 15, 60), &public),
            ["CERT-LIFETIME-PUBLIC-MAX"]
        );
        // The default profile does not apply the public maximum; its 90-day rotation speaks.
        assert_eq!(
            judge(&issued_in(2026, 12, 1, 190), &Policy::default()),
            ["CERT-LIFETIME-LONG"]
        );
    }

    #[test]
    fn must_staple_needs_an_ocsp_responder_and_long_certificates_need_revocation() {
        let p = Policy::default();
        let now = Timestamp::parse_rfc3339("2026-01-02T00:00:00Z").unwrap();
        let judge = |c: &Certificate| {
            let mut ids = ids(&certificate(c, 0, &p, now));
            ids.sort_unstable();
            ids
        };
        // Let's Encrypt today: a CRL, no OCSP; fine.
        let le = issued(
            45 * DAY,
            Revocable {
                crl: true,
                ..Revocable::default()
            },
        );
        assert_eq!(le.revocation.crl, ["http://crl.test/ca.crl"]);
        assert!(le.revocation.ocsp.is_empty() && !le.revocation.must_staple);
        assert_eq!(judge(&le), Vec::<&str>::new());
        // Must-Staple with a CRL but no responder: nothing to staple.
        let staple = issued(
            45 * DAY,
            Revocable {
                crl: true,
                must_staple: true,
                ..Revocable::default()
            },
        );
        assert!(staple.revocation.must_staple);
        assert!(staple.extensions.iter().any(|e| matches!(
            &e.value,
            crate::certificate::ExtensionValue::TlsFeature { features } if features == &["status_request"]
        )));
        assert_eq!(judge(&staple), ["CERT-MUST-STAPLE-NO-OCSP"]);
        // Must-Staple with a responder is consistent.
        let stapled = issued(
            45 * DAY,
            Revocable {
                ocsp: true,
                must_staple: true,
                ..Revocable::default()
            },
        );
        assert_eq!(stapled.revocation.ocsp, ["http://ocsp.test"]);
        assert_eq!(judge(&stapled), Vec::<&str>::new());
        // Neither, 45 days, from a public CA: can not be revoked.
        let public = || Revocable {
            public: true,
            ..Revocable::default()
        };
        let bare = issued(45 * DAY, public());
        assert!(bare.has_cabf_policy());
        assert_eq!(judge(&bare), ["CERT-NO-REVOCATION-INFO"]);
        // Neither, 160 hours (Let's Encrypt's short-lived profile): needs none.
        let short = issued(160 * 3600, public());
        assert_eq!(judge(&short), Vec::<&str>::new());
        // Neither, from a private CA (revocation out of band, as tlscope's coordinator does):
        // not judged by default, judged under public-web.
        let private = issued(45 * DAY, Revocable::default());
        assert_eq!(judge(&private), Vec::<&str>::new());
        // A public certificate with clientAuth is heading for an outage; a private one is not.
        let public_client = issued(
            45 * DAY,
            Revocable {
                public: true,
                crl: true,
                client_auth: true,
                ..Revocable::default()
            },
        );
        assert_eq!(judge(&public_client), ["CERT-PUBLIC-CLIENT-AUTH"]);
        let private_client = issued(
            45 * DAY,
            Revocable {
                crl: true,
                client_auth: true,
                ..Revocable::default()
            },
        );
        assert_eq!(judge(&private_client), Vec::<&str>::new());
        let mut under_public_web = ids(&certificate(&private, 0, &Policy::public_web(), now));
        under_public_web.sort_unstable();
        assert_eq!(under_public_web, ["CERT-NO-REVOCATION-INFO"]);
    }

    fn days_before_expiry(c: &Certificate, days: i64) -> Timestamp {
        Timestamp::from_unix(c.validity.not_after.unix() - days * DAY)
    }

    /// Issue 16: a chain through an intermediate signed with SHA-1 raised both
    /// CHAIN-SIGNATURE-WEAK and CERT-SIG-WEAK-HASH for that one signature.
    #[test]
    fn one_sha1_intermediate_gives_one_finding() {
        let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/samples/");
        let chain = std::fs::read(format!("{samples}sha1-intermediate.pem")).unwrap();
        let root = decode(&std::fs::read(format!("{samples}root.pem")).unwrap()).unwrap();
        let anchors: Vec<TrustAnchor> = root
            .certificates()
            .map(|c| TrustAnchor::from_certificate(&c.der).unwrap())
            .collect();
        let d = decode(&chain).unwrap();
        let request = ChainRequest::for_host(anchors, Purpose::ServerAuth, None);
        let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        let inspection = inspect(&d, &request, &Policy::default(), now);
        let weak: Vec<&Finding> = inspection
            .findings
            .iter()
            .filter(|f| f.evidence.to_ascii_lowercase().contains("sha1"))
            .collect();
        assert_eq!(weak.len(), 1, "{weak:#?}");
        assert_eq!(weak[0].rule, "CHAIN-SIGNATURE-WEAK");
        // Without the chain's verdict (a certificate judged on its own) the policy still says it.
        let alone = certificate(d.certificates().nth(1).unwrap(), 1, &Policy::default(), now);
        assert!(
            alone.iter().any(|f| f.rule == "CERT-SIG-WEAK-HASH"),
            "{alone:#?}"
        );
    }

    #[test]
    fn an_inspection_survives_a_json_round_trip() {
        // What the dashboard's worker sends back must read back as the same judgement.
        let c = leaf(800, &[]);
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &c.der)
        );
        let d = decode(pem.as_bytes()).unwrap();
        let inspection = inspect(
            &d,
            &ChainRequest::default(),
            &Policy::default(),
            days_before_expiry(&c, 3),
        );
        assert!(inspection.findings.len() >= 3, "{inspection:?}");
        let json = serde_json::to_string(&inspection).unwrap();
        let back: Inspection = serde_json::from_str(&json).unwrap();
        assert_eq!(back, inspection);
        // A rule the table does not know is refused, not invented.
        let forged = json.replacen(inspection.findings[0].rule, "NO-SUCH-RULE", 1);
        let err = serde_json::from_str::<Inspection>(&forged).unwrap_err();
        assert!(
            err.to_string().contains("unknown rule \"NO-SUCH-RULE\""),
            "{err}"
        );
    }

    #[test]
    fn decoding_reports_progress_per_block() {
        let c = leaf(90, &["a.test"]);
        let block = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &c.der)
        );
        let mut seen = Vec::new();
        let d =
            crate::decode::decode_with_progress(block.repeat(3).as_bytes(), &mut |done, total| {
                seen.push((done, total))
            })
            .unwrap();
        assert_eq!(d.items.len(), 3);
        assert_eq!(seen, [(1, 3), (2, 3), (3, 3)]);
    }

    #[test]
    fn healthy_leaf_has_no_findings() {
        let c = leaf(90, &["a.test"]);
        assert_eq!(
            ids(&certificate(
                &c,
                0,
                &Policy::default(),
                days_before_expiry(&c, 45)
            )),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn expiry_bands_follow_the_policy() {
        let c = leaf(90, &["a.test"]);
        let p = Policy::default();
        assert_eq!(
            ids(&certificate(&c, 0, &p, days_before_expiry(&c, 31))),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids(&certificate(&c, 0, &p, days_before_expiry(&c, 30))),
            ["CERT-EXPIRY-WARNING"]
        );
        assert_eq!(
            ids(&certificate(&c, 0, &p, days_before_expiry(&c, 8))),
            ["CERT-EXPIRY-WARNING"]
        );
        assert_eq!(
            ids(&certificate(&c, 0, &p, days_before_expiry(&c, 7))),
            ["CERT-EXPIRY-CRITICAL"]
        );
        assert_eq!(
            ids(&certificate(&c, 0, &p, days_before_expiry(&c, -1))),
            ["CERT-EXPIRED"]
        );
        let before = Timestamp::from_unix(c.validity.not_before.unix() - DAY);
        assert_eq!(ids(&certificate(&c, 0, &p, before)), ["CERT-NOT-YET-VALID"]);
        // Both parts of a band must hold: 45 days is more than a third of 90, so widening
        // the days alone moves nothing until the share is widened (or turned off) as well.
        let mut wide = p.clone();
        wide.alerts.warning_days = 45;
        assert_eq!(
            ids(&certificate(&c, 0, &wide, days_before_expiry(&c, 40))),
            Vec::<&str>::new()
        );
        wide.alerts.warning_percent = 0;
        assert_eq!(
            ids(&certificate(&c, 0, &wide, days_before_expiry(&c, 40))),
            ["CERT-EXPIRY-WARNING"]
        );
    }

    /// The examples of issue 20: a 6-day certificate with 3 days left raises nothing, a 397-day
    /// one with 3 days left is critical, and a 45-day one is not in the warning band from its
    /// 15th day on.
    #[test]
    fn expiry_bands_follow_the_lifetime() {
        let p = Policy::default();
        let six = leaf(6, &["a.test"]);
        assert_eq!(
            ids(&certificate(&six, 0, &p, days_before_expiry(&six, 3))),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids(&certificate(&six, 0, &p, days_before_expiry(&six, 2))),
            ["CERT-EXPIRY-WARNING"]
        );
        let at = Timestamp::from_unix(six.validity.not_after.unix() - 12 * 3600);
        let found = certificate(&six, 0, &p, at);
        assert_eq!(ids(&found), ["CERT-EXPIRY-CRITICAL"]);
        assert!(
            found[0]
                .evidence
                .contains("12 hours left (critical at ≤ 10% of its 6-day lifetime)"),
            "{}",
            found[0].evidence
        );
        let long = leaf(397, &["a.test"]);
        let found = ids(&certificate(&long, 0, &p, days_before_expiry(&long, 3)));
        assert!(found.contains(&"CERT-EXPIRY-CRITICAL"), "{found:?}");
        let mid = leaf(45, &["a.test"]);
        assert_eq!(
            ids(&certificate(&mid, 0, &p, days_before_expiry(&mid, 20))),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids(&certificate(&mid, 0, &p, days_before_expiry(&mid, 15))),
            ["CERT-EXPIRY-WARNING"]
        );
    }

    #[test]
    fn long_leaf_lifetime_is_flagged_and_cas_are_not() {
        let c = leaf(365, &["a.test"]);
        let now = days_before_expiry(&c, 100);
        assert_eq!(
            ids(&certificate(&c, 0, &Policy::default(), now)),
            ["CERT-LIFETIME-LONG"]
        );
        let mut ca = c.clone();
        ca.is_ca = true;
        assert_eq!(
            ids(&certificate(&ca, 0, &Policy::default(), now)),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn weak_signatures_and_keys_are_flagged() {
        let base = leaf(90, &["a.test"]);
        let now = days_before_expiry(&base, 45);
        let p = Policy::default();
        let mut sha1 = base.clone();
        sha1.signature_algorithm = "sha1WithRSAEncryption".into();
        assert_eq!(ids(&certificate(&sha1, 0, &p, now)), ["CERT-SIG-WEAK-HASH"]);
        let mut md5 = base.clone();
        md5.signature_algorithm = "md5WithRSAEncryption".into();
        assert_eq!(ids(&certificate(&md5, 0, &p, now)), ["CERT-SIG-WEAK-HASH"]);
        let mut rsa1024 = base.clone();
        rsa1024.public_key = crate::PublicKeyInfo {
            algorithm: "RSA".into(),
            bits: 1024,
            curve: None,
        };
        assert_eq!(ids(&certificate(&rsa1024, 0, &p, now)), ["CERT-KEY-WEAK"]);
        let mut rsa2048 = rsa1024.clone();
        rsa2048.public_key.bits = 2048;
        assert_eq!(ids(&certificate(&rsa2048, 0, &p, now)), Vec::<&str>::new());
        let mut k1 = base.clone();
        k1.public_key.curve = Some("secp256k1".into());
        assert_eq!(ids(&certificate(&k1, 0, &p, now)), ["CERT-KEY-UNAPPROVED"]);
    }

    #[test]
    fn missing_san_and_v1_are_flagged() {
        let c = leaf(90, &[]);
        let now = days_before_expiry(&c, 45);
        let f = certificate(&c, 3, &Policy::default(), now);
        assert_eq!(ids(&f), ["CERT-SAN-MISSING"]);
        assert!(f[0].evidence.contains("judge.example.test"));
        assert_eq!(
            f[0].location,
            Location::Certificate {
                index: 3,
                name: "judge.example.test".into()
            }
        );
        let mut v1 = leaf(90, &["a.test"]);
        v1.version = 1;
        assert_eq!(
            ids(&certificate(&v1, 0, &Policy::default(), now)),
            ["CERT-V1"]
        );
    }

    #[test]
    fn supplied_private_keys_are_a_finding_sorted_after_critical_ones() {
        let pem =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBs=\n-----END PRIVATE KEY-----\n";
        let d = decode(pem.as_bytes()).unwrap();
        assert_eq!(
            ids(&decoded(&d, &Policy::default(), Timestamp::from_unix(0))),
            ["KEY-MATERIAL-SUPPLIED"]
        );
    }
}
