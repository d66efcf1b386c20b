//! `tlscope audit`: verify the tenant's hash-chained audit log and show it, filtered.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use tlscope_agent::AgentError;
use tlscope_agent::ca;
use tlscope_agent::store::audit::{Action, Entry};
use tlscope_core::Timestamp;

use crate::infra_cli::StoreArgs;

/// `tlscope audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain: every entry's hash, every link, and that it reaches the head the
    /// tenant index names. Exit 1 with the first broken or missing entry.
    Verify {
        /// Tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Print the verified log, oldest first, filtered (exit 1 when it does not verify).
    Show(ShowArgs),
}

/// `tlscope audit show` filters.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Tenant.
    #[arg(long)]
    tenant: String,
    /// Only these actions (init, issue, token, enrol, renew, revoke, rotate-ca, retire-ca,
    /// crl-refreshed, approval, handshake-refused); repeatable.
    #[arg(long, value_name = "ACTION")]
    action: Vec<String>,
    /// Only entries about this subject (a node name, `ca`, a peer address).
    #[arg(long)]
    subject: Option<String>,
    /// Only entries by this actor (`cli/USER`, `coordinator/NAME`, a node's identity).
    #[arg(long)]
    actor: Option<String>,
    /// Only entries at or after this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only entries before this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// One JSON object per line (the entries as stored).
    #[arg(long)]
    json: bool,
}

/// Runs a `tlscope audit` command.
pub fn run(command: AuditCommand, store_args: &StoreArgs) -> Result<ExitCode, AgentError> {
    let store = store_args.open()?;
    let tenant = match &command {
        AuditCommand::Verify { tenant } => tenant,
        AuditCommand::Show(a) => &a.tenant,
    };
    let entries = match ca::audit_log(&store, tenant)? {
        Ok(entries) => entries,
        Err(broken) => {
            eprintln!("tlscope audit: the audit log of tenant {tenant} does not verify: {broken}");
            return Ok(ExitCode::from(1));
        }
    };
    match command {
        AuditCommand::Verify { tenant } => {
            match entries.last() {
                Some(last) => println!(
                    "audit log of tenant {tenant}: {} entries, chain intact up to entry {} ({}), the head the index names",
                    entries.len(),
                    last.seq,
                    last.hash
                ),
                None => println!("audit log of tenant {tenant}: empty"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Show(args) => show(&entries, &args),
    }
}

fn show(entries: &[Entry], args: &ShowArgs) -> Result<ExitCode, AgentError> {
    let actions: Vec<Action> = args
        .action
        .iter()
        .map(|a| {
            serde_json::from_value(serde_json::Value::String(a.clone())).map_err(|_| {
                AgentError::Usage(format!(
                    "--action {a:?}: expected one of init, issue, token, enrol, renew, revoke, rotate-ca, retire-ca, crl-refreshed, approval, handshake-refused"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let time = |flag: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|t| {
                Timestamp::parse_rfc3339(t)
                    .map_err(|e| AgentError::Usage(format!("--{flag} {t:?}: {e}")))
            })
            .transpose()
    };
    let (since, until) = (time("since", &args.since)?, time("until", &args.until)?);
    let shown = entries.iter().filter(|e| {
        (actions.is_empty() || actions.contains(&e.action))
            && args.subject.as_ref().is_none_or(|s| *s == e.subject)
            && args.actor.as_ref().is_none_or(|a| *a == e.actor)
            && since.is_none_or(|t| e.at >= t)
            && until.is_none_or(|t| e.at < t)
    });
    for e in shown {
        if args.json {
            crate::infra_cli::json_line(e);
        } else {
            println!(
                "{:>6}  {}  {:<17}  {:<24}  {}{}{}",
                e.seq,
                e.at,
                e.action.as_str(),
                e.subject,
                e.actor,
                e.serial
                    .as_deref()
                    .map(|s| format!("  serial {s}"))
                    .unwrap_or_default(),
                if e.detail.is_empty() {
                    String::new()
                } else {
                    format!("  {}", e.detail)
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
