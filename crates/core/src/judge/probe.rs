//! Judging a probe report under the policy: every accepted version below the segment's minimum,
//! every accepted suite (allow-list for TLS 1.3; broken, CBC and static-RSA suites before), the
//! leaf certificate's hygiene and expiry bands, the chain and host name, pins, and for HTTPS the
//! HSTS header and OCSP stapling (when the leaf names an OCSP responder).

use crate::chain::{Purpose, TrustAnchor};
use crate::policy::Policy;
use crate::probe::{ProbeReport, Service};
use crate::report::{Finding, Location};
use crate::timestamp::Timestamp;

use super::handshake::{peer_chain_findings, suite_findings};

/// Every finding for `report`. A probe that could not finish judges what it saw.
pub fn probe(
    report: &ProbeReport,
    anchors: &[TrustAnchor],
    policy: &Policy,
    now: Timestamp,
) -> Vec<Finding> {
    let at = || Location::Endpoint {
        endpoint: report.target.clone(),
    };
    let segment = report.service.segment();
    let (min, name) = match segment {
        crate::handshake::Segment::Database => (policy.tls.database_min_version, "database"),
        crate::handshake::Segment::Mtls => (policy.tls.mtls_min_version, "mTLS"),
        crate::handshake::Segment::Client => (policy.tls.client_min_version, "client"),
    };
    let mut out = Vec::new();
    for v in report.accepted() {
        if v.version < min {
            out.push(Finding::new(
                crate::rule!("TLS-VERSION-MIN"),
                format!(
                    "accepts {} on a {name} endpoint; the policy requires at least {min}",
                    v.version
                ),
                at(),
            ));
        }
        for suite in &v.suites {
            out.extend(suite_findings(suite, Some(v.version), policy, at()));
        }
        if policy.tls.extended_master_secret && v.extended_master_secret == Some(false) {
            out.push(Finding::new(
                crate::rule!("TLS-NO-EMS"),
                format!(
                    "{} completes without the extended master secret (RFC 7627): the client offered it and the ServerHello did not echo it",
                    v.version
                ),
                at(),
            ));
        }
    }
    // Post-quantum key exchange: a TLS 1.3 endpoint whose accepted groups are all classical.
    let speaks_13 = report
        .accepted()
        .any(|v| v.version == crate::protocol::TlsVersion::Tls13);
    if speaks_13 {
        out.extend(post_quantum(&report.groups, policy, at()));
    }
    out.extend(groups_allowed(&report.groups, policy, at()));
    // An HTTPS endpoint's HTTP/3 side: the same suite and key-exchange rules, over QUIC.
    if let Some(quic) = report
        .quic
        .as_ref()
        .filter(|q| report.service != Service::Quic && q.error.is_none())
    {
        let at_quic = || Location::Endpoint {
            endpoint: format!("{} (QUIC, UDP port {})", report.target, quic.port),
        };
        for suite in &quic.suites {
            out.extend(suite_findings(
                suite,
                Some(crate::protocol::TlsVersion::Tls13),
                policy,
                at_quic(),
            ));
        }
        out.extend(post_quantum(&quic.groups, policy, at_quic()));
        out.extend(groups_allowed(&quic.groups, policy, at_quic()));
    }
    // The leaf's own hygiene (expiry bands, lifetime, key, signature, SAN), then its chain.
    let leaf = report
        .chain
        .first()
        .and_then(|der| crate::decode(der).ok())
        .and_then(|d| d.certificates().next().cloned());
    if let Some(leaf) = &leaf {
        out.extend(super::certificate(leaf, 0, policy, now));
        // The served leaf's SCTs, counted under Chrome's policy (no log list to verify with).
        let issuer = report
            .chain
            .get(1)
            .and_then(|der| crate::certificate::spki_der(der));
        let scts = crate::transparency::scts(&leaf.der, issuer.as_deref(), None);
        for mut f in super::transparency::transparency(leaf, 0, &scts, false) {
            f.location = at();
            out.push(f);
        }
    }
    if !report.chain.is_empty() {
        out.extend(peer_chain_findings(
            &report.chain,
            report.server_name.as_deref(),
            Purpose::ServerAuth,
            anchors,
            policy,
            now,
            at(),
        ));
    }
    if report.service == Service::Https && report.error.is_none() {
        if policy.web.hsts {
            match &report.hsts {
                None => out.push(Finding::new(
                    crate::rule!("WEB-HSTS-MISSING"),
                    "the response carries no Strict-Transport-Security header".into(),
                    at(),
                )),
                Some(value) => {
                    let weak = super::web::hsts_weaknesses(value, policy);
                    if !weak.is_empty() {
                        out.push(Finding::new(
                            crate::rule!("WEB-HSTS-WEAK"),
                            format!("\"{value}\": {}", weak.join(", ")),
                            at(),
                        ));
                    }
                }
            }
        }
        // Stapling matters only where there is something to staple: a leaf that names an OCSP
        // responder (Let's Encrypt's have named none since 2025).
        let has_responder = leaf.as_ref().is_some_and(|l| !l.revocation.ocsp.is_empty());
        if policy.web.ocsp_stapling && has_responder && report.ocsp_stapled == Some(false) {
            out.push(Finding::new(
                crate::rule!("WEB-OCSP-STAPLING-OFF"),
                "no OCSP response was stapled to the handshake".into(),
                at(),
            ));
        }
    }
    if let (Some(dns), Some(host)) = (&report.dns, &report.server_name) {
        let served = super::dns::Served {
            host,
            leaf: leaf.as_ref(),
            chain: &report.chain,
            alpn: report.alpn.as_deref(),
            quic: report.quic.as_ref(),
        };
        out.extend(super::dns::dns(dns, &served, policy, &at()));
    }
    out
}

/// TLS-GROUP-NOT-ALLOWED for accepted groups outside the policy's list (when it has one).
pub(super) fn groups_allowed(groups: &[String], policy: &Policy, at: Location) -> Option<Finding> {
    let allowed = &policy.tls.groups;
    let outside: Vec<&str> = groups
        .iter()
        .filter(|g| !allowed.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(g)))
        .map(String::as_str)
        .collect();
    (!outside.is_empty()).then(|| {
        Finding::new(
            crate::rule!("TLS-GROUP-NOT-ALLOWED"),
            format!(
                "accepts {}; the {} policy allows {}",
                outside.join(", "),
                policy.profile,
                allowed.join(", ")
            ),
            at,
        )
    })
}

/// TLS-NO-POST-QUANTUM when a TLS 1.3 endpoint's accepted groups are all classical.
fn post_quantum(groups: &[String], policy: &Policy, at: Location) -> Option<Finding> {
    if groups.is_empty()
        || groups
            .iter()
            .any(|g| crate::protocol::group_by_name(g).is_some_and(|g| g.post_quantum))
    {
        return None;
    }
    let mut f = Finding::new(
        crate::rule!("TLS-NO-POST-QUANTUM"),
        format!(
            "TLS 1.3 with {} only; none of the five ML-KEM groups (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, MLKEM768, MLKEM1024) is accepted",
            groups.join(", ")
        ),
        at,
    );
    f.severity = policy.tls.post_quantum_missing;
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::VersionProbe;
    use crate::protocol::TlsVersion;

    fn report(service: Service, versions: Vec<VersionProbe>) -> ProbeReport {
        ProbeReport {
            address: "127.0.0.1:5432".into(),
            versions,
            groups: vec!["X25519MLKEM768".into(), "x25519".into()],
            latency_micros: 1000,
            ..ProbeReport::new("db.example:5432".into(), service, Timestamp::from_unix(0))
        }
    }

    fn v(version: TlsVersion, suites: &[&str]) -> VersionProbe {
        VersionProbe {
            version,
            accepted: true,
            suites: suites.iter().map(|s| (*s).to_owned()).collect(),
            server_order: None,
            extended_master_secret: None,
        }
    }

    fn ids(r: &ProbeReport) -> Vec<&'static str> {
        let mut ids: Vec<_> = probe(r, &[], &Policy::default(), Timestamp::from_unix(0))
            .into_iter()
            .map(|f| f.rule)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn versions_are_judged_per_segment_and_suites_per_version() {
        let tls12 = v(
            TlsVersion::Tls12,
            &["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
        );
        let tls13 = v(TlsVersion::Tls13, &["TLS_AES_256_GCM_SHA384"]);
        // A database may speak TLS 1.2 with an AEAD suite; a client endpoint may not.
        assert!(
            ids(&report(
                Service::Postgres,
                vec![tls12.clone(), tls13.clone()]
            ))
            .is_empty()
        );
        assert_eq!(
            ids(&report(Service::Tls, vec![tls12, tls13.clone()])),
            vec!["TLS-VERSION-MIN"]
        );
        let legacy = v(
            TlsVersion::Tls10,
            &["TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA"],
        );
        assert_eq!(
            ids(&report(Service::Redis, vec![legacy, tls13])),
            vec![
                "TLS-NO-FORWARD-SECRECY",
                "TLS-SUITE-CBC",
                "TLS-SUITE-WEAK",
                "TLS-VERSION-MIN"
            ]
        );
        let ccm = v(TlsVersion::Tls13, &["TLS_AES_128_CCM_SHA256"]);
        assert_eq!(
            ids(&report(Service::Tls, vec![ccm])),
            vec!["TLS-SUITE-NOT-ALLOWED"]
        );
    }

    /// The WEB-* findings alone (the test leaf's chain is untrusted here).
    fn web(r: &ProbeReport) -> Vec<&'static str> {
        ids(r)
            .into_iter()
            .filter(|id| id.starts_with("WEB-"))
            .collect()
    }

    #[test]
    fn stapling_is_judged_only_when_the_leaf_names_an_ocsp_responder() {
        use crate::judge::tests::{Revocable, issued};
        let tls13 = v(TlsVersion::Tls13, &["TLS_AES_256_GCM_SHA384"]);
        let mut r = report(Service::Https, vec![tls13]);
        r.hsts = Some("max-age=31536000; includeSubDomains; preload".into());
        r.ocsp_stapled = Some(false);
        let with_responder = Revocable {
            ocsp: true,
            ..Revocable::default()
        };
        r.chain = vec![issued(45 * Timestamp::DAY, with_responder).der];
        assert_eq!(web(&r), ["WEB-OCSP-STAPLING-OFF"]);
        // A Let's Encrypt-style leaf: CRL only, nothing to staple.
        let crl_only = Revocable {
            crl: true,
            ..Revocable::default()
        };
        r.chain = vec![issued(45 * Timestamp::DAY, crl_only).der];
        assert_eq!(web(&r), Vec::<&str>::new());
    }

    #[test]
    fn tls13_without_an_ml_kem_group_is_said_at_the_policy_severity() {
        let tls13 = v(TlsVersion::Tls13, &["TLS_AES_256_GCM_SHA384"]);
        let mut r = report(Service::Tls, vec![tls13]);
        r.groups = vec!["x25519".into(), "secp256r1".into()];
        let found = probe(&r, &[], &Policy::default(), Timestamp::from_unix(0));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TLS-NO-POST-QUANTUM");
        assert_eq!(found[0].severity, crate::rules::Severity::Info);
        let mut strict = Policy::default();
        strict.tls.post_quantum_missing = crate::rules::Severity::Warning;
        let found = probe(&r, &[], &strict, Timestamp::from_unix(0));
        assert_eq!(found[0].severity, crate::rules::Severity::Warning);
        // Any ML-KEM group, hybrid or pure, is enough.
        for pq in ["X25519MLKEM768", "SecP384r1MLKEM1024", "MLKEM1024"] {
            r.groups = vec!["x25519".into(), pq.into()];
            assert!(ids(&r).is_empty(), "{pq}");
        }
        // TLS 1.2 only: the ML-KEM groups are TLS 1.3's; nothing to say.
        let mut old = report(Service::Tls, vec![v(TlsVersion::Tls12, &[])]);
        old.groups = vec!["x25519".into()];
        assert!(!ids(&old).contains(&"TLS-NO-POST-QUANTUM"));
    }

    #[test]
    fn https_needs_hsts_and_stapling() {
        let tls13 = v(TlsVersion::Tls13, &["TLS_AES_256_GCM_SHA384"]);
        let mut r = report(Service::Https, vec![tls13]);
        r.ocsp_stapled = Some(false);
        // No chain, so no responder to staple from: HSTS alone.
        assert_eq!(ids(&r), vec!["WEB-HSTS-MISSING"]);
        r.hsts = Some("max-age=600".into());
        r.ocsp_stapled = Some(true);
        assert_eq!(ids(&r), vec!["WEB-HSTS-WEAK"]);
        r.hsts = Some("max-age=31536000; includeSubDomains; preload".into());
        assert!(ids(&r).is_empty());
    }

    #[test]
    fn the_fips_profile_refuses_chacha20_and_x25519_alone() {
        let fips = Policy::profile("fips").unwrap();
        let judge = |groups: &[&str], suites: &[&str]| {
            let mut r = report(Service::Tls, vec![v(TlsVersion::Tls13, suites)]);
            r.groups = groups.iter().map(|g| (*g).to_owned()).collect();
            let mut ids: Vec<_> = probe(&r, &[], &fips, Timestamp::from_unix(0))
                .into_iter()
                .map(|f| (f.rule, f.evidence))
                .collect();
            ids.sort();
            ids
        };
        let ok = judge(
            &["X25519MLKEM768", "secp256r1"],
            &["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"],
        );
        assert!(ok.is_empty(), "{ok:?}");
        let bad = judge(
            &["X25519MLKEM768", "x25519"],
            &["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"],
        );
        let rules: Vec<&str> = bad.iter().map(|(r, _)| *r).collect();
        assert_eq!(
            rules,
            ["TLS-GROUP-NOT-ALLOWED", "TLS-SUITE-NOT-ALLOWED"],
            "{bad:?}"
        );
        assert!(bad[0].1.contains("x25519") && !bad[0].1.contains("accepts X25519MLKEM768"));
        // The default policy allows any group.
        let mut r = report(
            Service::Tls,
            vec![v(TlsVersion::Tls13, &["TLS_AES_128_GCM_SHA256"])],
        );
        r.groups = vec!["x25519".into(), "X25519MLKEM768".into()];
        assert!(ids(&r).is_empty());
    }

    #[test]
    fn tls12_without_the_extended_master_secret_is_reported() {
        let mut tls12 = v(
            TlsVersion::Tls12,
            &["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
        );
        tls12.extended_master_secret = Some(false);
        let r = report(Service::Postgres, vec![tls12.clone()]);
        assert_eq!(ids(&r), ["TLS-NO-EMS"]);
        let found = probe(&r, &[], &Policy::default(), Timestamp::from_unix(0));
        assert!(
            found[0].evidence.starts_with("TLS 1.2 completes without"),
            "{found:?}"
        );
        // Echoed, or not known: nothing to say.
        for ems in [Some(true), None] {
            tls12.extended_master_secret = ems;
            assert!(ids(&report(Service::Postgres, vec![tls12.clone()])).is_empty());
        }
        // A policy that does not ask for it.
        tls12.extended_master_secret = Some(false);
        let mut lax = Policy::default();
        lax.tls.extended_master_secret = false;
        assert!(
            probe(
                &report(Service::Postgres, vec![tls12]),
                &[],
                &lax,
                Timestamp::from_unix(0)
            )
            .is_empty()
        );
    }
}
