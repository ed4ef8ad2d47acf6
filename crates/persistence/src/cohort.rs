use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::calendar::london_date;
use pathway_domain::cohort::{Cohort, CohortDetails, ModuleStatus, Programme};
use pathway_domain::completion::CompletionSource;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, QueryOrder, QuerySelect};

use crate::change::Change;
use crate::completion::{self, NewCompletion};
use crate::db::{begin_write, now};
use crate::entity::cohort_members as members;
use crate::entity::cohorts;
use crate::entity::module_progress as progress;
use crate::page::PageRequest;
use crate::{Page, StoreError, audit, course, learner, programme};

const RESOURCE: &str = "cohort";

/// One member of a cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub learner_id: Uuid,
    pub joined_at: DateTime<Utc>,
}

/// One member's progress: module id to status and the day it was completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberProgress {
    pub learner_id: Uuid,
    pub modules: HashMap<Uuid, (ModuleStatus, Option<NaiveDate>)>,
}

/// A cohort's programme and every member's progress through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressGrid {
    pub programme: Programme,
    pub members: Vec<MemberProgress>,
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    details: CohortDetails,
    actor: &Actor,
) -> Result<Cohort, StoreError> {
    let tx = begin_write(db).await?;
    programme::get(&tx, details.programme_id)
        .await
        .map_err(StoreError::missing_as_invalid("programme_id"))?;
    let row = cohorts::ActiveModel {
        id: Set(Uuid::now_v7()),
        programme_id: Set(details.programme_id),
        starts_on: Set(details.starts_on),
        capacity: Set(details.capacity),
        facilitator: Set(details.facilitator),
        created_at: Set(now()),
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "cohort.created", RESOURCE, row.id).await?;
    let cohort = get(&tx, row.id).await?;
    tx.commit().await?;
    Ok(cohort)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Cohort, StoreError> {
    let row = cohorts::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    with_counts(db, row).await
}

pub async fn list(
    db: &DatabaseConnection,
    programme_id: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<Cohort>, StoreError> {
    let mut query = cohorts::Entity::find();
    if let Some(programme_id) = programme_id {
        query = query.filter(cohorts::Column::ProgrammeId.eq(programme_id));
    }
    let page_rows = page
        .fetch(db, query, cohorts::Column::Id, |row| row.id)
        .await?;
    let mut items = Vec::with_capacity(page_rows.items.len());
    for row in page_rows.items {
        items.push(with_counts(db, row).await?);
    }
    Ok(Page {
        items,
        next_after: page_rows.next_after,
    })
}

/// Adds a learner to a cohort. The cohort row is locked first, so concurrent joins queue and
/// the capacity holds, as it does for session seats.
#[tracing::instrument(skip(db, actor))]
pub async fn add_member(
    db: &DatabaseConnection,
    cohort_id: Uuid,
    learner_id: Uuid,
    actor: &Actor,
) -> Result<Member, StoreError> {
    let tx = begin_write(db).await?;
    let cohort = lock(&tx, cohort_id).await?;
    let programme = programme::get(&tx, cohort.details.programme_id).await?;
    let course = course::get(&tx, programme.course_id).await?;
    let learner = learner::get(&tx, learner_id)
        .await
        .map_err(StoreError::missing_as_invalid("learner_id"))?;
    if member(&tx, cohort_id, learner_id).await?.is_some() {
        return Err(
            DomainError::Conflict("the learner is already a member of this cohort".into()).into(),
        );
    }
    cohort.admit(&course, &learner, london_date(now()))?;
    let row = members::ActiveModel {
        cohort_id: Set(cohort_id),
        learner_id: Set(learner_id),
        joined_at: Set(now()),
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "cohort.member_added", RESOURCE, cohort_id).await?;
    tx.commit().await?;
    Ok(Member {
        learner_id: row.learner_id,
        joined_at: row.joined_at,
    })
}

/// Removes a member and their progress; one who completed the programme stays on record.
#[tracing::instrument(skip(db, actor))]
pub async fn remove_member(
    db: &DatabaseConnection,
    cohort_id: Uuid,
    learner_id: Uuid,
    actor: &Actor,
) -> Result<(), StoreError> {
    let tx = begin_write(db).await?;
    lock(&tx, cohort_id).await?;
    member(&tx, cohort_id, learner_id)
        .await?
        .ok_or(StoreError::NotFound("cohort member"))?;
    if completion_exists(&tx, cohort_id, learner_id).await? {
        return Err(DomainError::Conflict(
            "the member has completed the programme; their record stays".into(),
        )
        .into());
    }
    progress::Entity::delete_many()
        .filter(progress::Column::CohortId.eq(cohort_id))
        .filter(progress::Column::LearnerId.eq(learner_id))
        .exec(&tx)
        .await?;
    members::Entity::delete_by_id((cohort_id, learner_id))
        .exec(&tx)
        .await?;
    audit::record(&tx, actor, "cohort.member_removed", RESOURCE, cohort_id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn members(db: &DatabaseConnection, cohort_id: Uuid) -> Result<Vec<Member>, StoreError> {
    get(db, cohort_id).await?;
    let rows = members::Entity::find()
        .filter(members::Column::CohortId.eq(cohort_id))
        .order_by_asc(members::Column::JoinedAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| Member {
            learner_id: m.learner_id,
            joined_at: m.joined_at,
        })
        .collect())
}

/// Records a member's progress on one module. Completing the last module records a completion
/// of the programme's course, once.
#[tracing::instrument(skip(change))]
pub async fn record_progress(
    change: &Change,
    cohort_id: Uuid,
    learner_id: Uuid,
    module_id: Uuid,
    status: ModuleStatus,
    completed_on: Option<NaiveDate>,
) -> Result<MemberProgress, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let cohort = lock(tx, cohort_id).await?;
    member(tx, cohort_id, learner_id).await?.ok_or_else(|| {
        DomainError::invalid("learner_id", "the learner is not a member of this cohort")
    })?;
    let programme = programme::get(tx, cohort.details.programme_id).await?;
    let held = member_progress(tx, cohort_id, learner_id).await?;
    let statuses = held
        .modules
        .iter()
        .map(|(id, (status, _))| (*id, *status))
        .collect();
    let finished = programme.progress(&statuses, module_id, status)?;
    let completed_on = (status == ModuleStatus::Completed)
        .then(|| completed_on.unwrap_or_else(|| london_date(now())));
    let row = progress::ActiveModel {
        cohort_id: Set(cohort_id),
        learner_id: Set(learner_id),
        module_id: Set(module_id),
        status: Set(status),
        completed_on: Set(completed_on),
        updated_at: Set(now()),
    };
    if held.modules.contains_key(&module_id) {
        row.update(tx).await?;
    } else {
        row.insert(tx).await?;
    }
    audit::record(tx, actor, "cohort.progress_recorded", RESOURCE, cohort_id).await?;
    if let (true, Some(completed_on)) = (finished, completed_on) {
        let course = course::get(tx, programme.course_id).await?;
        let new = NewCompletion {
            learner_id,
            course: &course,
            completed_on,
            source: CompletionSource::Cohort,
            source_key: format!("cohort:{cohort_id}:{learner_id}"),
            score: None,
            evidence: Some(format!(
                "Completed {} with cohort {cohort_id}",
                programme.name
            )),
        };
        completion::record(change, new).await?;
    }
    let progress = member_progress(tx, cohort_id, learner_id).await?;
    Ok(progress)
}

pub async fn progress_grid(
    db: &DatabaseConnection,
    cohort_id: Uuid,
) -> Result<ProgressGrid, StoreError> {
    let cohort = get(db, cohort_id).await?;
    let programme = programme::get(db, cohort.details.programme_id).await?;
    let mut grid: Vec<MemberProgress> = members(db, cohort_id)
        .await?
        .into_iter()
        .map(|m| MemberProgress {
            learner_id: m.learner_id,
            modules: HashMap::new(),
        })
        .collect();
    for row in progress::Entity::find()
        .filter(progress::Column::CohortId.eq(cohort_id))
        .all(db)
        .await?
    {
        if let Some(member) = grid.iter_mut().find(|m| m.learner_id == row.learner_id) {
            member
                .modules
                .insert(row.module_id, (row.status, row.completed_on));
        }
    }
    Ok(ProgressGrid {
        programme,
        members: grid,
    })
}

async fn lock(tx: &DatabaseTransaction, id: Uuid) -> Result<Cohort, StoreError> {
    let row = cohorts::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    with_counts(tx, row).await
}

/// Whether the learner is a member of the cohort.
pub(crate) async fn is_member(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
    learner_id: Uuid,
) -> Result<bool, StoreError> {
    Ok(member(db, cohort_id, learner_id).await?.is_some())
}

async fn member(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
    learner_id: Uuid,
) -> Result<Option<members::Model>, StoreError> {
    Ok(members::Entity::find_by_id((cohort_id, learner_id))
        .one(db)
        .await?)
}

async fn completion_exists(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
    learner_id: Uuid,
) -> Result<bool, StoreError> {
    completion::exists(db, &format!("cohort:{cohort_id}:{learner_id}")).await
}

async fn member_progress(
    db: &impl ConnectionTrait,
    cohort_id: Uuid,
    learner_id: Uuid,
) -> Result<MemberProgress, StoreError> {
    let rows = progress::Entity::find()
        .filter(progress::Column::CohortId.eq(cohort_id))
        .filter(progress::Column::LearnerId.eq(learner_id))
        .all(db)
        .await?;
    let mut modules = HashMap::new();
    for row in rows {
        modules.insert(row.module_id, (row.status, row.completed_on));
    }
    Ok(MemberProgress {
        learner_id,
        modules,
    })
}

/// A cohort with how many have joined and how many have completed every module.
async fn with_counts(db: &impl ConnectionTrait, row: cohorts::Model) -> Result<Cohort, StoreError> {
    let joined: Vec<Uuid> = members::Entity::find()
        .select_only()
        .column(members::Column::LearnerId)
        .filter(members::Column::CohortId.eq(row.id))
        .into_tuple()
        .all(db)
        .await?;
    let module_count = programme::get(db, row.programme_id).await?.modules.len();
    let completed: Vec<Uuid> = progress::Entity::find()
        .select_only()
        .column(progress::Column::LearnerId)
        .filter(progress::Column::CohortId.eq(row.id))
        .filter(progress::Column::Status.eq(ModuleStatus::Completed))
        .into_tuple()
        .all(db)
        .await?;
    let finished = joined
        .iter()
        .filter(|id| completed.iter().filter(|c| c == id).count() == module_count)
        .count();
    Ok(Cohort {
        id: row.id,
        details: CohortDetails {
            programme_id: row.programme_id,
            starts_on: row.starts_on,
            capacity: row.capacity,
            facilitator: row.facilitator,
        },
        members: i64::try_from(joined.len()).unwrap_or(i64::MAX),
        finished: i64::try_from(finished).unwrap_or(i64::MAX),
        created_at: row.created_at,
    })
}
