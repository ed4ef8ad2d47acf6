//! End-to-end tests: the real app over HTTP, on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod audit;
mod backups;
mod cohorts;
mod completions;
mod compliance;
mod contract;
mod control_characters;
mod courses;
mod demo;
mod feedback;
mod governance;
mod helpers;
mod identity_provider;
mod intake;
mod integrations;
mod learners;
mod mentoring;
mod platform;
mod provisioning_tokens;
mod routes;
mod scim;
mod sessions;
mod spreadsheets;
mod store;
mod tokens;
mod training_requests;
mod xapi;
mod xapi_attachments;
mod xapi_queries;
