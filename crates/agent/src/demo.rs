//! `tlscope demo`: everything at once on loopback, on an accelerated clock — a temporary tenant
//! CA, a coordinator, three edges heartbeating, and deliberately flawed endpoints (TLS 1.2 with a
//! CBC suite, a certificate expiring in 5 days, an edge of another tenant, a self-signed server,
//! a revoked edge), probed every few seconds; handshakes, probe reports and rotations flow into
//! the observatory the API serves. The three edges enrol over the network as on other hosts (a
//! join token, their own key in their own state directory, the CA pinned by fingerprint) and
//! renew over their mTLS channel; they enrol with a coordinator whose clock is set back, and the
//! CA is made backdated, so their renewal, the CA rotation and the move to the new CA happen
//! within the first minute.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tlscope_core::{Policy, Timestamp};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::AgentError;
use crate::ca::enrolment;
use crate::ca::identity::NodeRole;
use crate::ca::{self, CaError, NodeMaterial};
use crate::clock::{Clock, FixedClock, SystemClock};
use crate::coordinator::Coordinator;
use crate::edge::Edge;
use crate::enrol_client;
use crate::node_state::StateDir;
use crate::observatory::Observatory;
use crate::probe::{self, ProbeOptions, ProbeTarget};
use crate::store::Store;

/// A clock that runs `speed` times faster than the wall clock from the moment it was made.
#[derive(Debug)]
pub struct AcceleratedClock {
    start: Timestamp,
    real: Instant,
    speed: f64,
}

impl AcceleratedClock {
    /// Starts at the system time.
    pub fn new(speed: f64) -> Self {
        Self {
            start: SystemClock.now(),
            real: Instant::now(),
            speed: speed.max(1.0),
        }
    }
}

impl Clock for AcceleratedClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.real.elapsed().as_secs_f64() * self.speed;
        Timestamp::from_unix(self.start.unix().saturating_add(elapsed as i64))
    }
}

/// The running demo: its API state, and a scratch directory removed on drop.
#[derive(Debug)]
pub struct Demo {
    /// What the API serves.
    pub api: crate::server::Api,
    /// The endpoints probed, named.
    pub endpoints: Vec<(String, String)>,
    dir: PathBuf,
    children: Vec<std::process::Child>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ago(now: Timestamp, seconds: i64) -> Timestamp {
    Timestamp::from_unix(now.unix().saturating_sub(seconds))
}

async fn listener() -> Result<(TcpListener, SocketAddr), AgentError> {
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(AgentError::Serve)?;
    let a = l.local_addr().map_err(AgentError::Serve)?;
    Ok((l, a))
}

/// A small HTTPS server (TLS 1.3, the policy's suites, HSTS) presenting `chain`.
async fn https_endpoint(
    chain: Vec<Vec<u8>>,
    key: Vec<u8>,
    policy: &Policy,
) -> Result<SocketAddr, AgentError> {
    let provider = crate::mtls::provider(policy).map_err(|e| AgentError::Bench(e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .and_then(|b| {
            b.with_no_client_auth().with_single_cert(
                chain.into_iter().map(CertificateDer::from).collect(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
            )
        })
        .map_err(|e| AgentError::Bench(format!("demo endpoint: {e}")))?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (l, addr) = listener().await?;
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = l.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(Ok(mut tls)) =
                    tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await
                {
                    let mut buf = [0u8; 2048];
                    let _ = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await;
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains; preload\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
                        .await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    Ok(addr)
}

/// Enrols `names` over the network, each into its own state directory under `dir`: a join
/// token, then `tlscope enroll`'s path (own key, CSR over TLS 1.3, CA pinned by fingerprint)
/// against a coordinator of the same store whose clock reads `born(i)`, so that each edge's
/// certificate is as old as the demo needs. That coordinator stops once they are enrolled.
async fn enrol_edges(
    store: &Arc<Store>,
    policy: &Arc<Policy>,
    clock: &Arc<dyn Clock>,
    dir: &std::path::Path,
    names: &[&str],
    born: impl Fn(i64) -> Timestamp,
) -> Result<Vec<StateDir>, AgentError> {
    let then = Arc::new(FixedClock::new(born(0)));
    let enroller = Coordinator::new(
        Arc::clone(store),
        "demo",
        "coordinator",
        Arc::clone(policy),
        Arc::clone(&then) as Arc<dyn Clock>,
    )
    .map_err(AgentError::Coordinator)?;
    let (client_l, client_addr) = listener().await?;
    let (mtls_l, _) = listener().await?;
    let serving = tokio::spawn(Arc::clone(&enroller).serve(client_l, mtls_l));
    let mut states = Vec::new();
    let mut outcome = Ok(());
    for (i, name) in names.iter().enumerate() {
        then.set(born(i as i64));
        let joined = match enrolment::token(store, "demo", NodeRole::Edge, name, 900, then.now()) {
            Ok(j) => j,
            Err(e) => {
                outcome = Err(AgentError::from(e));
                break;
            }
        };
        let state = StateDir::new(dir.join("edges").join(name));
        let enrolled = enrol_client::enroll(
            client_addr,
            &joined.token,
            &joined.ca_fingerprint,
            &state,
            policy,
            Arc::clone(clock),
        )
        .await;
        if let Err(e) = enrolled {
            outcome = Err(AgentError::Enrol(Box::new(e)));
            break;
        }
        states.push(state);
    }
    serving.abort();
    outcome.map(|()| states)
}

/// Starts the whole demo. `speed` is simulated seconds per real second.
pub async fn start(speed: f64, probe_every: Duration) -> Result<Demo, AgentError> {
    let dir = std::env::temp_dir().join(format!("tlscope-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open(dir.join("store"), None).map_err(CaError::from)?);
    let clock: Arc<dyn Clock> = Arc::new(AcceleratedClock::new(speed));
    let policy = Arc::new(Policy::default());
    let now = clock.now();
    let day = Timestamp::DAY;
    let real = |seconds: f64| (seconds * speed) as i64;
    // Backdated so that each edge renews 15-35 s in and the CA rotates 45 s in (its nodes move
    // to the new CA an hour of demo time later).
    let ca_born = ago(
        now,
        (policy.rotation.ca_days - policy.rotation.ca_grace_days) * day - real(45.0),
    );
    ca::init(&store, "demo", &policy, ca_born)?;
    let node_age = |i: i64| {
        ago(
            now,
            (policy.rotation.leaf_days - policy.rotation.leaf_grace_days) * day
                - real(15.0 + 10.0 * i as f64),
        )
    };
    ca::issue(
        &store,
        "demo",
        NodeRole::Coordinator,
        "coordinator",
        &policy,
        node_age(3),
    )?;
    let edges = ["edge-1", "edge-2", "edge-3"];
    ca::issue(&store, "demo", NodeRole::Edge, "revoked-edge", &policy, now)?;
    let revoked = ca::material(&store, "demo", "revoked-edge")?;
    ca::revoke(&store, "demo", "revoked-edge", now)?;
    ca::init(&store, "intruder", &policy, now)?;
    ca::issue(
        &store,
        "intruder",
        NodeRole::Edge,
        "intruder-edge",
        &policy,
        now,
    )?;
    let intruder = ca::material(&store, "intruder", "intruder-edge")?;

    let observatory = Observatory::new();
    let coordinator = Coordinator::new(
        Arc::clone(&store),
        "demo",
        "coordinator",
        Arc::clone(&policy),
        Arc::clone(&clock),
    )
    .map_err(AgentError::Coordinator)?;
    let (client_l, client_addr) = listener().await?;
    let (mtls_l, mtls_addr) = listener().await?;
    tokio::spawn(Arc::clone(&coordinator).serve(client_l, mtls_l));
    tokio::spawn(Arc::clone(&coordinator).schedule(Duration::from_secs(1)));
    coordinator.observe(&observatory, Duration::from_secs(1));
    for state in enrol_edges(&store, &policy, &clock, &dir, &edges, node_age).await? {
        let edge = Arc::new(
            Edge::from_state(
                state,
                vec![mtls_addr],
                Arc::clone(&policy),
                Arc::clone(&clock),
            )
            .map_err(AgentError::Edge)?
            .without_renewal_jitter(),
        );
        tokio::spawn(edge.run(Duration::from_secs(2), |_| {}));
    }
    // The revoked edge and the other tenant's edge keep trying; the coordinator keeps refusing.
    let trusted = ca::material(&store, "demo", "coordinator")?;
    let demo_edge = revoked.identity.clone();
    for bad in [revoked, intruder] {
        let material = NodeMaterial {
            identity: demo_edge.clone(),
            trusted: trusted.trusted.clone(),
            crls: trusted.crls.clone(),
            ..bad
        };
        let edge = Edge::with_material(
            Arc::clone(&store),
            &material,
            mtls_addr,
            "coordinator",
            Arc::clone(&policy),
            Arc::clone(&clock),
        )
        .map_err(AgentError::Edge)?;
        tokio::spawn(async move {
            loop {
                let _ = edge.handshake_once().await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
    }

    // Flawed endpoints.
    let mut children = Vec::new();
    let mut endpoints = vec![(
        "coordinator (TLS 1.3, the specification)".to_owned(),
        format!("localhost:{}", client_addr.port()),
    )];
    // A 90-day certificate issued 85 days ago: 5 days left, a twentieth of its lifetime.
    let (chain, key) =
        ca::server_certificate(&store, "demo", &["localhost", "127.0.0.1"], (85, 90), now)?;
    let expiring = https_endpoint(chain, key, &policy).await?;
    endpoints.push((
        "certificate expiring in 5 days".into(),
        format!("localhost:{}", expiring.port()),
    ));
    let self_signed = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .map_err(|e| AgentError::Bench(e.to_string()))?;
    let addr = https_endpoint(
        vec![self_signed.cert.der().to_vec()],
        self_signed.signing_key.serialize_der(),
        &policy,
    )
    .await?;
    endpoints.push((
        "self-signed server".into(),
        format!("localhost:{}", addr.port()),
    ));
    // TLS 1.2 with a CBC suite: openssl s_server, which still speaks it.
    let (chain, key) =
        ca::server_certificate(&store, "demo", &["localhost", "127.0.0.1"], (0, 60), now)?;
    std::fs::write(
        dir.join("legacy-cert.pem"),
        chain
            .iter()
            .map(|d| ca::pem("CERTIFICATE", d))
            .collect::<String>(),
    )
    .map_err(AgentError::Serve)?;
    std::fs::write(dir.join("legacy-key.pem"), ca::pem("PRIVATE KEY", &key))
        .map_err(AgentError::Serve)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(AgentError::Serve)?
        .port();
    // setpriv's parent-death signal takes openssl down with the demo, however the demo ends.
    let mut legacy = match std::process::Command::new("setpriv")
        .arg("--version")
        .output()
    {
        Ok(o) if o.status.success() => {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--pdeathsig", "KILL", "--", "openssl"]);
            c
        }
        _ => std::process::Command::new("openssl"),
    };
    match legacy
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256",
        ])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(dir.join("legacy-cert.pem"))
        .arg("-key")
        .arg(dir.join("legacy-key.pem"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => {
            children.push(child);
            // Probe it only once it listens.
            for _ in 0..100 {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            endpoints.push((
                "legacy: TLS 1.2 with a CBC suite".into(),
                format!("localhost:{port}"),
            ));
        }
        Err(e) => eprintln!("tlscope demo: no openssl ({e}); the TLS 1.2 endpoint is left out"),
    }
    let targets: Vec<ProbeTarget> = endpoints
        .iter()
        .filter_map(|(_, t)| probe::parse(t).ok())
        .collect();
    let mut anchors = trusted
        .trusted
        .iter()
        .map(|c| c.to_vec())
        .collect::<Vec<_>>();
    anchors.extend(
        ca::material(&store, "intruder", "intruder-edge")?
            .trusted
            .iter()
            .map(|c| c.to_vec()),
    );
    observatory.anchors(&anchors);
    // The edges are enrolled now: list them without waiting for the next look.
    coordinator.inventory(&observatory);
    {
        let (obs, clock, store) = (observatory.clone(), Arc::clone(&clock), Arc::clone(&store));
        tokio::spawn(async move {
            let options = ProbeOptions {
                timeout: Duration::from_secs(3),
                ..ProbeOptions::default()
            };
            let mut last_probe: Option<Instant> = None;
            loop {
                obs.certificates("intruder", ca::list(&store, "intruder").unwrap_or_default());
                if last_probe.is_none_or(|t| t.elapsed() >= probe_every) {
                    last_probe = Some(Instant::now());
                    let _ = probe::probe_all(&targets, &options, clock.now(), 4, &|r| {
                        obs.probe(r.clone())
                    })
                    .await;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    Ok(Demo {
        api: crate::server::Api {
            observatory,
            policy,
            clock,
            probe_options: ProbeOptions::default(),
        },
        endpoints,
        dir,
        children,
    })
}
