//! An enrolled node's state directory: `cert.pem` (its certificate and the issuing CA),
//! `key.pem` (its own key, mode 0600, made on this machine and never sent), `ca.pem` (the
//! tenant's trusted CAs) and `crl.pem`. A change replaces several files at once, so it is
//! journalled: every new file is written beside the old as `*.next` (atomically, fsynced), then a
//! `commit` marker is written, then each file is renamed into place and the marker removed. A
//! crash before the marker leaves the old state (the `.next` files are discarded on the next
//! read); after it, the next read finishes the renames. A reader never sees a certificate with
//! another certificate's key.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::ca::NodeMaterial;
use crate::ca::identity::Identity;
use crate::store::{StoreError, write_atomic};

/// The files of a state directory and their modes.
const FILES: &[(&str, u32)] = &[
    ("cert.pem", 0o644),
    ("key.pem", 0o600),
    ("ca.pem", 0o644),
    ("crl.pem", 0o644),
];
const COMMIT: &str = "commit";

/// Errors reading or writing a state directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] StoreError),
    /// The directory holds no enrolled node.
    #[error("{0} holds no enrolled node (no cert.pem); run `tlscope enroll --state {0}` first")]
    NotEnrolled(String),
    /// A file does not hold what it should.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// An enrolled node's state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

/// New contents for the state directory; `None` keeps a file as it is.
#[derive(Debug, Default)]
pub struct Update<'a> {
    /// cert.pem.
    pub certificate: Option<&'a str>,
    /// key.pem.
    pub key: Option<&'a str>,
    /// ca.pem.
    pub trust: Option<&'a str>,
    /// crl.pem.
    pub crl: Option<&'a str>,
}

impl StateDir {
    /// The state directory at `dir` (created, mode 0700, when written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn io(&self, name: &str, source: std::io::Error) -> StateError {
        StateError::Io(StoreError::Io {
            path: self.file(name),
            source,
        })
    }

    /// Whether a node is enrolled here (cert.pem exists, once a pending change is settled).
    pub fn is_enrolled(&self) -> Result<bool, StateError> {
        self.settle()?;
        Ok(self.file("cert.pem").is_file())
    }

    /// Writes `update` as one change (see the module comment).
    pub fn write(&self, update: &Update<'_>) -> Result<(), StateError> {
        self.settle()?;
        fs::create_dir_all(&self.dir).map_err(|e| self.io(".", e))?;
        let _ = fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700));
        let contents = [update.certificate, update.key, update.trust, update.crl];
        let mut staged = Vec::new();
        for ((name, mode), body) in FILES.iter().zip(contents) {
            if let Some(body) = body {
                write_atomic(&self.file(&format!("{name}.next")), body.as_bytes(), *mode)?;
                staged.push(*name);
            }
        }
        write_atomic(&self.file(COMMIT), staged.join("\n").as_bytes(), 0o600)?;
        self.settle()
    }

    /// Finishes a committed change, or discards an uncommitted one.
    fn settle(&self) -> Result<(), StateError> {
        let marker = self.file(COMMIT);
        match fs::read_to_string(&marker) {
            Ok(list) => {
                for name in list.lines().filter(|l| !l.is_empty()) {
                    let next = self.file(&format!("{name}.next"));
                    if next.exists() {
                        fs::rename(&next, self.file(name)).map_err(|e| self.io(name, e))?;
                    }
                }
                if let Ok(d) = fs::File::open(&self.dir) {
                    let _ = d.sync_all();
                }
                fs::remove_file(&marker).map_err(|e| self.io(COMMIT, e))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                for (name, _) in FILES {
                    let _ = fs::remove_file(self.file(&format!("{name}.next")));
                }
            }
            Err(e) => return Err(self.io(COMMIT, e)),
        }
        Ok(())
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, StateError> {
        fs::read(self.file(name)).map_err(|e| self.io(name, e))
    }

    fn corrupt(&self, name: &str, reason: String) -> StateError {
        StateError::Corrupt {
            path: self.file(name).display().to_string(),
            reason,
        }
    }

    /// What the node needs to run TLS, read from the directory.
    pub fn material(&self) -> Result<NodeMaterial, StateError> {
        if !self.is_enrolled()? {
            return Err(StateError::NotEnrolled(self.dir.display().to_string()));
        }
        let chain = CertificateDer::pem_slice_iter(&self.read("cert.pem")?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.corrupt("cert.pem", format!("expected PEM certificates: {e}")))?;
        let Some(leaf) = chain.first() else {
            return Err(self.corrupt("cert.pem", "holds no certificate".into()));
        };
        let identity = Identity::of_certificate(leaf)
            .into_iter()
            .next()
            .ok_or_else(|| {
                self.corrupt(
                    "cert.pem",
                    "the certificate carries no tlscope identity".into(),
                )
            })?;
        let serial = crate::coordinator::serial_of(leaf);
        let key = PrivateKeyDer::from_pem_slice(&self.read("key.pem")?).map_err(|e| {
            self.corrupt("key.pem", format!("expected a PKCS#8 PEM private key: {e}"))
        })?;
        let trusted = CertificateDer::pem_slice_iter(&self.read("ca.pem")?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.corrupt("ca.pem", format!("expected PEM certificates: {e}")))?;
        let crls = match fs::read(self.file("crl.pem")) {
            Ok(bytes) => CertificateRevocationListDer::pem_slice_iter(&bytes)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.corrupt("crl.pem", format!("expected PEM CRLs: {e}")))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(self.io("crl.pem", e)),
        };
        Ok(NodeMaterial {
            identity,
            serial,
            chain,
            key,
            trusted,
            crls,
            generation: 0,
        })
    }

    /// A digest of everything in the directory, to notice that it changed.
    pub fn version(&self) -> String {
        let mut all = Vec::new();
        for (name, _) in FILES {
            all.extend(fs::read(self.file(name)).unwrap_or_default());
            all.push(0);
        }
        crate::store::sha256_hex(&all)
    }

    /// SHA-256 of the trust bundle as the coordinator computes it (`ca.pem`, `crl.pem`).
    pub fn trust_digest(&self) -> String {
        let trust = fs::read_to_string(self.file("ca.pem")).unwrap_or_default();
        let crl = fs::read_to_string(self.file("crl.pem")).unwrap_or_default();
        crate::store::sha256_hex(format!("{trust}\n{crl}").as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> StateDir {
        let dir = std::env::temp_dir().join(format!("tlscope-state-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        StateDir::new(dir)
    }

    #[test]
    fn an_uncommitted_change_is_discarded_and_a_committed_one_finished() {
        let state = scratch("journal");
        state
            .write(&Update {
                certificate: Some("old cert"),
                key: Some("old key"),
                ..Update::default()
            })
            .unwrap();
        // A crash after staging, before the marker: the old pair stays.
        fs::write(state.file("cert.pem.next"), "new cert").unwrap();
        assert!(state.is_enrolled().unwrap());
        assert_eq!(
            fs::read_to_string(state.file("cert.pem")).unwrap(),
            "old cert"
        );
        assert!(!state.file("cert.pem.next").exists());
        // A crash after the marker, with one file renamed: the next read finishes the change.
        fs::write(state.file("cert.pem.next"), "new cert").unwrap();
        fs::write(state.file("key.pem.next"), "new key").unwrap();
        fs::write(state.file(COMMIT), "cert.pem\nkey.pem").unwrap();
        fs::rename(state.file("cert.pem.next"), state.file("cert.pem")).unwrap();
        assert!(state.is_enrolled().unwrap());
        assert_eq!(
            fs::read_to_string(state.file("cert.pem")).unwrap(),
            "new cert"
        );
        assert_eq!(
            fs::read_to_string(state.file("key.pem")).unwrap(),
            "new key"
        );
        assert!(!state.file(COMMIT).exists());
        state
            .write(&Update {
                key: Some("newer key"),
                ..Update::default()
            })
            .unwrap();
        let mode = fs::metadata(state.file("key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let _ = fs::remove_dir_all(state.path());
    }
}
