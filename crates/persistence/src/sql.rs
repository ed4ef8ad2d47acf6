//! Raw SQL for the few queries sea-query does not express well: set-based reports and bulk
//! inserts.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::StoreError;

/// Ids per `IN (...)` list: one statement for a whole sync call's learners, inside both
/// databases' limits on bound values.
pub(crate) const IN_LIST: usize = 10_000;

/// Values per INSERT: inside PostgreSQL's limit of 65,535 and SQLite's of 32,766.
fn values_per_insert(backend: DbBackend) -> usize {
    match backend {
        // As few statements as the limit allows: sqlx 0.9.0 leaves Nagle's algorithm on, so
        // every statement that spans several TCP segments waits ~40 ms for a delayed ACK
        // (sqlx issue 4335), and a round trip costs more than the values in it anyway.
        DbBackend::Postgres => 60_000,
        _ => 30_000,
    }
}

/// Raw SQL with numbered placeholders (`$1`), which SQLite reads as PostgreSQL does, so a
/// value bound once may be used in several places.
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder, to be written where it was bound.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Binds a value used once, in the order bound, and returns its placeholder. SQLite gets
    /// `?`: sqlx looks each `$N` up by name, which is quadratic in the number of values, and a
    /// bulk insert binds thousands. Never mix with [`Sql::bind`] in one statement.
    pub(crate) fn bind_in_order(&mut self, value: impl Into<Value>) -> String {
        if self.backend == DbBackend::Sqlite {
            self.values.push(value.into());
            "?".to_owned()
        } else {
            self.bind(value)
        }
    }

    pub(crate) fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    pub(crate) fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Inserts rows in batches of multi-row INSERTs.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
) -> Result<(), StoreError> {
    let mut rows = rows.peekable();
    let batch = (values_per_insert(db.get_database_backend()) / columns.len().max(1)).max(1);
    while rows.peek().is_some() {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&format!(
            "INSERT INTO {table} ({}) VALUES ",
            columns.join(", ")
        ));
        for (n, row) in rows.by_ref().take(batch).enumerate() {
            let placeholders: Vec<String> = row.into_iter().map(|v| sql.bind_in_order(v)).collect();
            let separator = if n == 0 { "" } else { ", " };
            sql.push(&format!("{separator}({})", placeholders.join(", ")));
        }
        db.execute_raw(sql.statement()).await?;
    }
    Ok(())
}
