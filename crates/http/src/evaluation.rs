//! `/v1/panels/{id}/evaluations` and the programme recommendation they add up to.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::evaluation::{
    Appraisal, Evaluation, EvaluationInput, EvaluationStatus, Evidence, ProgrammeRecommendation,
    Ratings, Recommendation, RecommendationKind, Recommended, ScopeInput,
};
use pathway_domain::governance::MunicipalYear;
use pathway_persistence::evaluation::{self as store, Context};
use pathway_persistence::{DatabaseConnection, course, panel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::Rules;
use crate::auth::{Caller, Governor};
use crate::error::{ApiError, Problem};
use crate::headers::{IfMatch, OptionalIfMatch};
use crate::page::{PageQuery, PageView};
use crate::report::accepts;
use crate::responses::{
    BadRequest, BodyErrors, Forbidden, NotFound, PatchErrors, PreconditionFailed, Unprocessable,
    UnsupportedMediaType,
};
use crate::{merge_patch, precondition};

/// An evaluation with the evidence it was drafted on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000c1", "panel_id": "019a8f40-0000-7000-8000-0000000000f1",
    "status": "agreed", "scope": {"kind": "programme"}, "period_start": "2025-05-01", "period_end": "2026-04-30",
    "ratings": {"needs_met": 4, "uptake": 3, "accessibility": 4, "quality": 5},
    "findings": "Uptake of planning training was high; evening sessions were asked for.",
    "recommendations": [{"kind": "add", "course_id": null, "text": "Commission a course on chairing meetings", "training_request_ids": []}],
    "evidence": {
        "delivery": {"sessions": 12, "delegates": 140, "attended": 120, "no_shows": 10, "attendance_rate": 0.923, "ratings": 96, "mean_feedback": 4.4},
        "compliance": {"as_of": "2026-04-30", "learners": 54, "compliant": 47, "share": 0.87},
        "budget": [{"financial_year": "2025-26", "allocated_pence": 6000000, "committed_pence": 400000, "spent_pence": 3900000, "remaining_pence": 1700000}]
    },
    "meeting_id": "019a8f40-0000-7000-8000-0000000000e2", "agreed_at": "2026-06-11T18:30:00Z",
    "created_at": "2026-05-20T09:00:00Z", "updated_at": "2026-06-11T18:30:00Z"
}))]
pub struct EvaluationView {
    pub id: Uuid,
    pub panel_id: Uuid,
    /// `draft` can change; `agreed` is the panel's record and cannot.
    pub status: EvaluationStatus,
    pub scope: ScopeInput,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub ratings: Ratings,
    pub findings: Option<String>,
    pub recommendations: Vec<Recommendation>,
    /// Gathered when the evaluation was drafted (again if its scope or period changed), and
    /// kept as it was: delivery as in `GET /v1/reports/delivery` for the period, compliance as
    /// the `overall` of `GET /v1/reports/compliance` on its last day (or today, if later),
    /// money as `GET /v1/budgets/{financial_year}/summary` for each year the period touches.
    pub evidence: Evidence,
    /// The meeting that agreed it.
    pub meeting_id: Option<Uuid>,
    pub agreed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Evaluation> for EvaluationView {
    fn from(evaluation: Evaluation) -> Self {
        let input = EvaluationInput::from(&evaluation.appraisal);
        Self {
            id: evaluation.id,
            panel_id: evaluation.panel_id,
            status: evaluation.status,
            scope: input.scope,
            period_start: input.period_start,
            period_end: input.period_end,
            ratings: input.ratings,
            findings: input.findings,
            recommendations: input.recommendations,
            evidence: evaluation.evidence,
            meeting_id: evaluation.meeting_id,
            agreed_at: evaluation.agreed_at,
            created_at: evaluation.created_at,
            updated_at: evaluation.updated_at,
        }
    }
}

fn ok(evaluation: Evaluation) -> HttpResponse {
    precondition::tagged(
        StatusCode::OK,
        evaluation.version,
        EvaluationView::from(evaluation),
    )
}

fn context(rules: &Rules) -> Context {
    Context {
        today: london_date(Utc::now()),
        supporters_for_panel: usize::try_from(rules.supporters_for_panel).unwrap_or(usize::MAX),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvaluationListQuery {
    /// Only drafts, or only agreed evaluations.
    pub status: Option<EvaluationStatus>,
}

/// The meeting at which the panel agreed an evaluation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_id": "019a8f40-0000-7000-8000-0000000000e2"}))]
pub struct AgreeInput {
    /// One of this panel's meetings, already held.
    pub meeting_id: Uuid,
}

/// Draft an evaluation of the programme or of one course for a period.
///
/// Pathway attaches the evidence for the scope and period as a snapshot: sessions run,
/// delegates, attendance rate, mean feedback, compliance share, and spend against budget.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id")),
    request_body = EvaluationInput,
    responses((status = 201, description = "Drafted, with its evidence; `Location` and `ETag` headers are set", body = EvaluationView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden, NotFound))]
#[post("/v1/panels/{id}/evaluations")]
pub async fn create_evaluation(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
    body: Json<EvaluationInput>,
) -> Result<HttpResponse, ApiError> {
    let panel_id = id.into_inner();
    let appraisal = Appraisal::parse(body.into_inner())?;
    let evaluation =
        store::create(&db, panel_id, appraisal, context(&rules), &caller.actor()).await?;
    Ok(precondition::created(
        format!("/v1/panels/{panel_id}/evaluations/{}", evaluation.id),
        evaluation.version,
        EvaluationView::from(evaluation),
    ))
}

/// List a panel's evaluations, oldest first.
///
/// Any signed-in caller. Filter by status: `draft` or `agreed`.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id"), PageQuery, EvaluationListQuery),
    responses((status = 200, description = "A page of evaluations", body = PageView<EvaluationView>),
        BadRequest, NotFound, Unprocessable))]
#[get("/v1/panels/{id}/evaluations")]
pub async fn list_evaluations(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    query: Query<EvaluationListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<EvaluationView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::list(&db, id.into_inner(), query.status, page).await?,
        EvaluationView::from,
    )))
}

/// Read one evaluation.
///
/// Any signed-in caller. Includes the evidence gathered for its scope and period: sessions run,
/// attendance, feedback ratings and spend.
#[utoipa::path(tag = "governance",
    params(
        ("id" = Uuid, Path, description = "The panel's id"),
        ("evaluation_id" = Uuid, Path, description = "The evaluation's id"),
    ),
    responses((status = 200, description = "The evaluation; the `ETag` header carries its version", body = EvaluationView, headers(("ETag" = String))),
        NotFound))]
#[get("/v1/panels/{id}/evaluations/{evaluation_id}")]
pub async fn get_evaluation(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    path: Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (panel_id, id) = path.into_inner();
    Ok(ok(store::get(db.get_ref(), panel_id, id).await?))
}

/// Redraft an evaluation with a JSON merge patch; an agreed one cannot change (409).
///
/// Admins and panel members. Send the evaluation's `ETag` in `If-Match`. Changing its scope or
/// period gathers the evidence again.
#[utoipa::path(tag = "governance",
    params(
        ("id" = Uuid, Path, description = "The panel's id"),
        ("evaluation_id" = Uuid, Path, description = "The evaluation's id"),
        IfMatch,
    ),
    request_body(content = EvaluationInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of EvaluationInput to change; `application/json` is accepted too",
        example = json!({"ratings": {"quality": 4}, "findings": "Evening sessions were asked for."})),
    responses((status = 200, description = "The redrafted evaluation, with its new `ETag`", body = EvaluationView, headers(("ETag" = String))),
        PatchErrors, Forbidden,
        (status = 409, description = "The evaluation is agreed and cannot change", body = Problem, content_type = "application/problem+json"),
    ))]
#[patch("/v1/panels/{id}/evaluations/{evaluation_id}")]
pub async fn patch_evaluation(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    path: Path<(Uuid, Uuid)>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let (panel_id, id) = path.into_inner();
    let expected = precondition::required(&req)?;
    let current = store::get(db.get_ref(), panel_id, id).await?;
    // Refused before the patch is read, so an agreed evaluation says 409 whatever was sent.
    current.revise()?;
    let input = merge_patch::apply(&req, &body, &EvaluationInput::from(&current.appraisal))?;
    Ok(ok(store::update(
        &db,
        panel_id,
        id,
        expected,
        Appraisal::parse(input)?,
        context(&rules),
        &caller.actor(),
    )
    .await?))
}

/// Record that the panel agreed an evaluation at one of its meetings; it is then fixed.
///
/// Admins and panel members. Name the meeting (one of this panel's) that agreed it.
#[utoipa::path(tag = "governance",
    params(
        ("id" = Uuid, Path, description = "The panel's id"),
        ("evaluation_id" = Uuid, Path, description = "The evaluation's id"),
        OptionalIfMatch,
    ),
    request_body = AgreeInput,
    responses((status = 200, description = "Agreed", body = EvaluationView, headers(("ETag" = String))),
        BadRequest, Forbidden, NotFound, PreconditionFailed, UnsupportedMediaType, Unprocessable,
        (status = 409, description = "Already agreed", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/panels/{id}/evaluations/{evaluation_id}/agree")]
pub async fn agree_evaluation(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    path: Path<(Uuid, Uuid)>,
    req: HttpRequest,
    body: Json<AgreeInput>,
) -> Result<HttpResponse, ApiError> {
    let (panel_id, id) = path.into_inner();
    let expected = precondition::optional(&req)?.flatten();
    Ok(ok(store::agree(
        &db,
        panel_id,
        id,
        body.meeting_id,
        expected,
        london_date(Utc::now()),
        &caller.actor(),
    )
    .await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// The municipal year, such as `2025-26`; the current one when absent.
    pub municipal_year: Option<String>,
}

/// One agreed recommendation, with where it came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendedView {
    pub kind: RecommendationKind,
    pub course_id: Option<Uuid>,
    pub course_title: Option<String>,
    pub text: String,
    pub training_request_ids: Vec<Uuid>,
    pub evaluation_id: Uuid,
    /// The day of the meeting that agreed it.
    pub agreed_on: NaiveDate,
}

/// A municipal year's agreed recommendations, ready to send to the Cabinet Member.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "panel_id": "019a8f40-0000-7000-8000-0000000000f1",
    "panel_name": "Member Development Cabinet Member Advisory Panel",
    "advises": "Cabinet Member for Policy and Leadership", "municipal_year": "2025-26",
    "recommendations": [{"kind": "add", "course_id": null, "course_title": null, "text": "Commission a course on chairing meetings",
        "training_request_ids": [], "evaluation_id": "019a8f40-0000-7000-8000-0000000000c1", "agreed_on": "2026-03-10"}]
}))]
pub struct RecommendationView {
    pub panel_id: Uuid,
    pub panel_name: String,
    pub advises: String,
    pub municipal_year: String,
    /// In the order they were agreed.
    pub recommendations: Vec<RecommendedView>,
}

/// The programme recommendation: a municipal year's agreed recommendations in one document.
///
/// Every recommendation of the evaluations agreed at the panel's meetings in that year.
/// `Accept: text/markdown` returns the document as Markdown, ready to send.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id"), RecommendationQuery),
    responses((status = 200, description = "The document", content(
            (RecommendationView = "application/json"),
            (String = "text/markdown", example = "# Learning and development programme 2025-26\n\nTo: Cabinet Member for Policy and Leadership  \nFrom: Member Development Cabinet Member Advisory Panel\n\n## Add to the programme\n\n- Commission a course on chairing meetings (agreed 2026-03-10)\n\n"),
        )),
        BadRequest, NotFound, Unprocessable))]
#[get("/v1/panels/{id}/recommendation")]
pub async fn get_recommendation(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
    query: Query<RecommendationQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let start = rules.municipal_year_start;
    let year = match query.municipal_year.as_deref() {
        Some(raw) => MunicipalYear::parse(raw, start)?,
        None => MunicipalYear::containing(london_date(Utc::now()), start),
    };
    let panel = panel::get(db.get_ref(), id.into_inner()).await?;
    let agreed =
        store::agreed_between(db.get_ref(), panel.id, year.first_day(), year.last_day()).await?;
    let mut items = Vec::new();
    for (evaluation, agreed_on) in agreed {
        for recommendation in evaluation.appraisal.recommendations {
            let course_title = match recommendation.course_id {
                Some(course_id) => Some(course::get(db.get_ref(), course_id).await?.details.title),
                None => None,
            };
            items.push(Recommended {
                recommendation,
                course_title,
                evaluation_id: evaluation.id,
                agreed_on,
            });
        }
    }
    let document = ProgrammeRecommendation {
        panel_name: panel.details.name,
        advises: panel.details.advises,
        municipal_year: year.name(),
        items,
    };
    if accepts(&req, "text/markdown") {
        return Ok(HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .body(document.to_markdown()));
    }
    Ok(HttpResponse::Ok().json(RecommendationView {
        panel_id: panel.id,
        panel_name: document.panel_name,
        advises: document.advises,
        municipal_year: document.municipal_year,
        recommendations: document
            .items
            .into_iter()
            .map(|item| RecommendedView {
                kind: item.recommendation.kind,
                course_id: item.recommendation.course_id,
                course_title: item.course_title,
                text: item.recommendation.text,
                training_request_ids: item.recommendation.training_request_ids,
                evaluation_id: item.evaluation_id,
                agreed_on: item.agreed_on,
            })
            .collect(),
    }))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_evaluations)
        .service(create_evaluation)
        .service(get_evaluation)
        .service(patch_evaluation)
        .service(agree_evaluation)
        .service(get_recommendation);
}
