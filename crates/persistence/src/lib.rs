//! Pathway's storage: rows in, domain types out, and every mutation in one transaction with
//! its audit event.

pub mod api_client;
pub mod audit;
pub mod backup;
pub mod budget;
pub mod callback;
pub mod change;
pub mod cohort;
pub mod completion;
pub mod compliance;
pub mod course;
pub mod db;
pub mod effects;
pub(crate) mod entity;
pub mod error;
pub mod evaluation;
pub mod feedback;
pub mod hr_sync;
pub mod idempotency;
mod json;
pub mod learner;
pub mod mentoring;
pub mod needs_assessment;
pub mod page;
pub mod panel;
pub mod programme;
pub mod provisioning_token;
pub mod requirement;
pub mod scim;
pub mod secret;
pub mod session;
mod sql;
pub mod synthetic;
pub mod training_request;
mod versioned;
pub mod xapi;
pub mod xapi_attachment;
pub mod xapi_document;
pub mod xapi_mentions;

pub use db::{connect, migrate};
pub use error::StoreError;
pub use page::Page;
pub use sea_orm::{DatabaseConnection, DbErr};
