//! strongSwan: `ipsec.conf` (conn sections with `ike=`, `esp=`/`ah=`, `keyexchange=`,
//! `ikelifetime=`, `lifetime=`, `also=` and `conn %default`) and `swanctl.conf` (connections
//! with `version`, `proposals`, `rekey_time`, and children with `esp_proposals` and their own
//! `rekey_time`/`life_time`). Proposals are judged by [`crate::ipsec`]; strongSwan's defaults
//! count where nothing is set (an ESP proposal without a DH group, so no PFS).

use super::{ConfigError, Kind, at};
use crate::ipsec::{Sa, duration_seconds, judge_proposals};
use crate::policy::Policy;
use crate::report::Finding;

/// One `key=value` with its line.
#[derive(Debug, Clone)]
struct Setting {
    key: String,
    value: String,
    line: usize,
}

/// The proposals and lifetimes of one connection, whichever file it came from.
struct Connection<'s> {
    name: String,
    ike: Option<&'s Setting>,
    ike_version_1: Option<&'s Setting>,
    ike_lifetime: Option<&'s Setting>,
    children: Vec<Child<'s>>,
}

struct Child<'s> {
    name: String,
    line: usize,
    esp: Option<&'s Setting>,
    lifetime: Option<&'s Setting>,
}

fn judge(c: &Connection<'_>, policy: &Policy, out: &mut Vec<Finding>) {
    let push = |out: &mut Vec<Finding>, found: Vec<(crate::rules::RuleId, String)>, s: &Setting| {
        for (rule, text) in found {
            out.push(at(rule, format!("{}: {text}", c.name), s.line, &s.key));
        }
    };
    if let Some(s) = c.ike {
        push(out, judge_proposals(&s.value, Sa::Ike, policy), s);
    }
    if let Some(s) = c.ike_version_1 {
        out.push(at(
            crate::rule!("IPSEC-IKEV1"),
            format!("{}: {}={} negotiates IKEv1", c.name, s.key, s.value),
            s.line,
            &s.key,
        ));
    }
    if let Some(s) = c.ike_lifetime {
        out.extend(too_long(
            &c.name,
            s,
            "an IKE_SA",
            policy.ipsec.ike_max_lifetime_hours,
        ));
    }
    for child in &c.children {
        match child.esp {
            Some(s) => push(out, judge_proposals(&s.value, Sa::Child, policy), s),
            None if policy.ipsec.pfs => out.push(at(
                crate::rule!("IPSEC-NO-PFS"),
                format!(
                    "{}: no ESP proposal set: strongSwan's default has no DH group, so rekeyed CHILD_SAs have no perfect forward secrecy",
                    child.name
                ),
                child.line,
                "esp",
            )),
            None => {}
        }
        if let Some(s) = child.lifetime {
            out.extend(too_long(
                &child.name,
                s,
                "a CHILD_SA",
                policy.ipsec.child_max_lifetime_hours,
            ));
        }
    }
}

/// IPSEC-LIFETIME-LONG when the lifetime `s` keeps `what` (an IKE_SA, a CHILD_SA) of `owner`
/// beyond `max_hours`.
fn too_long(owner: &str, s: &Setting, what: &str, max_hours: u32) -> Option<Finding> {
    duration_seconds(&s.value)
        .filter(|t| *t > u64::from(max_hours) * 3600)
        .map(|_| {
            at(
                crate::rule!("IPSEC-LIFETIME-LONG"),
                format!(
                    "{owner}: {} {} keeps {what} beyond {max_hours} hours",
                    s.key, s.value
                ),
                s.line,
                &s.key,
            )
        })
}

/// ipsec.conf: `conn NAME` sections of indented `key=value` lines.
pub(super) fn lint_ipsec_conf(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let mut sections: Vec<(String, usize, Vec<Setting>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let content = raw.split('#').next().unwrap_or_default();
        if content.trim().is_empty() {
            continue;
        }
        let indented = content.starts_with([' ', '\t']);
        let trimmed = content.trim();
        if !indented {
            let mut words = trimmed.split_whitespace();
            let (kind, name) = (words.next().unwrap_or_default(), words.next());
            match (kind, name) {
                ("conn" | "ca", Some(name)) => {
                    sections.push((format!("{kind} {name}"), i + 1, Vec::new()))
                }
                ("config", Some("setup")) => {
                    sections.push(("config setup".into(), i + 1, Vec::new()))
                }
                ("include", Some(_)) | ("version", Some(_)) => {}
                _ => {
                    return Err(ConfigError {
                        kind: Kind::IpsecConf,
                        line: i + 1,
                        column: 1,
                        expected: "`conn NAME`, `ca NAME`, `config setup` or `include FILE` at the start of a line (settings are indented)".into(),
                    });
                }
            }
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(ConfigError {
                kind: Kind::IpsecConf,
                line: i + 1,
                column: raw.len() - raw.trim_start().len() + 1,
                expected: "an indented key=value setting".into(),
            });
        };
        let Some(section) = sections.last_mut() else {
            return Err(ConfigError {
                kind: Kind::IpsecConf,
                line: i + 1,
                column: 1,
                expected: "a `conn NAME` section before the first setting".into(),
            });
        };
        section.2.push(Setting {
            key: key.trim().to_owned(),
            value: value.trim().trim_matches('"').to_owned(),
            line: i + 1,
        });
    }
    let find = |name: &str| sections.iter().find(|(n, _, _)| n == name);
    let defaults = find("conn %default");
    let mut out = Vec::new();
    for (name, line, own) in &sections {
        if !name.starts_with("conn ") || name == "conn %default" {
            continue;
        }
        // Own settings first, then `also=` conns (one level, in order), then %default.
        let mut layers: Vec<&[Setting]> = vec![own];
        for also in own.iter().filter(|s| s.key == "also") {
            if let Some((_, _, s)) = find(&format!("conn {}", also.value)) {
                layers.push(s);
            }
        }
        if let Some((_, _, s)) = defaults {
            layers.push(s);
        }
        let get = |keys: &[&str]| {
            layers
                .iter()
                .find_map(|l| l.iter().rev().find(|s| keys.contains(&s.key.as_str())))
        };
        let conn_name = name.trim_start_matches("conn ").to_owned();
        let connection = Connection {
            name: conn_name.clone(),
            ike: get(&["ike"]),
            ike_version_1: get(&["keyexchange"]).filter(|s| s.value == "ikev1"),
            ike_lifetime: get(&["ikelifetime"]),
            children: vec![Child {
                name: conn_name,
                line: *line,
                esp: get(&["esp", "ah"]),
                lifetime: get(&["lifetime", "keylife"]),
            }],
        };
        judge(&connection, policy, &mut out);
    }
    Ok(out)
}

/// A swanctl.conf section: its name, line, settings and subsections.
#[derive(Debug, Default)]
struct Section {
    name: String,
    line: usize,
    settings: Vec<Setting>,
    sections: Vec<Section>,
}

impl Section {
    fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().rev().find(|s| s.key == key)
    }

    fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

fn parse_swanctl(text: &str) -> Result<Section, ConfigError> {
    let error = |line: usize, expected: String| ConfigError {
        kind: Kind::Swanctl,
        line,
        column: 1,
        expected,
    };
    let mut open = vec![Section::default()];
    for (i, raw) in text.lines().enumerate() {
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        if content == "}" {
            let done = open.pop().filter(|_| !open.is_empty());
            match (done, open.last_mut()) {
                (Some(done), Some(parent)) => parent.sections.push(done),
                _ => return Err(error(i + 1, "no section open for this } to close".into())),
            }
        } else if let Some(name) = content.strip_suffix('{') {
            open.push(Section {
                name: name.trim().to_owned(),
                line: i + 1,
                ..Section::default()
            });
        } else if let Some((key, value)) = content.split_once('=') {
            if let Some(section) = open.last_mut() {
                section.settings.push(Setting {
                    key: key.trim().to_owned(),
                    value: value.trim().trim_matches('"').to_owned(),
                    line: i + 1,
                });
            }
        } else {
            return Err(error(i + 1, "`key = value`, `name {` or `}`".into()));
        }
    }
    if open.len() > 1 {
        let line = open.last().map_or(0, |s| s.line);
        return Err(error(
            text.lines().count().max(1),
            format!("a closing }} for the section opened at line {line}"),
        ));
    }
    Ok(open.pop().unwrap_or_default())
}

/// swanctl.conf: `connections { NAME { … children { NAME { … } } } }`.
pub(super) fn lint_swanctl(text: &str, policy: &Policy) -> Result<Vec<Finding>, ConfigError> {
    let top = parse_swanctl(text)?;
    let mut out = Vec::new();
    for conn in top.section("connections").map_or(&[][..], |c| &c.sections) {
        let children = conn.section("children").map_or(&[][..], |c| &c.sections);
        let connection = Connection {
            name: conn.name.clone(),
            ike: conn.get("proposals"),
            ike_version_1: conn.get("version").filter(|s| s.value == "1"),
            ike_lifetime: conn.get("rekey_time"),
            children: children
                .iter()
                .map(|c| Child {
                    name: format!("{}/{}", conn.name, c.name),
                    line: c.line,
                    esp: c.get("esp_proposals").or_else(|| c.get("ah_proposals")),
                    lifetime: c.get("rekey_time").or_else(|| c.get("life_time")),
                })
                .collect(),
        };
        judge(&connection, policy, &mut out);
    }
    Ok(out)
}
