//! The agent's HTTP server: the built dashboard (Trunk's `dist/`), the `/api/v1` routes
//! (health, snapshot, Server-Sent Events, probe, OpenAPI) and `/metrics`, on loopback by default.
//! Any other address needs a bearer token, checked on every API and metrics request. CORS admits
//! the dashboard origins given, so a statically hosted dashboard can connect to an agent.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AgentError;
use crate::clock::{Clock, SystemClock};
use crate::observatory::Observatory;
use crate::probe::ProbeOptions;

/// The API's state: the observations, the policy `/metrics` judges rotation status under, the
/// clock, and how `POST /api/v1/probe` probes.
#[derive(Debug, Clone)]
pub struct Api {
    /// What the agent has observed.
    pub observatory: Observatory,
    /// The policy.
    pub policy: Arc<tlscope_core::Policy>,
    /// The agent's clock.
    pub clock: Arc<dyn Clock>,
    /// Options for probes the API runs.
    pub probe_options: ProbeOptions,
}

impl Default for Api {
    fn default() -> Self {
        Self {
            observatory: Observatory::new(),
            policy: Arc::new(tlscope_core::Policy::default()),
            clock: Arc::new(SystemClock),
            probe_options: ProbeOptions::default(),
        }
    }
}

/// The OpenAPI 3.1 description of the API.
pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");

/// How the server is exposed.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The built dashboard; `None` serves a page explaining how to build it.
    pub dist: Option<PathBuf>,
    /// Bearer token required on `/api/` and `/metrics` when set; mandatory off loopback.
    pub token: Option<String>,
    /// Dashboard origins allowed by CORS (e.g. `https://tlscope.example`).
    pub cors: Vec<String>,
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
pub async fn bind(
    config: &ServerConfig,
    api: Api,
) -> Result<(tokio::net::TcpListener, Router), AgentError> {
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
        router(
            config.dist.as_deref(),
            config.token.clone(),
            &config.cors,
            api,
        ),
    ))
}

/// The whole app: API routes, then the dashboard for everything else.
pub fn router(dist: Option<&Path>, token: Option<String>, cors: &[String], state: Api) -> Router {
    let origins: Vec<HeaderValue> = cors
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    let api = Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/snapshot", get(snapshot))
        .route("/api/v1/events", get(events))
        .route("/api/v1/probe", post(probe))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/metrics", get(metrics))
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            Arc::new(token),
            require_token,
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
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

async fn snapshot(State(api): State<Api>) -> Json<crate::observatory::Snapshot> {
    Json(api.observatory.snapshot(api.clock.now()))
}

async fn metrics(State(api): State<Api>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&api.observatory, &api.policy, api.clock.now()),
    )
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn events(
    State(api): State<Api>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    use tokio::sync::broadcast::error::RecvError;
    let stream = futures_util::stream::unfold(api.observatory.subscribe(), |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(observation) => {
                    let kind = match &observation {
                        crate::observatory::Observation::Handshake(_) => "handshake",
                        crate::observatory::Observation::Probe(_) => "probe",
                        crate::observatory::Observation::Rotation(_) => "rotation",
                    };
                    // The observation types always serialise; one that did not is skipped
                    // rather than sent as an empty event.
                    if let Ok(data) = serde_json::to_string(&observation) {
                        return Some((Ok(Event::default().event(kind).data(data)), rx));
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// `POST /api/v1/probe` body.
#[derive(Debug, Deserialize)]
pub struct ProbeRequest {
    /// Targets as `tlscope probe` takes them.
    pub targets: Vec<String>,
}

async fn probe(State(api): State<Api>, Json(request): Json<ProbeRequest>) -> Response {
    let mut targets = Vec::new();
    for t in &request.targets {
        match crate::probe::parse(t) {
            Ok(t) => targets.push(t),
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(serde_json::json!({ "error": e.to_string() })),
                )
                    .into_response();
            }
        }
    }
    if targets.is_empty() || targets.len() > 64 {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "expected 1 to 64 targets" })),
        )
            .into_response();
    }
    let observatory = api.observatory.clone();
    let reports = crate::probe::probe_all(&targets, &api.probe_options, api.clock.now(), 8, &|r| {
        observatory.probe(r.clone())
    })
    .await;
    Json(reports).into_response()
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
        // Browsers cannot set headers on an EventSource, so the event stream alone also takes
        // the token as `?access_token=`.
        let from_query = (request.uri().path() == "/api/v1/events")
            .then(|| request.uri().query())
            .flatten()
            .and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("access_token="))
                    .map(str::to_owned)
            });
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned)
            .or(from_query)
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
            cors: Vec::new(),
        };
        assert!(matches!(
            bind(&config, Api::default()).await,
            Err(AgentError::TokenRequired { .. })
        ));
    }

    #[tokio::test]
    async fn token_is_required_when_set() {
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            dist: None,
            token: Some("s3cret".into()),
            cors: Vec::new(),
        };
        let (listener, app) = bind(&config, Api::default()).await.unwrap();
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
        let get = |path: &'static str| async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            tokio::io::AsyncWriteExt::write_all(&mut stream, req.as_bytes())
                .await
                .unwrap();
            let mut buf = [0u8; 64];
            let n = tokio::io::AsyncReadExt::read(&mut stream, &mut buf)
                .await
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        };
        // The query token works for the event stream only.
        assert!(
            get("/api/v1/events?access_token=s3cret")
                .await
                .contains("200")
        );
        assert!(
            get("/api/v1/events?access_token=wrong")
                .await
                .contains("401")
        );
        assert!(
            get("/api/v1/snapshot?access_token=s3cret")
                .await
                .contains("401")
        );
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
