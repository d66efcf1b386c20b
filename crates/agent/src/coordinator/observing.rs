//! Feeding an observatory from a running coordinator: its handshake records and rotation events
//! as they happen, and on an interval its tenant's certificate listing, the edges it sees and
//! the CRLs it enforces. What `tlscope coordinator --api-listen` and the demo serve.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::Coordinator;
use crate::ca;
use crate::observatory::Observatory;

impl Coordinator {
    /// Feeds `obs` for as long as the coordinator lives: records and events as they come,
    /// the listing, edges and CRLs every `every`.
    pub fn observe(self: &Arc<Self>, obs: &Observatory, every: Duration) {
        obs.fips(crate::mtls::fips_mode(&self.policy));
        let (feed, mut records, mut events) = (obs.clone(), self.records(), self.rotation_events());
        let tenant = self.tenant.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    Ok(r) = records.recv() => feed.handshake(r),
                    Ok(e) = events.recv() => feed.rotation(&tenant, e),
                    else => break,
                }
            }
        });
        let (obs, weak) = (obs.clone(), Arc::downgrade(self));
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                let Some(this) = Weak::upgrade(&weak) else {
                    break;
                };
                let obs = obs.clone();
                // Store reads block (an object store answers over the network).
                let _ = tokio::task::spawn_blocking(move || this.inventory(&obs)).await;
            }
        });
    }

    /// One look at the store and the edges, into `obs` (blocks on the store).
    pub fn inventory(&self, obs: &Observatory) {
        match ca::list(&self.store, &self.tenant) {
            Ok(listing) => obs.certificates(&self.tenant, listing),
            Err(e) => eprintln!("tlscope coordinator: cannot list the tenant's certificates: {e}"),
        }
        obs.edges(&self.name, self.edges());
        if let Ok(m) = ca::material(&self.store, &self.tenant, &self.name) {
            let crls: Vec<Vec<u8>> = m.crls.iter().map(|c| c.to_vec()).collect();
            obs.crls(&self.tenant, &crls);
        }
    }
}
