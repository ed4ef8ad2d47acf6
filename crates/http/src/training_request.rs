//! `/v1/training-requests`: the pro-forma, its workflow and its supporters.

use actix_web::HttpResponse;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::course::Pillar;
use pathway_domain::learner::LearnerKind;
use pathway_domain::training_request::{
    RequestAction, RequestDetails, RequestDraft, RequestKind, RequestStatus, TrainingRequest,
    Transition,
};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::effects::write;
use pathway_persistence::learner;
use pathway_persistence::training_request::{self as store, ActionInput, RequestFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::Rules;
use crate::auth::{Caller, Role};
use crate::error::{ApiError, Problem, json_error};
use crate::page::{PageQuery, PageView};
use crate::responses::{
    BadRequest, BodyErrors, Forbidden, NotFound, PayloadTooLarge, Unprocessable,
    UnsupportedMediaType,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "one_off", "title": "LGA Leadership Essentials: Planning", "provider": "LGA",
    "justification": "New to the Planning committee this year.", "development_need": "Confidence chairing contested applications",
    "starts_on": "2027-02-10", "ends_on": "2027-02-11", "estimated_cost_pence": 45000, "pillar": "professional"
}))]
pub struct RequestInput {
    pub kind: RequestKind,
    /// Who asks; the caller when absent. Only admins ask for someone else.
    #[serde(default)]
    pub requester_id: Option<Uuid>,
    pub title: String,
    pub provider: String,
    pub justification: String,
    pub development_need: String,
    /// An existing course the training would deliver: completing the request records it.
    #[serde(default)]
    pub course_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[schema(minimum = 0, maximum = 100000000000_i64)]
    pub estimated_cost_pence: i64,
    /// The pillar whose budget pays.
    pub pillar: Pillar,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    /// Null for the request's creation.
    pub from: Option<RequestStatus>,
    pub to: RequestStatus,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<Transition> for TransitionView {
    fn from(t: Transition) -> Self {
        Self {
            from: t.from,
            to: t.to,
            actor: t.actor,
            reason: t.reason,
            at: t.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-eeee-7d2e-9f40-1a2b3c4d5e70", "kind": "one_off", "requester_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f",
    "title": "LGA Leadership Essentials: Planning", "provider": "LGA", "justification": "New to the Planning committee this year.",
    "development_need": "Confidence chairing contested applications", "course_id": null, "starts_on": "2027-02-10",
    "ends_on": "2027-02-11", "estimated_cost_pence": 45000, "actual_cost_pence": null, "pillar": "professional",
    "status": "submitted", "allowed_actions": ["approve", "reject", "withdraw"], "override_reason": null,
    "supporters": [], "ready_for_panel": false,
    "history": [{"from": null, "to": "draft", "actor": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "reason": null, "at": "2026-11-22T10:00:00Z"},
                {"from": "draft", "to": "submitted", "actor": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "reason": null, "at": "2026-11-22T10:05:00Z"}],
    "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:05:00Z"
}))]
pub struct RequestView {
    pub id: Uuid,
    pub kind: RequestKind,
    pub requester_id: Uuid,
    pub title: String,
    pub provider: String,
    pub justification: String,
    pub development_need: String,
    pub course_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub estimated_cost_pence: i64,
    pub actual_cost_pence: Option<i64>,
    pub pillar: Pillar,
    pub status: RequestStatus,
    /// What the workflow allows next.
    pub allowed_actions: Vec<RequestAction>,
    /// Why an admin approved beyond the budget, when they did.
    pub override_reason: Option<String>,
    pub supporters: Vec<Uuid>,
    /// An additional request with enough supporters for the advisory panel to consider.
    pub ready_for_panel: bool,
    /// Every transition: who, when, why.
    pub history: Vec<TransitionView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn view(request: TrainingRequest, rules: &Rules) -> RequestView {
    let ready =
        request.ready_for_panel(usize::try_from(rules.supporters_for_panel).unwrap_or(usize::MAX));
    let d = request.details;
    RequestView {
        id: request.id,
        kind: d.kind,
        requester_id: request.requester_id,
        title: d.title,
        provider: d.provider,
        justification: d.justification,
        development_need: d.development_need,
        course_id: d.course_id,
        starts_on: d.starts_on,
        ends_on: d.ends_on,
        estimated_cost_pence: d.estimated_cost_pence,
        actual_cost_pence: request.actual_cost_pence,
        pillar: d.pillar,
        status: request.status,
        allowed_actions: request.status.allowed(),
        override_reason: request.override_reason,
        supporters: request.supporters,
        ready_for_panel: ready,
        history: request
            .history
            .into_iter()
            .map(TransitionView::from)
            .collect(),
        created_at: request.created_at,
        updated_at: request.updated_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestListQuery {
    pub requester_id: Option<Uuid>,
    pub status: Option<RequestStatus>,
    pub kind: Option<RequestKind>,
    /// Only additional requests with enough supporters for the panel.
    pub ready_for_panel: Option<bool>,
}

/// What an action may carry: a reason (required to reject), an admin's `override_reason` to
/// approve beyond the budget, and the `actual_cost_pence` to complete.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Within the member development budget", "override_reason": null, "actual_cost_pence": null}))]
pub struct ActionBody {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub override_reason: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000000000_i64)]
    pub actual_cost_pence: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e7a"}))]
pub struct SupporterInput {
    pub learner_id: Uuid,
}

/// Fill in the pro-forma, as a draft.
///
/// A learner asks for themselves; admins may name the requester. `one_off` is external
/// training; `additional` is training not in the offer, which others may co-sign.
#[utoipa::path(tag = "training requests",
    request_body = RequestInput,
    responses((status = 201, description = "Created as a draft", body = RequestView, headers(("Location" = String, description = "Where the new resource is"))),
        BodyErrors,
        (status = 403, description = "Asking on someone else's behalf without being an admin", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/training-requests")]
pub async fn create_request(
    caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    body: Json<RequestInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let requester_id = match (body.requester_id, caller.learner_id()) {
        (Some(id), _) if caller.has(Role::Admin) => id,
        (Some(id), Some(me)) if id == me => id,
        (None, Some(me)) => me,
        _ => return Err(ApiError::Forbidden("you may ask only for yourself")),
    };
    let details = RequestDetails::parse(RequestDraft {
        kind: body.kind,
        title: body.title,
        provider: body.provider,
        justification: body.justification,
        development_need: body.development_need,
        course_id: body.course_id,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        estimated_cost_pence: body.estimated_cost_pence,
        pillar: body.pillar,
    })?;
    let request = store::create(&db, requester_id, details, &caller.actor()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/training-requests/{}", request.id)))
        .json(view(request, &rules)))
}

/// List training requests, oldest first.
///
/// Admins and panel members see all; a manager sees their own and their reports'; a learner
/// their own. `ready_for_panel=true` lists the additional requests with enough supporters.
#[utoipa::path(tag = "training requests",
    params(PageQuery, RequestListQuery),
    responses((status = 200, description = "A page of requests", body = PageView<RequestView>),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/training-requests")]
pub async fn list_requests(
    caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    query: Query<RequestListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<RequestView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let mut filter = RequestFilter {
        requester_id: query.requester_id,
        status: query.status,
        kind: query.kind,
        supporters_at_least: query
            .ready_for_panel
            .filter(|ready| *ready)
            .map(|_| rules.supporters_for_panel),
        manager_id: None,
    };
    if !(caller.has(Role::Admin) || caller.has(Role::PanelMember)) {
        let me = caller.learner_id().ok_or(ApiError::Forbidden(
            "only admins, panel members and learners see requests",
        ))?;
        if caller.has(Role::Manager) {
            filter.manager_id = Some(me);
        } else if filter.requester_id.is_some_and(|id| id != me) {
            return Err(ApiError::Forbidden("you may see only your own requests"));
        } else {
            filter.requester_id = Some(me);
        }
    }
    let requests = store::list(&db, filter, page).await?;
    Ok(Json(PageView::from_page(requests, |r| view(r, &rules))))
}

/// Read one request with its history.
///
/// Requesters read their own, managers their reports', admins and panel members any.
#[utoipa::path(tag = "training requests",
    params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, description = "The request", body = RequestView),
        Forbidden, NotFound))]
#[get("/v1/training-requests/{id}")]
pub async fn get_request(
    caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
) -> Result<Json<RequestView>, ApiError> {
    let request = store::get(db.get_ref(), id.into_inner()).await?;
    if !caller.has(Role::PanelMember) {
        caller.may_see(&learner::get(db.get_ref(), request.requester_id).await?)?;
    }
    Ok(Json(view(request, &rules)))
}

/// Who may take an action: the requester submits and withdraws their own; an elected member's
/// request is approved or rejected by an admin (Members Services), an employee's by their
/// manager or an admin; bookings, completions and cancellations are the admins'. A requester
/// never approves their own request.
async fn check_may(
    caller: &Caller,
    db: &DatabaseConnection,
    request: &TrainingRequest,
    action: RequestAction,
) -> Result<(), ApiError> {
    let me = caller.learner_id();
    let own = me == Some(request.requester_id);
    let allowed = match action {
        RequestAction::Submit | RequestAction::Withdraw => own || caller.has(Role::Admin),
        RequestAction::Approve | RequestAction::Reject => {
            if own {
                return Err(ApiError::Forbidden(
                    "a requester never decides their own request",
                ));
            }
            let requester = learner::get(db, request.requester_id).await?;
            caller.has(Role::Admin)
                || (requester.profile.kind == LearnerKind::Employee
                    && caller.has(Role::Manager)
                    && me.is_some()
                    && requester.profile.manager_id == me)
        }
        RequestAction::Book | RequestAction::Complete | RequestAction::Cancel => {
            caller.has(Role::Admin)
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "your role does not allow this on this request",
        ))
    }
}

/// An action's optional body: none, `null`, or an ActionBody.
fn action_body(body: &[u8]) -> Result<ActionBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ActionBody::default());
    }
    serde_json::from_slice::<Option<ActionBody>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| json_error(&e))
}

async fn act(
    caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Uuid,
    action: RequestAction,
    body: &[u8],
) -> Result<Json<RequestView>, ApiError> {
    let body = action_body(body)?;
    let request = store::get(db.get_ref(), id).await?;
    check_may(&caller, &db, &request, action).await?;
    if body.override_reason.is_some() && !caller.has(Role::Admin) {
        return Err(ApiError::Forbidden("only an admin overrides the budget"));
    }
    let input = ActionInput {
        reason: body.reason,
        override_reason: body.override_reason,
        actual_cost_pence: body.actual_cost_pence,
    };
    Ok(Json(view(
        write(&db, &caller.actor(), async |change| {
            store::act(change, id, action, input).await
        })
        .await?,
        &rules,
    )))
}

macro_rules! action_endpoint {
    ($name:ident, $action:expr, $path:literal, $summary:literal, $description:literal, $conflict:literal) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $description]
        #[utoipa::path(tag = "training requests",
            params(("id" = Uuid, Path, description = "The request's id")),
            request_body(content = Option<ActionBody>, description = "Optional: a reason, an admin's override_reason, the actual_cost_pence"),
            responses((status = 200, description = "The request after the action", body = RequestView),
                BadRequest, Forbidden, NotFound, PayloadTooLarge, Unprocessable,
                (status = 409, description = $conflict, body = Problem, content_type = "application/problem+json"),
            ))]
        #[post($path)]
        pub async fn $name(caller: Caller, db: Data<DatabaseConnection>, rules: Data<Rules>, id: Path<Uuid>, body: Bytes) -> Result<Json<RequestView>, ApiError> {
            act(caller, db, rules, id.into_inner(), $action, &body).await
        }
    };
}

action_endpoint!(
    submit_request,
    RequestAction::Submit,
    "/v1/training-requests/{id}/submit",
    "Submit a draft to Members Services.",
    "The requester submits their own draft.",
    "The request is not a draft; the problem says what its status allows"
);
action_endpoint!(
    approve_request,
    RequestAction::Approve,
    "/v1/training-requests/{id}/approve",
    "Approve a submitted request, committing its estimated cost to the budget.",
    "An elected member's request is approved by an admin (Members Services), an employee's by their manager or an admin; never by the requester.",
    "Not submitted, or approving would overspend the pillar's budget for the year (an admin may pass override_reason)"
);
action_endpoint!(
    reject_request,
    RequestAction::Reject,
    "/v1/training-requests/{id}/reject",
    "Reject a submitted request, with a reason.",
    "Whoever may approve it may reject it; the reason is kept in its history.",
    "The request is not submitted; the problem says what its status allows"
);
action_endpoint!(
    withdraw_request,
    RequestAction::Withdraw,
    "/v1/training-requests/{id}/withdraw",
    "Withdraw a submitted request.",
    "The requester withdraws their own request before a decision.",
    "The request is not submitted; the problem says what its status allows"
);
action_endpoint!(
    book_request,
    RequestAction::Book,
    "/v1/training-requests/{id}/book",
    "Record that approved training is booked.",
    "Admins only. The commitment to the budget stays until the training is completed or cancelled.",
    "The request is not approved; the problem says what its status allows"
);
action_endpoint!(
    complete_request,
    RequestAction::Complete,
    "/v1/training-requests/{id}/complete",
    "Complete booked training at its actual cost.",
    "Admins only. Send `actual_cost_pence`: the commitment becomes spend.",
    "The request is not booked; the problem says what its status allows"
);
action_endpoint!(
    cancel_request,
    RequestAction::Cancel,
    "/v1/training-requests/{id}/cancel",
    "Cancel approved or booked training, releasing its commitment.",
    "Admins only. The request's commitment is released back to the budget.",
    "The request is not approved or booked"
);

/// Co-sign an additional request. Enough supporters make it ready for the advisory panel.
///
/// A learner signs only as themselves; admins may sign for a learner.
#[utoipa::path(tag = "training requests",
    params(("id" = Uuid, Path, description = "The request's id")),
    request_body = SupporterInput,
    responses((status = 200, description = "The request with its supporters", body = RequestView),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType,
        (status = 403, description = "Signing for someone else", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a supporter, not an additional request, or no longer open", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The requester themself, or no such learner", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/training-requests/{id}/supporters")]
pub async fn support_request(
    caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
    body: Json<SupporterInput>,
) -> Result<Json<RequestView>, ApiError> {
    if !caller.has(Role::Admin) && caller.learner_id() != Some(body.learner_id) {
        return Err(ApiError::Forbidden("you may sign only for yourself"));
    }
    let request = store::support(&db, id.into_inner(), body.learner_id, &caller.actor()).await?;
    Ok(Json(view(request, &rules)))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_requests)
        .service(create_request)
        .service(get_request)
        .service(submit_request)
        .service(approve_request)
        .service(reject_request)
        .service(withdraw_request)
        .service(book_request)
        .service(complete_request)
        .service(cancel_request)
        .service(support_request);
}
