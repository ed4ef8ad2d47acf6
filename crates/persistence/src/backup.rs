//! Backups of the embedded SQLite database. `VACUUM INTO` writes a consistent copy from one
//! read transaction, so the server keeps serving (WAL readers never block the writer) and the
//! copy holds every write committed before it began. PostgreSQL has `pg_dump` and point-in-time
//! recovery for this; Pathway does not reinvent them.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the database is PostgreSQL: back it up with pg_dump or point-in-time recovery (see the README)"
    )]
    NotSqlite,
    #[error("{0} exists already; a backup never overwrites a file")]
    Exists(PathBuf),
    #[error("{0} is not a Pathway backup: {1}")]
    NotABackup(PathBuf, String),
    #[error("cannot replace the database file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Connects to the SQLite database at `database_url` and backs it up to `path`.
pub async fn backup_of(database_url: &str, path: &Path) -> Result<(), BackupError> {
    sqlite_file(database_url).ok_or(BackupError::NotSqlite)?;
    backup(&crate::connect(database_url).await?, path).await
}

/// Writes a consistent copy of the SQLite database `db` serves to `path`, while it serves.
pub async fn backup(db: &DatabaseConnection, path: &Path) -> Result<(), BackupError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if path.exists() {
        return Err(BackupError::Exists(path.to_owned()));
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.to_string_lossy().into_owned().into()],
    ))
    .await?;
    Ok(())
}

/// Replaces the SQLite database at `database_url` with the backup at `path`, once the backup
/// proves whole (SQLite's integrity check) and Pathway's (it records its migrations). The
/// server must be stopped: a running one keeps the old file open.
pub async fn restore(path: &Path, database_url: &str) -> Result<(), BackupError> {
    let target = sqlite_file(database_url).ok_or(BackupError::NotSqlite)?;
    let not_a_backup = |why: String| BackupError::NotABackup(path.to_owned(), why);
    if !path.is_file() {
        return Err(not_a_backup("there is no such file".into()));
    }
    let source = Database::connect(format!("sqlite://{}?mode=ro", path.display())).await?;
    let checked = source
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await?
        .map(|row| row.try_get_by_index::<String>(0))
        .transpose()?;
    if checked.as_deref() != Some("ok") {
        return Err(not_a_backup(format!(
            "its integrity check says {checked:?}"
        )));
    }
    let migrations = source
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) FROM sqlite_master WHERE name = 'seaql_migrations'",
        ))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?;
    if migrations != Some(1) {
        return Err(not_a_backup("it has no Pathway migrations".into()));
    }
    // Copied beside the database first, then renamed over it: the database is the old one or
    // the backup, never half of each.
    let staged = target.with_extension("restoring");
    if staged.exists() {
        std::fs::remove_file(&staged)?;
    }
    source
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [staged.to_string_lossy().into_owned().into()],
        ))
        .await?;
    source.close().await?;
    for stale in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(stale);
        match std::fs::remove_file(&side) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error.into()),
            _ => {}
        }
    }
    std::fs::rename(&staged, &target)?;
    Ok(())
}

/// The file a `sqlite://path?options` URL names.
fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split('?').next()?;
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_read_from_a_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite://pathway.db?mode=rwc"),
            Some(PathBuf::from("pathway.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/pathway/pathway.db"),
            Some(PathBuf::from("/var/lib/pathway/pathway.db"))
        );
        assert_eq!(sqlite_file("postgres://pathway@db/pathway"), None);
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
