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
                    .table("requirements")
                    .col(pk_uuid("id"))
                    .col(uuid("course_id"))
                    .col(string("selector_kind"))
                    .col(string_null("selector_value"))
                    .col(integer("due_within_days"))
                    .col(date("effective_from"))
                    .col(date_null("effective_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("requirements_course_fk")
                            .from("requirements", "course_id")
                            .to("courses", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "requirements", &["course_id"]).await?;

        // Seats a learner gave up, with the days they were held: learner_memberships keeps the
        // seats held now, and rules look back over both to say when they started applying.
        manager
            .create_table(
                Table::create()
                    .table("membership_history")
                    .col(uuid("learner_id"))
                    .col(string("kind"))
                    .col(string("name"))
                    .col(date("started_on"))
                    .col(date("ended_on"))
                    .primary_key(
                        Index::create()
                            .col("learner_id")
                            .col("kind")
                            .col("name")
                            .col("started_on"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("membership_history_learner_fk")
                            .from("membership_history", "learner_id")
                            .to("learners", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "membership_history", &["kind", "name"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["membership_history", "requirements"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
