//! `tlscope lint` as CI runs it: the corpus walked as a directory, every output format checked
//! against its schema (ours for JSON, the official SARIF 2.1.0 schema shipped in the serde-sarif
//! crate), exit codes for `--fail-on`, and passwords masked in every format.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn tlscope(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlscope"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("run tlscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const CORPUS: &str = "crates/core/tests/corpus";

/// The SARIF 2.1.0 schema from the serde-sarif package cargo downloaded.
fn sarif_schema() -> Value {
    // Only this platform's packages: the others (e.g. Android's, through chrono) are never
    // downloaded, and --offline would refuse to resolve them.
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host");
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(&host)
        .current_dir(workspace())
        .output()
        .expect("cargo metadata");
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif is a dev-dependency");
    let schema = Path::new(manifest).with_file_name("src/schema.json");
    serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap()
}

fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what} does not validate: {errors:#?}");
}

#[test]
fn json_report_of_the_corpus_validates_against_the_documented_schema() {
    let (code, out, err) = tlscope(&["lint", CORPUS, "--format", "json"]);
    assert_eq!(
        code, 1,
        "criticals in the corpus fail the default gate: {err}"
    );
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    assert_valid(&schema, &doc, "the JSON report");
    // 35 corpus files are recognised (31 configurations and connection-string files, 4
    // certificate fixtures); the .expected files are skipped by the walk.
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 35);
    assert!(doc["summary"]["critical"].as_u64().unwrap() >= 20);
    let legacy = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("nginx-legacy.conf"))
        .unwrap();
    assert_eq!(legacy["recognised"]["kind"], "nginx");
    assert!(
        legacy["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["rule"] == "TLS-VERSION-MIN" && f["location"]["line"] == 4 })
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let (code, out, _) = tlscope(&["lint", CORPUS, "--format", "sarif"]);
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).expect("JSON");
    assert_valid(&sarif_schema(), &sarif, "the SARIF log");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| {
        r["ruleId"] == "MESH-DESTINATION-RULE-TLS"
            && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 18
    }));
    // The typed model of the same schema reads it back.
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&out).expect("serde-sarif reads it");
}

#[test]
fn fail_on_sets_the_exit_code() {
    let dir = std::env::temp_dir().join(format!("tlscope-lint-gate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let warn_only = dir.join("replica.txt");
    std::fs::write(&warn_only, "host=replica sslmode=verify-ca\n").unwrap();
    let path = warn_only.to_str().unwrap();
    assert_eq!(
        tlscope(&["lint", path]).0,
        0,
        "a warning passes the default gate"
    );
    let (code, out, _) = tlscope(&["lint", path, "--fail-on", "warning"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DB-PG-SSLMODE-VERIFY-CA"));
    let good = format!("{CORPUS}/nginx-specification.conf");
    assert_eq!(tlscope(&["lint", &good, "--fail-on", "warning"]).0, 0);
    let (code, _, err) = tlscope(&["lint", "no/such/file.conf"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no/such/file.conf"), "{err}");
    let broken = dir.join("broken.conf");
    std::fs::write(&broken, "server {\n  listen 443 ssl\n}\n").unwrap();
    let (code, out, _) = tlscope(&["lint", broken.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "nginx configuration line 3, column 1: expected `;` after the `listen` directive"
        ),
        "{out}"
    );
}

#[test]
fn passwords_never_appear_in_any_format() {
    let file = format!("{CORPUS}/connections-weak.env");
    for format in ["text", "json", "sarif", "md"] {
        let (_, out, err) = tlscope(&["lint", &file, "--format", format]);
        for secret in ["hunter2", "s3cret"] {
            assert!(
                !out.contains(secret) && !err.contains(secret),
                "{format} shows {secret}"
            );
        }
        assert!(out.contains("****"), "{format} shows the masked string");
    }
}

#[test]
fn policy_files_change_the_verdict() {
    let dir = std::env::temp_dir().join(format!("tlscope-lint-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "version = 1\n[tls]\nclient_min_version = \"1.2\"\n",
    )
    .unwrap();
    let legacy = format!("{CORPUS}/nginx-legacy.conf");
    let (_, strict, _) = tlscope(&["lint", &legacy, "--format", "json"]);
    let (_, relaxed, _) = tlscope(&[
        "lint",
        &legacy,
        "--format",
        "json",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    let count = |text: &str| {
        let doc: Value = serde_json::from_str(text).unwrap();
        doc["inputs"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "TLS-VERSION-MIN")
            .count()
    };
    assert_eq!(count(&strict), 2);
    assert_eq!(count(&relaxed), 1, "only the TLSv1/TLSv1.1 server remains");
}

/// Source code in a repository: the JavaScript and Python files with TLS settings are read by
/// their parsers and judged at their lines; files without any are left out of a walk; a file
/// that does not parse is a problem of the run, not its failure.
#[test]
fn lint_reads_tls_settings_in_source_code() {
    let dir = std::env::temp_dir().join(format!("tlscope-lint-src-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/client.js"),
        "const https = require('https');\n\nconst agent = new https.Agent({ rejectUnauthorized: false });\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/worker.py"),
        "import ssl\nctx = ssl.create_default_context()\nctx.minimum_version = ssl.TLSVersion.TLSv1_2\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/plain.ts"), "export const x: number = 1;\n").unwrap();
    std::fs::write(dir.join("src/broken.py"), "def f(:\n").unwrap();
    let (_, out, err) = tlscope(&["lint", dir.to_str().unwrap(), "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    assert_valid(&schema, &doc, "the JSON report");
    let inputs = doc["inputs"].as_array().unwrap();
    let by_name = |n: &str| {
        inputs
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(n))
            .unwrap_or_else(|| panic!("{n} in {inputs:#?}"))
    };
    let js = by_name("client.js");
    assert_eq!(js["recognised"]["language"], "javascript");
    assert_eq!(js["findings"][0]["rule"], "TLS-CLIENT-VERIFY-OFF");
    assert_eq!(js["findings"][0]["location"]["line"], 3);
    let py = by_name("worker.py");
    assert_eq!(py["findings"][0]["rule"], "TLS-VERSION-MIN");
    assert_eq!(py["findings"][0]["location"]["line"], 3);
    assert!(
        !inputs
            .iter()
            .any(|i| i["path"].as_str().unwrap().ends_with("plain.ts")),
        "no settings, left out of the walk"
    );
    let broken = by_name("broken.py");
    assert!(
        broken["problems"][0]
            .as_str()
            .is_some_and(|p| p.contains("Python line 1")),
        "{broken:#}"
    );
}

/// The links of a JSON report: for each, the client's file and line and its rules.
fn links(doc: &Value) -> Vec<(String, Vec<String>)> {
    doc["links"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            let client = format!(
                "{}:{}",
                l["client"]["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap(),
                l["client"]["line"]
            );
            let rules = l["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].as_str().unwrap().to_owned())
                .collect();
            (client, rules)
        })
        .collect()
}

/// The example repository: each client linked to the configuration of the server it names
/// and judged with it, as examples/platform-repo/README.md says.
#[test]
fn the_example_repository_links_each_client_to_its_server_configuration() {
    let (code, out, err) = tlscope(&[
        "lint",
        "examples/platform-repo",
        "--format",
        "json",
        "--at",
        "2027-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 1, "criticals fail the gate: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    assert_valid(&schema, &doc, "the JSON report with links");
    assert_eq!(
        links(&doc),
        [
            (
                "orders.env:2".to_owned(),
                vec![
                    "LINK-CA-MISMATCH".to_owned(),
                    "LINK-SERVER-WEAKER".to_owned()
                ]
            ),
            (
                "orders.env:3".to_owned(),
                vec!["LINK-CLIENT-CERT-MISSING".to_owned()]
            ),
            (
                "inventory.ts:7".to_owned(),
                vec!["LINK-SERVER-WEAKER".to_owned()]
            ),
        ]
    );
    let pg = &doc["links"][0];
    assert_eq!(pg["servers"][0]["kind"], "postgresql-conf");
    assert_eq!(pg["servers"][0]["matched_by"], "port");
    assert_eq!(pg["findings"][1]["location"]["line"], 7, "{pg:#}");
    let api = &doc["links"][2];
    assert_eq!(api["servers"][0]["matched_by"], "name and port");
    // Link findings count in the summary, and SARIF puts each in the file it names.
    let total: u64 = ["critical", "warning", "info"]
        .iter()
        .map(|s| doc["summary"][s].as_u64().unwrap())
        .sum();
    let per_input: usize = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(total as usize, per_input + 4);
    let (_, sarif, _) = tlscope(&[
        "lint",
        "examples/platform-repo",
        "--format",
        "sarif",
        "--at",
        "2027-01-01T00:00:00Z",
    ]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let weaker: Vec<(String, u64)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "LINK-SERVER-WEAKER")
        .map(|r| {
            let l = &r["locations"][0]["physicalLocation"];
            (
                l["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                l["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        weaker,
        [
            (
                "examples/platform-repo/deploy/postgres/postgresql.conf".to_owned(),
                7
            ),
            (
                "examples/platform-repo/deploy/nginx/nginx.conf".to_owned(),
                8
            ),
        ]
    );
}

/// `lint --probe` against a real PostgreSQL: the repository says TLS 1.3 only and a
/// certificate the client's CA issued; the running server allows TLS 1.2 and serves a
/// certificate from another CA. Then the same with the client trusting the right CA.
#[test]
fn lint_probe_judges_what_a_real_postgres_serves_against_the_repository() {
    let dir = std::env::temp_dir().join(format!("tlscope-lint-probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let served = tlscope_testbed::Pki::new(&dir.join("served"));
    let other = tlscope_testbed::Pki::new(&dir.join("other"));
    let pg = tlscope_testbed::postgres(&dir.join("pg"), &served);
    let port = pg.port;
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join("certs")).unwrap();
    std::fs::create_dir_all(repo.join("deploy")).unwrap();
    std::fs::copy(&other.ca, repo.join("certs/ca.pem")).unwrap();
    std::fs::copy(&other.cert, repo.join("deploy/server.crt")).unwrap();
    std::fs::write(
        repo.join("app.env"),
        format!("DATABASE_URL=postgres://app@localhost:{port}/postgres?sslmode=verify-full&sslrootcert=certs/ca.pem\n"),
    )
    .unwrap();
    std::fs::write(
        repo.join("deploy/postgresql.conf"),
        format!("port = {port}\nssl = on\nssl_cert_file = 'server.crt'\nssl_min_protocol_version = 'TLSv1.3'\n"),
    )
    .unwrap();
    let run = || {
        let (_, out, err) = tlscope(&[
            "lint",
            repo.to_str().unwrap(),
            "--probe",
            "--timeout",
            "10",
            "--format",
            "json",
        ]);
        let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
        doc
    };
    let doc = run();
    let link = &doc["links"][0];
    assert_eq!(link["served"]["error"], Value::Null, "{link:#}");
    let versions: Vec<&str> = link["served"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.2", "1.3"], "{link:#}");
    let mut rules = links(&doc)[0].1.clone();
    rules.sort();
    // The configured certificate chains to the client's CA; the served one does not, and it
    // is not the configured one; the server accepts TLS 1.2, which the file does not allow.
    assert_eq!(
        rules,
        ["LINK-CA-MISMATCH", "LINK-CONFIG-DRIFT", "LINK-CONFIG-DRIFT"],
        "{link:#}"
    );
    let evidence: Vec<&str> = link["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["evidence"].as_str().unwrap())
        .collect();
    assert!(
        evidence.iter().any(|e| e.contains(&format!(
            "the chain localhost:{port} serves does not chain to certs/ca.pem"
        ))),
        "{evidence:#?}"
    );
    // The probe is an input of its own, judged as `tlscope probe` judges it.
    assert!(
        doc["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"] == format!("postgres://localhost:{port}") && i["probe"].is_object()),
        "{:#}",
        doc["inputs"]
    );
    // The client trusting the CA that issued what runs, and the repository describing it.
    std::fs::copy(&served.ca, repo.join("certs/ca.pem")).unwrap();
    std::fs::copy(&served.cert, repo.join("deploy/server.crt")).unwrap();
    std::fs::write(
        repo.join("deploy/postgresql.conf"),
        format!("port = {port}\nssl = on\nssl_cert_file = 'server.crt'\n"),
    )
    .unwrap();
    let doc = run();
    assert_eq!(links(&doc)[0].1, Vec::<String>::new(), "{:#}", doc["links"]);
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}
