//! The `tlscope` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tlscope_agent::AgentError;
use tlscope_agent::clock::{Clock, SystemClock};
use tlscope_agent::inspect::{FileReport, InspectReport, render_text};
use tlscope_agent::server::{ServerConfig, bind};
use tlscope_core::{Policy, Timestamp};

/// tlscope — inspect certificates, TLS handshakes and TLS configuration against a policy.
#[derive(Debug, Parser)]
#[command(name = "tlscope", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode certificates (PEM with any number of blocks, or DER) and print their details.
    Inspect {
        /// Files to read; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Judge validity as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Serve the dashboard and the API on loopback, with the embedded demo.
    Demo {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: SocketAddr,
        /// The built dashboard (Trunk's dist/). Defaults to ./dist, or the workspace's dist/.
        #[arg(long, env = "TLSCOPE_DIST")]
        dist: Option<PathBuf>,
        /// Bearer token for the API; required when listening off loopback.
        #[arg(long, env = "TLSCOPE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { files, json, at } => inspect(&files, json, at.as_deref()),
        Command::Demo {
            listen,
            dist,
            token,
        } => demo(listen, dist, token),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tlscope: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn inspect(files: &[PathBuf], json: bool, at: Option<&str>) -> Result<ExitCode, AgentError> {
    let now = match at {
        Some(at) => Timestamp::parse_rfc3339(at)?,
        None => SystemClock.now(),
    };
    let mut reports = Vec::new();
    for path in files {
        let shown = path.display().to_string();
        let bytes = if shown == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
        } else {
            std::fs::read(path)
        }
        .map_err(|source| AgentError::Read {
            path: shown.clone(),
            source,
        })?;
        reports.push(FileReport::new(&shown, &bytes, &Policy::default(), now));
    }
    if json {
        let doc = InspectReport {
            now,
            files: &reports,
        };
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", render_text(&reports, now));
    }
    let failed = reports.iter().any(FileReport::has_errors);
    if failed && !json {
        for r in reports.iter().filter(|r| r.has_errors()) {
            eprintln!("tlscope: {} could not be fully decoded", r.file);
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn demo(
    listen: SocketAddr,
    dist: Option<PathBuf>,
    token: Option<String>,
) -> Result<ExitCode, AgentError> {
    let dist = dist.or_else(default_dist);
    let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
    runtime.block_on(async move {
        let config = ServerConfig {
            listen,
            dist: dist.clone(),
            token,
        };
        let (listener, app) = bind(&config).await?;
        let addr = listener.local_addr().map_err(AgentError::Serve)?;
        match &dist {
            Some(d) if d.join("index.html").is_file() => {
                println!("tlscope demo: serving the dashboard from {}", d.display())
            }
            _ => println!(
                "tlscope demo: dashboard not built (run `cargo xtask demo`); serving the API only"
            ),
        }
        println!("tlscope demo: dashboard at http://{addr}/");
        println!("tlscope demo: API health at http://{addr}/api/v1/health — press Ctrl+C to stop");
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(AgentError::Serve)
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
