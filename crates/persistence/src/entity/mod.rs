//! The tables, one file each: columns as the migrations create them. The repositories in
//! the modules above turn their rows into domain types.

pub(crate) mod api_clients;
pub(crate) mod audit_events;
pub(crate) mod bookings;
pub(crate) mod budget_allocations;
pub(crate) mod callback_deliveries;
pub(crate) mod cohort_members;
pub(crate) mod cohorts;
pub(crate) mod completions;
pub(crate) mod courses;
pub(crate) mod evaluations;
pub(crate) mod feedback;
pub(crate) mod idempotency_keys;
pub(crate) mod learner_memberships;
pub(crate) mod learners;
pub(crate) mod membership_history;
pub(crate) mod mentoring_partnerships;
pub(crate) mod module_progress;
pub(crate) mod needs_assessments;
pub(crate) mod needs_responses;
pub(crate) mod panel_meetings;
pub(crate) mod panel_members;
pub(crate) mod panels;
pub(crate) mod programme_modules;
pub(crate) mod programmes;
pub(crate) mod provisioning_tokens;
pub(crate) mod request_supporters;
pub(crate) mod request_transitions;
pub(crate) mod requirements;
pub(crate) mod sessions;
pub(crate) mod sync_run_refs;
pub(crate) mod sync_runs;
pub(crate) mod training_requests;
pub(crate) mod xapi_activities;
pub(crate) mod xapi_agent_names;
pub(crate) mod xapi_attachments;
pub(crate) mod xapi_documents;
pub(crate) mod xapi_statement_mentions;
pub(crate) mod xapi_statements;

/// What every table here has in common: no sea-orm relations (the repositories say which rows
/// they join, where they join them) and nothing done on save beyond what the repository sets.
macro_rules! unrelated {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}
use unrelated;
