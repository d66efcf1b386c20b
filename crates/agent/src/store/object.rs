//! The store's objects on S3-compatible object storage, through the `object_store` crate.
//!
//! Every object is written with server-side encryption (SSE-S3 `AES256`, or `aws:kms` with a
//! key id), and never overwritten blindly: content objects (certificates, sealed keys, CRLs)
//! are created with `If-None-Match: *`, and the tenant index — the commit point — is replaced
//! with `If-Match: ETAG`. A 412 (or 409) means another writer committed first; the caller
//! retries its whole transaction on the new index. So several coordinators and `tlscope ca`
//! runs share one store without a lock service and without a lost update.
//!
//! Credentials come from the standard AWS chain as `object_store` reads it (environment,
//! web identity, instance metadata), never from the command line. The async client runs on a
//! small runtime of its own, so the store's synchronous API works from any thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{
    ObjectStore, ObjectStoreExt as _, PutMode, PutOptions, PutPayload, UpdateVersion,
};

/// Where a store on object storage lives and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key prefix every object of the store is under (may be empty).
    pub prefix: String,
    /// An S3-compatible endpoint (`http://127.0.0.1:8333`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The region (default `us-east-1`).
    pub region: Option<String>,
    /// Allow an `http://` endpoint that is not on loopback.
    pub allow_http: bool,
    /// The server-side encryption every object gets.
    pub encryption: Encryption,
    /// Credentials given by a program embedding the store (and the tests); `None` reads the
    /// standard AWS environment chain. The command line never sets this.
    pub credentials: Option<StaticCredentials>,
}

/// An access key and its secret, for embedding programs.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret (never printed: Debug masks it).
    pub secret_access_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"********")
            .finish()
    }
}

/// Server-side encryption for every object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// SSE-S3 (`x-amz-server-side-encryption: AES256`).
    S3,
    /// SSE-KMS with this key id (`aws:kms`).
    Kms(String),
}

/// Why an object operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// `s3://` location or flags that do not make sense.
    #[error("{0}")]
    Config(String),
    /// The object storage answered with an error.
    #[error("{location}: {source}")]
    Storage {
        /// The object.
        location: String,
        /// What the client said.
        source: object_store::Error,
    },
    /// The runtime that drives the client is gone.
    #[error("the object storage client stopped")]
    Stopped,
}

/// An object's bytes and, where the storage gives one, its ETag.
pub type Versioned = (Vec<u8>, Option<String>);

/// A conditional write lost: another writer created or replaced the object first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

impl S3Location {
    /// Reads `s3://BUCKET/PREFIX`.
    pub fn parse(url: &str) -> Result<Self, ObjectError> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| ObjectError::Config(format!("{url:?}: expected s3://BUCKET/PREFIX")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ObjectError::Config(format!(
                "{url:?}: the bucket name is empty"
            )));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            endpoint: None,
            region: None,
            allow_http: false,
            encryption: Encryption::S3,
            credentials: None,
        })
    }

    /// How the store is shown in messages.
    pub fn display(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// Whether an endpoint URL names a loopback host.
fn loopback(endpoint: &str) -> bool {
    let host = endpoint
        .split("://")
        .nth(1)
        .unwrap_or(endpoint)
        .split('/')
        .next()
        .unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .filter(|(h, port)| !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An open bucket.
#[derive(Debug)]
pub struct ObjectBackend {
    location: S3Location,
    client: Arc<dyn ObjectStore>,
    runtime: Option<tokio::runtime::Runtime>,
    /// Conditional writes that lost and were retried (for figures and tests).
    pub conflicts: AtomicU64,
}

impl Drop for ObjectBackend {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl ObjectBackend {
    /// Connects to `location` with credentials from the environment chain.
    pub fn open(location: S3Location) -> Result<Self, ObjectError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&location.bucket)
            .with_region(
                location
                    .region
                    .clone()
                    .unwrap_or_else(|| "us-east-1".into()),
            )
            .with_conditional_put(object_store::aws::S3ConditionalPut::ETagMatch);
        if let Some(c) = &location.credentials {
            builder = builder
                .with_access_key_id(&c.access_key_id)
                .with_secret_access_key(&c.secret_access_key);
        } else if let Some(p) =
            super::aws_profile::from_environment(|name| std::env::var(name).ok())
        {
            builder = builder
                .with_access_key_id(&p.access_key_id)
                .with_secret_access_key(&p.secret_access_key);
            if let Some(token) = &p.session_token {
                builder = builder.with_token(token);
            }
        }
        if let Some(endpoint) = &location.endpoint {
            let http = endpoint.starts_with("http://");
            if http && !location.allow_http && !loopback(endpoint) {
                return Err(ObjectError::Config(format!(
                    "--s3-endpoint {endpoint}: plain http is accepted for loopback addresses only; add --s3-allow-http to use it anyway"
                )));
            }
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(http)
                .with_virtual_hosted_style_request(false);
        }
        builder = match &location.encryption {
            Encryption::S3 => {
                // The config key's type is not exported; its documented name is.
                let sse: object_store::aws::AmazonS3ConfigKey = "aws_server_side_encryption"
                    .parse()
                    .map_err(|e| ObjectError::Config(format!("server-side encryption: {e}")))?;
                builder.with_config(sse, "AES256")
            }
            Encryption::Kms(key) => builder.with_sse_kms_encryption(key),
        };
        let client = builder.build().map_err(|source| ObjectError::Storage {
            location: location.display(),
            source,
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tlscope-s3")
            .enable_all()
            .build()
            .map_err(|e| ObjectError::Config(format!("cannot start the S3 client: {e}")))?;
        Ok(Self {
            location,
            client: Arc::new(client),
            runtime: Some(runtime),
            conflicts: AtomicU64::new(0),
        })
    }

    /// How the store is shown in messages.
    pub fn display(&self) -> String {
        self.location.display()
    }

    fn path(&self, key: &str) -> ObjectPath {
        if self.location.prefix.is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{}/{key}", self.location.prefix))
        }
    }

    fn shown(&self, key: &str) -> String {
        format!("{}/{key}", self.display())
    }

    /// Runs `op` on the client's runtime and waits for it (from any thread, async or not).
    fn call<T: Send + 'static>(
        &self,
        op: impl FnOnce(Arc<dyn ObjectStore>) -> futures_util::future::BoxFuture<'static, T>
        + Send
        + 'static,
    ) -> Result<T, ObjectError> {
        let runtime = self.runtime.as_ref().ok_or(ObjectError::Stopped)?;
        let (tx, rx) = std::sync::mpsc::channel();
        let client = Arc::clone(&self.client);
        runtime.spawn(async move {
            let _ = tx.send(op(client).await);
        });
        rx.recv().map_err(|_| ObjectError::Stopped)
    }

    /// The object's bytes and ETag, or `None` when it does not exist.
    pub fn get(&self, key: &str) -> Result<Option<Versioned>, ObjectError> {
        let path = self.path(key);
        let result = self.call(move |c| {
            Box::pin(async move {
                let got = c.get(&path).await?;
                let etag = got.meta.e_tag.clone();
                let bytes = got.bytes().await?;
                Ok::<_, object_store::Error>((bytes.to_vec(), etag))
            })
        })?;
        match result {
            Ok(found) => Ok(Some(found)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(ObjectError::Storage {
                location: self.shown(key),
                source,
            }),
        }
    }

    /// Writes `bytes` at `key`: a new object (`expected` `None`, `If-None-Match: *`) or a
    /// replacement of the version with that ETag (`If-Match`).
    pub fn put(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<String>,
    ) -> Result<Result<(), Conflict>, ObjectError> {
        let path = self.path(key);
        let payload = PutPayload::from(bytes.to_vec());
        let mode = match expected {
            None => PutMode::Create,
            Some(e_tag) => PutMode::Update(UpdateVersion {
                e_tag: Some(e_tag),
                version: None,
            }),
        };
        let result = self.call(move |c| {
            Box::pin(async move { c.put_opts(&path, payload, PutOptions::from(mode)).await })
        })?;
        match result {
            Ok(_) => Ok(Ok(())),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => {
                self.conflicts.fetch_add(1, Ordering::Relaxed);
                Ok(Err(Conflict))
            }
            Err(source) => Err(ObjectError::Storage {
                location: self.shown(key),
                source,
            }),
        }
    }

    /// Keys under `prefix` with their age in seconds.
    pub fn list(&self, prefix: &str) -> Result<Vec<(String, i64)>, ObjectError> {
        let path = self.path(prefix);
        let strip = match self.location.prefix.as_str() {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let result = self.call(move |c| {
            Box::pin(async move { c.list(Some(&path)).try_collect::<Vec<_>>().await })
        })?;
        let now = unix_now();
        match result {
            Ok(objects) => Ok(objects
                .into_iter()
                .map(|m| {
                    let key = m.location.to_string();
                    let key = key.strip_prefix(&strip).unwrap_or(&key).to_owned();
                    (key, now - m.last_modified.timestamp())
                })
                .collect()),
            Err(source) => Err(ObjectError::Storage {
                location: self.shown(prefix),
                source,
            }),
        }
    }

    /// Deletes `key` (best effort for sweeping).
    pub fn delete(&self, key: &str) -> Result<(), ObjectError> {
        let path = self.path(key);
        let result = self.call(move |c| Box::pin(async move { c.delete(&path).await }))?;
        match result {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(ObjectError::Storage {
                location: self.shown(key),
                source,
            }),
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_loopback_endpoints() {
        let l = S3Location::parse("s3://certs/prod/tlscope/").unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("certs", "prod/tlscope")
        );
        assert_eq!(l.display(), "s3://certs/prod/tlscope");
        assert!(S3Location::parse("s3:///x").is_err());
        assert!(S3Location::parse("/var/lib/tlscope").is_err());
        for ok in [
            "http://127.0.0.1:8333",
            "http://localhost:9000/",
            "http://[::1]:8333",
        ] {
            assert!(loopback(ok), "{ok}");
        }
        for no in [
            "http://10.0.0.5:8333",
            "http://s3.example.com",
            "http://127.0.0.1.example.com",
        ] {
            assert!(!loopback(no), "{no}");
        }
        let remote = S3Location {
            endpoint: Some("http://10.0.0.5:8333".into()),
            ..S3Location::parse("s3://b").unwrap()
        };
        let err = ObjectBackend::open(remote).unwrap_err();
        assert!(err.to_string().contains("--s3-allow-http"), "{err}");
    }
}
