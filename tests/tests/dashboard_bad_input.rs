//! End to end: the rest of the bad-input corpus, dropped one by one on the dashboard — a PEM
//! block with a label nobody uses, 20 MB of random bytes, a private key, a password-protected
//! PKCS#12 — each gets a clear message naming the file, no key material reaches the page, and
//! the page keeps working afterwards.

use std::time::{Duration, Instant};

use harness::{Dashboard, drop_file, screenshot};

fn openssl(args: &[&str], dir: &std::path::Path) {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl (installed by cargo xtask setup)");
    assert!(status.success(), "openssl {args:?}");
}

async fn wait_for(page: &Dashboard, css: &str, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while page.count(css).await < at_least {
        assert!(
            Instant::now() < deadline,
            "{at_least} × {css} not shown within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bad_input_corpus_gives_clear_messages_and_the_page_keeps_working() {
    let dir = std::env::temp_dir().join(format!("tlscope-bad-input-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "key.pem",
        ],
        &dir,
    );
    openssl(
        &[
            "req",
            "-x509",
            "-key",
            "key.pem",
            "-subj",
            "/CN=p12.example.test",
            "-days",
            "30",
            "-out",
            "cert.pem",
        ],
        &dir,
    );
    openssl(
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "key.pem",
            "-in",
            "cert.pem",
            "-passout",
            "pass:secret",
            "-out",
            "bundle.p12",
        ],
        &dir,
    );
    let key = std::fs::read(dir.join("key.pem")).unwrap();
    let p12 = std::fs::read(dir.join("bundle.p12")).unwrap();
    let key_body: String = String::from_utf8_lossy(&key)
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_owned();

    let page = Dashboard::open().await;
    drop_file(
        &page.client,
        "odd-label.pem",
        b"-----BEGIN TLSCOPE WIDGET-----\nMIIBCgKCAQEAr1Zy\n-----END TLSCOPE WIDGET-----\n",
    )
    .await;
    wait_for(&page, ".decode-error", 1).await;
    let text = page.text_of(".results").await;
    assert!(text.contains("odd-label.pem"), "{text}");

    drop_file(&page.client, "server.key", &key).await;
    wait_for(&page, ".key-notice", 1).await;
    let notice = page.text_of(".key-notice").await;
    assert!(
        notice.contains("EC") || notice.contains("256"),
        "type and size shown: {notice}"
    );
    let body = page.text_of("body").await;
    assert!(
        !body.contains(&key_body),
        "the key's bytes reached the page"
    );

    drop_file(&page.client, "bundle.p12", &p12).await;
    wait_for(&page, ".decode-error", 2).await;
    let text = page.text_of(".results").await;
    assert!(text.contains("bundle.p12"), "{text}");

    // 20 MB of random bytes, made in the page (too large to ship through WebDriver).
    page.client
        .execute(
            r#"const bytes = new Uint8Array(20 * 1024 * 1024);
               for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
               const dt = new DataTransfer();
               dt.items.add(new File([bytes], 'random.bin'));
               const target = document.querySelector('.drop-target');
               target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
               target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));"#,
            vec![],
        )
        .await
        .unwrap();
    wait_for(&page, ".decode-error", 3).await;
    let text = page.text_of(".results").await;
    assert!(text.contains("random.bin"), "{text}");

    // Still working: a certificate dropped after all of that decodes.
    let cert = std::fs::read(dir.join("cert.pem")).unwrap();
    drop_file(&page.client, "after.pem", &cert).await;
    wait_for(&page, ".card.certificate", 1).await;
    assert!(
        page.text_of(".card.certificate")
            .await
            .contains("p12.example.test")
    );
    screenshot(&page.client, "dashboard-bad-input-corpus").await;
    let _ = std::fs::remove_dir_all(&dir);
    page.close().await;
}
