//! The end-to-end harness: starts the real `tlscope demo` and Debian's chromedriver on loopback,
//! opens a WebDriver session in headless Chromium, and cleans every process up on drop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The `tlscope` binary: `TLSCOPE_BIN` (set by `cargo xtask test`), else the debug build.
pub fn tlscope_bin() -> PathBuf {
    let bin = std::env::var_os("TLSCOPE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/debug/tlscope"));
    assert!(
        bin.is_file(),
        "{} not found: run `cargo xtask test`, or `cargo build -p tlscope-agent` first",
        bin.display()
    );
    bin
}

/// The built dashboard: `TLSCOPE_DIST`, else the workspace's dist/.
pub fn dist() -> PathBuf {
    let dist = std::env::var_os("TLSCOPE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("dist"));
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: run `cargo xtask test` (it builds the dashboard with trunk)",
        dist.display()
    );
    dist
}

/// Where screenshots go: target/screenshots.
pub fn screenshot_dir() -> PathBuf {
    let dir = root().join("target").join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A child process killed when dropped.
#[derive(Debug)]
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `tlscope demo` and the URL it printed.
#[derive(Debug)]
pub struct Demo {
    /// e.g. `http://127.0.0.1:41234/`.
    pub url: String,
    _process: Running,
}

impl Demo {
    /// Starts `tlscope demo` on a free loopback port and waits for it to print its URL.
    pub fn start() -> Demo {
        let mut child = Command::new(tlscope_bin())
            .args(["demo", "--listen", "127.0.0.1:0", "--dist"])
            .arg(dist())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tlscope demo");
        let stdout = child.stdout.take().expect("demo stdout");
        let process = Running(child);
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("tlscope demo exited before printing its URL")
                .expect("read demo output");
            if let Some(url) = line.split("dashboard at ").nth(1) {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the agent never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Demo {
            url,
            _process: process,
        }
    }
}

/// chromedriver on a free loopback port.
#[derive(Debug)]
pub struct Chromedriver {
    /// WebDriver endpoint.
    pub url: String,
    /// How the profile directories of the Chromiums it starts begin (in the temp dir).
    profiles: String,
    _process: Running,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // A test that panics before closing its session leaves its Chromium running after
        // chromedriver is gone: stop every browser this driver started, then remove their
        // profiles.
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", &self.profiles])
            .status();
        for _ in 0..40 {
            let running = Command::new("pgrep")
                .args(["-f", &self.profiles])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !running {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) {
            for entry in dir.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&self.profiles)
                {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

impl Chromedriver {
    /// Starts `/usr/bin/chromedriver` (or `CHROMEDRIVER`) and waits until it accepts connections.
    pub fn start() -> Chromedriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let program =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start {program}: {e} (cargo xtask setup installs chromium-driver)")
            });
        let process = Running(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Chromedriver {
            url: format!("http://127.0.0.1:{port}"),
            profiles: format!("tlscope-chromium-{}-{port}-", std::process::id()),
            _process: process,
        }
    }

    /// A new headless Chromium session at 1280x800.
    pub async fn session(&self) -> Client {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1280,800",
        ];
        // Each session gets its own profile: two Chromiums starting at once must not share one.
        static SESSIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SESSIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let profile = std::env::temp_dir().join(format!("{}{n}", self.profiles));
        let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        // Chromium occasionally fails to start on a loaded 2-core machine; a new session is the
        // documented remedy, and every failure is reported.
        let mut last_error = String::new();
        for attempt in 1..=3 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&self.url)
                .await
            {
                Ok(client) => return client,
                Err(e) => {
                    eprintln!("harness: WebDriver session attempt {attempt} failed: {e}");
                    last_error = e.to_string();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        panic!("no WebDriver session in Chromium after 3 attempts: {last_error}");
    }
}

/// Dispatches a synthetic drop of one file (name, bytes) on the page's drop target, the way a
/// browser does when a person drags a file in.
pub async fn drop_file(client: &Client, name: &str, bytes: &[u8]) {
    dispatch_drop(client, name, serde_json::json!(bytes)).await;
}

/// Drops a text file (PEM) on the page; cheaper than [`drop_file`] for megabytes of text.
pub async fn drop_text(client: &Client, name: &str, text: &str) {
    dispatch_drop(client, name, text.into()).await;
}

/// The drop itself: `data` is the file's text, or its bytes as a JSON array.
async fn dispatch_drop(client: &Client, name: &str, data: serde_json::Value) {
    let script = r#"
        const [name, data] = arguments;
        const file = new File([typeof data === 'string' ? data : new Uint8Array(data)], name);
        const dt = new DataTransfer();
        dt.items.add(file);
        const target = document.querySelector('.drop-target');
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    "#;
    client
        .execute(script, vec![name.into(), data])
        .await
        .expect("dispatch drop");
}

/// Opens the dashboard at `url` and waits (30 s at most) until it has rendered.
pub async fn open_dashboard(client: &Client, url: &str) {
    client.goto(url).await.expect("open dashboard");
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css(".drop-target"))
        .await
        .unwrap_or_else(|e| panic!("dashboard at {url} not rendered: {e}"));
    // The Mozilla root set is fetched once the page is up; chains are judged once it is in.
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css(
            "main[data-roots=ready], main[data-roots=failed]",
        ))
        .await
        .unwrap_or_else(|e| panic!("dashboard at {url}: the Mozilla root set never arrived: {e}"));
}

/// Clicks the first element matching `css`.
pub async fn click(client: &Client, css: &str) {
    client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Text of the first element matching `css`, waiting up to `secs` seconds for it to appear.
pub async fn wait_text(client: &Client, css: &str, secs: u64) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(secs))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not shown within {secs} s: {e}"))
        .text()
        .await
        .expect("element text")
}

/// `n` PEM certificates: the system's CA bundle (ca-certificates), repeated as needed.
pub fn system_certificates(n: usize) -> String {
    let text = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt")
        .expect("CA bundle (ca-certificates, installed by cargo xtask setup)");
    let pems: Vec<&str> = text
        .split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|p| p.contains("BEGIN CERTIFICATE"))
        .collect();
    pems.iter().cycle().take(n).copied().collect()
}

/// Saves a screenshot under target/screenshots.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    path
}

/// openssl's SHA-256 fingerprint of a PEM certificate: the independent oracle. The PEM goes
/// through stdin, so parallel tests never share a file.
pub fn openssl_sha256(pem: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl (installed by `cargo xtask setup`)");
    child
        .stdin
        .take()
        .expect("openssl stdin")
        .write_all(pem.as_bytes())
        .expect("write pem");
    let out = child.wait_with_output().expect("openssl output");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .split('=')
        .nth(1)
        .expect("openssl fingerprint line")
        .to_owned()
}

/// A dashboard open in Chromium, served by a real `tlscope demo`; everything stops on drop.
#[derive(Debug)]
pub struct Dashboard {
    /// The WebDriver session.
    pub client: Client,
    _driver: Chromedriver,
    _demo: Demo,
}

impl Dashboard {
    /// Starts the agent and chromedriver, opens the page and waits until it has rendered.
    pub async fn open() -> Dashboard {
        let demo = Demo::start();
        let driver = Chromedriver::start();
        let client = driver.session().await;
        open_dashboard(&client, &demo.url).await;
        Dashboard {
            client,
            _driver: driver,
            _demo: demo,
        }
    }

    /// Ends the browser session (so no Chromium outlives the test), then stops everything.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(fantoccini::Locator::Css(css))
            .await
            .map_or(0, |v| v.len())
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        click(&self.client, css).await;
    }

    /// Text of the first element matching `css`, waiting up to 15 s for it to appear.
    pub async fn text_of(&self, css: &str) -> String {
        wait_text(&self.client, css, 15).await
    }

    /// The Policy view's status once the judging worker has read the editor's text (it says
    /// "… Reading" meanwhile), waiting up to 15 s.
    pub async fn policy_status(&self) -> String {
        for _ in 0..300 {
            let status = self.text_of("#policy-status").await;
            if !status.starts_with('…') {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the policy was still being read after 15 s");
    }
}
