//! `tlscope inspect` as a user runs it: text and JSON, `--at`, findings, and clear failures.

use std::process::Command;

fn tlscope(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run tlscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn workdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn leaf_pem(days: u64) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["cli.example.test".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "cli.example.test");
    params.not_before = rcgen::date_time_ymd(2026, 1, 1);
    params.not_after = params.not_before + std::time::Duration::from_secs(days * 86_400);
    params.self_signed(&key).unwrap().pem()
}

#[test]
fn text_output_shows_details_and_expiry_findings_as_of_at() {
    let dir = workdir("text");
    std::fs::write(dir.join("leaf.pem"), leaf_pem(90)).unwrap();
    let (code, out, _) = tlscope(
        &[
            "inspect",
            "leaf.pem",
            "--roots",
            "leaf.pem",
            "--at",
            "2026-03-28T00:00:00Z",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Subject     CN=cli.example.test"), "{out}");
    assert!(out.contains("(4 days left)"), "{out}");
    assert!(out.contains("CERT-EXPIRY-CRITICAL"), "{out}");
    let (_, out, _) = tlscope(
        &[
            "inspect",
            "leaf.pem",
            "--roots",
            "leaf.pem",
            "--at",
            "2026-02-01T00:00:00Z",
        ],
        &dir,
    );
    assert!(out.contains("Chain: ✔ valid"), "{out}");
    assert!(out.contains("no findings"), "{out}");
}

#[test]
fn json_output_is_machine_readable() {
    let dir = workdir("json");
    std::fs::write(dir.join("leaf.pem"), leaf_pem(90)).unwrap();
    let (code, out, _) = tlscope(
        &[
            "inspect",
            "--json",
            "leaf.pem",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
        &dir,
    );
    assert_eq!(code, 1, "an expired certificate is an invalid chain");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The same document as lint and probe print, valid against its JSON Schema.
    assert_eq!(doc["schema"], "tlscope-report/1");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "inspect's report does not validate: {errors:#?}"
    );
    assert_eq!(doc["judged_at"], "2026-06-01T00:00:00Z");
    let file = &doc["inputs"][0];
    assert_eq!(file["path"], "leaf.pem");
    assert_eq!(file["decoded"]["items"][0]["kind"], "certificate");
    assert_eq!(
        file["decoded"]["items"][0]["certificate"]["subject"]["rfc4514"],
        "CN=cli.example.test"
    );
    assert_eq!(file["findings"][0]["rule"], "CERT-EXPIRED");
    assert_eq!(file["chain"]["valid"], false);
    assert!(file["chain"]["paths"][0]["links"][0]["name"] == "cli.example.test");
}

/// A root and a leaf for `api.example.test` signed by it.
fn root_and_leaf() -> (String, String) {
    let root_key = rcgen::KeyPair::generate().unwrap();
    let mut root = rcgen::CertificateParams::default();
    root.distinguished_name
        .push(rcgen::DnType::CommonName, "CLI Test Root");
    root.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    root.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    let root_pem = root.self_signed(&root_key).unwrap().pem();
    let issuer = rcgen::Issuer::new(root, root_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["api.example.test".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "api.example.test");
    leaf.use_authority_key_identifier_extension = true;
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_pem = leaf.signed_by(&key, &issuer).unwrap().pem();
    (root_pem, leaf_pem)
}

#[test]
fn roots_host_and_purpose_decide_the_exit_code() {
    let dir = workdir("chain");
    let (root, leaf) = root_and_leaf();
    std::fs::write(dir.join("root.pem"), root).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["inspect", "leaf.pem", "--roots", "root.pem"];
        args.extend_from_slice(extra);
        tlscope(&args, &dir)
    };
    let (code, out, _) = run(&["--host", "api.example.test"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("api.example.test [#0] → CLI Test Root [trusted root"),
        "{out}"
    );

    let (code, out, err) = run(&["--host", "www.example.test"]);
    assert_eq!(code, 1);
    assert!(out.contains("HOST-MISMATCH"), "{out}");
    assert!(err.contains("the chain is not valid"), "{err}");

    let (code, out, _) = run(&["--purpose", "client"]);
    assert_eq!(code, 1);
    assert!(out.contains("CHAIN-EKU"), "{out}");

    // Without --roots the Mozilla set is used, which does not know this private root.
    let (code, out, _) = tlscope(&["inspect", "leaf.pem"], &dir);
    assert_eq!(code, 1);
    assert!(out.contains("CHAIN-ISSUER-NOT-FOUND"), "{out}");
}

#[test]
fn undecodable_file_exits_non_zero_with_the_dashboards_message() {
    let dir = workdir("bad");
    std::fs::write(dir.join("photo.jpg"), b"\xff\xd8\xff\xe0\x00\x10JFIF").unwrap();
    let (code, out, err) = tlscope(&["inspect", "photo.jpg"], &dir);
    assert_eq!(code, 1);
    assert!(
        out.contains("photo.jpg: error: this is a JPEG image, not a certificate"),
        "{out}"
    );
    assert!(err.contains("photo.jpg"), "{err}");
}

#[test]
fn missing_file_and_bad_at_are_clear_errors() {
    let dir = workdir("missing");
    let (code, _, err) = tlscope(&["inspect", "nope.pem"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read nope.pem"), "{err}");
    std::fs::write(dir.join("leaf.pem"), leaf_pem(90)).unwrap();
    let (code, _, err) = tlscope(&["inspect", "leaf.pem", "--at", "soon"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("expected an RFC 3339 time"), "{err}");
}

#[test]
fn policy_files_and_profiles_change_the_judgement() {
    let dir = workdir("policy");
    std::fs::write(dir.join("leaf.pem"), leaf_pem(90)).unwrap();
    let at = "2026-03-02T00:00:00Z"; // 30 days left
    let base = ["inspect", "leaf.pem", "--roots", "leaf.pem", "--at", at];
    let (_, out, _) = tlscope(&base, &dir);
    assert!(out.contains("CERT-EXPIRY-WARNING"), "{out}");

    std::fs::write(
        dir.join("relaxed.toml"),
        "version = 1\n[alerts]\nwarning_days = 14\n",
    )
    .unwrap();
    let mut args = base.to_vec();
    args.extend(["--policy", "relaxed.toml"]);
    let (code, out, _) = tlscope(&args, &dir);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("CERT-EXPIRY-WARNING"), "{out}");

    std::fs::write(
        dir.join("typo.toml"),
        "version = 1\n[alerts]\nwarnin_days = 14\n",
    )
    .unwrap();
    let mut args = base.to_vec();
    args.extend(["--policy", "typo.toml"]);
    let (code, _, err) = tlscope(&args, &dir);
    assert_eq!(code, 2);
    assert!(err.contains("typo.toml: policy line 3, column 1"), "{err}");

    let mut args = base.to_vec();
    args.extend(["--profile", "strict"]);
    let (code, _, err) = tlscope(&args, &dir);
    assert_eq!(code, 2);
    assert!(err.contains("default, cert-manager"), "{err}");
}

/// Issue 20: `--ct-logs` verifies embedded SCTs against a Chrome-format log list; the fixture
/// (crates/core/tests/corpus, made by the core's CT test with its own two-operator logs) holds
/// a 45-day public leaf with two SCTs. Without the list they are decoded and not checked; with
/// a list that does not name the logs, they do not count.
#[test]
fn ct_logs_verifies_embedded_scts() {
    let core = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests");
    let pem = core.join("corpus/sct-public-45-day.pem");
    let logs = core.join("ct/log_list.json");
    let dir = workdir("ct");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "inspect".to_owned(),
            pem.display().to_string(),
            "--roots".to_owned(),
            pem.display().to_string(),
            "--at".to_owned(),
            "2027-01-15T00:00:00Z".to_owned(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        tlscope(&refs, &dir)
    };
    let (code, out, err) = run(args(&["--ct-logs", &logs.display().to_string()]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Certificate Transparency: 2 embedded SCT(s)"),
        "{out}"
    );
    assert_eq!(out.matches(": verified").count(), 2, "{out}");
    assert!(
        out.contains("(Alpha CT)") && out.contains("(Beta CT)"),
        "{out}"
    );
    assert!(
        out.contains("Revocation  CRL http://crl.example.test/ca.crl"),
        "{out}"
    );
    assert!(!out.contains("CT-"), "{out}");
    // JSON: the report document carries each SCT with its status.
    let (_, json, _) = run(args(&[
        "--ct-logs",
        &logs.display().to_string(),
        "--format",
        "json",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&json).expect(&json);
    let scts = &doc["inputs"][0]["scts"];
    assert_eq!(scts.as_array().map(Vec::len), Some(2), "{json}");
    assert_eq!(scts[0]["status"]["status"], "verified");
    // Not checked without a list.
    let (_, out, _) = run(args(&[]));
    assert_eq!(
        out.matches("not checked (no --ct-logs)").count(),
        2,
        "{out}"
    );
    // A list without these logs: unknown, so too few.
    std::fs::write(dir.join("other.json"), r#"{"operators":[]}"#).unwrap();
    let (_, out, _) = run(args(&["--ct-logs", "other.json"]));
    assert!(out.contains("CT-SCT-UNKNOWN-LOG"), "{out}");
    assert!(out.contains("CT-TOO-FEW-SCTS"), "{out}");
    // A list that is not JSON: a clear error naming the file.
    std::fs::write(dir.join("bad.json"), "{ operators").unwrap();
    let (code, _, err) = run(args(&["--ct-logs", "bad.json"]));
    assert_ne!(code, 0);
    assert!(err.contains("--ct-logs bad.json: log list line 1"), "{err}");
}

/// Issue 20: `--trust-store system` reads the system bundle (here SSL_CERT_FILE, a bundle the
/// test writes), and the verdict names the store; a root missing from the stores asked for
/// leaves the chain untrusted.
#[test]
fn trust_store_names_the_store_that_trusts_the_chain() {
    let dir = workdir("stores");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Store Test Root");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["store.example.test".to_owned()]).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.use_authority_key_identifier_extension = true;
    let leaf = p.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("bundle.crt"), root.pem()).unwrap();
    let run = |stores: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlscope"));
        cmd.args(["inspect", "leaf.pem", "--host", "store.example.test"]);
        for s in stores {
            cmd.args(["--trust-store", s]);
        }
        let out = cmd
            .env("SSL_CERT_FILE", dir.join("bundle.crt"))
            .current_dir(&dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = run(&["system"]);
    assert!(out.contains("Chain: ✔ valid"), "{out}");
    assert!(out.contains("trusted by the system store"), "{out}");
    let out = run(&["mozilla", "system"]);
    assert!(out.contains("trusted by the system store"), "{out}");
    assert!(!out.contains("trusted by the Mozilla"), "{out}");
    let out = run(&["mozilla"]);
    assert!(out.contains("Chain: ✖ INVALID"), "{out}");
}
