use std::collections::HashMap;

use chrono::NaiveDate;
use pathway_domain::DomainError;
use pathway_domain::calendar::london_date;
use pathway_domain::compliance::{Seat, SeatKind};
use pathway_domain::hr_sync::LeaverGuard;
use pathway_domain::learner::{Learner, LearnerKind, LearnerProfile, LearnerStatus};
use pathway_domain::text::Email;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveValue::Set, Condition, DatabaseTransaction, PaginatorTrait, QueryOrder, QuerySelect,
};

use crate::change::{Change, Fact};
use crate::db::now;
use crate::entity::learner_memberships as memberships;
use crate::entity::learners;
use crate::entity::membership_history as history;
use crate::page::PageRequest;
use crate::sql::IN_LIST;
use crate::versioned;
use crate::{Page, StoreError, audit};

const UNIQUE_FIELDS: &[&str] = &["email", "external_ref"];
const RESOURCE: &str = "learner";

/// Narrows a list of learners; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct LearnerFilter {
    pub kind: Option<LearnerKind>,
    pub status: Option<LearnerStatus>,
    pub department: Option<String>,
    pub committee: Option<String>,
    pub political_group: Option<String>,
    pub manager_id: Option<Uuid>,
    /// Part of a given name, family name or email address, in any case.
    pub q: Option<String>,
}

#[tracing::instrument(skip_all, fields(kind = %profile.kind))]
pub async fn create(change: &Change, profile: LearnerProfile) -> Result<Learner, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    check_manager(tx, profile.manager_id).await?;
    let at = now();
    let row = learners::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(LearnerStatus::Active),
        left_on: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_profile(&profile)
    }
    .insert(tx)
    .await
    .map_err(StoreError::duplicate(RESOURCE, UNIQUE_FIELDS))?;
    sync_memberships(tx, row.id, &profile).await?;
    audit::record(tx, actor, "learner.created", RESOURCE, row.id).await?;
    change.record(Fact::LearnersIdentified(vec![row.id]));
    Ok(Learner {
        id: row.id,
        profile,
        status: LearnerStatus::Active,
        left_on: None,
        created_at: at,
        updated_at: at,
        version: 1,
    })
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Learner, StoreError> {
    let row = learners::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    let mut learners = hydrate(db, vec![row]).await?;
    learners.pop().ok_or(StoreError::NotFound(RESOURCE))
}

/// The learner an HR system knows by `external_ref`.
pub(crate) async fn find_by_external_ref(
    db: &impl ConnectionTrait,
    external_ref: &str,
) -> Result<Option<Learner>, StoreError> {
    let Some(row) = learners::Entity::find()
        .filter(learners::Column::ExternalRef.eq(external_ref))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(hydrate(db, vec![row]).await?.pop())
}

/// The learner with this email address, if there is one.
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<Learner>, StoreError> {
    let Some(row) = learners::Entity::find()
        .filter(learners::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(hydrate(db, vec![row]).await?.pop())
}

pub async fn list(
    db: &DatabaseConnection,
    filter: LearnerFilter,
    page: PageRequest,
) -> Result<Page<Learner>, StoreError> {
    use learners::Column;
    let mut query = learners::Entity::find();
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(department) = filter.department {
        query = query.filter(Column::Department.eq(department));
    }
    if let Some(group) = filter.political_group {
        query = query.filter(Column::PoliticalGroup.eq(group));
    }
    if let Some(manager) = filter.manager_id {
        query = query.filter(Column::ManagerId.eq(manager));
    }
    if let Some(committee) = filter.committee {
        let seats = Query::select()
            .column(memberships::Column::LearnerId)
            .from(memberships::Entity)
            .and_where(memberships::Column::Kind.eq(SeatKind::Committee))
            .and_where(memberships::Column::Name.eq(committee))
            .to_owned();
        query = query.filter(Column::Id.in_subquery(seats));
    }
    if let Some(q) = filter
        .q
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&q));
        let matches = |column: Column| {
            Expr::expr(Func::lower(Expr::col(column)))
                .like(LikeExpr::new(pattern.as_str()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(matches(Column::GivenName))
                .add(matches(Column::FamilyName))
                .add(matches(Column::Email)),
        );
    }
    let page_rows = page.fetch(db, query, Column::Id, |row| row.id).await?;
    let items = hydrate(db, page_rows.items).await?;
    Ok(Page {
        items,
        next_after: page_rows.next_after,
    })
}

/// How many learners there are, leavers included.
pub(crate) async fn count(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(learners::Entity::find().count(db).await?)
}

/// These learners, in id order.
pub(crate) async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<Learner>, StoreError> {
    let rows = learners::Entity::find()
        .filter(learners::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(learners::Column::Id)
        .all(db)
        .await?;
    hydrate(db, rows).await
}

/// The political groups of the elected members with the council on `day`, sorted.
pub(crate) async fn political_groups_on(
    db: &impl ConnectionTrait,
    day: NaiveDate,
) -> Result<Vec<String>, StoreError> {
    let groups: Vec<Option<String>> = learners::Entity::find()
        .select_only()
        .column(learners::Column::PoliticalGroup)
        .distinct()
        .filter(learners::Column::Kind.eq(LearnerKind::ElectedMember))
        .filter(learners::Column::StartedOn.lte(day))
        .filter(
            learners::Column::LeftOn
                .is_null()
                .or(learners::Column::LeftOn.gt(day)),
        )
        .order_by_asc(learners::Column::PoliticalGroup)
        .into_tuple()
        .all(db)
        .await?;
    Ok(groups.into_iter().flatten().collect())
}

/// The ids of the learners `manager_id` manages, for narrowing other lists to a manager's reports.
pub(crate) fn reports_of(manager_id: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(learners::Column::Id)
        .from(learners::Entity)
        .and_where(learners::Column::ManagerId.eq(manager_id))
        .to_owned()
}

/// Replaces a learner's details, if the stored version is still `expected_version`.
#[tracing::instrument(skip(change, profile))]
pub async fn update(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
    profile: LearnerProfile,
) -> Result<Learner, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let current = lock(tx, id, expected_version).await?;
    let learner = to_learner(current.clone(), &[])?;
    let profile = learner.revise(profile)?;
    check_manager(tx, profile.manager_id).await?;
    let saved = bump(tx, &current, write_profile(&profile)).await?;
    sync_memberships(tx, id, &profile).await?;
    audit::record(tx, actor, "learner.updated", RESOURCE, id).await?;
    change.record(Fact::LearnersIdentified(vec![id]));
    get(tx, saved.id).await
}

/// Marks a learner as having left the council. Their records stay: compliance and history
/// are still reported for the time they were here. Their places on sessions from the day they
/// leave go to the waitlist.
#[tracing::instrument(skip(change))]
pub async fn leave(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
    left_on: Option<chrono::NaiveDate>,
) -> Result<Learner, StoreError> {
    let current = lock(change.tx(), id, expected_version).await?;
    depart(
        change,
        &current,
        left_on.unwrap_or_else(|| london_date(now())),
    )
    .await?;
    get(change.tx(), id).await
}

/// Records a leaver whose row the caller holds; their places on sessions from that day go.
pub(crate) async fn depart(
    change: &Change,
    current: &learners::Model,
    left_on: NaiveDate,
) -> Result<(), StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let learner = to_learner(current.clone(), &[])?;
    let (status, left_on) = learner.leave(left_on)?;
    let changes = learners::ActiveModel {
        status: Set(status),
        left_on: Set(Some(left_on)),
        ..Default::default()
    };
    bump(tx, current, changes).await?;
    audit::record(tx, actor, "learner.left", RESOURCE, current.id).await?;
    change.record(Fact::LearnerLeft {
        learner_id: current.id,
        on: left_on,
    });
    change.record(Fact::LearnersChanged(vec![current.id]));
    Ok(())
}

/// Learners matched by HR reference or email, for a bulk sync to tell apart.
pub(crate) async fn employees_matching(
    tx: &DatabaseTransaction,
    refs: &[&str],
    emails: &[&str],
) -> Result<Vec<Learner>, StoreError> {
    let mut found: HashMap<Uuid, learners::Model> = HashMap::new();
    for chunk in refs.chunks(IN_LIST) {
        let rows = learners::Entity::find()
            .filter(learners::Column::ExternalRef.is_in(chunk.iter().copied()))
            .all(tx)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.id, r)));
    }
    for chunk in emails.chunks(IN_LIST) {
        let rows = learners::Entity::find()
            .filter(learners::Column::Email.is_in(chunk.iter().copied()))
            .all(tx)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.id, r)));
    }
    hydrate(tx, found.into_values().collect()).await
}

/// The columns of a learner row, in the order [`row`] gives the values.
pub(crate) const COLUMNS: [&str; 17] = [
    "id",
    "kind",
    "given_name",
    "family_name",
    "email",
    "external_ref",
    "department",
    "job_title",
    "manager_id",
    "political_group",
    "ward",
    "started_on",
    "status",
    "left_on",
    "created_at",
    "updated_at",
    "version",
];

/// A new learner's row for a bulk insert (no seats: employees hold none).
pub(crate) fn row(
    id: Uuid,
    profile: &LearnerProfile,
    left_on: Option<NaiveDate>,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<Value> {
    let status = if left_on.is_some() {
        LearnerStatus::Left
    } else {
        LearnerStatus::Active
    };
    vec![
        id.into(),
        profile.kind.into(),
        profile.given_name.clone().into(),
        profile.family_name.clone().into(),
        profile.email.as_str().into(),
        profile.external_ref.clone().into(),
        profile.department.clone().into(),
        profile.job_title.clone().into(),
        profile.manager_id.into(),
        profile.political_group.clone().into(),
        profile.ward.clone().into(),
        profile.started_on.into(),
        status.into(),
        left_on.into(),
        at.into(),
        at.into(),
        1.into(),
    ]
}

/// Writes an employee's changed details from a sync, and their leaving when HR says so.
pub(crate) async fn resync(
    change: &Change,
    learner: &Learner,
    profile: &LearnerProfile,
    left_on: Option<NaiveDate>,
) -> Result<(), StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let current = lock(tx, learner.id, None).await?;
    let current = if &learner.profile == profile {
        current
    } else {
        let saved = bump(tx, &current, write_profile(profile)).await?;
        audit::record(tx, actor, "learner.updated", RESOURCE, learner.id).await?;
        saved
    };
    match left_on {
        Some(day) if learner.status == LearnerStatus::Active => depart(change, &current, day).await,
        _ => Ok(()),
    }
}

/// Records as left every employee with an HR reference who is still here but not among
/// `seen` (a query of references): in a full sync, those HR no longer has. Returns their ids;
/// refused, with nothing written, when `guard` does not allow so many.
pub(crate) async fn depart_absent(
    change: &Change,
    seen: sea_orm::sea_query::SelectStatement,
    left_on: NaiveDate,
    guard: &LeaverGuard,
) -> Result<Vec<Uuid>, StoreError> {
    let tx = change.tx();
    let leavers = hr_employees()
        .filter(learners::Column::ExternalRef.not_in_subquery(seen))
        .all(tx)
        .await?;
    let active = hr_employees().count(tx).await?;
    guard.check(u64::try_from(leavers.len()).unwrap_or(u64::MAX), active)?;
    let mut ids = Vec::with_capacity(leavers.len());
    for row in leavers {
        // A starter HR withdrew before their first day leaves on it.
        let day = Ord::max(left_on, row.started_on);
        depart(change, &row, day).await?;
        ids.push(row.id);
    }
    Ok(ids)
}

/// Employees still here whom HR knows by a reference: what a full sync speaks for.
fn hr_employees() -> Select<learners::Entity> {
    learners::Entity::find()
        .filter(learners::Column::Kind.eq(LearnerKind::Employee))
        .filter(learners::Column::Status.eq(LearnerStatus::Active))
        .filter(learners::Column::ExternalRef.is_not_null())
}

/// Reads a learner for update (see [`versioned::Versioned`] for how the row is held), and refuses when
/// the client's copy is stale.
pub(crate) async fn lock(
    tx: &DatabaseTransaction,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<learners::Model, StoreError> {
    versioned::lock(
        tx,
        learners::Entity::find_by_id(id),
        expected_version,
        RESOURCE,
    )
    .await
}

/// Saves a changed row as its next version.
pub(crate) async fn bump(
    tx: &DatabaseTransaction,
    current: &learners::Model,
    changes: learners::ActiveModel,
) -> Result<learners::Model, StoreError> {
    versioned::bump(tx, current, changes)
        .await
        .map_err(StoreError::duplicate(RESOURCE, UNIQUE_FIELDS))
}

/// A manager is an existing employee: the line management the strategy's appraisals rely on.
pub(crate) async fn check_manager(
    tx: &DatabaseTransaction,
    manager_id: Option<Uuid>,
) -> Result<(), StoreError> {
    let Some(manager_id) = manager_id else {
        return Ok(());
    };
    let manager = learners::Entity::find_by_id(manager_id).one(tx).await?;
    match manager {
        Some(m) if m.kind == LearnerKind::Employee => Ok(()),
        Some(_) => Err(DomainError::invalid(
            "manager_id",
            "must name an employee, not an elected member",
        )
        .into()),
        None => Err(DomainError::invalid("manager_id", "must name an existing learner").into()),
    }
}

pub(crate) fn write_profile(profile: &LearnerProfile) -> learners::ActiveModel {
    learners::ActiveModel {
        kind: Set(profile.kind),
        given_name: Set(profile.given_name.clone()),
        family_name: Set(profile.family_name.clone()),
        email: Set(profile.email.as_str().to_owned()),
        external_ref: Set(profile.external_ref.clone()),
        department: Set(profile.department.clone()),
        job_title: Set(profile.job_title.clone()),
        manager_id: Set(profile.manager_id),
        political_group: Set(profile.political_group.clone()),
        ward: Set(profile.ward.clone()),
        started_on: Set(profile.started_on),
        ..Default::default()
    }
}

/// Keeps membership rows in step with the profile. Seats that remain keep the day they began.
pub(crate) async fn sync_memberships(
    tx: &DatabaseTransaction,
    learner_id: Uuid,
    profile: &LearnerProfile,
) -> Result<(), StoreError> {
    use memberships::Column;
    let held = memberships::Entity::find()
        .filter(Column::LearnerId.eq(learner_id))
        .all(tx)
        .await?;
    let wanted: Vec<(SeatKind, &str)> = profile
        .committees
        .iter()
        .map(|c| (SeatKind::Committee, c.as_str()))
        .chain(
            profile
                .responsibilities
                .iter()
                .map(|r| (SeatKind::Responsibility, r.as_str())),
        )
        .collect();
    let today = london_date(now());
    for gone in held
        .iter()
        .filter(|m| !wanted.contains(&(m.kind, m.name.as_str())))
    {
        memberships::Entity::delete_by_id((learner_id, gone.kind, gone.name.clone()))
            .exec(tx)
            .await?;
        // A seat given up on the day it began was never held for a whole day: nothing to keep.
        if gone.started_on < today {
            history::ActiveModel {
                learner_id: Set(learner_id),
                kind: Set(gone.kind),
                name: Set(gone.name.clone()),
                started_on: Set(gone.started_on),
                ended_on: Set(today),
            }
            .insert(tx)
            .await?;
        }
    }
    for (kind, name) in wanted {
        if !held.iter().any(|m| m.kind == kind && m.name == name) {
            memberships::ActiveModel {
                learner_id: Set(learner_id),
                kind: Set(kind),
                name: Set(name.to_owned()),
                started_on: Set(Ord::max(today, profile.started_on)),
            }
            .insert(tx)
            .await?;
        }
    }
    Ok(())
}

/// A learner with every seat they hold and, when `with_history`, every seat they gave up.
pub(crate) async fn with_seats(
    db: &impl ConnectionTrait,
    id: Uuid,
    with_history: bool,
) -> Result<(Learner, Vec<Seat>), StoreError> {
    let row = learners::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    let held = memberships::Entity::find()
        .filter(memberships::Column::LearnerId.eq(id))
        .order_by_asc(memberships::Column::Name)
        .all(db)
        .await?;
    let mut seats = held.iter().map(held_seat).collect::<Vec<_>>();
    if with_history {
        seats.extend(
            past_seats(db, &[id])
                .await?
                .into_iter()
                .map(|(_, seat)| seat),
        );
    }
    Ok((to_learner(row, &held)?, seats))
}

/// These learners with the seats they hold now, in id order.
pub(crate) async fn with_seats_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<(Learner, Vec<Seat>)>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_LIST) {
        let rows = learners::Entity::find()
            .filter(learners::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(learners::Column::Id)
            .all(db)
            .await?;
        let mut held: HashMap<Uuid, Vec<memberships::Model>> = HashMap::new();
        for m in memberships::Entity::find()
            .filter(memberships::Column::LearnerId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            held.entry(m.learner_id).or_default().push(m);
        }
        for row in rows {
            let held = held.remove(&row.id).unwrap_or_default();
            let seats = held.iter().map(held_seat).collect::<Vec<_>>();
            found.push((to_learner(row, &held)?, seats));
        }
    }
    Ok(found)
}

/// Every learner with every seat they hold and, when `with_history`, every seat they gave
/// up: the whole council, for working out its compliance in one go.
pub(crate) async fn everyone(
    db: &impl ConnectionTrait,
    with_history: bool,
) -> Result<Vec<(Learner, Vec<Seat>)>, StoreError> {
    let rows = learners::Entity::find()
        .order_by_asc(learners::Column::Id)
        .all(db)
        .await?;
    let mut held: HashMap<Uuid, Vec<memberships::Model>> = HashMap::new();
    for m in memberships::Entity::find().all(db).await? {
        held.entry(m.learner_id).or_default().push(m);
    }
    let mut past: HashMap<Uuid, Vec<Seat>> = HashMap::new();
    if with_history {
        for m in history::Entity::find().all(db).await? {
            past.entry(m.learner_id).or_default().push(past_seat(m));
        }
    }
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            let held = held.remove(&id).unwrap_or_default();
            let mut seats = held.iter().map(held_seat).collect::<Vec<_>>();
            seats.extend(past.remove(&id).unwrap_or_default());
            Ok((to_learner(row, &held)?, seats))
        })
        .collect()
}

fn held_seat(m: &memberships::Model) -> Seat {
    Seat {
        kind: m.kind,
        name: m.name.clone(),
        started_on: m.started_on,
        ended_on: None,
    }
}

async fn past_seats(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Seat)>, StoreError> {
    let past = history::Entity::find()
        .filter(history::Column::LearnerId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(past
        .into_iter()
        .map(|m| (m.learner_id, past_seat(m)))
        .collect())
}

fn past_seat(m: history::Model) -> Seat {
    Seat {
        kind: m.kind,
        name: m.name,
        started_on: m.started_on,
        ended_on: Some(m.ended_on),
    }
}

/// Joins learner rows with their committee seats and responsibilities, in one query.
pub(crate) async fn hydrate(
    db: &impl ConnectionTrait,
    rows: Vec<learners::Model>,
) -> Result<Vec<Learner>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut by_learner: HashMap<Uuid, Vec<memberships::Model>> = HashMap::new();
    if !ids.is_empty() {
        let held = memberships::Entity::find()
            .filter(memberships::Column::LearnerId.is_in(ids))
            .order_by_asc(memberships::Column::Name)
            .all(db)
            .await?;
        for membership in held {
            by_learner
                .entry(membership.learner_id)
                .or_default()
                .push(membership);
        }
    }
    rows.into_iter()
        .map(|row| {
            let held = by_learner.remove(&row.id).unwrap_or_default();
            to_learner(row, &held)
        })
        .collect()
}

fn to_learner(row: learners::Model, held: &[memberships::Model]) -> Result<Learner, StoreError> {
    let corrupt = StoreError::corrupt(RESOURCE);
    let names = |kind: SeatKind| {
        held.iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.name.clone())
            .collect()
    };
    Ok(Learner {
        id: row.id,
        profile: LearnerProfile {
            kind: row.kind,
            given_name: row.given_name,
            family_name: row.family_name,
            email: Email::parse(&row.email).map_err(&corrupt)?,
            external_ref: row.external_ref,
            department: row.department,
            job_title: row.job_title,
            manager_id: row.manager_id,
            political_group: row.political_group,
            ward: row.ward,
            committees: names(SeatKind::Committee),
            responsibilities: names(SeatKind::Responsibility),
            started_on: row.started_on,
        },
        status: row.status,
        left_on: row.left_on,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

/// Makes `%` and `_` in a search match themselves.
pub(crate) fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
