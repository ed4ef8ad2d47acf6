//! JSON merge patch (RFC 7396): the client sends only what changes; it is applied to the
//! resource's writable fields, and the result is checked like a new resource would be.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, json_error};

pub const CONTENT_TYPE: &str = "application/merge-patch+json";

/// Applies the patch in `body` to `current` and reads the result as `T`.
pub fn apply<T: Serialize + DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    current: &T,
) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case(CONTENT_TYPE)
        && !essence.eq_ignore_ascii_case("application/json")
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the patch as {CONTENT_TYPE}"
        )));
    }
    let patch: Value = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
    if !patch.is_object() {
        return Err(ApiError::invalid(
            "body",
            "a merge patch is a JSON object of the fields to change",
        ));
    }
    let mut document =
        serde_json::to_value(current).map_err(|e| ApiError::Internal(e.to_string()))?;
    json_patch::merge(&mut document, &patch);
    serde_json::from_value(document).map_err(|e| json_error(&e))
}
