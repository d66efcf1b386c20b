//! End to end: the Live view of the dashboard served by a real `tlscope demo`, in Chromium. It
//! connects to its own agent, and shows the demo's endpoints judged in the browser (the legacy
//! TLS 1.2 endpoint, the self-signed server, the certificate expiring in 5 days), the edges,
//! the live handshake feed with refusals and their reasons, and the expiry timeline.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use harness::{Dashboard, screenshot};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_view_shows_the_demo_judged_in_the_browser() {
    let page = Dashboard::open().await;
    page.client
        .find(Locator::Id("tab-live"))
        .await
        .expect("Live tab")
        .click()
        .await
        .expect("click");
    // The demo probes every 10 s; its four endpoints appear with their verdicts.
    let started = Instant::now();
    while page.count("#live-endpoints tr.endpoint").await < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "endpoints never appeared: {}",
            page.text_of("body").await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let endpoints = page.text_of("#live-endpoints").await;
    assert!(
        endpoints.contains("1.2"),
        "the legacy endpoint: {endpoints}"
    );
    assert!(endpoints.contains("TLS 1.3"), "{endpoints}");
    let alerts = page.text_of("#live-alerts").await;
    for rule in ["TLS-VERSION-MIN", "TLS-SUITE-CBC", "CERT-EXPIRY-CRITICAL"] {
        assert!(alerts.contains(rule), "{rule} in alerts: {alerts}");
    }
    assert!(
        page.count("#live-alerts li[data-rule^=\"CHAIN-\"]").await >= 1,
        "the self-signed server's chain is judged: {alerts}"
    );
    assert_eq!(page.count("#live-edges tr.edge").await, 3);
    let feed = page.text_of("#live-feed").await;
    assert!(
        feed.contains("accepted") && feed.contains("/edge/edge-"),
        "{feed}"
    );
    assert!(feed.contains("refused"), "{feed}");
    assert!(page.count("#live-timeline svg.timeline g.row").await >= 5);
    let status = page.text_of("#live-status").await;
    assert!(status.starts_with("connected"), "{status}");
    screenshot(&page.client, "dashboard-live").await;
    page.close().await;
}
