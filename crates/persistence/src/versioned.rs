//! Optimistic concurrency, written once. A versioned row is read for update and refused when
//! the client's copy (the version in its `If-Match`) is no longer the stored one, and a change
//! is saved as the row's next version.

use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, Iterable, ModelTrait, PrimaryKeyToColumn, QuerySelect, Select,
};

use crate::StoreError;
use crate::db::now;
use crate::entity;

/// A table whose rows carry a version, raised by every change, and the time of that change.
pub(crate) trait Versioned: EntityTrait {
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;
    /// How a writer holds the row: `FOR UPDATE` unless rows that refer to it must stay free.
    const LOCK: LockType;

    fn version(row: &Self::Model) -> i32;
}

macro_rules! versioned {
    ($($table:ident),+ $(,)?) => {
        versioned!(Update: $($table),+);
    };
    ($lock:ident: $($table:ident),+ $(,)?) => {$(
        impl Versioned for entity::$table::Entity {
            const VERSION: Self::Column = entity::$table::Column::Version;
            const UPDATED_AT: Self::Column = entity::$table::Column::UpdatedAt;
            const LOCK: LockType = LockType::$lock;

            fn version(row: &Self::Model) -> i32 {
                row.version
            }
        }
    )+};
}

versioned!(
    courses,
    evaluations,
    needs_assessments,
    panel_meetings,
    panel_members,
    panels,
    sessions,
);

// `FOR NO KEY UPDATE`, not `FOR UPDATE`, for the rows compliance items refer to: writers of
// the same learner or requirement still queue, but a compliance refresh holding its advisory
// lock can still insert items that refer to the row (its foreign-key check takes `FOR KEY
// SHARE`). Holding them `FOR UPDATE` deadlocked a deprovisioning, and a changed requirement,
// against a refresh: the writer waited for the refresh's turn, the refresh for the row.
versioned!(NoKeyUpdate: learners, requirements);

/// Reads the row `query` finds for update, holding it until the transaction ends (PostgreSQL),
/// and refuses when `expected` is not its stored version. `what` names it in the errors.
pub(crate) async fn lock<E: Versioned>(
    tx: &DatabaseTransaction,
    query: Select<E>,
    expected: Option<i32>,
    what: &'static str,
) -> Result<E::Model, StoreError> {
    let row = query
        .lock(E::LOCK)
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(what))?;
    if expected.is_some_and(|v| v != E::version(&row)) {
        return Err(StoreError::Stale(what));
    }
    Ok(row)
}

/// Saves `changes` to the row `current` was read as, as its next version.
pub(crate) async fn bump<A>(
    tx: &DatabaseTransaction,
    current: &<A::Entity as EntityTrait>::Model,
    mut changes: A,
) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    A::Entity: Versioned,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    for key in <A::Entity as EntityTrait>::PrimaryKey::iter() {
        let column = key.into_column();
        changes.set(column, current.get(column));
    }
    changes.set(
        A::Entity::VERSION,
        (<A::Entity as Versioned>::version(current) + 1).into(),
    );
    changes.set(A::Entity::UPDATED_AT, now().into());
    changes.update(tx).await
}
