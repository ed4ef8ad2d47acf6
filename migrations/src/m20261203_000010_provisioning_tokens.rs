use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Long-lived bearer tokens an admin gives a client for an identity provider to paste
        // once. The token is shown once; `token_hash` is its HMAC-SHA256 under a key derived
        // from the server's signing secret, so a copy of the database opens nothing, and a
        // presented token is found by its hash. `scopes` are some of the client's.
        manager
            .create_table(
                Table::create()
                    .table("provisioning_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("client_id"))
                    .col(string("name"))
                    .col(string("scopes"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut reference(
                        "provisioning_tokens",
                        "client_id",
                        "api_clients",
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "provisioning_tokens", &["client_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("provisioning_tokens").to_owned())
            .await
    }
}
