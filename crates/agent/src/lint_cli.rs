//! `tlscope lint PATH...`: its arguments, and walking, judging and printing what it finds (the
//! walking and judging live in the library's `lint` module).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tlscope_agent::AgentError;
use tlscope_agent::lint;
use tlscope_core::chain::Purpose;
use tlscope_core::judge::ChainRequest;

use std::time::Duration;

use tlscope_agent::clock::{Clock, SystemClock};
use tlscope_agent::probe::{self, ProbeOptions, ProbeTarget};
use tlscope_core::graph::Probed;
use tlscope_core::probe::Service;

use crate::judging_cli::{FailOn, JudgeArgs, read_input};

/// `tlscope lint` arguments.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also probe every host:port a client in the files names, judge what it serves, and
    /// link it to the client and the server's configuration (is this what runs there?).
    #[arg(long)]
    pub probe: bool,
    /// With --probe: seconds allowed for each connect, read or handshake.
    #[arg(long, default_value_t = 5, requires = "probe")]
    pub timeout: u64,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

/// Runs `tlscope lint`: exit 1 when a finding reaches `--fail-on` or a named file could not be
/// judged.
pub fn run(args: &LintArgs) -> Result<ExitCode, AgentError> {
    let policy = args.judge.load_policy()?;
    let request = ChainRequest {
        backend: Some(tlscope_agent::signature_backend::NATIVE),
        ..ChainRequest::for_host(args.judge.anchors()?, Purpose::ServerAuth, None)
    };
    let now = args.judge.now()?;
    let files = lint::collect(&args.paths)?;
    let doc = if args.probe {
        let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
        let options = ProbeOptions {
            timeout: Duration::from_secs(args.timeout.max(1)),
            follow_h3: false,
            ..ProbeOptions::default()
        };
        lint::run_with(&files, read_input, &request, &policy, now, |facts| {
            probe_endpoints(&runtime, &options, &facts.endpoints())
        })?
    } else {
        lint::run(&files, read_input, &request, &policy, now)?
    };
    print!("{}", lint::render(&doc, args.judge.format)?);
    let gate = args.judge.gate(Some(FailOn::Critical));
    Ok(if gate.is_some_and(|g| lint::gate_fails(&doc, g)) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Probes each endpoint (eight at a time), at the moment of probing.
fn probe_endpoints(
    runtime: &tokio::runtime::Runtime,
    options: &ProbeOptions,
    endpoints: &[(Service, String, u16)],
) -> Vec<Probed> {
    let targets: Vec<ProbeTarget> = endpoints
        .iter()
        .map(|(service, host, port)| ProbeTarget {
            shown: match service {
                Service::Https => format!("https://{host}:{port}"),
                Service::Tls => format!("{host}:{port}"),
                s => format!("{}://{host}:{port}", s.label()),
            },
            service: *service,
            host: host.clone(),
            port: *port,
            path: "/".into(),
        })
        .collect();
    let reports = runtime.block_on(probe::probe_all(
        &targets,
        options,
        SystemClock.now(),
        8,
        &|_| {},
    ));
    endpoints
        .iter()
        .zip(reports)
        .map(|((_, host, port), report)| Probed {
            host: host.clone(),
            port: *port,
            report,
        })
        .collect()
}
