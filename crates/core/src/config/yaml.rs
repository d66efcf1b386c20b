//! YAML as the configuration dialects need it (Kubernetes manifests, Envoy): yaml-rust2's event
//! parser builds a tree that keeps every node's line, with an explicit stack and a depth bound
//! so hostile input cannot exhaust the stack.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::{ConfigError, Kind};

/// A YAML node and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Scalar(String, usize),
    Map(Vec<(String, Node)>, usize),
    Seq(Vec<Node>, usize),
}

impl Node {
    pub(super) fn line(&self) -> usize {
        match self {
            Node::Scalar(_, l) | Node::Map(_, l) | Node::Seq(_, l) => *l,
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries, _) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node at a dotted path (`spec.mtls.mode`).
    pub(super) fn path(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |n, k| n.get(k))
    }

    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub(super) fn items(&self) -> &[Node] {
        match self {
            Node::Seq(items, _) => items,
            _ => &[],
        }
    }
}

/// Deepest nesting accepted (a manifest is rarely deeper than 20).
const MAX_DEPTH: usize = 128;

/// Builds trees from parser events with an explicit stack (no recursion on input depth).
#[derive(Default)]
struct Builder {
    documents: Vec<Node>,
    stack: Vec<(Node, Option<String>)>,
    too_deep: Option<usize>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some((Node::Seq(items, _), _)) => items.push(node),
            Some((Node::Map(entries, _), pending)) => match pending.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    // A key. Complex (non-scalar) keys are kept as their first line's text.
                    let key = match node {
                        Node::Scalar(s, _) => s,
                        other => format!("<complex key at line {}>", other.line()),
                    };
                    *pending = Some(key);
                }
            },
            Some((Node::Scalar(..), _)) => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.too_deep.is_some() {
            return;
        }
        let line = mark.line();
        match ev {
            Event::Scalar(value, ..) => self.push_value(Node::Scalar(value, line)),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.too_deep = Some(line);
                    return;
                }
                let node = if matches!(ev, Event::SequenceStart(..)) {
                    Node::Seq(Vec::new(), line)
                } else {
                    Node::Map(Vec::new(), line)
                };
                self.stack.push((node, None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, _)) = self.stack.pop() {
                    self.push_value(node);
                }
            }
            Event::Alias(_) => self.push_value(Node::Scalar(String::new(), line)),
            _ => {}
        }
    }
}

/// Every document of `text`, read as `kind` (which its errors name).
pub(super) fn parse(text: &str, kind: Kind) -> Result<Vec<Node>, ConfigError> {
    let mut builder = Builder::default();
    Parser::new_from_str(text)
        .load(&mut builder, true)
        .map_err(|e| ConfigError {
            kind,
            line: e.marker().line(),
            column: e.marker().col() + 1,
            expected: format!("valid YAML: {}", e.info()),
        })?;
    if let Some(line) = builder.too_deep {
        return Err(ConfigError {
            kind,
            line,
            column: 1,
            expected: format!("nesting at most {MAX_DEPTH} levels deep"),
        });
    }
    Ok(builder.documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Node>, ConfigError> {
        super::parse(text, Kind::Kubernetes)
    }

    #[test]
    fn lines_follow_the_yaml() {
        let docs = parse("a: 1\n---\nkind: X\nspec:\n  mtls:\n    mode: PERMISSIVE\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].path("spec.mtls.mode").map(Node::line), Some(6));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&text).is_err());
    }
}
