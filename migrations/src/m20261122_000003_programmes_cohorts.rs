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
                    .table("programmes")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(text_null("description"))
                    .col(uuid("course_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("programmes_course_fk")
                            .from("programmes", "course_id")
                            .to("courses", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("programme_modules")
                    .col(pk_uuid("id"))
                    .col(uuid("programme_id"))
                    .col(integer("position"))
                    .col(string("title"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("programme_modules_programme_fk")
                            .from("programme_modules", "programme_id")
                            .to("programmes", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "programme_modules", &["programme_id", "position"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("cohorts")
                    .col(pk_uuid("id"))
                    .col(uuid("programme_id"))
                    .col(date("starts_on"))
                    .col(integer("capacity"))
                    .col(string_null("facilitator"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("cohorts_programme_fk")
                            .from("cohorts", "programme_id")
                            .to("programmes", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "cohorts", &["programme_id", "starts_on"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("cohort_members")
                    .col(uuid("cohort_id"))
                    .col(uuid("learner_id"))
                    .col(timestamp_with_time_zone("joined_at"))
                    .primary_key(Index::create().col("cohort_id").col("learner_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("cohort_members_cohort_fk")
                            .from("cohort_members", "cohort_id")
                            .to("cohorts", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("cohort_members_learner_fk")
                            .from("cohort_members", "learner_id")
                            .to("learners", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "cohort_members", &["learner_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("module_progress")
                    .col(uuid("cohort_id"))
                    .col(uuid("learner_id"))
                    .col(uuid("module_id"))
                    .col(string("status"))
                    .col(date_null("completed_on"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(
                        Index::create()
                            .col("cohort_id")
                            .col("learner_id")
                            .col("module_id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("module_progress_member_fk")
                            .from("module_progress", ("cohort_id", "learner_id"))
                            .to("cohort_members", ("cohort_id", "learner_id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("module_progress_module_fk")
                            .from("module_progress", "module_id")
                            .to("programme_modules", "id"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "module_progress",
            "cohort_members",
            "cohorts",
            "programme_modules",
            "programmes",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
