//! The LRS's document resources (xAPI 1.0.3 communication s2.3): the State, where e-learning
//! content keeps a learner's bookmark and progress in an activity, and the Activity and Agent
//! Profiles. Documents of any content type, kept whole in the database so every server
//! process serves the same; writes honour `If-Match` and `If-None-Match: *`, and a profile
//! is never written blind.

use actix_web::http::header;
use actix_web::web::{Bytes, Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{delete, get, post, put};
use pathway_domain::api_client::Scope;
use pathway_domain::xapi;
use pathway_domain::xapi_document::{Document, DocumentKey, Precondition, Refusal, StateKey};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::xapi_document as store;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, Problem};
use crate::headers::{IfNoneMatch, OptionalIfMatch, XapiVersion};
use crate::responses::{BadRequest, Forbidden, TooManyRequests};
use crate::xapi::{known_parameters, lrs_caller, malformed};

const STATE_PARAMETERS: &[&str] = &["activityId", "agent", "registration", "stateId", "since"];
const ACTIVITY_PROFILE_PARAMETERS: &[&str] = &["activityId", "profileId", "since"];
const AGENT_PROFILE_PARAMETERS: &[&str] = &["agent", "profileId", "since"];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct StateQuery {
    /// The activity's IRI.
    pub activity_id: String,
    /// The agent, as JSON: `{"mbox": "mailto:amira.khan@council.gov.uk"}`.
    pub agent: String,
    /// The registration (attempt) the state belongs to, if any.
    pub registration: Option<String>,
    /// The document's id; without it, a read lists the ids and a delete removes them all.
    pub state_id: Option<String>,
    /// With no `stateId`, only the ids of states changed after this instant.
    pub since: Option<String>,
}

impl StateQuery {
    fn key(&self) -> Result<DocumentKey, ApiError> {
        StateKey::parse(&self.activity_id, &self.agent, self.registration.as_deref())
            .map(DocumentKey::State)
            .map_err(malformed)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ActivityProfileQuery {
    /// The activity's IRI.
    pub activity_id: String,
    /// The document's id; without it, a read lists the ids.
    pub profile_id: Option<String>,
    /// With no `profileId`, only the ids of profiles changed after this instant.
    pub since: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AgentProfileQuery {
    /// The agent, as JSON: `{"mbox": "mailto:amira.khan@council.gov.uk"}`.
    pub agent: String,
    /// The document's id; without it, a read lists the ids.
    pub profile_id: Option<String>,
    /// With no `profileId`, only the ids of profiles changed after this instant.
    pub since: Option<String>,
}

impl ActivityProfileQuery {
    fn key(&self) -> Result<DocumentKey, ApiError> {
        DocumentKey::activity_profile(&self.activity_id).map_err(malformed)
    }
}

impl AgentProfileQuery {
    fn key(&self) -> Result<DocumentKey, ApiError> {
        DocumentKey::agent_profile(&self.agent).map_err(malformed)
    }
}

/// The id a write names, which it must.
fn named<'a>(id: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    id.as_deref()
        .ok_or_else(|| ApiError::Malformed(format!("{name}: is required here")))
}

/// The condition `If-Match` or `If-None-Match` puts on a write.
fn precondition(req: &HttpRequest) -> Result<Precondition, ApiError> {
    let header = |name| {
        req.headers()
            .get(name)
            .map(|v| {
                v.to_str()
                    .map_err(|_| ApiError::Malformed(format!("{name} must be text")))
            })
            .transpose()
    };
    Precondition::parse(
        header(header::IF_MATCH.as_str())?,
        header(header::IF_NONE_MATCH.as_str())?,
    )
    .map_err(malformed)
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Blind => ApiError::Conflict(
            "this profile exists: read it, then send If-Match with its ETag (or \
             If-None-Match: * to create only)"
                .into(),
        ),
        Refusal::Unconditioned => ApiError::Malformed(
            "a PUT of a profile sends If-None-Match: * to create it, or If-Match with the \
             ETag of the one it replaces"
                .into(),
        ),
        Refusal::NotAsExpected => ApiError::Stale(
            "the document is not as If-Match or If-None-Match expects; read it again".into(),
        ),
    }
}

/// The document a PUT or POST sends, as its content type says.
fn sent(req: &HttpRequest, body: Bytes) -> Document {
    Document {
        content_type: req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned(),
        content: body.to_vec(),
    }
}

/// A GET: the document as sent, with its tag and time, or the ids under the key.
async fn read(
    db: &DatabaseConnection,
    key: &DocumentKey,
    id: Option<&str>,
    since: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let Some(id) = id else {
        let since = since
            .map(|t| xapi::instant(&Value::String(t.to_owned()), "since").map_err(malformed))
            .transpose()?;
        return Ok(HttpResponse::Ok().json(store::document_ids(db, key, since).await?));
    };
    let kept = store::document(db, key, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such document".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, kept.document.etag()))
        // An HTTP-date (RFC 9110 s5.6.7), to the second.
        .insert_header(header::LastModified(
            std::time::SystemTime::from(kept.updated).into(),
        ))
        .content_type(kept.document.content_type)
        .body(kept.document.content))
}

/// A PUT: the document replaced, on its condition; a profile that exists only with one.
async fn replace(
    db: &DatabaseConnection,
    req: &HttpRequest,
    key: &DocumentKey,
    id: &str,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let (condition, document) = (precondition(req)?, sent(req, body));
    store::write(db, key, id, |current| {
        key.may_replace(&condition, current).map_err(refused)?;
        Ok::<_, ApiError>(document)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A POST: the JSON object merged into the one kept, or stored if none is.
async fn merge(
    db: &DatabaseConnection,
    req: &HttpRequest,
    key: &DocumentKey,
    id: &str,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let (condition, document) = (precondition(req)?, sent(req, body));
    store::write(db, key, id, |current| {
        condition.allows(current).map_err(refused)?;
        match current {
            Some(kept) => kept.merged(document).map_err(malformed),
            None => document.posted().map_err(malformed),
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A DELETE: one document on its condition, or without an id all under the key.
async fn remove(
    db: &DatabaseConnection,
    req: &HttpRequest,
    key: &DocumentKey,
    id: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let condition = precondition(req)?;
    store::delete(db, key, id, |current| {
        condition.allows(current).map_err(refused)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who may do what here, once the request names only what the resource takes.
async fn caller(
    db: &DatabaseConnection,
    req: &HttpRequest,
    scope: Scope,
    parameters: &[&str],
) -> Result<(), ApiError> {
    lrs_caller(req, db, scope).await?;
    known_parameters(req, parameters)
}

/// Read a state document, or the ids of an activity's states for an agent.
///
/// With `stateId`, the document as it was sent, with its `Content-Type`, `ETag` and
/// `Last-Modified`; without, the ids (changed after `since`, if given). `HEAD` answers the
/// same headers without the body. Needs `xapi:read`.
#[utoipa::path(operation_id = "get_xapi_state", tag = "xapi",
    params(StateQuery, XapiVersion),
    responses((status = 200, description = "The document, or a list of state ids",
            content((Value = "application/json"), (Vec<u8> = "application/octet-stream")),
            headers(("ETag" = String, description = "The document's tag"), ("Last-Modified" = String, description = "When it last changed"))),
        BadRequest, Forbidden, TooManyRequests,
        (status = 404, description = "No such state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:read"])))]
#[get("/activities/state")]
pub async fn get_state(
    db: Data<DatabaseConnection>,
    query: Query<StateQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller(&db, &req, Scope::XapiRead, STATE_PARAMETERS).await?;
    read(
        &db,
        &query.key()?,
        query.state_id.as_deref(),
        query.since.as_deref(),
    )
    .await
}

/// Store a state document, replacing the one kept.
///
/// Any content type; `If-Match` or `If-None-Match: *` makes the write conditional (412 when
/// the state is not as expected). Needs `xapi:write`.
#[utoipa::path(operation_id = "put_xapi_state", tag = "xapi",
    params(StateQuery, XapiVersion, OptionalIfMatch, IfNoneMatch),
    request_body(content((Value = "application/json"), (Vec<u8> = "application/octet-stream"))),
    responses((status = 204, description = "Stored"),
        BadRequest, Forbidden, TooManyRequests,
        (status = 412, description = "The state is not as If-Match or If-None-Match expects", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 4 MiB", body = Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
#[put("/activities/state")]
pub async fn put_state(
    db: Data<DatabaseConnection>,
    query: Query<StateQuery>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    caller(&db, &req, Scope::XapiWrite, STATE_PARAMETERS).await?;
    let id = named(&query.state_id, "stateId")?;
    replace(&db, &req, &query.key()?, id, body).await
}

/// Merge a JSON object into the state document kept, or store it if there is none.
///
/// Both must be JSON objects: the properties sent replace those kept, the others stay (400
/// otherwise). `If-Match` or `If-None-Match: *` make it conditional. Needs `xapi:write`.
#[utoipa::path(operation_id = "post_xapi_state", tag = "xapi",
    params(StateQuery, XapiVersion, OptionalIfMatch, IfNoneMatch),
    request_body(content((Value = "application/json"), (Vec<u8> = "application/octet-stream"))),
    responses((status = 204, description = "Merged, or stored"),
        BadRequest, Forbidden, TooManyRequests,
        (status = 412, description = "The state is not as If-Match or If-None-Match expects", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 4 MiB", body = Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
#[post("/activities/state")]
pub async fn post_state(
    db: Data<DatabaseConnection>,
    query: Query<StateQuery>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    caller(&db, &req, Scope::XapiWrite, STATE_PARAMETERS).await?;
    let id = named(&query.state_id, "stateId")?;
    merge(&db, &req, &query.key()?, id, body).await
}

/// Delete a state document, or every state of an activity for an agent.
///
/// With `stateId`, that one (conditional with `If-Match`); without, all under the activity,
/// agent and registration. Deleting what is not there changes nothing. Needs `xapi:write`.
#[utoipa::path(operation_id = "delete_xapi_state", tag = "xapi",
    params(StateQuery, XapiVersion, OptionalIfMatch),
    responses((status = 204, description = "Deleted"),
        BadRequest, Forbidden, TooManyRequests,
        (status = 412, description = "The state is not as If-Match expects", body = Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
#[delete("/activities/state")]
pub async fn delete_state(
    db: Data<DatabaseConnection>,
    query: Query<StateQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller(&db, &req, Scope::XapiWrite, STATE_PARAMETERS).await?;
    remove(&db, &req, &query.key()?, query.state_id.as_deref()).await
}

/// A profile resource's four operations: the two differ only in what keys their documents.
macro_rules! profile_resource {
    (
        $path:literal, $query:ident, $parameters:ident,
        $get:ident = $get_id:literal, $get_summary:literal,
        $put:ident = $put_id:literal, $put_summary:literal,
        $post:ident = $post_id:literal, $post_summary:literal,
        $delete:ident = $delete_id:literal, $delete_summary:literal
    ) => {
        #[doc = $get_summary]
        ///
        /// With `profileId`, the document as it was sent, with its `Content-Type`, `ETag` and
        /// `Last-Modified`; without, the ids (changed after `since`, if given). `HEAD` answers
        /// the same headers without the body. Needs `xapi:read`.
        #[utoipa::path(operation_id = $get_id, tag = "xapi",
            params($query, XapiVersion),
            responses((status = 200, description = "The document, or a list of profile ids",
                    content((Value = "application/json"), (Vec<u8> = "application/octet-stream")),
                    headers(("ETag" = String, description = "The document's tag"), ("Last-Modified" = String, description = "When it last changed"))),
                BadRequest, Forbidden, TooManyRequests,
                (status = 404, description = "No such profile", body = Problem, content_type = "application/problem+json"),
            ),
            security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:read"])))]
        #[get($path)]
        pub async fn $get(
            db: Data<DatabaseConnection>,
            query: Query<$query>,
            req: HttpRequest,
        ) -> Result<HttpResponse, ApiError> {
            caller(&db, &req, Scope::XapiRead, $parameters).await?;
            read(&db, &query.key()?, query.profile_id.as_deref(), query.since.as_deref()).await
        }

        #[doc = $put_summary]
        ///
        /// Any content type. Replacing one that exists needs `If-Match` with its `ETag` (409
        /// without, 412 when it has changed); creating one needs `If-None-Match: *` (400
        /// without). Needs `xapi:write`.
        #[utoipa::path(operation_id = $put_id, tag = "xapi",
            params($query, XapiVersion, OptionalIfMatch, IfNoneMatch),
            request_body(content((Value = "application/json"), (Vec<u8> = "application/octet-stream"))),
            responses((status = 204, description = "Stored"),
                BadRequest, Forbidden, TooManyRequests,
                (status = 409, description = "The profile exists and neither If-Match nor If-None-Match was sent", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "The profile is not as If-Match or If-None-Match expects", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "The body is over 4 MiB", body = Problem, content_type = "application/problem+json"),
            ),
            security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
        #[put($path)]
        pub async fn $put(
            db: Data<DatabaseConnection>,
            query: Query<$query>,
            req: HttpRequest,
            body: Bytes,
        ) -> Result<HttpResponse, ApiError> {
            caller(&db, &req, Scope::XapiWrite, $parameters).await?;
            let id = named(&query.profile_id, "profileId")?;
            replace(&db, &req, &query.key()?, id, body).await
        }

        #[doc = $post_summary]
        ///
        /// Both must be JSON objects: the properties sent replace those kept, the others stay
        /// (400 otherwise). `If-Match` or `If-None-Match: *` make it conditional. Needs
        /// `xapi:write`.
        #[utoipa::path(operation_id = $post_id, tag = "xapi",
            params($query, XapiVersion, OptionalIfMatch, IfNoneMatch),
            request_body(content((Value = "application/json"), (Vec<u8> = "application/octet-stream"))),
            responses((status = 204, description = "Merged, or stored"),
                BadRequest, Forbidden, TooManyRequests,
                (status = 412, description = "The profile is not as If-Match or If-None-Match expects", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "The body is over 4 MiB", body = Problem, content_type = "application/problem+json"),
            ),
            security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
        #[post($path)]
        pub async fn $post(
            db: Data<DatabaseConnection>,
            query: Query<$query>,
            req: HttpRequest,
            body: Bytes,
        ) -> Result<HttpResponse, ApiError> {
            caller(&db, &req, Scope::XapiWrite, $parameters).await?;
            let id = named(&query.profile_id, "profileId")?;
            merge(&db, &req, &query.key()?, id, body).await
        }

        #[doc = $delete_summary]
        ///
        /// `profileId` is required; `If-Match` makes it conditional. Deleting what is not
        /// there changes nothing. Needs `xapi:write`.
        #[utoipa::path(operation_id = $delete_id, tag = "xapi",
            params($query, XapiVersion, OptionalIfMatch),
            responses((status = 204, description = "Deleted"),
                BadRequest, Forbidden, TooManyRequests,
                (status = 412, description = "The profile is not as If-Match expects", body = Problem, content_type = "application/problem+json"),
            ),
            security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
        #[delete($path)]
        pub async fn $delete(
            db: Data<DatabaseConnection>,
            query: Query<$query>,
            req: HttpRequest,
        ) -> Result<HttpResponse, ApiError> {
            caller(&db, &req, Scope::XapiWrite, $parameters).await?;
            let id = named(&query.profile_id, "profileId")?;
            remove(&db, &req, &query.key()?, Some(id)).await
        }
    };
}

profile_resource!(
    "/activities/profile",
    ActivityProfileQuery,
    ACTIVITY_PROFILE_PARAMETERS,
    get_activity_profile = "get_xapi_activity_profile",
    "Read an activity profile, or the ids of an activity's profiles.",
    put_activity_profile = "put_xapi_activity_profile",
    "Store an activity profile, replacing the one kept.",
    post_activity_profile = "post_xapi_activity_profile",
    "Merge a JSON object into an activity profile, or store it if there is none.",
    delete_activity_profile = "delete_xapi_activity_profile",
    "Delete an activity profile."
);

profile_resource!(
    "/agents/profile",
    AgentProfileQuery,
    AGENT_PROFILE_PARAMETERS,
    get_agent_profile = "get_xapi_agent_profile",
    "Read an agent profile, or the ids of an agent's profiles.",
    put_agent_profile = "put_xapi_agent_profile",
    "Store an agent profile, replacing the one kept.",
    post_agent_profile = "post_xapi_agent_profile",
    "Merge a JSON object into an agent profile, or store it if there is none.",
    delete_agent_profile = "delete_xapi_agent_profile",
    "Delete an agent profile."
);

/// The document resources, inside the LRS's scope.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_state)
        .service(put_state)
        .service(post_state)
        .service(delete_state)
        .service(get_activity_profile)
        .service(put_activity_profile)
        .service(post_activity_profile)
        .service(delete_activity_profile)
        .service(get_agent_profile)
        .service(put_agent_profile)
        .service(post_agent_profile)
        .service(delete_agent_profile);
}
