//! The error responses every operation shares, declared once in the contract's components and
//! referenced by status. Each is also a response set of its own, so an operation's annotation
//! names them (`NotFound, PatchErrors`) instead of spelling out status and reference. Conflicts
//! (409) stay with their operations: what conflicts differs. 401 is not named anywhere: every
//! operation that needs credentials gets it from [`crate::openapi`], with the bearer security.

use std::collections::BTreeMap;

use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{IntoResponses, ToResponse};

use crate::error::Problem;

/// A problem+json response component answered with one status.
macro_rules! problem_response {
    ($(#[doc = $doc:literal])* $name:ident = $status:literal) => {
        $(#[doc = $doc])*
        #[derive(ToResponse)]
        #[response(content_type = "application/problem+json")]
        pub struct $name(pub Problem);

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                reference(&[($status, stringify!($name))])
            }
        }
    };
}

problem_response! {
    /// The body is not valid JSON, or the query string or cursor is malformed.
    BadRequest = "400"
}
problem_response! {
    /// No token, or one that is malformed, expired or wrongly signed; `WWW-Authenticate: Bearer` is set.
    Unauthorized = "401"
}
problem_response! {
    /// The caller's role, or their relation to the record, does not allow this.
    Forbidden = "403"
}
problem_response! {
    /// No such resource.
    NotFound = "404"
}
problem_response! {
    /// The resource changed since the `If-Match` ETag was read: read it again and retry.
    PreconditionFailed = "412"
}
problem_response! {
    /// The body is larger than 256 KiB.
    PayloadTooLarge = "413"
}
problem_response! {
    /// The body's content type is not one the operation reads.
    UnsupportedMediaType = "415"
}
problem_response! {
    /// Values the rules refuse; `errors` names each bad field.
    Unprocessable = "422"
}
problem_response! {
    /// The change needs an `If-Match` header with the resource's ETag.
    PreconditionRequired = "428"
}
problem_response! {
    /// The caller's quota of requests for the minute is used (see the `RateLimit` header), or,
    /// with a client's id and secret, too many were wrong lately: `Retry-After` says how many
    /// seconds to wait.
    TooManyRequests = "429"
}
problem_response! {
    /// The database does not answer, or, with a client's secret, too many secret checks are under
    /// way: `Retry-After` says how many seconds to wait.
    Unavailable = "503"
}

/// What can go wrong with a JSON body: it does not parse, is too large, is not JSON, or holds
/// values the rules refuse.
pub struct BodyErrors;

impl IntoResponses for BodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        reference(BODY)
    }
}

/// A merge patch's failures: those of any body, and a missing resource or a missing or stale
/// `If-Match`.
pub struct PatchErrors;

impl IntoResponses for PatchErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = reference(BODY);
        responses.extend(reference(&[
            ("404", "NotFound"),
            ("412", "PreconditionFailed"),
            ("428", "PreconditionRequired"),
        ]));
        responses
    }
}

const BODY: &[(&str, &str)] = &[
    ("400", "BadRequest"),
    ("413", "PayloadTooLarge"),
    ("415", "UnsupportedMediaType"),
    ("422", "Unprocessable"),
];

fn reference(responses: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    responses
        .iter()
        .map(|(status, name)| ((*status).to_owned(), Ref::from_response_name(*name).into()))
        .collect()
}
