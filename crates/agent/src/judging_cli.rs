//! The flags every judging command shares — `--format`, `--fail-on`, `--at`, `--roots`,
//! `--policy`, `--profile` on `inspect`, `lint` and `probe` — and the chain constraints
//! `inspect` takes (`--host`, `--email`, `--purpose`, `--max-depth`, `--key-usage`, `--eku`),
//! turned into the core's `Policy`, `Timestamp`, trust anchors and `ChainRequest` in one place.

use std::path::{Path, PathBuf};

use clap::Args;
use tlscope_agent::AgentError;
use tlscope_agent::clock::{Clock, SystemClock};
use tlscope_agent::lint::Format;
use tlscope_core::chain::{self, CommonNameCheck, PeerName, Purpose, TrustAnchor};
use tlscope_core::judge::ChainRequest;
use tlscope_core::{Policy, Severity, Timestamp};

/// How a judging command is judged and reported.
#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// Output: text, json (the command's JSON document), sarif or md (findings).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when a finding is at least this severe. Default: critical for lint and probe;
    /// inspect fails only on input that does not decode and chains that do not validate.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Judge as of this RFC 3339 time instead of now ("will it still be valid on the 1st?").
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Trust these roots (PEM/DER file) instead of the Mozilla set.
    #[arg(long, value_name = "FILE")]
    pub roots: Option<PathBuf>,
    /// Trust stores to validate against (repeatable; default: mozilla): `mozilla`
    /// (webpki-roots), `system` (SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt), or a
    /// file — Mozilla's certdata.txt (with its server-distrust-after dates) or a PEM bundle.
    /// Chain verdicts say which store trusts the chain.
    #[arg(long, value_name = "STORE", conflicts_with = "roots")]
    pub trust_store: Vec<String>,
    /// Judge under this TOML policy file (see docs/policy.md).
    #[arg(long, value_name = "FILE", conflicts_with = "profile")]
    pub policy: Option<PathBuf>,
    /// Judge under a built-in profile: default or cert-manager.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

impl JudgeArgs {
    /// The policy: `--policy`, else `--profile`, else the default.
    pub fn load_policy(&self) -> Result<Policy, AgentError> {
        load_policy(self.policy.as_deref(), self.profile.as_deref())
    }

    /// The moment to judge at: `--at`, else now.
    pub fn now(&self) -> Result<Timestamp, AgentError> {
        Ok(match &self.at {
            Some(at) => Timestamp::parse_rfc3339(at)?,
            None => SystemClock.now(),
        })
    }

    /// The trust anchors: `--roots`, else the `--trust-store`s, else the Mozilla set.
    pub fn anchors(&self) -> Result<Vec<TrustAnchor>, AgentError> {
        if let Some(path) = &self.roots {
            return read_roots(path);
        }
        if self.trust_store.is_empty() {
            return Ok(TrustAnchor::mozilla());
        }
        let mut out = Vec::new();
        for store in &self.trust_store {
            out.extend(trust_store(store)?);
        }
        Ok(out)
    }

    /// The severity `--fail-on` gates at, `default` when it was not given (`None`: no gate).
    pub fn gate(&self, default: Option<FailOn>) -> Option<Severity> {
        self.fail_on.or(default).map(FailOn::severity)
    }
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Warnings and criticals fail the gate.
    Warning,
    /// Only criticals fail the gate.
    Critical,
}

impl FailOn {
    /// The least severity that fails the gate.
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Warning => Severity::Warning,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// `--purpose` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PurposeArg {
    /// TLS server authentication.
    Server,
    /// TLS client authentication (mTLS).
    Client,
    /// Any purpose.
    Any,
}

/// What the leaf of a chain must be good for, as `inspect` takes it.
#[derive(Debug, Args)]
pub struct ChainArgs {
    /// The leaf must be valid for this host name or IP address (repeat for several).
    #[arg(long, value_name = "NAME")]
    pub host: Vec<String>,
    /// The leaf must be valid for this e-mail address (an RFC 822 SAN; repeat for several).
    #[arg(long, value_name = "ADDR")]
    pub email: Vec<String>,
    /// What the leaf must be good for.
    #[arg(long, value_enum, default_value = "server")]
    pub purpose: PurposeArg,
    /// At most this many intermediates between the leaf and the root.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Key usages the leaf must allow, comma-separated: digitalSignature, keyEncipherment,
    /// keyAgreement.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub key_usage: Vec<String>,
    /// An extended key usage the leaf must allow, by name (serverAuth, clientAuth, codeSigning,
    /// emailProtection, timeStamping, OCSPSigning) or OID; repeat for several.
    #[arg(long, value_name = "NAME|OID")]
    pub eku: Vec<String>,
    /// Refuse a leaf whose subject CN is none of its SANs (CABF BR 7.1.4.3 to the letter)
    /// instead of warning, as TLS clients do, which ignore the CN.
    #[arg(long)]
    pub strict_cn: bool,
    /// Verify embedded SCTs against this CT log list (Chrome's log_list.json, v3 format) and
    /// judge Chrome's CT policy on the verified ones; without it SCTs are decoded and counted.
    #[arg(long, value_name = "FILE")]
    pub ct_logs: Option<PathBuf>,
}

/// Key usages `--key-usage` accepts.
const KEY_USAGES: &[&str] = &["digitalSignature", "keyEncipherment", "keyAgreement"];

impl ChainArgs {
    /// The core's chain request for these flags, against `anchors`.
    pub fn request(&self, anchors: Vec<TrustAnchor>) -> Result<ChainRequest, AgentError> {
        let mut peer_names: Vec<PeerName> = self.host.iter().map(|h| PeerName::host(h)).collect();
        peer_names.extend(self.email.iter().map(|e| PeerName::Email(e.clone())));
        for usage in &self.key_usage {
            if !KEY_USAGES.contains(&usage.as_str()) {
                return Err(AgentError::Usage(format!(
                    "--key-usage {usage:?}: expected one of {}",
                    KEY_USAGES.join(", ")
                )));
            }
        }
        let ekus = self
            .eku
            .iter()
            .map(|e| {
                chain::eku_oid(e).ok_or_else(|| {
                    AgentError::Usage(format!(
                        "--eku {e:?}: expected a name ({}) or a dotted OID",
                        chain::EKU_NAMES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ChainRequest {
            anchors,
            purpose: match self.purpose {
                PurposeArg::Server => Purpose::ServerAuth,
                PurposeArg::Client => Purpose::ClientAuth,
                PurposeArg::Any => Purpose::Any,
            },
            peer_names,
            max_intermediates: self.max_depth,
            key_usage: self.key_usage.clone(),
            ekus,
            common_name: if self.strict_cn {
                CommonNameCheck::Refuse
            } else {
                CommonNameCheck::Warn
            },
            backend: Some(tlscope_agent::signature_backend::NATIVE),
            ct_logs: match &self.ct_logs {
                None => None,
                Some(path) => {
                    let bytes = read_input(path)?;
                    let text = String::from_utf8_lossy(&bytes);
                    Some(
                        tlscope_core::transparency::LogList::from_json(&text).map_err(|e| {
                            AgentError::Usage(format!("--ct-logs {}: {e}", path.display()))
                        })?,
                    )
                }
            },
        })
    }
}

/// Reads `path`, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>, AgentError> {
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

/// The policy from a TOML file, else a built-in profile, else the default.
pub fn load_policy(file: Option<&Path>, profile: Option<&str>) -> Result<Policy, AgentError> {
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

/// One named trust store: `mozilla`, `system`, or a certdata.txt / PEM bundle file.
fn trust_store(store: &str) -> Result<Vec<TrustAnchor>, AgentError> {
    use tlscope_core::chain::{AnchorOrigin, certdata};
    let (path, origin) = match store {
        "mozilla" => return Ok(TrustAnchor::mozilla()),
        "system" => (
            std::env::var_os("SSL_CERT_FILE").map_or_else(
                || PathBuf::from("/etc/ssl/certs/ca-certificates.crt"),
                PathBuf::from,
            ),
            AnchorOrigin::System,
        ),
        file => (PathBuf::from(file), AnchorOrigin::Supplied),
    };
    let bytes = read_input(&path)?;
    let text = String::from_utf8_lossy(&bytes);
    if certdata::looks_like_certdata(&text) {
        return certdata::anchors(&text).map_err(|e| AgentError::Roots {
            path: path.display().to_string(),
            reason: e.to_string(),
        });
    }
    let mut anchors = read_roots(&path)?;
    for a in &mut anchors {
        a.origin = origin;
    }
    Ok(anchors)
}

/// Every certificate in the file at `path` as a trust anchor; an error when there is none.
fn read_roots(path: &Path) -> Result<Vec<TrustAnchor>, AgentError> {
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
    Ok(anchors)
}
