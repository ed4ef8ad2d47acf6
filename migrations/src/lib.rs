//! Pathway's schema, one migration per change, written once for SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_learners_courses_audit;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261122_000001_learners_courses_audit::Migration)]
    }
}
