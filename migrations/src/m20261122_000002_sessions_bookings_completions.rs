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
                    .table("sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("course_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string_null("location"))
                    .col(text_null("online_url"))
                    .col(integer("capacity"))
                    .col(string_null("facilitator"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("sessions_course_fk")
                            .from("sessions", "course_id")
                            .to("courses", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "sessions", &["course_id", "starts_at"]).await?;
        index(manager, "sessions", &["starts_at"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("bookings")
                    .col(pk_uuid("id"))
                    .col(uuid("session_id"))
                    .col(uuid("learner_id"))
                    .col(string("status"))
                    .col(string_null("attendance"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("bookings_session_fk")
                            .from("bookings", "session_id")
                            .to("sessions", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("bookings_learner_fk")
                            .from("bookings", "learner_id")
                            .to("learners", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "bookings", &["session_id", "status"]).await?;
        index(manager, "bookings", &["learner_id"]).await?;
        // One live booking per learner per session; cancelled ones are history and may repeat.
        manager
            .create_index(
                Index::create()
                    .name("bookings_session_id_learner_id_unique")
                    .table("bookings")
                    .col("session_id")
                    .col("learner_id")
                    .unique()
                    .and_where(Expr::col("status").ne("cancelled"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("completions")
                    .col(pk_uuid("id"))
                    .col(uuid("learner_id"))
                    .col(uuid("course_id"))
                    .col(date("completed_on"))
                    .col(string("source"))
                    .col(string("source_key"))
                    .col(integer_null("score"))
                    .col(text_null("evidence"))
                    .col(date_null("expires_on"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("completions_learner_fk")
                            .from("completions", "learner_id")
                            .to("learners", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("completions_course_fk")
                            .from("completions", "course_id")
                            .to("courses", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("completions_source_key_unique")
                    .table("completions")
                    .col("source_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "completions",
            &["learner_id", "course_id", "completed_on"],
        )
        .await?;
        index(manager, "completions", &["course_id", "completed_on"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["completions", "bookings", "sessions"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
