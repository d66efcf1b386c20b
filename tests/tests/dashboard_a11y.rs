//! Accessibility: axe-core (from npm, installed by `cargo xtask setup`) runs in Chromium on
//! every view of the dashboard — Inspect with the samples, a bundle judged in the worker and a
//! certificate, Lint with connection strings,
//! Policy, and Live connected to the demo — and finds no serious or critical violation.

use fantoccini::Locator;
use harness::{Dashboard, drop_file};

fn axe_source() -> String {
    let path = std::env::var_os("TLSCOPE_AXE").map_or_else(
        || {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/tlscope/tools/axe-core-4.10.2/node_modules/axe-core/axe.min.js")
        },
        std::path::PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (cargo xtask setup installs axe-core)",
            path.display()
        )
    })
}

/// Serious and critical violations on the page as it is now: "rule-id: help (n nodes)".
async fn violations(page: &Dashboard, axe: &str) -> Vec<String> {
    page.client
        .execute(axe, vec![])
        .await
        .expect("load axe-core");
    let result = page
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ['violations'] })
                  .then(r => done(r.violations
                      .filter(v => v.impact === 'serious' || v.impact === 'critical')
                      .map(v => `${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', ')})`)))
                  .catch(e => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await
        .expect("run axe");
    serde_json::from_value(result).expect("violations")
}

async fn show(page: &Dashboard, tab: &str) {
    page.client
        .find(Locator::Id(tab))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_has_no_serious_or_critical_axe_violation() {
    let axe = axe_source();
    let page = Dashboard::open().await;
    let mut found = Vec::new();
    found.extend(
        violations(&page, &axe)
            .await
            .into_iter()
            .map(|v| format!("empty page: {v}")),
    );
    // The samples: entries with their host-name fields and "trust as root" boxes.
    page.client
        .find(Locator::Id("try-samples"))
        .await
        .expect("samples button")
        .click()
        .await
        .expect("click");
    page.text_of(".chain-verdict").await;
    found.extend(
        violations(&page, &axe)
            .await
            .into_iter()
            .map(|v| format!("Inspect (samples): {v}")),
    );
    // A bundle judged in the worker: the summary, the table, a row's card.
    let chain =
        std::fs::read_to_string(harness::root().join("web/samples/good-chain.pem")).unwrap();
    harness::drop_text(&page.client, "bundle.pem", &chain.repeat(60)).await;
    page.text_of(".bundle-counts").await;
    page.client
        .find(Locator::Css(".bundle-row button"))
        .await
        .expect("details")
        .click()
        .await
        .expect("click");
    page.text_of(".bundle .card.certificate").await;
    found.extend(
        violations(&page, &axe)
            .await
            .into_iter()
            .map(|v| format!("Inspect (bundle): {v}")),
    );
    let text = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap();
    let end = text.find("-----END CERTIFICATE-----").unwrap() + 26;
    drop_file(&page.client, "root.pem", &text.as_bytes()[..end]).await;
    page.text_of(".card.certificate").await;
    found.extend(
        violations(&page, &axe)
            .await
            .into_iter()
            .map(|v| format!("Inspect: {v}")),
    );
    let env = std::fs::read(harness::root().join("crates/core/tests/corpus/connections-weak.env"))
        .unwrap();
    drop_file(&page.client, "services.env", &env).await;
    page.text_of(".lint .connections").await;
    found.extend(
        violations(&page, &axe)
            .await
            .into_iter()
            .map(|v| format!("Lint: {v}")),
    );
    show(&page, "tab-policy").await;
    page.text_of("#policy-text").await;
    found.extend(
        violations(&page, &axe)
            .await
            .into_iter()
            .map(|v| format!("Policy: {v}")),
    );
    show(&page, "tab-live").await;
    page.text_of("#live-endpoints").await;
    found.extend(
        violations(&page, &axe)
            .await
            .into_iter()
            .map(|v| format!("Live: {v}")),
    );
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
    page.close().await;
}
