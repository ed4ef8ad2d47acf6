//! The council's rules for learning and development, as plain types and pure functions.
//!
//! Nothing here performs I/O: persistence and HTTP build on these types, so every rule can be
//! tested on its own, boundary days included.

pub mod api_client;
pub mod audit;
pub mod budget;
pub mod calendar;
pub mod cohort;
pub mod completion;
pub mod compliance;
pub mod course;
pub mod delivery;
pub mod error;
pub mod evaluation;
pub mod feedback;
pub mod governance;
pub mod hr_sync;
pub mod learner;
pub mod mentoring;
pub mod needs_assessment;
pub mod panel;
pub mod provisioning_token;
pub mod session;
pub mod signed_callback;
pub mod text;
pub mod training_matrix;
pub mod training_request;
pub mod xapi;
pub mod xapi_attachment;
pub mod xapi_document;
pub mod xapi_format;
pub mod xapi_mentions;

pub use error::{DomainError, FieldError};
