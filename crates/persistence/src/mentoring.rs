use chrono::NaiveDate;
use pathway_domain::audit::Actor;
use pathway_domain::mentoring::{Partnership, PartnershipKind, PartnershipStatus, check_pair};
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue::{Set, Unchanged},
    Condition, QuerySelect,
};

use crate::db::{begin_write, now};
use crate::page::PageRequest;
use crate::{Page, StoreError, audit, learner};

use crate::entity::mentoring_partnerships as entity;
use entity::Column;

const RESOURCE: &str = "mentoring partnership";

/// Narrows the partnerships; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct PartnershipFilter {
    pub kind: Option<PartnershipKind>,
    pub status: Option<PartnershipStatus>,
    /// Partnerships this learner is in, on either side.
    pub learner_id: Option<Uuid>,
}

#[tracing::instrument(skip(db, actor))]
pub async fn create(
    db: &DatabaseConnection,
    kind: PartnershipKind,
    mentor_id: Uuid,
    mentee_id: Uuid,
    started_on: NaiveDate,
    actor: &Actor,
) -> Result<Partnership, StoreError> {
    let tx = begin_write(db).await?;
    let mentor = learner::get(&tx, mentor_id)
        .await
        .map_err(StoreError::missing_as_invalid("mentor_id"))?;
    let mentee = learner::get(&tx, mentee_id)
        .await
        .map_err(StoreError::missing_as_invalid("mentee_id"))?;
    check_pair(&mentor, &mentee)?;
    let row = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind),
        mentor_id: Set(mentor_id),
        mentee_id: Set(mentee_id),
        started_on: Set(started_on),
        ended_on: Set(None),
        created_at: Set(now()),
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        actor,
        "mentoring_partnership.created",
        RESOURCE,
        row.id,
    )
    .await?;
    tx.commit().await?;
    Ok(to_partnership(row))
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Partnership, StoreError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .map(to_partnership)
}

pub async fn list(
    db: &DatabaseConnection,
    filter: PartnershipFilter,
    page: PageRequest,
) -> Result<Page<Partnership>, StoreError> {
    let mut query = entity::Entity::find();
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind));
    }
    query = match filter.status {
        Some(PartnershipStatus::Active) => query.filter(Column::EndedOn.is_null()),
        Some(PartnershipStatus::Ended) => query.filter(Column::EndedOn.is_not_null()),
        None => query,
    };
    if let Some(learner_id) = filter.learner_id {
        query = query.filter(
            Condition::any()
                .add(Column::MentorId.eq(learner_id))
                .add(Column::MenteeId.eq(learner_id)),
        );
    }
    Ok(page
        .fetch(db, query, Column::Id, |row| row.id)
        .await?
        .map(to_partnership))
}

#[tracing::instrument(skip(db, actor))]
pub async fn end(
    db: &DatabaseConnection,
    id: Uuid,
    ended_on: NaiveDate,
    actor: &Actor,
) -> Result<Partnership, StoreError> {
    let tx = begin_write(db).await?;
    let row = entity::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    let ended_on = to_partnership(row).end(ended_on)?;
    let saved = entity::ActiveModel {
        id: Unchanged(id),
        ended_on: Set(Some(ended_on)),
        ..Default::default()
    }
    .update(&tx)
    .await?;
    audit::record(&tx, actor, "mentoring_partnership.ended", RESOURCE, id).await?;
    tx.commit().await?;
    Ok(to_partnership(saved))
}

fn to_partnership(row: entity::Model) -> Partnership {
    Partnership {
        id: row.id,
        kind: row.kind,
        mentor_id: row.mentor_id,
        mentee_id: row.mentee_id,
        started_on: row.started_on,
        ended_on: row.ended_on,
        created_at: row.created_at,
    }
}
