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
                    .table("feedback")
                    .col(pk_uuid("id"))
                    .col(uuid("learner_id"))
                    .col(string("subject_key"))
                    .col(uuid_null("session_id"))
                    .col(uuid_null("cohort_id"))
                    .col(uuid_null("module_id"))
                    .col(integer("rating"))
                    .col(text_null("comments"))
                    .col(boolean("would_recommend"))
                    .col(timestamp_with_time_zone("given_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("feedback_learner_fk")
                            .from("feedback", "learner_id")
                            .to("learners", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("feedback_session_fk")
                            .from("feedback", "session_id")
                            .to("sessions", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("feedback_cohort_fk")
                            .from("feedback", "cohort_id")
                            .to("cohorts", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // One evaluation per learner per session or module.
        manager
            .create_index(
                Index::create()
                    .name("feedback_learner_id_subject_key_unique")
                    .table("feedback")
                    .col("learner_id")
                    .col("subject_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(manager, "feedback", &["given_at"]).await?;
        index(manager, "feedback", &["session_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("mentoring_partnerships")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(uuid("mentor_id"))
                    .col(uuid("mentee_id"))
                    .col(date("started_on"))
                    .col(date_null("ended_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("partnerships_mentor_fk")
                            .from("mentoring_partnerships", "mentor_id")
                            .to("learners", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("partnerships_mentee_fk")
                            .from("mentoring_partnerships", "mentee_id")
                            .to("learners", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "mentoring_partnerships", &["mentor_id"]).await?;
        index(manager, "mentoring_partnerships", &["mentee_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["mentoring_partnerships", "feedback"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
