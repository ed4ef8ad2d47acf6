use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("panels")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(text("purpose"))
                    .col(string("advises"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("panel_members")
                    .col(pk_uuid("id"))
                    .col(uuid("panel_id"))
                    .col(uuid("learner_id"))
                    .col(string("role"))
                    .col(date("joined_on"))
                    .col(date_null("left_on"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut reference("panel_members", "panel_id", "panels", true))
                    .foreign_key(&mut reference(
                        "panel_members",
                        "learner_id",
                        "learners",
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "panel_members", &["panel_id", "learner_id"]).await?;

        // Lists of text and of learner ids are stored as JSON text: they are read and written
        // whole with their meeting, evaluation or response, never queried inside.
        manager
            .create_table(
                Table::create()
                    .table("panel_meetings")
                    .col(pk_uuid("id"))
                    .col(uuid("panel_id"))
                    .col(date("held_on"))
                    .col(text("agenda"))
                    .col(text("attendees"))
                    .col(text_null("minutes"))
                    .col(text("decisions"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut reference("panel_meetings", "panel_id", "panels", true))
                    .to_owned(),
            )
            .await?;
        index(manager, "panel_meetings", &["panel_id", "held_on"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("evaluations")
                    .col(pk_uuid("id"))
                    .col(uuid("panel_id"))
                    .col(string("scope_kind"))
                    .col(uuid_null("course_id"))
                    .col(date("period_start"))
                    .col(date("period_end"))
                    .col(small_integer_null("needs_met"))
                    .col(small_integer_null("uptake"))
                    .col(small_integer_null("accessibility"))
                    .col(small_integer_null("quality"))
                    .col(text_null("findings"))
                    .col(text("recommendations"))
                    .col(text("evidence"))
                    .col(string("status"))
                    .col(uuid_null("meeting_id"))
                    .col(timestamp_with_time_zone_null("agreed_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .foreign_key(&mut reference("evaluations", "panel_id", "panels", true))
                    .foreign_key(&mut reference("evaluations", "course_id", "courses", false))
                    .foreign_key(&mut reference(
                        "evaluations",
                        "meeting_id",
                        "panel_meetings",
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "evaluations", &["panel_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("needs_assessments")
                    .col(pk_uuid("id"))
                    .col(string("title"))
                    .col(string("audience"))
                    .col(date("opens_on"))
                    .col(date("closes_on"))
                    .col(text("subjects"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(integer("version"))
                    .to_owned(),
            )
            .await?;
        // One response per learner per round: the primary key says so, on both databases.
        manager
            .create_table(
                Table::create()
                    .table("needs_responses")
                    .col(uuid("assessment_id"))
                    .col(uuid("learner_id"))
                    .col(text("choices"))
                    .col(text_null("comments"))
                    .col(text("times_of_day"))
                    .col(text("formats"))
                    .col(text_null("other_needs"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("assessment_id").col("learner_id"))
                    .foreign_key(&mut reference(
                        "needs_responses",
                        "assessment_id",
                        "needs_assessments",
                        true,
                    ))
                    .foreign_key(&mut reference(
                        "needs_responses",
                        "learner_id",
                        "learners",
                        false,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "needs_responses",
            "needs_assessments",
            "evaluations",
            "panel_meetings",
            "panel_members",
            "panels",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
