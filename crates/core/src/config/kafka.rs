//! A Kafka broker's server.properties: listeners and their security protocols (a PLAINTEXT or
//! SASL_PLAINTEXT listener, or inter-broker traffic without TLS), `ssl.enabled.protocols`,
//! `ssl.cipher.suites` (Java's IANA names, judged as a probed server's suites) and
//! `ssl.endpoint.identification.algorithm` for inter-broker connections, each at its line.

use super::{ConfigError, Kind, at, settings};
use crate::policy::Policy;
use crate::report::{Finding, Location};

/// Judges a broker's server.properties.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let settings = settings(text, Kind::KafkaBroker)?;
    let mut out = Vec::new();
    let last = |key: &str| settings.iter().rev().find(|s| s.key == key);
    // listener name → security protocol; the well-known names map to themselves.
    let map: Vec<(String, String)> = last("listener.security.protocol.map")
        .map(|s| {
            s.value
                .split(',')
                .filter_map(|p| p.split_once(':'))
                .map(|(n, p)| (n.trim().to_ascii_uppercase(), p.trim().to_ascii_uppercase()))
                .collect()
        })
        .unwrap_or_default();
    let protocol = |name: &str| {
        let name = name.to_ascii_uppercase();
        map.iter()
            .find(|(n, _)| *n == name)
            .map_or(name.clone(), |(_, p)| p.clone())
    };
    for key in ["listeners", "advertised.listeners"] {
        let Some(s) = last(key) else { continue };
        for listener in s.value.split(',').map(str::trim).filter(|l| !l.is_empty()) {
            let name = listener.split("://").next().unwrap_or_default();
            let p = protocol(name);
            if p == "PLAINTEXT" || p == "SASL_PLAINTEXT" {
                out.push(at(
                    crate::rule!("DB-KAFKA-PLAINTEXT"),
                    format!("{key} {listener}: the {name} listener speaks {p}, without TLS"),
                    s.line,
                    key,
                ));
            }
        }
    }
    if let Some(s) = last("security.inter.broker.protocol").filter(|s| {
        matches!(
            s.value.to_ascii_uppercase().as_str(),
            "PLAINTEXT" | "SASL_PLAINTEXT"
        )
    }) {
        out.push(at(
            crate::rule!("DB-KAFKA-PLAINTEXT"),
            format!(
                "security.inter.broker.protocol={}: brokers replicate without TLS",
                s.value
            ),
            s.line,
            "security.inter.broker.protocol",
        ));
    }
    if let Some(s) = last("ssl.enabled.protocols") {
        out.extend(super::version_list(
            &s.value,
            policy.tls.database_min_version,
            s.line,
            "ssl.enabled.protocols",
            "database",
        ));
    }
    if let Some(s) = last("ssl.cipher.suites") {
        for suite in s.value.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            out.extend(crate::judge::handshake::suite_findings(
                suite,
                None,
                policy,
                Location::Directive {
                    line: s.line,
                    name: "ssl.cipher.suites".into(),
                },
            ));
        }
    }
    if let Some(s) = last("ssl.endpoint.identification.algorithm").filter(|s| s.value.is_empty()) {
        out.push(at(
            crate::rule!("DB-KAFKA-HOSTNAME-VERIFICATION"),
            "ssl.endpoint.identification.algorithm is empty: inter-broker TLS accepts a certificate for any name".into(),
            s.line,
            "ssl.endpoint.identification.algorithm",
        ));
    }
    Ok(out)
}
