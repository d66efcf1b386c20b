//! The coordinator's HTTP routes: health and identity for anyone, enrolment on the
//! client-facing listener, heartbeats, renewal and the trust bundle over mTLS; a request from a
//! certificate revoked since the handshake is refused with the reason.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use tlscope_core::Timestamp;
use tlscope_core::handshake::Segment;

use super::{Coordinator, EdgeStatus};
use crate::ca::identity::Identity;
use crate::ca::{self, CaError};
use crate::store::Store;

impl Coordinator {
    pub(super) async fn respond(
        &self,
        req: Request<Incoming>,
        segment: Segment,
        identity: Option<String>,
        serial: &str,
        not_after: Option<Timestamp>,
    ) -> Response<Full<Bytes>> {
        if segment == Segment::Mtls && self.revoked.read().is_ok_and(|r| r.contains(serial)) {
            return json(
                StatusCode::FORBIDDEN,
                &serde_json::json!({"error": format!("certificate {serial} was revoked; reconnect with the current one")}),
                true,
            );
        }
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        let body = match http_body_util::Limited::new(req.into_body(), MAX_BODY)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return json(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &serde_json::json!({"error": format!("request bodies are limited to {MAX_BODY} bytes")}),
                    true,
                );
            }
        };
        match (segment, method.as_str(), path.as_str()) {
            (Segment::Client, "POST", "/v1/enroll") => self.enroll(&body).await,
            (Segment::Mtls, "POST", "/v1/renew") => {
                self.renew(identity.as_deref(), serial, &body).await
            }
            (Segment::Mtls, "GET", "/v1/trust") => {
                match self.blocking(ca::enrolment::trust).await {
                    Ok(bundle) => json(StatusCode::OK, &serde_json::json!(bundle), false),
                    Err(e) => ca_error(&e),
                }
            }
            (_, "GET", "/v1/whoami") => json(
                StatusCode::OK,
                &serde_json::json!({
                    "tenant": self.tenant,
                    "peer_identity": identity,
                    "peer_serial": (!serial.is_empty()).then_some(serial),
                    "coordinator_serial": self.serial(),
                }),
                false,
            ),
            (Segment::Mtls, "POST", "/v1/heartbeat") => {
                let Some(id) = identity else {
                    return json(
                        StatusCode::FORBIDDEN,
                        &serde_json::json!({"error": "no identity"}),
                        true,
                    );
                };
                let now = self.clock.now();
                if let Ok(mut edges) = self.edges.lock() {
                    let entry = edges.entry(id.clone()).or_insert_with(|| EdgeStatus {
                        identity: id.clone(),
                        coordinator: self.name.clone(),
                        serial: serial.to_owned(),
                        not_after,
                        last_heartbeat: now,
                        heartbeats: 0,
                        last_renewal: None,
                    });
                    entry.serial = serial.to_owned();
                    entry.not_after = not_after;
                    entry.last_heartbeat = now;
                    entry.heartbeats += 1;
                }
                let trust_digest = self
                    .blocking(ca::enrolment::trust)
                    .await
                    .map(|t| t.trust_digest)
                    .unwrap_or_default();
                json(
                    StatusCode::OK,
                    &serde_json::json!({
                        "ok": true,
                        "at": now,
                        "coordinator_serial": self.serial(),
                        "coordinator": self.name,
                        "trust_digest": trust_digest,
                    }),
                    false,
                )
            }
            (_, "GET", "/") => json(
                StatusCode::OK,
                &serde_json::json!({"service": "tlscope coordinator", "tenant": self.tenant}),
                false,
            ),
            _ => json(
                StatusCode::NOT_FOUND,
                &serde_json::json!({"error": format!("no route {method} {path}")}),
                false,
            ),
        }
    }
}

/// The largest request body the coordinator reads (a CSR and a token fit many times over).
const MAX_BODY: usize = 64 * 1024;

/// `POST /v1/enroll` and `POST /v1/renew` bodies.
#[derive(Debug, serde::Deserialize)]
struct CsrRequest {
    /// The join token (enrolment only).
    #[serde(default)]
    token: Option<String>,
    /// The PKCS#10 request, PEM.
    csr: String,
}

impl Coordinator {
    /// Runs a store operation off the async threads (it takes the store's file lock).
    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Store, &str) -> Result<T, CaError> + Send + 'static,
    ) -> Result<T, CaError> {
        let store = Arc::clone(&self.store);
        let tenant = self.tenant.clone();
        tokio::task::spawn_blocking(move || op(&store, &tenant))
            .await
            .unwrap_or_else(|e| Err(CaError::Issue(format!("the store task failed: {e}"))))
    }

    /// Enrolment: a one-time token and a CSR in, the node's certificate and trust out.
    async fn enroll(&self, body: &[u8]) -> Response<Full<Bytes>> {
        let request: CsrRequest = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => return bad_request(&format!("expected {{\"token\": …, \"csr\": PEM}}: {e}")),
        };
        let Some(token) = request.token else {
            return bad_request("expected a \"token\" field with the join token");
        };
        let (policy, now) = (Arc::clone(&self.policy), self.clock.now());
        let result = self
            .blocking(move |store, tenant| {
                ca::enrolment::enroll(store, tenant, &token, request.csr.as_bytes(), &policy, now)
            })
            .await;
        match result {
            Ok(issued) => {
                let _ = self.reload();
                json(StatusCode::OK, &serde_json::json!(issued), true)
            }
            Err(e) => ca_error(&e),
        }
    }

    /// Renewal over the mTLS channel: the identity is the authenticated certificate's.
    async fn renew(
        &self,
        identity: Option<&str>,
        serial: &str,
        body: &[u8],
    ) -> Response<Full<Bytes>> {
        let Some(identity) = identity.and_then(Identity::parse) else {
            return json(
                StatusCode::FORBIDDEN,
                &serde_json::json!({"error": "the client certificate carries no tlscope identity"}),
                true,
            );
        };
        let request: CsrRequest = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => return bad_request(&format!("expected {{\"csr\": PEM}}: {e}")),
        };
        let uri = identity.uri();
        let (policy, now, serial) = (
            Arc::clone(&self.policy),
            self.clock.now(),
            serial.to_owned(),
        );
        let result = self
            .blocking(move |store, _| {
                ca::enrolment::renew(
                    store,
                    &identity,
                    &serial,
                    request.csr.as_bytes(),
                    &policy,
                    now,
                )
            })
            .await;
        match result {
            Ok((issued, event)) => {
                self.counters.rotations.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut edges) = self.edges.lock()
                    && let Some(edge) = edges.get_mut(&uri)
                {
                    edge.last_renewal = Some(now);
                }
                let _ = self.events.send(event);
                let _ = self.reload();
                json(StatusCode::OK, &serde_json::json!(issued), false)
            }
            Err(e) => ca_error(&e),
        }
    }
}

fn bad_request(message: &str) -> Response<Full<Bytes>> {
    json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({"error": message}),
        true,
    )
}

/// A CA error as an HTTP answer: refusals of the request are 4xx with the reason, anything
/// else a 500 that says what failed.
fn ca_error(e: &CaError) -> Response<Full<Bytes>> {
    use ca::enrolment::EnrolError;
    let status = match e {
        CaError::Enrol(
            EnrolError::BadCsr(_)
            | EnrolError::BadKey(_)
            | EnrolError::NameMismatch { .. }
            | EnrolError::Malformed,
        ) => StatusCode::BAD_REQUEST,
        CaError::Enrol(_) | CaError::NodeExists { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    json(status, &serde_json::json!({"error": e.to_string()}), true)
}

fn json(status: StatusCode, body: &serde_json::Value, close: bool) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if close {
        headers.insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    response
}
