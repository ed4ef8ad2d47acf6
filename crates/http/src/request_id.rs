//! Request ids: taken from `X-Request-Id` when a caller sends a sensible one, made up otherwise,
//! carried by every log line of the request and returned in its response.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use uuid::Uuid;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    fn for_request(request: &ServiceRequest) -> Self {
        let sent = request
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| (1..=128).contains(&v.len()) && v.chars().all(|c| c.is_ascii_graphic()));
        Self(sent.map_or_else(|| Uuid::now_v7().to_string(), str::to_owned))
    }
}

/// The root span of every request, named by its route pattern so logs group by endpoint.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = RequestId::for_request(request);
        let span = tracing::info_span!(
            "request",
            request_id = %id.0,
            method = %request.method(),
            route = request.match_pattern().as_deref().unwrap_or("unmatched"),
            status = tracing::field::Empty,
        );
        request.extensions_mut().insert(id);
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.response().status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        span.in_scope(|| tracing::info!("request finished"));
    }
}

/// Echoes the request id in the response, so a caller can quote it when reporting a problem.
pub async fn echo(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request.extensions().get::<RequestId>().cloned();
    let mut response = next.call(request).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.0).ok()) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}
