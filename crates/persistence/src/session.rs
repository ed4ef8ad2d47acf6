use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::calendar::{london_date, london_day_start};
use pathway_domain::completion::{CompletionSource, attendance_key};
use pathway_domain::delivery::{CourseDelivery, tally};
use pathway_domain::session::{
    Attendance, Booking, BookingStatus, Session, SessionDetails, SessionInput, SessionStatus,
    check_schedulable,
};
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue::{Set, Unchanged},
    DatabaseTransaction, PaginatorTrait, QueryOrder, QuerySelect,
};

use crate::change::Change;
use crate::completion::{self, NewCompletion};
use crate::db::{begin_write, now};
use crate::entity::bookings;
use crate::entity::feedback;
use crate::entity::sessions;
use crate::page::PageRequest;
use crate::versioned;
use crate::{Page, StoreError, audit, course, learner};

const RESOURCE: &str = "session";
const BOOKING: &str = "booking";

/// Narrows a list of sessions; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub course_id: Option<Uuid>,
    pub status: Option<SessionStatus>,
    /// Sessions starting at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Sessions starting before this instant.
    pub to: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    details: SessionDetails,
    actor: &Actor,
) -> Result<Session, StoreError> {
    let tx = begin_write(db).await?;
    let course = course::get(&tx, details.course_id())
        .await
        .map_err(StoreError::missing_as_invalid("course_id"))?;
    check_schedulable(&course)?;
    let at = now();
    let row = sessions::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(SessionStatus::Scheduled),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_details(&details)
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "session.created", RESOURCE, row.id).await?;
    tx.commit().await?;
    to_session(row)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Session, StoreError> {
    sessions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .and_then(to_session)
}

pub async fn list(
    db: &DatabaseConnection,
    filter: SessionFilter,
    page: PageRequest,
) -> Result<Page<Session>, StoreError> {
    use sessions::Column;
    let mut query = sessions::Entity::find();
    if let Some(course_id) = filter.course_id {
        query = query.filter(Column::CourseId.eq(course_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::StartsAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::StartsAt.lt(to));
    }
    page.fetch(db, query, sessions::Column::Id, |row| row.id)
        .await?
        .try_map(to_session)
}

/// Replaces a session's details. More seats promote waitlisted learners at once.
#[tracing::instrument(skip(db, details, actor))]
pub async fn update(
    db: &DatabaseConnection,
    id: Uuid,
    expected_version: Option<i32>,
    details: SessionDetails,
    actor: &Actor,
) -> Result<Session, StoreError> {
    let tx = begin_write(db).await?;
    let current = lock(&tx, id, expected_version).await?;
    let session = to_session(current.clone())?;
    let taken = seats_taken(&tx, id).await?;
    let details = session.revise(details, taken)?;
    let saved = versioned::bump(&tx, &current, write_details(&details)).await?;
    audit::record(&tx, actor, "session.updated", RESOURCE, id).await?;
    promote(&tx, id, i64::from(details.capacity()) - taken, actor).await?;
    tx.commit().await?;
    to_session(saved)
}

/// Cancels a session and every live booking on it, each with its audit event.
#[tracing::instrument(skip(db, actor))]
pub async fn cancel(
    db: &DatabaseConnection,
    id: Uuid,
    expected_version: Option<i32>,
    actor: &Actor,
) -> Result<Session, StoreError> {
    let tx = begin_write(db).await?;
    let current = lock(&tx, id, expected_version).await?;
    let status = to_session(current.clone())?.cancel()?;
    let live = bookings::Entity::find()
        .filter(bookings::Column::SessionId.eq(id))
        .filter(bookings::Column::Status.ne(BookingStatus::Cancelled))
        .all(&tx)
        .await?;
    for booking in live {
        set_booking_status(&tx, booking.id, BookingStatus::Cancelled).await?;
        audit::record(&tx, actor, "booking.cancelled", BOOKING, booking.id).await?;
    }
    let changes = sessions::ActiveModel {
        status: Set(status),
        ..Default::default()
    };
    let saved = versioned::bump(&tx, &current, changes).await?;
    audit::record(&tx, actor, "session.cancelled", RESOURCE, id).await?;
    tx.commit().await?;
    to_session(saved)
}

/// Books a learner onto a session, or puts them on its waitlist when it is full.
///
/// The session row is locked first (`FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite),
/// so concurrent bookings of one session queue and the count of taken seats stays true.
#[tracing::instrument(skip(db, actor))]
pub async fn book(
    db: &DatabaseConnection,
    session_id: Uuid,
    learner_id: Uuid,
    actor: &Actor,
) -> Result<Booking, StoreError> {
    let tx = begin_write(db).await?;
    let session = to_session(lock(&tx, session_id, None).await?)?;
    let course = course::get(&tx, session.details.course_id()).await?;
    let learner = learner::get(&tx, learner_id)
        .await
        .map_err(StoreError::missing_as_invalid("learner_id"))?;
    let already = bookings::Entity::find()
        .filter(bookings::Column::SessionId.eq(session_id))
        .filter(bookings::Column::LearnerId.eq(learner_id))
        .filter(bookings::Column::Status.ne(BookingStatus::Cancelled))
        .one(&tx)
        .await?;
    if already.is_some() {
        return Err(
            DomainError::Conflict("the learner is already booked on this session".into()).into(),
        );
    }
    let status = session.book(
        &course,
        &learner,
        seats_taken(&tx, session_id).await?,
        now(),
    )?;
    let at = now();
    let row = bookings::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        learner_id: Set(learner_id),
        status: Set(status),
        attendance: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&tx)
    .await
    .map_err(StoreError::duplicate(BOOKING, &["learner_id"]))?;
    audit::record(&tx, actor, "booking.created", BOOKING, row.id).await?;
    let positions = waitlist_positions(&tx, session_id).await?;
    tx.commit().await?;
    Ok(to_booking(row, &positions))
}

pub async fn booking(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    booking_id: Uuid,
) -> Result<Booking, StoreError> {
    let row = bookings::Entity::find_by_id(booking_id)
        .filter(bookings::Column::SessionId.eq(session_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(BOOKING))?;
    Ok(to_booking(row, &waitlist_positions(db, session_id).await?))
}

/// A session's bookings in the order they were made; `learner_id` narrows to one learner's.
pub async fn bookings(
    db: &DatabaseConnection,
    session_id: Uuid,
    learner_id: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<Booking>, StoreError> {
    get(db, session_id).await?;
    use bookings::Column;
    let mut query = bookings::Entity::find().filter(Column::SessionId.eq(session_id));
    if let Some(learner_id) = learner_id {
        query = query.filter(Column::LearnerId.eq(learner_id));
    }
    let positions = waitlist_positions(db, session_id).await?;
    Ok(page
        .fetch(db, query, Column::Id, |row| row.id)
        .await?
        .map(|row| to_booking(row, &positions)))
}

/// Cancels a booking. A freed seat goes to the first waitlisted learner in the same transaction.
#[tracing::instrument(skip(db, actor))]
pub async fn cancel_booking(
    db: &DatabaseConnection,
    session_id: Uuid,
    booking_id: Uuid,
    actor: &Actor,
) -> Result<Booking, StoreError> {
    let tx = begin_write(db).await?;
    lock(&tx, session_id, None).await?;
    let current = booking(&tx, session_id, booking_id).await?;
    let status = current.cancel()?;
    set_booking_status(&tx, booking_id, status).await?;
    audit::record(&tx, actor, "booking.cancelled", BOOKING, booking_id).await?;
    if current.status == BookingStatus::Booked {
        promote(&tx, session_id, 1, actor).await?;
    }
    let cancelled = booking(&tx, session_id, booking_id).await?;
    tx.commit().await?;
    Ok(cancelled)
}

/// Marks attendance for booked learners. `attended` records a completion for the session's
/// course, dated the day the session started (in London); correcting it to `no_show`
/// withdraws that completion. Once every seat is marked, the session is completed.
#[tracing::instrument(skip(change, marks))]
pub async fn record_attendance(
    change: &Change,
    session_id: Uuid,
    marks: Vec<(Uuid, Attendance)>,
) -> Result<Vec<Booking>, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let current = lock(tx, session_id, None).await?;
    let session = to_session(current.clone())?;
    session.check_attendance(now())?;
    let course = course::get(tx, session.details.course_id()).await?;
    let positions = HashMap::new();
    let mut marked = Vec::with_capacity(marks.len());
    for (learner_id, attendance) in marks {
        let row = bookings::Entity::find()
            .filter(bookings::Column::SessionId.eq(session_id))
            .filter(bookings::Column::LearnerId.eq(learner_id))
            .filter(bookings::Column::Status.ne(BookingStatus::Cancelled))
            .one(tx)
            .await?
            .ok_or_else(|| {
                DomainError::invalid(
                    "learner_id",
                    format!("learner {learner_id} has no booking on this session"),
                )
            })?;
        let attendance = to_booking(row.clone(), &positions).attend(attendance)?;
        let changes = bookings::ActiveModel {
            id: Unchanged(row.id),
            attendance: Set(Some(attendance)),
            updated_at: Set(now()),
            ..Default::default()
        };
        let saved = changes.update(tx).await?;
        audit::record(tx, actor, "booking.attendance_recorded", BOOKING, row.id).await?;
        let key = attendance_key(row.id);
        match attendance {
            Attendance::Attended => {
                let new = NewCompletion {
                    learner_id,
                    course: &course,
                    completed_on: london_date(session.details.starts_at()),
                    source: CompletionSource::Session,
                    source_key: key,
                    score: None,
                    evidence: None,
                };
                completion::record(change, new).await?;
            }
            Attendance::NoShow => completion::withdraw(change, &key).await?,
        }
        marked.push(to_booking(saved, &positions));
    }
    let unmarked = bookings::Entity::find()
        .filter(bookings::Column::SessionId.eq(session_id))
        .filter(bookings::Column::Status.eq(BookingStatus::Booked))
        .filter(bookings::Column::Attendance.is_null())
        .count(tx)
        .await?;
    if unmarked == 0 && session.status == SessionStatus::Scheduled {
        let changes = sessions::ActiveModel {
            status: Set(SessionStatus::Completed),
            ..Default::default()
        };
        versioned::bump(tx, &current, changes).await?;
        audit::record(tx, actor, "session.completed", RESOURCE, session_id).await?;
    }
    Ok(marked)
}

/// Per course, the sessions that start in `[from, to]` (London days) and are not cancelled,
/// with their seats, attendance and feedback.
pub async fn delivery(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CourseDelivery>, StoreError> {
    let end = to
        .succ_opt()
        .map_or_else(|| london_day_start(to), london_day_start);
    let ran: Vec<(Uuid, Uuid)> = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .column(sessions::Column::CourseId)
        .filter(sessions::Column::StartsAt.gte(london_day_start(from)))
        .filter(sessions::Column::StartsAt.lt(end))
        .filter(sessions::Column::Status.ne(SessionStatus::Cancelled))
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<Uuid> = ran.iter().map(|(id, _)| *id).collect();
    let mut seats = Vec::new();
    for chunk in ids.chunks(500) {
        let rows = bookings::Entity::find()
            .filter(bookings::Column::SessionId.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        for row in rows {
            let booking = to_booking(row, &HashMap::new());
            seats.push((booking.session_id, booking.status, booking.attendance));
        }
    }
    let ratings = ratings_of(db, &ids).await?;
    Ok(tally(&ran, &seats, &ratings))
}

/// Cancels a leaver's bookings on sessions yet to start from `from` on, promoting the next on
/// each waitlist, in the leaver's transaction.
pub(crate) async fn release_places_of(
    tx: &DatabaseTransaction,
    learner_id: Uuid,
    from: NaiveDate,
    actor: &Actor,
) -> Result<(), StoreError> {
    let upcoming = sea_orm::sea_query::Query::select()
        .column(sessions::Column::Id)
        .from(sessions::Entity)
        .and_where(sessions::Column::Status.eq(SessionStatus::Scheduled))
        .and_where(sessions::Column::StartsAt.gt(london_day_start(from).max(now())))
        .to_owned();
    let live = bookings::Entity::find()
        .filter(bookings::Column::LearnerId.eq(learner_id))
        .filter(bookings::Column::Status.ne(BookingStatus::Cancelled))
        .filter(bookings::Column::SessionId.in_subquery(upcoming))
        .all(tx)
        .await?;
    for booking in live {
        lock(tx, booking.session_id, None).await?;
        set_booking_status(tx, booking.id, BookingStatus::Cancelled).await?;
        audit::record(tx, actor, "booking.cancelled", BOOKING, booking.id).await?;
        if booking.status == BookingStatus::Booked {
            promote(tx, booking.session_id, 1, actor).await?;
        }
    }
    Ok(())
}

/// For each session starting in `[from, to)` that is not cancelled: its course, its status, and
/// how many seats are booked; what the budget counts as committed or spent.
pub(crate) async fn seats_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, SessionStatus, i64)>, StoreError> {
    let runs: Vec<(Uuid, Uuid, String)> = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .column(sessions::Column::CourseId)
        .column(sessions::Column::Status)
        .filter(sessions::Column::StartsAt.gte(from))
        .filter(sessions::Column::StartsAt.lt(to))
        .filter(sessions::Column::Status.ne(SessionStatus::Cancelled))
        .into_tuple()
        .all(db)
        .await?;
    let mut seats = Vec::with_capacity(runs.len());
    for (id, course_id, status) in runs {
        let status: SessionStatus = status.parse().map_err(StoreError::corrupt(RESOURCE))?;
        seats.push((course_id, status, seats_taken(db, id).await?));
    }
    Ok(seats)
}

/// Whether the learner attended the session: what entitles them to evaluate it.
pub(crate) async fn attended(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    learner_id: Uuid,
) -> Result<bool, StoreError> {
    let attended = bookings::Entity::find()
        .filter(bookings::Column::SessionId.eq(session_id))
        .filter(bookings::Column::LearnerId.eq(learner_id))
        .filter(bookings::Column::Attendance.eq(Attendance::Attended.as_str()))
        .one(db)
        .await?;
    Ok(attended.is_some())
}

async fn lock(
    tx: &DatabaseTransaction,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<sessions::Model, StoreError> {
    versioned::lock(
        tx,
        sessions::Entity::find_by_id(id),
        expected_version,
        RESOURCE,
    )
    .await
}

async fn seats_taken(db: &impl ConnectionTrait, session_id: Uuid) -> Result<i64, StoreError> {
    let taken = bookings::Entity::find()
        .filter(bookings::Column::SessionId.eq(session_id))
        .filter(bookings::Column::Status.eq(BookingStatus::Booked))
        .count(db)
        .await?;
    Ok(i64::try_from(taken).unwrap_or(i64::MAX))
}

/// Gives up to `seats` free seats to the longest-waiting learners.
async fn promote(
    tx: &DatabaseTransaction,
    session_id: Uuid,
    seats: i64,
    actor: &Actor,
) -> Result<(), StoreError> {
    let Ok(seats) = u64::try_from(seats) else {
        return Ok(());
    };
    if seats == 0 {
        return Ok(());
    }
    let next = bookings::Entity::find()
        .filter(bookings::Column::SessionId.eq(session_id))
        .filter(bookings::Column::Status.eq(BookingStatus::Waitlisted))
        .order_by_asc(bookings::Column::Id)
        .limit(seats)
        .all(tx)
        .await?;
    for booking in next {
        set_booking_status(tx, booking.id, BookingStatus::Booked).await?;
        audit::record(tx, actor, "booking.promoted", BOOKING, booking.id).await?;
    }
    Ok(())
}

async fn set_booking_status(
    tx: &DatabaseTransaction,
    booking_id: Uuid,
    status: BookingStatus,
) -> Result<(), StoreError> {
    bookings::ActiveModel {
        id: Unchanged(booking_id),
        status: Set(status),
        updated_at: Set(now()),
        ..Default::default()
    }
    .update(tx)
    .await?;
    Ok(())
}

/// The waitlist of a session in order: booking id to position, 1 first.
async fn waitlist_positions(
    db: &impl ConnectionTrait,
    session_id: Uuid,
) -> Result<HashMap<Uuid, i64>, StoreError> {
    let waiting: Vec<Uuid> = bookings::Entity::find()
        .select_only()
        .column(bookings::Column::Id)
        .filter(bookings::Column::SessionId.eq(session_id))
        .filter(bookings::Column::Status.eq(BookingStatus::Waitlisted))
        .order_by_asc(bookings::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(waiting.into_iter().zip(1..).collect())
}

fn write_details(details: &SessionDetails) -> sessions::ActiveModel {
    sessions::ActiveModel {
        course_id: Set(details.course_id()),
        starts_at: Set(details.starts_at()),
        ends_at: Set(details.ends_at()),
        location: Set(details.location().map(str::to_owned)),
        online_url: Set(details.online_url().map(str::to_owned)),
        capacity: Set(details.capacity()),
        facilitator: Set(details.facilitator().map(str::to_owned)),
        ..Default::default()
    }
}

/// Stored details go through the same parse as a client's, so a row edited outside Pathway
/// into something no client could have sent is reported as corrupt, not served.
fn to_session(row: sessions::Model) -> Result<Session, StoreError> {
    let details = SessionDetails::parse(SessionInput {
        course_id: row.course_id,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        location: row.location,
        online_url: row.online_url,
        capacity: row.capacity,
        facilitator: row.facilitator,
    })
    .map_err(StoreError::corrupt(RESOURCE))?;
    Ok(Session {
        id: row.id,
        details,
        status: row.status,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

fn to_booking(row: bookings::Model, positions: &HashMap<Uuid, i64>) -> Booking {
    Booking {
        id: row.id,
        session_id: row.session_id,
        learner_id: row.learner_id,
        status: row.status,
        waitlist_position: positions.get(&row.id).copied(),
        attendance: row.attendance,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The ratings delegates gave these sessions.
async fn ratings_of(
    db: &impl ConnectionTrait,
    session_ids: &[Uuid],
) -> Result<Vec<(Uuid, i32)>, StoreError> {
    let mut ratings = Vec::new();
    for chunk in session_ids.chunks(500) {
        let rows: Vec<(Option<Uuid>, i32)> = feedback::Entity::find()
            .select_only()
            .column(feedback::Column::SessionId)
            .column(feedback::Column::Rating)
            .filter(feedback::Column::SessionId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        ratings.extend(
            rows.into_iter()
                .filter_map(|(session, rating)| session.map(|s| (s, rating))),
        );
    }
    Ok(ratings)
}
