use sea_orm_migration::{prelude::*, schema::*};

use crate::reference;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Integration clients. Only a slow hash of each secret is kept: the secret itself is
        // shown once, in the answer to the registration.
        manager
            .create_table(
                Table::create()
                    .table("api_clients")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(string("scopes"))
                    .col(string("secret_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(integer("version"))
                    .to_owned(),
            )
            .await?;
        // What each Idempotency-Key was first used for and answered, per caller, so a retry
        // through any server process gets the first answer. `status` is null while the first
        // request is still being worked on.
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(string("caller"))
                    .col(string("key"))
                    .col(string("request_hash"))
                    .col(integer_null("status"))
                    .col(string_null("content_type"))
                    .col(text_null("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("caller").col("key"))
                    .to_owned(),
            )
            .await?;
        // A full HR sync spread over several calls: the references each call brought, so that
        // closing the run marks as left every employee none of them named.
        manager
            .create_table(
                Table::create()
                    .table("sync_runs")
                    .col(pk_uuid("id"))
                    .col(string("caller"))
                    .col(timestamp_with_time_zone("opened_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(big_integer("created"))
                    .col(big_integer("updated"))
                    .col(big_integer("unchanged"))
                    .col(big_integer("left"))
                    .col(big_integer("failed"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sync_run_refs")
                    .col(uuid("run_id"))
                    .col(string("external_ref"))
                    .primary_key(Index::create().col("run_id").col("external_ref"))
                    .foreign_key(&mut reference("sync_run_refs", "run_id", "sync_runs", true))
                    .to_owned(),
            )
            .await?;
        // Signed callbacks already applied, by provider and webhook-id: a replay is
        // acknowledged and does nothing.
        manager
            .create_table(
                Table::create()
                    .table("callback_deliveries")
                    .col(string("provider"))
                    .col(string("webhook_id"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(uuid_null("completion_id"))
                    .primary_key(Index::create().col("provider").col("webhook_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "callback_deliveries",
            "sync_run_refs",
            "sync_runs",
            "idempotency_keys",
            "api_clients",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
