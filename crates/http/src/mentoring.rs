//! `/v1/mentoring-partnerships`: coaching, mentoring and reverse-mentoring pairs.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::mentoring::{Partnership, PartnershipKind, PartnershipStatus};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::mentoring::{self as store, PartnershipFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller, Role};
use crate::error::{ApiError, Problem};
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, BodyErrors, Forbidden, NotFound, Unprocessable};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "reverse_mentoring", "mentor_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f",
    "mentee_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e7a", "started_on": "2026-02-01"
}))]
pub struct PartnershipInput {
    pub kind: PartnershipKind,
    pub mentor_id: Uuid,
    pub mentee_id: Uuid,
    /// Today (London) when absent.
    #[serde(default)]
    pub started_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-dddd-7d2e-9f40-1a2b3c4d5e70", "kind": "reverse_mentoring",
    "mentor_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "mentee_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e7a",
    "started_on": "2026-02-01", "ended_on": null, "status": "active", "created_at": "2026-02-01T09:00:00Z"
}))]
pub struct PartnershipView {
    pub id: Uuid,
    pub kind: PartnershipKind,
    pub mentor_id: Uuid,
    pub mentee_id: Uuid,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub status: PartnershipStatus,
    pub created_at: DateTime<Utc>,
}

impl From<Partnership> for PartnershipView {
    fn from(p: Partnership) -> Self {
        Self {
            id: p.id,
            kind: p.kind,
            mentor_id: p.mentor_id,
            mentee_id: p.mentee_id,
            started_on: p.started_on,
            ended_on: p.ended_on,
            status: p.status(),
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnershipListQuery {
    pub kind: Option<PartnershipKind>,
    pub status: Option<PartnershipStatus>,
    /// Partnerships this learner is in, as mentor or mentee.
    pub learner_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ended_on": "2026-09-30"}))]
pub struct EndInput {
    /// Today (London) when absent.
    #[serde(default)]
    pub ended_on: Option<NaiveDate>,
}

/// Pair two learners for coaching, mentoring or reverse mentoring.
///
/// Admins only. A mentor and a mentee, two different learners, and the kind of partnership.
#[utoipa::path(tag = "mentoring",
    request_body = PartnershipInput,
    responses((status = 201, description = "Created", body = PartnershipView),
        BodyErrors, Forbidden))]
#[post("/v1/mentoring-partnerships")]
pub async fn create_partnership(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<PartnershipInput>,
) -> Result<HttpResponse, ApiError> {
    let started_on = body.started_on.unwrap_or_else(|| london_date(Utc::now()));
    let partnership = store::create(
        &db,
        body.kind,
        body.mentor_id,
        body.mentee_id,
        started_on,
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(PartnershipView::from(partnership)))
}

/// Partnerships, oldest first. A learner sees the ones they are in.
///
/// Filter by kind, status and learner; admins see every partnership.
#[utoipa::path(tag = "mentoring",
    params(PageQuery, PartnershipListQuery),
    responses((status = 200, description = "A page of partnerships", body = PageView<PartnershipView>),
        BadRequest, Unprocessable,
        (status = 403, description = "Asking for someone else's partnerships", body = Problem, content_type = "application/problem+json"),
    ))]
#[get("/v1/mentoring-partnerships")]
pub async fn list_partnerships(
    caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<PartnershipListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<PartnershipView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let mut filter = PartnershipFilter {
        kind: query.kind,
        status: query.status,
        learner_id: query.learner_id,
    };
    if !caller.has(Role::Admin) {
        let me = caller.learner_id().ok_or(ApiError::Forbidden(
            "only admins and learners see partnerships",
        ))?;
        if filter.learner_id.is_some_and(|id| id != me) {
            return Err(ApiError::Forbidden(
                "you may see only your own partnerships",
            ));
        }
        filter.learner_id = Some(me);
    }
    Ok(Json(PageView::from_page(
        store::list(&db, filter, page).await?,
        PartnershipView::from,
    )))
}

/// End a partnership.
///
/// Admins only. Records the day it ended, today unless `ended_on` says otherwise.
#[utoipa::path(tag = "mentoring",
    params(("id" = Uuid, Path, description = "The partnership's id")),
    request_body = EndInput,
    responses((status = 200, description = "The partnership, now `ended`", body = PartnershipView),
        BodyErrors, Forbidden, NotFound,
        (status = 409, description = "Already ended", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/mentoring-partnerships/{id}/end")]
pub async fn end_partnership(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    body: Json<EndInput>,
) -> Result<Json<PartnershipView>, ApiError> {
    let ended_on = body.ended_on.unwrap_or_else(|| london_date(Utc::now()));
    Ok(Json(
        store::end(&db, id.into_inner(), ended_on, &caller.actor())
            .await?
            .into(),
    ))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_partnerships)
        .service(create_partnership)
        .service(end_partnership);
}
