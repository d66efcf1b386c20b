//! Judging what DNS publishes against what the server serves: CAA against the leaf's issuer
//! (by the policy's CAA domains), TLSA against the served chain (trusted only when
//! DNSSEC-validated, RFC 6698 §4.1), key pins that the next rotation will break, ECH
//! configurations that do not decode, and HTTPS-record ALPN the server does not speak.

use crate::certificate::{Certificate, SubjectAltName};
use crate::dns::{Authorisation, DnsReport, Proof, authorises};
use crate::policy::Policy;
use crate::report::{Finding, Location};

/// What the endpoint served, for judging its DNS records against.
pub struct Served<'a> {
    /// The name probed.
    pub host: &'a str,
    /// The served leaf, decoded.
    pub leaf: Option<&'a Certificate>,
    /// The served chain, DER, leaf first.
    pub chain: &'a [Vec<u8>],
    /// The protocol the server chose when offered h2 and http/1.1.
    pub alpn: Option<&'a str>,
    /// The HTTP/3 (QUIC) probe, when one ran.
    pub quic: Option<&'a crate::quic::QuicReport>,
}

/// Every DNS finding for one probed endpoint.
pub fn dns(
    report: &DnsReport,
    served: &Served<'_>,
    policy: &Policy,
    at: &Location,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |rule, message: String| out.push(Finding::new(rule, message, at.clone()));
    for set in [&report.caa, &report.tlsa, &report.https]
        .into_iter()
        .flatten()
    {
        if set.proof == Proof::Bogus {
            push(
                crate::rule!("DNS-DNSSEC-BOGUS"),
                format!(
                    "the answer for {} is signed but does not validate: a resolver that validates returns SERVFAIL for it",
                    set.name
                ),
            );
        }
    }
    let undecodable = report
        .caa_records()
        .into_iter()
        .filter_map(Result::err)
        .chain(report.tlsa_records().into_iter().filter_map(Result::err))
        .chain(report.https_records().into_iter().filter_map(Result::err));
    for e in undecodable {
        push(crate::rule!("DNS-RECORD-UNDECODABLE"), e.to_string());
    }
    if let Some(leaf) = served.leaf {
        caa(report, served.host, leaf, policy, &mut push);
    }
    tlsa(report, served.chain, policy, &mut push);
    https(report, served.alpn, served.quic, &mut push);
    ech(report, &mut push);
    out
}

fn caa(
    report: &DnsReport,
    host: &str,
    leaf: &Certificate,
    policy: &Policy,
    push: &mut impl FnMut(crate::rules::RuleId, String),
) {
    let Some(set) = &report.caa else { return };
    let records: Vec<_> = report
        .caa_records()
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let issuer_names: Vec<&str> = leaf
        .issuer
        .attributes
        .iter()
        .filter(|a| a.key == "O" || a.key == "CN")
        .map(|a| a.value.as_str())
        .collect();
    let Some(domain) = policy.dns.caa_domain(issuer_names.iter().copied()) else {
        return;
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let exact = leaf.subject_alt_names.iter().any(
        |n| matches!(n, SubjectAltName::Dns(d) if d.trim_end_matches('.').eq_ignore_ascii_case(&host)),
    );
    let wildcard = !exact
        && leaf.subject_alt_names.iter().any(
            |n| matches!(n, SubjectAltName::Dns(d) if d.starts_with("*.") && crate::chain::dns_matches(d, &host)),
        );
    let issuer = leaf.issuer.rfc4514.as_str();
    let kind = if wildcard { "issuewild" } else { "issue" };
    match authorises(&records, domain, wildcard) {
        Authorisation::Allowed | Authorisation::Unrestricted => {}
        Authorisation::Forbidden(allowed) => push(
            crate::rule!("DNS-CAA-FORBIDS-ISSUER"),
            format!(
                "CAA at {} allows {} for {kind}; the served certificate is from {issuer} ({domain}), so its renewal will be refused",
                set.name,
                if allowed.is_empty() {
                    "no CA (\";\")".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        ),
        Authorisation::UnknownCritical(tag) => push(
            crate::rule!("DNS-CAA-FORBIDS-ISSUER"),
            format!(
                "CAA at {} has an issuer-critical property {tag:?} that CAs do not understand, so none may issue (RFC 8659 §4.1); the served certificate is from {issuer} ({domain})",
                set.name
            ),
        ),
    }
}

fn tlsa(
    report: &DnsReport,
    chain: &[Vec<u8>],
    policy: &Policy,
    push: &mut impl FnMut(crate::rules::RuleId, String),
) {
    let Some(set) = &report.tlsa else { return };
    let records: Vec<_> = report
        .tlsa_records()
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    if records.is_empty() {
        return;
    }
    if set.proof != Proof::Secure {
        push(
            crate::rule!("DNS-TLSA-NOT-VALIDATED"),
            format!(
                "{} has {} TLSA record(s), but the answer is {}: DANE clients must ignore TLSA records that are not DNSSEC-validated",
                set.name,
                records.len(),
                set.proof.label()
            ),
        );
    }
    if chain.is_empty() {
        return;
    }
    let matched: Vec<_> = records
        .iter()
        .filter(|r| r.matches(chain).is_some())
        .collect();
    if matched.is_empty() {
        let shown: Vec<String> = records
            .iter()
            .map(|r| format!("{} {}…", r.parameters(), &r.data[..r.data.len().min(16)]))
            .collect();
        push(
            crate::rule!("DNS-TLSA-MISMATCH"),
            format!(
                "no TLSA record at {} matches the served chain ({}): DANE clients refuse the connection",
                set.name,
                shown.join("; ")
            ),
        );
        return;
    }
    // Only end-entity pins, every one of them the current certificate: the next rotation
    // replaces what they pin and nothing pre-published covers the new one.
    let only_leaf_pins = records.iter().all(|r| r.pins_leaf());
    let spare = records.iter().any(|r| r.matches(chain).is_none());
    if only_leaf_pins && !spare {
        let what = if matched.iter().all(|r| r.selector == 1) {
            "key"
        } else {
            "certificate"
        };
        push(
            crate::rule!("DNS-TLSA-ROLLOVER"),
            format!(
                "every TLSA record at {} pins the current {what} ({}), and the rotation policy replaces it every {} days: publish the next {what}'s record one TTL before the rollover (RFC 7671 §8.1), or pin the issuing CA with usage 2",
                set.name,
                matched
                    .iter()
                    .map(|r| r.parameters())
                    .collect::<Vec<_>>()
                    .join(", "),
                policy.rotation.leaf_days
            ),
        );
    }
}

fn https(
    report: &DnsReport,
    alpn: Option<&str>,
    quic: Option<&crate::quic::QuicReport>,
    push: &mut impl FnMut(crate::rules::RuleId, String),
) {
    let Some(set) = &report.https else { return };
    for record in report.https_records().into_iter().filter_map(Result::ok) {
        if let Some(ech) = &record.ech {
            if let Some(e) = &ech.error {
                push(
                    crate::rule!("DNS-ECH-UNDECODABLE"),
                    format!("the ech parameter of the HTTPS record at {}: {e}", set.name),
                );
            } else if !ech.usable() {
                let versions: Vec<String> = ech
                    .configs
                    .iter()
                    .map(|c| format!("{:#06x}", c.version))
                    .collect();
                push(
                    crate::rule!("DNS-ECH-UNDECODABLE"),
                    format!(
                        "the HTTPS record at {} has ECH configs of version {} only; clients understand {:#06x} (RFC 9849) and will connect without ECH",
                        set.name,
                        versions.join(", "),
                        crate::dns::ECH_VERSION
                    ),
                );
            }
        }
        // The probe offers h2 and http/1.1: a record that advertises h2 to a server that
        // chooses http/1.1 (or nothing) sends HTTP/2 clients to a server that refuses them.
        if record.priority != 0 && record.alpn.iter().any(|a| a == "h2") && alpn != Some("h2") {
            push(
                crate::rule!("DNS-HTTPS-ALPN-MISMATCH"),
                format!(
                    "the HTTPS record at {} advertises ALPN {}, but offered h2 and http/1.1 the server chose {}",
                    set.name,
                    record.alpn.join(","),
                    alpn.unwrap_or("no protocol")
                ),
            );
        }
        // h3 sends clients to QUIC: the probe tried it (on the record's port) and failed.
        if record.priority != 0
            && record.alpn.iter().any(|a| a == "h3")
            && let Some(e) = quic.and_then(|q| q.error.as_deref())
        {
            push(
                crate::rule!("DNS-HTTPS-ALPN-MISMATCH"),
                format!(
                    "the HTTPS record at {} advertises h3, but HTTP/3 over QUIC failed: {e}",
                    set.name
                ),
            );
        }
    }
}

fn ech(report: &DnsReport, push: &mut impl FnMut(crate::rules::RuleId, String)) {
    use crate::dns::EchStatus;
    let Some(probe) = &report.ech else { return };
    let public = probe.public_name.as_deref().unwrap_or("the public name");
    if probe.status == EchStatus::Rejected {
        push(
            crate::rule!("DNS-ECH-REJECTED"),
            format!(
                "offered ECH with the HTTPS record's config (public name {public}), the server answered the outer ClientHello{}",
                probe
                    .detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
        );
    }
    if probe.status != EchStatus::NotOffered
        && let Some(name) = &probe.public_name
    {
        let leaf = probe
            .outer_chain
            .first()
            .and_then(|d| crate::decode(d).ok())
            .and_then(|d| d.certificates().next().cloned());
        let covered = leaf.as_ref().is_some_and(|l| {
            l.subject_alt_names
                .iter()
                .any(|n| matches!(n, SubjectAltName::Dns(d) if crate::chain::dns_matches(d, name)))
        });
        if !covered && probe.status == EchStatus::Rejected {
            push(
                crate::rule!("DNS-ECH-PUBLIC-NAME-CERT"),
                format!(
                    "the certificate served to the outer ClientHello ({}) is not valid for the ECH public name {name}, so clients cannot authenticate the server's retry configs",
                    leaf.map_or_else(|| "none".to_owned(), |l| l.display_name())
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::dns::{RecordSet, encode_ech_list};
    use crate::policy::Policy;

    /// A CA named `org` and a leaf for `sans` it issued; (leaf, chain DER).
    fn served(org: &str, sans: &[&str]) -> (Certificate, Vec<Vec<u8>>) {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::OrganizationName, org);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, format!("{org} CA"));
        let issuer_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let leaf = params.signed_by(&key, &issuer).unwrap();
        let chain = vec![leaf.der().to_vec(), issuer_cert.der().to_vec()];
        let decoded = crate::decode(&chain[0]).unwrap();
        (decoded.certificates().next().unwrap().clone(), chain)
    }

    fn caa(tag: &str, value: &str) -> Vec<u8> {
        let mut v = vec![0, tag.len() as u8];
        v.extend_from_slice(tag.as_bytes());
        v.extend_from_slice(value.as_bytes());
        v
    }

    fn set(name: &str, proof: Proof, rdata: Vec<Vec<u8>>) -> Option<RecordSet> {
        Some(RecordSet {
            name: name.into(),
            proof,
            rdata,
        })
    }

    fn report() -> DnsReport {
        DnsReport {
            resolver: "127.0.0.1:53".into(),
            validating: true,
            caa_walk: vec![],
            caa: None,
            tlsa: None,
            https: None,
            errors: vec![],
            ech: None,
            lookup_micros: 0,
        }
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule).collect()
    }

    fn judge(
        r: &DnsReport,
        host: &str,
        leaf: &Certificate,
        chain: &[Vec<u8>],
        alpn: Option<&str>,
        policy: &Policy,
    ) -> Vec<Finding> {
        let at = Location::Endpoint {
            endpoint: host.into(),
        };
        let served = Served {
            host,
            leaf: Some(leaf),
            chain,
            alpn,
            quic: None,
        };
        dns(r, &served, policy, &at)
    }

    #[test]
    fn caa_names_the_ca_that_may_issue() {
        let (leaf, chain) = served("Let's Encrypt", &["www.example.com"]);
        let policy = Policy::default();
        let mut r = report();
        r.caa = set(
            "example.com.",
            Proof::Secure,
            vec![caa("issue", "letsencrypt.org")],
        );
        assert!(judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy).is_empty());
        r.caa = set(
            "example.com.",
            Proof::Secure,
            vec![caa("issue", "digicert.com; accounturi=x")],
        );
        let f = judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy);
        assert_eq!(ids(&f), ["DNS-CAA-FORBIDS-ISSUER"]);
        assert!(
            f[0].evidence.contains("digicert.com") && f[0].evidence.contains("letsencrypt.org"),
            "{}",
            f[0].evidence
        );
        // An internal CA is judged once the policy maps it; unmapped, it is not guessed at.
        let (leaf, chain) = served("tlscope", &["www.example.com"]);
        assert!(judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy).is_empty());
        let mut mapped = policy.clone();
        mapped
            .dns
            .caa_issuers
            .insert("ca.tlscope.test".into(), vec!["tlscope".into()]);
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &mapped
            )),
            ["DNS-CAA-FORBIDS-ISSUER"]
        );
    }

    #[test]
    fn a_wildcard_certificate_is_judged_by_issuewild() {
        let (leaf, chain) = served("Let's Encrypt", &["*.example.com"]);
        let mut r = report();
        r.caa = set(
            "example.com.",
            Proof::Secure,
            vec![caa("issue", "letsencrypt.org"), caa("issuewild", ";")],
        );
        let f = judge(
            &r,
            "www.example.com",
            &leaf,
            &chain,
            Some("h2"),
            &Policy::default(),
        );
        assert_eq!(ids(&f), ["DNS-CAA-FORBIDS-ISSUER"]);
        assert!(f[0].evidence.contains("issuewild"), "{}", f[0].evidence);
    }

    fn tlsa_for(usage: u8, selector: u8, der: &[u8]) -> Vec<u8> {
        let selected = if selector == 1 {
            crate::certificate::spki_der(der).unwrap()
        } else {
            der.to_vec()
        };
        let mut v = vec![usage, selector, 1];
        v.extend_from_slice(&Sha256::digest(&selected));
        v
    }

    #[test]
    fn tlsa_matching_mismatching_unvalidated_and_rollover() {
        let (leaf, chain) = served("tlscope", &["www.example.com"]);
        let (_, other) = served("tlscope", &["www.example.com"]);
        let policy = Policy::default();
        let name = "_443._tcp.www.example.com.";
        let mut r = report();
        // 3 1 1 for the served key alone: matches, but the next rotation breaks it.
        r.tlsa = set(name, Proof::Secure, vec![tlsa_for(3, 1, &chain[0])]);
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &policy
            )),
            ["DNS-TLSA-ROLLOVER"]
        );
        // With the next key pre-published beside it: nothing to say.
        r.tlsa = set(
            name,
            Proof::Secure,
            vec![tlsa_for(3, 1, &chain[0]), tlsa_for(3, 1, &other[0])],
        );
        assert!(judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy).is_empty());
        // Pinning the issuing CA survives leaf rotation.
        r.tlsa = set(name, Proof::Secure, vec![tlsa_for(2, 1, &chain[1])]);
        assert!(judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy).is_empty());
        // Only another server's key: a mismatch.
        r.tlsa = set(name, Proof::Secure, vec![tlsa_for(3, 1, &other[0])]);
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &policy
            )),
            ["DNS-TLSA-MISMATCH"]
        );
        // Unsigned: said, whether or not it matches.
        r.tlsa = set(name, Proof::Insecure, vec![tlsa_for(2, 1, &chain[1])]);
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &policy
            )),
            ["DNS-TLSA-NOT-VALIDATED"]
        );
        r.tlsa = set(name, Proof::Bogus, vec![tlsa_for(2, 1, &chain[1])]);
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &policy
            )),
            ["DNS-DNSSEC-BOGUS", "DNS-TLSA-NOT-VALIDATED"]
        );
    }

    fn https_rdata(alpn: &[&str], ech: Option<Vec<u8>>) -> Vec<u8> {
        let mut v = vec![0, 1, 0];
        let mut ids = Vec::new();
        for a in alpn {
            ids.push(a.len() as u8);
            ids.extend_from_slice(a.as_bytes());
        }
        v.extend_from_slice(&1u16.to_be_bytes());
        v.extend_from_slice(&(ids.len() as u16).to_be_bytes());
        v.extend_from_slice(&ids);
        if let Some(e) = ech {
            v.extend_from_slice(&5u16.to_be_bytes());
            v.extend_from_slice(&(e.len() as u16).to_be_bytes());
            v.extend_from_slice(&e);
        }
        v
    }

    #[test]
    fn https_alpn_and_ech() {
        let (leaf, chain) = served("tlscope", &["www.example.com"]);
        let policy = Policy::default();
        let mut r = report();
        let good = encode_ech_list(1, 0x0020, &[7u8; 32], "public.example.com");
        r.https = set(
            "www.example.com.",
            Proof::Secure,
            vec![https_rdata(&["h2", "http/1.1"], Some(good.clone()))],
        );
        assert!(judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy).is_empty());
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("http/1.1"),
                &policy
            )),
            ["DNS-HTTPS-ALPN-MISMATCH"]
        );
        let mut broken = good;
        broken.truncate(20);
        r.https = set(
            "www.example.com.",
            Proof::Secure,
            vec![https_rdata(&["h2"], Some(broken))],
        );
        let f = judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy);
        assert_eq!(ids(&f), ["DNS-ECH-UNDECODABLE"]);
        assert!(f[0].evidence.contains("byte"), "{}", f[0].evidence);
        r.https = set("www.example.com.", Proof::Secure, vec![vec![0, 1]]);
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &policy
            )),
            ["DNS-RECORD-UNDECODABLE"]
        );
    }

    #[test]
    fn ech_rejected_and_the_public_names_certificate() {
        use crate::dns::{EchProbe, EchStatus};
        let (leaf, chain) = served("tlscope", &["www.example.com"]);
        let (_, public_chain) = served("tlscope", &["public.example.com"]);
        let policy = Policy::default();
        let mut r = report();
        let probe = |status, outer: &[Vec<u8>]| EchProbe {
            public_name: Some("public.example.com".into()),
            status,
            detail: None,
            outer_chain: outer.to_vec(),
        };
        r.ech = Some(probe(EchStatus::Accepted, &[]));
        assert!(judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy).is_empty());
        r.ech = Some(probe(EchStatus::Rejected, &public_chain));
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &policy
            )),
            ["DNS-ECH-REJECTED"]
        );
        r.ech = Some(probe(EchStatus::Rejected, &chain));
        assert_eq!(
            ids(&judge(
                &r,
                "www.example.com",
                &leaf,
                &chain,
                Some("h2"),
                &policy
            )),
            ["DNS-ECH-REJECTED", "DNS-ECH-PUBLIC-NAME-CERT"]
        );
        r.ech = Some(probe(EchStatus::NotOffered, &[]));
        assert!(judge(&r, "www.example.com", &leaf, &chain, Some("h2"), &policy).is_empty());
    }
}
