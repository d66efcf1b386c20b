//! Python, parsed by RustPython's parser: `verify=False` (requests, httpx), `cert_reqs` and
//! `verify_mode` set to `ssl.CERT_NONE`, `check_hostname = False`, `minimum_version`,
//! `set_ciphers(…)`, `ssl._create_unverified_context()`, `PYTHONHTTPSVERIFY=0`, and aiokafka's
//! `security_protocol` and `ssl_check_hostname`.

use rustpython_ast::{Constant, Expr, ExprCall, Keyword, Ranged, StmtAssign, Visitor};
use rustpython_parser::{Mode, parse};
use tlscope_core::code::{Setting, SettingKind, endpoint_literal};

use crate::{Language, SourceError, position, version};

struct Finder<'t> {
    text: &'t str,
    out: Vec<Setting>,
}

impl Finder<'_> {
    fn push(&mut self, offset: usize, symbol: &str, kind: SettingKind) {
        let (line, _) = position(self.text, offset);
        self.out.push(Setting {
            line,
            symbol: symbol.to_owned(),
            kind,
        });
    }
}

fn constant(e: &Expr) -> Option<&Constant> {
    match e {
        Expr::Constant(c) => Some(&c.value),
        _ => None,
    }
}

fn is_false(e: &Expr) -> bool {
    matches!(constant(e), Some(Constant::Bool(false)))
}

fn string(e: &Expr) -> Option<&str> {
    match constant(e) {
        Some(Constant::Str(s)) => Some(s),
        _ => None,
    }
}

/// The last name of a dotted expression (`ssl.CERT_NONE` → `CERT_NONE`).
fn last_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Attribute(a) => Some(a.attr.as_str()),
        Expr::Name(n) => Some(n.id.as_str()),
        _ => None,
    }
}

impl Visitor for Finder<'_> {
    fn visit_expr_constant(&mut self, node: rustpython_ast::ExprConstant) {
        if let Constant::Str(s) = &node.value
            && let Some(kind) = endpoint_literal(s)
        {
            self.push(node.range.start().to_usize(), "string", kind);
        }
    }

    fn visit_keyword(&mut self, node: Keyword) {
        if let Some(arg) = node.arg.as_ref().map(|a| a.as_str().to_owned()) {
            let at = node.value.range().start().to_usize();
            let v = &node.value;
            match arg.as_str() {
                "verify" | "ssl_verify" if is_false(v) => {
                    self.push(at, &arg, SettingKind::VerifyOff)
                }
                "cert_reqs" | "ssl_cert_reqs"
                    if last_name(v) == Some("CERT_NONE") || string(v) == Some("none") =>
                {
                    self.push(at, &arg, SettingKind::VerifyOff);
                }
                "check_hostname" if is_false(v) => self.push(at, &arg, SettingKind::HostnameOff),
                "ssl_check_hostname" if is_false(v) => {
                    self.push(at, &arg, SettingKind::KafkaHostnameOff);
                }
                "security_protocol"
                    if string(v).is_some_and(|s| s.eq_ignore_ascii_case("PLAINTEXT")) =>
                {
                    self.push(at, &arg, SettingKind::KafkaPlaintext);
                }
                "ciphers" => {
                    if let Some(s) = string(v) {
                        self.push(at, &arg, SettingKind::Ciphers(s.to_owned()));
                    }
                }
                _ => {}
            }
        }
        self.generic_visit_keyword(node);
    }

    fn visit_stmt_assign(&mut self, node: StmtAssign) {
        let at = node.range.start().to_usize();
        for target in &node.targets {
            let name = match target {
                Expr::Attribute(a) => Some(a.attr.as_str().to_owned()),
                Expr::Subscript(s) => string(&s.slice).map(str::to_owned),
                _ => None,
            };
            let Some(name) = name else { continue };
            let v = &node.value;
            match name.as_str() {
                "check_hostname" if is_false(v) => self.push(at, &name, SettingKind::HostnameOff),
                "verify_mode" if last_name(v) == Some("CERT_NONE") => {
                    self.push(at, &name, SettingKind::VerifyOff);
                }
                "minimum_version" => {
                    if let Some(ver) = last_name(v).and_then(version) {
                        self.push(at, &name, SettingKind::MinVersion(ver));
                    }
                }
                "PYTHONHTTPSVERIFY" | "CURL_CA_BUNDLE"
                    if string(v) == Some("0") || string(v) == Some("") =>
                {
                    self.push(at, &name, SettingKind::VerifyOff);
                }
                _ => {}
            }
        }
        self.generic_visit_stmt_assign(node);
    }

    fn visit_expr_call(&mut self, node: ExprCall) {
        let at = node.range.start().to_usize();
        match last_name(&node.func) {
            Some("_create_unverified_context") => {
                self.push(at, "ssl._create_unverified_context", SettingKind::VerifyOff);
            }
            Some("set_ciphers") => {
                if let Some(s) = node.args.first().and_then(string) {
                    self.push(at, "set_ciphers", SettingKind::Ciphers(s.to_owned()));
                }
            }
            _ => {}
        }
        self.generic_visit_expr_call(node);
    }
}

pub(crate) fn settings(text: &str) -> Result<Vec<Setting>, SourceError> {
    let module = parse(text, Mode::Module, "<source>").map_err(|e| {
        let (line, column) = position(text, e.offset.to_usize());
        SourceError {
            language: Language::Python,
            line,
            column,
            message: e.error.to_string(),
        }
    })?;
    let mut finder = Finder {
        text,
        out: Vec::new(),
    };
    if let rustpython_ast::Mod::Module(m) = module {
        for stmt in m.body {
            finder.visit_stmt(stmt);
        }
    }
    Ok(finder.out)
}
