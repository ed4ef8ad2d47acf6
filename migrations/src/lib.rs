//! Pathway's schema, one migration per change, written once for SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_learners_courses_audit;
mod m20261122_000002_sessions_bookings_completions;
mod m20261122_000003_programmes_cohorts;
mod m20261122_000004_feedback_mentoring;
mod m20261122_000005_training_requests_budgets;
mod m20261122_000006_requirements_seat_history;
mod m20261123_000007_governance;
mod m20261123_000008_integrations;
mod m20261123_000009_scim_xapi;
mod m20261203_000010_provisioning_tokens;
mod m20261204_000011_scim_email;
mod m20261204_000012_statement_refs;
mod m20261204_000013_xapi_documents;
mod m20261206_000014_lrs_resources;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_learners_courses_audit::Migration),
            Box::new(m20261122_000002_sessions_bookings_completions::Migration),
            Box::new(m20261122_000003_programmes_cohorts::Migration),
            Box::new(m20261122_000004_feedback_mentoring::Migration),
            Box::new(m20261122_000005_training_requests_budgets::Migration),
            Box::new(m20261122_000006_requirements_seat_history::Migration),
            Box::new(m20261123_000007_governance::Migration),
            Box::new(m20261123_000008_integrations::Migration),
            Box::new(m20261123_000009_scim_xapi::Migration),
            Box::new(m20261203_000010_provisioning_tokens::Migration),
            Box::new(m20261204_000011_scim_email::Migration),
            Box::new(m20261204_000012_statement_refs::Migration),
            Box::new(m20261204_000013_xapi_documents::Migration),
            Box::new(m20261206_000014_lrs_resources::Migration),
        ]
    }
}

/// A plain index named `<table>_<columns>_idx`.
pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    let mut index = Index::create()
        .name(format!("{table}_{}_idx", columns.join("_")))
        .table(table.to_owned())
        .to_owned();
    for column in columns {
        index.col((*column).to_owned());
    }
    manager.create_index(index).await
}

/// A foreign key named `<table>_<column>_fk`; `cascade` removes the child with its parent.
pub(crate) fn reference(
    table: &str,
    column: &str,
    parent: &str,
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut key = ForeignKey::create()
        .name(format!("{table}_{column}_fk"))
        .from(table.to_owned(), column.to_owned())
        .to(parent.to_owned(), "id")
        .to_owned();
    if cascade {
        key.on_delete(ForeignKeyAction::Cascade);
    }
    key
}
