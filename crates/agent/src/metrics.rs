//! `/metrics`: the Prometheus text exposition of what the observatory holds. Every series the
//! alert rules (`deploy/prometheus/`) and the Grafana dashboard (`deploy/grafana/`) use is
//! defined here, once; both are tested against a real scrape. Judgements (a certificate's
//! rotation status) come from the core under the policy, never from arithmetic here.

use std::fmt::Display;

use tlscope_core::handshake::{Refusal, Segment};
use tlscope_core::revocation_list::RevocationList;
use tlscope_core::{Policy, Timestamp};

use crate::observatory::{Observatory, State};

/// Every metric family served, with its type and help text (in the order served).
pub const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "ssl_certificate_expiry_seconds",
        "gauge",
        "Seconds until the certificate's notAfter (negative once expired); source=\"ca\" for the tenant CA's certificates in use, source=\"probe\" for probed servers' leaves.",
    ),
    (
        "tlscope_certificate_rotation_status",
        "gauge",
        "1 for the rotation status (ok, renew-due, in-grace, overdue, expired) the policy gives each certificate of the tenant CA in use.",
    ),
    (
        "tlscope_crl_next_update_seconds",
        "gauge",
        "Seconds until the nextUpdate of a CRL the coordinators enforce (negative once stale).",
    ),
    (
        "tlscope_handshakes_total",
        "counter",
        "Handshakes observed, by segment, outcome, version and suite.",
    ),
    (
        "tlscope_handshake_refusals_total",
        "counter",
        "Refused handshakes, by segment and reason class (protocol-version and cipher-suite are downgrade attempts at a TLS 1.3-only listener).",
    ),
    (
        "tlscope_fips_mode",
        "gauge",
        "1 when the coordinator's handshakes are all FIPS-approved: aws-lc-rs's FIPS 140-3 module in FIPS mode (module=\"yes\", a build with --features fips) and the policy's suites and groups approved; 0 otherwise.",
    ),
    (
        "tlscope_fips_handshakes_total",
        "counter",
        "Accepted handshakes by segment and whether rustls reported them FIPS-approved (fips=\"yes\"/\"no\").",
    ),
    (
        "tlscope_rotations_total",
        "counter",
        "Rotation events, by kind.",
    ),
    (
        "tlscope_edge_heartbeat_age_seconds",
        "gauge",
        "Seconds since the coordinator last received a heartbeat from the edge.",
    ),
    (
        "tlscope_probe_up",
        "gauge",
        "1 when the last probe of the target finished, 0 when it failed.",
    ),
    (
        "tlscope_probe_targets",
        "gauge",
        "Probe targets, by whether the last probe finished.",
    ),
];

const SEGMENTS: [Segment; 3] = [Segment::Client, Segment::Mtls, Segment::Database];

/// The exposition text being written.
struct Text(String);

impl Text {
    fn family(&mut self, name: &str) {
        if let Some((_, kind, help)) = FAMILIES.iter().find(|(n, _, _)| *n == name) {
            self.0
                .push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
            .collect();
        self.0
            .push_str(&format!("{name}{{{}}} {value}\n", labels.join(",")));
    }
}

/// The Prometheus text exposition of what `obs` holds at `now`, rotation status judged under
/// `policy`.
pub fn render(obs: &Observatory, policy: &Policy, now: Timestamp) -> String {
    obs.read(|s| exposition(s, policy, now))
}

/// The exposition of `s` at `now`.
fn exposition(s: &State, policy: &Policy, now: Timestamp) -> String {
    let mut t = Text(String::new());
    let in_use = || {
        s.certificates
            .values()
            .flatten()
            .filter(|c| c.state.in_use())
    };

    t.family("ssl_certificate_expiry_seconds");
    for c in in_use() {
        t.sample(
            "ssl_certificate_expiry_seconds",
            &[
                ("source", "ca"),
                ("tenant", &c.tenant),
                ("name", &c.name),
                ("role", c.role.as_str()),
                ("serial", &c.serial),
                ("state", c.state.as_str()),
            ],
            c.not_after.unix() - now.unix(),
        );
    }
    for p in s.probes.values() {
        let Some(leaf) = p.chain.first().and_then(|d| tlscope_core::decode(d).ok()) else {
            continue;
        };
        if let Some(c) = leaf.certificates().next() {
            t.sample(
                "ssl_certificate_expiry_seconds",
                &[
                    ("source", "probe"),
                    ("target", &p.target),
                    ("subject", &c.display_name()),
                    ("serial", &c.serial),
                ],
                c.validity.not_after.unix() - now.unix(),
            );
        }
    }

    t.family("tlscope_certificate_rotation_status");
    for c in in_use() {
        if let Some(status) = c.status(policy, now) {
            t.sample(
                "tlscope_certificate_rotation_status",
                &[
                    ("tenant", &c.tenant),
                    ("name", &c.name),
                    ("role", c.role.as_str()),
                    ("serial", &c.serial),
                    ("status", status.as_str()),
                ],
                1,
            );
        }
    }

    t.family("tlscope_crl_next_update_seconds");
    for (tenant, ders) in &s.crls {
        for crl in ders.iter().filter_map(|d| RevocationList::from_der(d).ok()) {
            if let Some(next) = crl.next_update {
                t.sample(
                    "tlscope_crl_next_update_seconds",
                    &[("tenant", tenant), ("issuer", &crl.issuer.rfc4514)],
                    next.unix() - now.unix(),
                );
            }
        }
    }

    t.family("tlscope_handshakes_total");
    for ((segment, outcome, version, suite), n) in &s.handshake_counts {
        t.sample(
            "tlscope_handshakes_total",
            &[
                ("segment", segment.as_str()),
                ("outcome", outcome),
                ("version", version),
                ("suite", suite),
            ],
            n,
        );
    }

    // Every (segment, reason) pair from the start, at 0 until it happens, so that `increase()`
    // sees the first refusal of a kind.
    t.family("tlscope_handshake_refusals_total");
    for segment in SEGMENTS {
        for reason in Refusal::ALL {
            let n = s
                .refusal_counts
                .get(&(segment, reason))
                .copied()
                .unwrap_or(0);
            t.sample(
                "tlscope_handshake_refusals_total",
                &[("segment", segment.as_str()), ("reason", reason.as_str())],
                n,
            );
        }
    }

    t.family("tlscope_fips_mode");
    if let Some(fips) = s.fips {
        t.sample(
            "tlscope_fips_mode",
            &[("module", if fips.module { "yes" } else { "no" })],
            u8::from(fips.approved),
        );
    }
    t.family("tlscope_fips_handshakes_total");
    for ((segment, fips), n) in &s.fips_counts {
        t.sample(
            "tlscope_fips_handshakes_total",
            &[
                ("segment", segment.as_str()),
                ("fips", if *fips { "yes" } else { "no" }),
            ],
            n,
        );
    }

    t.family("tlscope_rotations_total");
    for (kind, n) in &s.rotation_counts {
        t.sample("tlscope_rotations_total", &[("event", kind)], n);
    }

    t.family("tlscope_edge_heartbeat_age_seconds");
    for (coordinator, edges) in &s.edges {
        for e in edges {
            t.sample(
                "tlscope_edge_heartbeat_age_seconds",
                &[("coordinator", coordinator), ("edge", &e.identity)],
                (now.unix() - e.last_heartbeat.unix()).max(0),
            );
        }
    }

    t.family("tlscope_probe_up");
    for p in s.probes.values() {
        t.sample(
            "tlscope_probe_up",
            &[("target", &p.target)],
            u8::from(p.error.is_none()),
        );
    }

    t.family("tlscope_probe_targets");
    let failed = s.probes.values().filter(|p| p.error.is_some()).count();
    t.sample(
        "tlscope_probe_targets",
        &[("result", "ok")],
        s.probes.len() - failed,
    );
    t.sample("tlscope_probe_targets", &[("result", "error")], failed);
    t.0
}

/// A Prometheus label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn every_family_is_served_with_help_and_type_even_when_empty() {
        let text = exposition(
            &State::default(),
            &Policy::default(),
            Timestamp::from_unix(0),
        );
        for (name, kind, _) in FAMILIES {
            assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{name}");
        }
        assert!(text.contains(
            "tlscope_handshake_refusals_total{segment=\"client\",reason=\"protocol-version\"} 0\n"
        ));
    }
}
