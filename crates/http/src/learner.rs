//! `/v1/learners`: employees and elected members.

use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::learner::{Learner, LearnerDraft, LearnerKind, LearnerProfile, LearnerStatus};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::effects::write;
use pathway_persistence::learner::{self as store, LearnerFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller, Role};
use crate::error::{ApiError, Problem};
use crate::headers::{IfMatch, OptionalIfMatch};
use crate::page::{PageQuery, PageView};
use crate::responses::{
    BadRequest, BodyErrors, Forbidden, NotFound, PatchErrors, PreconditionFailed, Unprocessable,
};
use crate::{merge_patch, precondition};

/// A learner's writable fields: the body of a create, and what a merge patch applies to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "employee", "given_name": "Priya", "family_name": "Shah", "email": "priya.shah@council.gov.uk",
    "external_ref": "HR-004211", "department": "Planning", "job_title": "Planning Officer",
    "started_on": "2026-04-01"
}))]
pub struct LearnerInput {
    pub kind: LearnerKind,
    #[schema(example = "Priya", min_length = 1, max_length = 100, pattern = r"\S")]
    pub given_name: String,
    #[schema(example = "Shah", min_length = 1, max_length = 100, pattern = r"\S")]
    pub family_name: String,
    /// Unique, whatever its case; stored lower-case.
    #[schema(example = "priya.shah@council.gov.uk", format = Email, max_length = 254)]
    pub email: String,
    /// The HR system's id for the person; unique when present.
    #[serde(default)]
    pub external_ref: Option<String>,
    /// Employees only.
    #[serde(default)]
    pub department: Option<String>,
    /// Employees only.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Employees only: their line manager, another employee.
    #[serde(default)]
    pub manager_id: Option<Uuid>,
    /// Elected members only.
    #[serde(default)]
    pub political_group: Option<String>,
    /// Elected members only.
    #[serde(default)]
    pub ward: Option<String>,
    /// Elected members only: committees they sit on, such as Planning or Licensing.
    #[serde(default)]
    pub committees: Vec<String>,
    /// Special responsibilities, such as `chair`.
    #[serde(default)]
    pub responsibilities: Vec<String>,
    /// When they joined the council or were elected; today when absent.
    #[serde(default)]
    pub started_on: Option<NaiveDate>,
}

impl From<LearnerInput> for LearnerDraft {
    fn from(input: LearnerInput) -> Self {
        LearnerDraft {
            kind: Some(input.kind),
            given_name: input.given_name,
            family_name: input.family_name,
            email: input.email,
            external_ref: input.external_ref,
            department: input.department,
            job_title: input.job_title,
            manager_id: input.manager_id,
            political_group: input.political_group,
            ward: input.ward,
            committees: input.committees,
            responsibilities: input.responsibilities,
            started_on: input.started_on,
        }
    }
}

impl From<&LearnerProfile> for LearnerInput {
    fn from(profile: &LearnerProfile) -> Self {
        let draft = profile.to_draft();
        LearnerInput {
            kind: profile.kind,
            given_name: draft.given_name,
            family_name: draft.family_name,
            email: draft.email,
            external_ref: draft.external_ref,
            department: draft.department,
            job_title: draft.job_title,
            manager_id: draft.manager_id,
            political_group: draft.political_group,
            ward: draft.ward,
            committees: draft.committees,
            responsibilities: draft.responsibilities,
            started_on: draft.started_on,
        }
    }
}

impl LearnerInput {
    fn parse(self) -> Result<LearnerProfile, ApiError> {
        Ok(LearnerProfile::parse(self.into(), london_date(Utc::now()))?)
    }
}

/// A learner as Pathway keeps them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "kind": "elected_member", "given_name": "Tom",
    "family_name": "Evans", "email": "cllr.evans@council.gov.uk", "external_ref": null,
    "department": null, "job_title": null, "manager_id": null, "political_group": "Independent",
    "ward": "Riverside", "committees": ["Planning"], "responsibilities": ["chair"], "status": "active",
    "started_on": "2026-05-07", "left_on": null, "created_at": "2026-05-08T09:30:00Z",
    "updated_at": "2026-05-08T09:30:00Z"
}))]
pub struct LearnerView {
    pub id: Uuid,
    pub kind: LearnerKind,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub external_ref: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub manager_id: Option<Uuid>,
    pub political_group: Option<String>,
    pub ward: Option<String>,
    pub committees: Vec<String>,
    pub responsibilities: Vec<String>,
    pub status: LearnerStatus,
    pub started_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Learner> for LearnerView {
    fn from(learner: Learner) -> Self {
        let p = learner.profile;
        LearnerView {
            id: learner.id,
            kind: p.kind,
            given_name: p.given_name,
            family_name: p.family_name,
            email: p.email.as_str().to_owned(),
            external_ref: p.external_ref,
            department: p.department,
            job_title: p.job_title,
            manager_id: p.manager_id,
            political_group: p.political_group,
            ward: p.ward,
            committees: p.committees,
            responsibilities: p.responsibilities,
            status: learner.status,
            started_on: p.started_on,
            left_on: learner.left_on,
            created_at: learner.created_at,
            updated_at: learner.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LearnerListQuery {
    pub kind: Option<LearnerKind>,
    pub status: Option<LearnerStatus>,
    pub department: Option<String>,
    /// Learners sitting on this committee.
    pub committee: Option<String>,
    pub political_group: Option<String>,
    /// Part of a name or email address, in any case.
    pub q: Option<String>,
}

/// Marks a learner as having left; `left_on` defaults to today (London).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"left_on": "2026-11-30"}))]
pub struct LeaveInput {
    #[serde(default)]
    #[schema(example = "2026-11-30")]
    pub left_on: Option<NaiveDate>,
}

/// Create a learner: an employee or an elected member.
///
/// Admins only. An employee carries HR fields (department, job title, manager); an elected
/// member carries political group, ward and committees. The email address is unique in any
/// case.
#[utoipa::path(tag = "learners",
    request_body = LearnerInput,
    responses((status = 201, description = "Created; `Location` and `ETag` headers are set", body = LearnerView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden,
        (status = 409, description = "Another learner has this email or external_ref", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/learners")]
pub async fn create_learner(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<LearnerInput>,
) -> Result<HttpResponse, ApiError> {
    let profile = body.into_inner().parse()?;
    let learner = write(&db, &caller.actor(), async |change| {
        store::create(change, profile).await
    })
    .await?;
    Ok(precondition::created(
        format!("/v1/learners/{}", learner.id),
        learner.version,
        LearnerView::from(learner),
    ))
}

/// Read one learner.
///
/// Learners read their own record; managers also their reports'; admins anyone's.
#[utoipa::path(tag = "learners",
    params(("id" = Uuid, Path, description = "The learner's id")),
    responses((status = 200, description = "The learner; the `ETag` header carries its version", body = LearnerView, headers(("ETag" = String))),
        Forbidden, NotFound))]
#[get("/v1/learners/{id}")]
pub async fn get_learner(
    caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let learner = store::get(db.get_ref(), id.into_inner()).await?;
    caller.may_see(&learner)?;
    Ok(precondition::tagged(
        actix_web::http::StatusCode::OK,
        learner.version,
        LearnerView::from(learner),
    ))
}

/// List learners, oldest first. Admins see all; a manager sees their reports.
///
/// Filter by kind, status, department, committee, political group, or a search (`q`).
#[utoipa::path(tag = "learners",
    params(PageQuery, LearnerListQuery),
    responses((status = 200, description = "A page of learners", body = PageView<LearnerView>),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/learners")]
pub async fn list_learners(
    caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<LearnerListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<LearnerView>>, ApiError> {
    let query = query.into_inner();
    let manager_id = if caller.has(Role::Admin) {
        None
    } else if caller.has(Role::Manager) {
        Some(caller.learner_id().ok_or(ApiError::Forbidden(
            "a manager's token names their learner id",
        ))?)
    } else {
        return Err(ApiError::Forbidden(
            "only admins and managers list learners",
        ));
    };
    let page = page.request()?;
    let filter = LearnerFilter {
        kind: query.kind,
        status: query.status,
        department: query.department,
        committee: query.committee,
        political_group: query.political_group,
        manager_id,
        q: query.q,
    };
    let learners = store::list(&db, filter, page).await?;
    Ok(Json(PageView::from_page(learners, LearnerView::from)))
}

/// Change a learner with a JSON merge patch of their writable fields.
///
/// Send the learner's current `ETag` in `If-Match`; `kind` cannot change.
#[utoipa::path(tag = "learners",
    params(("id" = Uuid, Path, description = "The learner's id"), IfMatch),
    request_body(content = LearnerInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of LearnerInput to change; `application/json` is accepted too",
        example = json!({"job_title": "Senior Planning Officer", "department": "Planning"})),
    responses((status = 200, description = "The changed learner, with its new `ETag`", body = LearnerView, headers(("ETag" = String))),
        PatchErrors, Forbidden,
        (status = 409, description = "Another learner has this email or external_ref", body = Problem, content_type = "application/problem+json"),
    ))]
#[patch("/v1/learners/{id}")]
pub async fn patch_learner(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::required(&req)?;
    let current = store::get(db.get_ref(), id.into_inner()).await?;
    let input = merge_patch::apply(&req, &body, &LearnerInput::from(&current.profile))?;
    let profile = input.parse()?;
    let learner = write(&db, &caller.actor(), async |change| {
        store::update(change, current.id, expected, profile).await
    })
    .await?;
    Ok(precondition::tagged(
        actix_web::http::StatusCode::OK,
        learner.version,
        LearnerView::from(learner),
    ))
}

/// Mark a learner as having left the council.
///
/// Their records are kept; their places on sessions still to come are cancelled and go to
/// the waitlist.
#[utoipa::path(tag = "learners",
    params(("id" = Uuid, Path, description = "The learner's id"), OptionalIfMatch),
    request_body = LeaveInput,
    responses((status = 200, description = "The learner, now `left`", body = LearnerView, headers(("ETag" = String))),
        BodyErrors, Forbidden, NotFound, PreconditionFailed,
        (status = 409, description = "The learner has already left", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/learners/{id}/leave")]
pub async fn leave_learner(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
    body: Json<LeaveInput>,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::optional(&req)?.flatten();
    let learner = write(&db, &caller.actor(), async |change| {
        store::leave(change, id.into_inner(), expected, body.left_on).await
    })
    .await?;
    Ok(precondition::tagged(
        actix_web::http::StatusCode::OK,
        learner.version,
        LearnerView::from(learner),
    ))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_learners)
        .service(create_learner)
        .service(get_learner)
        .service(patch_learner)
        .service(leave_learner);
}
