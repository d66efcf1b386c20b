//! A certificate's lifetime as a whole: the expiry alert bands and the renewal window scaled to
//! the certificate's own lifetime (days for long certificates, a share of the lifetime for short
//! ones, whichever comes later), the CA/Browser Forum maximum validity in force on an issue date
//! (ballot SC-081v3), and the short-lived threshold below which a certificate needs no
//! revocation information. The expiry judge, the rotation planner, cert-manager linting and the
//! dashboard's lifetime bar all ask here.

use serde::{Deserialize, Serialize};

use crate::certificate::Validity;
use crate::policy::{Alerts, Policy, Revocation, Rotation};
use crate::timestamp::Timestamp;

const DAY: i64 = Timestamp::DAY;

/// The validity period as the Baseline Requirements and RFC 5280 count it: notBefore to
/// notAfter inclusive, so a "90-day" certificate ends one second before the 90th day is out.
pub fn validity_seconds(v: &Validity) -> i64 {
    v.not_after
        .unix()
        .saturating_sub(v.not_before.unix())
        .saturating_add(1)
}

/// One alert band: whole days before notAfter, and for short certificates a percentage of the
/// lifetime. A certificate is in the band when both hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Band {
    /// At or below this many whole days left.
    pub days: i64,
    /// And at or below this percentage of the lifetime left (0: days alone).
    pub percent: u8,
}

impl Band {
    /// Whether `seconds_left` of a `lifetime`-second certificate falls in the band.
    pub fn holds(self, seconds_left: i64, lifetime: i64) -> bool {
        let days_left = seconds_left.div_euclid(DAY);
        days_left <= self.days && self.share_holds(seconds_left, lifetime)
    }

    /// Whether the percentage part alone holds.
    fn share_holds(self, seconds_left: i64, lifetime: i64) -> bool {
        self.percent == 0
            || i128::from(seconds_left) * 100 <= i128::from(lifetime) * i128::from(self.percent)
    }

    /// Whether the percentage, not the days, decides this band for a `lifetime`-second
    /// certificate (the share of its lifetime is shorter than the days).
    pub fn by_share(self, lifetime: i64) -> bool {
        self.percent != 0 && self.share_seconds(lifetime) < self.days.saturating_mul(DAY)
    }

    /// How long before notAfter the band starts, in seconds, for drawing it.
    pub fn start_before_end(self, lifetime: i64) -> i64 {
        let days = self.days.saturating_mul(DAY);
        if self.percent == 0 {
            days
        } else {
            days.min(self.share_seconds(lifetime))
        }
    }

    fn share_seconds(self, lifetime: i64) -> i64 {
        let s = i128::from(lifetime) * i128::from(self.percent) / 100;
        i64::try_from(s).unwrap_or(i64::MAX)
    }

    /// The band in words: `≤ 7 days` or `≤ 7 days and ≤ 10% of its 6-day lifetime`.
    pub fn describe(self, lifetime: i64) -> String {
        if self.by_share(lifetime) {
            format!(
                "≤ {}% of its {} lifetime",
                self.percent,
                duration_text(lifetime)
            )
        } else {
            format!("≤ {} days", self.days)
        }
    }
}

/// What a certificate's lifetime is judged by: the policy's alert bands, its rotation and its
/// short-lived threshold. It is all of a policy a view that draws lifetimes needs (the
/// dashboard's cards), so such a view is handed these three sections, not the whole policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifetimeRules {
    /// Expiry alert bands.
    pub alerts: Alerts,
    /// Lifetimes and renewal.
    pub rotation: Rotation,
    /// What counts as short-lived.
    pub revocation: Revocation,
}

impl LifetimeRules {
    /// The sections of `policy` lifetimes are judged by.
    pub fn of(policy: &Policy) -> Self {
        Self {
            alerts: policy.alerts,
            rotation: policy.rotation,
            revocation: policy.revocation,
        }
    }
}

/// The policy's warning band.
pub fn warning(alerts: &Alerts) -> Band {
    Band {
        days: alerts.warning_days,
        percent: alerts.warning_percent,
    }
}

/// The policy's critical band.
pub fn critical(alerts: &Alerts) -> Band {
    Band {
        days: alerts.critical_days,
        percent: alerts.critical_percent,
    }
}

/// The renewal window, in seconds before notAfter, for a certificate of `lifetime` seconds
/// whose role renews `grace_days` ahead: the days, or the policy's share of the lifetime when
/// that is shorter (a 6-day certificate renews with two days left, not at issue).
pub fn renewal_window(rotation: &Rotation, grace_days: i64, lifetime: i64) -> i64 {
    Band {
        days: grace_days,
        percent: rotation.grace_percent,
    }
    .start_before_end(lifetime)
}

/// One step of the CA/Browser Forum's maximum validity for publicly-trusted TLS certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MaximumStep {
    /// Certificates issued on or after this moment (Unix seconds, UTC midnight)…
    pub from: i64,
    /// …may be valid for at most this many days.
    pub days: i64,
}

/// Ballot SC-081v3 (Baseline Requirements §6.3.2): 398 days before 2026-03-15, 200 days from
/// then, 100 days from 2027-03-15, 47 days from 2029-03-15.
pub const CABF_MAXIMUM: &[MaximumStep] = &[
    MaximumStep {
        from: i64::MIN,
        days: 398,
    },
    MaximumStep {
        from: 1_773_532_800, // 2026-03-15
        days: 200,
    },
    MaximumStep {
        from: 1_805_068_800, // 2027-03-15
        days: 100,
    },
    MaximumStep {
        from: 1_868_227_200, // 2029-03-15
        days: 47,
    },
];

/// The maximum validity, in days, for a public TLS certificate issued at `issued`.
pub fn cabf_maximum_days(issued: Timestamp) -> i64 {
    CABF_MAXIMUM
        .iter()
        .rev()
        .find(|s| s.from <= issued.unix())
        .map_or(398, |s| s.days)
}

/// Whether a certificate valid for `lifetime` seconds exceeds the maximum of its issue date.
pub fn exceeds_cabf_maximum(v: &Validity) -> bool {
    validity_seconds(v) > cabf_maximum_days(v.not_before).saturating_mul(DAY)
}

/// The first renewal of a rotation that issues `duration` seconds of validity and renews
/// `renew_before` seconds ahead, starting at `now`, whose issue date's maximum the duration
/// exceeds — within the next `horizon` seconds (the issue date and the maximum then).
pub fn first_renewal_over_maximum(
    now: Timestamp,
    duration: i64,
    renew_before: i64,
    horizon: i64,
) -> Option<(Timestamp, i64)> {
    let period = duration.saturating_sub(renew_before).max(DAY);
    let end = now.unix().saturating_add(horizon);
    let mut at = now.unix();
    // Bounded: the horizon over a period of at least a day.
    for _ in 0..=(horizon / DAY).max(1) {
        if at > end {
            break;
        }
        let max = cabf_maximum_days(Timestamp::from_unix(at));
        if duration > max.saturating_mul(DAY) {
            return Some((Timestamp::from_unix(at), max));
        }
        at = at.saturating_add(period);
    }
    None
}

/// Whether a certificate is short-lived under the policy: valid no longer than
/// `revocation.short_lived_days`, so it needs no OCSP or CRL.
pub fn is_short_lived(revocation: &Revocation, v: &Validity) -> bool {
    validity_seconds(v) <= revocation.short_lived_days.saturating_mul(DAY)
}

/// A lifetime in words: `6-day`, `160-hour`, `397-day`.
pub fn duration_text(seconds: i64) -> String {
    if seconds % DAY == 0 || seconds % DAY == 1 || seconds >= 10 * DAY {
        format!("{}-day", seconds / DAY)
    } else {
        format!("{}-hour", seconds / 3600)
    }
}

/// Everything the dashboard's lifetime bar draws for one certificate, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifetimeBar {
    /// notBefore.
    pub not_before: i64,
    /// notAfter.
    pub not_after: i64,
    /// When the policy renews it (its role's renewal window before notAfter).
    pub renew_at: i64,
    /// Where the warning band starts.
    pub warning_from: i64,
    /// Where the critical band starts.
    pub critical_from: i64,
    /// The CA/Browser Forum maximum for its issue date, in days.
    pub cabf_maximum_days: i64,
    /// Whether it is short-lived (needs no revocation information).
    pub short_lived: bool,
}

/// The lifetime bar of a certificate whose role renews `grace_days` ahead.
pub fn bar(rules: &LifetimeRules, v: &Validity, grace_days: i64) -> LifetimeBar {
    let lifetime = validity_seconds(v);
    let end = v.not_after.unix();
    LifetimeBar {
        not_before: v.not_before.unix(),
        not_after: end,
        renew_at: end.saturating_sub(renewal_window(&rules.rotation, grace_days, lifetime)),
        warning_from: end.saturating_sub(warning(&rules.alerts).start_before_end(lifetime)),
        critical_from: end.saturating_sub(critical(&rules.alerts).start_before_end(lifetime)),
        cabf_maximum_days: cabf_maximum_days(v.not_before),
        short_lived: is_short_lived(&rules.revocation, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validity(not_before: i64, seconds: i64) -> Validity {
        Validity {
            not_before: Timestamp::from_unix(not_before),
            not_after: Timestamp::from_unix(not_before + seconds - 1),
        }
    }

    #[test]
    fn the_sc081_schedule_by_issue_date() {
        let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        assert_eq!(cabf_maximum_days(at("2026-03-14T23:59:59Z")), 398);
        assert_eq!(cabf_maximum_days(at("2026-03-15T00:00:00Z")), 200);
        assert_eq!(cabf_maximum_days(at("2026-12-01T00:00:00Z")), 200);
        assert_eq!(cabf_maximum_days(at("2027-03-15T00:00:00Z")), 100);
        assert_eq!(cabf_maximum_days(at("2029-03-14T00:00:00Z")), 100);
        assert_eq!(cabf_maximum_days(at("2029-03-15T00:00:00Z")), 47);
        // Exactly 200 days inclusive is allowed; one second more is not.
        let nb = at("2026-12-01T00:00:00Z").unix();
        assert!(!exceeds_cabf_maximum(&validity(nb, 200 * DAY)));
        assert!(exceeds_cabf_maximum(&validity(nb, 200 * DAY + 1)));
    }

    #[test]
    fn bands_scale_to_short_lifetimes() {
        let policy = Policy::default();
        let six_days = 6 * DAY;
        // 3 days left of 6: in neither band (half the lifetime is left).
        assert!(!warning(&policy.alerts).holds(3 * DAY, six_days));
        assert!(!critical(&policy.alerts).holds(3 * DAY, six_days));
        // About a third left is the warning band, a tenth the critical one.
        assert!(warning(&policy.alerts).holds(2 * DAY, six_days));
        assert!(!critical(&policy.alerts).holds(DAY, six_days));
        assert!(critical(&policy.alerts).holds(DAY / 2, six_days));
        // A 397-day certificate goes by days: 3 days left is critical, 30 a warning.
        let long = 397 * DAY;
        assert!(critical(&policy.alerts).holds(3 * DAY, long));
        assert!(warning(&policy.alerts).holds(30 * DAY, long));
        assert!(!warning(&policy.alerts).holds(31 * DAY, long));
        // A 90-day certificate keeps the 30 and 7 days of the specification.
        assert!(warning(&policy.alerts).holds(30 * DAY + DAY / 2, 90 * DAY));
        assert!(critical(&policy.alerts).holds(7 * DAY, 90 * DAY));
        assert!(!critical(&policy.alerts).holds(8 * DAY, 90 * DAY));
        assert_eq!(critical(&policy.alerts).describe(long), "≤ 7 days");
        assert_eq!(
            critical(&policy.alerts).describe(six_days),
            "≤ 10% of its 6-day lifetime"
        );
    }

    #[test]
    fn renewal_window_is_the_days_or_a_third_of_a_short_lifetime() {
        let policy = Policy::default();
        assert_eq!(renewal_window(&policy.rotation, 14, 90 * DAY), 14 * DAY);
        assert_eq!(
            renewal_window(&policy.rotation, 14, 6 * DAY),
            6 * DAY * 33 / 100
        );
        let days_only = Policy {
            rotation: crate::policy::Rotation {
                grace_percent: 0,
                ..policy.rotation
            },
            ..policy
        };
        assert_eq!(renewal_window(&days_only.rotation, 14, 6 * DAY), 14 * DAY);
    }

    #[test]
    fn a_rotation_is_warned_on_the_renewal_that_exceeds_the_maximum() {
        let now = Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
        // 180 days renewed 60 ahead: fine now (200), the renewal on 2027-03-31 is over 100.
        let (when, max) =
            first_renewal_over_maximum(now, 180 * DAY, 60 * DAY, 3 * 365 * DAY).unwrap();
        assert_eq!(max, 100);
        assert_eq!(when.to_string(), "2027-03-31T00:00:00Z");
        // 45 days stays under every step.
        assert_eq!(
            first_renewal_over_maximum(now, 45 * DAY, 15 * DAY, 5 * 365 * DAY),
            None
        );
        // 365 days is over the maximum on its first issue.
        assert_eq!(
            first_renewal_over_maximum(now, 365 * DAY, 30 * DAY, 365 * DAY),
            Some((now, 200))
        );
    }

    #[test]
    fn short_lived_is_the_policy_threshold_inclusive() {
        let policy = Policy::default();
        assert!(is_short_lived(&policy.revocation, &validity(0, 160 * 3600)));
        assert!(is_short_lived(&policy.revocation, &validity(0, 7 * DAY)));
        assert!(!is_short_lived(
            &policy.revocation,
            &validity(0, 7 * DAY + 1)
        ));
        assert_eq!(duration_text(160 * 3600), "160-hour");
        assert_eq!(duration_text(45 * DAY), "45-day");
    }
}
