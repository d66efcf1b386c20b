//! `tlscope probe`: scanning real endpoints — TLS servers, HTTPS, PostgreSQL, MySQL/MariaDB,
//! Redis and QUIC — into core `ProbeReport`s, many targets at once, each within its own time limits so one
//! slow or broken target never holds up the others.

pub mod dns;
mod enumerate;
mod handshake;
pub mod hello;
mod quic;
pub mod scan;
mod shims;
pub mod target;
mod upgrade;

pub use scan::{ProbeOptions, probe};
pub use target::{ProbeTarget, TargetError, parse};

use std::sync::Arc;

use tlscope_core::Timestamp;
use tlscope_core::probe::ProbeReport;

/// Probes every target with at most `concurrency` at a time; results in the targets' order.
/// `done` is called for each report, in that order.
pub async fn probe_all(
    targets: &[ProbeTarget],
    options: &ProbeOptions,
    now: Timestamp,
    concurrency: usize,
    done: &(dyn Fn(&ProbeReport) + Sync),
) -> Vec<ProbeReport> {
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::new();
    for t in targets {
        let (t, options, limit) = (t.clone(), options.clone(), Arc::clone(&limit));
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            probe(&t, &options, now).await
        }));
    }
    let mut out = Vec::new();
    for (task, t) in tasks.into_iter().zip(targets) {
        let report = match task.await {
            Ok(r) => r,
            Err(e) => failed(t, now, format!("probe task failed: {e}")),
        };
        done(&report);
        out.push(report);
    }
    out
}

/// The probe's rustls provider. A probe observes a server; it sends it nothing to protect, so it
/// offers every suite and group aws-lc-rs has: a FIPS build, whose defaults leave ChaCha20 and
/// X25519 out, still completes a handshake with a server that speaks only those and reads its
/// chain. The default build keeps aws-lc-rs's defaults (which have both). The QUIC probe starts
/// from it too.
pub(crate) fn rustls_provider() -> rustls::crypto::CryptoProvider {
    use rustls::crypto::aws_lc_rs::{ALL_CIPHER_SUITES, ALL_KX_GROUPS, default_provider};
    let base = default_provider();
    if cfg!(feature = "fips") {
        rustls::crypto::CryptoProvider {
            cipher_suites: ALL_CIPHER_SUITES.to_vec(),
            kx_groups: ALL_KX_GROUPS.to_vec(),
            ..base
        }
    } else {
        base
    }
}

fn failed(t: &ProbeTarget, now: Timestamp, error: String) -> ProbeReport {
    ProbeReport {
        error: Some(error),
        ..ProbeReport::new(t.shown.clone(), t.service, now)
    }
}
