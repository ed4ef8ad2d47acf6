//! `/v1/panels`: the Cabinet Member Advisory Panel, who sits on it, its meetings, and whether
//! it meets and is composed as the strategy asks.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::governance::{MunicipalYear, cadence, composition, years_to_review};
use pathway_domain::learner::LearnerKind;
use pathway_domain::panel::{
    Meeting, MeetingInput, MeetingRecord, Panel, PanelDetails, PanelInput, PanelMember, PanelRole,
    Seat,
};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::panel as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::Rules;
use crate::auth::{Caller, Governor};
use crate::error::ApiError;
use crate::headers::IfMatch;
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, BodyErrors, Forbidden, NotFound, PatchErrors, Unprocessable};
use crate::{merge_patch, precondition};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000f1",
    "name": "Member Development Cabinet Member Advisory Panel",
    "purpose": "Review members' training needs, recommend a programme, monitor its delivery and evaluate it",
    "advises": "Cabinet Member for Policy and Leadership",
    "created_at": "2025-05-20T09:00:00Z", "updated_at": "2025-05-20T09:00:00Z"
}))]
pub struct PanelView {
    pub id: Uuid,
    pub name: String,
    pub purpose: String,
    pub advises: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Panel> for PanelView {
    fn from(panel: Panel) -> Self {
        Self {
            id: panel.id,
            name: panel.details.name,
            purpose: panel.details.purpose,
            advises: panel.details.advises,
            created_at: panel.created_at,
            updated_at: panel.updated_at,
        }
    }
}

/// Set up an advisory panel.
///
/// Admins and panel members. The panel's name and what it advises on; members and meetings are
/// added after.
#[utoipa::path(tag = "governance",
    request_body = PanelInput,
    responses((status = 201, description = "Created; `Location` and `ETag` headers are set", body = PanelView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden))]
#[post("/v1/panels")]
pub async fn create_panel(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    body: Json<PanelInput>,
) -> Result<HttpResponse, ApiError> {
    let panel = store::create(
        &db,
        PanelDetails::parse(body.into_inner())?,
        &caller.actor(),
    )
    .await?;
    Ok(precondition::created(
        format!("/v1/panels/{}", panel.id),
        panel.version,
        PanelView::from(panel),
    ))
}

/// List panels, oldest first.
///
/// Any signed-in caller.
#[utoipa::path(tag = "governance",
    params(PageQuery),
    responses((status = 200, description = "A page of panels", body = PageView<PanelView>),
        BadRequest, Unprocessable))]
#[get("/v1/panels")]
pub async fn list_panels(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<PanelView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::list(&db, page).await?,
        PanelView::from,
    )))
}

/// Read one panel.
///
/// Any signed-in caller. The `ETag` header carries its version for a later `If-Match`.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id")),
    responses((status = 200, description = "The panel; the `ETag` header carries its version", body = PanelView, headers(("ETag" = String))),
        NotFound))]
#[get("/v1/panels/{id}")]
pub async fn get_panel(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let panel = store::get(db.get_ref(), id.into_inner()).await?;
    Ok(precondition::tagged(
        StatusCode::OK,
        panel.version,
        PanelView::from(panel),
    ))
}

/// Change a panel with a JSON merge patch of its writable fields.
///
/// Admins and panel members. Send the panel's `ETag` in `If-Match`.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id"), IfMatch),
    request_body(content = PanelInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of PanelInput to change; `application/json` is accepted too",
        example = json!({"advises": "Cabinet Member for Finance and Resources"})),
    responses((status = 200, description = "The changed panel, with its new `ETag`", body = PanelView, headers(("ETag" = String))),
        PatchErrors, Forbidden))]
#[patch("/v1/panels/{id}")]
pub async fn patch_panel(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::required(&req)?;
    let current = store::get(db.get_ref(), id.into_inner()).await?;
    let input = merge_patch::apply(&req, &body, &PanelInput::from(&current.details))?;
    let panel = store::update(
        &db,
        current.id,
        expected,
        PanelDetails::parse(input)?,
        &caller.actor(),
    )
    .await?;
    Ok(precondition::tagged(
        StatusCode::OK,
        panel.version,
        PanelView::from(panel),
    ))
}

/// Who takes a seat on the panel, in what role, and from when.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"learner_id": "019a8f3e-0000-7000-8000-000000000001", "role": "chair", "joined_on": "2025-05-20"}))]
pub struct NewMemberInput {
    pub learner_id: Uuid,
    /// `chair`, `vice_chair` or `member` for an elected member; `officer` for an employee.
    pub role: PanelRole,
    /// The first day on the panel; today when absent.
    #[serde(default)]
    pub joined_on: Option<NaiveDate>,
    /// The first day no longer on the panel; absent while they sit on it.
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
}

/// A seat's writable fields, for a merge patch: set `left_on` when someone leaves the panel.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "member", "joined_on": "2025-05-20", "left_on": "2026-05-07"}))]
pub struct SeatInput {
    pub role: PanelRole,
    pub joined_on: NaiveDate,
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
}

/// A seat on a panel, with who holds it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000f2", "panel_id": "019a8f40-0000-7000-8000-0000000000f1",
    "learner_id": "019a8f3e-0000-7000-8000-000000000001", "name": "Ann Lucas", "kind": "elected_member",
    "political_group": "Labour", "role": "chair", "joined_on": "2025-05-20", "left_on": null, "current": true
}))]
pub struct PanelMemberView {
    pub id: Uuid,
    pub panel_id: Uuid,
    pub learner_id: Uuid,
    pub name: String,
    pub kind: LearnerKind,
    /// The elected member's political group as it stands; null for officers.
    pub political_group: Option<String>,
    pub role: PanelRole,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    /// Whether the seat is held today.
    pub current: bool,
}

impl From<PanelMember> for PanelMemberView {
    fn from(member: PanelMember) -> Self {
        Self {
            current: member.seat.is_held_on(london_date(Utc::now())),
            id: member.id,
            panel_id: member.panel_id,
            learner_id: member.learner_id,
            name: member.name,
            kind: member.kind,
            political_group: member.political_group,
            role: member.seat.role,
            joined_on: member.seat.joined_on,
            left_on: member.seat.left_on,
        }
    }
}

fn member_ok(status: StatusCode, member: PanelMember) -> HttpResponse {
    precondition::tagged(status, member.version, PanelMemberView::from(member))
}

/// Seat an elected member or an officer on the panel.
///
/// Admins and panel members. Seats count towards the composition check: every political group
/// must be represented.
#[utoipa::path(operation_id = "add_panel_member", tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id")),
    request_body = NewMemberInput,
    responses((status = 201, description = "Seated", body = PanelMemberView, headers(("ETag" = String))),
        BodyErrors, Forbidden, NotFound,
        (status = 409, description = "The learner already holds a seat on this panel on some of those days", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/panels/{id}/members")]
pub async fn add_member(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    body: Json<NewMemberInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let joined_on = input.joined_on.unwrap_or_else(|| london_date(Utc::now()));
    let member = store::add_member(
        &db,
        id.into_inner(),
        input.learner_id,
        |kind| Seat::parse(input.role, joined_on, input.left_on, kind),
        &caller.actor(),
    )
    .await?;
    Ok(member_ok(StatusCode::CREATED, member))
}

/// List a panel's seats, past and present, in the order they were filled.
///
/// Any signed-in caller. A seat with `left_on` in the past is a former member.
#[utoipa::path(operation_id = "list_panel_members", tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id"), PageQuery),
    responses((status = 200, description = "A page of seats", body = PageView<PanelMemberView>),
        BadRequest, NotFound, Unprocessable))]
#[get("/v1/panels/{id}/members")]
pub async fn list_members(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<PanelMemberView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::members(&db, id.into_inner(), page).await?,
        PanelMemberView::from,
    )))
}

/// Change a seat with a JSON merge patch: its role, or `left_on` when someone leaves.
///
/// Admins and panel members. Send the seat's `ETag` in `If-Match`.
#[utoipa::path(operation_id = "patch_panel_member", tag = "governance",
    params(
        ("id" = Uuid, Path, description = "The panel's id"),
        ("member_id" = Uuid, Path, description = "The seat's id"),
        IfMatch,
    ),
    request_body(content = SeatInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of SeatInput to change; `application/json` is accepted too",
        example = json!({"left_on": "2026-05-07"})),
    responses((status = 200, description = "The changed seat, with its new `ETag`", body = PanelMemberView, headers(("ETag" = String))),
        PatchErrors, Forbidden,
        (status = 409, description = "The change would overlap another seat of the same learner", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/v1/panels/{id}/members/{member_id}")]
pub async fn patch_member(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    path: Path<(Uuid, Uuid)>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let (panel_id, member_id) = path.into_inner();
    let expected = precondition::required(&req)?;
    let current = store::member(db.get_ref(), panel_id, member_id).await?;
    let seat = &current.seat;
    let before = SeatInput {
        role: seat.role,
        joined_on: seat.joined_on,
        left_on: seat.left_on,
    };
    let input = merge_patch::apply(&req, &body, &before)?;
    let seat = Seat::parse(input.role, input.joined_on, input.left_on, current.kind)?;
    let member =
        store::update_member(&db, panel_id, member_id, expected, seat, &caller.actor()).await?;
    Ok(member_ok(StatusCode::OK, member))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000e1", "panel_id": "019a8f40-0000-7000-8000-0000000000f1",
    "municipal_year": "2025-26", "held_on": "2025-06-10",
    "agenda": ["Results of the members' training needs survey"],
    "attendees": ["019a8f3e-0000-7000-8000-000000000001"],
    "minutes": "The panel reviewed the survey.", "decisions": ["Recommend the draft programme"],
    "created_at": "2025-06-11T09:00:00Z", "updated_at": "2025-06-11T09:00:00Z"
}))]
pub struct MeetingView {
    pub id: Uuid,
    pub panel_id: Uuid,
    /// The municipal year of `held_on`.
    pub municipal_year: String,
    pub held_on: NaiveDate,
    pub agenda: Vec<String>,
    pub attendees: Vec<Uuid>,
    pub minutes: Option<String>,
    pub decisions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MeetingView {
    fn new(meeting: Meeting, rules: &Rules) -> Self {
        let record = meeting.record;
        Self {
            id: meeting.id,
            panel_id: meeting.panel_id,
            municipal_year: MunicipalYear::containing(record.held_on, rules.municipal_year_start)
                .name(),
            held_on: record.held_on,
            agenda: record.agenda,
            attendees: record.attendees,
            minutes: record.minutes,
            decisions: record.decisions,
            created_at: meeting.created_at,
            updated_at: meeting.updated_at,
        }
    }
}

fn meeting_ok(status: StatusCode, meeting: Meeting, rules: &Rules) -> HttpResponse {
    let version = meeting.version;
    precondition::tagged(status, version, MeetingView::new(meeting, rules))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingListQuery {
    /// Only meetings in this municipal year, such as `2025-26`.
    pub municipal_year: Option<String>,
}

/// Record a meeting of the panel: its day, agenda, who came, minutes and decisions.
///
/// Admins and panel members. The panel must meet at least twice each municipal year (May to
/// May); meetings count towards that check.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id")),
    request_body = MeetingInput,
    responses((status = 201, description = "Recorded; `Location` and `ETag` headers are set", body = MeetingView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden, NotFound))]
#[post("/v1/panels/{id}/meetings")]
pub async fn create_meeting(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
    body: Json<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    let panel_id = id.into_inner();
    let meeting = store::create_meeting(
        &db,
        panel_id,
        MeetingRecord::parse(body.into_inner())?,
        &caller.actor(),
    )
    .await?;
    let location = format!("/v1/panels/{panel_id}/meetings/{}", meeting.id);
    let version = meeting.version;
    Ok(precondition::created(
        location,
        version,
        MeetingView::new(meeting, &rules),
    ))
}

/// List a panel's meetings in the order they were recorded, optionally of one municipal year.
///
/// Any signed-in caller. `?municipal_year=2026-27` lists the meetings of one year.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id"), PageQuery, MeetingListQuery),
    responses((status = 200, description = "A page of meetings", body = PageView<MeetingView>),
        BadRequest, NotFound, Unprocessable))]
#[get("/v1/panels/{id}/meetings")]
pub async fn list_meetings(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
    query: Query<MeetingListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<MeetingView>>, ApiError> {
    let page = page.request()?;
    let between = query
        .municipal_year
        .as_deref()
        .map(|raw| MunicipalYear::parse(raw, rules.municipal_year_start))
        .transpose()?
        .map(|year| (year.first_day(), year.last_day()));
    Ok(Json(PageView::from_page(
        store::meetings(&db, id.into_inner(), between, page).await?,
        |meeting| MeetingView::new(meeting, &rules),
    )))
}

/// Read one meeting.
///
/// Any signed-in caller. The `ETag` header carries its version for a later `If-Match`.
#[utoipa::path(tag = "governance",
    params(
        ("id" = Uuid, Path, description = "The panel's id"),
        ("meeting_id" = Uuid, Path, description = "The meeting's id"),
    ),
    responses((status = 200, description = "The meeting; the `ETag` header carries its version", body = MeetingView, headers(("ETag" = String))),
        NotFound))]
#[get("/v1/panels/{id}/meetings/{meeting_id}")]
pub async fn get_meeting(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    path: Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (panel_id, meeting_id) = path.into_inner();
    let meeting = store::meeting(db.get_ref(), panel_id, meeting_id).await?;
    Ok(meeting_ok(StatusCode::OK, meeting, &rules))
}

/// Change a meeting's record with a JSON merge patch, to add minutes or decisions after it.
///
/// Admins and panel members. Send the meeting's `ETag` in `If-Match`.
#[utoipa::path(tag = "governance",
    params(
        ("id" = Uuid, Path, description = "The panel's id"),
        ("meeting_id" = Uuid, Path, description = "The meeting's id"),
        IfMatch,
    ),
    request_body(content = MeetingInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of MeetingInput to change; `application/json` is accepted too",
        example = json!({"minutes": "The panel agreed the evaluation of 2025-26."})),
    responses((status = 200, description = "The changed meeting, with its new `ETag`", body = MeetingView, headers(("ETag" = String))),
        PatchErrors, Forbidden))]
#[patch("/v1/panels/{id}/meetings/{meeting_id}")]
pub async fn patch_meeting(
    Governor(caller): Governor,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    path: Path<(Uuid, Uuid)>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let (panel_id, meeting_id) = path.into_inner();
    let expected = precondition::required(&req)?;
    let current = store::meeting(db.get_ref(), panel_id, meeting_id).await?;
    let input = merge_patch::apply(&req, &body, &MeetingInput::from(&current.record))?;
    let meeting = store::update_meeting(
        &db,
        panel_id,
        meeting_id,
        expected,
        MeetingRecord::parse(input)?,
        &caller.actor(),
    )
    .await?;
    Ok(meeting_ok(StatusCode::OK, meeting, &rules))
}

/// One municipal year's meetings against the minimum.
#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalYearView {
    #[schema(example = "2025-26")]
    pub municipal_year: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Meetings held in the year, up to today.
    pub meetings: u32,
    /// Meetings recorded for later in the year; they count once held.
    pub scheduled: u32,
    pub minimum: u32,
    pub met: bool,
    /// The year in progress only: meetings still to hold to reach the minimum.
    pub remaining: Option<u32>,
    /// The year in progress only: days left in it, today included.
    pub days_left: Option<i64>,
}

/// Whether the panel meets as often as it must and has every political group on it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "panel_id": "019a8f40-0000-7000-8000-0000000000f1", "as_of": "2026-11-23",
    "municipal_years": [
        {"municipal_year": "2025-26", "first_day": "2025-05-01", "last_day": "2026-04-30", "meetings": 1, "scheduled": 0,
         "minimum": 2, "met": false, "remaining": null, "days_left": null},
        {"municipal_year": "2026-27", "first_day": "2026-05-01", "last_day": "2027-04-30", "meetings": 1, "scheduled": 1,
         "minimum": 2, "met": false, "remaining": 1, "days_left": 159}
    ],
    "represented_political_groups": ["Conservative", "Labour"],
    "missing_political_groups": ["Green"]
}))]
pub struct PanelComplianceView {
    pub panel_id: Uuid,
    pub as_of: NaiveDate,
    /// From the year the panel was set up (or first met) to the current one, oldest first.
    pub municipal_years: Vec<MunicipalYearView>,
    /// Political groups of the council's active elected members with a current seat.
    pub represented_political_groups: Vec<String>,
    /// Political groups of the council's active elected members with no current seat.
    pub missing_political_groups: Vec<String>,
}

/// Whether the panel meets as often as it must, year by year, and which groups it lacks.
///
/// The strategy asks the panel to meet at least twice each municipal year (configurable) and
/// to have representation from all political groups: each of the council's active elected
/// members' groups needs a member with a current seat.
#[utoipa::path(tag = "governance",
    params(("id" = Uuid, Path, description = "The panel's id")),
    responses((status = 200, description = "The panel's cadence and composition", body = PanelComplianceView),
        NotFound))]
#[get("/v1/panels/{id}/compliance")]
pub async fn get_panel_compliance(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
) -> Result<Json<PanelComplianceView>, ApiError> {
    let today = london_date(Utc::now());
    let panel = store::get(db.get_ref(), id.into_inner()).await?;
    let days = store::meeting_days(db.get_ref(), panel.id).await?;
    let (seats, council) = store::composition_on(db.get_ref(), panel.id, today).await?;
    let years = years_to_review(
        london_date(panel.created_at),
        &days,
        today,
        rules.municipal_year_start,
    )
    .into_iter()
    .map(|year| {
        let c = cadence(year, &days, rules.panel_minimum_meetings, today);
        MunicipalYearView {
            municipal_year: year.name(),
            first_day: year.first_day(),
            last_day: year.last_day(),
            meetings: c.meetings,
            scheduled: c.scheduled,
            minimum: c.minimum,
            met: c.met,
            remaining: c.remaining,
            days_left: c.days_left,
        }
    })
    .collect();
    let sitting = seats
        .iter()
        .filter(|m| m.seat.is_held_on(today))
        .filter_map(|m| m.political_group.as_deref());
    let groups = composition(council.iter().map(String::as_str), sitting);
    Ok(Json(PanelComplianceView {
        panel_id: panel.id,
        as_of: today,
        municipal_years: years,
        represented_political_groups: groups.represented,
        missing_political_groups: groups.missing,
    }))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_panels)
        .service(create_panel)
        .service(get_panel)
        .service(patch_panel)
        .service(list_members)
        .service(add_member)
        .service(patch_member)
        .service(list_meetings)
        .service(create_meeting)
        .service(get_meeting)
        .service(patch_meeting)
        .service(get_panel_compliance);
}
