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
        index(manager, "membership_history", &["kind", "name"]).await?;

        // Each learner against each requirement that applies to them as they stand: the due
        // day, the completion that counts, and how long it counts (9999-12-31 for ever), with
        // the course title and the rule's last day so a learner's compliance is one read. Kept in step in the
        // same transaction as every change to learners, seats, completions, requirements and
        // go-live dates, so the organisation's figures are one scan, read against any day.
        manager
            .create_table(
                Table::create()
                    .table("compliance_items")
                    .col(uuid("learner_id"))
                    .col(uuid("course_id"))
                    .col(uuid("requirement_id"))
                    .col(string("course_title"))
                    .col(date_null("effective_until"))
                    .col(date("due_on"))
                    .col(date_null("completed_on"))
                    .col(date_null("expires_on"))
                    .col(date_null("best_until"))
                    .col(string("learner_kind"))
                    .col(string_null("department"))
                    .col(date("started_on"))
                    .col(date_null("left_on"))
                    .primary_key(
                        Index::create()
                            .col("learner_id")
                            .col("course_id")
                            .col("requirement_id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("compliance_items_learner_fk")
                            .from("compliance_items", "learner_id")
                            .to("learners", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("compliance_items_requirement_fk")
                            .from("compliance_items", "requirement_id")
                            .to("requirements", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "compliance_items", &["requirement_id"]).await?;
        // Covers the figures per course, read in (course, learner) order without sorting.
        let mut by_course = Index::create()
            .name("compliance_items_by_course_idx")
            .table("compliance_items")
            .to_owned();
        for column in [
            "course_id",
            "learner_id",
            "requirement_id",
            "due_on",
            "best_until",
            "started_on",
            "left_on",
        ] {
            by_course.col(column);
        }
        manager.create_index(by_course).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["compliance_items", "membership_history", "requirements"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
