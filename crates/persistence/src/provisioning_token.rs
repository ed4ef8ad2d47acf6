//! Provisioning tokens, kept as keyed hashes and found by them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pathway_domain::api_client::{parse_scope_claim, scope_claim};
use pathway_domain::audit::Actor;
use pathway_domain::provisioning_token::{ProvisioningToken, ProvisioningTokenInput, TokenDetails};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, Condition, QuerySelect};

use crate::db::{begin_write, now};
use crate::entity::provisioning_tokens as tokens;
use crate::page::PageRequest;
use crate::{Page, StoreError, api_client, audit};

const RESOURCE: &str = "provisioning token";

/// How stale `last_used_at` may grow: a token in use writes at most once a minute, not once a
/// request.
const USE_RECORDED_EVERY: Duration = Duration::minutes(1);

/// Issues the client a token whose keyed hash is `token_hash`, on the rules of
/// [`TokenDetails::parse`] for the client as it stands in this transaction.
#[tracing::instrument(skip(db, input, token_hash, actor))]
pub async fn create(
    db: &DatabaseConnection,
    client_id: Uuid,
    input: ProvisioningTokenInput,
    today: NaiveDate,
    token_hash: String,
    actor: &Actor,
) -> Result<ProvisioningToken, StoreError> {
    let tx = begin_write(db).await?;
    // A client revoked after this read still ends the token: each use checks the client.
    let client = api_client::get(&tx, client_id).await?;
    let details = TokenDetails::parse(input, &client, today)?;
    let row = tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client_id),
        name: Set(details.name),
        scopes: Set(scope_claim(&details.scopes)),
        token_hash: Set(token_hash),
        expires_at: Set(details.expires_at),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "provisioning_token.issued", RESOURCE, row.id).await?;
    tx.commit().await?;
    to_token(row)
}

/// The client's tokens, oldest first, revoked and expired ones too.
pub async fn list(
    db: &DatabaseConnection,
    client_id: Uuid,
    page: PageRequest,
) -> Result<Page<ProvisioningToken>, StoreError> {
    api_client::get(db, client_id).await?;
    let query = tokens::Entity::find().filter(tokens::Column::ClientId.eq(client_id));
    page.fetch(db, query, tokens::Column::Id, |row| row.id)
        .await?
        .try_map(to_token)
}

/// Ends the token at once. Revoking twice changes nothing.
#[tracing::instrument(skip(db, actor))]
pub async fn revoke(
    db: &DatabaseConnection,
    client_id: Uuid,
    id: Uuid,
    actor: &Actor,
) -> Result<ProvisioningToken, StoreError> {
    let tx = begin_write(db).await?;
    let row = tokens::Entity::find_by_id(id)
        .filter(tokens::Column::ClientId.eq(client_id))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    if row.revoked_at.is_some() {
        return to_token(row);
    }
    let mut revoked: tokens::ActiveModel = row.into();
    revoked.revoked_at = Set(Some(now()));
    let row = revoked.update(&tx).await?;
    audit::record(&tx, actor, "provisioning_token.revoked", RESOURCE, id).await?;
    tx.commit().await?;
    to_token(row)
}

/// A presented token that works at `at`: the token, and the scopes it opens. `None` when no
/// token has this hash, or it is revoked, expired, or its client is revoked. Records the use.
pub async fn presented(
    db: &DatabaseConnection,
    token_hash: &str,
    at: DateTime<Utc>,
) -> Result<Option<ProvisioningToken>, StoreError> {
    let Some(row) = tokens::Entity::find()
        .filter(tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let token = to_token(row)?;
    let client = api_client::get(db, token.client_id).await?;
    if !token.works_at(at) || client.revoked_at.is_some() {
        return Ok(None);
    }
    if token
        .last_used_at
        .is_none_or(|used| at - used >= USE_RECORDED_EVERY)
    {
        // Conditional, so servers that see the same token in the same minute write it once.
        tokens::Entity::update_many()
            .col_expr(tokens::Column::LastUsedAt, Expr::value(at))
            .filter(tokens::Column::Id.eq(token.id))
            .filter(
                Condition::any()
                    .add(tokens::Column::LastUsedAt.is_null())
                    .add(tokens::Column::LastUsedAt.lte(at - USE_RECORDED_EVERY)),
            )
            .exec(db)
            .await?;
    }
    Ok(Some(token))
}

fn to_token(row: tokens::Model) -> Result<ProvisioningToken, StoreError> {
    let scopes = parse_scope_claim(&row.scopes).map_err(StoreError::corrupt(RESOURCE))?;
    Ok(ProvisioningToken {
        id: row.id,
        client_id: row.client_id,
        details: TokenDetails {
            name: row.name,
            scopes,
            expires_at: row.expires_at,
        },
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    })
}
