//! The rotation planner: for each certificate and its role, when it must be renewed, the grace
//! window in which old and new are both accepted, when the old one is revoked, its status at
//! `now`, the alerts that status raises, and a timeline structure the dashboard draws.
//!
//! The specification: a new certificate is issued `grace` days before the current one expires,
//! both are accepted during the grace period, and the old one is revoked when it ends.

use serde::{Deserialize, Serialize};

use crate::certificate::{Certificate, SubjectAltName};
use crate::lifetime::LifetimeRules;
use crate::policy::{Policy, Rotation};
use crate::report::{Finding, Location};
use crate::timestamp::Timestamp;

const DAY: i64 = Timestamp::DAY;

/// What a certificate is for; decides its lifetime and grace in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// An edge's mTLS client certificate.
    Edge,
    /// The coordinator's server certificate.
    Coordinator,
    /// A tenant's issuing CA.
    Ca,
    /// Any other end-entity certificate.
    Leaf,
    /// An intermediate CA.
    Intermediate,
    /// A self-signed root.
    Root,
}

impl Role {
    /// The role's name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edge => "edge",
            Self::Coordinator => "coordinator",
            Self::Ca => "ca",
            Self::Leaf => "leaf",
            Self::Intermediate => "intermediate",
            Self::Root => "root",
        }
    }

    /// The role a certificate shows: tlscope's SPIFFE-style URI SAN
    /// (`spiffe://tlscope/tenant/T/edge/N`), else CA/root/leaf from its basic constraints.
    pub fn of(c: &Certificate) -> Self {
        let uri_role = c.subject_alt_names.iter().find_map(|n| match n {
            SubjectAltName::Uri(u) if u.starts_with("spiffe://tlscope/tenant/") => {
                u.split('/').nth(5).map(str::to_owned)
            }
            _ => None,
        });
        match uri_role.as_deref() {
            Some("edge") => Self::Edge,
            Some("coordinator") => Self::Coordinator,
            Some("ca") => Self::Ca,
            _ if c.is_ca && c.self_issued => Self::Root,
            _ if c.is_ca => Self::Intermediate,
            _ => Self::Leaf,
        }
    }
}

/// Where a certificate stands in its rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RotationStatus {
    /// Before its renewal date.
    Ok,
    /// In its renewal window, not yet replaced.
    RenewDue,
    /// Replaced; old and new both accepted until the grace period ends.
    InGrace,
    /// In the critical band and still not replaced.
    Overdue,
    /// Past notAfter.
    Expired,
}

impl RotationStatus {
    /// The status word, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::RenewDue => "renew-due",
            Self::InGrace => "in-grace",
            Self::Overdue => "overdue",
            Self::Expired => "expired",
        }
    }
}

/// One certificate to plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The name people use for it.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// notBefore.
    pub not_before: Timestamp,
    /// notAfter.
    pub not_after: Timestamp,
    /// When its successor was issued, if it has been.
    pub replaced_at: Option<Timestamp>,
}

impl Subject {
    /// A decoded certificate with the role it shows.
    pub fn from_certificate(c: &Certificate) -> Self {
        Self {
            name: c.display_name(),
            role: Role::of(c),
            not_before: c.validity.not_before,
            not_after: c.validity.not_after,
            replaced_at: None,
        }
    }
}

/// The plan for one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotationPlan {
    /// The certificate.
    pub subject: Subject,
    /// When to issue its successor (notAfter − grace).
    pub renew_at: Timestamp,
    /// The grace window: old and new both accepted from `renew_at` until this moment.
    pub grace_end: Timestamp,
    /// When the old certificate is revoked (the end of the grace window).
    pub revoke_at: Timestamp,
    /// The policy's lifetime for this role, in days.
    pub policy_lifetime_days: i64,
    /// Status at `now`.
    pub status: RotationStatus,
    /// Whole days until notAfter (negative once expired).
    pub days_left: i64,
    /// Alerts this status raises.
    pub alerts: Vec<Finding>,
}

/// Plans each certificate under `policy` at `now`; `index` in alerts is the position in `subjects`.
pub fn plan(subjects: &[Subject], policy: &Policy, now: Timestamp) -> Vec<RotationPlan> {
    subjects
        .iter()
        .enumerate()
        .map(|(index, s)| plan_one(s, index, policy, now))
        .collect()
}

/// Lifetime and renewal window (grace) for a certificate of `role` under the policy's rotation `r`, in days.
pub fn lifetime(r: &Rotation, role: Role) -> (i64, i64) {
    match role {
        Role::Edge | Role::Coordinator | Role::Leaf => (r.leaf_days, r.leaf_grace_days),
        Role::Ca | Role::Intermediate => (r.ca_days, r.ca_grace_days),
        Role::Root => (r.root_days, r.ca_grace_days),
    }
}

/// The lifetime bar of `c`: its bands under the policy's `rules`, renewed as its role is
/// ([`Role::of`]); what the dashboard's certificate card draws.
pub fn lifetime_bar(rules: &LifetimeRules, c: &Certificate) -> crate::lifetime::LifetimeBar {
    let (_, grace) = lifetime(&rules.rotation, Role::of(c));
    crate::lifetime::bar(rules, &c.validity, grace)
}

/// The lifetime of `s` in seconds (notBefore to notAfter inclusive).
fn validity_seconds(s: &Subject) -> i64 {
    crate::lifetime::validity_seconds(&crate::certificate::Validity {
        not_before: s.not_before,
        not_after: s.not_after,
    })
}

/// The renewal window of `s` in seconds: its role's grace in days (14 for edges and
/// coordinators, 30 for the CA under the default policy), or the policy's share of its own
/// lifetime when that is shorter (a 6-day certificate renews with two days left).
fn window(s: &Subject, policy: &Policy) -> i64 {
    let (_, grace) = lifetime(&policy.rotation, s.role);
    crate::lifetime::renewal_window(&policy.rotation, grace, validity_seconds(s))
}

/// When `s` must be renewed: its renewal window before notAfter. The one rule the agent's
/// scheduler, `ca list` and the dashboard all follow.
pub fn renew_at(s: &Subject, policy: &Policy) -> Timestamp {
    Timestamp::from_unix(s.not_after.unix().saturating_sub(window(s, policy)))
}

/// Whether `s` is due for renewal at `now` (in its renewal window, or past it).
pub fn renewal_due(s: &Subject, policy: &Policy, now: Timestamp) -> bool {
    now >= renew_at(s, policy)
}

/// The end of the grace period of `s` once it is replaced at `replaced_at`: old and new are
/// both accepted for its renewal window, never past the old certificate's notAfter. Replaced on
/// schedule (at [`renew_at`]) that is exactly its notAfter; replaced early, sooner.
pub fn grace_end(s: &Subject, policy: &Policy, replaced_at: Timestamp) -> Timestamp {
    let end = Timestamp::from_unix(replaced_at.unix().saturating_add(window(s, policy)));
    end.min(s.not_after)
}

fn plan_one(s: &Subject, index: usize, policy: &Policy, now: Timestamp) -> RotationPlan {
    let (lifetime, _) = lifetime(&policy.rotation, s.role);
    let renew_at = renew_at(s, policy);
    let window_days = window(s, policy) / DAY;
    let critical = crate::lifetime::critical(&policy.alerts);
    let validity = validity_seconds(s);
    let grace_end = match s.replaced_at {
        Some(replaced) => grace_end(s, policy, replaced),
        None => s.not_after,
    };
    let seconds_left = s.not_after.unix().saturating_sub(now.unix());
    let days_left = seconds_left.div_euclid(DAY);
    let status = if now >= s.not_after {
        RotationStatus::Expired
    } else if s.replaced_at.is_some_and(|r| r <= now) {
        RotationStatus::InGrace
    } else if now >= renew_at && critical.holds(seconds_left, validity) {
        RotationStatus::Overdue
    } else if now >= renew_at {
        RotationStatus::RenewDue
    } else {
        RotationStatus::Ok
    };
    let at = || Location::Certificate {
        index,
        name: s.name.clone(),
    };
    let role = s.role.as_str();
    let alerts = match status {
        RotationStatus::Ok => Vec::new(),
        RotationStatus::RenewDue => vec![Finding::new(
            crate::rule!("ROTATION-RENEW-DUE"),
            format!(
                "{role} certificate entered its renewal window on {renew_at} ({window_days} days before notAfter {}); {days_left} days left",
                s.not_after
            ),
            at(),
        )],
        RotationStatus::InGrace => vec![Finding::new(
            crate::rule!("ROTATION-IN-GRACE"),
            format!(
                "{role} certificate replaced; both accepted until {grace_end}, then the old one is revoked"
            ),
            at(),
        )],
        RotationStatus::Overdue => vec![Finding::new(
            crate::rule!("ROTATION-OVERDUE"),
            format!(
                "{role} certificate should have been renewed on {renew_at}; {days_left} days left (critical at {})",
                critical.describe(validity)
            ),
            at(),
        )],
        RotationStatus::Expired => vec![Finding::new(
            crate::rule!("CERT-EXPIRED"),
            format!("{role} certificate expired at {}", s.not_after),
            at(),
        )],
    };
    RotationPlan {
        subject: s.clone(),
        renew_at,
        grace_end,
        revoke_at: grace_end,
        policy_lifetime_days: lifetime,
        status,
        days_left,
        alerts,
    }
}

/// A span of time on the timeline, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Start.
    pub from: i64,
    /// End.
    pub to: i64,
}

/// One row of the timeline: a certificate's life and its windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineRow {
    /// The certificate's name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its status.
    pub status: RotationStatus,
    /// notBefore → notAfter.
    pub life: Span,
    /// Renewal and grace window (renew_at → revoke_at).
    pub grace: Span,
    /// Warning band (its start, by days or a share of the lifetime → notAfter).
    pub warning: Span,
    /// Critical band (its start, by days or a share of the lifetime → notAfter).
    pub critical: Span,
}

/// What the dashboard draws: rows on a common time axis, and `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The axis start (earliest notBefore, or `now`).
    pub start: i64,
    /// The axis end (latest notAfter, or `now`).
    pub end: i64,
    /// The moment of judgement.
    pub now: i64,
    /// One row per plan.
    pub rows: Vec<TimelineRow>,
}

/// The timeline of `plans` under `policy`'s alert bands.
pub fn timeline(plans: &[RotationPlan], policy: &Policy, now: Timestamp) -> Timeline {
    let band = |end: i64, band: crate::lifetime::Band, lifetime: i64| Span {
        from: end.saturating_sub(band.start_before_end(lifetime)),
        to: end,
    };
    let rows: Vec<TimelineRow> = plans
        .iter()
        .map(|p| {
            let end = p.subject.not_after.unix();
            let validity = validity_seconds(&p.subject);
            TimelineRow {
                name: p.subject.name.clone(),
                role: p.subject.role,
                status: p.status,
                life: Span {
                    from: p.subject.not_before.unix(),
                    to: end,
                },
                grace: Span {
                    from: p.renew_at.unix(),
                    to: p.revoke_at.unix(),
                },
                warning: band(end, crate::lifetime::warning(&policy.alerts), validity),
                critical: band(end, crate::lifetime::critical(&policy.alerts), validity),
            }
        })
        .collect();
    let start = rows
        .iter()
        .map(|r| r.life.from)
        .chain([now.unix()])
        .min()
        .unwrap_or_default();
    let end = rows
        .iter()
        .map(|r| r.life.to)
        .chain([now.unix()])
        .max()
        .unwrap_or_default();
    Timeline {
        start,
        end,
        now: now.unix(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn subject(role: Role, issued_days_ago: i64, lifetime_days: i64) -> Subject {
        let nb = NOW - issued_days_ago * DAY;
        Subject {
            name: "svc".into(),
            role,
            not_before: Timestamp::from_unix(nb),
            not_after: Timestamp::from_unix(nb + lifetime_days * DAY),
            replaced_at: None,
        }
    }

    fn status(s: Subject, policy: &Policy) -> (RotationStatus, Vec<&'static str>) {
        let p = plan(&[s], policy, Timestamp::from_unix(NOW)).remove(0);
        (p.status, p.alerts.iter().map(|f| f.rule).collect())
    }

    #[test]
    fn a_cards_lifetime_bar_renews_as_the_certificates_role() {
        let pem = include_str!("../tests/corpus/ml-dsa-chain.pem");
        let decoded = crate::decode(pem.as_bytes()).unwrap();
        let chain: Vec<&Certificate> = decoded.certificates().collect();
        let ahead = |rules: &LifetimeRules, c: &Certificate| {
            let bar = lifetime_bar(rules, c);
            c.validity.not_after.unix() - bar.renew_at
        };
        let default = LifetimeRules::of(&Policy::default());
        // The 45-day leaf renews 14 days ahead, the intermediate and the root 30.
        assert_eq!(ahead(&default, chain[0]), 14 * DAY);
        assert_eq!(ahead(&default, chain[1]), 30 * DAY);
        assert_eq!(ahead(&default, chain[2]), 30 * DAY);
        // cert-manager's 30 days are more than a third of 45: the third decides.
        let cert_manager = LifetimeRules::of(&Policy::cert_manager());
        let third = crate::lifetime::validity_seconds(&chain[0].validity) * 33 / 100;
        assert_eq!(ahead(&cert_manager, chain[0]), third);
        assert!(!lifetime_bar(&default, chain[0]).short_lived);
    }

    #[test]
    fn edge_certificate_moves_through_every_status() {
        let policy = Policy::default();
        assert_eq!(
            status(subject(Role::Edge, 10, 90), &policy),
            (RotationStatus::Ok, vec![])
        );
        // 80 days in: 10 left, inside the 14-day window, above the 7-day critical band.
        assert_eq!(
            status(subject(Role::Edge, 80, 90), &policy),
            (RotationStatus::RenewDue, vec!["ROTATION-RENEW-DUE"])
        );
        assert_eq!(
            status(subject(Role::Edge, 85, 90), &policy),
            (RotationStatus::Overdue, vec!["ROTATION-OVERDUE"])
        );
        let mut replaced = subject(Role::Edge, 80, 90);
        replaced.replaced_at = Some(Timestamp::from_unix(NOW - DAY));
        assert_eq!(
            status(replaced, &policy),
            (RotationStatus::InGrace, vec!["ROTATION-IN-GRACE"])
        );
        assert_eq!(
            status(subject(Role::Edge, 91, 90), &policy),
            (RotationStatus::Expired, vec!["CERT-EXPIRED"])
        );
    }

    #[test]
    fn ca_uses_the_yearly_lifetime_and_thirty_day_grace() {
        let policy = Policy::default();
        let p = plan(
            &[subject(Role::Ca, 0, 365)],
            &policy,
            Timestamp::from_unix(NOW),
        )
        .remove(0);
        assert_eq!(p.policy_lifetime_days, 365);
        assert_eq!(p.subject.not_after.unix() - p.renew_at.unix(), 30 * DAY);
        assert_eq!(p.revoke_at, p.subject.not_after);
        // The cert-manager profile renews leaves 30 days ahead instead of 14.
        let cm = plan(
            &[subject(Role::Leaf, 65, 90)],
            &Policy::cert_manager(),
            Timestamp::from_unix(NOW),
        );
        assert_eq!(cm[0].status, RotationStatus::RenewDue);
        let def = plan(
            &[subject(Role::Leaf, 65, 90)],
            &policy,
            Timestamp::from_unix(NOW),
        );
        assert_eq!(def[0].status, RotationStatus::Ok);
    }

    #[test]
    fn a_short_lived_certificate_renews_at_a_third_and_is_overdue_at_a_tenth() {
        let policy = Policy::default();
        let hours = |h: i64| h * 3600;
        let six_day = |issued_hours_ago: i64| Subject {
            name: "short".into(),
            role: Role::Leaf,
            not_before: Timestamp::from_unix(NOW - hours(issued_hours_ago)),
            not_after: Timestamp::from_unix(NOW - hours(issued_hours_ago) + 6 * DAY - 1),
            replaced_at: None,
        };
        // 3 days in: half is left, nothing due (14 days of grace would have been due at issue).
        assert_eq!(status(six_day(72), &policy), (RotationStatus::Ok, vec![]));
        // 4½ days in: a quarter left, in the window.
        assert_eq!(
            status(six_day(108), &policy),
            (RotationStatus::RenewDue, vec!["ROTATION-RENEW-DUE"])
        );
        // 5½ days in: under a tenth left, overdue.
        assert_eq!(
            status(six_day(132), &policy),
            (RotationStatus::Overdue, vec!["ROTATION-OVERDUE"])
        );
    }

    #[test]
    fn timeline_spans_every_row_and_now() {
        let policy = Policy::default();
        let plans = plan(
            &[subject(Role::Edge, 10, 90), subject(Role::Ca, 100, 365)],
            &policy,
            Timestamp::from_unix(NOW),
        );
        let t = timeline(&plans, &policy, Timestamp::from_unix(NOW));
        assert_eq!(t.start, NOW - 100 * DAY);
        assert_eq!(t.end, NOW + 265 * DAY);
        assert_eq!(t.rows[0].critical.to - t.rows[0].critical.from, 7 * DAY);
        assert_eq!(t.rows[1].grace.to - t.rows[1].grace.from, 30 * DAY);
    }
}
