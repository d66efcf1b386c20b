//! The agent's HTTP server: the built dashboard (Trunk's `dist/`) and the `/api/v1` routes, on
//! loopback by default. Any other address needs a bearer token, checked on every API request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AgentError;

/// How the server is exposed.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The built dashboard; `None` serves a page explaining how to build it.
    pub dist: Option<PathBuf>,
    /// Bearer token required on `/api/` when set; mandatory off loopback.
    pub token: Option<String>,
}

/// `GET /api/v1/health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `ok` while the agent answers.
    pub status: &'static str,
    /// The agent's version.
    pub version: &'static str,
}

/// Opens the listener (failing clearly when the port is taken or a token is missing) and
/// returns it with the app to serve on it.
pub async fn bind(config: &ServerConfig) -> Result<(tokio::net::TcpListener, Router), AgentError> {
    if !config.listen.ip().is_loopback() && config.token.is_none() {
        return Err(AgentError::TokenRequired {
            addr: config.listen,
        });
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| AgentError::Bind {
            addr: config.listen,
            source,
        })?;
    Ok((
        listener,
        router(config.dist.as_deref(), config.token.clone()),
    ))
}

/// The whole app: API routes, then the dashboard for everything else.
pub fn router(dist: Option<&Path>, token: Option<String>) -> Router {
    let api =
        Router::new()
            .route("/api/v1/health", get(health))
            .layer(middleware::from_fn_with_state(
                Arc::new(token),
                require_token,
            ));
    let app = match dist.filter(|d| d.join("index.html").is_file()) {
        Some(dist) => {
            let index = dist.join("index.html");
            api.fallback_service(ServeDir::new(dist).fallback(ServeFile::new(index)))
        }
        None => api.fallback(dashboard_missing),
    };
    app.layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ))
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

async fn dashboard_missing() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><title>tlscope</title><h1>tlscope agent</h1>\
             <p>The dashboard has not been built. Run <code>cargo xtask demo</code>, \
             or <code>trunk build --release</code> and pass <code>--dist dist</code>.</p>\
             <p>The API is up: <a href=\"/api/v1/health\">/api/v1/health</a>.</p>",
        ),
    )
}

async fn require_token(
    State(token): State<Arc<Option<String>>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(expected) = token.as_deref() {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "missing or wrong bearer token\n",
            )
                .into_response();
        }
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn non_loopback_without_token_is_refused() {
        let config = ServerConfig {
            listen: "0.0.0.0:0".parse().unwrap(),
            dist: None,
            token: None,
        };
        assert!(matches!(
            bind(&config).await,
            Err(AgentError::TokenRequired { .. })
        ));
    }

    #[tokio::test]
    async fn token_is_required_when_set() {
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            dist: None,
            token: Some("s3cret".into()),
        };
        let (listener, app) = bind(&config).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let status = |auth: Option<&'static str>| async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let auth = auth
                .map(|a| format!("Authorization: {a}\r\n"))
                .unwrap_or_default();
            let req = format!(
                "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
            );
            tokio::io::AsyncWriteExt::write_all(&mut stream, req.as_bytes())
                .await
                .unwrap();
            let mut buf = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut buf)
                .await
                .unwrap();
            buf.lines().next().unwrap_or_default().to_owned()
        };
        assert!(status(None).await.contains("401"));
        assert!(status(Some("Bearer wrong")).await.contains("401"));
        assert!(status(Some("Bearer s3cret")).await.contains("200"));
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
