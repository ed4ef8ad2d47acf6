//! `/v1/sessions`: course runs, their bookings with the waitlist, and attendance.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{delete, get, patch, post};
use chrono::{DateTime, Utc};
use pathway_domain::session::{
    Attendance, Booking, BookingStatus, Session, SessionDetails, SessionInput, SessionStatus,
};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::effects::write;
use pathway_persistence::session::{self as store, SessionFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, Caller, Role};
use crate::error::{ApiError, Problem};
use crate::headers::{IfMatch, OptionalIfMatch};
use crate::page::{PageQuery, PageView};
use crate::responses::{
    BadRequest, BodyErrors, Forbidden, NotFound, PatchErrors, PayloadTooLarge, PreconditionFailed,
    Unprocessable, UnsupportedMediaType,
};
use crate::{merge_patch, precondition};

/// One run of a course.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-7777-7d2e-9f40-1a2b3c4d5e70", "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70",
    "starts_at": "2027-01-12T09:30:00Z", "ends_at": "2027-01-12T16:30:00Z",
    "location": "Council House, Committee Room 3", "online_url": null, "capacity": 10,
    "facilitator": "ILM Centre", "status": "scheduled", "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
}))]
pub struct SessionView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: Option<String>,
    pub online_url: Option<String>,
    pub capacity: i32,
    pub facilitator: Option<String>,
    pub status: SessionStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        let d = s.details.to_input();
        Self {
            id: s.id,
            course_id: d.course_id,
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            location: d.location,
            online_url: d.online_url,
            capacity: d.capacity,
            facilitator: d.facilitator,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionListQuery {
    pub course_id: Option<Uuid>,
    pub status: Option<SessionStatus>,
    /// Sessions starting at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Sessions starting before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// A learner's booking on a session.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-8888-7d2e-9f40-1a2b3c4d5e70", "session_id": "019a8f3e-7777-7d2e-9f40-1a2b3c4d5e70",
    "learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "status": "waitlisted", "waitlist_position": 1,
    "attendance": null, "created_at": "2026-11-22T10:05:00Z", "updated_at": "2026-11-22T10:05:00Z"
}))]
pub struct BookingView {
    pub id: Uuid,
    pub session_id: Uuid,
    pub learner_id: Uuid,
    pub status: BookingStatus,
    /// For a waitlisted booking, its place in the queue: 1 is promoted next.
    pub waitlist_position: Option<i64>,
    /// Recorded once the session has run.
    pub attendance: Option<Attendance>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Booking> for BookingView {
    fn from(b: Booking) -> Self {
        Self {
            id: b.id,
            session_id: b.session_id,
            learner_id: b.learner_id,
            status: b.status,
            waitlist_position: b.waitlist_position,
            attendance: b.attendance,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// Who to book: an admin books anyone, a learner themself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f"}))]
pub struct BookingInput {
    pub learner_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceMark {
    pub learner_id: Uuid,
    pub attendance: Attendance,
}

/// Attendance for some or all of a session's booked learners.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"records": [
    {"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "attendance": "attended"},
    {"learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e7a", "attendance": "no_show"}
]}))]
pub struct AttendanceInput {
    #[schema(min_items = 1)]
    pub records: Vec<AttendanceMark>,
}

/// The bookings whose attendance was recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"bookings": [{
    "id": "019a8f3e-8888-7d2e-9f40-1a2b3c4d5e70", "session_id": "019a8f3e-7777-7d2e-9f40-1a2b3c4d5e70",
    "learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "status": "booked", "waitlist_position": null,
    "attendance": "attended", "created_at": "2026-11-22T10:05:00Z", "updated_at": "2027-01-12T16:40:00Z"
}]}))]
pub struct AttendanceView {
    pub bookings: Vec<BookingView>,
}

fn ok(session: Session) -> HttpResponse {
    precondition::tagged(StatusCode::OK, session.version, SessionView::from(session))
}

/// A learner acts for themself only; admins act for anyone.
fn may_act_for(caller: &Caller, learner_id: Uuid) -> Result<(), ApiError> {
    if caller.has(Role::Admin) || caller.learner_id() == Some(learner_id) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "you may book and cancel only your own place",
        ))
    }
}

/// Schedule a session of a published course.
///
/// Admins only. A session needs a place or an online link, and its end after its start.
#[utoipa::path(tag = "sessions",
    request_body = SessionInput,
    responses((status = 201, description = "Scheduled", body = SessionView, headers(("ETag" = String), ("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden))]
#[post("/v1/sessions")]
pub async fn create_session(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<SessionInput>,
) -> Result<HttpResponse, ApiError> {
    let session = store::create(
        &db,
        SessionDetails::parse(body.into_inner())?,
        &caller.actor(),
    )
    .await?;
    Ok(precondition::created(
        format!("/v1/sessions/{}", session.id),
        session.version,
        SessionView::from(session),
    ))
}

/// List sessions, oldest first, by course, status and start time.
///
/// Any signed-in caller. Filter by course, status and a start-time window.
#[utoipa::path(tag = "sessions",
    params(PageQuery, SessionListQuery),
    responses((status = 200, description = "A page of sessions", body = PageView<SessionView>),
        BadRequest, Unprocessable))]
#[get("/v1/sessions")]
pub async fn list_sessions(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<SessionListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<SessionView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let filter = SessionFilter {
        course_id: query.course_id,
        status: query.status,
        from: query.from,
        to: query.to,
    };
    Ok(Json(PageView::from_page(
        store::list(&db, filter, page).await?,
        SessionView::from,
    )))
}

/// Read one session.
///
/// Any signed-in caller. The `ETag` header carries its version for a later `If-Match`.
#[utoipa::path(tag = "sessions",
    params(("id" = Uuid, Path, description = "The session's id")),
    responses((status = 200, description = "The session", body = SessionView, headers(("ETag" = String))),
        NotFound))]
#[get("/v1/sessions/{id}")]
pub async fn get_session(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(store::get(db.get_ref(), id.into_inner()).await?))
}

/// Change a scheduled session with a JSON merge patch.
///
/// More seats promote waitlisted learners at once; `course_id` cannot change.
#[utoipa::path(tag = "sessions",
    params(("id" = Uuid, Path, description = "The session's id"), IfMatch),
    request_body(content = SessionInput, content_type = "application/merge-patch+json",
        description = "A JSON merge patch (RFC 7396) of the fields of SessionInput to change; `course_id` cannot change",
        example = json!({"capacity": 12, "location": "Council House, Committee Room 1"})),
    responses((status = 200, description = "The changed session", body = SessionView, headers(("ETag" = String))),
        PatchErrors, Forbidden,
        (status = 409, description = "The session is cancelled or completed", body = Problem, content_type = "application/problem+json"),
    ))]
#[patch("/v1/sessions/{id}")]
pub async fn patch_session(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::required(&req)?;
    let current = store::get(db.get_ref(), id.into_inner()).await?;
    let input = merge_patch::apply(&req, &body, &current.details.to_input())?;
    Ok(ok(store::update(
        &db,
        current.id,
        expected,
        SessionDetails::parse(input)?,
        &caller.actor(),
    )
    .await?))
}

/// Cancel a scheduled session and every booking on it.
///
/// Admins only. Every booking and waitlist place on it is cancelled too.
#[utoipa::path(tag = "sessions",
    params(("id" = Uuid, Path, description = "The session's id"), OptionalIfMatch),
    responses((status = 200, description = "The session, now `cancelled`", body = SessionView, headers(("ETag" = String))),
        Forbidden, NotFound, PreconditionFailed,
        (status = 409, description = "The session is not scheduled", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/sessions/{id}/cancel")]
pub async fn cancel_session(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let expected = precondition::optional(&req)?.flatten();
    Ok(ok(store::cancel(
        &db,
        id.into_inner(),
        expected,
        &caller.actor(),
    )
    .await?))
}

/// Book a learner onto a session, or put them on its waitlist when it is full.
///
/// A learner books their own place; admins book anyone. A full session puts the learner on its
/// waitlist, in order.
#[utoipa::path(tag = "sessions",
    params(("id" = Uuid, Path, description = "The session's id")),
    request_body = BookingInput,
    responses((status = 201, description = "`booked`, or `waitlisted` with a `waitlist_position`", body = BookingView, headers(("Location" = String, description = "Where the new booking is"))),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType,
        (status = 403, description = "A learner booking someone else", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already booked, or the session is cancelled, completed or has started", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such learner, a learner who has left, or one outside the course's audience", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/sessions/{id}/bookings")]
pub async fn create_booking(
    caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    body: Json<BookingInput>,
) -> Result<HttpResponse, ApiError> {
    may_act_for(&caller, body.learner_id)?;
    let booking = store::book(&db, id.into_inner(), body.learner_id, &caller.actor()).await?;
    let location = format!(
        "/v1/sessions/{}/bookings/{}",
        booking.session_id, booking.id
    );
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(BookingView::from(booking)))
}

/// A session's bookings in the order they were made. Learners see only their own.
///
/// Admins see every booking; a learner only their own.
#[utoipa::path(tag = "sessions",
    params(("id" = Uuid, Path, description = "The session's id"), PageQuery),
    responses((status = 200, description = "A page of bookings", body = PageView<BookingView>),
        BadRequest, NotFound, Unprocessable))]
#[get("/v1/sessions/{id}/bookings")]
pub async fn list_bookings(
    caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<BookingView>>, ApiError> {
    let page = page.request()?;
    let only = if caller.has(Role::Admin) {
        None
    } else {
        Some(
            caller
                .learner_id()
                .ok_or(ApiError::Forbidden("only admins and learners see bookings"))?,
        )
    };
    Ok(Json(PageView::from_page(
        store::bookings(&db, id.into_inner(), only, page).await?,
        BookingView::from,
    )))
}

/// Cancel a booking. A freed seat goes to the first learner on the waitlist.
///
/// A learner cancels their own place; admins anyone's.
#[utoipa::path(tag = "sessions",
    params(
        ("id" = Uuid, Path, description = "The session's id"),
        ("booking_id" = Uuid, Path, description = "The booking's id"),
    ),
    responses((status = 200, description = "The booking, now `cancelled`", body = BookingView),
        NotFound,
        (status = 403, description = "Not your booking", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already cancelled, or attendance is recorded", body = Problem, content_type = "application/problem+json"),
    ))]
#[delete("/v1/sessions/{id}/bookings/{booking_id}")]
pub async fn cancel_booking(
    caller: Caller,
    db: Data<DatabaseConnection>,
    path: Path<(Uuid, Uuid)>,
) -> Result<Json<BookingView>, ApiError> {
    let (session_id, booking_id) = path.into_inner();
    let booking = store::booking(db.get_ref(), session_id, booking_id).await?;
    may_act_for(&caller, booking.learner_id)?;
    Ok(Json(
        store::cancel_booking(&db, session_id, booking_id, &caller.actor())
            .await?
            .into(),
    ))
}

/// Record attendance once the session has started: `attended` records a completion.
///
/// Marking `no_show` after `attended` withdraws the completion. When every booked seat is
/// marked, the session becomes `completed`.
#[utoipa::path(tag = "sessions",
    params(("id" = Uuid, Path, description = "The session's id")),
    request_body = AttendanceInput,
    responses((status = 200, description = "The marked bookings", body = AttendanceView),
        BadRequest, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType,
        (status = 409, description = "The session has not started, or was cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A learner without a booked seat on the session", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/sessions/{id}/attendance")]
pub async fn record_attendance(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    body: Json<AttendanceInput>,
) -> Result<Json<AttendanceView>, ApiError> {
    let marks = body
        .into_inner()
        .records
        .into_iter()
        .map(|m| (m.learner_id, m.attendance))
        .collect::<Vec<_>>();
    if marks.is_empty() {
        return Err(ApiError::invalid("records", "name at least one learner"));
    }
    let marked = write(&db, &caller.actor(), async |change| {
        store::record_attendance(change, id.into_inner(), marks).await
    })
    .await?;
    Ok(Json(AttendanceView {
        bookings: marked.into_iter().map(BookingView::from).collect(),
    }))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_sessions)
        .service(create_session)
        .service(get_session)
        .service(patch_session)
        .service(cancel_session)
        .service(list_bookings)
        .service(create_booking)
        .service(cancel_booking)
        .service(record_attendance);
}
