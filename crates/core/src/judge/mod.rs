//! Judging observations against a policy, each a pure function of (observation, policy, `now`):
//! decoded certificates here (expiry bands, lifetime, key and signature hygiene, SAN presence,
//! and the chain), connection strings in [`connection`](mod@connection), handshake records in
//! [`handshake`](mod@handshake), endpoint probes in [`probe`](mod@probe), pins in [`pin`], HSTS
//! values in [`web`].

pub mod connection;
pub mod handshake;
pub mod probe;
pub mod web;

pub use connection::connection;
pub use handshake::handshake;
pub use probe::probe;

use serde::{Deserialize, Serialize};

use crate::certificate::{Certificate, ValidityStatus};
use crate::chain::{self, ChainReport, PeerName, Purpose, TrustAnchor};
use crate::decode::{Decoded, Item};
use crate::policy::Policy;
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
    /// The band of `c` under `policy` at `now`.
    pub fn of(c: &Certificate, policy: &Policy, now: Timestamp) -> Self {
        let days = c.validity.days_left(now);
        match c.validity.status(now) {
            ValidityStatus::Expired => Self::Expired,
            ValidityStatus::NotYetValid => Self::NotYetValid,
            ValidityStatus::Valid if days <= policy.alerts.critical_days => Self::Critical,
            ValidityStatus::Valid if days <= policy.alerts.warning_days => Self::Warning,
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
    match ExpiryBand::of(c, policy, now) {
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
                "{days} days left (critical at ≤ {} days); notAfter {}",
                policy.alerts.critical_days, c.validity.not_after
            ),
            at(),
        )),
        ExpiryBand::Warning => out.push(Finding::new(
            crate::rule!("CERT-EXPIRY-WARNING"),
            format!(
                "{days} days left (warning at ≤ {} days); notAfter {}",
                policy.alerts.warning_days, c.validity.not_after
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
    let chain = (!ders.is_empty()).then(|| {
        let leaf = chain::leaf_index(&ders);
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
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Inspection { findings, chain }
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
        let mut wide = p.clone();
        wide.alerts.warning_days = 45;
        assert_eq!(
            ids(&certificate(&c, 0, &wide, days_before_expiry(&c, 40))),
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
