//! Judging a leaf's Certificate Transparency under Chrome's CT policy: every SCT that does not
//! verify, every SCT from a log the list does not know, too few SCTs for the certificate's
//! lifetime (two, or three above 180 days), and SCTs all from one log operator. Judged for
//! certificates that carry SCTs or a CA/Browser Forum policy OID (public certificates); private
//! certificates need no CT.

use crate::certificate::Certificate;
use crate::report::{Finding, Location};
use crate::transparency::{Sct, SctStatus, chrome_required};

/// Every CT finding for `leaf` (the `index`-th certificate of its input) with its decoded
/// `scts`; `verified` says whether they were checked against a log list.
pub fn transparency(
    leaf: &Certificate,
    index: usize,
    scts: &[Sct],
    verified: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if leaf.is_ca || (scts.is_empty() && !leaf.has_cabf_policy()) {
        return out;
    }
    let at = || Location::Certificate {
        index,
        name: leaf.display_name(),
    };
    for s in scts {
        match &s.status {
            SctStatus::Invalid(why) => out.push(Finding::new(
                crate::rule!("CT-SCT-INVALID"),
                format!("SCT from {} at {}: {why}", log_name(s), s.timestamp),
                at(),
            )),
            SctStatus::UnknownLog => out.push(Finding::new(
                crate::rule!("CT-SCT-UNKNOWN-LOG"),
                format!(
                    "SCT from log {} at {}: the log list does not name it",
                    s.log_id, s.timestamp
                ),
                at(),
            )),
            SctStatus::NotCounted(why) => out.push(Finding::new(
                crate::rule!("CT-SCT-NOT-COUNTED"),
                format!("SCT from {} at {}: {why}", log_name(s), s.timestamp),
                at(),
            )),
            SctStatus::Verified | SctStatus::Unchecked => {}
        }
    }
    let lifetime = leaf.validity.lifetime_days();
    let required = chrome_required(lifetime);
    let counted: Vec<&Sct> = scts
        .iter()
        .filter(|s| !verified || s.status == SctStatus::Verified)
        .collect();
    if counted.len() < required {
        out.push(Finding::new(
            crate::rule!("CT-TOO-FEW-SCTS"),
            format!(
                "{} {}SCT{}; Chrome requires {required} for a certificate valid {lifetime} days",
                counted.len(),
                if verified { "verified " } else { "embedded " },
                if counted.len() == 1 { "" } else { "s" }
            ),
            at(),
        ));
    }
    if verified && !counted.is_empty() {
        let mut operators: Vec<&str> = counted
            .iter()
            .filter_map(|s| s.operator.as_deref())
            .collect();
        operators.sort_unstable();
        operators.dedup();
        if operators.len() < 2 {
            out.push(Finding::new(
                crate::rule!("CT-ONE-OPERATOR"),
                format!(
                    "every verified SCT is from {}; Chrome requires logs of at least two operators",
                    operators.first().copied().unwrap_or("one operator")
                ),
                at(),
            ));
        }
    }
    out
}

fn log_name(s: &Sct) -> String {
    s.log.clone().unwrap_or_else(|| format!("log {}", s.log_id))
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use p256::ecdsa::signature::Signer as _;
    use sha2::Digest as _;

    use crate::judge::{ChainRequest, inspect};
    use crate::transparency::{LogList, SctStatus, signed_data};
    use crate::{Policy, Timestamp};

    const SCT_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];

    /// A CT log the test runs: a P-256 key, its SPKI and id.
    struct TestLog {
        key: p256::ecdsa::SigningKey,
        spki: Vec<u8>,
    }

    impl TestLog {
        fn new(seed: u8) -> Self {
            let key = p256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).unwrap();
            let point = key.verifying_key().to_encoded_point(false);
            // SubjectPublicKeyInfo for an uncompressed P-256 point.
            let mut spki = vec![
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
            ];
            spki.extend_from_slice(point.as_bytes());
            Self { key, spki }
        }

        fn id(&self) -> [u8; 32] {
            sha2::Sha256::digest(&self.spki).into()
        }
    }

    /// A log list: `(operator, logs)`.
    fn list(operators: &[(&str, &[&TestLog])]) -> LogList {
        let b64 = base64::engine::general_purpose::STANDARD;
        let json = serde_json::json!({
            "version": "test",
            "operators": operators.iter().map(|(name, logs)| serde_json::json!({
                "name": name,
                "email": ["ct@example.test"],
                "logs": logs.iter().enumerate().map(|(i, l)| serde_json::json!({
                    "description": format!("{name} log {i}"),
                    "log_id": b64.encode(l.id()),
                    "key": b64.encode(&l.spki),
                    "url": "https://ct.example.test/",
                    "mmd": 86400,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        LogList::from_json(&json.to_string()).unwrap()
    }

    /// A CA and a leaf valid `days` with one embedded SCT per log (the n-th signature altered
    /// when `tamper == Some(n)`), and a CA/B Forum policy OID when `public`; PEM of both.
    fn issue(days: u32, logs: &[&TestLog], tamper: Option<usize>, public: bool) -> Vec<u8> {
        let start = rcgen::date_time_ymd(2026, 1, 1);
        let seconds = u64::from(days) * 86_400;
        issue_at(start, seconds, logs, tamper, public, |_| {})
    }

    /// As [`issue`], from `not_before` for `seconds`, with `extra` applied to the leaf.
    fn issue_at(
        not_before: time::OffsetDateTime,
        seconds: u64,
        logs: &[&TestLog],
        tamper: Option<usize>,
        public: bool,
        extra: impl Fn(&mut rcgen::CertificateParams),
    ) -> Vec<u8> {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "CT Test CA");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.not_before = rcgen::date_time_ymd(2025, 1, 1);
        ca.not_after = rcgen::date_time_ymd(2035, 1, 1);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let ca_spki = crate::certificate::spki_der(ca_cert.der()).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["ct.example.test".to_owned()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.serial_number = Some(rcgen::SerialNumber::from(42u64));
        params.not_before = not_before;
        params.not_after = not_before + std::time::Duration::from_secs(seconds - 1);
        params.use_authority_key_identifier_extension = true;
        if public {
            let dv = [0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x01];
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &[2, 5, 29, 32],
                    crate::asn1::wrap(0x30, &crate::asn1::wrap(0x30, &dv)),
                ));
        }
        extra(&mut params);
        // The precertificate TBS is the final TBS without the SCT list: sign the first.
        let first = params.signed_by(&key, &issuer).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(first.der()).unwrap();
        let tbs = parsed.tbs_certificate.as_ref().to_vec();
        let mut list = Vec::new();
        for (n, log) in logs.iter().enumerate() {
            let ts = (not_before.unix_timestamp() as u64) * 1000 + n as u64;
            let sig: p256::ecdsa::Signature = log.key.sign(&signed_data(ts, &[], &ca_spki, &tbs));
            let mut sig = sig.to_der().as_bytes().to_vec();
            if tamper == Some(n) {
                let last = sig.len() - 1;
                sig[last] ^= 1;
            }
            let mut sct = vec![0u8];
            sct.extend(log.id());
            sct.extend(ts.to_be_bytes());
            sct.extend([0, 0, 4, 3]);
            sct.extend((sig.len() as u16).to_be_bytes());
            sct.extend(sig);
            list.extend((sct.len() as u16).to_be_bytes());
            list.extend(sct);
        }
        let mut body = (list.len() as u16).to_be_bytes().to_vec();
        body.extend(list);
        if !logs.is_empty() {
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    SCT_OID,
                    crate::asn1::wrap(0x04, &body),
                ));
        }
        let leaf = params.signed_by(&key, &issuer).unwrap();
        let (_, final_cert) = x509_parser::parse_x509_certificate(leaf.der()).unwrap();
        if !logs.is_empty() {
            assert_eq!(
                crate::transparency::precert_tbs(final_cert.tbs_certificate.as_ref()).unwrap(),
                tbs,
                "the SCT list is the only difference"
            );
        }
        format!("{}{}", leaf.pem(), ca_cert.pem()).into_bytes()
    }

    /// The certificate fixtures of the corpus (crates/core/tests/corpus) and the log list the
    /// CLI test verifies against (crates/core/tests/ct), rewritten with
    /// `TLSCOPE_UPDATE_CORPUS=1`. Otherwise the committed files are checked for what each
    /// is there to show.
    #[test]
    fn corpus_certificate_fixtures_show_what_they_are_for() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let corpus = |name: &str| root.join("corpus").join(name);
        let log_list = root.join("ct/log_list.json");
        if std::env::var_os("TLSCOPE_UPDATE_CORPUS").is_some() {
            let (a, b, c) = (TestLog::new(11), TestLog::new(12), TestLog::new(13));
            let logs = list(&[("Alpha CT", &[&a, &b]), ("Beta CT", &[&c])]);
            std::fs::create_dir_all(log_list.parent().unwrap()).unwrap();
            let b64 = base64::engine::general_purpose::STANDARD;
            let json = serde_json::json!({
                "version": "tlscope test logs",
                "operators": logs.operators.iter().map(|o| serde_json::json!({
                    "name": o.name,
                    "email": ["ct@example.test"],
                    "logs": o.logs.iter().map(|l| serde_json::json!({
                        "description": l.description,
                        "log_id": l.log_id,
                        "key": l.key,
                        "url": "https://ct.example.test/",
                        "mmd": 86400,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            let _ = b64;
            std::fs::write(&log_list, serde_json::to_string_pretty(&json).unwrap()).unwrap();
            let dec_2026 = rcgen::date_time_ymd(2026, 12, 20);
            std::fs::write(
                corpus("sct-public-45-day.pem"),
                issue_at(dec_2026, 45 * 86_400, &[&a, &c], None, true, |p| {
                    p.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
                        uris: vec!["http://crl.example.test/ca.crl".into()],
                    }];
                }),
            )
            .unwrap();
            std::fs::write(
                corpus("short-lived-160-hour.pem"),
                issue_at(
                    rcgen::date_time_ymd(2027, 1, 13),
                    160 * 3600,
                    &[],
                    None,
                    false,
                    |_| {},
                ),
            )
            .unwrap();
            std::fs::write(
                corpus("must-staple-no-ocsp.pem"),
                issue_at(dec_2026, 90 * 86_400, &[], None, false, |p| {
                    p.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
                        uris: vec!["http://crl.example.test/ca.crl".into()],
                    }];
                    p.custom_extensions
                        .push(rcgen::CustomExtension::from_oid_content(
                            &[1, 3, 6, 1, 5, 5, 7, 1, 24],
                            crate::asn1::wrap(0x30, &[0x02, 0x01, 0x05]),
                        ));
                }),
            )
            .unwrap();
            std::fs::write(corpus("ml-dsa-chain.pem"), ml_dsa_chain()).unwrap();
        }
        let read = |p: std::path::PathBuf| {
            std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let logs = LogList::from_json(&String::from_utf8(read(log_list)).unwrap()).unwrap();
        let (_, statuses) = ct(&read(corpus("sct-public-45-day.pem")), Some(logs));
        assert_eq!(statuses, vec![SctStatus::Verified; 2]);
        let short = crate::decode(&read(corpus("short-lived-160-hour.pem"))).unwrap();
        let leaf = short.certificates().next().unwrap();
        assert_eq!(
            crate::lifetime::validity_seconds(&leaf.validity),
            160 * 3600
        );
        let staple = crate::decode(&read(corpus("must-staple-no-ocsp.pem"))).unwrap();
        let leaf = staple.certificates().next().unwrap();
        assert!(leaf.revocation.must_staple && leaf.revocation.ocsp.is_empty());
        let pq = crate::decode(&read(corpus("ml-dsa-chain.pem"))).unwrap();
        let names: Vec<_> = pq
            .certificates()
            .map(|c| c.public_key.algorithm.as_str())
            .collect();
        assert_eq!(names, ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"]);
        let ders: Vec<Vec<u8>> = pq.certificates().map(|c| c.der.clone()).collect();
        let anchor = crate::chain::TrustAnchor::from_certificate(&ders[2]).unwrap();
        let options = crate::chain::Options {
            now: Timestamp::from_unix(1_800_000_000),
            peer_names: vec![crate::chain::PeerName::host("pq.example.test")],
            ..crate::chain::Options::default()
        };
        let report = crate::chain::validate(&ders[..2], 0, &[anchor], &options);
        assert!(report.valid, "{:#?}", report.problems);
    }

    /// An ML-DSA-44 leaf under an ML-DSA-65 intermediate under an ML-DSA-87 root, PEM.
    fn ml_dsa_chain() -> String {
        let ca = |name: &str| {
            let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            p.distinguished_name.push(rcgen::DnType::CommonName, name);
            p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            p.key_usages = vec![
                rcgen::KeyUsagePurpose::KeyCertSign,
                rcgen::KeyUsagePurpose::CrlSign,
            ];
            p.not_before = rcgen::date_time_ymd(2026, 1, 1);
            p.not_after = rcgen::date_time_ymd(2031, 1, 1);
            p.use_authority_key_identifier_extension = true;
            p
        };
        let root_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_87).unwrap();
        let root_params = ca("PQ Test Root ML-DSA-87");
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = rcgen::Issuer::new(root_params, root_key);
        let int_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_65).unwrap();
        let int_params = ca("PQ Test Intermediate ML-DSA-65");
        let int = int_params.signed_by(&int_key, &root_issuer).unwrap();
        let int_issuer = rcgen::Issuer::new(int_params, int_key);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ML_DSA_44).unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["pq.example.test".to_owned()]).unwrap();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        p.not_before = rcgen::date_time_ymd(2027, 1, 1);
        p.not_after = rcgen::date_time_ymd(2027, 2, 15);
        p.use_authority_key_identifier_extension = true;
        p.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
            uris: vec!["http://crl.example.test/pq.crl".into()],
        }];
        let leaf = p.signed_by(&key, &int_issuer).unwrap();
        format!("{}{}{}", leaf.pem(), int.pem(), root.pem())
    }

    fn ct(pem: &[u8], logs: Option<LogList>) -> (Vec<&'static str>, Vec<SctStatus>) {
        let d = crate::decode(pem).unwrap();
        let request = ChainRequest {
            ct_logs: logs,
            ..ChainRequest::default()
        };
        let i = inspect(
            &d,
            &request,
            &Policy::default(),
            Timestamp::from_unix(1_767_312_000),
        );
        let mut rules: Vec<_> = i
            .findings
            .iter()
            .map(|f| f.rule)
            .filter(|r| r.starts_with("CT-"))
            .collect();
        rules.sort_unstable();
        (rules, i.scts.into_iter().map(|s| s.status).collect())
    }

    #[test]
    fn three_verified_scts_from_two_operators_satisfy_chrome() {
        let (a, b, c) = (TestLog::new(1), TestLog::new(2), TestLog::new(3));
        let logs = list(&[("Alpha", &[&a, &b]), ("Beta", &[&c])]);
        let pem = issue(200, &[&a, &b, &c], None, true);
        let (rules, statuses) = ct(&pem, Some(logs.clone()));
        assert_eq!(rules, Vec::<&str>::new());
        assert_eq!(statuses, vec![SctStatus::Verified; 3]);
        // Without a list the SCTs are decoded and counted, not verified.
        let (rules, statuses) = ct(&pem, None);
        assert_eq!(rules, Vec::<&str>::new());
        assert_eq!(statuses, vec![SctStatus::Unchecked; 3]);
    }

    #[test]
    fn a_tampered_sct_is_invalid_and_no_longer_counts() {
        let (a, b, c) = (TestLog::new(1), TestLog::new(2), TestLog::new(3));
        let logs = list(&[("Alpha", &[&a, &b]), ("Beta", &[&c])]);
        let pem = issue(200, &[&a, &b, &c], Some(1), true);
        let (rules, statuses) = ct(&pem, Some(logs));
        assert_eq!(rules, ["CT-SCT-INVALID", "CT-TOO-FEW-SCTS"]);
        assert!(matches!(statuses[1], SctStatus::Invalid(_)), "{statuses:?}");
        assert_eq!(statuses[0], SctStatus::Verified);
    }

    #[test]
    fn one_operator_unknown_logs_and_counts_by_lifetime() {
        let (a, b, c) = (TestLog::new(1), TestLog::new(2), TestLog::new(3));
        // Two SCTs are enough for 90 days, but both are Alpha's.
        let pem = issue(90, &[&a, &b], None, true);
        let (rules, _) = ct(&pem, Some(list(&[("Alpha", &[&a, &b]), ("Beta", &[&c])])));
        assert_eq!(rules, ["CT-ONE-OPERATOR"]);
        // Two from two operators: 90 days is fine, 200 days needs three.
        let pem = issue(90, &[&a, &c], None, true);
        let logs = list(&[("Alpha", &[&a, &b]), ("Beta", &[&c])]);
        assert_eq!(ct(&pem, Some(logs.clone())).0, Vec::<&str>::new());
        let pem = issue(200, &[&a, &c], None, true);
        assert_eq!(ct(&pem, Some(logs)).0, ["CT-TOO-FEW-SCTS"]);
        // A log the list does not name.
        let pem = issue(90, &[&a, &c], None, true);
        let (rules, statuses) = ct(&pem, Some(list(&[("Alpha", &[&a])])));
        assert_eq!(
            rules,
            ["CT-ONE-OPERATOR", "CT-SCT-UNKNOWN-LOG", "CT-TOO-FEW-SCTS"]
        );
        assert_eq!(statuses[1], SctStatus::UnknownLog);
    }

    /// A verified SCT counts only from a log Chrome counts: not a rejected one, not one retired
    /// before the SCT, and only for certificates inside a sharded log's temporal interval.
    #[test]
    fn scts_from_retired_rejected_or_out_of_shard_logs_do_not_count() {
        use crate::transparency::{StateSince, TemporalInterval};
        let (a, b, c) = (TestLog::new(1), TestLog::new(2), TestLog::new(3));
        let pem = issue(200, &[&a, &b, &c], None, true);
        let base = list(&[("Alpha", &[&a, &b]), ("Beta", &[&c])]);
        let state = |s: &str, t: &str| {
            Some(std::collections::BTreeMap::from([(
                s.to_owned(),
                StateSince {
                    timestamp: t.to_owned(),
                },
            )]))
        };
        // Retired after the SCT (2026-01-01): still counts.
        let mut logs = base.clone();
        logs.operators[0].logs[1].state = state("retired", "2026-06-01T00:00:00Z");
        assert_eq!(ct(&pem, Some(logs)).0, Vec::<&str>::new());
        // Retired before it, or rejected: verified, not counted, so too few for 200 days.
        for (s, t) in [
            ("retired", "2025-06-01T00:00:00Z"),
            ("rejected", "2025-06-01T00:00:00Z"),
        ] {
            let mut logs = base.clone();
            logs.operators[0].logs[1].state = state(s, t);
            let (rules, statuses) = ct(&pem, Some(logs));
            assert_eq!(rules, ["CT-SCT-NOT-COUNTED", "CT-TOO-FEW-SCTS"], "{s}");
            assert!(
                matches!(statuses[1], SctStatus::NotCounted(_)),
                "{statuses:?}"
            );
        }
        // A shard for certificates expiring in 2027 does not take one expiring in July 2026.
        let mut logs = base.clone();
        logs.operators[1].logs[0].temporal_interval = Some(TemporalInterval {
            start_inclusive: "2027-01-01T00:00:00Z".into(),
            end_exclusive: "2028-01-01T00:00:00Z".into(),
        });
        let (rules, _) = ct(&pem, Some(logs));
        assert!(rules.contains(&"CT-SCT-NOT-COUNTED"), "{rules:?}");
        // The list's own JSON carries both.
        let parsed = LogList::from_json(
            r#"{"operators":[{"name":"X","logs":[{"description":"d","log_id":"i","key":"k","state":{"usable":{"timestamp":"2024-01-01T00:00:00Z"}},"temporal_interval":{"start_inclusive":"2026-01-01T00:00:00Z","end_exclusive":"2026-07-01T00:00:00Z"}}]}]}"#,
        )
        .unwrap();
        let log = &parsed.operators[0].logs[0];
        assert!(log.state.as_ref().unwrap().contains_key("usable"));
        assert_eq!(
            log.temporal_interval.as_ref().unwrap().end_exclusive,
            "2026-07-01T00:00:00Z"
        );
    }

    #[test]
    fn a_public_certificate_without_scts_is_flagged_and_a_private_one_is_not() {
        assert_eq!(ct(&issue(90, &[], None, true), None).0, ["CT-TOO-FEW-SCTS"]);
        assert_eq!(ct(&issue(90, &[], None, false), None).0, Vec::<&str>::new());
    }
}
