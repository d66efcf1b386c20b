//! The `tlscope` command line.

mod audit_cli;
mod bench_cli;
mod demo_cli;
mod infra_cli;
mod inspect_cli;
mod judging_cli;
mod lint_cli;
mod probe_cli;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Inspect(inspect_cli::InspectArgs),
    /// Judge configuration files, connection strings and certificates under the policy. Files
    /// are recognised by content; directories are walked. Exit codes: 0 clean, 1 a finding
    /// reached --fail-on or a named file could not be judged, 2 usage or I/O error.
    Lint(lint_cli::LintArgs),
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
    /// The tenant's tamper-evident audit log: verify the hash chain, show entries.
    Audit {
        #[command(subcommand)]
        command: audit_cli::AuditCommand,
        #[command(flatten)]
        store: infra_cli::StoreArgs,
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
    /// Enrol this machine as a node over the network: make a key here, send a CSR with the
    /// join token (TLSCOPE_JOIN_TOKEN or --token-file) over TLS 1.3 to the coordinator pinned by
    /// --ca-fingerprint, and write the state directory `tlscope edge --state` runs from.
    Enroll {
        #[command(flatten)]
        args: infra_cli::EnrollArgs,
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

/// The API's bearer token: from TLSCOPE_TOKEN only, never a flag (a command line is readable by
/// every local user). Required when the API listens off loopback.
fn bearer_token() -> Option<String> {
    std::env::var("TLSCOPE_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Demo {
        listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
        dist: std::env::var_os("TLSCOPE_DIST").map(PathBuf::from),
        cors: Vec::new(),
        speed: 60.0,
        probe_every: 10,
    });
    let result = match command {
        Command::Inspect(args) => inspect_cli::run(&args),
        Command::Lint(args) => lint_cli::run(&args),
        Command::Ca {
            command,
            store,
            policy,
        } => judging_cli::load_policy(policy.as_deref(), None)
            .and_then(|policy| infra_cli::ca_command(command, &store, &policy)),
        Command::Coordinator {
            args,
            store,
            policy,
        } => judging_cli::load_policy(policy.as_deref(), None)
            .and_then(|policy| infra_cli::coordinator(args, &store, policy)),
        Command::Edge {
            args,
            store,
            policy,
        } => judging_cli::load_policy(policy.as_deref(), None)
            .and_then(|policy| infra_cli::edge(args, &store, policy)),
        Command::Audit { command, store } => audit_cli::run(command, &store),
        Command::Bench(args) => bench_cli::bench(args),
        Command::Probe { args } => probe_cli::probe(args),
        Command::Enroll { args, policy } => judging_cli::load_policy(policy.as_deref(), None)
            .and_then(|policy| infra_cli::enroll(args, policy)),
        Command::Demo {
            listen,
            dist,
            cors,
            speed,
            probe_every,
        } => demo_cli::demo(listen, dist, bearer_token(), cors, speed, probe_every),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tlscope: error: {e}");
            ExitCode::from(2)
        }
    }
}
