//! End to end: the real `tlscope demo` serves the release-built dashboard; Chromium loads it; a
//! certificate file is dropped on the page; the subject and fingerprint computed in the browser
//! are checked against openssl's; bad input gives a clear error and the page keeps working.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use harness::{Dashboard, drop_file, openssl_sha256, screenshot};

fn certificate_pem(cn: &str) -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec![cn.to_owned()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "tlscope e2e");
    params.self_signed(&key).expect("self-signed").pem()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_certificate_shows_subject_and_openssl_fingerprint() {
    let page = Dashboard::open().await;
    let pem = certificate_pem("e2e.example.test");
    drop_file(&page.client, "e2e-leaf.pem", pem.as_bytes()).await;

    assert_eq!(
        page.text_of(".cert-fingerprint-sha256").await,
        openssl_sha256(&pem)
    );
    assert_eq!(
        page.text_of(".cert-subject").await,
        "O=tlscope e2e,CN=e2e.example.test"
    );
    assert_eq!(page.text_of(".entry-name").await, "e2e-leaf.pem");
    // rcgen's default validity runs to 4096: far past the 90-day rotation policy.
    let findings = page.text_of(".findings").await;
    assert!(
        findings.contains("CERT-LIFETIME-LONG") && findings.contains("⚠ warning"),
        "{findings}"
    );
    screenshot(&page.client, "dashboard-inspect").await;
    page.client.clone().close().await.expect("close session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_names_the_file_and_the_page_keeps_working() {
    let page = Dashboard::open().await;
    drop_file(
        &page.client,
        "holiday.jpg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
    )
    .await;
    let text = page.text_of(".decode-error").await;
    assert!(
        text.contains("holiday.jpg")
            && text.contains("JPEG image")
            && text.contains("expected PEM text"),
        "{text}"
    );

    drop_file(&page.client, "empty.pem", b"").await;
    drop_file(
        &page.client,
        "truncated.der",
        &[0x30, 0x82, 0x04, 0xb0, 0x30, 0x82],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while page
        .client
        .find_all(Locator::Css(".decode-error"))
        .await
        .expect("query errors")
        .len()
        < 3
    {
        assert!(
            Instant::now() < deadline,
            "three errors not shown within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = page.text_of(".results").await;
    assert!(all.contains("empty input"), "{all}");
    assert!(
        all.contains("byte offset 0 declares 1200 content bytes"),
        "{all}"
    );

    // The page still works: a good certificate after the bad ones decodes.
    let pem = certificate_pem("after-errors.example.test");
    drop_file(&page.client, "good.pem", pem.as_bytes()).await;
    assert_eq!(
        page.text_of(".cert-fingerprint-sha256").await,
        openssl_sha256(&pem)
    );
    screenshot(&page.client, "dashboard-bad-input").await;
    page.client.clone().close().await.expect("close session");
}
