//! `tlscope inspect FILE...`: its arguments, and reading, judging and printing each file (the
//! judging and rendering themselves live in the library's `inspect` module).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use tlscope_agent::AgentError;
use tlscope_agent::inspect::{FileReport, render_text};
use tlscope_agent::lint::{self, Format};

use crate::judging_cli::{ChainArgs, JudgeArgs, read_input};

/// `tlscope inspect` arguments.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files to read; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of text (the same as --format json).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Runs `tlscope inspect`: exit 1 when a file does not decode, a chain is invalid or a finding
/// reaches `--fail-on`.
pub fn run(args: &InspectArgs) -> Result<ExitCode, AgentError> {
    let policy = args.judge.load_policy()?;
    let request = args.chain.request(args.judge.anchors()?)?;
    let now = args.judge.now()?;
    let format = if args.json {
        Format::Json
    } else {
        args.judge.format
    };
    let mut reports = Vec::new();
    for path in &args.files {
        let shown = path.display().to_string();
        let bytes = read_input(path)?;
        reports.push(FileReport::new(&shown, &bytes, &request, &policy, now));
    }
    let document = tlscope_core::export::Document::new(
        reports.iter().map(FileReport::to_input).collect(),
        &policy.profile,
        now,
    );
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&document)?),
        Format::Text => print!("{}", render_text(&reports, now)),
        other => print!("{}", lint::render(&document, other)?),
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
    let gate = args
        .judge
        .gate(None)
        .is_some_and(|g| document.worst().is_some_and(|w| w >= g));
    Ok(if undecoded || invalid || gate {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
