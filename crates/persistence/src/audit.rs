use pathway_domain::audit::{Actor, AuditEvent};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use crate::db::now;
use crate::page::PageRequest;
use crate::sql::insert;
use crate::{Page, StoreError};

use crate::entity::audit_events as entity;
use entity::{Column, Entity};

/// Records who did what to which resource. Call it inside the mutation's own transaction, so
/// the change and its record land together or not at all.
pub(crate) async fn record(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    resource_type: &str,
    resource_id: Uuid,
) -> Result<(), StoreError> {
    entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now()),
        actor: Set(actor.subject.clone()),
        action: Set(action.to_owned()),
        resource_type: Set(resource_type.to_owned()),
        resource_id: Set(resource_id),
        request_id: Set(actor.request_id.clone()),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Records one action on many resources at once, as a bulk sync does.
pub(crate) async fn record_many(
    tx: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    resource_type: &str,
    resource_ids: &[Uuid],
) -> Result<(), StoreError> {
    let at = now();
    let rows = resource_ids.iter().map(|id| {
        vec![
            Uuid::now_v7().into(),
            at.into(),
            actor.subject.clone().into(),
            action.into(),
            resource_type.into(),
            (*id).into(),
            actor.request_id.clone().into(),
        ]
    });
    insert(
        tx,
        "audit_events",
        &[
            "id",
            "occurred_at",
            "actor",
            "action",
            "resource_type",
            "resource_id",
            "request_id",
        ],
        rows,
    )
    .await
}

/// Narrows the audit trail; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEvent>, StoreError> {
    let mut query = Entity::find();
    if let Some(resource_type) = filter.resource_type {
        query = query.filter(Column::ResourceType.eq(resource_type));
    }
    if let Some(resource_id) = filter.resource_id {
        query = query.filter(Column::ResourceId.eq(resource_id));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(Column::Actor.eq(actor));
    }
    if let Some(action) = filter.action {
        query = query.filter(Column::Action.eq(action));
    }
    Ok(page
        .fetch(db, query, Column::Id, |row| row.id)
        .await?
        .map(|row| AuditEvent {
            id: row.id,
            occurred_at: row.occurred_at,
            actor: row.actor,
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            request_id: row.request_id,
        }))
}
