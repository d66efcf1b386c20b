//! Shared set-up for the CA, coordinator and edge tests: a tenant in a scratch store with a fixed
//! clock, a coordinator serving on loopback, and certificates crafted with the tenant's CA key to
//! present what the CA itself would never issue.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256,
    SanType,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tlscope_agent::ca::identity::{Identity, NodeRole};
use tlscope_agent::ca::{self, NodeMaterial};
use tlscope_agent::clock::{Clock, FixedClock};
use tlscope_agent::coordinator::Coordinator;
use tlscope_agent::edge::Edge;
use tlscope_agent::store::Store;
use tlscope_core::{Policy, Timestamp};

pub mod demo;

/// The moment every test starts at.
pub const START: &str = "2026-11-23T00:00:00Z";

/// A fresh scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlscope-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A tenant with edges, its coordinator, and a clock the test moves.
pub struct Tenant {
    pub name: String,
    pub store: Arc<Store>,
    pub policy: Arc<Policy>,
    pub fixed: Arc<FixedClock>,
    pub clock: Arc<dyn Clock>,
    pub coordinator: Arc<Coordinator>,
    pub client_addr: SocketAddr,
    pub mtls_addr: SocketAddr,
}

impl Tenant {
    /// Creates the tenant (its own store under `dir`), issues `edges`, builds the coordinator.
    pub fn create(dir: &Path, name: &str, edges: &[&str]) -> Self {
        let store = Arc::new(Store::open(dir.join(name), None).expect("store"));
        let policy = Arc::new(Policy::default());
        let fixed = Arc::new(FixedClock::new(
            Timestamp::parse_rfc3339(START).expect("start"),
        ));
        let clock: Arc<dyn Clock> = fixed.clone();
        ca::init(&store, name, &policy, clock.now()).expect("ca init");
        for e in edges {
            ca::issue(&store, name, NodeRole::Edge, e, &policy, clock.now()).expect("issue");
        }
        let coordinator = Coordinator::new(
            Arc::clone(&store),
            name,
            "coordinator",
            Arc::clone(&policy),
            Arc::clone(&clock),
        )
        .expect("coordinator");
        let unbound = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            name: name.to_owned(),
            store,
            policy,
            fixed,
            clock,
            coordinator,
            client_addr: unbound,
            mtls_addr: unbound,
        }
    }

    /// Creates the tenant and serves its coordinator on ephemeral loopback ports.
    pub async fn start(dir: &Path, name: &str, edges: &[&str]) -> Self {
        let mut t = Self::create(dir, name, edges);
        let client = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mtls = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        t.client_addr = client.local_addr().expect("addr");
        t.mtls_addr = mtls.local_addr().expect("addr");
        tokio::spawn(Arc::clone(&t.coordinator).serve(client, mtls));
        t
    }

    /// Serves the coordinator with its mTLS listener on `mtls` (late start).
    pub async fn serve_on(&self, mtls: SocketAddr, client: SocketAddr) -> Arc<Coordinator> {
        let client = tokio::net::TcpListener::bind(client).await.expect("bind");
        let mtls = tokio::net::TcpListener::bind(mtls).await.expect("bind");
        tokio::spawn(Arc::clone(&self.coordinator).serve(client, mtls));
        Arc::clone(&self.coordinator)
    }

    /// A node's current material.
    pub fn material(&self, node: &str) -> NodeMaterial {
        ca::material(&self.store, &self.name, node).expect("material")
    }

    /// An edge of this tenant pointed at the coordinator.
    pub fn edge(&self, node: &str) -> Edge {
        Edge::new(
            Arc::clone(&self.store),
            &self.name,
            node,
            self.mtls_addr,
            "coordinator",
            Arc::clone(&self.policy),
            Arc::clone(&self.clock),
        )
        .expect("edge")
    }

    /// The clock's now, for rcgen.
    pub fn clock_now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(self.clock.now().unix()).expect("time")
    }

    /// The clock's now.
    pub fn clock_now_ts(&self) -> Timestamp {
        self.clock.now()
    }
}

fn edge_params(t: &Tenant, tenant: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.not_before = t.clock_now();
    p.not_after = t.clock_now() + time::Duration::days(30);
    p.distinguished_name.push(DnType::CommonName, "crafted");
    p.subject_alt_names = vec![SanType::URI(
        Identity::node(tenant, NodeRole::Edge, "crafted")
            .uri()
            .try_into()
            .expect("uri"),
    )];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.use_authority_key_identifier_extension = true;
    p
}

fn material_from(
    t: &Tenant,
    leaf: CertificateDer<'static>,
    issuer: Option<CertificateDer<'static>>,
    key: &KeyPair,
) -> NodeMaterial {
    let valid = t.material("e1");
    NodeMaterial {
        identity: valid.identity.clone(),
        serial: "crafted".into(),
        chain: std::iter::once(leaf).chain(issuer).collect(),
        key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        trusted: valid.trusted,
        crls: valid.crls,
        generation: valid.generation,
    }
}

/// A client certificate signed by the tenant's active CA key, with `edit` applied to an edge's
/// usual parameters.
pub fn craft(t: &Tenant, tenant: &str, edit: impl FnOnce(&mut CertificateParams)) -> NodeMaterial {
    let index = t.store.read_index(&t.name).expect("index");
    let ca = index.active_ca().expect("active CA");
    let ca_der =
        CertificateDer::from_pem_slice(&t.store.read_file(&t.name, &ca.cert).expect("ca cert"))
            .expect("ca pem");
    let ca_key = KeyPair::from_pem(&t.store.read_key(&t.name, &ca.key).expect("ca key"))
        .expect("ca key pem");
    let issuer = Issuer::from_ca_cert_der(&ca_der, ca_key).expect("issuer");
    let mut params = edge_params(t, tenant);
    edit(&mut params);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let cert = params.signed_by(&key, &issuer).expect("sign");
    material_from(t, cert.der().clone(), Some(ca_der), &key)
}

/// A self-signed certificate carrying a valid edge identity.
pub fn self_signed(t: &Tenant) -> NodeMaterial {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let cert = edge_params(t, &t.name)
        .self_signed(&key)
        .expect("self-sign");
    material_from(t, cert.der().clone(), None, &key)
}

/// A child process killed when the test ends, however it ends.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines a child prints on its (piped) standard output, as they come.
pub fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead as _;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
