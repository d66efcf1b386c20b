//! What `deploy/` ships, checked against the product: the Prometheus alert rules pass
//! `promtool check rules` and their unit tests (`promtool test rules`), every alert has a test
//! that fires it, and the expiry bands are the default policy's; the systemd units pass
//! `systemd-analyze verify` against the built binary and use only flags it has; and every PromQL
//! expression of the rules, their tests and the Grafana dashboard, read by a real PromQL parser,
//! names only metrics and labels (and label values) that a real `/metrics` scrape of
//! `tlscope demo` has.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use promql_parser::parser::{self, Expr};
use yaml_rust2::{Yaml, YamlLoader};

mod infra;
use infra::demo::{demo, http};

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(path)
}

fn yaml(path: &str) -> Yaml {
    let text = std::fs::read_to_string(deploy(path)).expect("read deploy file");
    YamlLoader::load_from_str(&text)
        .expect("YAML")
        .into_iter()
        .next()
        .expect("one document")
}

fn run(command: &mut Command) -> (bool, String) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (cargo xtask setup installs it)"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Every alerting rule: (name, expression).
fn alert_rules() -> Vec<(String, String)> {
    let rules = yaml("prometheus/tlscope.rules.yml");
    rules["groups"]
        .as_vec()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_vec().expect("rules").iter())
        .map(|r| {
            (
                r["alert"].as_str().expect("alert name").to_owned(),
                r["expr"].as_str().expect("expr").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let dir = deploy("prometheus");
    let (ok, out) = run(Command::new("promtool")
        .args(["check", "rules", "tlscope.rules.yml"])
        .current_dir(&dir));
    assert!(
        ok && out.contains("SUCCESS"),
        "promtool check rules:\n{out}"
    );
    let (ok, out) = run(Command::new("promtool")
        .args(["test", "rules", "tlscope.rules.test.yml"])
        .current_dir(&dir));
    assert!(ok && out.contains("SUCCESS"), "promtool test rules:\n{out}");
}

#[test]
fn every_alert_has_a_unit_test_that_fires_it() {
    let tests = yaml("prometheus/tlscope.rules.test.yml");
    let fired: BTreeSet<&str> = tests["tests"]
        .as_vec()
        .expect("tests")
        .iter()
        .flat_map(|t| {
            t["alert_rule_test"]
                .as_vec()
                .expect("alert_rule_test")
                .iter()
        })
        .filter(|a| a["exp_alerts"].as_vec().is_some_and(|e| !e.is_empty()))
        .map(|a| a["alertname"].as_str().expect("alertname"))
        .collect();
    let alerts = alert_rules();
    for (name, _) in &alerts {
        assert!(
            fired.contains(name.as_str()),
            "{name} has no test in which it fires"
        );
    }
    assert!(alerts.len() >= 11, "{alerts:?}");
}

#[test]
fn the_expiry_bands_are_the_default_policys() {
    let policy = tlscope_core::Policy::default();
    let (warning, critical) = (
        policy.alerts.warning_days * 86_400,
        policy.alerts.critical_days * 86_400,
    );
    let rules: BTreeMap<String, String> = alert_rules().into_iter().collect();
    let filter = r#"ssl_certificate_expiry_seconds{state!~"superseded|retiring"}"#;
    assert_eq!(
        rules["TlscopeCertificateExpiryWarning"],
        format!("{filter} <= {warning} > {critical}")
    );
    assert_eq!(
        rules["TlscopeCertificateExpiryCritical"],
        format!("{filter} <= {critical} > 0")
    );
    assert_eq!(rules["TlscopeCertificateExpired"], format!("{filter} <= 0"));
    // The dashboard's band panels say the same.
    let dashboard = std::fs::read_to_string(deploy("grafana/tlscope.json")).expect("dashboard");
    assert!(dashboard.contains(&format!("<= {warning} > {critical}")));
    assert!(dashboard.contains(&format!("<= {critical})")));
}

/// The `tlscope` command lines of a unit's `ExecStart=`: (subcommand, flags).
fn exec_flags(unit: &str) -> Vec<(String, Vec<String>)> {
    unit.lines()
        .filter_map(|l| l.strip_prefix("ExecStart=/usr/bin/tlscope "))
        .map(|cmd| {
            let mut words = cmd.split_whitespace();
            let sub = words.next().expect("subcommand").to_owned();
            let flags = words
                .filter(|w| w.starts_with("--"))
                .map(str::to_owned)
                .collect();
            (sub, flags)
        })
        .collect()
}

#[test]
fn the_systemd_units_verify_and_use_only_flags_the_binary_has() {
    let bin = env!("CARGO_BIN_EXE_tlscope");
    let scratch = infra::scratch("systemd-units");
    let units = [
        "tlscope-coordinator@.service",
        "tlscope-edge.service",
        "tlscope-enroll.service",
    ];
    let mut commands = 0;
    for name in units {
        let text = std::fs::read_to_string(deploy("systemd").join(name)).expect("unit");
        // Hardened as the issue asks: a dedicated user, a read-only system, no new privileges.
        for line in [
            "User=tlscope",
            "ProtectSystem=strict",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=\n",
            "PrivateTmp=yes",
        ] {
            assert!(text.contains(line), "{name} lacks {line:?}");
        }
        assert!(
            text.contains("StateDirectory="),
            "{name} has no state directory"
        );
        for (sub, flags) in exec_flags(&text) {
            let (ok, help) = run(Command::new(bin).args([sub.as_str(), "--help"]));
            assert!(ok, "tlscope {sub} --help: {help}");
            for flag in flags {
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{name}: tlscope {sub} has no {flag}"
                );
            }
            commands += 1;
        }
        std::fs::write(scratch.join(name), text.replace("/usr/bin/tlscope", bin)).expect("copy");
    }
    assert_eq!(commands, 3, "one tlscope command per unit");
    let dropin = scratch.join("tlscope-coordinator@.service.d");
    std::fs::create_dir_all(&dropin).expect("drop-in dir");
    std::fs::copy(
        deploy("systemd/tlscope-coordinator@.service.d/s3-credentials.conf"),
        dropin.join("s3-credentials.conf"),
    )
    .expect("drop-in");
    for unit in [
        "tlscope-coordinator@acme.service",
        "tlscope-edge.service",
        "tlscope-enroll.service",
    ] {
        let (ok, out) = run(Command::new("systemd-analyze")
            .args(["verify", &format!("./{unit}")])
            .current_dir(&scratch));
        // Warnings (an unknown key, a bad value) come with exit 0: any output fails the test.
        assert!(
            ok && out.trim().is_empty(),
            "systemd-analyze verify {unit}:\n{out}"
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Label names per metric in an exposition, and every value seen per label name.
#[derive(Debug, Default)]
struct Scrape {
    labels: BTreeMap<String, BTreeSet<String>>,
    values: BTreeMap<String, BTreeSet<String>>,
}

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut s = Self::default();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (name, rest) = line
                .split_once('{')
                .unwrap_or_else(|| (line.split_whitespace().next().expect("sample name"), "}"));
            let names = s.labels.entry(name.to_owned()).or_default();
            let mut rest = rest;
            while let Some((key, after)) = rest.split_once("=\"") {
                let key = key.trim_start_matches(',');
                let mut value = String::new();
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next().expect("closing quote") {
                        (_, '\\') => {
                            value.push(chars.next().expect("escaped").1);
                        }
                        (i, '"') => break i,
                        (_, c) => value.push(c),
                    }
                };
                names.insert(key.to_owned());
                s.values.entry(key.to_owned()).or_default().insert(value);
                rest = &after[end + 1..];
            }
        }
        s
    }
}

/// What a PromQL expression asks of the series: (metric, label names it filters or groups on,
/// label values it matches).
#[derive(Debug, Default)]
struct Uses {
    metrics: BTreeSet<String>,
    /// (metric, label) pairs: matchers and the `by`/`without` labels of aggregations over it.
    labels: BTreeSet<(String, String)>,
    /// (label, value) pairs from equality and alternation matchers.
    values: BTreeSet<(String, String)>,
}

/// Records what `expr` uses; returns the metrics under it (for the labels an aggregation over
/// them groups by).
fn walk(expr: &Expr, uses: &mut Uses) -> BTreeSet<String> {
    match expr {
        Expr::VectorSelector(vs) => selector(vs, uses),
        Expr::MatrixSelector(m) => selector(&m.vs, uses),
        Expr::Aggregate(a) => {
            let under = walk(&a.expr, uses);
            if let Some(p) = &a.param {
                walk(p, uses);
            }
            if let Some(m) = &a.modifier {
                for label in &m.labels().labels {
                    for metric in &under {
                        uses.labels.insert((metric.clone(), label.clone()));
                    }
                }
            }
            under
        }
        Expr::Unary(u) => walk(&u.expr, uses),
        Expr::Paren(p) => walk(&p.expr, uses),
        Expr::Subquery(s) => walk(&s.expr, uses),
        Expr::Binary(b) => {
            let mut under = walk(&b.lhs, uses);
            under.extend(walk(&b.rhs, uses));
            under
        }
        Expr::Call(c) => {
            let mut under = BTreeSet::new();
            for arg in &c.args.args {
                under.extend(walk(arg, uses));
            }
            under
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => BTreeSet::new(),
    }
}

fn selector(vs: &promql_parser::parser::VectorSelector, uses: &mut Uses) -> BTreeSet<String> {
    use promql_parser::label::MatchOp;
    let name = vs.name.clone().expect("every selector names its metric");
    uses.metrics.insert(name.clone());
    for m in vs
        .matchers
        .matchers
        .iter()
        .chain(vs.matchers.or_matchers.iter().flatten())
    {
        if m.name == "__name__" {
            continue;
        }
        uses.labels.insert((name.clone(), m.name.clone()));
        let literal = matches!(m.op, MatchOp::Equal | MatchOp::NotEqual)
            || m.value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_|.".contains(c));
        if literal && !m.value.contains('$') && !m.value.is_empty() {
            for alternative in m.value.split('|') {
                uses.values.insert((m.name.clone(), alternative.to_owned()));
            }
        }
    }
    BTreeSet::from([name])
}

/// Every PromQL expression deploy/ ships, with where it comes from.
fn every_query() -> Vec<(String, String)> {
    let mut queries: Vec<(String, String)> = alert_rules()
        .into_iter()
        .map(|(name, expr)| (format!("rule {name}"), expr))
        .collect();
    let tests = yaml("prometheus/tlscope.rules.test.yml");
    for t in tests["tests"].as_vec().expect("tests") {
        for s in t["input_series"].as_vec().expect("input_series") {
            let series = s["series"].as_str().expect("series").to_owned();
            queries.push(("rule test series".into(), series));
        }
    }
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy("grafana/tlscope.json")).expect("dashboard"),
    )
    .expect("dashboard JSON");
    let mut ids = BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        assert!(
            ids.insert(panel["id"].as_u64().expect("panel id")),
            "duplicate panel id"
        );
        assert!(panel["gridPos"]["w"].as_u64().is_some(), "{panel}");
        let title = panel["title"].as_str().expect("title");
        for target in panel["targets"].as_array().into_iter().flatten() {
            assert_eq!(target["datasource"]["uid"], "${datasource}", "{title}");
            let expr = target["expr"].as_str().expect("expr");
            queries.push((format!("panel {title:?}"), expr.to_owned()));
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
    {
        if let Some(q) = variable["query"]["query"].as_str() {
            // Grafana's label_values(SELECTOR, LABEL): the selector must have the label.
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|r| r.strip_suffix(')'))
                .expect("label_values(SELECTOR, LABEL)");
            let (selector, label) = inner.rsplit_once(',').expect("two arguments");
            let (metric, _) = selector.split_once('{').unwrap_or((selector, ""));
            queries.push((
                format!("variable {}", variable["name"]),
                selector.to_owned(),
            ));
            queries.push((
                format!("variable {}", variable["name"]),
                format!("sum by ({}) ({metric})", label.trim()),
            ));
        }
    }
    queries
}

#[test]
fn every_query_names_series_and_labels_a_real_scrape_has() {
    let d = demo(&["--probe-every", "1"]);
    // Wait (bounded) until every family the agent defines has samples: rotations need a renewal,
    // heartbeat ages an edge, probe gauges a finished probe.
    let started = Instant::now();
    let scrape = loop {
        let (status, _, body) = http(&d.addr, "GET", "/metrics", "", "");
        assert_eq!(status, 200);
        let scrape = Scrape::parse(&body);
        let missing: Vec<&str> = tlscope_agent::metrics::FAMILIES
            .iter()
            .map(|(name, _, _)| *name)
            .filter(|name| !scrape.labels.contains_key(*name))
            .collect();
        if missing.is_empty() {
            break scrape;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "after 120 s the demo still serves no samples of {missing:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    // Label values a series may take that the demo need not show at the moment of the scrape.
    let mut values = scrape.values.clone();
    let known = |label: &str, words: &[&str]| -> (String, Vec<String>) {
        (
            label.to_owned(),
            words.iter().map(|w| (*w).to_owned()).collect(),
        )
    };
    for (label, words) in [
        known(
            "status",
            &["ok", "renew-due", "in-grace", "overdue", "expired"],
        ),
        known(
            "state",
            &[
                "current",
                "superseded",
                "revoked",
                "active",
                "retiring",
                "retired",
            ],
        ),
        known("outcome", &["accepted", "refused"]),
        // A default build (the demo) says module="no"; a FIPS build "yes".
        known("module", &["yes", "no"]),
        known("fips", &["yes", "no"]),
        known(
            "reason",
            &tlscope_core::handshake::Refusal::ALL.map(|r| r.as_str()),
        ),
    ] {
        values.entry(label).or_default().extend(words);
    }
    // Prometheus's own series for each scrape target.
    let prometheus: BTreeSet<(String, String)> = [("up", "job"), ("up", "instance")]
        .map(|(m, l)| (m.into(), l.into()))
        .into();

    let mut used = BTreeSet::new();
    let queries = every_query();
    for (origin, query) in &queries {
        let expr = parser::parse(query).unwrap_or_else(|e| panic!("{origin}: {query:?}: {e}"));
        let mut uses = Uses::default();
        walk(&expr, &mut uses);
        for metric in &uses.metrics {
            assert!(
                metric == "up" || scrape.labels.contains_key(metric),
                "{origin}: {query:?} uses {metric}, which /metrics does not serve"
            );
            used.insert(metric.clone());
        }
        for (metric, label) in &uses.labels {
            let has = scrape.labels.get(metric).is_some_and(|l| l.contains(label))
                || prometheus.contains(&(metric.clone(), label.clone()));
            assert!(has, "{origin}: {query:?}: {metric} has no label {label}");
        }
        for (label, value) in &uses.values {
            if prometheus.iter().any(|(_, l)| l == label) || origin == "rule test series" {
                continue;
            }
            assert!(
                values.get(label).is_some_and(|v| v.contains(value)),
                "{origin}: {query:?}: {label}=\"{value}\" is not a value /metrics gives {label}"
            );
        }
    }
    // And the other way round: the dashboard and the rules together show every family.
    for (name, _, _) in tlscope_agent::metrics::FAMILIES {
        assert!(used.contains(*name), "no panel or rule uses {name}");
    }
    assert!(queries.len() > 40, "{}", queries.len());
}
