//! End to end: "Try the samples" loads the built-in set in one click, judged as of the samples'
//! date against their own root (trusted for the occasion): the good chain is valid for its host,
//! and each flawed sample shows the finding it exists to show. Untrusting the root makes the good
//! chain untrusted; a host name typed into an entry is checked.

use fantoccini::{Locator, elements::Element};
use harness::{Dashboard, screenshot};

/// The entry article named `name`.
async fn entry(page: &Dashboard, name: &str) -> Element {
    page.client
        .find(Locator::Css(&format!(
            "article.entry[aria-label=\"{name}\"]"
        )))
        .await
        .unwrap_or_else(|e| panic!("entry {name}: {e}"))
}

async fn text_in(e: &Element, css: &str) -> String {
    e.find(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("{css}: {err}"))
        .text()
        .await
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_samples_load_in_one_click_and_each_shows_its_point() {
    let page = Dashboard::open().await;
    page.client
        .find(Locator::Css("#try-samples"))
        .await
        .expect("samples button")
        .click()
        .await
        .expect("click");
    page.text_of("article.entry").await;
    let entries = page
        .client
        .find_all(Locator::Css("article.entry"))
        .await
        .expect("entries");
    assert_eq!(entries.len(), 5, "five PKI samples on Inspect");
    let as_of = page
        .client
        .find(Locator::Css(".as-of input"))
        .await
        .expect("as-of")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(as_of.as_deref(), Some("2026-06-01"));

    let good = entry(&page, "sample: good chain.pem").await;
    assert_eq!(text_in(&good, ".chain-verdict").await, "✔ Chain valid");
    let good_text = good.text().await.unwrap_or_default();
    assert!(!good_text.contains("HOST-MISMATCH"), "{good_text}");

    let expired = entry(&page, "sample: expired leaf.pem").await;
    let text = expired.text().await.unwrap_or_default();
    assert!(text.contains("CERT-EXPIRED"), "{text}");
    assert_eq!(text_in(&expired, ".chain-verdict").await, "✖ Chain invalid");

    let wrong = entry(&page, "sample: wrong host.pem").await;
    let text = wrong.text().await.unwrap_or_default();
    assert!(text.contains("HOST-MISMATCH"), "{text}");
    assert!(text.contains("www.tlscope.example"), "{text}");

    let sha1 = entry(&page, "sample: SHA-1 intermediate.pem").await;
    let text = sha1.text().await.unwrap_or_default();
    assert!(
        text.contains("CHAIN-SIGNATURE-WEAK") || text.contains("CERT-SIG-WEAK-HASH"),
        "{text}"
    );
    screenshot(&page.client, "dashboard-samples").await;

    // The connection strings went to Lint, with the password masked.
    page.client
        .find(Locator::Css("#tab-lint"))
        .await
        .expect("lint tab")
        .click()
        .await
        .expect("click");
    let lint = page.text_of("article.entry").await;
    assert!(lint.contains("DB-PG-SSLMODE"), "{lint}");
    assert!(lint.contains("SECRET-PASSWORD-IN-STRING"), "{lint}");
    assert!(!lint.contains("s3cret-pa55"), "password shown: {lint}");
    page.client
        .find(Locator::Css("#tab-inspect"))
        .await
        .expect("inspect tab")
        .click()
        .await
        .expect("click");

    // A host name typed into the good chain's entry is checked.
    let good = entry(&page, "sample: good chain.pem").await;
    let host = good
        .find(Locator::Css(".host-input"))
        .await
        .expect("host input");
    host.clear().await.expect("clear");
    host.send_keys("shop.tlscope.example\n")
        .await
        .expect("type");
    page.client
        .execute(
            "document.querySelector('article.entry[aria-label=\"sample: good chain.pem\"] .host-input').dispatchEvent(new Event('change', {bubbles: true}))",
            vec![],
        )
        .await
        .expect("change");
    let good = entry(&page, "sample: good chain.pem").await;
    let text = good.text().await.unwrap_or_default();
    assert!(text.contains("HOST-MISMATCH"), "{text}");

    // Untrusting the samples' root leaves the good chain without an anchor.
    let root = entry(&page, "sample: root CA (trusted).pem").await;
    root.find(Locator::Css(".trust-root input"))
        .await
        .expect("trust checkbox")
        .click()
        .await
        .expect("untrust");
    let good = entry(&page, "sample: good chain.pem").await;
    assert_eq!(text_in(&good, ".chain-verdict").await, "✖ Chain invalid");
    let text = good.text().await.unwrap_or_default();
    assert!(
        text.contains("CHAIN-UNTRUSTED-ROOT") || text.contains("CHAIN-ISSUER-NOT-FOUND"),
        "{text}"
    );
    page.client.clone().close().await.expect("close session");
}
