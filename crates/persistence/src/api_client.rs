//! Registered integration clients and the hashes of their secrets.

use pathway_domain::api_client::{ApiClient, ClientDetails, parse_scope_claim, scope_claim};
use pathway_domain::audit::Actor;
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue::{Set, Unchanged},
    QuerySelect,
};

use crate::db::{begin_write, now};
use crate::entity::api_clients as clients;
use crate::page::PageRequest;
use crate::{Page, StoreError, audit};

const RESOURCE: &str = "API client";

/// Registers a client whose secret hashes to `secret_hash`.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    details: ClientDetails,
    secret_hash: String,
    actor: &Actor,
) -> Result<ApiClient, StoreError> {
    let tx = begin_write(db).await?;
    let row = clients::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(details.name),
        scopes: Set(scope_claim(&details.scopes)),
        secret_hash: Set(secret_hash),
        created_at: Set(now()),
        revoked_at: Set(None),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "api_client.registered", RESOURCE, row.id).await?;
    tx.commit().await?;
    to_client(row)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<ApiClient, StoreError> {
    credentials(db, id)
        .await?
        .map(|(client, _)| client)
        .ok_or(StoreError::NotFound(RESOURCE))
}

/// A client with the stored hash of its secret, to check a presented secret against.
pub async fn credentials(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(ApiClient, String)>, StoreError> {
    let Some(row) = clients::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let hash = row.secret_hash.clone();
    Ok(Some((to_client(row)?, hash)))
}

pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Page<ApiClient>, StoreError> {
    page.fetch(db, clients::Entity::find(), clients::Column::Id, |r| r.id)
        .await?
        .try_map(to_client)
}

/// Stops the client from now on: the integration endpoints read its row on every request, so
/// the tokens it already holds stop too. Revoking twice changes nothing.
#[tracing::instrument(skip(db, actor))]
pub async fn revoke(
    db: &DatabaseConnection,
    id: Uuid,
    actor: &Actor,
) -> Result<ApiClient, StoreError> {
    let tx = begin_write(db).await?;
    let row = clients::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    if row.revoked_at.is_some() {
        return to_client(row);
    }
    let row = clients::ActiveModel {
        id: Unchanged(id),
        revoked_at: Set(Some(now())),
        version: Set(row.version + 1),
        ..Default::default()
    }
    .update(&tx)
    .await?;
    audit::record(&tx, actor, "api_client.revoked", RESOURCE, id).await?;
    tx.commit().await?;
    to_client(row)
}

fn to_client(row: clients::Model) -> Result<ApiClient, StoreError> {
    let scopes = parse_scope_claim(&row.scopes).map_err(StoreError::corrupt(RESOURCE))?;
    Ok(ApiClient {
        id: row.id,
        details: ClientDetails {
            name: row.name,
            scopes,
        },
        created_at: row.created_at,
        revoked_at: row.revoked_at,
        version: row.version,
    })
}
