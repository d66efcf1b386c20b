//! Kubernetes manifests (YAML, any number of documents): Istio `PeerAuthentication` (mTLS
//! mode STRICT) and `DestinationRule` (tls.mode ISTIO_MUTUAL or MUTUAL, including port-level
//! and subset policies), cert-manager `Certificate` (duration, renewBefore, private key) and
//! `Issuer`/`ClusterIssuer` (no skipped TLS verification). The YAML is read as a
//! tree that keeps every node's line ([`super::yaml`]).

use super::yaml::Node;
use super::{ConfigError, Kind, at};
use crate::policy::Policy;
use crate::report::Finding;
use crate::timestamp::Timestamp;

/// Judges every document of a manifest.
/// ACME directories of publicly-trusted CAs: certificates from an issuer using one are bound by
/// the CA/Browser Forum's maximum validity whatever the policy profile.
const PUBLIC_ACME: &[&str] = &[
    "acme-v02.api.letsencrypt.org",
    "acme-staging-v02.api.letsencrypt.org",
    "acme.zerossl.com",
    "dv.acme-v02.api.pki.goog",
    "acme.ssl.com",
    "acme.digicert.com",
    "acme.sectigo.com",
    "acme.buypass.com",
];

/// The names of Issuers and ClusterIssuers whose ACME server is a public CA.
fn public_acme_issuers(docs: &[&Node]) -> Vec<String> {
    docs.iter()
        .filter(|d| {
            matches!(
                d.get("kind").and_then(Node::text),
                Some("Issuer" | "ClusterIssuer")
            )
        })
        .filter(|d| {
            d.path("spec.acme.server")
                .and_then(Node::text)
                .and_then(|url| url.split("://").nth(1))
                .and_then(|rest| rest.split(['/', ':']).next())
                .is_some_and(|host| PUBLIC_ACME.contains(&host))
        })
        .filter_map(|d| d.path("metadata.name").and_then(Node::text))
        .map(str::to_owned)
        .collect()
}

pub(super) fn lint(
    text: &str,
    policy: &Policy,
    now: Timestamp,
) -> Result<Vec<Finding>, ConfigError> {
    let mut out = Vec::new();
    let parsed = super::yaml::parse(text, Kind::Kubernetes)?;
    // A `List` (kubectl get -o yaml) holds documents in `items`.
    let docs: Vec<&Node> = parsed
        .iter()
        .flat_map(|doc| {
            if doc.get("kind").and_then(Node::text) == Some("List") {
                doc.get("items")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .collect()
            } else {
                vec![doc]
            }
        })
        .collect();
    let public = public_acme_issuers(&docs);
    for d in docs {
        let kind = d.get("kind").and_then(Node::text).unwrap_or_default();
        let name = d
            .path("metadata.name")
            .and_then(Node::text)
            .unwrap_or("(unnamed)");
        let what = format!("{kind} {name}");
        match kind {
            "PeerAuthentication" => peer_authentication(d, &what, &mut out),
            "DestinationRule" => destination_rule(d, &what, &mut out),
            "Certificate" => certificate(d, &what, policy, now, &public, &mut out),
            "Issuer" | "ClusterIssuer" => issuer(d, &what, &mut out),
            _ => {}
        }
    }

    Ok(out)
}

fn peer_authentication(d: &Node, what: &str, out: &mut Vec<Finding>) {
    let mode = d.path("spec.mtls.mode");
    match mode.and_then(Node::text) {
        Some("STRICT") => {}
        Some(other) => out.push(at(
            crate::rule!("MESH-PEER-AUTH-NOT-STRICT"),
            format!("{what}: spec.mtls.mode {other} accepts plaintext"),
            mode.map_or(d.line(), Node::line),
            "spec.mtls.mode",
        )),
        None => out.push(at(
            crate::rule!("MESH-PEER-AUTH-NOT-STRICT"),
            format!("{what}: no spec.mtls.mode (inherits the mesh default, PERMISSIVE unless set)"),
            d.get("spec").map_or(d.line(), Node::line),
            "spec.mtls.mode",
        )),
    }
    if let Some(Node::Map(ports, _)) = d.path("spec.portLevelMtls") {
        for (port, setting) in ports {
            if let Some(m) = setting.get("mode").filter(|m| m.text() != Some("STRICT")) {
                out.push(at(
                    crate::rule!("MESH-PEER-AUTH-NOT-STRICT"),
                    format!("{what}: port {port} mode {}", m.text().unwrap_or("?")),
                    m.line(),
                    "spec.portLevelMtls.mode",
                ));
            }
        }
    }
}

fn destination_rule(d: &Node, what: &str, out: &mut Vec<Finding>) {
    let mut policies: Vec<(String, &Node)> = Vec::new();
    if let Some(p) = d.path("spec.trafficPolicy") {
        policies.push(("spec.trafficPolicy".into(), p));
    }
    for subset in d.path("spec.subsets").map(Node::items).unwrap_or_default() {
        if let Some(p) = subset.get("trafficPolicy") {
            let name = subset.get("name").and_then(Node::text).unwrap_or("?");
            policies.push((format!("subset {name}"), p));
        }
    }
    let mut with_ports = Vec::new();
    for (label, p) in &policies {
        for port in p
            .get("portLevelSettings")
            .map(Node::items)
            .unwrap_or_default()
        {
            let number = port.path("port.number").and_then(Node::text).unwrap_or("?");
            with_ports.push((format!("{label} port {number}"), port));
        }
    }
    for (label, p) in policies
        .iter()
        .map(|(l, p)| (l.clone(), *p))
        .chain(with_ports)
    {
        let Some(mode) = p.path("tls.mode") else {
            continue;
        };
        let m = mode.text().unwrap_or_default();
        if m != "ISTIO_MUTUAL" && m != "MUTUAL" {
            let meaning = match m {
                "DISABLE" => "turns TLS off",
                "SIMPLE" => "uses TLS without a client certificate",
                _ => "is not mutual TLS",
            };
            out.push(at(
                crate::rule!("MESH-DESTINATION-RULE-TLS"),
                format!("{what}: {label} tls.mode {m} {meaning}"),
                mode.line(),
                "tls.mode",
            ));
        }
    }
}

/// Hours in a Go duration as cert-manager writes them (`2160h`, `1h30m`, `720h0m0s`).
fn duration_hours(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let n: f64 = number.parse().ok()?;
        number.clear();
        total += match c {
            'h' => n,
            'm' => n / 60.0,
            's' => n / 3600.0,
            _ => return None,
        };
    }
    number.is_empty().then_some(total)
}

fn certificate(
    d: &Node,
    what: &str,
    policy: &Policy,
    now: Timestamp,
    public_issuers: &[String],
    out: &mut Vec<Finding>,
) {
    let is_ca = d.path("spec.isCA").and_then(Node::text) == Some("true");
    let (max_days, grace_days) = if is_ca {
        (policy.rotation.ca_days, policy.rotation.ca_grace_days)
    } else {
        (policy.rotation.leaf_days, policy.rotation.leaf_grace_days)
    };
    // cert-manager's defaults: 90 days, renewed when a third of the lifetime is left.
    let duration = d.path("spec.duration");
    let duration_days = duration
        .and_then(Node::text)
        .and_then(duration_hours)
        .map_or(90.0, |h| h / 24.0);
    if duration_days > max_days as f64 {
        let line = duration.map_or(d.line(), Node::line);
        out.push(at(
            crate::rule!("CERT-LIFETIME-LONG"),
            format!(
                "{what}: duration {} is {duration_days:.0} days; the policy allows {max_days} days for {}",
                duration.and_then(Node::text).unwrap_or("(default)"),
                if is_ca { "a CA" } else { "a leaf" }
            ),
            line,
            "spec.duration",
        ));
    }
    let renew = d.path("spec.renewBefore");
    let renew_days = match renew.and_then(Node::text).and_then(duration_hours) {
        Some(h) => h / 24.0,
        None => match d
            .path("spec.renewBeforePercentage")
            .and_then(Node::text)
            .and_then(|p| p.parse::<f64>().ok())
        {
            Some(pct) => duration_days * pct / 100.0,
            None => duration_days / 3.0,
        },
    };
    // The policy's renewal window for a certificate this long (a share of a short lifetime).
    let seconds = |days: f64| (days * Timestamp::DAY as f64) as i64;
    let window_days =
        crate::lifetime::renewal_window(&policy.rotation, grace_days, seconds(duration_days))
            as f64
            / Timestamp::DAY as f64;
    if renew_days < window_days.floor() {
        out.push(at(
            crate::rule!("CERTMANAGER-RENEW-BEFORE"),
            format!("{what}: renews {renew_days:.0} days before expiry; the policy's grace is {window_days:.0} days"),
            renew.map_or(d.line(), Node::line),
            "spec.renewBefore",
        ));
    }
    let issuer = d.path("spec.issuerRef.name").and_then(Node::text);
    let public = issuer.is_some_and(|i| public_issuers.iter().any(|p| p == i));
    if !is_ca && (policy.rotation.cabf_maximum || public) {
        // Judge each renewal over the next two years on the date it happens.
        if let Some((when, max)) = crate::lifetime::first_renewal_over_maximum(
            now,
            seconds(duration_days),
            seconds(renew_days),
            2 * 365 * Timestamp::DAY,
        ) {
            let why = if public {
                format!("issuer {} is a public ACME CA", issuer.unwrap_or_default())
            } else {
                "the public-web policy".to_owned()
            };
            out.push(at(
                crate::rule!("ROTATION-EXCEEDS-PUBLIC-MAX"),
                format!(
                    "{what}: duration {duration_days:.0} days, but certificates issued from {} may be valid at most {max} days (CA/Browser Forum SC-081; {why})",
                    when.to_rfc3339().get(..10).unwrap_or_default()
                ),
                duration.map_or(d.line(), Node::line),
                "spec.duration",
            ));
        }
    }
    let algorithm = d.path("spec.privateKey.algorithm");
    let size = d.path("spec.privateKey.size");
    let alg = algorithm.and_then(Node::text).unwrap_or("RSA");
    let bits: u32 = size
        .and_then(Node::text)
        .and_then(|s| s.parse().ok())
        .unwrap_or(match alg {
            "ECDSA" => 256,
            _ => 2048,
        });
    let line = size.or(algorithm).map_or(d.line(), Node::line);
    match alg {
        "RSA" if bits < policy.keys.rsa_min_bits => out.push(at(
            crate::rule!("CERT-KEY-WEAK"),
            format!(
                "{what}: RSA {bits} bits (the policy requires {})",
                policy.keys.rsa_min_bits
            ),
            line,
            "spec.privateKey.size",
        )),
        "ECDSA" => {
            let curve = format!("P-{bits}");
            if !policy.keys.ec_curves.contains(&curve) {
                out.push(at(
                    crate::rule!("CERT-KEY-UNAPPROVED"),
                    format!(
                        "{what}: ECDSA {curve} is not one of {}",
                        policy.keys.ec_curves.join(", ")
                    ),
                    line,
                    "spec.privateKey.size",
                ));
            }
        }
        "Ed25519" if !policy.keys.ed25519 => out.push(at(
            crate::rule!("CERT-KEY-UNAPPROVED"),
            format!("{what}: Ed25519 keys are not allowed by the policy"),
            line,
            "spec.privateKey.algorithm",
        )),
        _ => {}
    }
}

fn issuer(d: &Node, what: &str, out: &mut Vec<Finding>) {
    for path in ["spec.acme.skipTLSVerify", "spec.vault.skipTLSVerify"] {
        if let Some(n) = d.path(path).filter(|n| n.text() == Some("true")) {
            out.push(at(
                crate::rule!("CERTMANAGER-SKIP-TLS-VERIFY"),
                format!("{what}: {path}: true"),
                n.line(),
                path,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str, policy: &Policy, now: &str) -> Vec<&'static str> {
        let now = Timestamp::parse_rfc3339(now).unwrap();
        let mut ids: Vec<_> = lint(text, policy, now)
            .unwrap()
            .into_iter()
            .map(|f| f.rule)
            .collect();
        ids.sort_unstable();
        ids
    }

    const ACME: &str = "kind: ClusterIssuer\nmetadata:\n  name: le\nspec:\n  acme:\n    server: https://acme-v02.api.letsencrypt.org/directory\n---\n";

    fn cert(duration: &str, renew: &str, issuer: &str) -> String {
        format!(
            "kind: Certificate\nmetadata:\n  name: web\nspec:\n  duration: {duration}\n  renewBefore: {renew}\n  issuerRef:\n    name: {issuer}\n"
        )
    }

    #[test]
    fn a_rotation_that_will_outgrow_the_public_maximum_is_warned() {
        let public = Policy::public_web();
        // 180 days renewed 60 ahead, under public-web: today's maximum is 200, but the renewal
        // on 2027-03-31 falls under the 100-day maximum.
        assert_eq!(
            rules(
                &cert("4320h", "1440h", "internal"),
                &public,
                "2026-12-01T00:00:00Z"
            ),
            ["ROTATION-EXCEEDS-PUBLIC-MAX"]
        );
        let found = lint(
            &cert("4320h", "1440h", "internal"),
            &public,
            Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").unwrap(),
        )
        .unwrap();
        assert!(
            found[0]
                .evidence
                .contains("issued from 2027-03-31 may be valid at most 100 days"),
            "{}",
            found[0].evidence
        );
        // 45 days is under every step in the next two years.
        assert_eq!(
            rules(
                &cert("1080h", "360h", "internal"),
                &public,
                "2026-12-01T00:00:00Z"
            ),
            Vec::<&str>::new()
        );
        // Under the default profile a private issuer is not bound by the public maximum…
        let default = Policy::default();
        assert_eq!(
            rules(
                &cert("2160h", "720h", "internal"),
                &default,
                "2028-06-01T00:00:00Z"
            ),
            Vec::<&str>::new()
        );
        // …but an issuer whose ACME server is Let's Encrypt is: 90 days from 2029-03-15 is over
        // the 47-day maximum.
        let text = format!("{ACME}{}", cert("2160h", "720h", "le"));
        assert_eq!(
            rules(&text, &default, "2028-06-01T00:00:00Z"),
            ["ROTATION-EXCEEDS-PUBLIC-MAX"]
        );
        assert_eq!(
            rules(&text, &default, "2026-12-01T00:00:00Z"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn renew_before_is_judged_against_the_window_for_its_duration() {
        let default = Policy::default();
        // 6 days renewed 2 days ahead: a third, the policy's window for a short certificate.
        assert_eq!(
            rules(&cert("144h", "48h", "ca"), &default, "2026-12-01T00:00:00Z"),
            Vec::<&str>::new()
        );
        // 90 days renewed 7 days ahead: under the 14-day grace.
        assert_eq!(
            rules(
                &cert("2160h", "168h", "ca"),
                &default,
                "2026-12-01T00:00:00Z"
            ),
            ["CERTMANAGER-RENEW-BEFORE"]
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(duration_hours("2160h"), Some(2160.0));
        assert_eq!(duration_hours("720h0m0s"), Some(720.0));
        assert_eq!(duration_hours("90m"), Some(1.5));
        assert_eq!(duration_hours("90d"), None);
    }
}
