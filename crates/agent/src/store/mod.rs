//! The CA store: per tenant an index, certificates, keys and CRLs, in a directory (one host) or
//! on S3-compatible object storage (several coordinators on several hosts, [`object`]).
//!
//! In a directory every write is atomic (temporary file, fsync, rename, fsync of the directory),
//! key files are mode 0600, and changes are serialised across processes by an exclusive lock on
//! `DIR/lock`. On object storage content objects are created only if absent and the index is
//! replaced only if unchanged (compare-and-swap on its ETag), so a commit that lost is reported
//! as [`StoreError::Conflict`] and the transaction is run again on the new index. Keys are
//! optionally sealed with AES-256-GCM in both. Reads check each file against the digest in the
//! index, so corruption is reported, never used.

pub mod audit;
pub mod aws_profile;
pub mod index;
pub mod object;
pub mod sealing;

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use self::index::{FORMAT, FileRef, TenantIndex};
use self::sealing::{SealError, SealingKey, is_sealed};

/// Errors reading or writing the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An I/O error on a path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The tenant has no index.
    #[error("unknown tenant {tenant:?} in {root}: {}", known_list(.known))]
    UnknownTenant {
        /// The name given.
        tenant: String,
        /// The store root.
        root: PathBuf,
        /// Tenants that do exist.
        known: Vec<String>,
    },
    /// `ca init` for a tenant that already has a CA.
    #[error("tenant {0:?} already exists; use `tlscope ca rotate --ca` to replace its CA")]
    TenantExists(String),
    /// A file is damaged: it does not parse, or does not match the index.
    #[error("{path}: {reason}; the store was not changed")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Keys are sealed and no store key was given.
    #[error(
        "tenant {0:?} keeps its keys encrypted: give the store key with --store-key-file FILE or TLSCOPE_STORE_KEY"
    )]
    KeyRequired(String),
    /// The store key is not the one the tenant's keys were sealed with.
    #[error("tenant {0:?}: the store key given is not the one its keys were sealed with")]
    WrongKey(String),
    /// A sealing failure on a file.
    #[error("{path}: {source}")]
    Seal {
        /// The file.
        path: PathBuf,
        /// Why.
        source: SealError,
    },
    /// A bad tenant or node name.
    #[error(transparent)]
    Name(#[from] InvalidName),
    /// Another writer committed first (object storage); run the transaction again.
    #[error("{0}: another writer changed the store first")]
    Conflict(String),
    /// The object storage failed.
    #[error(transparent)]
    Object(#[from] object::ObjectError),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "the store has no tenants yet (create one with `tlscope ca init --tenant NAME`)".into()
    } else {
        format!("known tenants: {}", known.join(", "))
    }
}

/// An open store.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    key: Option<SealingKey>,
    objects: Option<object::ObjectBackend>,
    actor: String,
}

/// Held while a change is made; released on drop. On object storage it holds nothing: the
/// commit's compare-and-swap decides.
#[derive(Debug)]
pub struct StoreLock {
    _file: Option<File>,
}

/// Objects no index names are removed from object storage only once they are this old, so a
/// sweep never takes a file a concurrent, not yet committed, transaction just wrote.
const OBJECT_SWEEP_AGE: i64 = 3600;

const INDEX: &str = "index.json";
/// The audit log's actor when the opener named none.
const DEFAULT_ACTOR: &str = "tlscope";
const CHECK_PLAIN: &[u8] = b"tlscope store key check";

impl Store {
    /// Opens (creating if needed, mode 0700) the store at `root`; `key` seals new keys and opens
    /// sealed ones.
    pub fn open(root: impl Into<PathBuf>, key: Option<SealingKey>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(root.join("tenants")).map_err(|source| StoreError::Io {
            path: root.clone(),
            source,
        })?;
        let _ = fs::set_permissions(&root, fs::Permissions::from_mode(0o700));
        Ok(Self {
            root,
            key,
            objects: None,
            actor: DEFAULT_ACTOR.into(),
        })
    }

    /// Opens the store on object storage at `location`.
    pub fn open_objects(
        location: object::S3Location,
        key: Option<SealingKey>,
    ) -> Result<Self, StoreError> {
        if key.is_none() {
            return Err(StoreError::Object(object::ObjectError::Config(format!(
                "{}: a store on object storage needs a store key (--store-key-file FILE or TLSCOPE_STORE_KEY), so no private key ever reaches it in the clear",
                location.display()
            ))));
        }
        let backend = object::ObjectBackend::open(location)?;
        Ok(Self {
            root: PathBuf::from(backend.display()),
            key,
            objects: Some(backend),
            actor: DEFAULT_ACTOR.into(),
        })
    }

    /// Names who acts through this store in its audit log (`cli`, `coordinator/NAME`).
    pub fn with_actor(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }

    /// Who acts through this store, as the audit log names them.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Commits that lost a compare-and-swap so far (object storage), for figures and tests.
    pub fn conflicts(&self) -> u64 {
        self.objects.as_ref().map_or(0, |o| {
            o.conflicts.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// Whether the store is on object storage (commits can conflict).
    pub fn is_shared(&self) -> bool {
        self.objects.is_some()
    }

    /// The object key of a tenant's file.
    fn key_of(tenant: &str, rel: &str) -> String {
        format!("tenants/{tenant}/{rel}")
    }

    /// Reads a tenant file's bytes (`None` when absent) and, on object storage, its ETag.
    fn read_raw(&self, tenant: &str, rel: &str) -> Result<Option<object::Versioned>, StoreError> {
        if let Some(objects) = &self.objects {
            return Ok(objects.get(&Self::key_of(tenant, rel))?);
        }
        let path = self.tenant_dir(tenant).join(rel);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some((bytes, None))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Reads a tenant file no index names by digest (an audit segment); `None` when absent.
    pub fn read_tenant_file(&self, tenant: &str, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read_raw(tenant, rel)?.map(|(bytes, _)| bytes))
    }

    /// The tenant's files under `sub`, relative to the tenant, sorted.
    pub fn list_files(&self, tenant: &str, sub: &str) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        if let Some(objects) = &self.objects {
            let prefix = Self::key_of(tenant, "");
            for (key, _) in objects.list(&Self::key_of(tenant, sub))? {
                if let Some(rel) = key.strip_prefix(&prefix) {
                    names.push(rel.to_owned());
                }
            }
        } else {
            let dir = self.tenant_dir(tenant).join(sub);
            match fs::read_dir(&dir) {
                Ok(entries) => {
                    for entry in entries.filter_map(Result::ok) {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        if !name.contains(".tmp-") {
                            names.push(format!("{sub}/{name}"));
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(StoreError::Io { path: dir, source }),
            }
        }
        names.sort();
        Ok(names)
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether new keys are sealed.
    pub fn seals(&self) -> bool {
        self.key.is_some()
    }

    /// Takes the store's exclusive lock (waits for other processes).
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        if self.objects.is_some() {
            return Ok(StoreLock { _file: None });
        }
        let path = self.root.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        file.lock()
            .map_err(|source| StoreError::Io { path, source })?;
        Ok(StoreLock { _file: Some(file) })
    }

    /// The tenant's directory.
    pub fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.root.join("tenants").join(tenant)
    }

    /// Tenants with an index, sorted.
    pub fn tenants(&self) -> Result<Vec<String>, StoreError> {
        if let Some(objects) = &self.objects {
            let mut names: Vec<String> = objects
                .list("tenants")?
                .into_iter()
                .filter_map(|(key, _)| {
                    key.strip_prefix("tenants/")?
                        .strip_suffix(&format!("/{INDEX}"))
                        .filter(|t| !t.contains('/'))
                        .map(str::to_owned)
                })
                .collect();
            names.sort();
            return Ok(names);
        }
        let dir = self.root.join("tenants");
        let entries = fs::read_dir(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join(INDEX).is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// A new, empty index for `tenant` (not yet written); fails when the tenant exists.
    pub fn new_index(&self, tenant: &str) -> Result<TenantIndex, StoreError> {
        check_name("tenant", tenant).map_err(StoreError::Name)?;
        if self.read_raw(tenant, INDEX)?.is_some() {
            return Err(StoreError::TenantExists(tenant.to_owned()));
        }
        let key_check = match &self.key {
            Some(k) => Some(
                k.seal(&check_label(tenant), CHECK_PLAIN)
                    .map_err(|source| StoreError::Seal {
                        path: self.tenant_dir(tenant).join(INDEX),
                        source,
                    })?,
            ),
            None => None,
        };
        Ok(TenantIndex {
            format: FORMAT,
            tenant: tenant.to_owned(),
            generation: 0,
            key_check,
            next_crl_number: 1,
            cas: Vec::new(),
            certs: Vec::new(),
            tokens: Vec::new(),
            approvals: None,
            proposals: Vec::new(),
            audit: None,
            etag: None,
            audit_pending: Vec::new(),
            audit_only: false,
        })
    }

    /// Reads and checks the tenant's index: format, tenant name and store key. Files it names are
    /// checked against their digests when read ([`read_file`](Self::read_file)) or all at once by
    /// [`verify`](Self::verify).
    pub fn read_index(&self, tenant: &str) -> Result<TenantIndex, StoreError> {
        check_name("tenant", tenant).map_err(StoreError::Name)?;
        let path = self.tenant_dir(tenant).join(INDEX);
        let Some((text, etag)) = self.read_raw(tenant, INDEX)? else {
            return Err(StoreError::UnknownTenant {
                tenant: tenant.to_owned(),
                root: self.root.clone(),
                known: self.tenants().unwrap_or_default(),
            });
        };
        let mut index: TenantIndex =
            serde_json::from_slice(&text).map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                reason: format!(
                    "expected the tenant index (JSON) but line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ),
            })?;
        if index.format != FORMAT || index.tenant != tenant {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "expected format {FORMAT} for tenant {tenant:?}, found format {} for tenant {:?}",
                    index.format, index.tenant
                ),
            });
        }
        index.etag = etag;
        match (&index.key_check, &self.key) {
            (None, _) => {}
            (Some(_), None) => return Err(StoreError::KeyRequired(tenant.to_owned())),
            (Some(check), Some(key)) => {
                if key.open(&check_label(tenant), check).as_deref() != Ok(CHECK_PLAIN) {
                    return Err(StoreError::WrongKey(tenant.to_owned()));
                }
            }
        }
        Ok(index)
    }

    /// Checks every file the index names against its digest.
    pub fn verify(&self, index: &TenantIndex) -> Result<(), StoreError> {
        for file in index.files() {
            self.read_file(&index.tenant, file)?;
        }
        Ok(())
    }

    /// Runs `read` on the current index; if it fails because a change was committed meanwhile
    /// (a file it named was replaced and swept), reads again from the new index.
    pub fn read_consistent<T, E: From<StoreError>>(
        &self,
        tenant: &str,
        read: impl Fn(&TenantIndex) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut attempts = 0;
        loop {
            let index = self.read_index(tenant)?;
            match read(&index) {
                Ok(value) => return Ok(value),
                Err(e) => {
                    attempts += 1;
                    let moved = self
                        .read_index(tenant)
                        .is_ok_and(|now| now.generation != index.generation);
                    if !moved || attempts >= 5 {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Writes a file of the tenant atomically and returns its reference.
    pub fn write_file(
        &self,
        tenant: &str,
        rel: &str,
        bytes: &[u8],
        private: bool,
    ) -> Result<FileRef, StoreError> {
        if let Some(objects) = &self.objects {
            // Names are unique per change (serials, CRL numbers): one that exists means another
            // writer's change used it first.
            objects
                .put(&Self::key_of(tenant, rel), bytes, None)?
                .map_err(|_| {
                    StoreError::Conflict(format!("{}/{rel}", self.tenant_dir(tenant).display()))
                })?;
        } else {
            let path = self.tenant_dir(tenant).join(rel);
            write_atomic(&path, bytes, if private { 0o600 } else { 0o644 })?;
        }
        Ok(FileRef {
            path: rel.to_owned(),
            sha256: sha256_hex(bytes),
        })
    }

    /// Writes a private key (PKCS#8 PEM), sealed when the store has a key.
    pub fn write_key(&self, tenant: &str, rel: &str, pem: &str) -> Result<FileRef, StoreError> {
        let body = match &self.key {
            Some(k) => k
                .seal(&key_label(tenant, rel), pem.as_bytes())
                .map_err(|source| StoreError::Seal {
                    path: self.tenant_dir(tenant).join(rel),
                    source,
                })?,
            None => pem.to_owned(),
        };
        self.write_file(tenant, rel, body.as_bytes(), true)
    }

    /// Reads a file named by the index and checks its digest.
    pub fn read_file(&self, tenant: &str, file: &FileRef) -> Result<Vec<u8>, StoreError> {
        let path = self.tenant_dir(tenant).join(&file.path);
        let Some((bytes, _)) = self.read_raw(tenant, &file.path)? else {
            return Err(StoreError::Io {
                path,
                source: std::io::ErrorKind::NotFound.into(),
            });
        };
        let found = sha256_hex(&bytes);
        if found != file.sha256 {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "content does not match the index ({} bytes, SHA-256 {found}, expected {}): the file was changed or truncated",
                    bytes.len(),
                    file.sha256
                ),
            });
        }
        Ok(bytes)
    }

    /// Reads a private key (PKCS#8 PEM), opening it when sealed.
    pub fn read_key(&self, tenant: &str, file: &FileRef) -> Result<String, StoreError> {
        let bytes = self.read_file(tenant, file)?;
        let path = self.tenant_dir(tenant).join(&file.path);
        let text = String::from_utf8(bytes).map_err(|_| StoreError::Corrupt {
            path: path.clone(),
            reason: "expected a PEM private key, found binary data".into(),
        })?;
        if !is_sealed(&text) {
            return Ok(text);
        }
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| StoreError::KeyRequired(tenant.to_owned()))?;
        let plain = key
            .open(&key_label(tenant, &file.path), &text)
            .map_err(|source| StoreError::Seal {
                path: path.clone(),
                source,
            })?;
        String::from_utf8(plain).map_err(|_| StoreError::Corrupt {
            path,
            reason: "the sealed key does not hold PEM text".into(),
        })
    }

    /// Commits `index` (generation + 1) atomically, then removes files no index names (left by an
    /// interrupted change). Call with the lock held.
    pub fn commit(&self, index: &mut TenantIndex, _lock: &StoreLock) -> Result<(), StoreError> {
        audit::write_pending(self, index)?;
        let bump = u64::from(!index.audit_only);
        index.generation += bump;
        let json = serde_json::to_vec_pretty(index).map_err(|e| StoreError::Corrupt {
            path: self.tenant_dir(&index.tenant).join(INDEX),
            reason: format!("cannot serialise the index: {e}"),
        })?;
        if let Some(objects) = &self.objects {
            let key = Self::key_of(&index.tenant, INDEX);
            if objects.put(&key, &json, index.etag.clone())?.is_err() {
                index.generation -= bump;
                return Err(StoreError::Conflict(
                    self.tenant_dir(&index.tenant)
                        .join(INDEX)
                        .display()
                        .to_string(),
                ));
            }
            // Listing every object of the tenant costs a request per thousand objects: sweep
            // on one commit in sixteen.
            if index.generation.is_multiple_of(16) {
                self.sweep_objects(index);
            }
            return Ok(());
        }
        write_atomic(&self.tenant_dir(&index.tenant).join(INDEX), &json, 0o600)?;
        self.sweep(index);
        Ok(())
    }

    /// Object storage: removes objects of the tenant that no index names and that are older than
    /// [`OBJECT_SWEEP_AGE`] (left by transactions that lost their commit). Best effort.
    fn sweep_objects(&self, index: &TenantIndex) {
        let Some(objects) = &self.objects else {
            return;
        };
        let named: std::collections::HashSet<String> = index
            .files()
            .map(|f| Self::key_of(&index.tenant, &f.path))
            .chain(std::iter::once(Self::key_of(&index.tenant, INDEX)))
            .collect();
        let Ok(all) = objects.list(&format!("tenants/{}", index.tenant)) else {
            return;
        };
        // The audit log's segments are reached from the head, not named one by one.
        let audit = Self::key_of(&index.tenant, audit::DIR);
        for (key, age) in all {
            if !named.contains(&key) && !key.starts_with(&audit) && age > OBJECT_SWEEP_AGE {
                let _ = objects.delete(&key);
            }
        }
    }

    /// Removes temporary files and files the index does not name. Best effort: a file that cannot
    /// be removed is left for the next change.
    fn sweep(&self, index: &TenantIndex) {
        let named: std::collections::HashSet<&str> =
            index.files().map(|f| f.path.as_str()).collect();
        let dir = self.tenant_dir(&index.tenant);
        for sub in ["ca", "certs", "keys", "crl"] {
            let Ok(entries) = fs::read_dir(dir.join(sub)) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let rel = format!("{sub}/{}", entry.file_name().to_string_lossy());
                if !named.contains(rel.as_str()) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        if let Ok(entries) = fs::read_dir(&dir) {
            for entry in entries.filter_map(Result::ok) {
                if entry.file_name().to_string_lossy().contains(".tmp-") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        // Audit segments past the head were written by changes that never committed.
        let head = index.audit.as_ref().map_or(0, |h| h.seq);
        if let Ok(entries) = fs::read_dir(dir.join(audit::DIR)) {
            for entry in entries.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.contains(".tmp-") || audit::first_seq(&name).is_none_or(|s| s > head) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
}

fn check_label(tenant: &str) -> String {
    format!("tlscope/{tenant}/key-check")
}

fn key_label(tenant: &str, rel: &str) -> String {
    format!("tlscope/{tenant}/{rel}")
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `bytes` to `path` so that a reader (or a crash) sees the old content or the new, never
/// a part: a temporary file in the same directory, fsync, rename, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// A tenant or node name that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {name:?}: expected 1-63 characters of a-z, 0-9 and '-', not starting with '-'")]
pub struct InvalidName {
    /// What the name is of (`tenant`, `node name`).
    pub what: &'static str,
    /// The name given.
    pub name: String,
}

/// Checks a tenant or node name: 1–63 characters of `a-z`, `0-9` and `-`, not starting with `-`.
/// Names become path segments and DNS labels, so nothing else is allowed.
pub fn check_name(what: &'static str, name: &str) -> Result<(), InvalidName> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidName {
            what,
            name: name.to_owned(),
        })
    }
}
