use std::collections::BTreeMap;

use pathway_domain::xapi_format::merge_definition;
use pathway_domain::xapi_mentions::{ACTIVITY, AGENT, Mentions};
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};
use serde_json::{Map, Value};

use crate::{index, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every agent (by key) and activity (by id) a statement names, `direct` when the
        // plain `agent`/`activity` filter finds it by them and not only the `related_*` ones.
        manager
            .create_table(
                Table::create()
                    .table("xapi_statement_mentions")
                    .col(uuid("statement_id"))
                    .col(string("kind"))
                    .col(string("key"))
                    .col(boolean("direct"))
                    .primary_key(Index::create().col("statement_id").col("kind").col("key"))
                    .foreign_key(&mut reference(
                        "xapi_statement_mentions",
                        "statement_id",
                        "xapi_statements",
                        true,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "xapi_statement_mentions", &["kind", "key"]).await?;
        // The actor's key alone, which the mentions replace.
        manager
            .drop_index(
                Index::drop()
                    .name("xapi_statements_agent_key_idx")
                    .table("xapi_statements")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("xapi_statements")
                    .drop_column("agent_key")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("xapi_statements")
                    .add_column(uuid_null("registration"))
                    .to_owned(),
            )
            .await?;
        index(manager, "xapi_statements", &["registration"]).await?;
        // The Activities resource's canonical definitions, merged from every statement that
        // defined the activity, and the Agents resource's names, the last a statement gave.
        manager
            .create_table(
                Table::create()
                    .table("xapi_activities")
                    .col(string("id").primary_key())
                    .col(text("definition"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("xapi_agent_names")
                    .col(string("agent_key").primary_key())
                    .col(string("name"))
                    .to_owned(),
            )
            .await?;
        // Attachments' content, once per digest however many statements carry it.
        manager
            .create_table(
                Table::create()
                    .table("xapi_attachments")
                    .col(string("sha2").primary_key())
                    .col(string("content_type"))
                    .col(blob("content"))
                    .to_owned(),
            )
            .await?;
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "xapi_attachments",
            "xapi_agent_names",
            "xapi_activities",
            "xapi_statement_mentions",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        // The actor keys come back empty: undone, an agent query finds nothing.
        manager
            .alter_table(
                Table::alter()
                    .table("xapi_statements")
                    .add_column(string("agent_key").default(""))
                    .to_owned(),
            )
            .await?;
        index(manager, "xapi_statements", &["agent_key"]).await?;
        manager
            .drop_index(
                Index::drop()
                    .name("xapi_statements_registration_idx")
                    .table("xapi_statements")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("xapi_statements")
                    .drop_column("registration")
                    .to_owned(),
            )
            .await
    }
}

/// Files the statements already stored as new ones are filed, oldest first so later
/// definitions and names win.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let rows = manager
        .get_connection()
        .query_all_raw(Statement::from_string(
            manager.get_database_backend(),
            "SELECT id, body FROM xapi_statements ORDER BY seq",
        ))
        .await?;
    let mut definitions: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut names = BTreeMap::new();
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let body: String = row.try_get("", "body")?;
        let Ok(Value::Object(body)) = serde_json::from_str(&body) else {
            continue;
        };
        let mentions = Mentions::of(&body);
        let filed = [(AGENT, &mentions.agents), (ACTIVITY, &mentions.activities)];
        for (kind, list) in filed {
            for mention in list {
                let row = [
                    id.into(),
                    kind.into(),
                    mention.key.clone().into(),
                    mention.direct.into(),
                ];
                insert(
                    manager,
                    "xapi_statement_mentions",
                    &["statement_id", "kind", "key", "direct"],
                    row,
                )
                .await?;
            }
        }
        if let Some(registration) = mentions.registration {
            manager
                .exec_stmt(
                    Query::update()
                        .table("xapi_statements")
                        .value("registration", registration)
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await?;
        }
        for (activity, definition) in mentions.definitions {
            merge_definition(definitions.entry(activity).or_default(), &definition);
        }
        names.extend(mentions.names);
    }
    for (id, definition) in definitions {
        let definition = Value::Object(definition).to_string();
        insert(
            manager,
            "xapi_activities",
            &["id", "definition"],
            [id.into(), definition.into()],
        )
        .await?;
    }
    for (key, name) in names {
        insert(
            manager,
            "xapi_agent_names",
            &["agent_key", "name"],
            [key.into(), name.into()],
        )
        .await?;
    }
    Ok(())
}

async fn insert<const N: usize>(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str; N],
    row: [SimpleExpr; N],
) -> Result<(), DbErr> {
    manager
        .exec_stmt(
            Query::insert()
                .into_table(table.to_owned())
                .columns(columns.iter().map(|c| (*c).to_owned()))
                .values_panic(row)
                .to_owned(),
        )
        .await
}
