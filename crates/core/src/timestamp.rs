//! The moment a judgement is made at. The core never reads a clock: callers pass `now`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the Unix epoch, UTC. Serialises as an RFC 3339 string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// A timestamp that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an RFC 3339 time such as 2026-12-01T00:00:00Z, found {found:?}")]
pub struct TimestampError {
    /// The text that was given.
    pub found: String,
}

impl Timestamp {
    /// Seconds in a day, the unit of "days left".
    pub const DAY: i64 = 86_400;

    /// A timestamp from seconds since the Unix epoch.
    pub const fn from_unix(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 time (`2026-12-01T00:00:00Z`, offsets allowed).
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map(|t| Self(t.unix_timestamp()))
            .map_err(|_| TimestampError {
                found: text.to_owned(),
            })
    }

    /// The RFC 3339 rendering in UTC, e.g. `2026-12-01T00:00:00Z`.
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| format!("@{}", self.0))
    }

    /// Whole days from `self` until `later` (negative when `later` is in the past), rounded down.
    pub fn days_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0).div_euclid(Self::DAY)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339() {
        let t = Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T10:00:00Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-22T12:00:00+02:00").unwrap(),
            t
        );
    }

    #[test]
    fn rejects_garbage_with_the_text_found() {
        let e = Timestamp::parse_rfc3339("tomorrow").unwrap_err();
        assert!(e.to_string().contains("\"tomorrow\""), "{e}");
    }

    #[test]
    fn days_round_down_in_both_directions() {
        let t = Timestamp::from_unix(0);
        assert_eq!(t.days_until(Timestamp::from_unix(86_399)), 0);
        assert_eq!(t.days_until(Timestamp::from_unix(86_400)), 1);
        assert_eq!(t.days_until(Timestamp::from_unix(-1)), -1);
    }
}
