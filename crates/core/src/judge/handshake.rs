//! Judging a handshake record under the policy: version minimum for its segment, the TLS 1.3
//! suite allow-list, broken/CBC/non-forward-secret suites, client certificates on mTLS, the
//! peer chain (path validation and host name against the given anchors) and pins.

use crate::chain::{self, Options, PeerName, Purpose, TrustAnchor};
use crate::decode::Decoded;
use crate::handshake::{HandshakeRecord, Outcome, Segment};
use crate::policy::Policy;
use crate::protocol::{TlsVersion, suite_traits};
use crate::report::{Finding, Location};
use crate::timestamp::Timestamp;

/// Every finding for `record`. Refused handshakes are the defence working and raise none.
pub fn handshake(
    record: &HandshakeRecord,
    anchors: &[TrustAnchor],
    policy: &Policy,
    now: Timestamp,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if record.outcome != Outcome::Accepted {
        return out;
    }
    let at = || Location::Endpoint {
        endpoint: record.endpoint.clone(),
    };
    let (min, segment) = match record.segment {
        Segment::Client => (policy.tls.client_min_version, "client"),
        Segment::Mtls => (policy.tls.mtls_min_version, "mTLS"),
        Segment::Database => (policy.tls.database_min_version, "database"),
    };
    if let Some(v) = record.version.filter(|v| *v < min) {
        out.push(Finding::new(
            crate::rule!("TLS-VERSION-MIN"),
            format!("negotiated {v} on a {segment} connection; the policy requires at least {min}"),
            at(),
        ));
    }
    if let Some(suite) = &record.suite {
        out.extend(suite_findings(suite, record.version, policy, at()));
    }
    if let Some(group) = &record.group {
        out.extend(super::probe::groups_allowed(
            std::slice::from_ref(group),
            policy,
            at(),
        ));
    }
    if policy.tls.fips_module && !record.fips && record.segment != Segment::Database {
        out.push(Finding::new(
            crate::rule!("TLS-NOT-FIPS"),
            format!(
                "the {segment} handshake{} was not made by a FIPS 140-3 module in FIPS mode with approved algorithms only",
                record
                    .suite
                    .as_ref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
            at(),
        ));
    }
    if record.segment == Segment::Mtls && !record.client_certificate {
        out.push(Finding::new(
            crate::rule!("TLS-MTLS-NO-CLIENT-CERT"),
            "the handshake completed without a client certificate".into(),
            at(),
        ));
    }
    if !record.peer_chain.is_empty() {
        let purpose = if record.segment == Segment::Mtls && record.client_certificate {
            Purpose::ClientAuth
        } else {
            Purpose::ServerAuth
        };
        out.extend(peer_chain_findings(
            &record.peer_chain,
            record.server_name.as_deref(),
            purpose,
            anchors,
            policy,
            now,
            at(),
        ));
    }
    out
}

/// Path validation (and host name) of a peer's chain, then its pins.
pub fn peer_chain_findings(
    chain: &[Vec<u8>],
    server_name: Option<&str>,
    purpose: Purpose,
    anchors: &[TrustAnchor],
    policy: &Policy,
    now: Timestamp,
    at: Location,
) -> Vec<Finding> {
    let options = Options {
        now,
        purpose,
        peer_names: server_name.iter().map(|h| PeerName::host(h)).collect(),
        ..Options::default()
    };
    let mut out = chain::validate(chain, 0, anchors, &options).problems;
    if let Some(host) = server_name {
        out.extend(pins(host, chain, policy, at));
    }
    out
}

/// Findings for one negotiated or configured suite.
pub fn suite_findings(
    suite: &str,
    version: Option<TlsVersion>,
    policy: &Policy,
    at: Location,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let traits = suite_traits(suite);
    let tls13 = version == Some(TlsVersion::Tls13)
        || suite.starts_with("TLS_AES_")
        || suite.starts_with("TLS_CHACHA20_");
    if tls13 {
        if !policy
            .tls
            .suites
            .iter()
            .any(|s| s.eq_ignore_ascii_case(suite))
        {
            out.push(Finding::new(
                crate::rule!("TLS-SUITE-NOT-ALLOWED"),
                format!("{suite} is not one of {}", policy.tls.suites.join(", ")),
                at,
            ));
        }
        return out;
    }
    if traits.broken {
        out.push(Finding::new(
            crate::rule!("TLS-SUITE-WEAK"),
            format!("{suite} is enabled"),
            at.clone(),
        ));
    } else if !traits.forward_secrecy {
        out.push(Finding::new(
            crate::rule!("TLS-NO-FORWARD-SECRECY"),
            format!("{suite} uses static RSA key exchange"),
            at.clone(),
        ));
    }
    if !traits.aead && !traits.broken {
        out.push(Finding::new(
            crate::rule!("TLS-SUITE-CBC"),
            format!("{suite} is a CBC suite"),
            at.clone(),
        ));
    }
    // A TLS 1.2 allow-list (the fips profile's): said once, for a suite no rule above caught
    // (ChaCha20, CCM, DHE), so a broken suite is not reported twice.
    let allowed = &policy.tls.tls12_suites;
    let canonical = |name: &str| {
        crate::protocol::suite_by_name(name)
            .map_or_else(|| name.to_ascii_uppercase(), |s| s.iana.to_owned())
    };
    if out.is_empty()
        && !allowed.is_empty()
        && !allowed.iter().any(|a| canonical(a) == canonical(suite))
    {
        out.push(Finding::new(
            crate::rule!("TLS-SUITE-NOT-ALLOWED"),
            format!(
                "{suite} is not one of the policy's TLS 1.2 suites ({})",
                allowed.join(", ")
            ),
            at,
        ));
    }
    out
}

/// PIN-MISMATCH when `host` has pins and no certificate of the chain matches any.
fn pins(host: &str, chain: &[Vec<u8>], policy: &Policy, at: Location) -> Option<Finding> {
    let pins = policy.pins.get(host)?;
    let certs: Vec<_> = chain
        .iter()
        .filter_map(|der| crate::decode(der).ok())
        .flat_map(|d: Decoded| d.certificates().cloned().collect::<Vec<_>>())
        .collect();
    let matched = certs
        .iter()
        .any(|c| pins.iter().any(|p| crate::pin::matches(c, p)));
    (!matched).then(|| {
        Finding::new(
            crate::rule!("PIN-MISMATCH"),
            format!(
                "{host} presented {} certificate(s); none matches its {} pin(s)",
                certs.len(),
                pins.len()
            ),
            at,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(segment: Segment, version: TlsVersion, suite: &str) -> HandshakeRecord {
        HandshakeRecord {
            endpoint: "127.0.0.1:8443".into(),
            server_name: None,
            segment,
            at: Timestamp::from_unix(0),
            version: Some(version),
            suite: Some(suite.into()),
            group: Some("x25519".into()),
            alpn: None,
            client_certificate: segment == Segment::Mtls,
            peer_identity: None,
            peer_chain: Vec::new(),
            resumed: false,
            fips: false,
            latency_micros: 900,
            outcome: Outcome::Accepted,
        }
    }

    fn ids(r: &HandshakeRecord) -> Vec<&'static str> {
        handshake(r, &[], &Policy::default(), Timestamp::from_unix(0))
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn the_specification_handshake_is_clean() {
        let r = record(Segment::Client, TlsVersion::Tls13, "TLS_AES_256_GCM_SHA384");
        assert!(ids(&r).is_empty());
        let r = record(
            Segment::Mtls,
            TlsVersion::Tls13,
            "TLS_CHACHA20_POLY1305_SHA256",
        );
        assert!(ids(&r).is_empty());
        let r = record(
            Segment::Database,
            TlsVersion::Tls12,
            "ECDHE-RSA-AES256-GCM-SHA384",
        );
        assert!(ids(&r).is_empty());
    }

    #[test]
    fn versions_suites_and_client_certificates() {
        let r = record(
            Segment::Client,
            TlsVersion::Tls12,
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        );
        assert_eq!(ids(&r), ["TLS-VERSION-MIN", "TLS-SUITE-CBC"]);
        let r = record(Segment::Client, TlsVersion::Tls13, "TLS_AES_128_CCM_SHA256");
        assert_eq!(ids(&r), ["TLS-SUITE-NOT-ALLOWED"]);
        let r = record(
            Segment::Database,
            TlsVersion::Tls12,
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
        );
        assert_eq!(ids(&r), ["TLS-NO-FORWARD-SECRECY"]);
        let r = record(
            Segment::Database,
            TlsVersion::Tls12,
            "TLS_RSA_WITH_RC4_128_SHA",
        );
        assert_eq!(ids(&r), ["TLS-SUITE-WEAK"]);
        let mut r = record(Segment::Mtls, TlsVersion::Tls13, "TLS_AES_128_GCM_SHA256");
        r.client_certificate = false;
        assert_eq!(ids(&r), ["TLS-MTLS-NO-CLIENT-CERT"]);
        r.outcome = Outcome::refused(
            crate::handshake::Refusal::NoClientCertificate,
            "no client certificate",
        );
        assert!(ids(&r).is_empty());
    }

    #[test]
    fn the_fips_profile_wants_a_fips_module_fips_groups_and_no_tls12_chacha20() {
        let fips = Policy::fips();
        let judge = |r: &HandshakeRecord| -> Vec<&'static str> {
            handshake(r, &[], &fips, Timestamp::from_unix(0))
                .into_iter()
                .map(|f| f.rule)
                .collect()
        };
        let mut r = record(Segment::Mtls, TlsVersion::Tls13, "TLS_AES_256_GCM_SHA384");
        r.group = Some("secp256r1".into());
        // rustls said the connection was not FIPS-approved: the module is not in FIPS mode.
        assert_eq!(judge(&r), ["TLS-NOT-FIPS"]);
        r.fips = true;
        assert!(judge(&r).is_empty());
        // X25519 alone is not a FIPS group; the hybrid is.
        r.group = Some("x25519".into());
        assert_eq!(judge(&r), ["TLS-GROUP-NOT-ALLOWED"]);
        r.group = Some("X25519MLKEM768".into());
        assert!(judge(&r).is_empty());
        // A database connection is not the agent's own TLS: no module to ask.
        let mut db = record(
            Segment::Database,
            TlsVersion::Tls12,
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        );
        db.group = Some("secp384r1".into());
        assert_eq!(judge(&db), ["TLS-SUITE-NOT-ALLOWED"]);
        db.suite = Some("ECDHE-RSA-AES128-GCM-SHA256".into());
        assert!(
            judge(&db).is_empty(),
            "the OpenSSL name of an allowed suite"
        );
        // A broken suite is reported as broken, once.
        db.suite = Some("TLS_RSA_WITH_RC4_128_SHA".into());
        assert_eq!(judge(&db), ["TLS-SUITE-WEAK"]);
        // The default policy asks none of this.
        assert!(
            ids(&record(
                Segment::Mtls,
                TlsVersion::Tls13,
                "TLS_AES_256_GCM_SHA384"
            ))
            .is_empty()
        );
    }
}
