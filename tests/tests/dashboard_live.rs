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
    // The demo's edges enrolled over the network and renew over their mTLS channel 15-35 s in:
    // each row shows its coordinator, its expiry, its last renewal and its grace period.
    let started = Instant::now();
    loop {
        let edges = page.text_of("#live-edges").await;
        let renewed = page.count("#live-edges tr.edge td.edge-renewal").await
            - count_text(&page, "#live-edges tr.edge td.edge-renewal", "never").await;
        if renewed == 3 && edges.contains("in grace until") {
            assert_eq!(
                count_text(
                    &page,
                    "#live-edges tr.edge td.edge-coordinator",
                    "coordinator"
                )
                .await,
                3,
                "{edges}"
            );
            assert_eq!(
                count_text(&page, "#live-edges tr.edge td.edge-expiry", "—").await,
                0,
                "every edge shows its certificate's expiry: {edges}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(75),
            "the edges never showed their renewal and grace: {edges}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let feed = page.text_of("#live-feed").await;
    assert!(
        feed.contains("accepted") && feed.contains("/edge/edge-"),
        "{feed}"
    );
    assert!(feed.contains("refused"), "{feed}");
    assert!(page.count("#live-timeline svg.timeline g.row").await >= 5);
    let status = page.text_of("#live-status").await;
    assert!(status.starts_with("connected"), "{status}");
    // The demo's agent is the default build: its coordinator says so, and counts no FIPS
    // handshake among the accepted ones.
    let fips = page.text_of("#live-fips").await;
    assert!(
        fips.starts_with("not FIPS")
            && fips.contains("not a FIPS build")
            && fips.contains(" 0 of the "),
        "{fips}"
    );
    screenshot(&page.client, "dashboard-live").await;
    page.close().await;
}

/// How many elements matching `selector` have exactly `text`.
async fn count_text(page: &Dashboard, selector: &str, text: &str) -> usize {
    let mut n = 0;
    for e in page
        .client
        .find_all(Locator::Css(selector))
        .await
        .unwrap_or_default()
    {
        if e.text().await.is_ok_and(|t| t.trim() == text) {
            n += 1;
        }
    }
    n
}
