//! Envoy's bootstrap YAML: every `DownstreamTlsContext` (a listener's TLS: `tls_params` minimum
//! version, with Envoy's TLSv1_2 default where unset, `cipher_suites` by the suite rules, the
//! client CA when client certificates are required) and every `UpstreamTlsContext` (a
//! cluster's TLS, which verifies nothing without a `validation_context`), each at its line.

use super::yaml::Node;
use super::{ConfigError, Kind, at};
use crate::policy::Policy;
use crate::protocol::TlsVersion;
use crate::report::Finding;

/// Which side of Envoy a TLS context is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A listener's: Envoy is the server.
    Downstream,
    /// A cluster's: Envoy is the client.
    Upstream,
}

/// Every TLS context under `node`, with its side: told by its `@type`, else by whether it sits
/// under `listeners` or `clusters`.
fn contexts<'n>(node: &'n Node, under: Option<Side>, out: &mut Vec<(Side, &'n Node)>) {
    match node {
        Node::Map(entries, _) => {
            let typed = node.get("@type").and_then(Node::text).unwrap_or_default();
            let side = if typed.ends_with("DownstreamTlsContext") {
                Some(Side::Downstream)
            } else if typed.ends_with("UpstreamTlsContext") {
                Some(Side::Upstream)
            } else {
                None
            };
            if let Some(side) = side
                .or(under)
                .filter(|_| node.get("common_tls_context").is_some())
            {
                out.push((side, node));
            }
            for (key, value) in entries {
                let below = match key.as_str() {
                    "listeners" => Some(Side::Downstream),
                    "clusters" => Some(Side::Upstream),
                    _ => under,
                };
                contexts(value, below, out);
            }
        }
        Node::Seq(items, _) => {
            for item in items {
                contexts(item, under, out);
            }
        }
        Node::Scalar(..) => {}
    }
}

/// Judges an Envoy configuration.
pub(super) fn lint(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let docs = super::yaml::parse(text, Kind::Envoy)?;
    let mut found = Vec::new();
    for doc in &docs {
        contexts(doc, None, &mut found);
    }
    let mut out = Vec::new();
    for (side, context) in found {
        let Some(common) = context.get("common_tls_context") else {
            continue;
        };
        let params = common.get("tls_params");
        match side {
            Side::Downstream => {
                let set = params.and_then(|p| p.get("tls_minimum_protocol_version"));
                let lowest = set
                    .and_then(Node::text)
                    .and_then(TlsVersion::parse)
                    .unwrap_or(TlsVersion::Tls12);
                if lowest < policy.tls.client_min_version {
                    let how = set.and_then(Node::text).map_or(
                        "tls_minimum_protocol_version not set: Envoy's default for listeners is TLSv1_2".to_owned(),
                        |v| format!("tls_minimum_protocol_version {v}"),
                    );
                    out.push(at(
                        crate::rule!("TLS-VERSION-MIN"),
                        format!(
                            "listener TLS: {how} accepts {lowest}; client connections need at least {}",
                            policy.tls.client_min_version
                        ),
                        set.map_or(common.line(), Node::line),
                        "tls_minimum_protocol_version",
                    ));
                }
                let requires_clients = context
                    .get("require_client_certificate")
                    .and_then(Node::text)
                    .is_some_and(|v| v == "true");
                if requires_clients
                    && let Some(ca) = common.path("validation_context.trusted_ca.filename")
                    && let Some(path) = ca.text()
                {
                    out.extend(super::public_trust_for_clients(
                        path,
                        ca.line(),
                        "trusted_ca",
                    ));
                }
            }
            Side::Upstream => {
                let validates = [
                    "validation_context",
                    "validation_context_sds_secret_config",
                    "combined_validation_context",
                ]
                .iter()
                .any(|k| common.get(k).is_some());
                if !validates {
                    out.push(at(
                        crate::rule!("WEB-PROXY-VERIFY-OFF"),
                        "cluster TLS without a validation_context: Envoy does not verify the upstream's certificate".into(),
                        common.line(),
                        "common_tls_context",
                    ));
                }
            }
        }
        if let Some(suites) = params.and_then(|p| p.get("cipher_suites")) {
            // BoringSSL's equal-preference groups, `[A|B]`, are the suites A and B.
            let list: Vec<&str> = suites
                .items()
                .iter()
                .filter_map(Node::text)
                .flat_map(|s| s.trim_matches(['[', ']']).split('|'))
                .collect();
            out.extend(super::cipher_list(
                &list.join(":"),
                suites.line(),
                "cipher_suites",
                policy,
            ));
        }
    }
    Ok(out)
}
