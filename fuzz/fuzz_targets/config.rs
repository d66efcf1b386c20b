//! Any text through every configuration parser (nginx, postgresql.conf, pg_hba.conf, my.cnf,
//! redis.conf, Kubernetes YAML, HAProxy, Apache httpd, Kafka, Caddy, Envoy, strongSwan), and through content
//! recognition and `lint`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlscope_core::config::{self, Kind};
use tlscope_core::judge::ChainRequest;
use tlscope_core::{Policy, Timestamp};

fuzz_target!(|data: &[u8]| {
    let policy = Policy::default();
    if let Ok(text) = std::str::from_utf8(data) {
        for kind in Kind::ALL {
            let _ = config::lint(kind, text, &policy, Timestamp::from_unix(1_800_000_000));
            let _ = config::listeners(kind, text);
        }
    }
    // The graph's reading of the input as a file of each kind's usual name, linked.
    let mut facts = tlscope_core::graph::Facts::default();
    for name in ["nginx.conf", "postgresql.conf", "my.cnf", "redis.conf", "app.env"] {
        facts.add_file(name, data);
    }
    let _ = tlscope_core::graph::link(
        &facts,
        &[],
        &policy,
        Timestamp::from_unix(1_800_000_000),
        None,
    );
    let _ = tlscope_core::lint::lint(
        None,
        data,
        &ChainRequest::default(),
        &policy,
        Timestamp::from_unix(1_800_000_000),
    );
});
