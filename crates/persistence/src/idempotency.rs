//! Idempotency keys: a retried integration request gets the first answer instead of doing its
//! work twice, whichever server process it reaches.

use pathway_domain::DomainError;
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, TryInsertResult};
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::change::Change;
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
    /// First use: do the work in the same transaction, then [`finish`] before it commits.
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

/// Claims `key` for `caller`'s request inside the transaction that does the request's work,
/// so claim, work and answer commit together or not at all: a process killed mid-request, or
/// a database lost mid-request, leaves no claim behind, and the retry does the work. A
/// concurrent retry waits for the first request's transaction (PostgreSQL holds it at the key's
/// unique index, SQLite at its write lock) and then replays its answer.
pub async fn claim(
    change: &Change,
    caller: &str,
    key: &str,
    request_hash: &str,
) -> Result<Claim, StoreError> {
    let tx = change.tx();
    if insert(tx, caller, key, request_hash, None).await? {
        return Ok(Claim::Fresh);
    }
    let earlier = keys::Entity::find_by_id((caller.to_owned(), key.to_owned()))
        .one(tx)
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
        // Committed without an answer by a version that claimed keys apart from the work: its
        // request may have died, so this one does the work.
        _ => Ok(Claim::Fresh),
    }
}

/// Keeps the answer for replays, in the claim's transaction.
pub async fn finish(
    change: &Change,
    caller: &str,
    key: &str,
    answer: Answer,
) -> Result<(), StoreError> {
    keys::ActiveModel {
        caller: Unchanged(caller.to_owned()),
        key: Unchanged(key.to_owned()),
        status: Set(Some(i32::from(answer.status))),
        content_type: Set(answer.content_type),
        body: Set(Some(answer.body)),
        ..Default::default()
    }
    .update(change.tx())
    .await?;
    Ok(())
}

/// Keeps a refusal for replays: the work's transaction rolled back with its claim, so the
/// answer is stored on its own, unless another request holds the key by now.
pub async fn remember(
    db: &DatabaseConnection,
    caller: &str,
    key: &str,
    request_hash: &str,
    answer: Answer,
) -> Result<(), StoreError> {
    insert(db, caller, key, request_hash, Some(answer)).await?;
    Ok(())
}

/// Inserts the key's row unless it is there; says whether it inserted it.
async fn insert(
    db: &impl ConnectionTrait,
    caller: &str,
    key: &str,
    request_hash: &str,
    answer: Option<Answer>,
) -> Result<bool, StoreError> {
    let (status, content_type, body) = match answer {
        Some(a) => (Some(i32::from(a.status)), a.content_type, Some(a.body)),
        None => (None, None, None),
    };
    let row = keys::ActiveModel {
        caller: Set(caller.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(status),
        content_type: Set(content_type),
        body: Set(body),
        created_at: Set(now()),
    };
    let inserted = keys::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0))
}
