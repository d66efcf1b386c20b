//! End to end: configs and connection strings dropped on the dashboard land in the Lint view
//! and are judged in the browser; editing the policy in the Policy view re-judges them at once,
//! an invalid policy shows its line and column, and passwords never reach the page.

use fantoccini::Locator;
use harness::{Dashboard, drop_file, screenshot};

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(harness::root().join("crates/core/tests/corpus").join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_view_rejudges_when_the_policy_changes() {
    let page = Dashboard::open().await;
    drop_file(
        &page.client,
        "nginx-legacy.conf",
        &corpus("nginx-legacy.conf"),
    )
    .await;
    let kind = page.text_of(".lint .badge.kind").await;
    assert_eq!(kind, "nginx configuration");
    assert_eq!(
        page.count(".lint li[data-rule=\"TLS-VERSION-MIN\"]").await,
        2
    );
    assert!(
        page.count(".lint li[data-rule=\"WEB-PROXY-VERIFY-OFF\"]")
            .await
            == 1
    );

    drop_file(
        &page.client,
        "services.env",
        &corpus("connections-weak.env"),
    )
    .await;
    let strings = page.text_of(".lint .connections").await;
    assert!(
        strings.contains("postgres://orders:****@db.internal"),
        "{strings}"
    );
    let body = page.text_of("body").await;
    assert!(
        !body.contains("hunter2") && !body.contains("s3cret"),
        "a password reached the page"
    );
    screenshot(&page.client, "dashboard-lint").await;

    // Allow TLS 1.2 for clients: only the server still offering 1.0/1.1 remains.
    page.client
        .find(Locator::Id("tab-policy"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let editor = page
        .client
        .find(Locator::Id("policy-text"))
        .await
        .expect("policy editor");
    // A built-in profile, written out by the judging worker, fills the editor and is in force.
    page.client
        .execute(
            "const s = document.getElementById('profile'); s.value = 'public-web'; \
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("choose a profile");
    let mut text = String::new();
    for _ in 0..100 {
        text = editor.prop("value").await.unwrap().unwrap_or_default();
        if text.contains("public-web") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(text.contains("extends = \"public-web\""), "{text}");
    let status = page.policy_status().await;
    assert!(status.starts_with("✔ Valid"), "{status}");
    editor.clear().await.unwrap();
    editor
        .send_keys("version = 1\n[tls]\nclient_min_version = \"1.2\"\n")
        .await
        .unwrap();
    let status = page.policy_status().await;
    assert!(status.starts_with("✔ Valid"), "{status}");
    assert!(status.contains("clients ≥ TLS 1.2"), "{status}");
    editor.send_keys("bogus = 1\n").await.unwrap();
    let status = page.policy_status().await;
    assert!(
        status.contains("line 4"),
        "errors carry their line: {status}"
    );
    screenshot(&page.client, "dashboard-policy").await;

    page.client
        .find(Locator::Id("tab-lint"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.text_of(".lint").await;
    assert_eq!(
        page.count(".lint li[data-rule=\"TLS-VERSION-MIN\"]").await,
        1,
        "the last valid policy (TLS 1.2 allowed) is in force"
    );
    page.client.clone().close().await.expect("close session");
}

fn example(path: &str) -> Vec<u8> {
    std::fs::read(harness::root().join("examples/platform-repo").join(path)).unwrap()
}

/// The example repository's files dropped on the page: the Lint view links the client to the
/// server configuration and judges them with the certificate files, as `tlscope lint` does;
/// TypeScript is read in the source worker and linked too; Go says the agent reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_view_links_a_client_to_its_server_configuration() {
    let page = Dashboard::open().await;
    for (name, path) in [
        ("orders.env", "app/orders.env"),
        ("postgresql.conf", "deploy/postgres/postgresql.conf"),
        ("ca.pem", "certs/ca.pem"),
        ("server.crt", "deploy/postgres/tls/server.crt"),
    ] {
        drop_file(&page.client, name, &example(path)).await;
    }
    page.click("#tab-lint").await;
    let links = page.text_of(".links").await;
    assert!(
        links.contains("postgres://orders@db.internal:5432/orders")
            && links.contains("postgresql.conf:1"),
        "{links}"
    );
    assert_eq!(
        page.count(".links li[data-rule=\"LINK-CA-MISMATCH\"]")
            .await,
        1,
        "{links}"
    );
    assert_eq!(
        page.count(".links li[data-rule=\"LINK-SERVER-WEAKER\"]")
            .await,
        1,
        "{links}"
    );
    // Source code is read in the source worker (oxc), and its client joins the links: the
    // TypeScript client pins TLS 1.3, the nginx config that serves its host allows 1.2.
    drop_file(
        &page.client,
        "inventory.ts",
        &example("app/src/inventory.ts"),
    )
    .await;
    drop_file(
        &page.client,
        "nginx.conf",
        &example("deploy/nginx/nginx.conf"),
    )
    .await;
    page.click("#tab-lint").await;
    page.text_of(".lint.source[data-settings]").await;
    let card = page.text_of(".lint.source").await;
    assert!(
        card.contains("TypeScript source, 2 TLS setting(s)") && card.contains("oxc"),
        "{card}"
    );
    let links = page.text_of(".links").await;
    assert!(
        links.contains("https://api.internal:8443") && links.contains("inventory.ts:"),
        "{links}"
    );
    assert_eq!(
        page.count(".links li[data-rule=\"LINK-SERVER-WEAKER\"]")
            .await,
        2,
        "{links}"
    );
    // Go's parser is C: the page says the agent reads it.
    drop_file(&page.client, "main.go", b"package main\n\nfunc main() {}\n").await;
    let note = page.text_of(".lint.warning .source-note").await;
    assert!(note.contains("tlscope lint main.go"), "{note}");
    screenshot(&page.client, "dashboard-links").await;
    page.close().await;
}
