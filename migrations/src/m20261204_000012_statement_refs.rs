use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The statement a statement's StatementRef object names, voiding or not: a query
        // that matches a statement also returns those that refer to it (xAPI 1.0.3
        // communication s2.1.3, "Filter Conditions for StatementRefs").
        manager
            .alter_table(
                Table::alter()
                    .table("xapi_statements")
                    .add_column(uuid_null("object_statement_id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "xapi_statements", &["object_statement_id"]).await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE xapi_statements SET object_statement_id = voids WHERE voids IS NOT NULL",
            )
            .await?;
        // Other statements about statements: read from their bodies, which both databases
        // keep as JSON text.
        let backend = manager.get_database_backend();
        let rows = manager
            .get_connection()
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, body FROM xapi_statements \
                 WHERE voids IS NULL AND body LIKE '%StatementRef%'",
            ))
            .await?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let body: String = row.try_get("", "body")?;
            let Some(target) = referred_to(&body) else {
                continue;
            };
            manager
                .exec_stmt(
                    Query::update()
                        .table("xapi_statements")
                        .value("object_statement_id", target)
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("xapi_statements_object_statement_id_idx")
                    .table("xapi_statements")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("xapi_statements")
                    .drop_column("object_statement_id")
                    .to_owned(),
            )
            .await
    }
}

/// The id a stored statement's StatementRef object names.
fn referred_to(body: &str) -> Option<Uuid> {
    let body: serde_json::Value = serde_json::from_str(body).ok()?;
    let object = body.get("object")?;
    (object.get("objectType")?.as_str()? == "StatementRef")
        .then(|| object.get("id")?.as_str()?.parse().ok())
        .flatten()
}
