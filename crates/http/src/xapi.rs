//! `/xapi`: a Learning Record Store for xAPI 1.0.3 statements, for e-learning platforms
//! that report with xAPI; and `/v1/integrations/elearning/unmatched`, the statements waiting
//! for a learner or course Pathway does not know yet.

use std::collections::HashSet;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::web::{self, Bytes, Data, Json, Query};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use actix_web::{get, post, put};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use pathway_domain::api_client::Scope;
use pathway_domain::xapi::{self, Statement};
use pathway_domain::xapi_attachment::{self, Content, Part};
use pathway_domain::xapi_format::{self, Format, Languages};
use pathway_domain::xapi_mentions::Mentions;
use pathway_persistence::DatabaseConnection;
use pathway_persistence::effects::write;
use pathway_persistence::xapi::{self as store, StatementQuery, Unmatched};
use pathway_persistence::{xapi_attachment as xapi_attachments, xapi_mentions};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Integration};
use crate::error::{ApiError, Problem};
use crate::headers::{IdempotencyKey, XapiVersion};
use crate::oauth::Unaccepted;
use crate::page::{PageQuery, PageView};
use crate::rate_limit::{self, Kind};
use crate::responses::{BadRequest, Forbidden, TooManyRequests, Unprocessable};
use crate::{idempotency, multipart, oauth, xapi_alternate, xapi_definitions, xapi_documents};

/// The header every xAPI request and response carries.
pub const VERSION_HEADER: &str = "X-Experience-API-Version";
/// The versions this LRS takes: 1.0 and any 1.0.x, as the contract states them.
pub const VERSION_PATTERN: &str = r"^1\.0(\.[0-9]+)?$";
/// The largest statement batch body: 100 statements of a few kilobytes, with room to spare.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Statements per page unless the client asks for fewer; `limit=0` asks for this many.
const MAX_LIMIT: u64 = 500;
const DEFAULT_LIMIT: u64 = 100;

/// The LRS's settings.
#[derive(Debug, Clone, Default)]
pub struct LrsConfig {
    /// The `homePage` of the council's accounts: an actor `{"account": {"homePage": <this>,
    /// "name": <HR reference>}}` is the learner with that `external_ref`.
    pub council_home_page: Option<String>,
}

/// The caller of a statements request, once the request says its xAPI version and the
/// caller holds `scope`.
pub(crate) async fn lrs_caller(
    req: &HttpRequest,
    db: &DatabaseConnection,
    scope: Scope,
) -> Result<Caller, ApiError> {
    let caller = authenticate(req, db).await?;
    caller.may(scope)?;
    check_version(req)?;
    Ok(caller)
}

/// Who sends or reads statements: an API client with its id and secret (HTTP Basic, as LRS
/// clients send them) or with a token, or an admin.
async fn authenticate(req: &HttpRequest, db: &DatabaseConnection) -> Result<Caller, ApiError> {
    const REFUSED: ApiError = ApiError::Unauthenticated("unknown client or wrong secret");
    let Some((id, secret)) = oauth::basic(req) else {
        return Integration::extract(req)
            .await
            .map(|Integration(caller)| caller);
    };
    let client =
        oauth::authenticate(req, db, &id, &secret)
            .await
            .map_err(|reason| match reason {
                Unaccepted::Wrong => REFUSED,
                Unaccepted::Held(held) => held.into(),
                Unaccepted::Unavailable => ApiError::Unavailable,
            })?;
    // A revoked client is refused here as at the token endpoint.
    let scopes = client.grant(None).map_err(|_| REFUSED)?;
    rate_limit::count(req, Kind::Client, &client.id.to_string())?;
    Ok(Caller::of_client(req, client.id, &scopes))
}

/// xAPI requests say which version they speak (xAPI 1.0.3 communication s3.3).
fn check_version(req: &HttpRequest) -> Result<(), ApiError> {
    let version = req
        .headers()
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok());
    match version {
        Some(v) if xapi::speaks(v) => Ok(()),
        Some(v) => Err(ApiError::Malformed(format!(
            "{VERSION_HEADER} {v} is not supported; this LRS speaks 1.0.3"
        ))),
        None => Err(ApiError::Malformed(format!(
            "send the {VERSION_HEADER} header (1.0.3)"
        ))),
    }
}

/// The statements a request sends, and the parts after them when it sends them as
/// multipart/mixed with their attachments.
fn received(req: &HttpRequest, body: &[u8]) -> Result<(Value, Vec<Part>), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let json = |bytes: &[u8]| -> Result<Value, ApiError> {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::Malformed(format!("the statements are not valid JSON: {e}")))
    };
    if let Some(boundary) = multipart::boundary(content_type) {
        let mut parts = multipart::parts(body, boundary)
            .map_err(|e| ApiError::Malformed(format!("the multipart body cannot be read: {e}")))?
            .into_iter();
        let statements = parts
            .next()
            .filter(|p| {
                p.header("content-type")
                    .is_some_and(|t| t.starts_with("application/json"))
            })
            .ok_or_else(|| {
                ApiError::Malformed(
                    "the first part holds the statements, as application/json".into(),
                )
            })?;
        let attached = parts
            .map(|p| Part {
                content_type: p.header("content-type").map(str::to_owned),
                hash: p.header("x-experience-api-hash").map(str::to_owned),
                encoding: p.header("content-transfer-encoding").map(str::to_owned),
                content: p.content,
            })
            .collect();
        return Ok((json(&statements.content)?, attached));
    }
    // 400 rather than 415: xAPI 1.0.3 asks for it (communication s1.5.1).
    if !content_type.starts_with("application/json") {
        return Err(ApiError::Malformed(
            "send statements as application/json, or as multipart/mixed (with a boundary) \
             with their attachments"
                .into(),
        ));
    }
    Ok((json(body)?, Vec::new()))
}

/// A 400 naming what xAPI's rules refuse.
pub(crate) fn malformed(error: xapi::Invalid) -> ApiError {
    ApiError::Malformed(error.to_string())
}

/// Who stored the statements, as xAPI's `authority` names them.
fn authority(req: &HttpRequest, caller: &Caller) -> Value {
    let info = req.connection_info();
    let (home, name) = match caller
        .subject
        .strip_prefix(crate::auth::CLIENT_SUBJECT_PREFIX)
    {
        Some(client) => ("v1/api-clients", client),
        None => ("v1/learners", caller.subject.as_str()),
    };
    json!({
        "objectType": "Agent",
        "account": {"homePage": format!("{}://{}/{home}", info.scheme(), info.host()), "name": name}
    })
}

fn parse_all(values: Vec<Value>) -> Result<Vec<Statement>, ApiError> {
    if values.is_empty() {
        return Err(ApiError::Malformed("no statements were sent".into()));
    }
    let many = values.len() > 1;
    let mut seen = HashSet::new();
    let mut statements = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        let statement = Statement::parse(value, None).map_err(|e| {
            ApiError::Malformed(if many {
                format!("statement {i}: {e}")
            } else {
                format!("statement: {e}")
            })
        })?;
        if !seen.insert(statement.id) {
            return Err(ApiError::Malformed(format!(
                "statement {i}: the id {} is used twice in this batch",
                statement.id
            )));
        }
        statements.push(statement);
    }
    Ok(statements)
}

/// A statement, as xAPI 1.0.3 defines it (the example is a completion Pathway records).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "5f0e7e9a-6d43-4a43-9a2c-2f5b3c1e8d10",
    "actor": {"objectType": "Agent", "name": "Amira Khan", "mbox": "mailto:amira.khan@council.gov.uk"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-GB": "completed"}},
    "object": {"objectType": "Activity", "id": "https://learnpool.example/courses/gdpr-refresher",
        "definition": {"name": {"en-GB": "Data protection refresher"}}},
    "result": {"score": {"scaled": 0.92}, "completion": true, "success": true},
    "timestamp": "2026-11-20T14:03:00Z"
}))]
pub struct StatementDoc {
    /// A UUID; the LRS assigns one when absent.
    pub id: Option<Uuid>,
    /// An Agent (or Group) with one of mbox, mbox_sha1sum, openid, account.
    #[schema(value_type = Object)]
    pub actor: Value,
    #[schema(value_type = Object)]
    pub verb: Value,
    /// An Activity (the default), Agent, Group, StatementRef or SubStatement.
    #[schema(value_type = Object)]
    pub object: Value,
    #[schema(value_type = Object, required = false)]
    pub result: Option<Value>,
    #[schema(value_type = Object, required = false)]
    pub context: Option<Value>,
    pub timestamp: Option<String>,
    /// Set by the LRS.
    pub stored: Option<String>,
    /// Set by the LRS: the API client that sent the statement.
    #[schema(value_type = Object, required = false)]
    pub authority: Option<Value>,
    pub version: Option<String>,
}

/// The ids of the statements stored, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!(["5f0e7e9a-6d43-4a43-9a2c-2f5b3c1e8d10"]))]
pub struct StatementIds(pub Vec<Uuid>);

/// A page of statements; `more` is the relative URL of the next page, or empty.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"statements": [{
    "id": "5f0e7e9a-6d43-4a43-9a2c-2f5b3c1e8d10",
    "actor": {"objectType": "Agent", "mbox": "mailto:amira.khan@council.gov.uk"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"objectType": "Activity", "id": "https://learnpool.example/courses/gdpr-refresher"},
    "timestamp": "2026-11-20T14:03:00Z", "stored": "2026-11-20T14:03:01.120Z", "version": "1.0.3",
    "authority": {"objectType": "Agent", "account": {"homePage": "https://pathway.council.gov.uk/v1/api-clients", "name": "019a8f40-0000-7000-8000-0000000000a7"}}
}], "more": "/xapi/statements?verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fcompleted&cursor=1042"}))]
pub struct StatementResult {
    #[schema(value_type = Vec<StatementDoc>)]
    pub statements: Vec<Value>,
    pub more: String,
}

/// What a read answers: by `statementId` or `voidedStatementId`, the statement itself; for a
/// query, a page of statements.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(example = json!({"statements": [], "more": ""}))]
pub enum StatementsRead {
    #[schema(value_type = StatementDoc)]
    One(Value),
    Page(StatementResult),
}

/// The LRS's version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"version": ["1.0.3"]}))]
pub struct About {
    pub version: Vec<&'static str>,
}

/// Which versions of xAPI this LRS speaks; no credentials needed.
///
/// A client asks before it sends statements (xAPI 1.0.3 communication s7.7).
#[utoipa::path(operation_id = "get_xapi_about", tag = "xapi",
    responses((status = 200, description = "The versions", body = About)),
    security(()))]
#[get("/about")]
pub async fn about() -> Json<About> {
    Json(About {
        version: vec![xapi::VERSION],
    })
}

/// Store one statement or a list, all or none; answers their ids.
///
/// Statements are checked against xAPI 1.0.3 (400 names the first problem). One whose verb is
/// ADL's `completed` or `passed`, whose activity is a course's `xapi_activity_id` and whose
/// actor is a learner (`mbox` with their email address, or an `account` on the council's home
/// page named by their `external_ref`) records a completion, scored from
/// `result.score.scaled`. Others are kept; completions for unknown learners or courses wait
/// at `/v1/integrations/elearning/unmatched`. A statement voiding another withdraws its
/// completion. An id already stored with the same statement is accepted again; with a
/// different one, 409. Needs `xapi:write`: HTTP Basic with an API client's id and secret,
/// or a token.
#[utoipa::path(operation_id = "post_xapi_statements", tag = "xapi",
    params(XapiVersion, IdempotencyKey),
    request_body(description = "A statement or a list of them; or, with attachments, multipart/mixed: the statements first, then each attachment's content with its X-Experience-API-Hash",
        content((Vec<StatementDoc> = "application/json"), (Vec<u8> = "multipart/mixed"))),
    responses((status = 200, description = "Stored; their ids", body = StatementIds),
        BadRequest, Forbidden, Unprocessable, TooManyRequests,
        (status = 409, description = "A statement's id is stored with a different statement", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 4 MiB", body = Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
#[post("/statements")]
pub async fn post_statements(
    db: Data<DatabaseConnection>,
    lrs: Data<LrsConfig>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = lrs_caller(&req, &db, Scope::XapiWrite).await?;
    known_parameters(&req, &[])?;
    idempotency::once(&req, &db, &caller, &body, async |change| {
        let (sent, parts) = received(&req, &body)?;
        let values = match sent {
            Value::Array(values) => values,
            one => vec![one],
        };
        let statements = parse_all(values)?;
        let attached = xapi_attachment::reconcile(&statements, parts).map_err(malformed)?;
        let ids = store::store(
            change,
            statements,
            attached,
            authority(&req, &caller),
            lrs.council_home_page.as_deref(),
        )
        .await?;
        Ok(HttpResponse::Ok().json(StatementIds(ids)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct PutQuery {
    /// The statement's id.
    pub statement_id: Uuid,
}

/// Store one statement under the id given.
///
/// As `POST /xapi/statements` for one statement; the body's `id`, if any, must equal
/// `statementId`. Sending the same statement again is accepted with no second effect.
#[utoipa::path(operation_id = "put_xapi_statement", tag = "xapi",
    params(PutQuery, XapiVersion),
    request_body(description = "The statement; or, with attachments, multipart/mixed: the statement first, then each attachment's content with its X-Experience-API-Hash",
        content((StatementDoc = "application/json"), (Vec<u8> = "multipart/mixed"))),
    responses((status = 204, description = "Stored (or already stored, the same)"),
        BadRequest, Forbidden, TooManyRequests,
        (status = 409, description = "This id is stored with a different statement", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 4 MiB", body = Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:write"])))]
#[put("/statements")]
pub async fn put_statement(
    db: Data<DatabaseConnection>,
    lrs: Data<LrsConfig>,
    query: Query<PutQuery>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = lrs_caller(&req, &db, Scope::XapiWrite).await?;
    known_parameters(&req, &["statementId"])?;
    let (sent, parts) = received(&req, &body)?;
    let statement = Statement::parse(sent, Some(query.statement_id))
        .map_err(|e| ApiError::Malformed(format!("statement: {e}")))?;
    let statements = vec![statement];
    let attached = xapi_attachment::reconcile(&statements, parts).map_err(malformed)?;
    write(&db, &caller.actor(), async |change| {
        store::store(
            change,
            statements,
            attached,
            authority(&req, &caller),
            lrs.council_home_page.as_deref(),
        )
        .await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct GetQuery {
    /// One statement by id (not a voided one). No other filter may go with it.
    pub statement_id: Option<Uuid>,
    /// One voided statement by id. No other filter may go with it.
    pub voided_statement_id: Option<Uuid>,
    /// The actor, as JSON: `{"mbox": "mailto:amira.khan@council.gov.uk"}`.
    pub agent: Option<String>,
    /// The verb's IRI.
    pub verb: Option<String>,
    /// The object activity's IRI.
    pub activity: Option<String>,
    /// The registration (`context.registration`) statements belong to.
    pub registration: Option<Uuid>,
    /// With `agent`: find the agent anywhere in a statement (authority, instructor, team, a
    /// SubStatement), not only as its actor or object.
    #[serde(rename = "related_agents")]
    pub related_agents: Option<bool>,
    /// With `activity`: find the activity anywhere in a statement (its context activities, a
    /// SubStatement), not only as its object.
    #[serde(rename = "related_activities")]
    pub related_activities: Option<bool>,
    /// Stored after this instant.
    pub since: Option<String>,
    /// Stored at or before this instant.
    pub until: Option<String>,
    /// Statements per page, at most 500; 0 asks for 500; 100 when absent.
    pub limit: Option<u64>,
    /// Oldest first; newest first when absent.
    pub ascending: Option<bool>,
    /// `exact` (the default) as received; `ids`, agents, activities and verbs by their
    /// identifiers only; `canonical`, activities with the definition the LRS holds and every
    /// language map in the one language `Accept-Language` prefers.
    pub format: Option<String>,
    /// Where a page ends; taken from `more`, not made by clients.
    pub cursor: Option<i64>,
    /// `true`: the answer is multipart/mixed, the statements first, then the content of
    /// every attachment they have.
    pub attachments: Option<bool>,
}

/// Read a statement by id, or query statements.
///
/// By `statementId` or `voidedStatementId`, one statement; otherwise a page of statements,
/// newest first, without voided ones, with `more` pointing at the next page. A parameter xAPI
/// does not define (or in another case) is 400. `HEAD` answers the same headers without the
/// body. With `attachments=true` the answer is multipart/mixed: the JSON first, then each
/// attachment's content with its `X-Experience-API-Hash`. Needs `xapi:read`: HTTP Basic
/// with an API client's id and secret, or a token.
#[utoipa::path(operation_id = "get_xapi_statements", tag = "xapi",
    params(GetQuery, XapiVersion),
    responses((status = 200, description = "The statement (by id) or a page of them (a query)",
            content((StatementsRead = "application/json"), (Vec<u8> = "multipart/mixed")),
            headers(("X-Experience-API-Consistent-Through" = String, description = "Every statement stored until this instant is in the answer"))),
        BadRequest, Forbidden, TooManyRequests,
        (status = 404, description = "No such statement (or, by statementId, it is voided)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:read"])))]
#[get("/statements")]
pub async fn get_statements(
    db: Data<DatabaseConnection>,
    query: Query<GetQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    lrs_caller(&req, &db, Scope::XapiRead).await?;
    let consistent = consistent_through();
    known_parameters(&req, GET_PARAMETERS)?;
    let q = query.into_inner();
    let format: Format = q
        .format
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(malformed)?
        .unwrap_or_default();
    let languages = Languages::accepted(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    );
    let filtered = q.agent.is_some()
        || q.verb.is_some()
        || q.activity.is_some()
        || q.registration.is_some()
        || q.related_agents.is_some()
        || q.related_activities.is_some()
        || q.since.is_some()
        || q.until.is_some()
        || q.limit.is_some()
        || q.ascending.is_some()
        || q.cursor.is_some();
    let single = match (q.statement_id, q.voided_statement_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Malformed(
                "give statementId or voidedStatementId, not both".into(),
            ));
        }
        (Some(id), None) => Some((id, false)),
        (None, Some(id)) => Some((id, true)),
        (None, None) => None,
    };
    if let Some((id, voided)) = single {
        if filtered {
            return Err(ApiError::Malformed(
                "statementId and voidedStatementId take no other filter".into(),
            ));
        }
        let mut statement = vec![store::get(&db, id, voided).await?];
        formatted(&db, &mut statement, format, &languages).await?;
        let attached = attached(&db, &statement, q.attachments).await?;
        let read = StatementsRead::One(statement.remove(0));
        return answer(read, attached, consistent);
    }
    let instant = |raw: &Option<String>, name: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
        raw.as_ref()
            .map(|t| xapi::instant(&Value::String(t.clone()), name).map_err(malformed))
            .transpose()
    };
    let agent_key = q
        .agent
        .as_deref()
        .map(|raw| xapi::agent_parameter(raw).map_err(malformed))
        .transpose()?;
    let limit = match q.limit {
        None => DEFAULT_LIMIT,
        Some(0) => MAX_LIMIT,
        Some(n) => n.min(MAX_LIMIT),
    };
    let (statements, next) = store::query(
        &db,
        StatementQuery {
            agent_key,
            verb: q.verb.clone(),
            activity: q.activity.clone(),
            registration: q.registration,
            related_agents: q.related_agents.unwrap_or(false),
            related_activities: q.related_activities.unwrap_or(false),
            since: instant(&q.since, "since")?,
            until: instant(&q.until, "until")?,
            limit,
            ascending: q.ascending.unwrap_or(false),
            after: q.cursor,
        },
    )
    .await?;
    let mut statements = statements;
    formatted(&db, &mut statements, format, &languages).await?;
    let more = next.map_or_else(String::new, |cursor| more_link(&req, cursor));
    let attached = attached(&db, &statements, q.attachments).await?;
    answer(
        StatementsRead::Page(StatementResult { statements, more }),
        attached,
        consistent,
    )
}

/// The content of the statements' attachments, when the read asks for it.
async fn attached(
    db: &DatabaseConnection,
    statements: &[Value],
    wanted: Option<bool>,
) -> Result<Option<Vec<Content>>, ApiError> {
    if wanted != Some(true) {
        return Ok(None);
    }
    let mut digests: Vec<String> = statements
        .iter()
        .filter_map(|s| s.get("attachments")?.as_array())
        .flatten()
        .filter_map(|a| Some(a.get("sha2")?.as_str()?.to_lowercase()))
        .collect();
    digests.sort_unstable();
    digests.dedup();
    Ok(Some(xapi_attachments::contents(db, &digests).await?))
}

/// A read's answer: JSON, or multipart/mixed with the attachments' content after it.
fn answer(
    read: StatementsRead,
    attached: Option<Vec<Content>>,
    consistent: String,
) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Experience-API-Consistent-Through", consistent));
    let Some(attached) = attached else {
        return Ok(response.json(read));
    };
    let json = serde_json::to_vec(&read)
        .map_err(|e| ApiError::Internal(format!("a statement could not be written: {e}")))?;
    let mut parts = vec![multipart::Part {
        headers: vec![("Content-Type".into(), "application/json".into())],
        content: json,
    }];
    parts.extend(attached.into_iter().map(|c| multipart::Part {
        headers: vec![
            ("Content-Type".into(), c.content_type),
            ("Content-Transfer-Encoding".into(), "binary".into()),
            ("X-Experience-API-Hash".into(), c.sha2),
        ],
        content: c.content,
    }));
    let boundary = Uuid::new_v4().simple().to_string();
    Ok(response
        .content_type(format!("multipart/mixed; boundary={boundary}"))
        .body(multipart::write(&boundary, &parts)))
}

/// The instant every statement stored before is in an answer begun now: a batch is numbered
/// and stamped `stored` just before it commits, and a second's margin covers one committing
/// as the answer starts.
fn consistent_through() -> String {
    (Utc::now() - TimeDelta::seconds(1)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

const CONSISTENT_THROUGH: &str = "x-experience-api-consistent-through";

/// The parameters of a statement read, spelled as xAPI spells them (s2.1.3).
const GET_PARAMETERS: &[&str] = &[
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "cursor",
];

/// A parameter xAPI does not define for the request (or one in the wrong case) is refused: a
/// client that misspells a filter would otherwise get statements it did not ask for.
pub(crate) fn known_parameters(req: &HttpRequest, known: &[&str]) -> Result<(), ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|e| ApiError::Malformed(format!("the query string cannot be read: {e}")))?;
    match pairs
        .iter()
        .find(|(name, _)| !known.contains(&name.as_str()))
    {
        Some((name, _)) => Err(ApiError::Malformed(format!(
            "{name} is not a parameter of this request{}",
            if known.is_empty() {
                String::new()
            } else {
                format!("; it takes {}", known.join(", "))
            }
        ))),
        None => Ok(()),
    }
}

/// Writes statements as `format` asks; `canonical` reads the definitions of the activities
/// they name.
async fn formatted(
    db: &DatabaseConnection,
    statements: &mut [Value],
    format: Format,
    languages: &Languages,
) -> Result<(), ApiError> {
    let bodies = statements.iter_mut().filter_map(Value::as_object_mut);
    match format {
        Format::Exact => {}
        Format::Ids => bodies.for_each(xapi_format::ids),
        Format::Canonical => {
            let bodies: Vec<_> = bodies.collect();
            let mut ids: Vec<String> = bodies
                .iter()
                .flat_map(|b| Mentions::of(b).activities)
                .map(|m| m.key)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let definitions = xapi_mentions::definitions(db, &ids).await?;
            for body in bodies {
                xapi_format::canonical(body, &|id| definitions.get(id).cloned(), languages);
            }
        }
    }
    Ok(())
}

/// The same query from where this page ended.
fn more_link(req: &HttpRequest, cursor: i64) -> String {
    let mut pairs: Vec<(String, String)> =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "cursor")
            .collect();
    pairs.push(("cursor".into(), cursor.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/xapi/statements?{query}")
}

/// A completion statement Pathway could not yet apply, and what it is waiting for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "statement_id": "5f0e7e9a-6d43-4a43-9a2c-2f5b3c1e8d10", "stored": "2026-11-20T14:03:01.120Z",
    "verb_id": "http://adlnet.gov/expapi/verbs/completed",
    "activity_id": "https://learnpool.example/courses/gdpr-refresher",
    "actor_email": "amira.khan@council.gov.uk", "actor_ref": null,
    "learner_known": true, "course_known": false
}))]
pub struct UnmatchedView {
    pub statement_id: Uuid,
    pub stored: DateTime<Utc>,
    pub verb_id: String,
    pub activity_id: Option<String>,
    /// The actor's email address, from `mbox`.
    pub actor_email: Option<String>,
    /// The actor's HR reference, from an `account` on the council's home page.
    pub actor_ref: Option<String>,
    /// Whether a learner now has this email address or reference.
    pub learner_known: bool,
    /// Whether a course now has this activity id.
    pub course_known: bool,
}

impl From<Unmatched> for UnmatchedView {
    fn from(u: Unmatched) -> Self {
        Self {
            statement_id: u.statement_id,
            stored: u.stored,
            verb_id: u.verb_id,
            activity_id: u.activity_id,
            actor_email: u.actor_email,
            actor_ref: u.actor_ref,
            learner_known: u.learner_known,
            course_known: u.course_known,
        }
    }
}

/// Completion statements waiting for a learner or course Pathway does not know yet.
///
/// Each is applied, and leaves this list, as soon as the mapping appears: a learner with the
/// actor's email address or HR reference, or a course with the activity's
/// `xapi_activity_id`. Needs `xapi:read` (or an admin).
#[utoipa::path(operation_id = "list_unmatched_statements", tag = "integrations",
    params(PageQuery),
    responses((status = 200, description = "A page of waiting statements, in statement id order", body = PageView<UnmatchedView>),
        BadRequest, Forbidden, Unprocessable),
    security(("bearer" = []), ("client_credentials" = ["xapi:read"])))]
#[get("/v1/integrations/elearning/unmatched")]
pub async fn list_unmatched(
    Integration(caller): Integration,
    db: Data<DatabaseConnection>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<UnmatchedView>>, ApiError> {
    caller.may(Scope::XapiRead)?;
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::unmatched(&db, page).await?,
        UnmatchedView::from,
    )))
}

/// Every LRS answer, a refusal too, says how current it is (xAPI 1.0.3 communication s2.1.3);
/// a HEAD request is answered as its GET would be, without the body (s1.1); and a request in
/// the alternate syntax is answered as the request it stands for (s1.3).
async fn lrs_answers(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let consistent = consistent_through();
    let stamp = |response: &mut ServiceResponse<BoxBody>| {
        if !response.headers().contains_key(CONSISTENT_THROUGH)
            && let Ok(value) = HeaderValue::from_str(&consistent)
        {
            response
                .headers_mut()
                .insert(HeaderName::from_static(CONSISTENT_THROUGH), value);
        }
    };
    if let Err(refused) = xapi_alternate::unwrap(&mut req).await {
        let mut response = req.error_response(refused);
        stamp(&mut response);
        return Ok(response);
    }
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let response = next.call(req).await?;
    let mut response = if head {
        response.map_body(|_, _| BoxBody::new(()))
    } else {
        response.map_into_boxed_body()
    };
    stamp(&mut response);
    Ok(response)
}

/// The LRS under `/xapi`, where every answer names the xAPI version, and the unmatched
/// statements it keeps for admins.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/xapi")
            .app_data(web::PayloadConfig::default().limit(BODY_LIMIT))
            .wrap(from_fn(lrs_answers))
            .wrap(DefaultHeaders::new().add((VERSION_HEADER, xapi::VERSION)))
            .service(about)
            .service(get_statements)
            .service(post_statements)
            .service(put_statement)
            .configure(xapi_documents::routes)
            .configure(xapi_definitions::routes),
    )
    .service(list_unmatched);
}
