use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The documents e-learning content keeps in the LRS: its State (a learner's bookmark
        // and progress in an activity, per registration), in the database so that every
        // server process serves the same. A key column left out is '' rather than null, so
        // the one unique index covers every kind of document.
        manager
            .create_table(
                Table::create()
                    .table("xapi_documents")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(string("activity_id"))
                    .col(string("agent_key"))
                    .col(string("registration"))
                    .col(string("document_id"))
                    .col(string("content_type"))
                    .col(blob("content"))
                    .col(string("etag"))
                    .col(timestamp_with_time_zone("updated"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("xapi_documents_key")
                    .table("xapi_documents")
                    .col("kind")
                    .col("activity_id")
                    .col("agent_key")
                    .col("registration")
                    .col("document_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("xapi_documents").to_owned())
            .await
    }
}
