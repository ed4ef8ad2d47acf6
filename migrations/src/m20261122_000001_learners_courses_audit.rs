use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("learners")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(string("given_name"))
                    .col(string("family_name"))
                    .col(string("email"))
                    .col(string_null("external_ref"))
                    .col(string_null("department"))
                    .col(string_null("job_title"))
                    .col(uuid_null("manager_id"))
                    .col(string_null("political_group"))
                    .col(string_null("ward"))
                    .col(date("started_on"))
                    .col(string("status"))
                    .col(date_null("left_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("learners_manager_fk")
                            .from("learners", "manager_id")
                            .to("learners", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        unique_index(manager, "learners", "email").await?;
        // Several learners may have no HR reference; unique indexes ignore NULLs on both databases.
        unique_index(manager, "learners", "external_ref").await?;
        index(manager, "learners", &["manager_id"]).await?;
        index(manager, "learners", &["department"]).await?;

        // Committee seats and special responsibilities, one row each, so rules and filters can
        // match them and a later change can keep when each began.
        manager
            .create_table(
                Table::create()
                    .table("learner_memberships")
                    .col(uuid("learner_id"))
                    .col(string("kind"))
                    .col(string("name"))
                    .col(date("started_on"))
                    .primary_key(Index::create().col("learner_id").col("kind").col("name"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("learner_memberships_learner_fk")
                            .from("learner_memberships", "learner_id")
                            .to("learners", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "learner_memberships", &["kind", "name"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("courses")
                    .col(pk_uuid("id"))
                    .col(string("code"))
                    .col(string("title"))
                    .col(text_null("description"))
                    .col(string("pillar"))
                    .col(string("category"))
                    .col(string("offer"))
                    .col(string("audience"))
                    .col(string("delivery"))
                    .col(string("provider"))
                    .col(string_null("qualification"))
                    .col(big_integer("cost_pence"))
                    .col(integer_null("validity_months"))
                    .col(date_null("go_live_on"))
                    .col(string("status"))
                    .col(string("eia_status"))
                    .col(date_null("eia_completed_on"))
                    .col(text_null("eia_summary"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .to_owned(),
            )
            .await?;
        unique_index(manager, "courses", "code").await?;
        index(manager, "courses", &["status", "audience"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string("actor"))
                    .col(string("action"))
                    .col(string("resource_type"))
                    .col(uuid("resource_id"))
                    .col(string_null("request_id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "audit_events", &["resource_type", "resource_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_events", "courses", "learner_memberships", "learners"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Unique indexes are named `<table>_<column>_unique`: storage reports a violation by that
/// name (PostgreSQL) or by `<table>.<column>` (SQLite), and both contain the column's name.
async fn unique_index(manager: &SchemaManager<'_>, table: &str, column: &str) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(format!("{table}_{column}_unique"))
                .table(table.to_owned())
                .col(column.to_owned())
                .unique()
                .to_owned(),
        )
        .await
}
