use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use pathway_domain::{DomainError, FieldError};
use pathway_persistence::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem: every error Pathway returns has this shape.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "The request has invalid values",
    "status": 422,
    "detail": "email: must be an email address like name@council.gov.uk",
    "errors": [{"field": "email", "message": "must be an email address like name@council.gov.uk"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per bad field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Everything a handler can fail with, mapped to a status and a problem in one place.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Malformed(String),
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Stale(String),
    #[error("this change needs an If-Match header with the resource's current ETag")]
    PreconditionRequired,
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("this path answers only {0}")]
    MethodNotAllowed(&'static str),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("the body was not sent within {0} seconds")]
    BodyTimeout(u64),
    #[error("too many failed attempts; try again in {0} seconds")]
    TooManyRequests(u64),
    #[error("your quota of requests for this minute is used; try again in {0} seconds")]
    RateLimited(u64),
    #[error("the server is busy checking other credentials; try again shortly")]
    Busy,
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// What this server was not set up to do; trying again will not help.
    #[error("{0}")]
    Unconfigured(&'static str),
    #[error("internal error")]
    Internal(String),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// How many seconds to wait before trying again, for the refusals that pass by themselves.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests(seconds) | Self::RateLimited(seconds) => Some(*seconds),
            Self::Busy => Some(1),
            Self::Unavailable => Some(5),
            _ => None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::Malformed(_) => ("malformed-request", "The request could not be read"),
            Self::Unauthenticated(_) => ("unauthenticated", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::Conflict(_) => (
                "conflict",
                "The request conflicts with the resource's state",
            ),
            Self::Stale(_) => ("stale", "The resource has changed"),
            Self::PreconditionRequired => ("precondition-required", "If-Match required"),
            Self::Invalid(_) => ("validation", "The request has invalid values"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported content type"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            Self::BodyTimeout(_) => ("body-timeout", "The request body took too long"),
            Self::TooManyRequests(_) => ("too-many-requests", "Too many requests"),
            Self::RateLimited(_) => ("rate-limited", "Too many requests"),
            Self::Busy => ("busy", "Service busy"),
            Self::Unavailable => ("unavailable", "Service unavailable"),
            Self::Unconfigured(_) => ("unconfigured", "Not configured on this server"),
            Self::Internal(_) => ("internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let errors = match self {
            Self::Invalid(fields) => fields
                .iter()
                .map(|f| FieldProblem {
                    field: f.field.clone(),
                    message: f.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        // Internal details go to the log, never to the client.
        let detail = match self {
            Self::Internal(_) => {
                "something went wrong on our side; the request id is in the X-Request-Id header"
                    .into()
            }
            other => other.to_string(),
        };
        Problem {
            kind: format!("/problems/{kind}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Stale(_) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests(_) | Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy | Self::Unavailable | Self::Unconfigured(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            Self::Unauthenticated(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, *allow));
            }
            _ => {}
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self.problem())
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(fields) => Self::Invalid(fields),
            DomainError::Conflict(message) => Self::Conflict(message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StoreError::Domain(error) => error.into(),
            StoreError::Duplicate { .. } => Self::Conflict(error.to_string()),
            StoreError::Stale(_) => Self::Stale(format!(
                "{error}; read it again and retry with its new ETag"
            )),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::Unavailable
            }
            StoreError::Internal(_) | StoreError::Corrupt(..) => {
                Self::Internal(format!("{error:?}"))
            }
        }
    }
}

/// A body that does not parse as the expected JSON: bad syntax is malformed (400), while
/// well-formed JSON with wrong or missing values is invalid (422).
pub fn json_error(error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => ApiError::invalid("body", error.to_string()),
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::Malformed(format!("the body is not valid JSON: {error}"))
        }
    }
}

/// Reads a JSON body taken as bytes (by handlers that also fingerprint it for idempotency),
/// with the same answers as the JSON extractor: 415, 400 for bad JSON, 422 for bad values.
pub fn json_body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<T, ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as application/json".into(),
        ));
    }
    serde_json::from_slice(body).map_err(|e| json_error(&e))
}

pub fn json_payload_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match error {
        JsonPayloadError::Deserialize(e) => json_error(&e),
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send the body as application/json".into())
        }
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::PayloadTooLarge(format!("the body must be at most {limit} bytes"))
        }
        other => ApiError::Malformed(other.to_string()),
    }
    .into()
}

pub fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::Malformed(format!("the query string is not valid: {error}")).into()
}

pub fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    // Ids in paths are UUIDs; anything else names no resource.
    ApiError::NotFound(format!("nothing is found at this path: {error}")).into()
}
