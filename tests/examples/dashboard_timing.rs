//! Dashboard timings in headless Chromium, for `cargo xtask bench`, read off the page's own
//! clock (`performance.now()`), so WebDriver's round trips and the transfer of the test file into
//! the browser are not counted: time to first render (navigation start → the App's
//! `tlscope-first-render` mark; fresh browser session each time, so nothing is cached, beside the
//! same moment seen from WebDriver); time to a verdict for a dropped chain of 50 certificates
//! (decoded on the page, judged by its judging worker: drop event → the chain verdict is painted,
//! its 50 cards before it); for the Mozilla set
//! as a 150-certificate bundle and for a 1,000-certificate bundle (judged in the Web Worker: drop
//! event → its report is in the DOM), with the longest main-thread task seen meanwhile (Long
//! Tasks API). Prints one JSON object; measurements only, no assertions.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use harness::{Chromedriver, Demo, system_certificates};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Drops `text` as file `name` and returns the milliseconds, on the page's clock, from the drop
/// event until `css` matches at least `n` elements (a MutationObserver checks on every change
/// of the DOM; at most 120 s). The file is built in the page before the clock starts.
/// How long the page is left alone before the last drop of a run.
const IDLE_BEFORE_DROP: Duration = Duration::from_secs(3);

async fn timed_drop(client: &Client, name: &str, text: &str, css: &str, n: usize) -> f64 {
    client
        .execute(
            "window.__stagedFile = new File([arguments[1]], arguments[0]);",
            vec![name.into(), text.into()],
        )
        .await
        .expect("stage the file");
    let script = r#"
        const [css, n] = arguments;
        const done = arguments[arguments.length - 1];
        const dt = new DataTransfer();
        dt.items.add(window.__stagedFile);
        const target = document.querySelector('.drop-target');
        const started = performance.now();
        const seen = () => document.querySelectorAll(css).length >= n;
        const observer = new MutationObserver(() => {
            // Shown means painted: the frame after the DOM has it, once its layout is done.
            if (seen()) { observer.disconnect(); requestAnimationFrame(() => setTimeout(() => done(performance.now() - started), 0)); }
        });
        observer.observe(document.body, { childList: true, subtree: true, attributes: true });
        setTimeout(() => { observer.disconnect(); done(-1); }, 120000);
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    "#;
    let ms = client
        .execute_async(script, vec![css.into(), n.into()])
        .await
        .expect("timed drop")
        .as_f64()
        .unwrap_or(-1.0);
    assert!(
        ms >= 0.0,
        "{css} ×{n} not shown within 120 s of dropping {name}"
    );
    ms
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let demo = Demo::start();
    let driver = Chromedriver::start();
    let (mut first_render, mut ready, mut verdict_50, mut verdict_150, mut verdict_1000) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut longest = Vec::new();
    let mut verdict_150_idle = Vec::new();
    let mut first_render_webdriver = Vec::new();
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
        first_render_webdriver.push(started.elapsed().as_secs_f64() * 1000.0);
        let mark = client
            .execute(
                "const m = performance.getEntriesByName('tlscope-first-render')[0]; return m ? m.startTime : -1;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(-1.0);
        assert!(
            mark >= 0.0,
            "the App put no first-render mark on the timeline"
        );
        first_render.push(mark);
        client
            .wait()
            .at_most(Duration::from_secs(30))
            .every(Duration::from_millis(5))
            .for_element(Locator::Css("main[data-roots=ready]"))
            .await
            .expect("Mozilla root set loaded");
        ready.push(started.elapsed().as_secs_f64() * 1000.0);

        verdict_50.push(timed_drop(&client, "bundle-50.pem", &small, ".chain-verdict", 1).await);
        verdict_150
            .push(timed_drop(&client, "mozilla-150.pem", &mozilla, ".bundle-counts", 1).await);

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
        verdict_1000
            .push(timed_drop(&client, "bundle-1000.pem", &large, ".bundle-counts", 2).await);
        let task = client
            .execute("return window.longestTask", vec![])
            .await
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        longest.push(task);
        // A person who opens the page and then drops a bundle: by then the spare worker has
        // been idle long enough to be warmed up.
        tokio::time::sleep(IDLE_BEFORE_DROP).await;
        verdict_150_idle.push(
            timed_drop(
                &client,
                "mozilla-150-idle.pem",
                &mozilla,
                ".bundle-counts",
                3,
            )
            .await,
        );
        let _ = client.close().await;
    }
    println!(
        "{}",
        serde_json::json!({
            "first_render_ms": median(first_render.clone()),
            "first_render_runs_ms": first_render,
            "first_render_webdriver_ms": median(first_render_webdriver.clone()),
            "first_render_webdriver_runs_ms": first_render_webdriver,
            "roots_ready_ms": median(ready.clone()),
            "roots_ready_runs_ms": ready,
            "verdict_150_ms": median(verdict_150.clone()),
            "verdict_150_runs_ms": verdict_150,
            "verdict_50_ms": median(verdict_50.clone()),
            "verdict_50_runs_ms": verdict_50,
            "verdict_150_idle_ms": median(verdict_150_idle.clone()),
            "verdict_150_idle_runs_ms": verdict_150_idle,
            "verdict_1000_ms": median(verdict_1000.clone()),
            "verdict_1000_runs_ms": verdict_1000,
            "longest_main_thread_task_ms": median(longest.clone()),
            "longest_main_thread_task_runs_ms": longest,
        })
    );
}
