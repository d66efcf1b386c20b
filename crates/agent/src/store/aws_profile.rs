//! The AWS shared credentials file, the one link of the standard AWS credential chain that
//! object_store does not read itself: `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`),
//! profile `AWS_PROFILE` (or `default`). Used only when the environment names no access key and
//! no web identity, so environment, web identity and instance metadata keep their precedence.

use std::path::PathBuf;

/// An access key from a profile.
#[derive(Clone, PartialEq, Eq)]
pub struct ProfileCredentials {
    /// `aws_access_key_id`.
    pub access_key_id: String,
    /// `aws_secret_access_key` (never printed: Debug masks it).
    pub secret_access_key: String,
    /// `aws_session_token`, for temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for ProfileCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"********")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "********"),
            )
            .finish()
    }
}

/// The keys of `profile` in the INI text of a credentials file, when it has both.
pub fn parse(text: &str, profile: &str) -> Option<ProfileCredentials> {
    let mut in_profile = false;
    let (mut key, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = section.trim() == profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "aws_access_key_id" => key = Some(v),
                "aws_secret_access_key" => secret = Some(v),
                "aws_session_token" => token = Some(v),
                _ => {}
            }
        }
    }
    Some(ProfileCredentials {
        access_key_id: key?,
        secret_access_key: secret?,
        session_token: token,
    })
}

/// The profile's credentials when the environment (read through `var`) leaves them to the
/// shared credentials file.
pub fn from_environment(var: impl Fn(&str) -> Option<String>) -> Option<ProfileCredentials> {
    let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID") || set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        return None;
    }
    let file = var("AWS_SHARED_CREDENTIALS_FILE")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".aws").join("credentials")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let profile = var("AWS_PROFILE").filter(|p| !p.is_empty());
    parse(&text, profile.as_deref().unwrap_or("default"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# shared credentials
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = s3cr3t

[ci]
aws_access_key_id=AKIACI
aws_secret_access_key=ci-secret
aws_session_token = tok
[half]
aws_access_key_id = AKIAHALF
";

    #[test]
    fn profiles_are_read_and_incomplete_ones_ignored() {
        let d = parse(FILE, "default").unwrap();
        assert_eq!(
            (d.access_key_id.as_str(), d.session_token),
            ("AKIADEFAULT", None)
        );
        let ci = parse(FILE, "ci").unwrap();
        assert_eq!(ci.secret_access_key, "ci-secret");
        assert_eq!(ci.session_token.as_deref(), Some("tok"));
        assert_eq!(parse(FILE, "half"), None, "a key without its secret");
        assert_eq!(parse(FILE, "nope"), None);
        assert!(
            !format!("{ci:?}").contains("ci-secret"),
            "Debug masks the secret"
        );
    }

    #[test]
    fn the_environment_comes_first() {
        let dir = std::env::temp_dir().join(format!("tlscope-aws-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("credentials");
        std::fs::write(&file, FILE).unwrap();
        let shown = file.display().to_string();
        let env = |pairs: &'static [(&'static str, &'static str)], file: String| {
            move |name: &str| {
                if name == "AWS_SHARED_CREDENTIALS_FILE" {
                    return Some(file.clone());
                }
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let found = from_environment(env(&[("AWS_PROFILE", "ci")], shown.clone())).unwrap();
        assert_eq!(found.access_key_id, "AKIACI");
        assert_eq!(
            from_environment(env(&[("AWS_ACCESS_KEY_ID", "AKIAENV")], shown.clone())),
            None,
            "keys in the environment win"
        );
        assert_eq!(
            from_environment(env(&[("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")], shown)),
            None,
            "web identity wins"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
