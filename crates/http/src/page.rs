//! Cursor pagination: `?limit=&cursor=` in, `{"items", "next_cursor"}` out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pathway_persistence::Page;
use pathway_persistence::page::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;
/// A cursor as this API issues it: an id in unpadded URL-safe base64. Its last character
/// carries four bits that are always zero, so only these 22-character strings decode.
pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_-]{21}[AQgw]$";

/// One page of a list. Pass `next_cursor` back as `?cursor=` for the next page; it is null on
/// the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView<T> {
    pub items: Vec<T>,
    #[schema(example = "AZpX0d9kd0qV1m3oXk2vJg")]
    pub next_cursor: Option<String>,
}

impl<T> PageView<T> {
    pub fn from_page<D>(page: Page<D>, view: impl FnMut(D) -> T) -> Self {
        let next_cursor = page
            .next_after
            .map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes()));
        Self {
            items: page.items.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

/// `?limit=&cursor=`: which page of a list, taken beside the list's own filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        request(self.limit, self.cursor.as_deref())
    }
}

/// Reads `limit` and `cursor` as the list endpoints document them.
fn request(limit: Option<u64>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = cursor
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|bytes| Uuid::from_slice(&bytes).ok())
                .ok_or_else(|| ApiError::Malformed("the cursor is not one this API issued".into()))
        })
        .transpose()?;
    Ok(PageRequest { after, limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_to_the_id_it_came_from() {
        let id = Uuid::now_v7();
        let view = PageView::from_page(
            Page {
                items: vec![1],
                next_after: Some(id),
            },
            |i| i,
        );
        let cursor = view.next_cursor.expect("a next cursor");
        assert_eq!(
            request(None, Some(&cursor)).expect("a valid cursor").after,
            Some(id)
        );
    }

    #[test]
    fn limits_default_to_fifty_and_stay_within_one_to_five_hundred() {
        assert_eq!(request(None, None).expect("defaults").limit, 50);
        assert!(request(Some(0), None).is_err());
        assert!(request(Some(501), None).is_err());
        assert_eq!(request(Some(500), None).expect("the maximum").limit, 500);
    }

    #[test]
    fn a_made_up_cursor_is_refused() {
        assert!(matches!(
            request(None, Some("not-a-cursor")),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            request(None, Some("AAAAAAAAAAAAAAAAAAAAAB")),
            Err(ApiError::Malformed(_))
        ));
    }

    #[test]
    fn every_cursor_the_contract_allows_is_read() {
        for cursor in [
            "AAAAAAAAAAAAAAAAAAAAAA",
            "_-_-_-_-_-_-_-_-_-_-_w",
            "ZZZZZZZZZZZZZZZZZZZZZQ",
            "0123456789abcdefghijkg",
        ] {
            assert!(request(None, Some(cursor)).is_ok(), "{cursor}");
        }
    }
}
