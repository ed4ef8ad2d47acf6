//! `/v1/feedback`: delegates' evaluations of sessions and cohort modules, and their summaries.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Query};
use actix_web::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::feedback::{Feedback, FeedbackDetails, FeedbackDraft, Subject, Summary};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::feedback::{self as store, FeedbackFilter, Grouping};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller, Role};
use crate::error::{ApiError, Problem};
use crate::page::{PageQuery, PageView};
use crate::responses::{
    BadRequest, Forbidden, PayloadTooLarge, Unprocessable, UnsupportedMediaType,
};

/// An evaluation of a session the learner attended, or of a module of their cohort.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "session_id": "019a8f3e-7777-7d2e-9f40-1a2b3c4d5e70",
    "rating": 5, "comments": "Practical and well paced.", "would_recommend": true
}))]
pub struct FeedbackInput {
    /// The learner giving it: the caller themself, or anyone for an admin.
    pub learner_id: Uuid,
    /// Either this, or `cohort_id` with `module_id`.
    #[serde(default)]
    pub session_id: Option<Uuid>,
    #[serde(default)]
    pub cohort_id: Option<Uuid>,
    #[serde(default)]
    pub module_id: Option<Uuid>,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i32,
    #[serde(default)]
    pub comments: Option<String>,
    pub would_recommend: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-cccc-7d2e-9f40-1a2b3c4d5e70", "learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f",
    "session_id": "019a8f3e-7777-7d2e-9f40-1a2b3c4d5e70", "cohort_id": null, "module_id": null, "rating": 5,
    "comments": "Practical and well paced.", "would_recommend": true, "given_at": "2026-11-22T16:45:00Z"
}))]
pub struct FeedbackView {
    pub id: Uuid,
    pub learner_id: Uuid,
    pub session_id: Option<Uuid>,
    pub cohort_id: Option<Uuid>,
    pub module_id: Option<Uuid>,
    pub rating: i32,
    pub comments: Option<String>,
    pub would_recommend: bool,
    pub given_at: DateTime<Utc>,
}

impl From<Feedback> for FeedbackView {
    fn from(f: Feedback) -> Self {
        let (session_id, cohort_id, module_id) = match f.details.subject {
            Subject::Session(id) => (Some(id), None, None),
            Subject::Module {
                cohort_id,
                module_id,
            } => (None, Some(cohort_id), Some(module_id)),
        };
        Self {
            id: f.id,
            learner_id: f.details.learner_id,
            session_id,
            cohort_id,
            module_id,
            rating: f.details.rating,
            comments: f.details.comments,
            would_recommend: f.details.would_recommend,
            given_at: f.given_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackListQuery {
    pub session_id: Option<Uuid>,
    pub cohort_id: Option<Uuid>,
    pub learner_id: Option<Uuid>,
    /// Given on or after this day (London).
    pub from: Option<NaiveDate>,
    /// Given on or before this day (London).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Session,
    Course,
    Provider,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// How to group: by session, by course (a cohort module counts for its programme's course), or by provider.
    pub group_by: GroupBy,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The figures for one group.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"key": "ILM", "count": 18, "mean": 4.4, "distribution": [0, 0, 2, 6, 10], "would_recommend": 0.94}))]
pub struct FeedbackSummaryView {
    /// The session id, the course id, or the provider's name.
    pub key: String,
    pub count: usize,
    pub mean: f64,
    /// How many gave each rating, 1 to 5.
    pub distribution: [usize; 5],
    /// The share who would recommend it, 0 to 1.
    pub would_recommend: f64,
}

impl From<Summary> for FeedbackSummaryView {
    fn from(s: Summary) -> Self {
        Self {
            key: s.key,
            count: s.count,
            mean: s.mean,
            distribution: s.distribution,
            would_recommend: s.would_recommend,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"key": "ILM", "count": 18, "mean": 4.4, "distribution": [0, 0, 2, 6, 10], "would_recommend": 0.94}]}))]
pub struct FeedbackSummariesView {
    pub items: Vec<FeedbackSummaryView>,
}

/// Give feedback on a session attended or a cohort module, once each.
///
/// A learner gives feedback only as themselves; admins may record it for a delegate.
#[utoipa::path(tag = "feedback",
    request_body = FeedbackInput,
    responses((status = 201, description = "Recorded", body = FeedbackView),
        BadRequest, PayloadTooLarge, UnsupportedMediaType,
        (status = 403, description = "Feedback on someone else's behalf", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The learner has already evaluated this", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values, or a learner who did not attend the session or is not in the cohort", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/feedback")]
pub async fn give_feedback(
    caller: Caller,
    db: Data<DatabaseConnection>,
    body: Json<FeedbackInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if !caller.has(Role::Admin) && caller.learner_id() != Some(body.learner_id) {
        return Err(ApiError::Forbidden(
            "you may give feedback only as yourself",
        ));
    }
    let details = FeedbackDetails::parse(FeedbackDraft {
        learner_id: body.learner_id,
        subject: Subject::from_parts(body.session_id, body.cohort_id, body.module_id)?,
        rating: body.rating,
        comments: body.comments,
        would_recommend: body.would_recommend,
    })?;
    let feedback = store::give(&db, details, &caller.actor()).await?;
    Ok(HttpResponse::Created().json(FeedbackView::from(feedback)))
}

/// Evaluations, oldest first, by session, cohort, learner and date.
///
/// Admins only. Feedback feeds panel evaluations and quarterly provider reviews.
#[utoipa::path(tag = "feedback",
    params(PageQuery, FeedbackListQuery),
    responses((status = 200, description = "A page of evaluations", body = PageView<FeedbackView>),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/feedback")]
pub async fn list_feedback(
    _: Admin,
    db: Data<DatabaseConnection>,
    query: Query<FeedbackListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<FeedbackView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let filter = FeedbackFilter {
        session_id: query.session_id,
        cohort_id: query.cohort_id,
        learner_id: query.learner_id,
        from: query.from,
        to: query.to,
    };
    Ok(Json(PageView::from_page(
        store::list(&db, filter, page).await?,
        FeedbackView::from,
    )))
}

/// Summarise feedback per session, course or provider over a period.
///
/// Count, mean rating and distribution: the evidence for panel evaluations and quarterly
/// provider reviews.
#[utoipa::path(tag = "feedback",
    params(SummaryQuery),
    responses((status = 200, description = "One row per group, in key order", body = FeedbackSummariesView),
        BadRequest, Forbidden))]
#[get("/v1/feedback/summary")]
pub async fn summarise_feedback(
    _: Admin,
    db: Data<DatabaseConnection>,
    query: Query<SummaryQuery>,
) -> Result<Json<FeedbackSummariesView>, ApiError> {
    let grouping = match query.group_by {
        GroupBy::Session => Grouping::Session,
        GroupBy::Course => Grouping::Course,
        GroupBy::Provider => Grouping::Provider,
    };
    let summaries = store::summary(&db, grouping, query.from, query.to).await?;
    Ok(Json(FeedbackSummariesView {
        items: summaries
            .into_iter()
            .map(FeedbackSummaryView::from)
            .collect(),
    }))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_feedback)
        .service(give_feedback)
        .service(summarise_feedback);
}
