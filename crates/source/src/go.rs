//! Go, parsed by tree-sitter's Go grammar (a C parser, so the agent reads Go and the page does
//! not): `tls.Config` fields set in a composite literal or by assignment —
//! `InsecureSkipVerify: true`, `MinVersion: tls.VersionTLS10`, `CipherSuites: []uint16{…}`
//! and `ClientAuth: tls.RequireAnyClientCert` (client certificates taken unverified).

use tlscope_core::code::{Setting, SettingKind, endpoint_literal};
use tlscope_core::protocol::TlsVersion;
use tree_sitter::{Node, Parser};

use crate::{Language, SourceError, position};

/// Nodes visited at most (a source file is rarely a tenth of this).
const MAX_NODES: usize = 2_000_000;

/// The last segment of a selector (`tls.VersionTLS12` → `VersionTLS12`).
fn last_segment(text: &str) -> &str {
    text.rsplit('.').next().unwrap_or(text).trim()
}

fn go_version(name: &str) -> Option<TlsVersion> {
    Some(match name {
        "VersionSSL30" => TlsVersion::Ssl3,
        "VersionTLS10" => TlsVersion::Tls10,
        "VersionTLS11" => TlsVersion::Tls11,
        "VersionTLS12" => TlsVersion::Tls12,
        "VersionTLS13" => TlsVersion::Tls13,
        _ => return None,
    })
}

/// The setting a `tls.Config` field with this value makes, if it is one tlscope judges.
fn field(name: &str, value: Node<'_>, text: &str) -> Option<SettingKind> {
    let source = value.utf8_text(text.as_bytes()).ok()?.trim();
    match name {
        "InsecureSkipVerify" if source == "true" => Some(SettingKind::VerifyOff),
        "MinVersion" => go_version(last_segment(source)).map(SettingKind::MinVersion),
        "ClientAuth" => matches!(
            last_segment(source),
            "RequireAnyClientCert" | "RequestClientCert"
        )
        .then_some(SettingKind::ClientCertNotVerified),
        "CipherSuites" => {
            let suites: Vec<String> = source
                .split_once('{')
                .map(|(_, body)| body.trim_end_matches('}'))
                .unwrap_or_default()
                .split(',')
                .map(last_segment)
                .filter(|s| s.starts_with("TLS_"))
                .map(str::to_owned)
                .collect();
            (!suites.is_empty()).then_some(SettingKind::Suites(suites))
        }
        _ => None,
    }
}

pub(crate) fn settings(text: &str) -> Result<Vec<Setting>, SourceError> {
    let failed = |message: String| SourceError {
        language: Language::Go,
        line: 1,
        column: 1,
        message,
    };
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_go::LANGUAGE.into())
        .map_err(|e| failed(format!("the Go grammar did not load: {e}")))?;
    let tree = parser
        .parse(text, None)
        .ok_or_else(|| failed("the parser gave up".into()))?;
    let root = tree.root_node();
    if root.has_error() {
        let mut cursor = root.walk();
        let mut at = root;
        // The first node in error, for its position.
        'find: loop {
            for child in at.children(&mut cursor) {
                if child.is_error() || child.is_missing() {
                    at = child;
                    break 'find;
                }
                if child.has_error() {
                    at = child;
                    continue 'find;
                }
            }
            break;
        }
        let (line, column) = position(text, at.start_byte());
        return Err(SourceError {
            language: Language::Go,
            line,
            column,
            message: format!("expected Go syntax here (tree-sitter found {})", at.kind()),
        });
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    let mut visited = 0;
    while let Some(node) = stack.pop() {
        visited += 1;
        if visited > MAX_NODES {
            return Err(failed(format!("more than {MAX_NODES} syntax nodes")));
        }
        let pair = match node.kind() {
            // `Field: value` inside a composite literal.
            "keyed_element" => {
                let mut cursor = node.walk();
                let named: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                match (named.first(), named.last()) {
                    (Some(k), Some(v)) if named.len() == 2 => Some((*k, *v)),
                    _ => None,
                }
            }
            // `config.Field = value`.
            "assignment_statement" => node
                .child_by_field_name("left")
                .and_then(|l| l.named_child(0))
                .filter(|l| l.kind() == "selector_expression")
                .and_then(|l| l.child_by_field_name("field"))
                .zip(
                    node.child_by_field_name("right")
                        .and_then(|r| r.named_child(0)),
                ),
            _ => None,
        };
        // A string literal that is a connection string or an https:// URL.
        if matches!(
            node.kind(),
            "interpreted_string_literal" | "raw_string_literal"
        ) && let Ok(raw) = node.utf8_text(text.as_bytes())
            && let Some(kind) = endpoint_literal(raw.trim_matches(['"', '`']))
        {
            let (line, _) = position(text, node.start_byte());
            out.push(Setting {
                line,
                symbol: "string".into(),
                kind,
            });
        }
        if let Some((key, value)) = pair
            && let Ok(name) = key.utf8_text(text.as_bytes())
            && let Some(kind) = field(name.trim(), value, text)
        {
            let (line, _) = position(text, key.start_byte());
            out.push(Setting {
                line,
                symbol: name.trim().to_owned(),
                kind,
            });
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out.sort_by_key(|s| s.line);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_config_fields_in_literals_and_assignments() {
        let text = r#"package main

import "crypto/tls"

func client() *tls.Config {
	cfg := &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS10,
		CipherSuites: []uint16{
			tls.TLS_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		},
	}
	cfg.ClientAuth = tls.RequireAnyClientCert
	return cfg
}
"#;
        let found = settings(text).unwrap();
        let got: Vec<(usize, &str)> = found.iter().map(|s| (s.line, s.symbol.as_str())).collect();
        assert_eq!(
            got,
            [
                (7, "InsecureSkipVerify"),
                (8, "MinVersion"),
                (9, "CipherSuites"),
                (14, "ClientAuth")
            ]
        );
        assert_eq!(found[1].kind, SettingKind::MinVersion(TlsVersion::Tls10));
        assert_eq!(
            found[2].kind,
            SettingKind::Suites(vec![
                "TLS_RSA_WITH_AES_128_CBC_SHA".into(),
                "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into()
            ])
        );
    }

    #[test]
    fn broken_go_says_where() {
        let err = settings("package main\n\nfunc f() {\n\tx := &tls.Config{\n}\n").unwrap_err();
        assert_eq!(err.language, Language::Go);
        assert!(err.line >= 4, "{err}");
    }
}
