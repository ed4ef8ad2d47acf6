//! `/xapi/activities/state`: the State resource (xAPI 1.0.3 communication s2.3.2), where
//! e-learning content keeps a learner's bookmark and progress in an activity. Documents of
//! any content type, kept whole in the database so every server process serves the same.

use actix_web::http::header;
use actix_web::web::{Bytes, Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{delete, get, post, put};
use pathway_domain::api_client::Scope;
use pathway_domain::xapi::{self, Invalid};
use pathway_domain::xapi_document::{Document, Precondition, StateKey};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::xapi_document as store;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::error::{ApiError, Problem};
use crate::headers::{IfNoneMatch, OptionalIfMatch, XapiVersion};
use crate::responses::{BadRequest, Forbidden, TooManyRequests};
use crate::xapi::{known_parameters, lrs_caller};

const PARAMETERS: &[&str] = &["activityId", "agent", "registration", "stateId", "since"];

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
    fn key(&self) -> Result<StateKey, ApiError> {
        StateKey::parse(&self.activity_id, &self.agent, self.registration.as_deref())
            .map_err(malformed)
    }

    fn state_id(&self) -> Result<&str, ApiError> {
        self.state_id
            .as_deref()
            .ok_or_else(|| ApiError::Malformed("stateId: is required to write a state".into()))
    }
}

fn malformed(error: Invalid) -> ApiError {
    ApiError::Malformed(error.to_string())
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

fn holds(precondition: &Precondition, current: Option<&Document>) -> Result<(), ApiError> {
    if precondition.holds(current.map(Document::etag).as_deref()) {
        Ok(())
    } else {
        Err(ApiError::Stale(
            "the state is not as If-Match or If-None-Match expects; read it again".into(),
        ))
    }
}

/// What a PUT or POST asks, once its caller may write: the state's key, the condition on it,
/// and the document sent.
async fn writing(
    db: &DatabaseConnection,
    query: &StateQuery,
    req: &HttpRequest,
    body: Bytes,
) -> Result<(StateKey, Precondition, Document), ApiError> {
    lrs_caller(req, db, Scope::XapiWrite).await?;
    known_parameters(req, PARAMETERS)?;
    query.state_id()?;
    Ok((query.key()?, precondition(req)?, sent(req, body)))
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
    lrs_caller(&req, &db, Scope::XapiRead).await?;
    known_parameters(&req, PARAMETERS)?;
    let key = query.key()?;
    let Some(state_id) = query.state_id.as_deref() else {
        let since = query
            .since
            .as_ref()
            .map(|t| xapi::instant(&Value::String(t.clone()), "since").map_err(malformed))
            .transpose()?;
        return Ok(HttpResponse::Ok().json(store::state_ids(&db, &key, since).await?));
    };
    let kept = store::state(&db, &key, state_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such state".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, kept.document.etag()))
        .insert_header((header::LAST_MODIFIED, kept.updated.to_rfc2822()))
        .content_type(kept.document.content_type)
        .body(kept.document.content))
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
    let (key, condition, document) = writing(&db, &query, &req, body).await?;
    store::write_state(&db, &key, query.state_id()?, |current| {
        holds(&condition, current)?;
        Ok::<_, ApiError>(document)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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
    let (key, condition, document) = writing(&db, &query, &req, body).await?;
    store::write_state(&db, &key, query.state_id()?, |current| {
        holds(&condition, current)?;
        match current {
            Some(kept) => kept.merged(document).map_err(malformed),
            None => Ok(document),
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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
    lrs_caller(&req, &db, Scope::XapiWrite).await?;
    known_parameters(&req, PARAMETERS)?;
    let (key, condition) = (query.key()?, precondition(&req)?);
    store::delete_state(&db, &key, query.state_id.as_deref(), |current| {
        holds(&condition, current)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
