//! The built-in samples behind "Try the samples": a private root (trusted for the occasion), a
//! good chain, an expired leaf, a certificate for the wrong host, a chain through a SHA-1
//! intermediate and a connection-string file with a weak TLS mode and a password. The
//! certificates come from `web/samples/make.sh` (keys discarded); they are judged as of
//! [`SAMPLE_DATE`], when the good leaf is a month into its 90 days.

use tlscope_core::Timestamp;

/// The moment the samples are judged at.
pub const SAMPLE_DATE: &str = "2026-06-01T00:00:00Z";

/// One sample input.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The name shown, as a file name would be.
    pub name: &'static str,
    /// The bytes, as a file would hold them.
    pub bytes: &'static [u8],
    /// The host name its chain is checked for.
    pub host: Option<&'static str>,
    /// Whether its CA certificate is trusted as a root.
    pub trusted: bool,
}

const CONNECTION_STRINGS: &str = "\
# orders service, .env
DATABASE_URL=postgres://orders:s3cret-pa55@db.tlscope.example:5432/orders?sslmode=require
REDIS_URL=redis://cache.tlscope.example:6379/0
";

/// The samples, in the order they are shown.
pub const SAMPLES: [Sample; 6] = [
    Sample {
        name: "sample: root CA (trusted).pem",
        bytes: include_bytes!("../samples/root.pem"),
        host: None,
        trusted: true,
    },
    Sample {
        name: "sample: good chain.pem",
        bytes: include_bytes!("../samples/good-chain.pem"),
        host: Some("www.tlscope.example"),
        trusted: false,
    },
    Sample {
        name: "sample: expired leaf.pem",
        bytes: include_bytes!("../samples/expired-leaf.pem"),
        host: Some("api.tlscope.example"),
        trusted: false,
    },
    Sample {
        name: "sample: wrong host.pem",
        bytes: include_bytes!("../samples/wrong-host.pem"),
        host: Some("www.tlscope.example"),
        trusted: false,
    },
    Sample {
        name: "sample: SHA-1 intermediate.pem",
        bytes: include_bytes!("../samples/sha1-intermediate.pem"),
        host: Some("legacy.tlscope.example"),
        trusted: false,
    },
    Sample {
        name: "sample: connection strings.env",
        bytes: CONNECTION_STRINGS.as_bytes(),
        host: None,
        trusted: false,
    },
];

/// [`SAMPLE_DATE`] as a timestamp.
pub fn sample_date() -> Timestamp {
    Timestamp::parse_rfc3339(SAMPLE_DATE).unwrap_or(Timestamp::from_unix(1_780_272_000))
}
