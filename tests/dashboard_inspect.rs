//! End to end: the real `tlscope demo` serves the release-built dashboard; Chromium loads it; a
//! certificate file is dropped on the page; the subject and fingerprint computed in the browser
//! are checked against openssl's; bad input gives a clear error and the page keeps working.

use std::time::Duration;

use fantoccini::Locator;
use harness::{Chromedriver, Demo, drop_file, openssl_sha256, screenshot};

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
    let demo = Demo::start();
    let driver = Chromedriver::start();
    let client = driver.session().await;
    client.goto(&demo.url).await.expect("open dashboard");
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(".drop-target"))
        .await
        .expect("dashboard rendered");

    let pem = certificate_pem("e2e.example.test");
    drop_file(&client, "e2e-leaf.pem", pem.as_bytes()).await;
    let fingerprint = client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".cert-fingerprint-sha256"))
        .await
        .expect("certificate card rendered")
        .text()
        .await
        .expect("fingerprint text");
    assert_eq!(fingerprint, openssl_sha256(&pem));
    let subject = client
        .find(Locator::Css(".cert-subject"))
        .await
        .expect("subject")
        .text()
        .await
        .expect("subject text");
    assert_eq!(subject, "O=tlscope e2e,CN=e2e.example.test");
    let name = client
        .find(Locator::Css(".entry-name"))
        .await
        .expect("entry name")
        .text()
        .await
        .expect("name text");
    assert_eq!(name, "e2e-leaf.pem");
    screenshot(&client, "dashboard-inspect").await;
    client.close().await.expect("close session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_names_the_file_and_the_page_keeps_working() {
    let demo = Demo::start();
    let driver = Chromedriver::start();
    let client = driver.session().await;
    client.goto(&demo.url).await.expect("open dashboard");
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(".drop-target"))
        .await
        .expect("dashboard rendered");

    drop_file(
        &client,
        "holiday.jpg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
    )
    .await;
    let error = client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".decode-error"))
        .await
        .expect("error shown");
    let text = error.text().await.expect("error text");
    assert!(
        text.contains("holiday.jpg")
            && text.contains("JPEG image")
            && text.contains("expected PEM text"),
        "{text}"
    );

    drop_file(&client, "empty.pem", b"").await;
    drop_file(
        &client,
        "truncated.der",
        &[0x30, 0x82, 0x04, 0xb0, 0x30, 0x82],
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while client
        .find_all(Locator::Css(".decode-error"))
        .await
        .expect("query errors")
        .len()
        < 3
    {
        assert!(
            std::time::Instant::now() < deadline,
            "three errors not shown within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = client
        .find(Locator::Css(".results"))
        .await
        .expect("results")
        .text()
        .await
        .expect("results text");
    assert!(all.contains("empty input"), "{all}");
    assert!(
        all.contains("byte offset 0 declares 1200 content bytes"),
        "{all}"
    );

    // The page still works: a good certificate after the bad ones decodes.
    let pem = certificate_pem("after-errors.example.test");
    drop_file(&client, "good.pem", pem.as_bytes()).await;
    let fingerprint = client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".cert-fingerprint-sha256"))
        .await
        .expect("card after errors");
    assert_eq!(
        fingerprint.text().await.expect("text"),
        openssl_sha256(&pem)
    );
    screenshot(&client, "dashboard-bad-input").await;
    client.close().await.expect("close session");
}
