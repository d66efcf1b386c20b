//! The `tlscope ca`, `tlscope coordinator` and `tlscope edge` commands: argument types and what
//! each does with the library's CA, coordinator and edge.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use tlscope_agent::AgentError;
use tlscope_agent::ca::identity::NodeRole;
use tlscope_agent::ca::{self, CertificateListing, Force, approvals, enrolment};
use tlscope_agent::clock::{Clock, SystemClock};
use tlscope_agent::coordinator::Coordinator;
use tlscope_agent::edge::Edge;
use tlscope_agent::enrol_client;
use tlscope_agent::node_state::StateDir;
use tlscope_agent::store::Store;
use tlscope_agent::store::index::{ApprovalRule, Change};
use tlscope_agent::store::sealing::SealingKey;
use tlscope_core::{Policy, Timestamp};

/// Where the store is and how its keys are sealed.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store: a directory (default: $XDG_DATA_HOME/tlscope or ~/.local/share/tlscope), or
    /// s3://BUCKET/PREFIX on S3-compatible object storage shared by several coordinators
    /// (credentials from the standard AWS environment chain, never from the command line).
    #[arg(
        long,
        env = "TLSCOPE_STORE",
        value_name = "DIR|s3://BUCKET/PREFIX",
        global = true
    )]
    store: Option<PathBuf>,
    /// The S3-compatible endpoint (e.g. http://127.0.0.1:8333); default: AWS.
    #[arg(long, env = "TLSCOPE_S3_ENDPOINT", value_name = "URL", global = true)]
    s3_endpoint: Option<String>,
    /// The S3 region.
    #[arg(long, env = "TLSCOPE_S3_REGION", value_name = "REGION", global = true)]
    s3_region: Option<String>,
    /// Accept a plain-http endpoint that is not on loopback.
    #[arg(long, global = true)]
    s3_allow_http: bool,
    /// Encrypt every object with SSE-KMS under this key id instead of SSE-S3 (AES256).
    #[arg(long, value_name = "KEY_ID", global = true)]
    s3_kms_key_id: Option<String>,
    /// Seal private keys at rest with the 256-bit key in FILE (64 hex digits, base64 or 32 bytes).
    #[arg(long, value_name = "FILE", global = true)]
    store_key_file: Option<PathBuf>,
    /// Act as of this RFC 3339 time instead of now (for planning and tests).
    #[arg(long, global = true)]
    at: Option<String>,
}

/// `tlscope ca ...`
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a tenant and its CA.
    Init {
        /// Tenant name (a-z, 0-9, '-').
        #[arg(long)]
        tenant: String,
    },
    /// Issue a certificate for an edge or the coordinator.
    Issue {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// What the certificate is for.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Node name (a-z, 0-9, '-').
        #[arg(long)]
        name: String,
    },
    /// List CAs and certificates: subject, role, serial, not after, status.
    List {
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write cert.pem (with chain), key.pem, ca.pem and crl.pem for other software.
    Export {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// Node name.
        #[arg(long)]
        name: String,
        /// Directory to write into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Make a one-time join token for a node that will enrol over the network with its own
    /// key (`tlscope enroll`); prints the token and the CA fingerprint to pin.
    Token {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// The node's name (a-z, 0-9, '-').
        #[arg(long)]
        name: String,
        /// What the node will be.
        #[arg(long, value_enum, default_value = "edge")]
        role: RoleArg,
        /// How long the token works: a number with s, m, h or d.
        #[arg(long, default_value = "15m")]
        ttl: String,
        /// JSON: {"token", "ca_fingerprint", "expires_at"}.
        #[arg(long)]
        json: bool,
    },
    /// Revoke every certificate of a node now.
    Revoke {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// Node name.
        #[arg(long)]
        name: String,
        /// The approved proposal, where the tenant requires approvals.
        #[arg(long, value_name = "ID")]
        proposal: Option<String>,
    },
    /// Make an operator's Ed25519 key pair: the private key goes to --out (0600, never into
    /// the store); prints the public key to register with `ca approvals`.
    Keygen {
        /// Where to write the private key (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Require M of N operator approvals for CA-level changes (`ca rotate --ca`, `ca revoke`,
    /// and a new rule). Replacing a rule is itself such a change (--proposal).
    Approvals {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// How many approvals from distinct operators.
        #[arg(long, value_name = "M")]
        require: u32,
        /// An operator, NAME=ed25519:BASE64 (repeatable).
        #[arg(long = "operator", value_name = "NAME=KEY", required = true)]
        operators: Vec<String>,
        /// The approved proposal for this rule (`ca propose --change rule`), once a rule exists.
        #[arg(long, value_name = "ID")]
        proposal: Option<String>,
    },
    /// Propose a CA-level change for operators to approve; prints its id.
    Propose {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// rotate-ca, revoke (with --name), or rule (with --require and --operator).
        #[arg(long, value_name = "CHANGE")]
        change: String,
        /// The node, for revoke.
        #[arg(long)]
        name: Option<String>,
        /// The new rule's M, for rule.
        #[arg(long, value_name = "M")]
        require: Option<u32>,
        /// The new rule's operators, for rule (repeatable).
        #[arg(long = "operator", value_name = "NAME=KEY")]
        operators: Vec<String>,
        /// How long it stays open: a number with s, m, h or d.
        #[arg(long, default_value = "24h")]
        ttl: String,
    },
    /// Approve a proposal with your operator key.
    Approve {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// The proposal.
        #[arg(long, value_name = "ID")]
        proposal: String,
        /// Your operator name.
        #[arg(long)]
        operator: String,
        /// Your private key (from `ca keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Renew every node certificate now (old ones stay valid for the grace period), or with
    /// --ca replace the CA (both trusted for the CA grace period). Also does whatever is due.
    Rotate {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// Replace the CA instead of renewing node certificates.
        #[arg(long)]
        ca: bool,
        /// The approved proposal for --ca, where the tenant requires approvals.
        #[arg(long, value_name = "ID")]
        proposal: Option<String>,
    },
}

/// `--role` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    /// An edge (mTLS client).
    Edge,
    /// The coordinator (server).
    Coordinator,
}

/// `tlscope coordinator` arguments.
#[derive(Debug, Args)]
pub struct CoordinatorArgs {
    /// Tenant.
    #[arg(long)]
    tenant: String,
    /// Client-facing TLS 1.3 listener.
    #[arg(long)]
    listen: SocketAddr,
    /// Edge-facing mTLS listener.
    #[arg(long)]
    mtls_listen: SocketAddr,
    /// The coordinator's node name (its certificate is issued if missing).
    #[arg(long, default_value = "coordinator")]
    name: String,
    /// How often to run the rotation schedule, in seconds.
    #[arg(long, default_value_t = 60)]
    rotate_every: u64,
    /// Do not print handshake records (for load tests).
    #[arg(long)]
    quiet: bool,
    /// Serve `/metrics` and the API (snapshot, event stream) of this coordinator on ADDR.
    /// Off loopback it requires the bearer token in TLSCOPE_TOKEN.
    #[arg(long, value_name = "ADDR")]
    api_listen: Option<SocketAddr>,
}

/// `tlscope edge` arguments.
#[derive(Debug, Args)]
pub struct EdgeArgs {
    /// An enrolled edge's state directory (`tlscope enroll --state`): run from it, with no
    /// access to the CA store, renewing over the mTLS channel.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["tenant", "name"])]
    state: Option<PathBuf>,
    /// Tenant (an edge whose certificate is in the local store).
    #[arg(long, required_unless_present = "state")]
    tenant: Option<String>,
    /// This edge's node name (an edge whose certificate is in the local store).
    #[arg(long, required_unless_present = "state")]
    name: Option<String>,
    /// The coordinators' mTLS addresses, HOST:PORT, comma-separated; tried in turn when one
    /// fails.
    #[arg(long, value_delimiter = ',', required = true)]
    coordinator: Vec<String>,
    /// The coordinator's node name, verified in its certificate.
    #[arg(long, default_value = "coordinator")]
    coordinator_name: String,
    /// Seconds between heartbeats.
    #[arg(long, default_value_t = 5)]
    heartbeat: u64,
}

/// An approval rule from `--require` and `--operator NAME=KEY` flags.
fn rule_of(required: u32, operators: &[String]) -> Result<ApprovalRule, AgentError> {
    Ok(ApprovalRule {
        required,
        operators: operators
            .iter()
            .map(|o| approvals::parse_operator(o))
            .collect::<Result<_, _>>()
            .map_err(|e| AgentError::Usage(e.to_string()))?,
    })
}

/// Writes a private key file, mode 0600, refusing to replace one.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AgentError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|e| AgentError::Usage(format!("cannot write {}: {e}", path.display())))
}

/// Who runs `tlscope ca`, as the audit log names them: `cli/USER`.
fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli/{user}")
}

fn default_store() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tlscope")
}

impl StoreArgs {
    pub(crate) fn open(&self) -> Result<Store, AgentError> {
        let key_text = match (&self.store_key_file, std::env::var("TLSCOPE_STORE_KEY")) {
            (Some(path), _) => Some(std::fs::read(path).map_err(|source| AgentError::Read {
                path: path.display().to_string(),
                source,
            })?),
            (None, Ok(text)) => Some(text.into_bytes()),
            (None, Err(_)) => None,
        };
        let key = key_text
            .map(|t| SealingKey::from_bytes(&t))
            .transpose()
            .map_err(|e| AgentError::StoreKey(e.to_string()))?;
        let root = self.store.clone().unwrap_or_else(default_store);
        let shown = root.display().to_string();
        if shown.starts_with("s3://") {
            use tlscope_agent::store::object::{Encryption, S3Location};
            let mut location = S3Location::parse(&shown).map_err(|e| {
                tlscope_agent::ca::CaError::from(tlscope_agent::store::StoreError::from(e))
            })?;
            location.endpoint.clone_from(&self.s3_endpoint);
            location.region.clone_from(&self.s3_region);
            location.allow_http = self.s3_allow_http;
            if let Some(kms) = &self.s3_kms_key_id {
                location.encryption = Encryption::Kms(kms.clone());
            }
            return Ok(Store::open_objects(location, key)
                .map_err(tlscope_agent::ca::CaError::from)?
                .with_actor(cli_actor()));
        }
        Ok(Store::open(root, key)
            .map_err(tlscope_agent::ca::CaError::from)?
            .with_actor(cli_actor()))
    }

    fn clock(&self) -> Result<Arc<dyn Clock>, AgentError> {
        Ok(match &self.at {
            Some(at) => Arc::new(tlscope_agent::clock::FixedClock::new(
                tlscope_core::Timestamp::parse_rfc3339(at)?,
            )),
            None => Arc::new(SystemClock),
        })
    }
}

/// One row of `ca list`: the listing and its rotation status under the policy.
#[derive(serde::Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    listing: &'a CertificateListing,
    /// `ok`, `renew-due`, `in-grace`, `overdue`, `expired`; the state's word once the
    /// certificate is revoked or retired.
    status: String,
}

fn rows<'a>(listings: &'a [CertificateListing], policy: &Policy, now: Timestamp) -> Vec<Row<'a>> {
    listings
        .iter()
        .map(|listing| Row {
            listing,
            status: listing
                .status(policy, now)
                .map_or(listing.state.as_str(), |s| s.as_str())
                .to_owned(),
        })
        .collect()
}

fn table(rows: &[Row<'_>]) -> String {
    let mut out = format!(
        "{:<10} {:<12} {:<12} {:<32} {:<20} {:<10} {}\n",
        "TENANT", "NAME", "ROLE", "SERIAL", "NOT AFTER", "STATE", "STATUS"
    );
    for Row { listing: r, status } in rows {
        out.push_str(&format!(
            "{:<10} {:<12} {:<12} {:<32} {:<20} {:<10} {}\n",
            r.tenant,
            r.name,
            r.role.as_str(),
            r.serial,
            r.not_after,
            r.state.as_str(),
            status
        ));
    }
    out
}

/// Runs a `tlscope ca` command.
pub fn ca_command(
    command: CaCommand,
    args: &StoreArgs,
    policy: &Policy,
) -> Result<ExitCode, AgentError> {
    // Under a policy that asks for a FIPS module, keys are made and certificates and CRLs signed
    // by one; reading the store (list, export, approvals) needs none.
    let signs = matches!(
        command,
        CaCommand::Init { .. }
            | CaCommand::Issue { .. }
            | CaCommand::Revoke { .. }
            | CaCommand::Rotate { .. }
            | CaCommand::Approve { .. }
    );
    if signs && policy.tls.fips_module {
        tlscope_agent::mtls::provider(policy).map_err(AgentError::Fips)?;
    }
    let store = args.open()?;
    let now = args.clock()?.now();
    match command {
        CaCommand::Init { tenant } => {
            let row = ca::init(&store, &tenant, policy, now)?;
            println!(
                "created tenant {tenant} with CA {} (valid until {}) in {}{}",
                row.serial,
                row.not_after,
                store.root().display(),
                if store.seals() {
                    "; keys sealed with the store key"
                } else {
                    ""
                }
            );
        }
        CaCommand::Issue { tenant, role, name } => {
            let role = match role {
                RoleArg::Edge => NodeRole::Edge,
                RoleArg::Coordinator => NodeRole::Coordinator,
            };
            let row = ca::issue(&store, &tenant, role, &name, policy, now)?;
            println!(
                "issued {} serial {} valid until {}",
                row.subject, row.serial, row.not_after
            );
        }
        CaCommand::List { tenant, json } => {
            let tenants = match tenant {
                Some(t) => vec![t],
                None => store.tenants().map_err(ca::CaError::from)?,
            };
            let mut listings = Vec::new();
            for t in tenants {
                listings.extend(ca::list(&store, &t)?);
            }
            let rows = rows(&listings, policy, now);
            if json {
                let text = serde_json::to_string_pretty(&rows)?;
                println!("{text}");
            } else {
                print!("{}", table(&rows));
            }
        }
        CaCommand::Export { tenant, name, out } => {
            for file in ca::export(&store, &tenant, &name, &out)? {
                println!("wrote {file}");
            }
        }
        CaCommand::Token {
            tenant,
            name,
            role,
            ttl,
            json,
        } => {
            let role = match role {
                RoleArg::Edge => NodeRole::Edge,
                RoleArg::Coordinator => NodeRole::Coordinator,
            };
            let token = enrolment::token(&store, &tenant, role, &name, duration(&ttl)?, now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&token)?);
            } else {
                println!("token           {}", token.token);
                println!("ca fingerprint  {}", token.ca_fingerprint);
                println!("expires at      {}", token.expires_at);
                println!(
                    "on the node: TLSCOPE_JOIN_TOKEN=… tlscope enroll --coordinator HOST:PORT --ca-fingerprint {} --state DIR",
                    token.ca_fingerprint
                );
            }
        }
        CaCommand::Revoke {
            tenant,
            name,
            proposal,
        } => {
            for e in ca::revoke_approved(&store, &tenant, &name, proposal.as_deref(), now)? {
                json_line(&e);
            }
        }
        CaCommand::Keygen { out } => {
            let (pem, public) = approvals::keygen().map_err(ca::CaError::from)?;
            write_private(&out, pem.as_bytes())?;
            println!(
                "private key  {} (0600; keep it, it never goes into the store)",
                out.display()
            );
            println!("public key   {public}");
        }
        CaCommand::Approvals {
            tenant,
            require,
            operators,
            proposal,
        } => {
            let rule = rule_of(require, &operators)?;
            approvals::set_rule(&store, &tenant, rule, proposal.as_deref(), now)?;
            println!(
                "tenant {tenant}: {require} of {} operator approvals required for CA-level changes",
                operators.len()
            );
        }
        CaCommand::Propose {
            tenant,
            change,
            name,
            require,
            operators,
            ttl,
        } => {
            let change = match (change.as_str(), name, require) {
                ("rotate-ca", None, None) => Change::RotateCa,
                ("revoke", Some(name), None) => Change::Revoke { name },
                ("rule", None, Some(m)) => Change::Rule {
                    sha256: approvals::rule_digest(&rule_of(m, &operators)?),
                },
                _ => {
                    return Err(AgentError::Usage(format!(
                        "--change {change:?}: expected rotate-ca, revoke --name NODE, or rule --require M --operator NAME=KEY..."
                    )));
                }
            };
            let p = approvals::propose(&store, &tenant, change, duration(&ttl)?, now)?;
            println!("proposal     {}", p.id);
            println!("change       {}", approvals::describe(&p.change));
            println!("expires at   {}", p.expires_at);
        }
        CaCommand::Approve {
            tenant,
            proposal,
            operator,
            key,
        } => {
            let pem = std::fs::read(&key).map_err(|source| AgentError::Read {
                path: key.display().to_string(),
                source,
            })?;
            let p = approvals::approve(&store, &tenant, &proposal, &operator, &pem, now)?;
            let required = store
                .read_index(&tenant)
                .ok()
                .and_then(|i| i.approvals)
                .map_or(0, |r| r.required);
            println!(
                "{operator} approved proposal {} ({}): {} of {required} approvals",
                p.id,
                approvals::describe(&p.change),
                p.approvals.len()
            );
        }
        CaCommand::Rotate {
            tenant,
            ca,
            proposal,
        } => {
            let force = Force { nodes: !ca, ca };
            let events =
                ca::rotate_approved(&store, &tenant, policy, now, force, proposal.as_deref())?;
            for e in &events {
                json_line(e);
            }
            if events.is_empty() {
                println!("nothing to rotate");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Seconds in a duration written as a number with `s`, `m`, `h` or `d`.
fn duration(text: &str) -> Result<i64, AgentError> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if n > 0 && scale > 0 => Ok(n.saturating_mul(scale)),
        _ => Err(AgentError::Usage(format!(
            "--ttl {text:?}: expected a positive number followed by s, m, h or d (e.g. 15m)"
        ))),
    }
}

/// `tlscope enroll` arguments.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The coordinator's client-facing address (its --listen), HOST:PORT.
    #[arg(long)]
    coordinator: String,
    /// A file holding the join token from `tlscope ca token` (`-`: standard input). Without it
    /// the token is read from TLSCOPE_JOIN_TOKEN: a token never goes on a command line, where
    /// every local user can read it.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The tenant CA's fingerprint as `tlscope ca token` printed it (sha256:HEX).
    #[arg(long, value_name = "sha256:HEX")]
    ca_fingerprint: String,
    /// Where the node keeps cert.pem, key.pem (0600), ca.pem and crl.pem.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
}

/// Runs `tlscope enroll`: nothing is written unless the coordinator issued the certificate.
pub fn enroll(args: EnrollArgs, policy: Policy) -> Result<ExitCode, AgentError> {
    let token = match &args.token_file {
        Some(path) => {
            let bytes = crate::judging_cli::read_input(path)?;
            String::from_utf8_lossy(&bytes).trim().to_owned()
        }
        None => std::env::var("TLSCOPE_JOIN_TOKEN").map_err(|_| {
            AgentError::Usage(
                "no join token: give --token-file FILE or set TLSCOPE_JOIN_TOKEN".into(),
            )
        })?,
    };
    let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
    let state = StateDir::new(&args.state);
    let issued = runtime.block_on(async {
        let addr = *resolve(std::slice::from_ref(&args.coordinator))
            .await?
            .first()
            .ok_or_else(|| {
                AgentError::Usage(format!("--coordinator {:?}: no address", args.coordinator))
            })?;
        enrol_client::enroll(
            addr,
            &token,
            &args.ca_fingerprint,
            &state,
            &policy,
            Arc::new(SystemClock),
        )
        .await
        .map_err(|e| AgentError::Enrol(Box::new(e)))
    })?;
    println!(
        "enrolled {} (serial {}, valid until {}); wrote cert.pem, key.pem, ca.pem, crl.pem in {}",
        issued.identity,
        issued.serial,
        issued.not_after,
        args.state.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, AgentError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| AgentError::Bind { addr, source })
}

/// Runs the coordinator until Ctrl+C; prints one JSON handshake record per line.
pub fn coordinator(
    args: CoordinatorArgs,
    store_args: &StoreArgs,
    policy: Policy,
) -> Result<ExitCode, AgentError> {
    let store = Arc::new(
        store_args
            .open()?
            .with_actor(format!("coordinator/{}", args.name)),
    );
    let clock = store_args.clock()?;
    let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
    runtime.block_on(async move {
        let client = bind(args.listen).await?;
        let mtls = bind(args.mtls_listen).await?;
        let policy = Arc::new(policy);
        let coordinator = Coordinator::new(
            store,
            &args.tenant,
            &args.name,
            Arc::clone(&policy),
            Arc::clone(&clock),
        )
        .map_err(AgentError::Coordinator)?;
        coordinator.tick().map_err(AgentError::Coordinator)?;
        eprintln!(
            "tlscope coordinator: tenant {} serial {}; clients on {}, edges (mTLS) on {}",
            args.tenant,
            coordinator.serial(),
            client.local_addr().map_err(AgentError::Serve)?,
            mtls.local_addr().map_err(AgentError::Serve)?
        );
        let fips = tlscope_agent::mtls::fips_mode(&policy);
        eprintln!(
            "tlscope coordinator: fips: {} ({})",
            if fips.approved { "yes" } else { "no" },
            fips.describe()
        );
        if let Some(listen) = args.api_listen {
            serve_api(&coordinator, listen, policy, clock).await?;
        }
        let mut records = coordinator.records();
        let mut events = coordinator.rotation_events();
        tokio::spawn(Arc::clone(&coordinator).serve(client, mtls));
        tokio::spawn(
            Arc::clone(&coordinator).schedule(Duration::from_secs(args.rotate_every.max(1))),
        );
        loop {
            tokio::select! {
                Ok(r) = records.recv() => if !args.quiet {
                    json_line(&r);
                },
                Ok(e) = events.recv() => json_line(&e),
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Serves the coordinator's `/metrics` and API on `listen` (the token from TLSCOPE_TOKEN).
async fn serve_api(
    coordinator: &Arc<Coordinator>,
    listen: SocketAddr,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
) -> Result<(), AgentError> {
    let observatory = tlscope_agent::observatory::Observatory::new();
    coordinator.observe(&observatory, Duration::from_secs(5));
    let config = tlscope_agent::server::ServerConfig {
        listen,
        dist: None,
        token: std::env::var("TLSCOPE_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        cors: Vec::new(),
    };
    let api = tlscope_agent::server::Api {
        observatory,
        policy,
        clock,
        probe_options: tlscope_agent::probe::ProbeOptions::default(),
    };
    let (listener, app) = tlscope_agent::server::bind(&config, api).await?;
    eprintln!(
        "tlscope coordinator: metrics at http://{}/metrics, API at /api/v1/snapshot",
        listener.local_addr().map_err(AgentError::Serve)?
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("tlscope coordinator: the API server stopped: {e}");
        }
    });
    Ok(())
}

/// Resolves HOST:PORT addresses (names through the system resolver).
async fn resolve(addrs: &[String]) -> Result<Vec<SocketAddr>, AgentError> {
    let mut out = Vec::new();
    for a in addrs {
        let found = tokio::net::lookup_host(a.as_str())
            .await
            .map_err(|e| AgentError::Usage(format!("--coordinator {a:?}: {e}")))?;
        out.extend(found.take(1));
    }
    Ok(out)
}

/// Runs an edge until Ctrl+C; prints one JSON event per line.
pub fn edge(
    args: EdgeArgs,
    store_args: &StoreArgs,
    policy: Policy,
) -> Result<ExitCode, AgentError> {
    let clock = store_args.clock()?;
    let runtime = tokio::runtime::Runtime::new().map_err(AgentError::Serve)?;
    let coordinators = runtime.block_on(resolve(&args.coordinator))?;
    let edge = match (&args.state, &args.tenant, &args.name) {
        (Some(dir), _, _) => {
            Edge::from_state(StateDir::new(dir), coordinators, Arc::new(policy), clock)
        }
        (None, Some(tenant), Some(name)) => Edge::new(
            Arc::new(store_args.open()?),
            tenant,
            name,
            coordinators[0],
            &args.coordinator_name,
            Arc::new(policy),
            clock,
        ),
        _ => {
            return Err(AgentError::Usage(
                "tlscope edge needs --state DIR, or --tenant and --name".into(),
            ));
        }
    }
    .map_err(AgentError::Edge)?;
    runtime.block_on(async move {
        let run = Arc::new(edge).run(Duration::from_secs(args.heartbeat.max(1)), |event| {
            json_line(&event);
        });
        tokio::select! {
            () = run => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints one record as a JSON line; one that cannot be serialised is reported on stderr
/// instead of printed as an empty line.
pub(crate) fn json_line(record: &impl serde::Serialize) {
    match serde_json::to_string(record) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("tlscope: a record could not be written as JSON: {e}"),
    }
}
