//! The tenant's tamper-evident audit log: every CA operation (init, issue, token, enrol, renew,
//! revoke, rotation) and every refused handshake, as hash-chained JSON lines in the store.
//!
//! Each entry carries its sequence number, the SHA-256 of the entry before it (`prev`) and its
//! own (`hash`, over the entry without `hash`). The records of one change are written as one
//! segment, `audit/SEQ.jsonl` (its first sequence number; on object storage
//! `audit/SEQ-HASH.jsonl`, created only if absent), before the index that names the new head
//! (sequence, hash, segment) is committed, so the log and the CA's state move together: a change
//! that lost its commit leaves a segment no head reaches, which [`verify`] ignores. An edited, deleted, inserted or reordered entry
//! breaks the chain, and a truncated log no longer reaches the head the index names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tlscope_core::Timestamp;
use tlscope_core::observation::RotationEvent;

use super::index::TenantIndex;
use super::{Store, StoreError, sha256_hex};

/// Where segments live, under the tenant.
pub const DIR: &str = "audit";

/// What an audit record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The tenant and its first CA were created.
    Init,
    /// A node certificate was issued by an operator.
    Issue,
    /// A join token was made.
    Token,
    /// A node enrolled over the network with a join token.
    Enrol,
    /// A node certificate was renewed (by the schedule, an operator, or the node itself).
    Renew,
    /// A certificate was put on the CRL.
    Revoke,
    /// A new CA generation became active.
    RotateCa,
    /// A CA generation stopped being trusted.
    RetireCa,
    /// The CRLs were re-signed.
    CrlRefreshed,
    /// A change was approved by an operator.
    Approval,
    /// A coordinator refused a handshake.
    HandshakeRefused,
}

impl Action {
    /// The action as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::Issue => "issue",
            Self::Token => "token",
            Self::Enrol => "enrol",
            Self::Renew => "renew",
            Self::Revoke => "revoke",
            Self::RotateCa => "rotate-ca",
            Self::RetireCa => "retire-ca",
            Self::CrlRefreshed => "crl-refreshed",
            Self::Approval => "approval",
            Self::HandshakeRefused => "handshake-refused",
        }
    }
}

/// What happened, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// When (the actor's clock).
    pub at: Timestamp,
    /// What.
    pub action: Action,
    /// Who: `cli`, `coordinator/NAME`, or a node's identity URI.
    pub actor: String,
    /// What it was done to: a node name, `ca`, or a peer address.
    pub subject: String,
    /// The certificate's serial, where one is concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Anything else worth keeping (a reason, the previous serial).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Record {
    /// A record of `action` on `subject` by `actor` at `at`.
    pub fn new(at: Timestamp, action: Action, actor: &str, subject: &str) -> Self {
        Self {
            at,
            action,
            actor: actor.to_owned(),
            subject: subject.to_owned(),
            serial: None,
            detail: String::new(),
        }
    }

    /// With the certificate's serial.
    pub fn serial(mut self, serial: &str) -> Self {
        self.serial = Some(serial.to_owned());
        self
    }

    /// With a detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// The record of a rotation event.
    pub fn of_event(event: &RotationEvent, actor: &str, at: Timestamp) -> Self {
        match event {
            RotationEvent::CaRotated { serial, previous } => {
                Self::new(at, Action::RotateCa, actor, "ca")
                    .serial(serial)
                    .detail(format!("replaces CA {previous}"))
            }
            RotationEvent::CaRetired { serial } => {
                Self::new(at, Action::RetireCa, actor, "ca").serial(serial)
            }
            RotationEvent::Renewed {
                name,
                serial,
                previous,
                grace_end,
                ..
            } => Self::new(at, Action::Renew, actor, name)
                .serial(serial)
                .detail(format!("replaces {previous}, accepted until {grace_end}")),
            RotationEvent::CrlRefreshed => Self::new(at, Action::CrlRefreshed, actor, "ca"),
            RotationEvent::Revoked {
                name,
                serial,
                reason,
            } => Self::new(at, Action::Revoke, actor, name)
                .serial(serial)
                .detail(reason.clone()),
        }
    }
}

/// One entry of the log: a record, chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// 1 for the first entry, then one more per entry.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// What.
    pub action: Action,
    /// Who.
    pub actor: String,
    /// To what.
    pub subject: String,
    /// Serial, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Detail, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// `sha256:HEX` of the entry before (64 zeros before the first).
    pub prev: String,
    /// `sha256:HEX` of this entry without this field.
    pub hash: String,
}

/// The unhashed form the hash is taken over: every field but `hash`, in order.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    at: Timestamp,
    action: Action,
    actor: &'a str,
    subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial: &'a Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    detail: &'a str,
    prev: &'a str,
}

impl Entry {
    fn chain(seq: u64, record: Record, prev: &str) -> Self {
        let mut entry = Self {
            seq,
            at: record.at,
            action: record.action,
            actor: record.actor,
            subject: record.subject,
            serial: record.serial,
            detail: record.detail,
            prev: prev.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.digest();
        entry
    }

    /// The hash this entry's content gives.
    pub fn digest(&self) -> String {
        let body = Body {
            seq: self.seq,
            at: self.at,
            action: self.action,
            actor: &self.actor,
            subject: &self.subject,
            serial: &self.serial,
            detail: &self.detail,
            prev: &self.prev,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        format!("sha256:{}", sha256_hex(&json))
    }
}

/// The `prev` of the first entry.
pub fn genesis() -> String {
    format!("sha256:{}", "0".repeat(64))
}

/// The last entry of the log, as the tenant index names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// The segment it is in, relative to the tenant.
    pub segment: String,
}

/// The first sequence number of a segment, from its name.
pub(super) fn first_seq(segment_name: &str) -> Option<u64> {
    segment_name
        .split(['.', '-'])
        .next()
        .and_then(|n| n.parse().ok())
}

/// Writes the records `index` collected as one segment chained to its head and moves the head;
/// the caller commits the index. Nothing to do when there are none.
pub(super) fn write_pending(store: &Store, index: &mut TenantIndex) -> Result<(), StoreError> {
    if index.audit_pending.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev) = index
        .audit
        .as_ref()
        .map_or((0, genesis()), |h| (h.seq, h.hash.clone()));
    let first = seq + 1;
    let mut text = String::new();
    for record in std::mem::take(&mut index.audit_pending) {
        seq += 1;
        let entry = Entry::chain(seq, record, &prev);
        prev.clone_from(&entry.hash);
        text.push_str(
            &serde_json::to_string(&entry).map_err(|e| StoreError::Corrupt {
                path: store.tenant_dir(&index.tenant).join(DIR),
                reason: format!("cannot serialise an audit entry: {e}"),
            })?,
        );
        text.push('\n');
    }
    // On one host changes are serialised by the lock, so a segment an interrupted change left
    // is simply replaced by the next one; on object storage segments are created only if
    // absent, and the hash in the name keeps concurrent writers' segments apart.
    let hex = prev.trim_start_matches("sha256:");
    let segment = if store.is_shared() {
        format!("{DIR}/{first:012}-{}.jsonl", hex.get(..16).unwrap_or(hex))
    } else {
        format!("{DIR}/{first:012}.jsonl")
    };
    store.write_file(&index.tenant, &segment, text.as_bytes(), false)?;
    index.audit = Some(Head {
        seq,
        hash: prev,
        segment,
    });
    Ok(())
}

/// Why the log does not verify: the oldest entry found broken or missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Broken {
    /// A line is not an entry.
    #[error("{segment} line {line}: not an audit entry ({reason})")]
    Unreadable {
        /// The segment.
        segment: String,
        /// Its line, from 1.
        line: usize,
        /// The parser's words.
        reason: String,
    },
    /// A segment's lines are not its entries in order.
    #[error(
        "{segment} line {line}: entry {seq} where entry {expected} belongs: entries were reordered"
    )]
    Reordered {
        /// The segment.
        segment: String,
        /// The line.
        line: usize,
        /// The entry found there.
        seq: u64,
        /// The entry that belongs there.
        expected: u64,
    },
    /// An entry's content does not give its hash: it was edited.
    #[error(
        "entry {seq} ({segment} line {line}) was altered: its content hashes to {found}, it claims {claimed}"
    )]
    Altered {
        /// Its sequence number.
        seq: u64,
        /// The segment.
        segment: String,
        /// Its line.
        line: usize,
        /// The hash of its content.
        found: String,
        /// The hash it carries.
        claimed: String,
    },
    /// The entry the next one names as the one before it is not in the log.
    #[error(
        "entry {seq} is missing: entry {after} names {hash} as the one before it and no entry has that hash; it was deleted or rewritten"
    )]
    Missing {
        /// The sequence number of the entry not found.
        seq: u64,
        /// The entry that names it.
        after: u64,
        /// The hash it names.
        hash: String,
    },
    /// The entry the chain leads to carries another sequence number.
    #[error(
        "entry {seq} ({segment} line {line}) is numbered {found}: entries were renumbered or reordered"
    )]
    Renumbered {
        /// Where it belongs.
        seq: u64,
        /// The number it carries.
        found: u64,
        /// The segment.
        segment: String,
        /// Its line.
        line: usize,
    },
    /// The chain ends before the head the tenant index names: entries were cut off the end.
    #[error(
        "the log ends at entry {last} but the tenant index names entry {head} as its last: entries were removed from the end"
    )]
    Truncated {
        /// The newest entry there is.
        last: u64,
        /// The head's sequence number.
        head: u64,
    },
    /// The first entry names an entry before it.
    #[error("entry 1 names {prev} as the one before it: the log does not start there")]
    NotFirst {
        /// What it names.
        prev: String,
    },
    /// No entry has the hash the tenant index names as the last: the end was rewritten.
    #[error(
        "no entry {seq} has the hash the tenant index names as the last ({expected}): the end of the log was rewritten"
    )]
    HeadMismatch {
        /// The head's sequence number.
        seq: u64,
        /// The head's hash.
        expected: String,
    },
}

/// One parsed line: the entry, its segment and line number.
type Located = (Entry, String, usize);

/// Every entry of every segment (a change that lost its commit leaves segments of its own,
/// which no head reaches), checked for order within its segment.
fn entries(store: &Store, tenant: &str) -> Result<Result<Vec<Located>, Broken>, StoreError> {
    let mut found = Vec::new();
    for segment in store.list_files(tenant, DIR)? {
        let Some(bytes) = store.read_tenant_file(tenant, &segment)? else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut expected = None;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let entry: Entry = match serde_json::from_str(line) {
                Ok(e) => e,
                Err(e) => {
                    return Ok(Err(Broken::Unreadable {
                        segment,
                        line: i + 1,
                        reason: e.to_string(),
                    }));
                }
            };
            if let Some(expected) = expected.filter(|x| *x != entry.seq) {
                return Ok(Err(Broken::Reordered {
                    segment,
                    line: i + 1,
                    seq: entry.seq,
                    expected,
                }));
            }
            expected = Some(entry.seq + 1);
            found.push((entry, segment.clone(), i + 1));
        }
    }
    Ok(Ok(found))
}

/// The verified log, oldest first, or its first break. The chain is followed from the head the
/// index names back to the first entry, each link by the hash the entry after it names: segments
/// of lost commits are never on it. Of several problems the oldest one found is reported.
pub fn verify(
    store: &Store,
    index: &TenantIndex,
) -> Result<Result<Vec<Entry>, Broken>, StoreError> {
    let Some(head) = &index.audit else {
        return Ok(Ok(Vec::new()));
    };
    let all = match entries(store, &index.tenant)? {
        Ok(all) => all,
        Err(broken) => return Ok(Err(broken)),
    };
    let mut by_hash: BTreeMap<&str, &Located> = BTreeMap::new();
    for located in &all {
        by_hash.entry(located.0.hash.as_str()).or_insert(located);
    }
    let newest = all.iter().map(|(e, _, _)| e.seq).max().unwrap_or(0);
    let mut chain = Vec::new();
    let mut problem = None;
    let mut wanted = head.hash.clone();
    for seq in (1..=head.seq).rev() {
        let Some((entry, segment, line)) = by_hash.get(wanted.as_str()).copied() else {
            problem = Some(if seq == head.seq && newest < head.seq {
                Broken::Truncated {
                    last: newest,
                    head: head.seq,
                }
            } else if seq == head.seq {
                Broken::HeadMismatch {
                    seq,
                    expected: head.hash.clone(),
                }
            } else {
                Broken::Missing {
                    seq,
                    after: seq + 1,
                    hash: wanted.clone(),
                }
            });
            break;
        };
        if entry.seq != seq {
            problem = Some(Broken::Renumbered {
                seq,
                found: entry.seq,
                segment: segment.clone(),
                line: *line,
            });
            break;
        }
        let found = entry.digest();
        if found != entry.hash {
            // Its `prev` may be intact: go on, so an older problem is the one reported.
            problem = Some(Broken::Altered {
                seq,
                segment: segment.clone(),
                line: *line,
                found,
                claimed: entry.hash.clone(),
            });
        }
        wanted.clone_from(&entry.prev);
        chain.push(entry.clone());
    }
    if let Some(problem) = problem {
        return Ok(Err(problem));
    }
    if wanted != genesis() {
        return Ok(Err(Broken::NotFirst { prev: wanted }));
    }
    chain.reverse();
    Ok(Ok(chain))
}
