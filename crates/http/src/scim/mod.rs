//! `/scim/v2`: SCIM 2.0 (RFC 7643, RFC 7644) for identity providers and HR systems that
//! provision users. SCIM users are Pathway learners: one record, two views.

pub mod discovery;
mod filter;
mod patch;
mod user;

use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::QueryPayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, Data, Path, Query};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use actix_web::{delete, get, patch, post, put};
use chrono::Utc;
use pathway_domain::DomainError;
use pathway_domain::api_client::Scope;
use pathway_domain::calendar::london_date;
use pathway_persistence::effects::write;
use pathway_persistence::scim::{self as store, ScimUser};
use pathway_persistence::{DatabaseConnection, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToResponse, ToSchema};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Integration};
use crate::error::ApiError;
use crate::headers::IdempotencyKey;
use crate::idempotency;

pub use user::{ScimUserInput, ScimUserView};

pub const MEDIA_TYPE: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const CORE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const ENTERPRISE_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Results per page unless the client asks for fewer.
const DEFAULT_COUNT: u64 = 100;
/// The most a page holds, as the service provider configuration says.
pub(crate) const MAX_COUNT: u64 = 1000;

/// No token, or one that is malformed, expired or wrongly signed.
#[derive(ToResponse)]
#[response(content_type = "application/scim+json")]
pub struct ScimUnauthorized(pub ScimError);

/// The caller's quota of requests for the minute is used: `Retry-After` says how many seconds to
/// wait.
#[derive(ToResponse)]
#[response(content_type = "application/scim+json")]
pub struct ScimTooManyRequests(pub ScimError);

/// The database does not answer: `Retry-After` says how many seconds to wait.
#[derive(ToResponse)]
#[response(content_type = "application/scim+json")]
pub struct ScimUnavailable(pub ScimError);

/// The token lacks the `learners:sync` scope (and is not an admin's).
#[derive(ToResponse)]
#[response(content_type = "application/scim+json")]
pub struct ScimForbidden(pub ScimError);

/// A SCIM error (RFC 7644 s3.12), sent as `application/scim+json`.
#[derive(Debug, Clone, Serialize, ToSchema, thiserror::Error)]
#[error("{detail}")]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409",
    "scimType": "uniqueness", "detail": "the userName amira.khan@council.gov.uk is already taken"
}))]
pub struct ScimError {
    pub schemas: [&'static str; 1],
    /// The HTTP status, as a string.
    pub status: String,
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<&'static str>,
    pub detail: String,
    /// Sent as `Retry-After` on a 429 or 503.
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after: Option<u64>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            schemas: [ERROR_SCHEMA],
            status: status.as_u16().to_string(),
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidSyntax"), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
            .parse()
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(MEDIA_TYPE);
        if self.status == "401" {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self)
    }
}

impl From<ApiError> for ScimError {
    fn from(error: ApiError) -> Self {
        let status = error.status_code();
        let scim_type = match status {
            StatusCode::CONFLICT => Some("uniqueness"),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => Some("invalidValue"),
            _ => None,
        };
        // SCIM has no 422: a value the rules refuse is a 400 invalidValue.
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        let detail = match &error {
            ApiError::Invalid(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", user::scim_name(&f.field), f.message))
                .collect::<Vec<_>>()
                .join("; "),
            // The cause goes to the log, not to the client.
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                "the request failed; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        Self {
            retry_after: error.retry_after(),
            ..Self::new(status, scim_type, detail)
        }
    }
}

impl From<StoreError> for ScimError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(_) => Self::not_found("no such user"),
            StoreError::Duplicate { field, .. } => Self::new(
                StatusCode::CONFLICT,
                Some("uniqueness"),
                format!("another user already has this {}", user::scim_name(field)),
            ),
            other => ApiError::from(other).into(),
        }
    }
}

impl From<DomainError> for ScimError {
    fn from(error: DomainError) -> Self {
        ApiError::from(error).into()
    }
}

/// The caller of a SCIM endpoint: an integration client with `learners:sync`, or an admin.
/// Refusals come in SCIM's error format.
pub struct Provisioner(Caller);

impl FromRequest for Provisioner {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let integration = Integration::from_request(req, payload);
        Box::pin(async move {
            let Integration(caller) = integration.await?;
            caller.may(Scope::LearnersSync)?;
            Ok(Provisioner(caller))
        })
    }
}

/// The answer to every SCIM request that succeeds with a body.
fn scim_json(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(MEDIA_TYPE)
        .json(body)
}

/// Where the server is reached, for the absolute `location` of each resource.
pub(crate) fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// RFC 7644 s3.4.2.2, as far as Pathway answers it exactly: `userName eq` or `sw`,
    /// `externalId eq`, `emails.value eq`, `emails[type eq "work"].value eq`,
    /// `meta.lastModified gt`, `ge`, `lt` or `le`, and these joined by `and`.
    pub filter: Option<String>,
    /// The 1-based index of the first result; 1 when absent.
    pub start_index: Option<i64>,
    /// Results per page, at most 1000; 100 when absent.
    pub count: Option<i64>,
    /// Comma-separated attributes to return (besides id, schemas and meta).
    pub attributes: Option<String>,
    /// Comma-separated attributes to leave out.
    pub excluded_attributes: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ProjectionQuery {
    /// Comma-separated attributes to return (besides id, schemas and meta).
    pub attributes: Option<String>,
    /// Comma-separated attributes to leave out.
    pub excluded_attributes: Option<String>,
}

/// A page of users (RFC 7644 s3.4.2).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "startIndex": 1,
    "itemsPerPage": 1, "Resources": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "019a8f40-0000-7000-8000-0000000000a1",
        "userName": "amira.khan@council.gov.uk", "name": {"givenName": "Amira", "familyName": "Khan"},
        "displayName": "Amira Khan", "emails": [{"value": "amira.khan@council.gov.uk", "type": "work", "primary": true}], "active": true,
        "meta": {"resourceType": "User", "created": "2026-11-01T09:00:00Z", "lastModified": "2026-11-01T09:00:00Z",
            "location": "https://pathway.council.gov.uk/scim/v2/Users/019a8f40-0000-7000-8000-0000000000a1", "version": "W/\"1\""}
    }]
}))]
pub struct ScimListResponse {
    pub schemas: [&'static str; 1],
    #[serde(rename = "totalResults")]
    pub total_results: u64,
    #[serde(rename = "startIndex")]
    pub start_index: u64,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: u64,
    #[serde(rename = "Resources")]
    #[schema(value_type = Vec<ScimUserView>)]
    pub resources: Vec<Value>,
}

/// List users, or find them by `userName`, `externalId`, email address or time of change.
///
/// Every learner is a SCIM user, including those entered by hand or by the bulk HR sync (their
/// `userName` is their email address until a provider gives them one); users the provider
/// deleted are not listed. Needs the `learners:sync` scope (or an admin).
#[utoipa::path(operation_id = "list_scim_users", tag = "scim", params(ListQuery),
    responses((status = 200, description = "A page of users", body = ScimListResponse, content_type = "application/scim+json"),
        (status = 400, description = "An unsupported or malformed filter (`invalidFilter`)", body = ScimError, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/Users")]
pub async fn list_users(
    _: Provisioner,
    db: Data<DatabaseConnection>,
    query: Query<ListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    let filter = query
        .filter
        .as_deref()
        .map(filter::parse)
        .transpose()?
        .unwrap_or_default();
    let start_index = u64::try_from(query.start_index.unwrap_or(1).max(1)).unwrap_or(1);
    let count = u64::try_from(query.count.unwrap_or(DEFAULT_COUNT as i64).max(0))
        .unwrap_or(0)
        .min(MAX_COUNT);
    let projection = user::Projection::parse(
        query.attributes.as_deref(),
        query.excluded_attributes.as_deref(),
    );
    let (total, users) = store::list(&db, &filter, start_index - 1, count).await?;
    let base = base_url(&req);
    let resources: Vec<Value> = users
        .iter()
        .map(|u| projection.apply(user::to_json(u, &base)))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &ScimListResponse {
            schemas: [LIST_SCHEMA],
            total_results: total,
            start_index,
            items_per_page: resources.len() as u64,
            resources,
        },
    ))
}

/// Read a user.
///
/// Clients with `learners:sync`. `attributes` and `excludedAttributes` choose what is returned.
#[utoipa::path(operation_id = "get_scim_user", tag = "scim",
    params(("id" = Uuid, Path, description = "The user's id: the learner's id"), ProjectionQuery),
    responses((status = 200, description = "The user", body = ScimUserView, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
        (status = 404, description = "No such user, or the provider deleted them", body = ScimError, content_type = "application/scim+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/Users/{id}")]
pub async fn get_user(
    _: Provisioner,
    db: Data<DatabaseConnection>,
    id: Path<String>,
    query: Query<ProjectionQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    let user = store::get(db.get_ref(), user_id(&id)?).await?;
    let projection = user::Projection::parse(
        query.attributes.as_deref(),
        query.excluded_attributes.as_deref(),
    );
    Ok(answer(StatusCode::OK, &user, &req, &projection))
}

/// Create a user: a new learner (an employee), or a deleted one again.
///
/// `userName`, `name.givenName`, `name.familyName` and an email address are needed (a
/// `userName` that is an email address stands for a missing one). `active: false` records
/// the learner as having left. Attributes Pathway does not keep are ignored. A user the
/// provider deleted and now sends again (same email address or employeeNumber: a rehire) is
/// the same learner, who carries on with their record. With an `Idempotency-Key`, a retry
/// gets the first answer rather than a 409.
#[utoipa::path(operation_id = "create_scim_user", tag = "scim",
    params(IdempotencyKey),
    request_body(content = ScimUserInput, content_type = "application/scim+json"),
    responses((status = 201, description = "Created", body = ScimUserView, content_type = "application/scim+json",
            headers(("Location" = String, description = "The new user"))),
        (status = 400, description = "A missing or invalid attribute, or an Idempotency-Key used before with another body (`invalidValue`: SCIM has no 422), or bad JSON (`invalidSyntax`)", body = ScimError, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
        (status = 409, description = "The userName, email address or employeeNumber is taken (`uniqueness`)", body = ScimError, content_type = "application/scim+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[post("/Users")]
pub async fn create_user(
    Provisioner(caller): Provisioner,
    db: Data<DatabaseConnection>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    idempotency::once(&req, &db, &caller, &body, async |change| {
        let document = read_json(&body)?;
        let (profile, identity) = user::read(&document, None, today())?;
        let user = store::create(change, profile, identity).await?;
        let mut response = answer(
            StatusCode::CREATED,
            &user,
            &req,
            &user::Projection::default(),
        );
        let location = format!("{}/Users/{}", base_url(&req), user.learner.id);
        if let Ok(value) = header::HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        Ok(response)
    })
    .await
}

/// Replace a user's attributes.
///
/// Attributes left out are cleared (`externalId`, `title`, the enterprise extension's
/// attributes). `active: false` records the learner as having left, `active: true` brings a
/// leaver back. What SCIM does not cover (political group, committees, start day) is kept.
#[utoipa::path(operation_id = "replace_scim_user", tag = "scim",
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body(content = ScimUserInput, content_type = "application/scim+json"),
    responses((status = 200, description = "Replaced", body = ScimUserView, content_type = "application/scim+json"),
        (status = 400, description = "A missing or invalid attribute, or bad JSON", body = ScimError, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
        (status = 404, description = "No such user", body = ScimError, content_type = "application/scim+json"),
        (status = 409, description = "The userName, email address or employeeNumber is taken", body = ScimError, content_type = "application/scim+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[put("/Users/{id}")]
pub async fn replace_user(
    Provisioner(caller): Provisioner,
    db: Data<DatabaseConnection>,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&id)?;
    let document = read_json(&body)?;
    let user = write(&db, &caller.actor(), async |change| {
        store::replace(change, id, |current| {
            user::read(&document, Some(current), today())
        })
        .await
    })
    .await?;
    Ok(answer(
        StatusCode::OK,
        &user,
        &req,
        &user::Projection::default(),
    ))
}

/// Change a user with PATCH operations (RFC 7644 s3.5.2): add, replace, remove.
///
/// Paths may name an attribute (`title`), a sub-attribute (`name.givenName`), an
/// extension's attribute (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`)
/// or be left out with an object of attributes as the value. Pathway keeps one email address
/// per learner: adding one replaces it.
#[utoipa::path(operation_id = "patch_scim_user", tag = "scim",
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body(content = patch::ScimPatchOp, content_type = "application/scim+json"),
    responses((status = 200, description = "Changed", body = ScimUserView, content_type = "application/scim+json"),
        (status = 400, description = "A malformed operation or path, or a result that is not a valid user", body = ScimError, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
        (status = 404, description = "No such user", body = ScimError, content_type = "application/scim+json"),
        (status = 409, description = "The userName, email address or employeeNumber is taken", body = ScimError, content_type = "application/scim+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[patch("/Users/{id}")]
pub async fn patch_user(
    Provisioner(caller): Provisioner,
    db: Data<DatabaseConnection>,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&id)?;
    let request = read_json(&body)?;
    let user = write(&db, &caller.actor(), async |change| {
        store::replace(change, id, |current| {
            let mut document = user::writable(current);
            patch::apply(&mut document, &request)?;
            user::read(&document, Some(current), today())
        })
        .await
    })
    .await?;
    Ok(answer(
        StatusCode::OK,
        &user,
        &req,
        &user::Projection::default(),
    ))
}

/// Delete a user: the learner has left, and SCIM no longer shows them.
///
/// Pathway keeps the learner and their training record, as for any leaver (the council
/// reports on the time they were here); `GET /v1/learners/{id}` still finds them.
#[utoipa::path(operation_id = "delete_scim_user", tag = "scim",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 204, description = "Deleted from SCIM; the learner is recorded as having left"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
        (status = 404, description = "No such user", body = ScimError, content_type = "application/scim+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[delete("/Users/{id}")]
pub async fn delete_user(
    Provisioner(caller): Provisioner,
    db: Data<DatabaseConnection>,
    id: Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&id)?;
    write(&db, &caller.actor(), async |change| {
        store::remove(change, id).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /scim/v2/.search` across resource types is not offered (RFC 7644 s3.4.3 lets a
/// service provider decline it).
async fn search_all() -> HttpResponse {
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "searching several resource types at once is not supported; GET /scim/v2/Users with a filter",
    )
    .error_response()
}

/// Anything under `/scim/v2` that is not an endpoint, or a method its path does not answer.
async fn no_such_endpoint(req: HttpRequest) -> HttpResponse {
    let Some(allow) = crate::routes::allowed(req.path()) else {
        return ScimError::not_found("no such SCIM endpoint").error_response();
    };
    let mut response = ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("allowed: {allow}"),
    )
    .error_response();
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    response
}

/// A query string that does not parse, answered in SCIM's format.
fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ScimError::invalid_value(format!("the query string is not valid: {error}")).into()
}

/// SCIM's endpoints under `/scim/v2`, where every error is in SCIM's format: a query string
/// that does not parse, a method a path does not answer, a path that is not an endpoint.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/scim/v2")
            .app_data(web::PayloadConfig::default().limit(crate::BODY_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .service(list_users)
            .service(create_user)
            .service(get_user)
            .service(replace_user)
            .service(patch_user)
            .service(delete_user)
            .service(discovery::service_provider_config)
            .service(discovery::list_resource_types)
            .service(discovery::get_resource_type)
            .service(discovery::list_schemas)
            .service(discovery::get_schema)
            .route("/.search", web::post().to(search_all))
            .default_service(web::to(no_such_endpoint)),
    );
}

fn answer(
    status: StatusCode,
    user: &ScimUser,
    req: &HttpRequest,
    projection: &user::Projection,
) -> HttpResponse {
    let mut response = scim_json(
        status,
        &projection.apply(user::to_json(user, &base_url(req))),
    );
    if let Ok(etag) = header::HeaderValue::from_str(&format!("W/\"{}\"", user.learner.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn read_json(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
}

/// A user id that is not a UUID names no user.
fn user_id(raw: &str) -> Result<Uuid, ScimError> {
    raw.parse()
        .map_err(|_| ScimError::not_found("no such user"))
}

fn today() -> chrono::NaiveDate {
    london_date(Utc::now())
}
