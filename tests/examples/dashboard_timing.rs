//! Dashboard timings in headless Chromium, for `cargo xtask bench`: time to first render (fresh
//! browser session each time, so nothing is cached) and time to a verdict for a dropped
//! 150-certificate bundle (the drop until the 150th certificate card is on the page). Prints
//! one JSON object; measurements only, no assertions.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use harness::{Chromedriver, Demo, drop_file};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// 150 certificates: the system bundle's, repeated as needed.
fn bundle() -> Vec<u8> {
    let text = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").expect("CA bundle");
    let pems: Vec<String> = text
        .split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|p| p.contains("BEGIN CERTIFICATE"))
        .map(str::to_owned)
        .collect();
    pems.iter()
        .cycle()
        .take(150)
        .cloned()
        .collect::<String>()
        .into_bytes()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let demo = Demo::start();
    let driver = Chromedriver::start();
    let mut first_render = Vec::new();
    let mut verdict = Vec::new();
    let bundle = bundle();
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
        let started = Instant::now();
        drop_file(&client, "bundle-150.pem", &bundle).await;
        loop {
            let n = client
                .find_all(Locator::Css(".card.certificate"))
                .await
                .map_or(0, |v| v.len());
            if n >= 150 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "only {n} cards after 120 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        verdict.push(started.elapsed().as_secs_f64() * 1000.0);
        let _ = client.close().await;
    }
    println!(
        "{}",
        serde_json::json!({
            "first_render_ms": median(first_render.clone()),
            "first_render_runs_ms": first_render,
            "verdict_150_ms": median(verdict.clone()),
            "verdict_150_runs_ms": verdict,
        })
    );
}
