//! # tlscope-agent
//!
//! The native side of tlscope: the `tlscope` command line, the HTTP server that hosts the
//! dashboard and the API, and (growing) the internal CA, coordinator, edges and probes.
//! Every judgement is made by `tlscope-core`; this crate does the I/O and owns the clock.
//!
//! | module | owns |
//! |---|---|
//! | [`inspect`] | `tlscope inspect FILE...`: read files, decode with the core, render text or JSON |
//! | [`lint`] | `tlscope lint PATH...`: walk, recognise, judge; text, JSON, SARIF, Markdown; CI exit codes |
//! | [`server`] | the axum app: the built dashboard, `/api/v1/*` (snapshot, events, probe, OpenAPI), `/metrics`, tokens, CORS |
//! | [`observatory`] | the observations the API serves: probes, handshakes, rotations, certificates; metrics |
//! | [`clock`] | the replaceable clock the agent judges and schedules with |
//! | [`store`] | the CA store on disk: atomic writes, 0600 keys, optional AES-256-GCM sealing, index |
//! | [`ca`] | the tenant CA: issue, revoke, rotate, list, export; identities in URI SANs |
//! | [`mtls`] | rustls configuration: TLS 1.3 suites, reloadable credentials and trust, identity checks, refusal reasons |
//! | [`coordinator`] | TLS 1.3 client listener and mTLS edge listener, handshake records, rotation schedule, reload |
//! | [`demo`] | `tlscope demo`: CA, coordinator, edges and flawed endpoints on an accelerated clock, probed |
//! | [`edge`] | the edge: mTLS to the coordinator, heartbeats, reload from the store, reconnect with backoff |
//! | [`loadgen`] | handshake load in four modes, latency percentiles, memory per idle connection (`tlscope bench`) |
//! | [`probe`] | `tlscope probe`: versions, suites, order, groups with hand-built hellos; chain, ALPN, stapling, resumption, client auth, HSTS with rustls; PostgreSQL/MySQL upgrades |

#![forbid(unsafe_code)]

pub mod ca;
pub mod clock;
pub mod coordinator;
pub mod demo;
pub mod edge;
pub mod ending;
pub mod enrol_client;
pub mod finding_text;
pub mod inspect;
pub mod lint;
pub mod loadgen;
pub mod metrics;
pub mod mtls;
pub mod node_state;
pub mod observatory;
pub mod probe;
pub mod server;
pub mod signature_backend;
pub mod store;
pub mod verified_chains;

/// Errors at the agent's boundary: what the command line reports before exiting non-zero.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error (e.g. address in use).
        source: std::io::Error,
    },
    /// A non-loopback listener was asked for without an API token.
    #[error(
        "refusing to listen on {addr} without a bearer token: set TLSCOPE_TOKEN (only loopback addresses may be used without one)"
    )]
    TokenRequired {
        /// The address asked for.
        addr: std::net::SocketAddr,
    },
    /// `--roots` did not yield any trust anchor.
    #[error("--roots {path}: {reason}")]
    Roots {
        /// The path given.
        path: String,
        /// Why no anchor came out of it.
        reason: String,
    },
    /// `--policy` did not parse.
    #[error("--policy {path}: {source}")]
    Policy {
        /// The path given.
        path: String,
        /// Where and why.
        source: tlscope_core::policy::PolicyError,
    },
    /// `--profile` names no built-in profile.
    #[error("--profile {name:?}: expected one of {}", tlscope_core::Policy::PROFILES.join(", "))]
    Profile {
        /// The name given.
        name: String,
    },
    /// `--at` was not an RFC 3339 time.
    #[error("--at: {0}")]
    At(#[from] tlscope_core::timestamp::TimestampError),
    /// The store key could not be read.
    #[error("store key: {0}")]
    StoreKey(String),
    /// A CA operation failed.
    #[error(transparent)]
    Ca(#[from] ca::CaError),
    /// The coordinator failed.
    #[error(transparent)]
    Coordinator(coordinator::CoordinatorError),
    /// The edge failed.
    #[error(transparent)]
    Edge(edge::EdgeError),
    /// A probe target could not be read.
    #[error("target {0}")]
    Target(String),
    /// `tlscope bench` could not run.
    #[error("bench: {0}")]
    Bench(String),
    /// The server failed while running.
    #[error("server error: {0}")]
    Serve(std::io::Error),
    /// A flag's value is not one the command accepts; the text says which and what it expects.
    #[error("{0}")]
    Usage(String),
    /// Enrolment failed; nothing was written.
    #[error("enrolment failed: {0}")]
    Enrol(Box<enrol_client::EnrolClientError>),
    /// The policy asks for a FIPS module and this build has none (or the policy's suites and
    /// groups are not all approved).
    #[error(transparent)]
    Fips(mtls::MtlsError),
    /// A report could not be serialised (a bug: every report type serialises).
    #[error("cannot write the report: {0}")]
    Output(#[from] serde_json::Error),
}
