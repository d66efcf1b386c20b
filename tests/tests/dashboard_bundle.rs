//! End to end: a 1,000-certificate bundle dropped on the dashboard is judged in the Web Worker —
//! the worker's wasm is fetched, a progress indicator is shown, and the report arrives as a table
//! of 1,000 rows shown 100 at a time, with a filter and a full card on demand. The page keeps
//! working while and after the worker runs.

use std::time::Duration;

use fantoccini::Locator;
use harness::{Dashboard, drop_text, screenshot, system_certificates, wait_text};

/// The finding that says a bundle's first certificate is itself a Mozilla root.
const ANCHOR: &str = "article.entry li[data-rule=\"CERT-TRUST-ANCHOR\"]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_certificates_are_judged_in_a_worker_with_progress() {
    let page = Dashboard::open().await;
    // Record whether a progress indicator ever appears (it may be brief).
    page.client
        .execute(
            r#"window.sawProgress = [];
               new MutationObserver(() => {
                   const p = document.querySelector('.bundle-progress .progress-text');
                   if (p) window.sawProgress.push(p.textContent);
               }).observe(document.body, { childList: true, subtree: true, characterData: true });"#,
            vec![],
        )
        .await
        .expect("observer");
    drop_text(&page.client, "bundle-1000.pem", &system_certificates(1000)).await;

    let counts = wait_text(&page.client, ".bundle-counts", 90).await;
    assert!(counts.contains("1000 certificates"), "{counts}");
    assert!(counts.contains("judged in a worker"), "{counts}");
    // The worker judged against the Mozilla set the page handed it: the first certificate is
    // one of its roots.
    let anchors = page.count(ANCHOR).await;
    assert!(anchors > 0, "no trust-anchor verdict");

    let progress = page
        .client
        .execute("return window.sawProgress", vec![])
        .await
        .expect("progress log");
    let progress: Vec<String> = serde_json::from_value(progress).unwrap_or_default();
    assert!(!progress.is_empty(), "no progress indicator was shown");

    // The worker really ran: the page fetched its loader (the worker's own fetches, its script
    // and wasm, are in the worker's timeline, not the page's).
    let resources = page
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .expect("resources");
    let resources: Vec<String> = serde_json::from_value(resources).unwrap_or_default();
    assert!(
        resources
            .iter()
            .any(|r| r.ends_with("tlscope-worker_loader.js")),
        "{resources:?}"
    );

    assert_eq!(page.count(".bundle-row").await, 100, "first page of rows");
    page.client
        .find(Locator::Css(".show-more"))
        .await
        .expect("show more")
        .click()
        .await
        .expect("click");
    assert_eq!(page.count(".bundle-row").await, 200);

    // Ordered by expiry, the soonest comes first.
    page.client
        .execute(
            "const s = document.querySelector('.bundle-order select'); s.value = 'expiry'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("order by expiry");
    let mut days = Vec::new();
    for row in page
        .client
        .find_all(Locator::Css(".bundle-row td:nth-child(4)"))
        .await
        .expect("expiry cells")
        .iter()
        .take(20)
    {
        let text = row.text().await.unwrap_or_default();
        let n: i64 = text
            .rsplit('·')
            .next()
            .and_then(|d| d.split_whitespace().find_map(|w| w.parse().ok()))
            .unwrap_or_else(|| panic!("days in {text:?}"));
        days.push(if text.contains("expired") { -n } else { n });
    }
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");

    // The filter narrows the table.
    let filter = page
        .client
        .find(Locator::Css(".bundle-filter input"))
        .await
        .expect("filter");
    filter.send_keys("ISRG").await.expect("type");
    let rows = page
        .client
        .find_all(Locator::Css(".bundle-row"))
        .await
        .expect("rows");
    assert!(!rows.is_empty() && rows.len() < 100, "{} rows", rows.len());
    for row in &rows {
        let text = row.text().await.unwrap_or_default();
        assert!(text.contains("ISRG"), "{text}");
    }

    // A row opens its full card, decoded from that certificate alone.
    rows[0]
        .find(Locator::Css("button"))
        .await
        .expect("details button")
        .click()
        .await
        .expect("click");
    let card = page.text_of(".bundle .card.certificate").await;
    assert!(card.contains("ISRG"), "{card}");
    screenshot(&page.client, "dashboard-bundle").await;

    // The page still works: the policy changes on another tab, the bundle says so, and is
    // judged again in a new worker.
    page.click("#tab-policy").await;
    let editor = page
        .client
        .find(Locator::Id("policy-text"))
        .await
        .expect("policy editor");
    editor.clear().await.expect("clear");
    editor
        .send_keys("version = 1\n[tls]\nclient_min_version = \"1.2\"\n")
        .await
        .expect("type");
    assert!(page.policy_status().await.starts_with("✔ Valid"));
    page.click("#tab-inspect").await;
    let again = page.text_of(".bundle-counts button").await;
    assert_eq!(again, "The policy changed: judge again");
    page.click(".bundle-counts button").await;
    let started = std::time::Instant::now();
    loop {
        let text = page.text_of(".bundle-counts").await;
        if text.ends_with("Judge again") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Judged again by the warm worker, which was handed the Mozilla set once when it started,
    // not with this job.
    assert_eq!(
        page.count(ANCHOR).await,
        anchors,
        "the warm worker lost the Mozilla set"
    );

    // A host name typed into the bundle's entry sends it back to the worker, checked for it.
    let host = page
        .client
        .find(Locator::Css("article.entry .host-input"))
        .await
        .expect("host field");
    host.send_keys("shop.example.test").await.expect("type");
    page.client
        .execute(
            "document.querySelector('article.entry .host-input').dispatchEvent(new Event('change', {bubbles: true}))",
            vec![],
        )
        .await
        .expect("change");
    let started = std::time::Instant::now();
    while page
        .count("article.entry li[data-rule=\"HOST-MISMATCH\"]")
        .await
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no HOST-MISMATCH after the host was set"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    page.client.clone().close().await.expect("close session");
}
