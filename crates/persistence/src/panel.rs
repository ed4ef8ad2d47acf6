//! Panels, who sits on them, and their meetings.

use chrono::NaiveDate;
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::panel::{Meeting, MeetingRecord, Panel, PanelDetails, PanelMember, Seat};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, QueryOrder, QuerySelect};

use crate::db::{begin_write, now};
use crate::entity::panel_meetings as meetings;
use crate::entity::panel_members as members;
use crate::entity::panels;
use crate::page::PageRequest;
use crate::versioned;
use crate::{Page, StoreError, audit, json, learner};

const RESOURCE: &str = "panel";
const MEMBER: &str = "panel member";
const MEETING: &str = "meeting";

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    details: PanelDetails,
    actor: &Actor,
) -> Result<Panel, StoreError> {
    let tx = begin_write(db).await?;
    let at = now();
    let row = panels::ActiveModel {
        id: Set(Uuid::now_v7()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_details(details)
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "panel.created", RESOURCE, row.id).await?;
    tx.commit().await?;
    Ok(to_panel(row))
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Panel, StoreError> {
    panels::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(to_panel)
        .ok_or(StoreError::NotFound(RESOURCE))
}

pub async fn list(db: &DatabaseConnection, page: PageRequest) -> Result<Page<Panel>, StoreError> {
    Ok(page
        .fetch(db, panels::Entity::find(), panels::Column::Id, |r| r.id)
        .await?
        .map(to_panel))
}

#[tracing::instrument(skip(db, details, actor))]
pub async fn update(
    db: &DatabaseConnection,
    id: Uuid,
    expected_version: Option<i32>,
    details: PanelDetails,
    actor: &Actor,
) -> Result<Panel, StoreError> {
    let tx = begin_write(db).await?;
    let current = versioned::lock(
        &tx,
        panels::Entity::find_by_id(id),
        expected_version,
        RESOURCE,
    )
    .await?;
    let row = versioned::bump(&tx, &current, write_details(details)).await?;
    audit::record(&tx, actor, "panel.updated", RESOURCE, id).await?;
    tx.commit().await?;
    Ok(to_panel(row))
}

/// Seats a learner on a panel. A learner holds one seat at a time on a panel: a seat that
/// overlaps one they already have is refused.
#[tracing::instrument(skip(db, build, actor))]
pub async fn add_member(
    db: &DatabaseConnection,
    panel_id: Uuid,
    learner_id: Uuid,
    build: impl FnOnce(pathway_domain::learner::LearnerKind) -> Result<Seat, DomainError>,
    actor: &Actor,
) -> Result<PanelMember, StoreError> {
    let tx = begin_write(db).await?;
    lock_panel(&tx, panel_id).await?;
    let learner = learner::get(&tx, learner_id)
        .await
        .map_err(StoreError::missing_as_invalid("learner_id"))?;
    let seat = build(learner.profile.kind)?;
    check_overlap(&tx, panel_id, learner_id, None, &seat).await?;
    let at = now();
    let row = members::ActiveModel {
        id: Set(Uuid::now_v7()),
        panel_id: Set(panel_id),
        learner_id: Set(learner_id),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_seat(&seat)
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "panel.member_added", MEMBER, row.id).await?;
    tx.commit().await?;
    hydrate_members(db, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::NotFound(MEMBER))
}

/// A panel's seats, past and present, a page at a time in the order they were added.
pub async fn members(
    db: &DatabaseConnection,
    panel_id: Uuid,
    page: PageRequest,
) -> Result<Page<PanelMember>, StoreError> {
    get(db, panel_id).await?;
    let query = members::Entity::find().filter(members::Column::PanelId.eq(panel_id));
    let page = page.fetch(db, query, members::Column::Id, |r| r.id).await?;
    let next_after = page.next_after;
    Ok(Page {
        items: hydrate_members(db, page.items).await?,
        next_after,
    })
}

pub async fn member(
    db: &impl ConnectionTrait,
    panel_id: Uuid,
    id: Uuid,
) -> Result<PanelMember, StoreError> {
    let row = members::Entity::find_by_id(id)
        .filter(members::Column::PanelId.eq(panel_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(MEMBER))?;
    hydrate_members(db, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::NotFound(MEMBER))
}

/// Changes a seat: its role, or the days it is held (to record that someone left).
#[tracing::instrument(skip(db, seat, actor))]
pub async fn update_member(
    db: &DatabaseConnection,
    panel_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
    seat: Seat,
    actor: &Actor,
) -> Result<PanelMember, StoreError> {
    let tx = begin_write(db).await?;
    lock_panel(&tx, panel_id).await?;
    let seat_held = members::Entity::find_by_id(id).filter(members::Column::PanelId.eq(panel_id));
    let current = versioned::lock(&tx, seat_held, expected_version, MEMBER).await?;
    check_overlap(&tx, panel_id, current.learner_id, Some(id), &seat).await?;
    let row = versioned::bump(&tx, &current, write_seat(&seat)).await?;
    audit::record(&tx, actor, "panel.member_updated", MEMBER, id).await?;
    tx.commit().await?;
    hydrate_members(db, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::NotFound(MEMBER))
}

/// Every seat on a panel with the political group of who holds it, and the groups of the
/// council's elected members on `day`: what the composition check reads.
pub async fn composition_on(
    db: &impl ConnectionTrait,
    panel_id: Uuid,
    day: NaiveDate,
) -> Result<(Vec<PanelMember>, Vec<String>), StoreError> {
    let rows = members::Entity::find()
        .filter(members::Column::PanelId.eq(panel_id))
        .order_by_asc(members::Column::Id)
        .all(db)
        .await?;
    let seats = hydrate_members(db, rows).await?;
    Ok((seats, learner::political_groups_on(db, day).await?))
}

#[tracing::instrument(skip(db, record, actor))]
pub async fn create_meeting(
    db: &DatabaseConnection,
    panel_id: Uuid,
    record: MeetingRecord,
    actor: &Actor,
) -> Result<Meeting, StoreError> {
    let tx = begin_write(db).await?;
    lock_panel(&tx, panel_id).await?;
    check_attendees(&tx, &record.attendees).await?;
    let at = now();
    let row = meetings::ActiveModel {
        id: Set(Uuid::now_v7()),
        panel_id: Set(panel_id),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_record(&record)?
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "panel.meeting_recorded", MEETING, row.id).await?;
    tx.commit().await?;
    to_meeting(row)
}

pub async fn meeting(
    db: &impl ConnectionTrait,
    panel_id: Uuid,
    id: Uuid,
) -> Result<Meeting, StoreError> {
    meetings::Entity::find_by_id(id)
        .filter(meetings::Column::PanelId.eq(panel_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(MEETING))
        .and_then(to_meeting)
}

/// A panel's meetings, a page at a time in the order they were recorded; only those held
/// between `from` and `to` (inclusive) when given.
pub async fn meetings(
    db: &DatabaseConnection,
    panel_id: Uuid,
    between: Option<(NaiveDate, NaiveDate)>,
    page: PageRequest,
) -> Result<Page<Meeting>, StoreError> {
    get(db, panel_id).await?;
    let mut query = meetings::Entity::find().filter(meetings::Column::PanelId.eq(panel_id));
    if let Some((from, to)) = between {
        query = query.filter(meetings::Column::HeldOn.between(from, to));
    }
    page.fetch(db, query, meetings::Column::Id, |r| r.id)
        .await?
        .try_map(to_meeting)
}

/// The days of every meeting of a panel, in order.
pub async fn meeting_days(
    db: &impl ConnectionTrait,
    panel_id: Uuid,
) -> Result<Vec<NaiveDate>, StoreError> {
    Ok(meetings::Entity::find()
        .select_only()
        .column(meetings::Column::HeldOn)
        .filter(meetings::Column::PanelId.eq(panel_id))
        .order_by_asc(meetings::Column::HeldOn)
        .into_tuple()
        .all(db)
        .await?)
}

#[tracing::instrument(skip(db, record, actor))]
pub async fn update_meeting(
    db: &DatabaseConnection,
    panel_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
    record: MeetingRecord,
    actor: &Actor,
) -> Result<Meeting, StoreError> {
    let tx = begin_write(db).await?;
    let meeting = meetings::Entity::find_by_id(id).filter(meetings::Column::PanelId.eq(panel_id));
    let current = versioned::lock(&tx, meeting, expected_version, MEETING).await?;
    check_attendees(&tx, &record.attendees).await?;
    let row = versioned::bump(&tx, &current, write_record(&record)?).await?;
    audit::record(&tx, actor, "panel.meeting_updated", MEETING, id).await?;
    tx.commit().await?;
    to_meeting(row)
}

/// Locks the panel so changes to its seats queue, and says 404 when there is none.
pub(crate) async fn lock_panel(tx: &DatabaseTransaction, id: Uuid) -> Result<(), StoreError> {
    panels::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    Ok(())
}

async fn check_overlap(
    tx: &DatabaseTransaction,
    panel_id: Uuid,
    learner_id: Uuid,
    except: Option<Uuid>,
    seat: &Seat,
) -> Result<(), StoreError> {
    let others = members::Entity::find()
        .filter(members::Column::PanelId.eq(panel_id))
        .filter(members::Column::LearnerId.eq(learner_id))
        .all(tx)
        .await?;
    let clash = others.iter().filter(|o| Some(o.id) != except).find(|o| {
        let starts_before_other_ends = o.left_on.is_none_or(|left| seat.joined_on < left);
        let other_starts_before_end = seat.left_on.is_none_or(|left| o.joined_on < left);
        starts_before_other_ends && other_starts_before_end
    });
    match clash {
        Some(other) => Err(DomainError::Conflict(format!(
            "the learner already sits on this panel from {}{} (seat {}): end that seat first",
            other.joined_on,
            other
                .left_on
                .map(|d| format!(" until {d}"))
                .unwrap_or_default(),
            other.id
        ))
        .into()),
        None => Ok(()),
    }
}

async fn check_attendees(tx: &DatabaseTransaction, attendees: &[Uuid]) -> Result<(), StoreError> {
    let found = learner::by_ids(tx, attendees).await?;
    match attendees
        .iter()
        .find(|id| !found.iter().any(|l| l.id == **id))
    {
        Some(missing) => Err(DomainError::invalid(
            "attendees",
            format!("no learner has the id {missing}"),
        )
        .into()),
        None => Ok(()),
    }
}

/// Adds each seat holder's name, kind and political group, looked up in one query.
async fn hydrate_members(
    db: &impl ConnectionTrait,
    rows: Vec<members::Model>,
) -> Result<Vec<PanelMember>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.learner_id).collect();
    let learners = learner::by_ids(db, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let learner = learners
                .iter()
                .find(|l| l.id == row.learner_id)
                .ok_or_else(|| StoreError::Corrupt(MEMBER, "its learner is gone".into()))?;
            let profile = &learner.profile;
            Ok(PanelMember {
                id: row.id,
                panel_id: row.panel_id,
                learner_id: row.learner_id,
                name: format!("{} {}", profile.given_name, profile.family_name),
                kind: profile.kind,
                political_group: profile.political_group.clone(),
                seat: Seat {
                    role: row.role,
                    joined_on: row.joined_on,
                    left_on: row.left_on,
                },
                version: row.version,
            })
        })
        .collect()
}

fn write_details(details: PanelDetails) -> panels::ActiveModel {
    panels::ActiveModel {
        name: Set(details.name),
        purpose: Set(details.purpose),
        advises: Set(details.advises),
        ..Default::default()
    }
}

fn to_panel(row: panels::Model) -> Panel {
    Panel {
        id: row.id,
        details: PanelDetails {
            name: row.name,
            purpose: row.purpose,
            advises: row.advises,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

fn write_seat(seat: &Seat) -> members::ActiveModel {
    members::ActiveModel {
        role: Set(seat.role),
        joined_on: Set(seat.joined_on),
        left_on: Set(seat.left_on),
        ..Default::default()
    }
}

fn write_record(record: &MeetingRecord) -> Result<meetings::ActiveModel, StoreError> {
    Ok(meetings::ActiveModel {
        held_on: Set(record.held_on),
        agenda: Set(json::write(&record.agenda)?),
        attendees: Set(json::write(&record.attendees)?),
        minutes: Set(record.minutes.clone()),
        decisions: Set(json::write(&record.decisions)?),
        ..Default::default()
    })
}

fn to_meeting(row: meetings::Model) -> Result<Meeting, StoreError> {
    Ok(Meeting {
        id: row.id,
        panel_id: row.panel_id,
        record: MeetingRecord {
            held_on: row.held_on,
            agenda: json::read(MEETING, &row.agenda)?,
            attendees: json::read(MEETING, &row.attendees)?,
            minutes: row.minutes,
            decisions: json::read(MEETING, &row.decisions)?,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}
