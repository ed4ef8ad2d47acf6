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
                    .table("training_requests")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(uuid("requester_id"))
                    .col(string("title"))
                    .col(string("provider"))
                    .col(text("justification"))
                    .col(text("development_need"))
                    .col(uuid_null("course_id"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(big_integer("estimated_cost_pence"))
                    .col(big_integer_null("actual_cost_pence"))
                    .col(string("pillar"))
                    .col(string("status"))
                    .col(text_null("override_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("training_requests_requester_fk")
                            .from("training_requests", "requester_id")
                            .to("learners", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("training_requests_course_fk")
                            .from("training_requests", "course_id")
                            .to("courses", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "training_requests", &["requester_id"]).await?;
        index(
            manager,
            "training_requests",
            &["status", "pillar", "starts_on"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("request_transitions")
                    .col(pk_uuid("id"))
                    .col(uuid("request_id"))
                    .col(string_null("from_status"))
                    .col(string("to_status"))
                    .col(string("actor"))
                    .col(text_null("reason"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("request_transitions_request_fk")
                            .from("request_transitions", "request_id")
                            .to("training_requests", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "request_transitions", &["request_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("request_supporters")
                    .col(uuid("request_id"))
                    .col(uuid("learner_id"))
                    .col(timestamp_with_time_zone("supported_at"))
                    .primary_key(Index::create().col("request_id").col("learner_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("request_supporters_request_fk")
                            .from("request_supporters", "request_id")
                            .to("training_requests", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("request_supporters_learner_fk")
                            .from("request_supporters", "learner_id")
                            .to("learners", "id"),
                    )
                    .to_owned(),
            )
            .await?;

        // One row per pillar and year: approvals lock it, so two cannot spend the same pound.
        manager
            .create_table(
                Table::create()
                    .table("budget_allocations")
                    .col(string("financial_year"))
                    .col(string("pillar"))
                    .col(big_integer("amount_pence"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("financial_year").col("pillar"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "budget_allocations",
            "request_supporters",
            "request_transitions",
            "training_requests",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
