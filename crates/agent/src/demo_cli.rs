//! `tlscope demo`: the embedded demo (tenant CA, coordinator, edges, flawed endpoints) and the
//! dashboard and API served beside it on one port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use tlscope_agent::AgentError;
use tlscope_agent::server::{ServerConfig, bind};

/// Runs the demo until Ctrl-C.
pub fn demo(
    listen: SocketAddr,
    dist: Option<PathBuf>,
    token: Option<String>,
    cors: Vec<String>,
    speed: f64,
    probe_every: u64,
) -> Result<ExitCode, AgentError> {
    let dist = dist.or_else(default_dist);
    let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
    runtime.block_on(async move {
        let config = ServerConfig {
            listen,
            dist: dist.clone(),
            token,
            cors,
        };
        let demo = tlscope_agent::demo::start(speed, std::time::Duration::from_secs(probe_every.max(1))).await?;
        let (listener, app) = bind(&config, demo.api.clone()).await?;
        let addr = listener.local_addr().map_err(AgentError::Serve)?;
        match &dist {
            Some(d) if d.join("index.html").is_file() => {
                println!("tlscope demo: serving the dashboard from {}", d.display())
            }
            _ => println!(
                "tlscope demo: dashboard not built (run `cargo xtask demo`); serving the API only"
            ),
        }
        println!("tlscope demo: clock running {speed}x; a tenant CA, a coordinator, 3 edges, a revoked edge and another tenant's edge; probing:");
        for (what, target) in &demo.endpoints {
            println!("tlscope demo:   {target:<18} {what}");
        }
        println!("tlscope demo: API at http://{addr}/api/v1/snapshot, /api/v1/events, /metrics");
        println!("tlscope demo: dashboard at http://{addr}/");
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(AgentError::Serve);
        drop(demo);
        served
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `./dist`, else the workspace's `dist/` beside `target/` when run from a cargo build.
fn default_dist() -> Option<PathBuf> {
    let cwd = PathBuf::from("dist");
    if cwd.join("index.html").is_file() {
        return Some(cwd);
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .find(|a| a.join("Cargo.toml").is_file() && a.join("dist").is_dir())
        .map(|a| a.join("dist"))
}
