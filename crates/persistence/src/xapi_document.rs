//! The documents the LRS keeps (State, Activity Profile, Agent Profile), read and written
//! whole, under a lock for each write so that a condition (`If-Match`) and a merge see the
//! document they change.

use chrono::{DateTime, Utc};
use pathway_domain::xapi_document::{Document, DocumentKey};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, Condition, QueryOrder, QuerySelect, SqlErr};

use crate::StoreError;
use crate::db::{begin_write, now};
use crate::entity::xapi_documents::{self as documents, Column};

/// A document as kept: its content, and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub document: Document,
    pub updated: DateTime<Utc>,
}

/// The key's columns; one left out is kept as '' (see the migration).
struct Columns {
    kind: &'static str,
    activity_id: String,
    agent_key: String,
    registration: String,
}

fn columns(key: &DocumentKey) -> Columns {
    match key {
        DocumentKey::State(state) => Columns {
            kind: "state",
            activity_id: state.activity_id.clone(),
            agent_key: state.agent_key.clone(),
            registration: state
                .registration
                .map(|r| r.to_string())
                .unwrap_or_default(),
        },
        DocumentKey::ActivityProfile(activity_id) => Columns {
            kind: "activity_profile",
            activity_id: activity_id.clone(),
            agent_key: String::new(),
            registration: String::new(),
        },
        DocumentKey::AgentProfile(agent_key) => Columns {
            kind: "agent_profile",
            activity_id: String::new(),
            agent_key: agent_key.clone(),
            registration: String::new(),
        },
    }
}

fn of_key(key: &DocumentKey) -> Condition {
    let c = columns(key);
    Condition::all()
        .add(Column::Kind.eq(c.kind))
        .add(Column::ActivityId.eq(c.activity_id))
        .add(Column::AgentKey.eq(c.agent_key))
        .add(Column::Registration.eq(c.registration))
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

pub async fn document(
    db: &DatabaseConnection,
    key: &DocumentKey,
    id: &str,
) -> Result<Option<Kept>, StoreError> {
    Ok(documents::Entity::find()
        .filter(of_key(key))
        .filter(Column::DocumentId.eq(id))
        .one(db)
        .await?
        .map(kept))
}

/// The ids of the documents under `key`, changed after `since` if given, oldest first.
pub async fn document_ids(
    db: &DatabaseConnection,
    key: &DocumentKey,
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

/// Writes the document `revise` makes of the one kept (none if there is none), in one
/// transaction with the kept one locked.
pub async fn write<E: From<StoreError>>(
    db: &DatabaseConnection,
    key: &DocumentKey,
    id: &str,
    revise: impl FnOnce(Option<&Document>) -> Result<Document, E>,
) -> Result<(), E> {
    let tx = begin_write(db).await.map_err(E::from)?;
    let current = documents::Entity::find()
        .filter(of_key(key))
        .filter(Column::DocumentId.eq(id))
        .lock_exclusive()
        .one(&tx)
        .await
        .map_err(StoreError::from)?;
    let before = current.clone().map(kept);
    let document = revise(before.as_ref().map(|k| &k.document))?;
    let etag = document.etag();
    let c = columns(key);
    let row = documents::ActiveModel {
        kind: Set(c.kind.into()),
        activity_id: Set(c.activity_id),
        agent_key: Set(c.agent_key),
        registration: Set(c.registration),
        document_id: Set(id.to_owned()),
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
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Stale("document"),
        _ => StoreError::from(e),
    })?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Deletes one document, after `check` on it; or, without `id`, every one under `key`.
pub async fn delete<E: From<StoreError>>(
    db: &DatabaseConnection,
    key: &DocumentKey,
    id: Option<&str>,
    check: impl FnOnce(Option<&Document>) -> Result<(), E>,
) -> Result<(), E> {
    let tx = begin_write(db).await.map_err(E::from)?;
    let mut doomed = documents::Entity::delete_many().filter(of_key(key));
    if let Some(id) = id {
        let current = documents::Entity::find()
            .filter(of_key(key))
            .filter(Column::DocumentId.eq(id))
            .lock_exclusive()
            .one(&tx)
            .await
            .map_err(StoreError::from)?;
        check(current.map(kept).as_ref().map(|k| &k.document))?;
        doomed = doomed.filter(Column::DocumentId.eq(id));
    }
    doomed.exec(&tx).await.map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
