//! Envoy's bootstrap YAML: every `DownstreamTlsContext` (a listener's TLS: `tls_params` minimum
//! version, with Envoy's TLSv1_2 default where unset, `cipher_suites` by the suite rules, the
//! client CA when client certificates are required) and every `UpstreamTlsContext` (a
//! cluster's TLS, which verifies nothing without a `validation_context`), each at its line.

use super::yaml::Node;
use super::{ConfigError, Kind, at};
use crate::endpoint::{ServerSide, Written, versions_between};
use crate::policy::Policy;
use crate::probe::Service;
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

/// Envoy's listeners, for the graph: one per filter chain, on the listener's `port_value`, named
/// by the chain's `filter_chain_match.server_names` (any name when it has none), with TLS when
/// the chain has a DownstreamTlsContext: its `tls_params` versions (Envoy's TLSv1_2–TLSv1_3
/// where unset), the first `certificate_chain`, the `trusted_ca` and
/// `require_client_certificate`.
pub(super) fn listeners(text: &str) -> Result<Vec<ServerSide>, ConfigError> {
    let docs = super::yaml::parse(text, Kind::Envoy)?;
    let mut out = Vec::new();
    let file = |node: Option<&Node>, name: &str| {
        node.and_then(|n| {
            Some(Written {
                value: n.text()?.to_owned(),
                line: n.line(),
                name: name.to_owned(),
            })
        })
    };
    for listener in docs
        .iter()
        .filter_map(|d| d.path("static_resources.listeners"))
        .flat_map(Node::items)
    {
        let Some(port) = listener
            .path("address.socket_address.port_value")
            .and_then(Node::text)
            .and_then(|p| p.parse::<u16>().ok())
        else {
            continue;
        };
        for chain in listener
            .get("filter_chains")
            .map(Node::items)
            .unwrap_or_default()
        {
            let mut l = ServerSide::new(Service::Https, chain.line());
            l.ports = vec![port];
            l.names = chain
                .path("filter_chain_match.server_names")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|n| n.text().map(str::to_owned))
                .collect();
            let context = chain.path("transport_socket.typed_config").filter(|c| {
                c.get("@type")
                    .and_then(Node::text)
                    .is_some_and(|t| t.ends_with("DownstreamTlsContext"))
            });
            if let Some(context) = context {
                let common = context.get("common_tls_context");
                let param = |key: &str| common.and_then(|c| c.path(&format!("tls_params.{key}")));
                let version =
                    |key: &str| param(key).and_then(Node::text).and_then(TlsVersion::parse);
                l.tls = true;
                l.versions = versions_between(
                    version("tls_minimum_protocol_version").unwrap_or(TlsVersion::Tls12),
                    version("tls_maximum_protocol_version"),
                );
                l.versions_at = param("tls_minimum_protocol_version")
                    .or_else(|| param("tls_maximum_protocol_version"))
                    .map(|n| (n.line(), "tls_params".to_owned()));
                l.certificate = file(
                    common
                        .and_then(|c| c.get("tls_certificates"))
                        .and_then(|t| t.items().first())
                        .and_then(|t| t.path("certificate_chain.filename")),
                    "certificate_chain",
                );
                l.client_ca = file(
                    common.and_then(|c| c.path("validation_context.trusted_ca.filename")),
                    "trusted_ca",
                );
                l.client_cert_required = context
                    .get("require_client_certificate")
                    .and_then(Node::text)
                    .is_some_and(|v| v == "true");
            }
            out.push(l);
        }
    }
    Ok(out)
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
