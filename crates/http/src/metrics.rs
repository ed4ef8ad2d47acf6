//! Prometheus metrics at `/metrics`: requests by route, method and status, with labels only from
//! fixed sets, and readable only with the configured token when one is set.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, ResponseError};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};

use crate::Guards;
use crate::error::ApiError;

const PATH: &str = "/metrics";

pub(crate) fn registry() -> PrometheusMetrics {
    PrometheusMetricsBuilder::new("pathway")
        .endpoint(PATH)
        .mask_unmatched_patterns("unmatched")
        // The docs are static files under one wildcard route: not worth a time series.
        .exclude_regex("^/docs")
        .build()
        .expect("the metrics registry is built once per server")
}

/// A method HTTP does not define (anyone may send `FOO /`) is counted as `OTHER`: each one
/// added series without bound, 245 KB of metrics growing to 3.9 MB in 2,200 requests. The
/// request is answered as before, 404 or 405.
pub(crate) async fn fold_unknown_methods(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    if !KNOWN.contains(request.method()) {
        request.head_mut().method =
            Method::from_bytes(b"OTHER").expect("OTHER is a valid method token");
    }
    next.call(request).await
}

/// With `PATHWAY_METRICS_TOKEN` set, `/metrics` answers only `Authorization: Bearer <token>`.
pub(crate) async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let expected = request
        .app_data::<Data<Guards>>()
        .and_then(|guards| guards.metrics_token.clone());
    if let (true, Some(expected)) = (request.path() == PATH, expected) {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !presented.is_some_and(|token| same(token.as_bytes(), expected.as_bytes())) {
            let refusal = ApiError::Unauthenticated("the metrics need the metrics token");
            return Ok(request
                .into_response(refusal.error_response())
                .map_into_right_body());
        }
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Compares in time that depends only on the lengths, so the token cannot be guessed byte by
/// byte from how long a refusal takes.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}
