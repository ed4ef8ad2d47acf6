//! `/v1/courses`: the catalogue.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::course::{
    Audience, Category, Course, CourseDetails, CourseInput, CourseStatus, Delivery,
    EqualityImpactAssessment, Offer, Pillar,
};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::course::{self as store, CourseFilter};
use pathway_persistence::effects::write;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller};
use crate::error::{ApiError, Problem};
use crate::headers::{IfMatch, OptionalIfMatch};
use crate::page::{PageQuery, PageView};
use crate::responses::{
    BadRequest, BodyErrors, Forbidden, NotFound, PatchErrors, PreconditionFailed, Unprocessable,
};
use crate::{merge_patch, precondition};

/// A catalogue entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "code": "GDPR", "title": "Data protection (GDPR)",
    "description": "The yearly refresher every learner takes.", "pillar": "essential", "category": "knowledge_based",
    "offer": "mandatory", "audience": "all", "delivery": "elearning", "provider": "In-house",
    "qualification": null, "cost_pence": 0, "validity_months": 12, "go_live_on": "2026-04-01",
    "status": "published",
    "equality_impact_assessment": {"status": "completed", "completed_on": "2026-03-01", "summary": "No adverse impact."},
    "xapi_activity_id": "https://learnpool.example/courses/gdpr-refresher",
    "created_at": "2026-02-10T10:00:00Z", "updated_at": "2026-03-02T08:15:00Z"
}))]
pub struct CourseView {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub pillar: Pillar,
    pub category: Category,
    pub offer: Offer,
    pub audience: Audience,
    pub delivery: Delivery,
    pub provider: String,
    pub qualification: Option<String>,
    pub cost_pence: i64,
    pub validity_months: Option<i32>,
    pub go_live_on: Option<NaiveDate>,
    pub status: CourseStatus,
    pub equality_impact_assessment: EqualityImpactAssessment,
    pub xapi_activity_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Course> for CourseView {
    fn from(course: Course) -> Self {
        let d = course.details;
        CourseView {
            id: course.id,
            code: d.code.as_str().to_owned(),
            title: d.title,
            description: d.description,
            pillar: d.pillar,
            category: d.category,
            offer: d.offer,
            audience: d.audience,
            delivery: d.delivery,
            provider: d.provider,
            qualification: d.qualification,
            cost_pence: d.cost_pence,
            validity_months: d.validity_months,
            go_live_on: d.go_live_on,
            status: course.status,
            equality_impact_assessment: d.equality_impact_assessment,
            xapi_activity_id: d.xapi_activity_id,
            created_at: course.created_at,
            updated_at: course.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CourseListQuery {
    pub status: Option<CourseStatus>,
    pub pillar: Option<Pillar>,
    pub category: Option<Category>,
    pub offer: Option<Offer>,
    pub audience: Option<Audience>,
    pub delivery: Option<Delivery>,
}

fn ok(course: Course) -> HttpResponse {
    precondition::tagged(StatusCode::OK, course.version, CourseView::from(course))
}

/// Add a course to the catalogue, as a draft.
///
/// Admins only. The course starts as a `draft`: it joins the offer and the training matrix when
/// it is published.
#[utoipa::path(tag = "courses",
    request_body = CourseInput,
    responses((status = 201, description = "Created as a draft; `Location` and `ETag` headers are set", body = CourseView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden,
        (status = 409, description = "Another course has this code", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/courses")]
pub async fn create_course(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<CourseInput>,
) -> Result<HttpResponse, ApiError> {
    let details = CourseDetails::parse(body.into_inner())?;
    let course = write(&db, &caller.actor(), async |change| {
        store::create(change, details).await
    })
    .await?;
    Ok(precondition::created(
        format!("/v1/courses/{}", course.id),
        course.version,
        CourseView::from(course),
    ))
}

/// Read one course.
///
/// Any signed-in caller. The `ETag` header carries the course's version for a later `If-Match`.
#[utoipa::path(tag = "courses",
    params(("id" = Uuid, Path, description = "The course's id")),
    responses((status = 200, description = "The course; the `ETag` header carries its version", body = CourseView, headers(("ETag" = String))),
        NotFound))]
#[get("/v1/courses/{id}")]
pub async fn get_course(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(store::get(db.get_ref(), id.into_inner()).await?))
}

/// List the catalogue, oldest first, filtered by status and any of the course's categories.
///
/// Any signed-in caller. Filters combine: `?status=published&pillar=essential` lists the
/// published statutory and mandatory courses.
#[utoipa::path(tag = "courses",
    params(PageQuery, CourseListQuery),
    responses((status = 200, description = "A page of courses", body = PageView<CourseView>),
        BadRequest, Unprocessable))]
#[get("/v1/courses")]
pub async fn list_courses(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<CourseListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<CourseView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let filter = CourseFilter {
        status: query.status,
        pillar: query.pillar,
        category: query.category,
        offer: query.offer,
        audience: query.audience,
        delivery: query.delivery,
    };
    Ok(Json(PageView::from_page(
        store::list(&db, filter, page).await?,
        CourseView::from,
    )))
}

/// Change a course with a JSON merge patch of its writable fields.
///
/// Send the course's current `ETag` in `If-Match`. Retired courses cannot change, and a
/// published course keeps its completed equality impact assessment.
#[utoipa::path(tag = "courses",
    params(("id" = Uuid, Path, description = "The course's id"), IfMatch),
    request_body(content = CourseInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of CourseInput to change; `application/json` is accepted too",
        example = json!({"equality_impact_assessment": {"status": "completed", "completed_on": "2026-03-01", "summary": "No adverse impact."}})),
    responses((status = 200, description = "The changed course, with its new `ETag`", body = CourseView, headers(("ETag" = String))),
        PatchErrors, Forbidden,
        (status = 409, description = "Another course has this code, or the course's status forbids the change", body = Problem, content_type = "application/problem+json"),
    ))]
#[patch("/v1/courses/{id}")]
pub async fn patch_course(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::required(&req)?;
    let current = store::get(db.get_ref(), id.into_inner()).await?;
    let input = merge_patch::apply(&req, &body, &current.details.to_input())?;
    let details = CourseDetails::parse(input)?;
    Ok(ok(write(&db, &caller.actor(), async |change| {
        store::update(change, current.id, expected, details).await
    })
    .await?))
}

/// Publish a draft course into the offer. Its equality impact assessment must be completed.
///
/// Admins only. Every new course needs a completed equality impact assessment before it is
/// published (409 otherwise).
#[utoipa::path(tag = "courses",
    params(("id" = Uuid, Path, description = "The course's id"), OptionalIfMatch),
    responses((status = 200, description = "The course, now `published`", body = CourseView, headers(("ETag" = String))),
        Forbidden, NotFound, PreconditionFailed,
        (status = 409, description = "Not a draft, or its equality impact assessment is not completed", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/courses/{id}/publish")]
pub async fn publish_course(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::optional(&req)?.flatten();
    Ok(ok(write(&db, &caller.actor(), async |change| {
        store::publish(change, id.into_inner(), expected).await
    })
    .await?))
}

/// Retire a published course from the offer. Its history stays.
///
/// Admins only. A retired course leaves the offer and the training matrix, and takes no new
/// sessions.
#[utoipa::path(tag = "courses",
    params(("id" = Uuid, Path, description = "The course's id"), OptionalIfMatch),
    responses((status = 200, description = "The course, now `retired`", body = CourseView, headers(("ETag" = String))),
        Forbidden, NotFound, PreconditionFailed,
        (status = 409, description = "The course is not published", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/courses/{id}/retire")]
pub async fn retire_course(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::optional(&req)?.flatten();
    Ok(ok(write(&db, &caller.actor(), async |change| {
        store::retire(change, id.into_inner(), expected).await
    })
    .await?))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_courses)
        .service(create_course)
        .service(get_course)
        .service(patch_course)
        .service(publish_course)
        .service(retire_course);
}
