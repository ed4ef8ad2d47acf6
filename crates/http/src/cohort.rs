//! `/v1/cohorts`: the intakes of a programme, their members and their progress.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::cohort::{Cohort, CohortDetails, CohortInput, CohortStatus, ModuleStatus};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::cohort::{self as store, Member, MemberProgress};
use pathway_persistence::effects::write;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller, Role};
use crate::error::{ApiError, Problem};
use crate::page::{PageQuery, PageView};
use crate::programme::ModuleView;
use crate::responses::{
    BadRequest, BodyErrors, Forbidden, NotFound, PayloadTooLarge, Unprocessable,
    UnsupportedMediaType,
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-bbbb-7d2e-9f40-1a2b3c4d5e70", "programme_id": "019a8f3e-aaaa-7d2e-9f40-1a2b3c4d5e70",
    "starts_on": "2027-01-04", "capacity": 12, "facilitator": "Leadership Academy", "status": "open",
    "members": 7, "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct CohortView {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub starts_on: NaiveDate,
    pub capacity: i32,
    pub facilitator: Option<String>,
    /// Derived from the start date (in London) and the members' progress.
    pub status: CohortStatus,
    /// How many have joined.
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Cohort> for CohortView {
    fn from(c: Cohort) -> Self {
        let status = c.status(london_date(Utc::now()));
        Self {
            id: c.id,
            programme_id: c.details.programme_id,
            starts_on: c.details.starts_on,
            capacity: c.details.capacity,
            facilitator: c.details.facilitator,
            status,
            members: c.members,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CohortListQuery {
    pub programme_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f"}))]
pub struct MemberInput {
    pub learner_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "joined_at": "2026-11-22T10:00:00Z"}))]
pub struct MemberView {
    pub learner_id: Uuid,
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            learner_id: m.learner_id,
            joined_at: m.joined_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "joined_at": "2026-11-22T10:00:00Z"}]}))]
pub struct MembersView {
    pub items: Vec<MemberView>,
}

/// A member's progress on one module.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "module_id": "019a8f3e-aaab-7d2e-9f40-1a2b3c4d5e70",
    "status": "completed", "completed_on": "2027-02-01"
}))]
pub struct ProgressInput {
    pub learner_id: Uuid,
    pub module_id: Uuid,
    pub status: ModuleStatus,
    /// For `completed`: the day; today (London) when absent.
    #[serde(default)]
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleProgressView {
    pub module_id: Uuid,
    pub status: ModuleStatus,
    pub completed_on: Option<NaiveDate>,
}

/// One member's row of the grid, one entry per module in order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "completed": false, "modules": [
    {"module_id": "019a8f3e-aaab-7d2e-9f40-1a2b3c4d5e70", "status": "completed", "completed_on": "2027-02-01"},
    {"module_id": "019a8f3e-aaac-7d2e-9f40-1a2b3c4d5e70", "status": "in_progress", "completed_on": null}
]}))]
pub struct MemberProgressView {
    pub learner_id: Uuid,
    /// Every module completed: the programme completion is recorded.
    pub completed: bool,
    pub modules: Vec<ModuleProgressView>,
}

/// The progress grid: the programme's modules across, the members down.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "cohort_id": "019a8f3e-bbbb-7d2e-9f40-1a2b3c4d5e70",
    "modules": [{"id": "019a8f3e-aaab-7d2e-9f40-1a2b3c4d5e70", "position": 1, "title": "Self-awareness"}],
    "members": [{"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "completed": true,
                 "modules": [{"module_id": "019a8f3e-aaab-7d2e-9f40-1a2b3c4d5e70", "status": "completed", "completed_on": "2027-02-01"}]}]
}))]
pub struct ProgressGridView {
    pub cohort_id: Uuid,
    pub modules: Vec<ModuleView>,
    pub members: Vec<MemberProgressView>,
}

fn member_row(
    modules: &[pathway_domain::cohort::Module],
    progress: MemberProgress,
) -> MemberProgressView {
    let cells: Vec<ModuleProgressView> = modules
        .iter()
        .map(|m| {
            let (status, completed_on) = progress
                .modules
                .get(&m.id)
                .copied()
                .unwrap_or((ModuleStatus::NotStarted, None));
            ModuleProgressView {
                module_id: m.id,
                status,
                completed_on,
            }
        })
        .collect();
    MemberProgressView {
        learner_id: progress.learner_id,
        completed: cells.iter().all(|c| c.status == ModuleStatus::Completed),
        modules: cells,
    }
}

/// Open an intake of a programme.
///
/// Admins only. A cohort is one intake of a leadership programme, with a start day and a
/// capacity.
#[utoipa::path(tag = "programmes",
    request_body = CohortInput,
    responses((status = 201, description = "Created", body = CohortView, headers(("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden))]
#[post("/v1/cohorts")]
pub async fn create_cohort(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<CohortInput>,
) -> Result<HttpResponse, ApiError> {
    let details = CohortDetails::parse(body.into_inner())?;
    let cohort = store::create(&db, details, &caller.actor()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/cohorts/{}", cohort.id)))
        .json(CohortView::from(cohort)))
}

/// List cohorts, oldest first.
///
/// Any signed-in caller. Filter by programme.
#[utoipa::path(tag = "programmes",
    params(PageQuery, CohortListQuery),
    responses((status = 200, description = "A page of cohorts", body = PageView<CohortView>),
        BadRequest, Unprocessable))]
#[get("/v1/cohorts")]
pub async fn list_cohorts(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<CohortListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<CohortView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::list(&db, query.programme_id, page).await?,
        CohortView::from,
    )))
}

/// Read one cohort.
///
/// Any signed-in caller. Includes its status and how many members it has against its capacity.
#[utoipa::path(tag = "programmes",
    params(("id" = Uuid, Path, description = "The cohort's id")),
    responses((status = 200, description = "The cohort", body = CohortView),
        NotFound))]
#[get("/v1/cohorts/{id}")]
pub async fn get_cohort(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<CohortView>, ApiError> {
    Ok(Json(
        store::get(db.get_ref(), id.into_inner()).await?.into(),
    ))
}

/// Add a learner to a cohort while a place is free.
///
/// Admins only. Refused (409) when the learner is already a member, the cohort is full, or it
/// has completed.
#[utoipa::path(operation_id = "add_cohort_member", tag = "programmes",
    params(("id" = Uuid, Path, description = "The cohort's id")),
    request_body = MemberInput,
    responses((status = 201, description = "Joined", body = MemberView),
        BadRequest, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType,
        (status = 409, description = "Already a member, the cohort is full, or it has completed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such learner, one who has left, or one outside the programme's audience", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/cohorts/{id}/members")]
pub async fn add_member(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    body: Json<MemberInput>,
) -> Result<HttpResponse, ApiError> {
    let member = store::add_member(&db, id.into_inner(), body.learner_id, &caller.actor()).await?;
    Ok(HttpResponse::Created().json(MemberView::from(member)))
}

/// A cohort's members in the order they joined.
///
/// Admins only. Each member with the day they joined.
#[utoipa::path(operation_id = "list_cohort_members", tag = "programmes",
    params(("id" = Uuid, Path, description = "The cohort's id")),
    responses((status = 200, description = "The members", body = MembersView),
        Forbidden, NotFound))]
#[get("/v1/cohorts/{id}/members")]
pub async fn list_members(
    _: Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<MembersView>, ApiError> {
    let members = store::members(&db, id.into_inner()).await?;
    Ok(Json(MembersView {
        items: members.into_iter().map(MemberView::from).collect(),
    }))
}

/// Remove a member and their progress. One who completed the programme stays.
///
/// Admins only. The place is free again for someone else.
#[utoipa::path(operation_id = "remove_cohort_member", tag = "programmes",
    params(("id" = Uuid, Path, description = "The cohort's id"), ("learner_id" = Uuid, Path, description = "The member's learner id")),
    responses((status = 204, description = "Removed"),
        Forbidden, NotFound,
        (status = 409, description = "The member has completed the programme", body = Problem, content_type = "application/problem+json"),
    ))]
#[delete("/v1/cohorts/{id}/members/{learner_id}")]
pub async fn remove_member(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    path: Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (cohort_id, learner_id) = path.into_inner();
    store::remove_member(&db, cohort_id, learner_id, &caller.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Record a member's progress on a module.
///
/// Modules are completed in order; completing the last records the programme's completion.
#[utoipa::path(operation_id = "record_cohort_progress", tag = "programmes",
    params(("id" = Uuid, Path, description = "The cohort's id")),
    request_body = ProgressInput,
    responses((status = 200, description = "The member's progress", body = MemberProgressView),
        BadRequest, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType,
        (status = 409, description = "An earlier module is not completed yet, or a later one already is", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a member, or not a module of the programme", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/cohorts/{id}/progress")]
pub async fn record_progress(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    body: Json<ProgressInput>,
) -> Result<Json<MemberProgressView>, ApiError> {
    let cohort_id = id.into_inner();
    let body = body.into_inner();
    let progress = write(&db, &caller.actor(), async |change| {
        store::record_progress(
            change,
            cohort_id,
            body.learner_id,
            body.module_id,
            body.status,
            body.completed_on,
        )
        .await
    })
    .await?;
    let grid = store::progress_grid(&db, cohort_id).await?;
    Ok(Json(member_row(&grid.programme.modules, progress)))
}

/// The progress grid. A member sees their own row; admins see everyone's.
///
/// Any signed-in caller: admins see every member's row, anyone else only their own. Each row
/// holds the member's status on each module of the programme, in order.
#[utoipa::path(operation_id = "get_cohort_progress", tag = "programmes",
    params(("id" = Uuid, Path, description = "The cohort's id")),
    responses((status = 200, description = "The grid", body = ProgressGridView),
        NotFound))]
#[get("/v1/cohorts/{id}/progress")]
pub async fn get_progress(
    caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<ProgressGridView>, ApiError> {
    let cohort_id = id.into_inner();
    let grid = store::progress_grid(&db, cohort_id).await?;
    let me = caller.learner_id();
    let modules = grid.programme.modules;
    let members = grid
        .members
        .into_iter()
        .filter(|m| caller.has(Role::Admin) || Some(m.learner_id) == me)
        .map(|m| member_row(&modules, m))
        .collect();
    Ok(Json(ProgressGridView {
        cohort_id,
        modules: modules
            .into_iter()
            .map(|m| ModuleView {
                id: m.id,
                position: m.position,
                title: m.title,
            })
            .collect(),
        members,
    }))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_cohorts)
        .service(create_cohort)
        .service(get_cohort)
        .service(list_members)
        .service(add_member)
        .service(remove_member)
        .service(get_progress)
        .service(record_progress);
}
