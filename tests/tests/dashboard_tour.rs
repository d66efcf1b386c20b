//! End to end: a tour of every view against a real `tlscope demo`, at a laptop's 1280x800 and
//! at phone width (390x844): Inspect with the samples, Lint, Policy, Live, each asserted for its
//! content, checked for horizontal overflow (nothing wider than the window), and saved as a
//! screenshot under target/screenshots (`tour-<view>-<size>.png`).

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use harness::{Dashboard, screenshot};

const SIZES: [(&str, u32, u32); 2] = [("desktop", 1280, 800), ("phone", 390, 844)];

/// How far the page is wider than the window, in CSS pixels (0 when it fits).
async fn overflow(client: &Client) -> i64 {
    client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(i64::MAX)
}

/// The innermost elements that stick out past the window's right edge, for the message.
async fn offenders(client: &Client) -> String {
    client
        .execute(
            r#"const w = document.documentElement.clientWidth;
               return [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > w + 1
                     || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'))
                 .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > w + 1))
                 .slice(0, 8)
                 .map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' ' + Math.round(e.getBoundingClientRect().right))
                 .join(', ');"#,
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn shoot(client: &Client, view: &str, size: &str) {
    let over = overflow(client).await;
    if over > 0 {
        screenshot(client, &format!("tour-{view}-{size}-overflow")).await;
        panic!(
            "{view} at {size} is {over} px wider than the window: {}",
            offenders(client).await
        );
    }
    screenshot(client, &format!("tour-{view}-{size}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_at_desktop_and_phone_width() {
    let page = Dashboard::open().await;
    let client = &page.client;
    page.click("#try-samples").await;
    page.text_of(".chain-verdict").await;

    // The Live view needs the demo's first probes; wait for them once.
    page.click("#tab-live").await;
    let started = Instant::now();
    while page.count("#live-endpoints tr.endpoint").await < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the demo's endpoints never appeared"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    for (size, width, height) in SIZES {
        client
            .set_window_size(width, height)
            .await
            .expect("window size");

        page.click("#tab-inspect").await;
        assert_eq!(page.count("article.entry").await, 5);
        let inspect = page.text_of(".results").await;
        for text in ["✔ Chain valid", "CERT-EXPIRED", "HOST-MISMATCH"] {
            assert!(inspect.contains(text), "{text} on Inspect at {size}");
        }
        shoot(client, "inspect", size).await;

        page.click("#tab-lint").await;
        let lint = page.text_of(".results").await;
        assert!(lint.contains("DB-PG-SSLMODE"), "{lint}");
        assert!(!lint.contains("s3cret-pa55"), "password shown at {size}");
        shoot(client, "lint", size).await;

        page.click("#tab-policy").await;
        let policy = client
            .find(Locator::Css("#policy-text"))
            .await
            .expect("policy editor")
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default();
        assert!(policy.contains("TLS_AES_256_GCM_SHA384"), "{policy}");
        shoot(client, "policy", size).await;

        page.click("#tab-live").await;
        let live = page.text_of("#live-endpoints").await;
        assert!(live.contains("TLS 1.3"), "{live}");
        assert_eq!(page.count("#live-edges tr.edge").await, 3);
        shoot(client, "live", size).await;
    }
    page.close().await;
}
