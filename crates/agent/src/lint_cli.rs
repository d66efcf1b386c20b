//! `tlscope lint PATH...`: its arguments, and walking, judging and printing what it finds (the
//! walking and judging live in the library's `lint` module).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tlscope_agent::AgentError;
use tlscope_agent::lint;
use tlscope_core::chain::Purpose;
use tlscope_core::judge::ChainRequest;

use crate::judging_cli::{FailOn, JudgeArgs, read_input};

/// `tlscope lint` arguments.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

/// Runs `tlscope lint`: exit 1 when a finding reaches `--fail-on` or a named file could not be
/// judged.
pub fn run(args: &LintArgs) -> Result<ExitCode, AgentError> {
    let policy = args.judge.load_policy()?;
    let request = ChainRequest::for_host(args.judge.anchors()?, Purpose::ServerAuth, None);
    let now = args.judge.now()?;
    let files = lint::collect(&args.paths)?;
    let doc = lint::run(&files, read_input, &request, &policy, now)?;
    print!("{}", lint::render(&doc, args.judge.format)?);
    let gate = args.judge.gate(Some(FailOn::Critical));
    Ok(if gate.is_some_and(|g| lint::gate_fails(&doc, g)) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
