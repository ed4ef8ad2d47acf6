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

/// `If-Match` as the contract states it: `*`, or one entity tag.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[!#-~]*")$"#;
/// Where the header is optional, an empty one is allowed too: it sets no condition.
pub const OPTIONAL_IF_MATCH_PATTERN: &str = r#"^(|\*|(W/)?"[!#-~]*")$"#;

/// The version the client says it holds: `None` for `If-Match: *` (any current version).
/// PATCH requires the header (428 without it): a merge patch built from an old copy would
/// quietly undo other people's changes.
pub fn required(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    optional(req)?.ok_or(ApiError::PreconditionRequired)
}

/// Like [`required`], for actions that are safe without the header: `Ok(None)` when absent.
///
/// A value that is not an entity tag is malformed (400); an empty one sets no condition. A
/// well-formed tag this API never issued, or a weak one, cannot match under the strong
/// comparison `If-Match` uses, so it is refused as stale (412, RFC 9110 s13.1.1).
pub fn optional(req: &HttpRequest) -> Result<Option<Option<i32>>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let malformed = || ApiError::Malformed("If-Match takes `*` or one ETag, such as \"3\"".into());
    let value = value.to_str().map(str::trim).map_err(|_| malformed())?;
    // An empty list of tags sets no condition (RFC 9110 s5.6.1 lets a list be empty).
    if value.is_empty() {
        return Ok(None);
    }
    if value == "*" {
        return Ok(Some(None));
    }
    let (weak, tag) = match value.strip_prefix("W/") {
        Some(tag) => (true, tag),
        None => (false, value),
    };
    let opaque = tag
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|v| v.bytes().all(|b| b == b'!' || (b'#'..=b'~').contains(&b)))
        .ok_or_else(malformed)?;
    match opaque.parse() {
        Ok(version) if !weak => Ok(Some(Some(version))),
        _ => Err(ApiError::Stale(format!(
            "If-Match {value} is not this resource's current ETag"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn if_match(value: &str) -> Result<Option<Option<i32>>, ApiError> {
        optional(
            &TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request(),
        )
    }

    #[test]
    fn a_strong_tag_or_a_star_names_what_the_client_holds() {
        assert!(matches!(if_match("\"7\""), Ok(Some(Some(7)))));
        assert!(matches!(if_match(" * "), Ok(Some(None))));
        assert!(matches!(
            optional(&TestRequest::default().to_http_request()),
            Ok(None)
        ));
    }

    #[test]
    fn a_tag_this_api_never_issued_is_stale_and_anything_else_malformed() {
        for stale in ["W/\"7\"", "\"abc\"", "\"\"", "\"99999999999\""] {
            assert!(
                matches!(if_match(stale), Err(ApiError::Stale(_))),
                "{stale}"
            );
        }
        assert!(
            matches!(if_match(" "), Ok(None)),
            "an empty list is no condition"
        );
        for malformed in ["null", "7", "\"7\", \"8\"", "\"a b\""] {
            assert!(
                matches!(if_match(malformed), Err(ApiError::Malformed(_))),
                "{malformed}"
            );
        }
    }
}
