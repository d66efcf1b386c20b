//! The CA store: a directory with one sub-directory per tenant holding its index, certificates,
//! keys and CRLs. Every write is atomic (temporary file, fsync, rename, fsync of the directory);
//! key files are mode 0600 and optionally sealed with AES-256-GCM; changes are serialised across
//! processes by an exclusive lock on `DIR/lock`. Reads check each file against the digest in the
//! index, so corruption is reported, never used.

pub mod index;
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
    #[error("{0}")]
    Name(String),
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
}

/// Held while a change is made; released on drop.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

const INDEX: &str = "index.json";
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
        Ok(Self { root, key })
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
        Ok(StoreLock { _file: file })
    }

    /// The tenant's directory.
    pub fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.root.join("tenants").join(tenant)
    }

    /// Tenants with an index, sorted.
    pub fn tenants(&self) -> Result<Vec<String>, StoreError> {
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
        crate::ca::identity::check_name("tenant", tenant).map_err(StoreError::Name)?;
        if self.tenant_dir(tenant).join(INDEX).exists() {
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
        })
    }

    /// Reads and checks the tenant's index: format, tenant name and store key. Files it names are
    /// checked against their digests when read ([`read_file`](Self::read_file)) or all at once by
    /// [`verify`](Self::verify).
    pub fn read_index(&self, tenant: &str) -> Result<TenantIndex, StoreError> {
        crate::ca::identity::check_name("tenant", tenant).map_err(StoreError::Name)?;
        let path = self.tenant_dir(tenant).join(INDEX);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::UnknownTenant {
                    tenant: tenant.to_owned(),
                    root: self.root.clone(),
                    known: self.tenants().unwrap_or_default(),
                });
            }
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let index: TenantIndex =
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
        let path = self.tenant_dir(tenant).join(rel);
        write_atomic(&path, bytes, if private { 0o600 } else { 0o644 })?;
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
        let bytes = fs::read(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
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
        index.generation += 1;
        let json = serde_json::to_vec_pretty(index).map_err(|e| StoreError::Corrupt {
            path: self.tenant_dir(&index.tenant).join(INDEX),
            reason: format!("cannot serialise the index: {e}"),
        })?;
        write_atomic(&self.tenant_dir(&index.tenant).join(INDEX), &json, 0o600)?;
        self.sweep(index);
        Ok(())
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
