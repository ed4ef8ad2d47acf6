//! Lists kept as JSON text in one column: read and written whole with their row, never
//! queried inside, so the same text works on SQLite and PostgreSQL.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;

pub(crate) fn write(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt("json", e.to_string()))
}

pub(crate) fn read<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(what, e.to_string()))
}
