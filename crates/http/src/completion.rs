//! `/v1/completions`: the learning record.

use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::api_client::Scope;
use pathway_domain::calendar::london_date;
use pathway_domain::completion::{Completion, CompletionSource, Evidence, EvidenceInput};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::completion::{self as store, CompletionFilter};
use pathway_persistence::learner;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Integration, Role};
use crate::error::{ApiError, Problem, json_body};
use crate::headers::IdempotencyKey;
use crate::idempotency;
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, BodyErrors, Forbidden, NotFound, Unprocessable};

/// A learning record. It counts until `expires_on` (null: never expires).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-9999-7d2e-9f40-1a2b3c4d5e70", "learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f",
    "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "completed_on": "2026-10-14", "source": "session",
    "score": null, "evidence": null, "expires_on": "2027-10-14", "recorded_at": "2026-10-14T16:40:00Z"
}))]
pub struct CompletionView {
    pub id: Uuid,
    pub learner_id: Uuid,
    pub course_id: Uuid,
    pub completed_on: NaiveDate,
    pub source: CompletionSource,
    pub score: Option<i32>,
    pub evidence: Option<String>,
    /// `completed_on` plus the course's validity; null never expires.
    pub expires_on: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
}

impl From<Completion> for CompletionView {
    fn from(c: Completion) -> Self {
        Self {
            id: c.id,
            learner_id: c.learner_id,
            course_id: c.course_id,
            completed_on: c.completed_on,
            source: c.source,
            score: c.score,
            evidence: c.evidence,
            expires_on: c.expires_on,
            recorded_at: c.recorded_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompletionListQuery {
    pub learner_id: Option<Uuid>,
    pub course_id: Option<Uuid>,
    /// Completed on or after this date.
    pub completed_since: Option<NaiveDate>,
    /// Completed on or before this date.
    pub completed_until: Option<NaiveDate>,
}

/// Record a completion from external evidence (a certificate, an LGA event, a platform).
///
/// Admins, and integration clients with the `completions:write` scope. Send an
/// `Idempotency-Key` so a retry records nothing twice.
#[utoipa::path(tag = "completions",
    params(IdempotencyKey),
    request_body = EvidenceInput,
    responses((status = 201, description = "Recorded", body = CompletionView, headers(("Location" = String, description = "Where the new record is"))),
        BodyErrors, Forbidden,
        (status = 409, description = "This learner's completion of this course on this day is already recorded", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["completions:write"])))]
#[post("/v1/completions")]
pub async fn record_completion(
    Integration(caller): Integration,
    db: Data<DatabaseConnection>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Scope::CompletionsWrite)?;
    idempotency::once(&req, &db, &caller, &body, async |change| {
        let input: EvidenceInput = json_body(&req, &body)?;
        let evidence = Evidence::parse(input, london_date(Utc::now()))?;
        let completion = store::record_evidence(change, evidence).await?;
        Ok(HttpResponse::Created()
            .insert_header(("Location", format!("/v1/completions/{}", completion.id)))
            .json(CompletionView::from(completion)))
    })
    .await
}

/// The learning record, oldest first. Learners see their own; managers also their reports'.
///
/// Filter by learner, course and the days completed between. Admins see everyone's.
#[utoipa::path(tag = "completions",
    params(PageQuery, CompletionListQuery),
    responses((status = 200, description = "A page of completions", body = PageView<CompletionView>),
        BadRequest, Unprocessable,
        (status = 403, description = "Asking for someone else's record", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/completions")]
pub async fn list_completions(
    caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<CompletionListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<CompletionView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let mut filter = CompletionFilter {
        learner_id: query.learner_id,
        course_id: query.course_id,
        completed_since: query.completed_since,
        completed_until: query.completed_until,
        manager_id: None,
    };
    if !caller.has(Role::Admin) {
        let me = caller.learner_id().ok_or(ApiError::Forbidden(
            "only admins and learners read completions",
        ))?;
        let manager = caller.has(Role::Manager);
        match filter.learner_id {
            Some(id) if id == me => {}
            None if !manager => filter.learner_id = Some(me),
            _ if manager => filter.manager_id = Some(me),
            _ => {
                return Err(ApiError::Forbidden(
                    "you may read only your own learning record",
                ));
            }
        }
    }
    Ok(Json(PageView::from_page(
        store::list(&db, filter, page).await?,
        CompletionView::from,
    )))
}

/// Read one completion.
///
/// Learners read their own; managers their reports'; admins any.
#[utoipa::path(tag = "completions",
    params(("id" = Uuid, Path, description = "The completion's id")),
    responses((status = 200, description = "The completion", body = CompletionView),
        Forbidden, NotFound))]
#[get("/v1/completions/{id}")]
pub async fn get_completion(
    caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<CompletionView>, ApiError> {
    let completion = store::get(db.get_ref(), id.into_inner()).await?;
    if !caller.has(Role::Admin) {
        caller.may_see(&learner::get(db.get_ref(), completion.learner_id).await?)?;
    }
    Ok(Json(completion.into()))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_completions)
        .service(record_completion)
        .service(get_completion);
}
