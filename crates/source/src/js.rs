//! JavaScript and TypeScript, parsed by oxc: TLS options in object literals (`tls.connect`,
//! `https.request`/`Agent`, `https.createServer`, `ws`, node-postgres and ioredis `ssl`/`tls`),
//! `process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'`, and gRPC `ServerCredentials.createSsl`.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrowFunctionBody, AssignmentExpression, AssignmentTarget, CallExpression, Expression,
    ObjectProperty, StringLiteral, TemplateLiteral,
};
use oxc_ast_visit::{Visit, walk};
use oxc_parser::Parser;
use oxc_span::SourceType;
use tlscope_core::code::{Setting, SettingKind, endpoint_literal};

use crate::{Language, SourceError, position, version};

struct Finder<'t> {
    text: &'t str,
    out: Vec<Setting>,
}

impl Finder<'_> {
    fn push(&mut self, offset: u32, symbol: &str, kind: SettingKind) {
        let (line, _) = position(self.text, offset as usize);
        self.out.push(Setting {
            line,
            symbol: symbol.to_owned(),
            kind,
        });
    }
}

/// A literal's text: a string, a template without substitutions, a number, a boolean.
fn literal(e: &Expression<'_>) -> Option<String> {
    match e {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
            t.quasis.first().map(|q| q.value.raw.to_string())
        }
        Expression::NumericLiteral(n) => Some(n.value.to_string()),
        Expression::BooleanLiteral(b) => Some(b.value.to_string()),
        _ => None,
    }
}

impl<'a> Visit<'a> for Finder<'_> {
    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        if let Some(kind) = endpoint_literal(&it.value) {
            self.push(it.span.start, "string", kind);
        }
    }

    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        if it.expressions.is_empty()
            && let Some(kind) = it
                .quasis
                .first()
                .and_then(|q| endpoint_literal(&q.value.raw))
        {
            self.push(it.span.start, "template", kind);
        }
        walk::walk_template_literal(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        if let Some(key) = it.key.static_name() {
            let value = literal(&it.value);
            let at = it.span.start;
            match (key.as_ref(), value.as_deref()) {
                ("rejectUnauthorized", Some("false")) => {
                    self.push(at, &key, SettingKind::VerifyOff)
                }
                ("minVersion", Some(v)) => {
                    if let Some(v) = version(v) {
                        self.push(at, &key, SettingKind::MinVersion(v));
                    }
                }
                ("secureProtocol", Some(v)) => {
                    if let Some(v) = version(v) {
                        self.push(at, &key, SettingKind::MinVersion(v));
                    }
                }
                ("ciphers", Some(v)) => self.push(at, &key, SettingKind::Ciphers(v.to_owned())),
                // `checkServerIdentity: () => {}`: a check that never fails.
                ("checkServerIdentity", _)
                    if matches!(
                        &it.value,
                        Expression::ArrowFunctionExpression(f)
                            if matches!(&f.body, ArrowFunctionBody::FunctionBody(b) if b.statements.is_empty())
                    ) =>
                {
                    self.push(at, &key, SettingKind::HostnameOff);
                }
                _ => {}
            }
        }
        walk::walk_object_property(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left
            && m.property.name == "NODE_TLS_REJECT_UNAUTHORIZED"
            && literal(&it.right).as_deref() == Some("0")
        {
            self.push(
                it.span.start,
                "NODE_TLS_REJECT_UNAUTHORIZED",
                SettingKind::VerifyOff,
            );
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        // grpc.ServerCredentials.createSsl(rootCerts, keyCertPairs, checkClientCertificate)
        if let Expression::StaticMemberExpression(m) = &it.callee
            && m.property.name == "createSsl"
            && matches!(&m.object, Expression::StaticMemberExpression(o) if o.property.name == "ServerCredentials")
                | matches!(&m.object, Expression::Identifier(i) if i.name == "ServerCredentials")
        {
            let third = it
                .arguments
                .get(2)
                .and_then(|a| a.as_expression())
                .and_then(literal);
            if third.as_deref() != Some("true") {
                self.push(
                    it.span.start,
                    "ServerCredentials.createSsl",
                    SettingKind::ClientCertNotRequired,
                );
            }
        }
        walk::walk_call_expression(self, it);
    }
}

pub(crate) fn settings(
    path: &str,
    text: &str,
    lang: Language,
) -> Result<Vec<Setting>, SourceError> {
    let allocator = Allocator::default();
    let source_type = SourceType::from_path(path).unwrap_or_else(|_| match lang {
        Language::TypeScript => SourceType::ts(),
        _ => SourceType::mjs(),
    });
    let parsed = Parser::new(&allocator, text, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let first = parsed.diagnostics.iter().next();
        let offset = first
            .and_then(|d| d.labels.first())
            .map_or(0, |l| l.offset());
        let (line, column) = position(text, offset as usize);
        return Err(SourceError {
            language: lang,
            line,
            column,
            message: first.map_or_else(|| "a syntax error".to_owned(), |d| d.message.to_string()),
        });
    }
    let mut finder = Finder {
        text,
        out: Vec::new(),
    };
    finder.visit_program(&parsed.program);
    Ok(finder.out)
}
