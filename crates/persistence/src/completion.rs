use chrono::NaiveDate;
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::completion::{Completion, CompletionSource, Evidence, expires_on};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use crate::change::{Change, Fact};
use crate::db::now;
use crate::page::PageRequest;
use crate::{Page, StoreError, audit, course, learner};

use crate::entity::completions as entity;
use entity::Column;

const RESOURCE: &str = "completion";

/// Narrows the learning record; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct CompletionFilter {
    pub learner_id: Option<Uuid>,
    pub course_id: Option<Uuid>,
    pub completed_since: Option<NaiveDate>,
    pub completed_until: Option<NaiveDate>,
    /// Only the completions of this manager's reports.
    pub manager_id: Option<Uuid>,
}

/// What a completion records, before it is stored.
pub(crate) struct NewCompletion<'a> {
    pub learner_id: Uuid,
    pub course: &'a pathway_domain::course::Course,
    pub completed_on: NaiveDate,
    pub source: CompletionSource,
    pub source_key: String,
    pub score: Option<i32>,
    pub evidence: Option<String>,
}

/// Stores a completion unless its source event already has one; returns the one stored.
pub(crate) async fn record(
    change: &Change,
    new: NewCompletion<'_>,
) -> Result<Option<Completion>, StoreError> {
    let learner_id = new.learner_id;
    let recorded = insert(change.tx(), new, change.actor()).await?;
    if recorded.is_some() {
        change.record(Fact::CompletionsChanged(learner_id));
    }
    Ok(recorded)
}

/// As [`record`], for a consequence of a change that says itself whose completions changed.
pub(crate) async fn insert(
    tx: &impl ConnectionTrait,
    new: NewCompletion<'_>,
    actor: &Actor,
) -> Result<Option<Completion>, StoreError> {
    if exists(tx, &new.source_key).await? {
        return Ok(None);
    }
    let row = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        learner_id: Set(new.learner_id),
        course_id: Set(new.course.id),
        completed_on: Set(new.completed_on),
        source: Set(new.source),
        source_key: Set(new.source_key),
        score: Set(new.score),
        evidence: Set(new.evidence),
        expires_on: Set(expires_on(
            new.completed_on,
            new.course.details.validity_months,
        )),
        recorded_at: Set(now()),
    }
    .insert(tx)
    .await
    .map_err(StoreError::duplicate(RESOURCE, &["source_key"]))?;
    audit::record(tx, actor, "completion.recorded", RESOURCE, row.id).await?;
    Ok(Some(to_completion(row)))
}

/// Whether a source event has already produced a completion.
pub(crate) async fn exists(
    db: &impl ConnectionTrait,
    source_key: &str,
) -> Result<bool, StoreError> {
    Ok(entity::Entity::find()
        .filter(Column::SourceKey.eq(source_key))
        .one(db)
        .await?
        .is_some())
}

/// Withdraws the completion a source event produced, when it is corrected (an attendance
/// marked in error); does nothing when there is none.
pub(crate) async fn withdraw(change: &Change, source_key: &str) -> Result<(), StoreError> {
    if let Some(learner_id) = remove(change.tx(), source_key, change.actor()).await? {
        change.record(Fact::CompletionsChanged(learner_id));
    }
    Ok(())
}

/// As [`withdraw`], for a consequence of a change that says itself whose completions changed.
/// Returns the learner whose completion it was.
pub(crate) async fn remove(
    tx: &impl ConnectionTrait,
    source_key: &str,
    actor: &Actor,
) -> Result<Option<Uuid>, StoreError> {
    let Some(row) = entity::Entity::find()
        .filter(Column::SourceKey.eq(source_key))
        .one(tx)
        .await?
    else {
        return Ok(None);
    };
    entity::Entity::delete_by_id(row.id).exec(tx).await?;
    audit::record(tx, actor, "completion.withdrawn", RESOURCE, row.id).await?;
    Ok(Some(row.learner_id))
}

/// Records a completion from external evidence, once per learner, course and day.
#[tracing::instrument(skip_all)]
pub async fn record_evidence(
    change: &Change,
    evidence: Evidence,
) -> Result<Completion, StoreError> {
    let tx = change.tx();
    learner::get(tx, evidence.learner_id)
        .await
        .map_err(StoreError::missing_as_invalid("learner_id"))?;
    let course = course::get(tx, evidence.course_id)
        .await
        .map_err(StoreError::missing_as_invalid("course_id"))?;
    let source_key = evidence.source_key();
    let new = NewCompletion {
        learner_id: evidence.learner_id,
        course: &course,
        completed_on: evidence.completed_on,
        source: CompletionSource::External,
        source_key,
        score: evidence.score,
        evidence: evidence.evidence,
    };
    let completion = record(change, new).await?.ok_or_else(|| {
        DomainError::Conflict(
            "this learner's completion of this course on this day is already recorded".into(),
        )
    })?;
    Ok(completion)
}

pub async fn get(db: &DatabaseConnection, id: Uuid) -> Result<Completion, StoreError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .map(to_completion)
}

pub async fn list(
    db: &DatabaseConnection,
    filter: CompletionFilter,
    page: PageRequest,
) -> Result<Page<Completion>, StoreError> {
    let mut query = entity::Entity::find();
    if let Some(learner_id) = filter.learner_id {
        query = query.filter(Column::LearnerId.eq(learner_id));
    }
    if let Some(course_id) = filter.course_id {
        query = query.filter(Column::CourseId.eq(course_id));
    }
    if let Some(since) = filter.completed_since {
        query = query.filter(Column::CompletedOn.gte(since));
    }
    if let Some(until) = filter.completed_until {
        query = query.filter(Column::CompletedOn.lte(until));
    }
    if let Some(manager_id) = filter.manager_id {
        query = query.filter(Column::LearnerId.in_subquery(learner::reports_of(manager_id)));
    }
    Ok(page
        .fetch(db, query, Column::Id, |row| row.id)
        .await?
        .map(to_completion))
}

fn to_completion(row: entity::Model) -> Completion {
    Completion {
        id: row.id,
        learner_id: row.learner_id,
        course_id: row.course_id,
        completed_on: row.completed_on,
        source: row.source,
        source_key: row.source_key,
        score: row.score,
        evidence: row.evidence,
        expires_on: row.expires_on,
        recorded_at: row.recorded_at,
    }
}
