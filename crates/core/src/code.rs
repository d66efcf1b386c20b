//! TLS settings found in source code (by the `tlscope-source` parsers: JavaScript/TypeScript,
//! Python), as typed settings with their file position, and their judgement — by the same rules
//! as the equivalent server or client setting (one rule, many dialects): a cipher list is judged
//! as nginx's `ssl_ciphers` is, a minimum version as `ssl_protocols`, disabled verification as a
//! connection string's `sslmode=require`.

use serde::{Deserialize, Serialize};

use crate::policy::Policy;
use crate::protocol::TlsVersion;
use crate::report::{Finding, Location};

/// What a piece of code sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum SettingKind {
    /// Certificate verification off (`rejectUnauthorized: false`, `verify=False`,
    /// `ssl.CERT_NONE`, `NODE_TLS_REJECT_UNAUTHORIZED=0`, `InsecureSkipVerify: true`).
    VerifyOff,
    /// Host-name checking off (`check_hostname = False`, `checkServerIdentity: () => undefined`).
    HostnameOff,
    /// A lowest protocol version (`minVersion: 'TLSv1.2'`, `ssl.TLSVersion.TLSv1_1`).
    MinVersion(TlsVersion),
    /// An OpenSSL cipher string (`ciphers: '…'`, `set_ciphers('…')`).
    Ciphers(String),
    /// A gRPC server that does not require client certificates
    /// (`ServerCredentials.createSsl(ca, pairs, false)`).
    ClientCertNotRequired,
    /// TLS ≤ 1.2 suites by their IANA names (Go's `CipherSuites: []uint16{tls.TLS_…}`).
    Suites(Vec<String>),
    /// A server that takes client certificates without verifying them (Go's
    /// `ClientAuth: tls.RequireAnyClientCert` or `tls.RequestClientCert`).
    ClientCertNotVerified,
    /// A connection string or an `https://` URL written as a literal, secrets already masked:
    /// judged as a connection string is, and linked by the graph to the server it names.
    Endpoint(String),
    /// Kafka without TLS (`security_protocol="PLAINTEXT"`).
    KafkaPlaintext,
    /// Kafka with host-name verification off (`ssl_check_hostname=False`).
    KafkaHostnameOff,
}

/// One setting, where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// 1-based line.
    pub line: usize,
    /// The symbol as written (`rejectUnauthorized`, `verify`, `minVersion`, …).
    pub symbol: String,
    /// What it sets.
    pub kind: SettingKind,
}

/// The setting a string literal makes when it is a connection string (with `://`) or an
/// `https://`/`wss://` URL: the string with its secrets masked. Other strings make none.
pub fn endpoint_literal(text: &str) -> Option<SettingKind> {
    let t = text.trim();
    if !t.contains("://") || t.len() > 4096 {
        return None;
    }
    if let Ok(c) = crate::connection::parse(t) {
        return Some(SettingKind::Endpoint(c.masked));
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("wss://") {
        // A URL's user information is masked as a connection string's password is.
        let (scheme, rest) = t.split_once("://")?;
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let shown = match rest[..authority_end].rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://****@{host}{}", &rest[authority_end..]),
            None => t.to_owned(),
        };
        return Some(SettingKind::Endpoint(shown));
    }
    None
}

/// Every finding for the settings of one source file.
pub fn judge(settings: &[Setting], policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in settings {
        let at = || Location::Directive {
            line: s.line,
            name: s.symbol.clone(),
        };
        match &s.kind {
            SettingKind::VerifyOff => out.push(Finding::new(
                crate::rule!("TLS-CLIENT-VERIFY-OFF"),
                format!("{} turns certificate verification off: any certificate is accepted, so anyone on the path can impersonate the server", s.symbol),
                at(),
            )),
            SettingKind::HostnameOff => out.push(Finding::new(
                crate::rule!("TLS-CLIENT-VERIFY-OFF"),
                format!("{} turns host-name checking off: a valid certificate for any name is accepted", s.symbol),
                at(),
            )),
            SettingKind::MinVersion(v) if *v < policy.tls.client_min_version => {
                out.push(Finding::new(
                    crate::rule!("TLS-VERSION-MIN"),
                    format!(
                        "{} allows {v}; client connections need at least {}",
                        s.symbol, policy.tls.client_min_version
                    ),
                    at(),
                ));
            }
            SettingKind::MinVersion(_) => {}
            SettingKind::Ciphers(text) => {
                out.extend(crate::config::cipher_setting(text, s.line, &s.symbol, policy));
            }
            SettingKind::Suites(suites) => {
                for suite in suites {
                    out.extend(crate::judge::handshake::suite_findings(
                        suite,
                        Some(TlsVersion::Tls12),
                        policy,
                        at(),
                    ));
                }
            }
            SettingKind::ClientCertNotVerified => out.push(Finding::new(
                crate::rule!("MTLS-CLIENT-NOT-VERIFIED"),
                format!("{} takes client certificates without verifying them", s.symbol),
                at(),
            )),
            SettingKind::ClientCertNotRequired => out.push(Finding::new(
                crate::rule!("TLS-MTLS-NO-CLIENT-CERT"),
                format!("{} does not require client certificates (checkClientCertificate false)", s.symbol),
                at(),
            )),
            // A connection string in code is judged as one in a file is, at its line.
            SettingKind::Endpoint(text) => {
                if let Ok(c) = crate::connection::parse(text) {
                    for mut f in crate::judge::connection(&c, s.line, policy) {
                        f.evidence = format!("{} — {}", f.evidence, c.masked);
                        out.push(f);
                    }
                }
            }
            SettingKind::KafkaPlaintext => out.push(Finding::new(
                crate::rule!("DB-KAFKA-PLAINTEXT"),
                format!("{} = PLAINTEXT: the Kafka connection is not encrypted", s.symbol),
                at(),
            )),
            SettingKind::KafkaHostnameOff => out.push(Finding::new(
                crate::rule!("DB-KAFKA-HOSTNAME-VERIFICATION"),
                format!("{} is off: the broker's certificate is accepted for any name", s.symbol),
                at(),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(line: usize, symbol: &str, kind: SettingKind) -> Setting {
        Setting {
            line,
            symbol: symbol.into(),
            kind,
        }
    }

    #[test]
    fn one_rule_many_dialects() {
        let policy = Policy::default();
        let found = judge(
            &[
                setting(3, "rejectUnauthorized", SettingKind::VerifyOff),
                setting(4, "check_hostname", SettingKind::HostnameOff),
                setting(5, "minVersion", SettingKind::MinVersion(TlsVersion::Tls12)),
                setting(6, "minVersion", SettingKind::MinVersion(TlsVersion::Tls13)),
                setting(7, "ciphers", SettingKind::Ciphers("AES128-SHA".into())),
                setting(8, "createSsl", SettingKind::ClientCertNotRequired),
                setting(9, "security_protocol", SettingKind::KafkaPlaintext),
                setting(10, "ssl_check_hostname", SettingKind::KafkaHostnameOff),
                setting(
                    11,
                    "CipherSuites",
                    SettingKind::Suites(vec![
                        "TLS_RSA_WITH_AES_128_GCM_SHA256".into(),
                        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into(),
                    ]),
                ),
                setting(12, "ClientAuth", SettingKind::ClientCertNotVerified),
            ],
            &policy,
        );
        let got: Vec<(usize, &str)> = found
            .iter()
            .map(|f| match &f.location {
                Location::Directive { line, .. } => (*line, f.rule),
                _ => (0, f.rule),
            })
            .collect();
        assert_eq!(
            got,
            [
                (3, "TLS-CLIENT-VERIFY-OFF"),
                (4, "TLS-CLIENT-VERIFY-OFF"),
                (5, "TLS-VERSION-MIN"),
                (7, "TLS-NO-FORWARD-SECRECY"),
                (7, "TLS-SUITE-CBC"),
                (8, "TLS-MTLS-NO-CLIENT-CERT"),
                (9, "DB-KAFKA-PLAINTEXT"),
                (10, "DB-KAFKA-HOSTNAME-VERIFICATION"),
                (11, "TLS-NO-FORWARD-SECRECY"),
                (12, "MTLS-CLIENT-NOT-VERIFIED"),
            ]
        );
    }
}
