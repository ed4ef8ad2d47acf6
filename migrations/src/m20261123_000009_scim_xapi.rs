use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What an identity provider calls a learner over SCIM. A learner it never named is
        // known to it by their email address. `scim_user_key` is the userName in lower case,
        // for finding it in any case with an index. `scim_removed_at` is when it deleted
        // them: the learner has left and stays in Pathway's records, but SCIM no longer
        // shows them. One column per statement: SQLite alters a table one column at a time.
        for column in [
            string_null("scim_user_name"),
            string_null("scim_user_key"),
            string_null("scim_external_id"),
            timestamp_with_time_zone_null("scim_removed_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("learners")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        index(manager, "learners", &["scim_user_key"]).await?;
        index(manager, "learners", &["scim_external_id"]).await?;
        // The xAPI activity an e-learning platform reports a course's completion against.
        manager
            .alter_table(
                Table::alter()
                    .table("courses")
                    .add_column(string_null("xapi_activity_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("courses_xapi_activity_id_key")
                    .table("courses")
                    .col("xapi_activity_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The Learning Record Store: every statement as received (the body is the statement
        // with `authority` and `version` set; `stored` is a column of its own), with what
        // queries filter on taken out. `seq` numbers statements in the order their batches
        // committed, and with `stored` is set at the commit. `outcome` says what it did:
        // `completion` (recorded one), `unmatched` (a completion for a learner or course
        // Pathway does not know yet), `kept` (nothing to do). `actor_email` and `actor_ref`
        // are the learner it names, as Pathway would know them.
        manager
            .create_table(
                Table::create()
                    .table("xapi_statements")
                    .col(pk_uuid("id"))
                    .col(big_integer_null("seq"))
                    .col(text("body"))
                    .col(string("verb_id"))
                    .col(string_null("activity_id"))
                    .col(string("agent_key"))
                    .col(string_null("actor_email"))
                    .col(string_null("actor_ref"))
                    .col(uuid_null("voids"))
                    .col(boolean("voided"))
                    .col(string("outcome"))
                    .col(uuid_null("completion_id"))
                    .col(timestamp_with_time_zone("stored"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("xapi_statements_seq_key")
                    .table("xapi_statements")
                    .col("seq")
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(manager, "xapi_statements", &["agent_key"]).await?;
        index(manager, "xapi_statements", &["verb_id"]).await?;
        index(manager, "xapi_statements", &["activity_id"]).await?;
        index(manager, "xapi_statements", &["outcome"]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("xapi_statements").to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("courses_xapi_activity_id_key")
                    .table("courses")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("courses")
                    .drop_column("xapi_activity_id")
                    .to_owned(),
            )
            .await?;
        for index in [
            "learners_scim_user_key_idx",
            "learners_scim_external_id_idx",
        ] {
            manager
                .drop_index(Index::drop().name(index).table("learners").to_owned())
                .await?;
        }
        for column in [
            "scim_user_name",
            "scim_user_key",
            "scim_external_id",
            "scim_removed_at",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("learners")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
