//! Large bundles, judged off the main thread. A drop of many certificates (or megabytes of
//! binary) goes to a Web Worker (`tlscope-worker`, see [`crate::worker`]) that decodes it block
//! by block, reporting progress, judges it, and answers with a [`BundleReport`]: the judgement
//! plus one [`CertificateRow`] per certificate, which the page shows as a table. This module is
//! the protocol both sides speak and the pure judgement the worker runs. The source worker
//! ([`crate::source`]) speaks the same messages.

use std::rc::Rc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use tlscope_core::chain::{PeerName, Purpose, TrustAnchor};
use tlscope_core::decode::decode_with_progress;
use tlscope_core::judge::{self, ChainRequest, Inspection};
use tlscope_core::{Item, Location, Policy, Severity, Timestamp};

/// Inputs with at least this many certificate blocks are judged in the worker.
pub const WORKER_BLOCKS: usize = 100;

/// Binary inputs at least this large are decoded in the worker too.
pub const WORKER_BYTES: usize = 1024 * 1024;

/// Whether `bytes` should be judged in the worker rather than on the page's thread.
pub fn wants_worker(bytes: &[u8]) -> bool {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    let blocks = bytes.windows(BEGIN.len()).filter(|w| *w == BEGIN).count();
    blocks >= WORKER_BLOCKS || (bytes.len() >= WORKER_BYTES && std::str::from_utf8(bytes).is_err())
}

/// What the page asks the worker to judge (the bytes travel beside it, as a `Uint8Array`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleJob {
    /// The policy text (TOML).
    pub policy: String,
    /// The moment to judge at.
    pub now: Timestamp,
    /// The host name to check the chain for.
    pub host: Option<String>,
    /// Roots the person trusts besides Mozilla's, DER in base64.
    pub trusted_roots: Vec<String>,
}

/// What the worker says. Externally tagged (`{"answered":{…}}`, `"ready"`): the page reads
/// it straight from the JSON, where a tag inside the object would make serde buffer the whole
/// message (a 1,000-certificate report) before reading it, with code for that in the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerMessage {
    /// Loaded and listening: the page may send the job.
    Ready,
    /// A warm-up job (see [`crate::offload`]'s spare worker) is done; its report is dropped.
    Warmed,
    /// `done` of `total` steps of `stage` are finished.
    Progress {
        /// `decoding` or `judging`.
        stage: String,
        /// Steps done.
        done: usize,
        /// Steps in all.
        total: usize,
    },
    /// The judgement.
    Done(Box<BundleReport>),
    /// The source worker's reading of a source file: its TLS settings (judged by the page).
    Read {
        /// The settings, in file order.
        settings: Vec<tlscope_core::code::Setting>,
    },
    /// The judging worker's answer to the page's question `seq` (see [`crate::judge`]).
    Answered {
        /// The question's sequence number.
        seq: u32,
        /// The answer.
        answer: Box<crate::judge::Answer>,
    },
    /// Nothing in the input could be read; why.
    Failed {
        /// The decoder's explanation.
        error: String,
    },
    /// The worker itself failed (it could not load, or stopped); the page decodes the input
    /// itself instead and asks its judging worker about it.
    Crashed {
        /// What the browser said.
        error: String,
    },
}

/// The judgement of a large bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleReport {
    /// Findings and the chain verdict, as for any input.
    pub inspection: Inspection,
    /// One row per certificate, in input order.
    pub certificates: Vec<CertificateRow>,
    /// CSRs, CRLs and private keys also found (keys are counted, never kept).
    pub requests: usize,
    /// CRLs found.
    pub crls: usize,
    /// Private keys found and discarded.
    pub private_keys: usize,
    /// Blocks that did not decode, explained.
    pub errors: Vec<String>,
    /// The moment it was judged at.
    pub judged_at: Timestamp,
    /// The policy's profile name.
    pub profile: String,
    /// The policy it was judged under (TOML), to tell when the page's has changed since.
    pub policy: String,
    /// Every certificate's DER, one after the other (rows say where): sent beside the JSON.
    #[serde(skip)]
    pub ders: Rc<[u8]>,
}

/// One certificate of a bundle, as the table shows it. It travels as [`RowWire`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "RowWire", from = "RowWire")]
pub struct CertificateRow {
    /// Position among the input's certificates (0-based, as findings count).
    pub index: usize,
    /// PEM line of its BEGIN line.
    pub line: Option<usize>,
    /// How people name it.
    pub name: String,
    /// Its issuer (RFC 4514).
    pub issuer: String,
    /// notAfter.
    pub not_after: Timestamp,
    /// Days left at the judgement time (negative: expired).
    pub days_left: i64,
    /// Key algorithm and size or curve.
    pub key: String,
    /// Whether it is a CA certificate.
    pub is_ca: bool,
    /// The most severe finding located at this certificate.
    pub worst: Option<Severity>,
    /// How many findings are located at it.
    pub findings: usize,
    /// Where its DER is in the report's [`BundleReport::ders`], so the page can open its full
    /// card without decoding the whole bundle.
    pub der_start: usize,
    /// The DER's length.
    pub der_len: usize,
}

/// A [`CertificateRow`] on its way from the worker: its fields in order, without their names
/// (which were 40% of a 1,000-certificate report).
#[derive(Serialize, Deserialize)]
struct RowWire(
    usize,
    Option<usize>,
    String,
    String,
    Timestamp,
    i64,
    String,
    bool,
    Option<Severity>,
    usize,
    usize,
    usize,
);

impl From<CertificateRow> for RowWire {
    fn from(r: CertificateRow) -> Self {
        Self(
            r.index,
            r.line,
            r.name,
            r.issuer,
            r.not_after,
            r.days_left,
            r.key,
            r.is_ca,
            r.worst,
            r.findings,
            r.der_start,
            r.der_len,
        )
    }
}

impl From<RowWire> for CertificateRow {
    fn from(w: RowWire) -> Self {
        let RowWire(
            index,
            line,
            name,
            issuer,
            not_after,
            days_left,
            key,
            is_ca,
            worst,
            findings,
            der_start,
            der_len,
        ) = w;
        Self {
            index,
            line,
            name,
            issuer,
            not_after,
            days_left,
            key,
            is_ca,
            worst,
            findings,
            der_start,
            der_len,
        }
    }
}

impl BundleReport {
    /// Row `row`'s certificate, DER.
    pub fn der(&self, row: &CertificateRow) -> Option<&[u8]> {
        self.ders
            .get(row.der_start..row.der_start.checked_add(row.der_len)?)
    }
}

/// A worker's message as it travels: JSON text, and beside it, for a finished bundle, every
/// certificate's DER in one buffer (a megabyte of base64 inside the JSON was most of what the
/// worker wrote and the page parsed).
pub fn to_wire(message: &WorkerMessage) -> (String, Option<&[u8]>) {
    let text = serde_json::to_string(message).unwrap_or_else(|e| {
        format!("{{\"failed\":{{\"error\":\"the report could not be encoded: {e}\"}}}}")
    });
    let ders = match message {
        WorkerMessage::Done(report) => Some(&report.ders[..]),
        _ => None,
    };
    (text, ders)
}

/// A message [`to_wire`] made, read back; `None` when the text is not one.
pub fn from_wire(text: &str, ders: Option<Vec<u8>>) -> Option<WorkerMessage> {
    let mut message = serde_json::from_str::<WorkerMessage>(text).ok()?;
    if let (WorkerMessage::Done(report), Some(ders)) = (&mut message, ders) {
        report.ders = Rc::from(ders);
    }
    Some(message)
}

/// Decodes and judges `bytes` as `job` asks, telling `progress(stage, done, total)` as it goes.
pub fn judge_bundle(
    bytes: &[u8],
    job: &BundleJob,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<BundleReport, String> {
    crate::judge::with_policy(&job.policy, |policy| {
        judge_under(bytes, job, policy, progress)
    })?
}

fn judge_under(
    bytes: &[u8],
    job: &BundleJob,
    policy: &Policy,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<BundleReport, String> {
    let decoded = decode_with_progress(bytes, &mut |done, total| progress("decoding", done, total))
        .map_err(|e| e.to_string())?;
    let mut anchors = tlscope_core::chain::TrustAnchor::mozilla_shared().to_vec();
    anchors.extend(
        job.trusted_roots
            .iter()
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .filter_map(|der| TrustAnchor::from_certificate(&der).ok()),
    );
    let request = ChainRequest {
        anchors,
        purpose: Purpose::ServerAuth,
        peer_names: job.host.as_deref().map(PeerName::list).unwrap_or_default(),
        ..ChainRequest::default()
    };
    let count = decoded.certificates().count();
    progress("judging", 0, count);
    let inspection = judge::inspect(&decoded, &request, policy, job.now);
    progress("judging", count, count);

    // Each certificate's finding count and worst severity, in one pass over the findings.
    let mut located: Vec<(usize, Option<Severity>)> = vec![(0, None); count];
    for f in &inspection.findings {
        if let Location::Certificate { index, .. } = &f.location
            && let Some((n, worst)) = located.get_mut(*index)
        {
            *n += 1;
            *worst = (*worst).max(Some(f.severity));
        }
    }
    let mut rows = Vec::with_capacity(count);
    let mut ders = Vec::new();
    let (mut requests, mut crls, mut private_keys) = (0, 0, 0);
    for item in &decoded.items {
        match item {
            Item::Certificate {
                certificate,
                source,
            } => {
                let index = rows.len();
                let (findings, worst) = located.get(index).copied().unwrap_or_default();
                let key = &certificate.public_key;
                rows.push(CertificateRow {
                    index,
                    line: source.line,
                    name: certificate.display_name(),
                    issuer: certificate.issuer.rfc4514.clone(),
                    not_after: certificate.validity.not_after,
                    days_left: certificate.validity.days_left(job.now),
                    key: match &key.curve {
                        Some(curve) => format!("{} {curve}", key.algorithm),
                        None => format!("{} {}", key.algorithm, key.bits),
                    },
                    is_ca: certificate.is_ca,
                    worst,
                    findings,
                    der_start: ders.len(),
                    der_len: certificate.der.len(),
                });
                ders.extend_from_slice(&certificate.der);
            }
            Item::Request { .. } => requests += 1,
            Item::RevocationList { .. } => crls += 1,
            Item::PrivateKey { .. } => private_keys += 1,
            _ => {}
        }
    }
    Ok(BundleReport {
        inspection,
        certificates: rows,
        requests,
        crls,
        private_keys,
        errors: decoded.errors.iter().map(ToString::to_string).collect(),
        judged_at: job.now,
        profile: policy.profile.clone(),
        policy: job.policy.clone(),
        ders: Rc::from(ders),
    })
}
