//! The source worker's reading, run as wasm in headless Chromium: oxc and RustPython's parser
//! compiled to wasm32 find the TLS settings with their lines, a syntax error says where, and Go
//! is left to the agent (the page's build has no tree-sitter).

#![cfg(target_arch = "wasm32")]

use tlscope_core::code::SettingKind;
use tlscope_source::Language;
use tlscope_web::bundle::WorkerMessage;
use tlscope_web::source::{SourceJob, agent_only, read, readable};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn settings(name: &str, text: &str) -> Vec<tlscope_core::code::Setting> {
    let job = SourceJob {
        name: name.into(),
        text: text.into(),
    };
    // The answer goes through JSON, as it does between the worker and the page.
    let wire = serde_json::to_string(&read(&job)).unwrap();
    match serde_json::from_str::<WorkerMessage>(&wire).unwrap() {
        WorkerMessage::Read { settings } => settings,
        other => panic!("{name} not read: {other:?}"),
    }
}

#[wasm_bindgen_test]
fn python_with_verification_off_is_read_with_its_line() {
    let found = settings(
        "client.py",
        "import ssl\n\nctx = ssl.create_default_context()\nctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE\n",
    );
    let kinds: Vec<_> = found.iter().map(|s| (s.line, s.kind.clone())).collect();
    assert!(kinds.contains(&(4, SettingKind::HostnameOff)), "{kinds:?}");
    assert!(kinds.contains(&(5, SettingKind::VerifyOff)), "{kinds:?}");
}

#[wasm_bindgen_test]
fn typescript_min_version_and_verification_are_read_with_their_lines() {
    let found = settings(
        "server.ts",
        "import https from 'node:https';\nconst options: https.ServerOptions = {\n  minVersion: 'TLSv1',\n};\nfetch('https://db.internal', { rejectUnauthorized: false } as any);\n",
    );
    let lines: Vec<_> = found.iter().map(|s| (s.line, s.symbol.as_str())).collect();
    assert!(lines.contains(&(3, "minVersion")), "{lines:?}");
    assert!(lines.contains(&(5, "rejectUnauthorized")), "{lines:?}");
}

#[wasm_bindgen_test]
fn a_syntax_error_says_where() {
    let job = SourceJob {
        name: "server.ts".into(),
        text: "const options = { minVersion: 'TLSv1'\n".into(),
    };
    match read(&job) {
        WorkerMessage::Failed { error } => {
            assert!(error.starts_with("TypeScript line"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

#[wasm_bindgen_test]
fn go_is_left_to_the_agent() {
    assert_eq!(readable("client.py"), Some(Language::Python));
    assert_eq!(readable("app.tsx"), Some(Language::TypeScript));
    assert_eq!(readable("notes.txt"), None);
    assert_eq!(readable("main.go"), None);
    assert_eq!(agent_only("main.go"), Some(Language::Go));
}
