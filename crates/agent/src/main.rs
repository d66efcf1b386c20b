//! The `tlscope` command line.

mod bench_cli;
mod infra_cli;
mod probe_cli;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tlscope_agent::AgentError;
use tlscope_agent::clock::{Clock, SystemClock};
use tlscope_agent::inspect::{FileReport, InspectReport, render_text};
use tlscope_agent::lint::{self, Format};
use tlscope_agent::server::{ServerConfig, bind};
use tlscope_core::chain::{PeerName, Purpose, TrustAnchor};
use tlscope_core::judge::ChainRequest;
use tlscope_core::{Policy, Severity, Timestamp};

/// tlscope — inspect certificates, TLS handshakes and TLS configuration against a policy.
#[derive(Debug, Parser)]
#[command(name = "tlscope", version, about)]
struct Cli {
    /// Without a command, `tlscope` runs the demo on 127.0.0.1:7878.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode certificates, chains, CSRs, CRLs (PEM, DER, PKCS#7), validate the chain and print
    /// every detail and problem. Exits 1 when a file does not decode or a chain is invalid.
    Inspect {
        /// Files to read; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON instead of text (the same as --format json).
        #[arg(long)]
        json: bool,
        /// Output: text, json (certificate details and chains), sarif or md (findings).
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Also exit 1 when a finding is at least this severe.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// Judge validity as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// Trust these roots (PEM/DER file) instead of the Mozilla set.
        #[arg(long, value_name = "FILE")]
        roots: Option<PathBuf>,
        /// Check that the leaf is valid for this host name or IP address.
        #[arg(long, value_name = "NAME")]
        host: Option<String>,
        /// What the leaf must be good for.
        #[arg(long, value_enum, default_value = "server")]
        purpose: PurposeArg,
        /// Judge under this TOML policy file (see docs/policy.md).
        #[arg(long, value_name = "FILE", conflicts_with = "profile")]
        policy: Option<PathBuf>,
        /// Judge under a built-in profile: default or cert-manager.
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
    },
    /// Judge configuration files, connection strings and certificates under the policy. Files
    /// are recognised by content; directories are walked. Exit codes: 0 clean, 1 a finding
    /// reached --fail-on or a named file could not be judged, 2 usage or I/O error.
    Lint {
        /// Files or directories; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Exit 1 when a finding is at least this severe.
        #[arg(long, value_enum, default_value = "critical")]
        fail_on: FailOn,
        /// Judge as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// Trust these roots (PEM/DER file) for certificate chains instead of the Mozilla set.
        #[arg(long, value_name = "FILE")]
        roots: Option<PathBuf>,
        /// Judge under this TOML policy file (see docs/policy.md).
        #[arg(long, value_name = "FILE", conflicts_with = "profile")]
        policy: Option<PathBuf>,
        /// Judge under a built-in profile: default or cert-manager.
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
    },
    /// The tenant's internal CA: init, issue, list, export, revoke, rotate.
    Ca {
        #[command(subcommand)]
        command: infra_cli::CaCommand,
        #[command(flatten)]
        store: infra_cli::StoreArgs,
        /// Lifetimes and grace periods from this TOML policy file.
        #[arg(long, value_name = "FILE", global = true)]
        policy: Option<PathBuf>,
    },
    /// Run the coordinator: TLS 1.3 for clients on --listen, mTLS for edges on --mtls-listen.
    /// Prints every handshake record and rotation event as a JSON line.
    Coordinator {
        #[command(flatten)]
        args: infra_cli::CoordinatorArgs,
        #[command(flatten)]
        store: infra_cli::StoreArgs,
        /// Lifetimes, grace periods and suites from this TOML policy file.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Run an edge: mTLS to the coordinator, heartbeats, reload, reconnect with backoff.
    Edge {
        #[command(flatten)]
        args: infra_cli::EdgeArgs,
        #[command(flatten)]
        store: infra_cli::StoreArgs,
        /// Suites from this TOML policy file.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Probe endpoints: versions SSL 3.0–TLS 1.3, suites per version and server order, TLS 1.3
    /// groups (incl. X25519MLKEM768), chain and host name, OCSP stapling, resumption, client
    /// authentication, HSTS; PostgreSQL and MySQL/MariaDB upgrades. Exit 1 when a target fails or
    /// a finding reaches --fail-on.
    Probe {
        #[command(flatten)]
        args: probe_cli::ProbeArgs,
    },
    /// Measure handshakes per second and latency (TLS 1.2, TLS 1.3, resumed, mTLS) against
    /// TARGET, or against a coordinator it starts, with server CPU and memory per idle connection.
    Bench(bench_cli::BenchArgs),
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
        /// A dashboard origin allowed to call the API (CORS), e.g. https://tlscope.example.
        #[arg(long = "cors", value_name = "ORIGIN")]
        cors: Vec<String>,
        /// Simulated seconds per real second, so rotation is visible live.
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
        /// Seconds between probes of the demo's endpoints.
        #[arg(long, default_value_t = 10)]
        probe_every: u64,
    },
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FailOn {
    /// Warnings and criticals fail the gate.
    Warning,
    /// Only criticals fail the gate.
    Critical,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Warning => Severity::Warning,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// `--purpose` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PurposeArg {
    /// TLS server authentication.
    Server,
    /// TLS client authentication (mTLS).
    Client,
    /// Any purpose.
    Any,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Demo {
        listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
        dist: std::env::var_os("TLSCOPE_DIST").map(PathBuf::from),
        token: std::env::var("TLSCOPE_TOKEN").ok(),
        cors: Vec::new(),
        speed: 60.0,
        probe_every: 10,
    });
    let result = match command {
        Command::Inspect {
            files,
            json,
            format,
            fail_on,
            at,
            roots,
            host,
            purpose,
            policy,
            profile,
        } => load_policy(policy.as_deref(), profile.as_deref()).and_then(|policy| {
            chain_request(roots.as_deref(), host.as_deref(), purpose).and_then(|request| {
                let format = if json { Format::Json } else { format };
                inspect(&files, format, fail_on, at.as_deref(), &request, &policy)
            })
        }),
        Command::Lint {
            paths,
            format,
            fail_on,
            at,
            roots,
            policy,
            profile,
        } => load_policy(policy.as_deref(), profile.as_deref()).and_then(|policy| {
            chain_request(roots.as_deref(), None, PurposeArg::Server).and_then(|request| {
                let now = judgement_time(at.as_deref())?;
                let files = lint::collect(&paths)?;
                let doc = lint::run(&files, read_input, &request, &policy, now)?;
                print!("{}", lint::render(&doc, format));
                Ok(if lint::gate_fails(&doc, fail_on.severity()) {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                })
            })
        }),
        Command::Ca {
            command,
            store,
            policy,
        } => load_policy(policy.as_deref(), None)
            .and_then(|policy| infra_cli::ca_command(command, &store, &policy)),
        Command::Coordinator {
            args,
            store,
            policy,
        } => load_policy(policy.as_deref(), None)
            .and_then(|policy| infra_cli::coordinator(args, &store, policy)),
        Command::Edge {
            args,
            store,
            policy,
        } => load_policy(policy.as_deref(), None)
            .and_then(|policy| infra_cli::edge(args, &store, policy)),
        Command::Bench(args) => bench_cli::bench(args),
        Command::Probe { args } => {
            let policy_file = args.policy_file();
            let roots = args.roots_file();
            load_policy(policy_file.as_deref(), None).and_then(|policy| {
                chain_request(roots.as_deref(), None, PurposeArg::Server)
                    .and_then(|request| probe_cli::probe(args, &policy, &request.anchors))
            })
        }
        Command::Demo {
            listen,
            dist,
            token,
            cors,
            speed,
            probe_every,
        } => demo(listen, dist, token, cors, speed, probe_every),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tlscope: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_input(path: &Path) -> Result<Vec<u8>, AgentError> {
    let shown = path.display().to_string();
    if shown == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
    .map_err(|source| AgentError::Read {
        path: shown,
        source,
    })
}

fn load_policy(file: Option<&Path>, profile: Option<&str>) -> Result<Policy, AgentError> {
    match (file, profile) {
        (Some(path), _) => {
            let bytes = read_input(path)?;
            let text = String::from_utf8_lossy(&bytes);
            Policy::from_toml(&text).map_err(|source| AgentError::Policy {
                path: path.display().to_string(),
                source,
            })
        }
        (None, Some(name)) => Policy::profile(name).ok_or_else(|| AgentError::Profile {
            name: name.to_owned(),
        }),
        (None, None) => Ok(Policy::default()),
    }
}

fn chain_request(
    roots: Option<&Path>,
    host: Option<&str>,
    purpose: PurposeArg,
) -> Result<ChainRequest, AgentError> {
    let anchors = match roots {
        None => TrustAnchor::mozilla(),
        Some(path) => {
            let bytes = read_input(path)?;
            let decoded = tlscope_core::decode(&bytes).map_err(|e| AgentError::Roots {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let anchors: Vec<TrustAnchor> = decoded
                .certificates()
                .filter_map(|c| TrustAnchor::from_certificate(&c.der).ok())
                .collect();
            if anchors.is_empty() {
                return Err(AgentError::Roots {
                    path: path.display().to_string(),
                    reason: "it holds no certificates".into(),
                });
            }
            anchors
        }
    };
    Ok(ChainRequest {
        anchors,
        purpose: match purpose {
            PurposeArg::Server => Purpose::ServerAuth,
            PurposeArg::Client => Purpose::ClientAuth,
            PurposeArg::Any => Purpose::Any,
        },
        host: host.map(PeerName::host),
    })
}

fn judgement_time(at: Option<&str>) -> Result<Timestamp, AgentError> {
    Ok(match at {
        Some(at) => Timestamp::parse_rfc3339(at)?,
        None => SystemClock.now(),
    })
}

fn inspect(
    files: &[PathBuf],
    format: Format,
    fail_on: Option<FailOn>,
    at: Option<&str>,
    request: &ChainRequest,
    policy: &Policy,
) -> Result<ExitCode, AgentError> {
    let now = judgement_time(at)?;
    let mut reports = Vec::new();
    for path in files {
        let shown = path.display().to_string();
        let bytes = read_input(path)?;
        reports.push(FileReport::new(&shown, &bytes, request, policy, now));
    }
    let document = tlscope_core::export::Document::new(
        reports.iter().map(FileReport::to_input).collect(),
        &policy.profile,
        now,
    );
    match format {
        Format::Json => {
            let doc = InspectReport {
                now,
                files: &reports,
            };
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Text => print!("{}", render_text(&reports, now)),
        other => print!("{}", lint::render(&document, other)),
    }
    let undecoded = reports.iter().any(FileReport::has_errors);
    let invalid = reports.iter().any(FileReport::chain_invalid);
    if format == Format::Text {
        for r in reports.iter().filter(|r| r.has_errors()) {
            eprintln!("tlscope: {} could not be fully decoded", r.file);
        }
        for r in reports.iter().filter(|r| r.chain_invalid()) {
            eprintln!("tlscope: {}: the chain is not valid", r.file);
        }
    }
    let gate = fail_on.is_some_and(|f| document.worst().is_some_and(|w| w >= f.severity()));
    let failed = undecoded || invalid || gate;
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
