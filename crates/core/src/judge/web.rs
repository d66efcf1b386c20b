//! Web front-end rules shared by configuration linting and live probes: what is weak about a
//! Strict-Transport-Security header value under the policy.

use crate::policy::Policy;

/// What falls short in an HSTS header value (empty when it meets the policy).
pub fn hsts_weaknesses(value: &str, policy: &Policy) -> Vec<String> {
    let lower = value.to_ascii_lowercase();
    let max_age = lower
        .split(';')
        .find_map(|p| p.trim().strip_prefix("max-age="))
        .and_then(|v| v.trim_matches('"').parse::<i64>().ok())
        .unwrap_or(0);
    let mut weak = Vec::new();
    if max_age < policy.web.hsts_min_max_age {
        weak.push(format!(
            "max-age={max_age} is below {}",
            policy.web.hsts_min_max_age
        ));
    }
    if policy.web.hsts_include_subdomains && !lower.contains("includesubdomains") {
        weak.push("no includeSubDomains".into());
    }
    if policy.web.hsts_preload && !lower.contains("preload") {
        weak.push("no preload".into());
    }
    weak
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_header_is_enough_and_short_ones_are_not() {
        let p = Policy::default();
        assert!(hsts_weaknesses("max-age=31536000; includeSubDomains; preload", &p).is_empty());
        let weak = hsts_weaknesses("max-age=300", &p);
        assert_eq!(weak.len(), 3, "{weak:?}");
    }
}
