use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use pathway_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::StoreError;

/// Connects to SQLite or PostgreSQL by URL.
///
/// SQLite runs in WAL mode with a busy timeout, so readers never block the writer and
/// concurrent writers queue (see [`begin_write`]) instead of failing with "database is locked".
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database answers, for the readiness probe.
pub async fn ping(db: &DatabaseConnection) -> Result<(), StoreError> {
    db.ping().await.map_err(StoreError::from)
}

/// Opens a transaction for a write. On SQLite it starts as `BEGIN IMMEDIATE`, taking the
/// write lock at once: a deferred transaction that reads and then writes could find its
/// snapshot stale and fail. On PostgreSQL the option is ignored; writes lock the rows that
/// guard their invariants with `SELECT ... FOR UPDATE`.
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> Result<DatabaseTransaction, StoreError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Waits, on PostgreSQL, until no other transaction is writing `compliance_items`, and keeps
/// them waiting until this one ends. Every refresh takes it first; so must any write that
/// locks a row those items refer to before its refresh (deleting a requirement, whose items
/// go with it), or a refresh inserting an item for that row and the write deleting the
/// items would wait for each other. On SQLite, writes are already one at a time.
pub(crate) async fn compliance_turn(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("SELECT pg_advisory_xact_lock(7402)")
            .await?;
    }
    Ok(())
}

/// The current time at the precision both databases keep (microseconds), so what a write
/// returns is what a later read returns.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Runs one statement outside any transaction: for operational set-up such as creating a
/// test database, which PostgreSQL refuses inside a transaction.
pub async fn execute(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}
