use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The `type` and `primary` an identity provider gave the learner's email address,
        // shown back as given so that a provider matching on `emails[type eq "work"]` finds
        // the address it sent and has nothing to send again. Null where no provider said: a
        // council address, "work" and primary. One column per statement, for SQLite.
        for column in [
            string_null("scim_email_type"),
            boolean_null("scim_email_primary"),
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["scim_email_primary", "scim_email_type"] {
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
