//! ETags and `If-Match`: a resource's ETag is its version, and a change sent with a stale one
//! is refused (412) rather than silently overwriting someone else's edit.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::ApiError;

/// A single resource with its ETag.
pub fn tagged(status: StatusCode, version: i32, body: impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{version}\"")))
        .json(body)
}

/// A newly created resource: 201 with its ETag and where to find it.
pub fn created(location: String, version: i32, body: impl Serialize) -> HttpResponse {
    let mut response = tagged(StatusCode::CREATED, version, body);
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The version the client says it holds: `None` for `If-Match: *` (any current version).
/// PATCH requires the header (428 without it): a merge patch built from an old copy would
/// quietly undo other people's changes.
pub fn required(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    optional(req)?.ok_or(ApiError::PreconditionRequired)
}

/// Like [`required`], for actions that are safe without the header: `Ok(None)` when absent.
pub fn optional(req: &HttpRequest) -> Result<Option<Option<i32>>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().map(str::trim).unwrap_or_default();
    if value == "*" {
        return Ok(Some(None));
    }
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse().ok())
        .map(|version| Some(Some(version)))
        .ok_or_else(|| {
            ApiError::Stale(format!(
                "If-Match {value} is not this resource's current ETag"
            ))
        })
}
