//! The error responses every operation shares, declared once in the contract's components and
//! referenced by status. Conflicts (409) stay with their operations: what conflicts differs.

use utoipa::ToResponse;

use crate::error::Problem;

/// The body is not valid JSON, or the query string or cursor is malformed.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct BadRequest(pub Problem);

/// No token, or one that is malformed, expired or wrongly signed; `WWW-Authenticate: Bearer` is set.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unauthorized(pub Problem);

/// The caller's role, or their relation to the record, does not allow this.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Forbidden(pub Problem);

/// No such resource.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct NotFound(pub Problem);

/// The resource changed since the `If-Match` ETag was read: read it again and retry.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PreconditionFailed(pub Problem);

/// The body is larger than 256 KiB.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PayloadTooLarge(pub Problem);

/// The body's content type is not one the operation reads.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct UnsupportedMediaType(pub Problem);

/// Values the rules refuse; `errors` names each bad field.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unprocessable(pub Problem);

/// The change needs an `If-Match` header with the resource's ETag.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct PreconditionRequired(pub Problem);

/// The database does not answer; try again shortly.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
pub struct Unavailable(pub Problem);
