use pathway_domain::DomainError;
use sea_orm::{DbErr, SqlErr};

/// Why storage could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Another record already holds a value that must be unique.
    #[error("another {resource} already has this {field}")]
    Duplicate {
        resource: &'static str,
        field: &'static str,
    },
    /// The client's copy is older than the stored one (a stale `If-Match`).
    #[error("the {0} has changed since it was read")]
    Stale(&'static str),
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),
    #[error("storage failed")]
    Internal(#[source] DbErr),
    /// A stored value the domain no longer accepts: a bug or a hand-edited row.
    #[error("stored {0} is not valid: {1}")]
    Corrupt(&'static str, String),
}

impl From<DbErr> for StoreError {
    fn from(error: DbErr) -> Self {
        if unavailable(&error) {
            Self::Unavailable(error)
        } else {
            Self::Internal(error)
        }
    }
}

/// Whether the database failed as a service rather than refused a statement: it cannot be
/// reached, it dropped the connection or is shutting down (PostgreSQL's SQLSTATE classes 08 and
/// 57P), it is out of resources (class 53; SQLite's FULL and IOERR), or a writer held its lock
/// past the busy timeout (SQLite's BUSY; sqlx reports SQLite's extended codes, whose low byte is
/// the primary one). Each passes when the database comes back, so the client is told to try
/// again (503); the transaction it cut short was rolled back whole.
fn unavailable(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    use sea_orm::sqlx::sqlite::SqliteError;
    let (DbErr::Conn(cause) | DbErr::Exec(cause) | DbErr::Query(cause)) = error else {
        return matches!(error, DbErr::ConnectionAcquire(_));
    };
    let RuntimeErr::SqlxError(cause) = cause else {
        return false;
    };
    match cause.as_ref() {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(database) => {
            let code = database.code().unwrap_or_default();
            if database.try_downcast_ref::<SqliteError>().is_some() {
                code.parse::<u32>()
                    .is_ok_and(|code| matches!(code & 0xff, 5 | 10 | 13 | 14))
            } else {
                ["08", "53", "57P"]
                    .iter()
                    .any(|class| code.starts_with(class))
            }
        }
        _ => false,
    }
}

impl StoreError {
    /// Names the unique field a write collided on, when it did; the index names carry the
    /// column names (see the migrations), whichever database reports them.
    pub(crate) fn duplicate(
        resource: &'static str,
        fields: &[&'static str],
    ) -> impl Fn(DbErr) -> Self {
        move |error| match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                let field = fields
                    .iter()
                    .find(|f| message.contains(*f))
                    .copied()
                    .unwrap_or("identifier");
                Self::Duplicate { resource, field }
            }
            _ => Self::from(error),
        }
    }

    /// A learner or course named in a body that does not exist is a bad value (422), not a
    /// missing resource (404): the path the client called does exist.
    pub(crate) fn missing_as_invalid(field: &'static str) -> impl Fn(Self) -> Self {
        move |error| match error {
            Self::NotFound(what) => {
                DomainError::invalid(field, format!("no {what} has this id")).into()
            }
            other => other,
        }
    }

    pub(crate) fn corrupt(what: &'static str) -> impl Fn(DomainError) -> Self {
        move |error| Self::Corrupt(what, error.to_string())
    }
}
