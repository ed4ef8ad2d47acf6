use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::StoreError;

/// One page of a list in id order (ids are UUID v7, so this is creation order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The last id of this page when more follow: the next page starts after it.
    pub next_after: Option<Uuid>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says more follow.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: u64, id: impl Fn(&T) -> Uuid) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_after = if more { rows.last().map(id) } else { None };
        Self {
            items: rows,
            next_after,
        }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_after: self.next_after,
        })
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_after: self.next_after,
        }
    }
}

/// Where a list starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<Uuid>,
    pub limit: u64,
}

impl PageRequest {
    /// Runs `query` for this page: rows in id order after the cursor, one more than asked for
    /// to learn whether another page follows.
    pub(crate) async fn fetch<E, C>(
        self,
        db: &impl ConnectionTrait,
        query: Select<E>,
        id: C,
        id_of: impl Fn(&E::Model) -> Uuid,
    ) -> Result<Page<E::Model>, StoreError>
    where
        E: EntityTrait,
        C: ColumnTrait,
    {
        let mut query = query.order_by_asc(id).limit(self.limit + 1);
        if let Some(after) = self.after {
            query = query.filter(id.gt(after));
        }
        Ok(Page::from_rows(query.all(db).await?, self.limit, id_of))
    }
}
