//! `/v1/requirements`: which courses are required of whom, and by when.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{delete, get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::compliance::{
    Requirement, RequirementInput, Rule, SelectorInput, SelectorKind,
};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::effects::write;
use pathway_persistence::requirement::{self as store, RequirementFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller};
use crate::error::ApiError;
use crate::headers::{IfMatch, OptionalIfMatch};
use crate::page::{PageQuery, PageView};
use crate::responses::{
    BadRequest, BodyErrors, Forbidden, NotFound, PatchErrors, PreconditionFailed, Unprocessable,
};
use crate::{merge_patch, precondition};

/// A rule that a course is required of the learners its selector matches.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-00000000a001",
    "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70",
    "selector": {"kind": "committee", "value": "Planning"},
    "due_within_days": 90, "effective_from": "2026-05-21", "effective_until": null,
    "created_at": "2026-05-01T09:00:00Z", "updated_at": "2026-05-01T09:00:00Z"
}))]
pub struct RequirementView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub selector: SelectorInput,
    pub due_within_days: i32,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Requirement> for RequirementView {
    fn from(requirement: Requirement) -> Self {
        let input = RequirementInput::from(&requirement.rule);
        Self {
            id: requirement.id,
            course_id: input.course_id,
            selector: input.selector,
            due_within_days: input.due_within_days,
            effective_from: requirement.rule.effective_from,
            effective_until: input.effective_until,
            created_at: requirement.created_at,
            updated_at: requirement.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequirementListQuery {
    /// Only requirements for this course.
    pub course_id: Option<Uuid>,
    /// Only requirements with this kind of selector.
    pub selector_kind: Option<SelectorKind>,
}

fn ok(requirement: Requirement) -> HttpResponse {
    precondition::tagged(
        StatusCode::OK,
        requirement.version,
        RequirementView::from(requirement),
    )
}

/// Require a course of the learners a selector matches.
///
/// Admins only. A selector names the learners (all, members, employees, a committee, a
/// responsibility, a job title or department) and the due period counts from when they start or
/// join.
#[utoipa::path(tag = "compliance",
    request_body = RequirementInput,
    responses((status = 201, description = "Created; `Location` and `ETag` headers are set", body = RequirementView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden))]
#[post("/v1/requirements")]
pub async fn create_requirement(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<RequirementInput>,
) -> Result<HttpResponse, ApiError> {
    let rule = Rule::parse(body.into_inner(), london_date(Utc::now()))?;
    let requirement = write(&db, &caller.actor(), async |change| {
        store::create(change, rule).await
    })
    .await?;
    Ok(precondition::created(
        format!("/v1/requirements/{}", requirement.id),
        requirement.version,
        RequirementView::from(requirement),
    ))
}

/// List requirements, oldest first.
///
/// Any signed-in caller. Filter by course and by the kind of selector.
#[utoipa::path(tag = "compliance",
    params(PageQuery, RequirementListQuery),
    responses((status = 200, description = "A page of requirements", body = PageView<RequirementView>),
        BadRequest, Unprocessable))]
#[get("/v1/requirements")]
pub async fn list_requirements(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<RequirementListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<RequirementView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let filter = RequirementFilter {
        course_id: query.course_id,
        selector_kind: query.selector_kind,
    };
    Ok(Json(PageView::from_page(
        store::list(&db, filter, page).await?,
        RequirementView::from,
    )))
}

/// Read one requirement.
///
/// Any signed-in caller. The `ETag` header carries its version for a later `If-Match`.
#[utoipa::path(tag = "compliance",
    params(("id" = Uuid, Path, description = "The requirement's id")),
    responses((status = 200, description = "The requirement; the `ETag` header carries its version", body = RequirementView, headers(("ETag" = String))),
        NotFound))]
#[get("/v1/requirements/{id}")]
pub async fn get_requirement(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(store::get(db.get_ref(), id.into_inner()).await?))
}

/// Change a requirement with a JSON merge patch of its writable fields.
///
/// Send the requirement's current `ETag` in `If-Match`. To end a rule but keep it in the
/// figures of the days it applied, set `effective_until`.
#[utoipa::path(tag = "compliance",
    params(("id" = Uuid, Path, description = "The requirement's id"), IfMatch),
    request_body(content = RequirementInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of RequirementInput to change; `application/json` is accepted too",
        example = json!({"effective_until": "2027-03-31"})),
    responses((status = 200, description = "The changed requirement, with its new `ETag`", body = RequirementView, headers(("ETag" = String))),
        PatchErrors, Forbidden))]
#[patch("/v1/requirements/{id}")]
pub async fn patch_requirement(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::required(&req)?;
    let current = store::get(db.get_ref(), id.into_inner()).await?;
    let input = merge_patch::apply(&req, &body, &RequirementInput::from(&current.rule))?;
    let rule = Rule::parse(input, london_date(Utc::now()))?;
    Ok(ok(write(&db, &caller.actor(), async |change| {
        store::update(change, current.id, expected, rule).await
    })
    .await?))
}

/// Delete a requirement; it no longer counts in any figure, past days included.
///
/// Admins only. Completions of the course stay in the learning record.
#[utoipa::path(tag = "compliance",
    params(("id" = Uuid, Path, description = "The requirement's id"), OptionalIfMatch),
    responses((status = 204, description = "Deleted"),
        Forbidden, NotFound, PreconditionFailed))]
#[delete("/v1/requirements/{id}")]
pub async fn delete_requirement(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::optional(&req)?.flatten();
    write(&db, &caller.actor(), async |change| {
        store::delete(change, id.into_inner(), expected).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_requirements)
        .service(create_requirement)
        .service(get_requirement)
        .service(patch_requirement)
        .service(delete_requirement);
}
