//! Dashboard timings in headless Chromium, for `cargo xtask bench`: time to first render (fresh
//! browser session each time, so nothing is cached); time to a verdict for a dropped chain of
//! 50 certificates (judged on the page's thread: drop until the 50th card is on the page); for
//! the Mozilla set as a 150-certificate bundle and for a 1,000-certificate bundle (judged in the Web Worker: drop until its report is shown),
//! with the longest main-thread task seen meanwhile (Long Tasks API). Prints one JSON object;
//! measurements only, no assertions.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use harness::{Chromedriver, Demo, drop_text, system_certificates};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Waits (polling every 20 ms, at most 120 s) until `css` matches at least `n` elements.
async fn wait_for(client: &Client, css: &str, n: usize) {
    let started = Instant::now();
    loop {
        let found = client
            .find_all(Locator::Css(css))
            .await
            .map_or(0, |v| v.len());
        if found >= n {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "only {found} of {n} {css} after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let demo = Demo::start();
    let driver = Chromedriver::start();
    let (mut first_render, mut ready, mut verdict_50, mut verdict_150, mut verdict_1000) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut longest = Vec::new();
    let (small, mozilla, large) = (
        system_certificates(50),
        system_certificates(150),
        system_certificates(1000),
    );
    for _ in 0..3 {
        let client = driver.session().await;
        let started = Instant::now();
        client.goto(&demo.url).await.expect("open dashboard");
        client
            .wait()
            .at_most(Duration::from_secs(30))
            .every(Duration::from_millis(5))
            .for_element(Locator::Css(".drop-target"))
            .await
            .expect("rendered");
        first_render.push(started.elapsed().as_secs_f64() * 1000.0);
        client
            .wait()
            .at_most(Duration::from_secs(30))
            .every(Duration::from_millis(5))
            .for_element(Locator::Css("main[data-roots=ready]"))
            .await
            .expect("Mozilla root set loaded");
        ready.push(started.elapsed().as_secs_f64() * 1000.0);

        let started = Instant::now();
        drop_text(&client, "bundle-50.pem", &small).await;
        wait_for(&client, ".card.certificate", 50).await;
        verdict_50.push(started.elapsed().as_secs_f64() * 1000.0);

        let started = Instant::now();
        drop_text(&client, "mozilla-150.pem", &mozilla).await;
        wait_for(&client, ".bundle-counts", 1).await;
        verdict_150.push(started.elapsed().as_secs_f64() * 1000.0);

        client
            .execute(
                r#"window.longestTask = 0;
                   new PerformanceObserver(list => list.getEntries().forEach(e =>
                       window.longestTask = Math.max(window.longestTask, e.duration)))
                       .observe({ type: 'longtask' });"#,
                vec![],
            )
            .await
            .expect("long task observer");
        let started = Instant::now();
        drop_text(&client, "bundle-1000.pem", &large).await;
        wait_for(&client, ".bundle-counts", 2).await;
        verdict_1000.push(started.elapsed().as_secs_f64() * 1000.0);
        let task = client
            .execute("return window.longestTask", vec![])
            .await
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        longest.push(task);
        let _ = client.close().await;
    }
    println!(
        "{}",
        serde_json::json!({
            "first_render_ms": median(first_render.clone()),
            "first_render_runs_ms": first_render,
            "roots_ready_ms": median(ready.clone()),
            "roots_ready_runs_ms": ready,
            "verdict_150_ms": median(verdict_150.clone()),
            "verdict_150_runs_ms": verdict_150,
            "verdict_50_ms": median(verdict_50.clone()),
            "verdict_50_runs_ms": verdict_50,
            "verdict_1000_ms": median(verdict_1000.clone()),
            "verdict_1000_runs_ms": verdict_1000,
            "longest_main_thread_task_ms": median(longest.clone()),
            "longest_main_thread_task_runs_ms": longest,
        })
    );
}
