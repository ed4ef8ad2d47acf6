//! The State documents the LRS keeps, read and written whole, under a lock for each write so
//! that a condition (`If-Match`) and a merge see the document they change.

use chrono::{DateTime, Utc};
use pathway_domain::xapi_document::{Document, StateKey};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, Condition, QueryOrder, QuerySelect, SqlErr};

use crate::StoreError;
use crate::db::{begin_write, now};
use crate::entity::xapi_documents::{self as documents, Column};

const STATE: &str = "state";

/// A document as kept: its content, and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub document: Document,
    pub updated: DateTime<Utc>,
}

fn of_key(key: &StateKey) -> Condition {
    Condition::all()
        .add(Column::Kind.eq(STATE))
        .add(Column::ActivityId.eq(key.activity_id.as_str()))
        .add(Column::AgentKey.eq(key.agent_key.as_str()))
        .add(Column::Registration.eq(registration(key)))
}

/// A key column left out is kept as '' (see the migration).
fn registration(key: &StateKey) -> String {
    key.registration.map(|r| r.to_string()).unwrap_or_default()
}

fn kept(row: documents::Model) -> Kept {
    Kept {
        document: Document {
            content_type: row.content_type,
            content: row.content,
        },
        updated: row.updated,
    }
}

pub async fn state(
    db: &DatabaseConnection,
    key: &StateKey,
    state_id: &str,
) -> Result<Option<Kept>, StoreError> {
    Ok(documents::Entity::find()
        .filter(of_key(key))
        .filter(Column::DocumentId.eq(state_id))
        .one(db)
        .await?
        .map(kept))
}

/// The ids of the states under `key`, changed after `since` if given, oldest first.
pub async fn state_ids(
    db: &DatabaseConnection,
    key: &StateKey,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<String>, StoreError> {
    let mut query = documents::Entity::find().filter(of_key(key));
    if let Some(since) = since {
        query = query.filter(Column::Updated.gt(since));
    }
    Ok(query
        .select_only()
        .column(Column::DocumentId)
        .order_by_asc(Column::Updated)
        .order_by_asc(Column::DocumentId)
        .into_tuple()
        .all(db)
        .await?)
}

/// Writes the state `revise` makes of the one kept (none if there is none), in one
/// transaction with the kept one locked.
pub async fn write_state<E: From<StoreError>>(
    db: &DatabaseConnection,
    key: &StateKey,
    state_id: &str,
    revise: impl FnOnce(Option<&Document>) -> Result<Document, E>,
) -> Result<(), E> {
    let tx = begin_write(db).await.map_err(E::from)?;
    let current = documents::Entity::find()
        .filter(of_key(key))
        .filter(Column::DocumentId.eq(state_id))
        .lock_exclusive()
        .one(&tx)
        .await
        .map_err(StoreError::from)?;
    let before = current.clone().map(kept);
    let document = revise(before.as_ref().map(|k| &k.document))?;
    let etag = document.etag();
    let row = documents::ActiveModel {
        kind: Set(STATE.into()),
        activity_id: Set(key.activity_id.clone()),
        agent_key: Set(key.agent_key.clone()),
        registration: Set(registration(key)),
        document_id: Set(state_id.to_owned()),
        content_type: Set(document.content_type),
        content: Set(document.content),
        etag: Set(etag),
        updated: Set(now()),
        ..Default::default()
    };
    let written = match current {
        Some(current) => documents::ActiveModel {
            id: Set(current.id),
            ..row
        }
        .update(&tx)
        .await
        .map(drop),
        None => documents::ActiveModel {
            id: Set(Uuid::now_v7()),
            ..row
        }
        .insert(&tx)
        .await
        .map(drop),
    };
    written.map_err(|e| match e.sql_err() {
        // Another request created it in the meantime.
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Stale("state document"),
        _ => StoreError::from(e),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Deletes one state, after `check` on it; or, without `state_id`, every state under `key`.
pub async fn delete_state<E: From<StoreError>>(
    db: &DatabaseConnection,
    key: &StateKey,
    state_id: Option<&str>,
    check: impl FnOnce(Option<&Document>) -> Result<(), E>,
) -> Result<(), E> {
    let tx = begin_write(db).await.map_err(E::from)?;
    let mut doomed = documents::Entity::delete_many().filter(of_key(key));
    if let Some(state_id) = state_id {
        let current = documents::Entity::find()
            .filter(of_key(key))
            .filter(Column::DocumentId.eq(state_id))
            .lock_exclusive()
            .one(&tx)
            .await
            .map_err(StoreError::from)?;
        check(current.map(kept).as_ref().map(|k| &k.document))?;
        doomed = doomed.filter(Column::DocumentId.eq(state_id));
    }
    doomed.exec(&tx).await.map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
