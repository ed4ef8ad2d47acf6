//! Idempotency keys: a retried integration request gets the first answer instead of doing its
//! work twice, whichever server process it reaches.

use pathway_domain::DomainError;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, SqlErr};
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::db::now;
use crate::entity::idempotency_keys as keys;

/// A stored answer, to send again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: do the work, then [`finish`] (or [`release`] if it failed).
    Fresh,
    /// Used before for this same request: send this answer again.
    Replay(Answer),
}

/// The fingerprint of a request: method, path with query, and body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), b"\n", path.as_bytes(), b"\n", body] {
        hash.update(part);
    }
    format!("{:x}", hash.finalize())
}

/// Claims `key` for `caller`'s request. The key's row is inserted before any work, so of two
/// retries racing through two processes only one does the work; the other is told to wait.
pub async fn claim(
    db: &DatabaseConnection,
    caller: &str,
    key: &str,
    request_hash: &str,
) -> Result<Claim, StoreError> {
    let inserted = keys::ActiveModel {
        caller: Set(caller.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(None),
        content_type: Set(None),
        body: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => return Ok(Claim::Fresh),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
        Err(error) => return Err(error.into()),
    }
    let earlier = keys::Entity::find_by_id((caller.to_owned(), key.to_owned()))
        .one(db)
        .await?
        .ok_or(StoreError::Corrupt("idempotency key", "vanished".into()))?;
    if earlier.request_hash != request_hash {
        return Err(DomainError::invalid(
            "Idempotency-Key",
            "was used before for a different request; use a new key for a new request",
        )
        .into());
    }
    match (earlier.status, earlier.body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(Answer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: earlier.content_type,
            body,
        })),
        _ => Err(DomainError::Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly".into(),
        )
        .into()),
    }
}

/// Keeps the answer for replays.
pub async fn finish(
    db: &DatabaseConnection,
    caller: &str,
    key: &str,
    answer: Answer,
) -> Result<(), StoreError> {
    keys::ActiveModel {
        caller: sea_orm::ActiveValue::Unchanged(caller.to_owned()),
        key: sea_orm::ActiveValue::Unchanged(key.to_owned()),
        status: Set(Some(i32::from(answer.status))),
        content_type: Set(answer.content_type),
        body: Set(Some(answer.body)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Gives the key up after a failure the client may retry (a 5xx), so the retry does the work.
pub async fn release(db: &DatabaseConnection, caller: &str, key: &str) -> Result<(), StoreError> {
    keys::Entity::delete_by_id((caller.to_owned(), key.to_owned()))
        .exec(db)
        .await?;
    Ok(())
}
