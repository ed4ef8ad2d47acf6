//! `/v1/programmes`: leadership development programmes and their ordered modules.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use pathway_domain::cohort::{Programme, ProgrammeDetails, ProgrammeInput};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::programme as store;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller};
use crate::error::ApiError;
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, BodyErrors, Forbidden, NotFound, Unprocessable};

#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleView {
    pub id: Uuid,
    /// 1 for the first module.
    pub position: i32,
    #[schema(example = "Self-awareness")]
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-aaaa-7d2e-9f40-1a2b3c4d5e70", "name": "Leading Others", "description": "For first-line managers.",
    "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70",
    "modules": [{"id": "019a8f3e-aaab-7d2e-9f40-1a2b3c4d5e70", "position": 1, "title": "Self-awareness"},
                {"id": "019a8f3e-aaac-7d2e-9f40-1a2b3c4d5e70", "position": 2, "title": "Culture"}],
    "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct ProgrammeView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub course_id: Uuid,
    pub modules: Vec<ModuleView>,
    pub created_at: DateTime<Utc>,
}

impl From<Programme> for ProgrammeView {
    fn from(p: Programme) -> Self {
        Self {
            id: p.id,
            name: p.name,
            description: p.description,
            course_id: p.course_id,
            modules: p
                .modules
                .into_iter()
                .map(|m| ModuleView {
                    id: m.id,
                    position: m.position,
                    title: m.title,
                })
                .collect(),
            created_at: p.created_at,
        }
    }
}

/// Create a leadership programme with its modules in order.
///
/// Admins only. A programme, such as Leading Others, with its modules in order; cohorts are its
/// intakes.
#[utoipa::path(tag = "programmes",
    request_body = ProgrammeInput,
    responses((status = 201, description = "Created", body = ProgrammeView, headers(("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden))]
#[post("/v1/programmes")]
pub async fn create_programme(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<ProgrammeInput>,
) -> Result<HttpResponse, ApiError> {
    let details = ProgrammeDetails::parse(body.into_inner())?;
    let programme = store::create(&db, details, &caller.actor()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/programmes/{}", programme.id)))
        .json(ProgrammeView::from(programme)))
}

/// List programmes, oldest first.
///
/// Any signed-in caller.
#[utoipa::path(tag = "programmes",
    params(PageQuery),
    responses((status = 200, description = "A page of programmes", body = PageView<ProgrammeView>),
        BadRequest, Unprocessable))]
#[get("/v1/programmes")]
pub async fn list_programmes(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<ProgrammeView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::list(&db, page).await?,
        ProgrammeView::from,
    )))
}

/// Read one programme.
///
/// Any signed-in caller. Includes its modules in order.
#[utoipa::path(tag = "programmes",
    params(("id" = Uuid, Path, description = "The programme's id")),
    responses((status = 200, description = "The programme", body = ProgrammeView),
        NotFound))]
#[get("/v1/programmes/{id}")]
pub async fn get_programme(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<ProgrammeView>, ApiError> {
    Ok(Json(
        store::get(db.get_ref(), id.into_inner()).await?.into(),
    ))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_programmes)
        .service(create_programme)
        .service(get_programme);
}
