//! `/v1/needs-assessments`: consultation rounds on training needs, their responses, and what
//! the responses add up to.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::governance::Choice;
use pathway_domain::learner::LearnerKind;
use pathway_domain::needs_assessment::{
    Accessibility, Answer, Format, NeedsAssessment, Response, Round, RoundAudience, RoundInput,
    TimeOfDay,
};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::needs_assessment::{self as store, Summary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Governor, Role};
use crate::error::{ApiError, Problem};
use crate::headers::IfMatch;
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, BodyErrors, Forbidden, NotFound, PatchErrors, Unprocessable};
use crate::{merge_patch, precondition};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000d1", "title": "Members' training needs 2026", "audience": "all",
    "opens_on": "2026-06-01", "closes_on": "2026-06-30", "subjects": ["Planning", "Scrutiny"], "open": false,
    "created_at": "2026-05-20T09:00:00Z", "updated_at": "2026-05-20T09:00:00Z"
}))]
pub struct AssessmentView {
    pub id: Uuid,
    pub title: String,
    pub audience: RoundAudience,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub subjects: Vec<String>,
    /// Whether responses are taken today.
    pub open: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<NeedsAssessment> for AssessmentView {
    fn from(assessment: NeedsAssessment) -> Self {
        let round = assessment.round;
        Self {
            id: assessment.id,
            open: round.is_open_on(london_date(Utc::now())),
            title: round.title,
            audience: round.audience,
            opens_on: round.opens_on,
            closes_on: round.closes_on,
            subjects: round.subjects,
            created_at: assessment.created_at,
            updated_at: assessment.updated_at,
        }
    }
}

fn ok(status: StatusCode, assessment: NeedsAssessment) -> HttpResponse {
    precondition::tagged(status, assessment.version, AssessmentView::from(assessment))
}

/// Open a needs-assessment round: who is consulted, when, on which subject areas.
///
/// Admins and panel members. A round consults elected members, senior officers or both on the
/// subject areas offered, and on their accessibility needs.
#[utoipa::path(tag = "governance",
    request_body = RoundInput,
    responses((status = 201, description = "Created; `Location` and `ETag` headers are set", body = AssessmentView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden))]
#[post("/v1/needs-assessments")]
pub async fn create_assessment(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    body: Json<RoundInput>,
) -> Result<HttpResponse, ApiError> {
    let assessment = store::create(&db, Round::parse(body.into_inner())?, &caller.actor()).await?;
    Ok(precondition::created(
        format!("/v1/needs-assessments/{}", assessment.id),
        assessment.version,
        AssessmentView::from(assessment),
    ))
}

/// List needs-assessment rounds, oldest first.
///
/// Any signed-in caller. Each round with its dates and subject areas.
#[utoipa::path(tag = "governance",
    params(PageQuery),
    responses((status = 200, description = "A page of rounds", body = PageView<AssessmentView>),
        BadRequest, Unprocessable))]
#[get("/v1/needs-assessments")]
pub async fn list_assessments(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<AssessmentView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::list(&db, page).await?,
        AssessmentView::from,
    )))
}

/// Read one needs-assessment round.
///
/// Any signed-in caller. The round's dates, audience and subject areas.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "The round; the `ETag` header carries its version", body = AssessmentView, headers(("ETag" = String))),
        NotFound))]
#[get("/v1/needs-assessments/{id}")]
pub async fn get_assessment(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(
        StatusCode::OK,
        store::get(db.get_ref(), id.into_inner()).await?,
    ))
}

/// Change a round with a JSON merge patch: its dates, title, audience or subject areas.
///
/// Admins and panel members. Send the round's `ETag` in `If-Match`. Once anyone has answered,
/// subject areas can be added but not removed.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The round's id"), IfMatch),
    request_body(content = RoundInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of RoundInput to change; `application/json` is accepted too",
        example = json!({"closes_on": "2026-07-14"})),
    responses((status = 200, description = "The changed round, with its new `ETag`", body = AssessmentView, headers(("ETag" = String))),
        PatchErrors, Forbidden,
        (status = 409, description = "A subject area someone could have chosen would be removed", body = Problem, content_type = "application/problem+json"),
    ))]
#[patch("/v1/needs-assessments/{id}")]
pub async fn patch_assessment(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::required(&req)?;
    let current = store::get(db.get_ref(), id.into_inner()).await?;
    let input = merge_patch::apply(&req, &body, &RoundInput::from(&current.round))?;
    let assessment = store::update(
        &db,
        current.id,
        expected,
        Round::parse(input)?,
        &caller.actor(),
    )
    .await?;
    Ok(ok(StatusCode::OK, assessment))
}

/// A subject area chosen, with its priority.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "Planning", "priority": 1}))]
pub struct ChoiceBody {
    /// One of the round's subject areas.
    pub subject: String,
    /// 1 (highest), 2 or 3.
    #[schema(minimum = 1, maximum = 3)]
    pub priority: u8,
}

/// What makes training accessible to the respondent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"times_of_day": ["evening"], "formats": ["online", "in_person"], "other_needs": "A hearing loop"}))]
pub struct AccessibilityBody {
    #[serde(default)]
    pub times_of_day: Vec<TimeOfDay>,
    #[serde(default)]
    pub formats: Vec<Format>,
    #[serde(default)]
    pub other_needs: Option<String>,
}

/// A learner's answer to a round.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "choices": [{"subject": "Planning", "priority": 1}, {"subject": "Social media", "priority": 2}],
    "comments": "More sessions after 6pm, please.",
    "accessibility": {"times_of_day": ["evening"], "formats": ["online"], "other_needs": null}
}))]
pub struct ResponseInput {
    /// Whose answer: yourself when absent; an admin may key in anyone's (a paper form).
    #[serde(default)]
    pub learner_id: Option<Uuid>,
    #[serde(default)]
    pub choices: Vec<ChoiceBody>,
    #[serde(default)]
    pub comments: Option<String>,
    #[serde(default)]
    pub accessibility: AccessibilityBody,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "assessment_id": "019a8f40-0000-7000-8000-0000000000d1", "learner_id": "019a8f3e-0000-7000-8000-000000000001",
    "learner_kind": "elected_member",
    "choices": [{"subject": "Planning", "priority": 1}], "comments": "More sessions after 6pm, please.",
    "accessibility": {"times_of_day": ["evening"], "formats": ["online"], "other_needs": null},
    "created_at": "2026-06-03T19:00:00Z", "updated_at": "2026-06-03T19:00:00Z"
}))]
pub struct ResponseView {
    pub assessment_id: Uuid,
    pub learner_id: Uuid,
    pub learner_kind: LearnerKind,
    pub choices: Vec<ChoiceBody>,
    pub comments: Option<String>,
    pub accessibility: AccessibilityBody,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Response> for ResponseView {
    fn from(response: Response) -> Self {
        let answer = response.answer;
        Self {
            assessment_id: response.assessment_id,
            learner_id: response.learner_id,
            learner_kind: response.learner_kind,
            choices: answer
                .choices
                .into_iter()
                .map(|c| ChoiceBody {
                    subject: c.subject,
                    priority: c.priority,
                })
                .collect(),
            comments: answer.comments,
            accessibility: AccessibilityBody {
                times_of_day: answer.accessibility.times_of_day,
                formats: answer.accessibility.formats,
                other_needs: answer.accessibility.other_needs,
            },
            created_at: response.created_at,
            updated_at: response.updated_at,
        }
    }
}

/// Answer a round, or change your answer while it is open.
///
/// One response per learner per round: answering again replaces the earlier answer (200);
/// the first answer is 201. A learner answers for themselves; an admin may key in anyone's.
#[utoipa::path(operation_id = "respond_to_assessment", tag = "governance",
    params(("id" = Uuid, Path, description = "The round's id")),
    request_body = ResponseInput,
    responses((status = 201, description = "The learner's first answer", body = ResponseView),
        (status = 200, description = "The learner's answer, replacing their earlier one", body = ResponseView),
        BodyErrors, Forbidden, NotFound,
        (status = 409, description = "The round is not open today, does not consult this kind of learner, or the learner has left", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/needs-assessments/{id}/responses")]
pub async fn respond(
    caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    body: Json<ResponseInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let learner_id = match (input.learner_id, caller.learner_id()) {
        (Some(someone), me) if me != Some(someone) => {
            caller.require(Role::Admin)?;
            someone
        }
        (Some(me), _) | (None, Some(me)) => me,
        (None, None) => {
            return Err(ApiError::invalid(
                "learner_id",
                "is required: your token does not stand for a learner",
            ));
        }
    };
    let answer = Answer {
        choices: input
            .choices
            .into_iter()
            .map(|c| Choice {
                subject: c.subject,
                priority: c.priority,
            })
            .collect(),
        comments: input.comments,
        accessibility: Accessibility {
            times_of_day: input.accessibility.times_of_day,
            formats: input.accessibility.formats,
            other_needs: input.accessibility.other_needs,
        },
    };
    let (response, first) = store::respond(
        &db,
        id.into_inner(),
        learner_id,
        answer,
        london_date(Utc::now()),
        &caller.actor(),
    )
    .await?;
    let status = if first {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(ResponseView::from(response)))
}

/// List a round's responses, in learner id order: panel members and admins only.
///
/// Admins and panel members. Each response's ranked subject areas and accessibility needs.
#[utoipa::path(operation_id = "list_assessment_responses", tag = "governance",
    params(("id" = Uuid, Path, description = "The round's id"), PageQuery),
    responses((status = 200, description = "A page of responses", body = PageView<ResponseView>),
        BadRequest, Forbidden, NotFound, Unprocessable))]
#[get("/v1/needs-assessments/{id}/responses")]
pub async fn list_responses(
    _: Governor,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<ResponseView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::responses(&db, id.into_inner(), page).await?,
        ResponseView::from,
    )))
}

/// Read one learner's response: your own, or anyone's for panel members and admins.
///
/// A learner reads their own response; admins and panel members anyone's.
#[utoipa::path(operation_id = "get_assessment_response", tag = "governance",
    params(
        ("id" = Uuid, Path, description = "The round's id"),
        ("learner_id" = Uuid, Path, description = "The learner who answered"),
    ),
    responses((status = 200, description = "The response", body = ResponseView),
        Forbidden, NotFound))]
#[get("/v1/needs-assessments/{id}/responses/{learner_id}")]
pub async fn get_response(
    caller: Caller,
    db: Data<DatabaseConnection>,
    path: Path<(Uuid, Uuid)>,
) -> Result<Json<ResponseView>, ApiError> {
    let (id, learner_id) = path.into_inner();
    if caller.learner_id() != Some(learner_id) && !Governor::holds(&caller) {
        return Err(ApiError::Forbidden(
            "you may read only your own response; panel members and admins read all",
        ));
    }
    Ok(Json(
        store::response(db.get_ref(), id, learner_id).await?.into(),
    ))
}

/// How one kind of learner took part.
#[derive(Debug, Serialize, ToSchema)]
pub struct UptakeView {
    pub audience: LearnerKind,
    /// With the council on `counted_on`, or who answered.
    pub invited: u64,
    pub responded: u64,
    /// responded / invited; null when nobody was invited.
    pub response_rate: Option<f64>,
}

/// One subject area's demand.
#[derive(Debug, Serialize, ToSchema)]
pub struct DemandView {
    pub subject: String,
    /// Priority 1 weighs 3, priority 2 weighs 2, priority 3 weighs 1.
    pub weighted_demand: u32,
    pub respondents: u32,
    pub first_choices: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeOfDayCount {
    pub time_of_day: TimeOfDay,
    pub respondents: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormatCount {
    pub format: Format,
    pub respondents: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessibilitySummaryView {
    pub times_of_day: Vec<TimeOfDayCount>,
    pub formats: Vec<FormatCount>,
    /// The other needs respondents described, without their names, alphabetically.
    pub other_needs: Vec<String>,
}

/// What a round's responses add up to.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "assessment_id": "019a8f40-0000-7000-8000-0000000000d1", "counted_on": "2026-06-30", "responses": 3,
    "response_rates": [
        {"audience": "employee", "invited": 10, "responded": 1, "response_rate": 0.1},
        {"audience": "elected_member", "invited": 4, "responded": 2, "response_rate": 0.5}
    ],
    "subjects": [
        {"subject": "Planning", "weighted_demand": 5, "respondents": 2, "first_choices": 1},
        {"subject": "Scrutiny", "weighted_demand": 0, "respondents": 0, "first_choices": 0}
    ],
    "accessibility": {
        "times_of_day": [{"time_of_day": "morning", "respondents": 0}, {"time_of_day": "afternoon", "respondents": 1}, {"time_of_day": "evening", "respondents": 2}],
        "formats": [{"format": "online", "respondents": 2}, {"format": "in_person", "respondents": 1}, {"format": "elearning", "respondents": 0}],
        "other_needs": ["A hearing loop"]
    }
}))]
pub struct SummaryView {
    pub assessment_id: Uuid,
    /// The day learners were counted as invited: today while the round runs, its last day
    /// once it has closed.
    pub counted_on: NaiveDate,
    pub responses: usize,
    /// One row per kind of learner the round consults.
    pub response_rates: Vec<UptakeView>,
    /// Every subject area offered, by weighted demand, then respondents, then name.
    pub subjects: Vec<DemandView>,
    pub accessibility: AccessibilitySummaryView,
}

impl From<Summary> for SummaryView {
    fn from(summary: Summary) -> Self {
        Self {
            assessment_id: summary.assessment.id,
            counted_on: summary.counted_on,
            responses: summary.responses,
            response_rates: summary
                .uptake
                .iter()
                .map(|u| UptakeView {
                    audience: u.kind,
                    invited: u.invited,
                    responded: u.responded,
                    response_rate: u.rate(),
                })
                .collect(),
            subjects: summary
                .demand
                .into_iter()
                .map(|d| DemandView {
                    subject: d.subject,
                    weighted_demand: d.weighted,
                    respondents: d.respondents,
                    first_choices: d.first_choices,
                })
                .collect(),
            accessibility: AccessibilitySummaryView {
                times_of_day: summary
                    .accessibility
                    .times_of_day
                    .into_iter()
                    .map(|(time_of_day, respondents)| TimeOfDayCount {
                        time_of_day,
                        respondents,
                    })
                    .collect(),
                formats: summary
                    .accessibility
                    .formats
                    .into_iter()
                    .map(|(format, respondents)| FormatCount {
                        format,
                        respondents,
                    })
                    .collect(),
                other_needs: summary.accessibility.other_needs,
            },
        }
    }
}

/// A round's summary: response rates, subject areas by demand, and accessibility needs.
///
/// Admins and panel members. Response rates by audience, subject areas ranked by demand, and
/// the accessibility needs named most.
#[utoipa::path(operation_id = "summarise_assessment", tag = "governance",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "The summary", body = SummaryView),
        Forbidden, NotFound))]
#[get("/v1/needs-assessments/{id}/summary")]
pub async fn summarise(
    _: Governor,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<SummaryView>, ApiError> {
    let summary = store::summary(&db, id.into_inner(), london_date(Utc::now())).await?;
    Ok(Json(summary.into()))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_assessments)
        .service(create_assessment)
        .service(get_assessment)
        .service(patch_assessment)
        .service(list_responses)
        .service(respond)
        .service(get_response)
        .service(summarise);
}
