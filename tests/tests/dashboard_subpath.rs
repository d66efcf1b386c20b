//! Static hosting: the release dashboard built with `--public-url /tlscope/` (by `cargo xtask
//! test`, into target/dist-subpath) is served by a plain static server — nginx with nothing but
//! an `alias` — under that sub-path, with no agent anywhere. The page renders, judges a dropped
//! chain, starts its Web Worker for a large bundle, and fetches everything from under the
//! sub-path, the Live module too. A host missing the worker's files still decodes and shows large
//! bundles and names the missing worker; one missing the Live module's says so in the Live tab.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;
use harness::{Chromedriver, click, drop_text, open_dashboard, root, screenshot, wait_text};

fn subpath_dist() -> PathBuf {
    let dist = std::env::var_os("TLSCOPE_DIST_SUBPATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/dist-subpath"));
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: run `cargo xtask test` (it builds the dashboard for /tlscope/)",
        dist.display()
    );
    dist
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_static_build_works_under_a_sub_path_from_a_plain_server() {
    let dir = std::env::temp_dir().join(format!("tlscope-subpath-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = tlscope_testbed::nginx_static(&dir, &subpath_dist(), "/tlscope/");
    let base = format!("http://127.0.0.1:{}", server.port);

    let driver = Chromedriver::start();
    let client = driver.session().await;
    open_dashboard(&client, &format!("{base}/tlscope/")).await;

    let chain = std::fs::read_to_string(root().join("web/samples/good-chain.pem")).unwrap();
    drop_text(&client, "good-chain.pem", &chain).await;
    let card = wait_text(&client, ".card.certificate", 15).await;
    assert!(card.contains("www.tlscope.example"), "{card}");

    // 120 certificates: the worker loads from under the sub-path too.
    drop_text(&client, "bundle.pem", &chain.repeat(60)).await;
    let counts = wait_text(&client, ".bundle-counts", 60).await;
    assert!(counts.contains("120 certificates"), "{counts}");

    let resources = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .expect("resources");
    let resources: Vec<String> = serde_json::from_value(resources).unwrap_or_default();
    assert!(resources.len() >= 4, "{resources:?}");
    for r in resources.iter().filter(|r| !r.ends_with("favicon.ico")) {
        assert!(
            r.starts_with(&format!("{base}/tlscope/")),
            "{r} is outside the sub-path"
        );
    }
    // nginx served every one of them: nothing under /tlscope/ was missing.
    let log = std::fs::read_to_string(dir.join("nginx-static/access.log")).unwrap_or_default();
    let misses: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" 404 ") && !l.contains("favicon"))
        .collect();
    assert!(misses.is_empty(), "{misses:?}");
    assert!(log.contains("tlscope-worker_bg.wasm"), "{log}");
    screenshot(&client, "dashboard-subpath").await;

    // The Live module is fetched from under the sub-path the first time the Live tab opens; with
    // no agent behind this host, its view says so.
    click(&client, "#tab-live").await;
    let status = wait_text(&client, "#live-status", 30).await;
    let started = std::time::Instant::now();
    let mut status = status;
    while status.contains("connecting") {
        assert!(started.elapsed() < Duration::from_secs(30), "{status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = wait_text(&client, "#live-status", 30).await;
    }
    assert!(status.contains("/api/v1/snapshot"), "{status}");
    let log = std::fs::read_to_string(dir.join("nginx-static/access.log")).unwrap_or_default();
    assert!(log.contains("GET /tlscope/tlscope-live_bg.wasm"), "{log}");
    client.close().await.expect("close");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A host that did not upload the workers' and the Live module's files: a large bundle is still
/// decoded and shown on the page, and the page says plainly that its judging worker could not be
/// loaded (every judgement is made there since issue 19), and the Live tab that its module
/// could not be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_worker_and_live_files_bundles_are_shown_and_what_is_missing_is_named() {
    let dir = std::env::temp_dir().join(format!("tlscope-noworker-{}", std::process::id()));
    let site = dir.join("site");
    std::fs::create_dir_all(&site).unwrap();
    for file in std::fs::read_dir(subpath_dist()).unwrap().flatten() {
        let name = file.file_name();
        let name_text = name.to_string_lossy();
        if !name_text.starts_with("tlscope-worker")
            && !name_text.starts_with("tlscope-live")
            && file.path().is_file()
        {
            std::fs::copy(file.path(), site.join(&name)).unwrap();
        }
    }
    let server = tlscope_testbed::nginx_static(&dir, &site, "/tlscope/");
    let driver = Chromedriver::start();
    let client = driver.session().await;
    open_dashboard(
        &client,
        &format!("http://127.0.0.1:{}/tlscope/", server.port),
    )
    .await;
    let chain = std::fs::read_to_string(root().join("web/samples/good-chain.pem")).unwrap();
    drop_text(&client, "bundle.pem", &chain.repeat(60)).await;
    let started = std::time::Instant::now();
    loop {
        let cards = client
            .find_all(Locator::Css(".card.certificate"))
            .await
            .map_or(0, |v| v.len());
        if cards == 120 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{cards} cards after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let text = wait_text(&client, "article.entry", 30).await;
    let started = std::time::Instant::now();
    let mut text = text;
    while !text.contains("judging worker") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the missing worker is not named: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        text = wait_text(&client, "article.entry", 30).await;
    }
    // Nor the Live module's: the Live tab says it could not be loaded, and from where.
    click(&client, "#tab-live").await;
    let status = wait_text(&client, "#live-status", 30).await;
    assert!(
        status.contains("could not be loaded") && status.contains("/tlscope/tlscope-live.js"),
        "{status}"
    );
    client.close().await.expect("close");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
