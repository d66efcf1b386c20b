//! Real-looking JavaScript, TypeScript and Python with the TLS settings the specification's
//! documents use, read by the real parsers: every setting at its line, judged by the core's
//! rules; code that only looks similar (a comment, a string, `verify=True`) gives nothing; a
//! syntax error says where.

use tlscope_core::Policy;
use tlscope_core::code::{SettingKind, judge};
use tlscope_core::protocol::TlsVersion;

/// The settings of a file except the endpoint literals (their own test below).
fn found(path: &str, text: &str) -> Vec<(usize, String, SettingKind)> {
    every(path, text)
        .into_iter()
        .filter(|(_, _, kind)| !matches!(kind, SettingKind::Endpoint(_)))
        .collect()
}

fn every(path: &str, text: &str) -> Vec<(usize, String, SettingKind)> {
    tlscope_source::settings(path, text)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .into_iter()
        .map(|s| (s.line, s.symbol, s.kind))
        .collect()
}

const NODE: &str = r#"import https from 'node:https';
import grpc from '@grpc/grpc-js';
// rejectUnauthorized: false  (a comment is not a setting)
const agent = new https.Agent({
  rejectUnauthorized: false,
  minVersion: 'TLSv1.2',
  ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA',
});
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const pg = new Client({ ssl: { rejectUnauthorized: true, checkServerIdentity: () => {} } });
const creds = grpc.ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], false);
const fine = grpc.ServerCredentials.createSsl(ca, pairs, true);
const note = "rejectUnauthorized: false";
"#;

#[test]
fn node_options_at_their_lines() {
    let got = found("client.mjs", NODE);
    assert_eq!(
        got,
        [
            (5, "rejectUnauthorized".into(), SettingKind::VerifyOff),
            (
                6,
                "minVersion".into(),
                SettingKind::MinVersion(TlsVersion::Tls12)
            ),
            (
                7,
                "ciphers".into(),
                SettingKind::Ciphers("ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA".into())
            ),
            (
                9,
                "NODE_TLS_REJECT_UNAUTHORIZED".into(),
                SettingKind::VerifyOff
            ),
            (10, "checkServerIdentity".into(), SettingKind::HostnameOff),
            (
                11,
                "ServerCredentials.createSsl".into(),
                SettingKind::ClientCertNotRequired
            ),
        ]
    );
    let settings = tlscope_source::settings("client.mjs", NODE).unwrap();
    let rules: Vec<&str> = judge(&settings, &Policy::default())
        .iter()
        .map(|f| f.rule)
        .collect();
    assert!(rules.contains(&"TLS-CLIENT-VERIFY-OFF"));
    assert!(
        rules.contains(&"TLS-SUITE-CBC"),
        "the cipher list, as nginx's: {rules:?}"
    );
    assert!(rules.contains(&"TLS-MTLS-NO-CLIENT-CERT"));
}

#[test]
fn typescript_with_types_parses() {
    let ts = "import tls from 'node:tls';\nconst opts: tls.ConnectionOptions = {\n  host: 'db',\n  rejectUnauthorized: false as boolean ? false : false,\n  minVersion: 'TLSv1' as tls.SecureVersion,\n};\n";
    let got = found("db.ts", ts);
    // `minVersion: 'TLSv1' as …` is a type assertion, not a literal: not guessed at.
    assert!(
        got.is_empty() || got.iter().all(|(l, _, _)| *l == 5),
        "{got:?}"
    );
    let plain = "const o: { rejectUnauthorized: boolean } = { rejectUnauthorized: false };\n";
    assert_eq!(found("a.ts", plain).len(), 1);
}

const PYTHON: &str = r#"import ssl, requests
from aiokafka import AIOKafkaProducer

r = requests.get("https://api.internal/health", verify=False)
ok = requests.get("https://api.internal/health", verify=True)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_1
ctx.set_ciphers("HIGH:!aNULL:3DES")
legacy = ssl._create_unverified_context()
producer = AIOKafkaProducer(
    bootstrap_servers="kafka:9093",
    security_protocol="PLAINTEXT",
    ssl_check_hostname=False,
)
# verify=False in a comment is nothing
"#;

#[test]
fn python_settings_at_their_lines() {
    let got = found("app.py", PYTHON);
    assert_eq!(
        got,
        [
            (4, "verify".into(), SettingKind::VerifyOff),
            (7, "check_hostname".into(), SettingKind::HostnameOff),
            (8, "verify_mode".into(), SettingKind::VerifyOff),
            (
                9,
                "minimum_version".into(),
                SettingKind::MinVersion(TlsVersion::Tls11)
            ),
            (
                10,
                "set_ciphers".into(),
                SettingKind::Ciphers("HIGH:!aNULL:3DES".into())
            ),
            (
                11,
                "ssl._create_unverified_context".into(),
                SettingKind::VerifyOff
            ),
            (14, "security_protocol".into(), SettingKind::KafkaPlaintext),
            (
                15,
                "ssl_check_hostname".into(),
                SettingKind::KafkaHostnameOff
            ),
        ]
    );
}

#[test]
fn syntax_errors_say_where() {
    let e = tlscope_source::settings("bad.js", "const a = {\n  b: ,\n};\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    let e = tlscope_source::settings("bad.py", "def f(:\n    pass\n").unwrap_err();
    assert_eq!(e.line, 1, "{e}");
    assert!(
        tlscope_source::settings("main.go", "package main")
            .unwrap()
            .is_empty()
    );
}

const GO: &str = r#"package main

import (
	"crypto/tls"
	"net/http"
)

// InsecureSkipVerify: true (a comment is not a setting)
var note = "InsecureSkipVerify: true"

func client() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
	}}}
}

func server() *tls.Config {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS13,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		},
		InsecureSkipVerify: false,
	}
	cfg.ClientAuth = tls.RequireAnyClientCert
	return cfg
}
"#;

#[test]
fn go_tls_config_at_its_lines_judged_by_the_core() {
    let settings = tlscope_source::settings("main.go", GO).unwrap();
    let got: Vec<(usize, &str)> = judge(&settings, &Policy::default())
        .iter()
        .map(|f| match &f.location {
            tlscope_core::Location::Directive { line, .. } => (*line, f.rule),
            _ => (0, f.rule),
        })
        .collect();
    assert_eq!(
        got,
        [
            (13, "TLS-CLIENT-VERIFY-OFF"),
            (14, "TLS-VERSION-MIN"),
            (21, "TLS-SUITE-CBC"),
            (26, "MTLS-CLIENT-NOT-VERIFIED"),
        ]
    );
}

/// A connection string or an `https://` URL written as a literal, in each language, is an
/// endpoint setting with its secrets masked; other strings with `://` are not.
#[test]
fn connection_strings_and_urls_in_literals_are_endpoints_with_secrets_masked() {
    let endpoints = |path: &str, text: &str| -> Vec<(usize, String)> {
        every(path, text)
            .into_iter()
            .filter_map(|(line, _, kind)| match kind {
                SettingKind::Endpoint(s) => Some((line, s)),
                _ => None,
            })
            .collect()
    };
    let js = "const db = new Client('postgres://app:hunter2@db.internal:5432/app?sslmode=require');\nconst api = `https://api.internal:8443/v1`;\nconst docs = 'ftp://files.example/x';\nconst dynamic = `https://${host}/`;\n";
    assert_eq!(
        endpoints("db.ts", js),
        [
            (
                1,
                "postgres://app:****@db.internal:5432/app?sslmode=require".to_owned()
            ),
            (2, "https://api.internal:8443/v1".to_owned()),
        ]
    );
    let py = "import psycopg\nconn = psycopg.connect(\"postgresql://app@db.internal/app?sslmode=verify-full\")\nr = requests.get('https://bob:pw@api.internal/x')\n";
    assert_eq!(
        endpoints("app.py", py),
        [
            (
                2,
                "postgresql://app@db.internal/app?sslmode=verify-full".to_owned()
            ),
            (3, "https://****@api.internal/x".to_owned()),
        ]
    );
    let go = "package main\n\nconst dsn = \"postgres://app:pw@db.internal/app?sslmode=disable\"\nvar api = `https://api.internal`\n";
    assert_eq!(
        endpoints("main.go", go),
        [
            (
                3,
                "postgres://app:****@db.internal/app?sslmode=disable".to_owned()
            ),
            (4, "https://api.internal".to_owned()),
        ]
    );
    // Judged as a connection string in a file is: sslmode=disable and the password.
    let settings = tlscope_source::settings("main.go", go).unwrap();
    let rules: Vec<&str> = judge(&settings, &Policy::default())
        .iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, ["DB-PG-SSLMODE", "SECRET-PASSWORD-IN-STRING"]);
}
