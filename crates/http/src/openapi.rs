//! The contract: generated from the handlers' annotations, committed as openapi/openapi.json.

use pathway_domain::api_client::Scope;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::{
    api_client, audit, budget, callback, cohort, completion, compliance, course, error, evaluation,
    feedback, health, hr_sync, learner, mentoring, needs_assessment, oauth, panel, programme,
    report, requirement, responses, scim, session, training_matrix, training_request, xapi,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pathway",
        description = "The learning and development record system of a UK council: who must learn what, \
            the course catalogue and its training matrix, and who changed what.\n\n\
            Errors are RFC 9457 `application/problem+json`. Lists take `limit` (1-500, default 50) and an \
            opaque `cursor`, and return `{\"items\", \"next_cursor\"}`. Single resources carry an `ETag`; \
            `PATCH` takes a JSON merge patch and requires `If-Match` (428 without it, 412 when stale).\n\n\
            Authenticate with `Authorization: Bearer <JWT>`; roles are `admin`, `manager`, `learner` and \
            `panel_member`, and a person's `sub` is their learner id.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        learner::create_learner,
        learner::list_learners,
        learner::get_learner,
        learner::patch_learner,
        learner::leave_learner,
        compliance::get_learner_compliance,
        requirement::create_requirement,
        requirement::list_requirements,
        requirement::get_requirement,
        requirement::patch_requirement,
        requirement::delete_requirement,
        course::create_course,
        course::list_courses,
        course::get_course,
        course::patch_course,
        course::publish_course,
        course::retire_course,
        training_matrix::get_training_matrix,
        session::create_session,
        session::list_sessions,
        session::get_session,
        session::patch_session,
        session::cancel_session,
        session::create_booking,
        session::list_bookings,
        session::cancel_booking,
        session::record_attendance,
        programme::create_programme,
        programme::list_programmes,
        programme::get_programme,
        cohort::create_cohort,
        cohort::list_cohorts,
        cohort::get_cohort,
        cohort::add_member,
        cohort::list_members,
        cohort::remove_member,
        cohort::record_progress,
        cohort::get_progress,
        feedback::give_feedback,
        feedback::list_feedback,
        feedback::summarise_feedback,
        mentoring::create_partnership,
        mentoring::list_partnerships,
        mentoring::end_partnership,
        panel::create_panel,
        panel::list_panels,
        panel::get_panel,
        panel::patch_panel,
        panel::add_member,
        panel::list_members,
        panel::patch_member,
        panel::create_meeting,
        panel::list_meetings,
        panel::get_meeting,
        panel::patch_meeting,
        panel::get_panel_compliance,
        evaluation::create_evaluation,
        evaluation::list_evaluations,
        evaluation::get_evaluation,
        evaluation::patch_evaluation,
        evaluation::agree_evaluation,
        evaluation::get_recommendation,
        needs_assessment::create_assessment,
        needs_assessment::list_assessments,
        needs_assessment::get_assessment,
        needs_assessment::patch_assessment,
        needs_assessment::respond,
        needs_assessment::list_responses,
        needs_assessment::get_response,
        needs_assessment::summarise,
        report::delivery_report,
        compliance::compliance_report,
        compliance::list_learners_in_breach,
        training_request::create_request,
        training_request::list_requests,
        training_request::get_request,
        training_request::submit_request,
        training_request::approve_request,
        training_request::reject_request,
        training_request::withdraw_request,
        training_request::book_request,
        training_request::complete_request,
        training_request::cancel_request,
        training_request::support_request,
        budget::create_budget,
        budget::list_budgets,
        budget::replace_budget,
        budget::budget_summary,
        completion::record_completion,
        completion::list_completions,
        completion::get_completion,
        audit::list_audit_events,
        api_client::create_client,
        api_client::list_clients,
        api_client::get_client,
        api_client::revoke_client,
        oauth::issue_token,
        callback::receive,
        hr_sync::sync_learners,
        hr_sync::open_run,
        hr_sync::get_run,
        hr_sync::close_run,
        scim::list_users,
        scim::create_user,
        scim::get_user,
        scim::replace_user,
        scim::patch_user,
        scim::delete_user,
        scim::discovery::service_provider_config,
        scim::discovery::list_resource_types,
        scim::discovery::get_resource_type,
        scim::discovery::list_schemas,
        scim::discovery::get_schema,
        xapi::about,
        xapi::post_statements,
        xapi::put_statement,
        xapi::get_statements,
        xapi::list_unmatched,
        health::live,
        health::ready,
    ),
    components(
        schemas(
            error::Problem,
            error::FieldProblem,
            feedback::GroupBy,
            pathway_domain::hr_sync::SyncMode
        ),
        responses(
            responses::BadRequest,
            responses::Unauthorized,
            responses::Forbidden,
            responses::NotFound,
            responses::PreconditionFailed,
            responses::PayloadTooLarge,
            responses::UnsupportedMediaType,
            responses::Unprocessable,
            responses::PreconditionRequired,
            responses::Unavailable,
            scim::ScimUnauthorized,
            scim::ScimForbidden,
        )
    ),
    modifiers(&BearerToken),
    tags(
        (name = "learners", description = "Employees and elected members"),
        (name = "courses", description = "The course catalogue and the training matrix drawn from it"),
        (name = "sessions", description = "Course runs, bookings with the waitlist, and attendance"),
        (name = "programmes", description = "Leadership programmes, their cohorts, members and module progress"),
        (name = "completions", description = "The learning record"),
        (name = "feedback", description = "Delegates' evaluations of sessions and modules"),
        (name = "mentoring", description = "Coaching, mentoring and reverse-mentoring partnerships"),
        (name = "compliance", description = "Who must complete what by when: requirements, and each learner's standing against them"),
        (name = "governance", description = "The cross-party advisory panel: members, meetings, evaluations with their evidence, recommendations, and training needs assessments"),
        (name = "reports", description = "Figures for the organisation, in JSON or CSV"),
        (name = "training requests", description = "The pro-forma for training outside the offer, its workflow and supporters"),
        (name = "budgets", description = "Money per financial year by pillar: allocated, committed, spent"),
        (name = "integrations", description = "For HR systems and e-learning platforms: API clients, their OAuth tokens, the bulk HR sync, and signed completion callbacks"),
        (name = "scim", description = "SCIM 2.0 (RFC 7643, 7644) for identity providers: learners as Users with the enterprise extension. Errors here are SCIM's own `application/scim+json` format"),
        (name = "xapi", description = "A Learning Record Store for xAPI 1.0.3 statements: e-learning platforms report completions with the protocol they already speak"),
        (name = "audit", description = "Who changed what, when"),
        (name = "operations", description = "Health probes for orchestrators"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A JWT with `sub`, `roles` and optionally `scope`; `pathway token` makes one in development."))
                    .build(),
            ),
        );
        let scopes = Scopes::from_iter(Scope::ALL.iter().map(|scope| {
            let what = match scope {
                Scope::LearnersSync => "Keep learners current: SCIM and the bulk HR sync",
                Scope::CompletionsWrite => "Report completions: signed callbacks",
                Scope::XapiWrite => "Send xAPI statements",
                Scope::XapiRead => "Read xAPI statements",
            };
            (scope.as_str(), what)
        }));
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("An API client's id and secret, as xAPI clients send them; the client's granted scopes apply."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "client_credentials",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "/oauth/token",
                    scopes,
                ))],
                "Integration clients registered at /v1/api-clients get tokens at /oauth/token.",
            )),
        );
    }
}

/// The spec as committed: pretty JSON with a trailing newline.
pub fn json() -> String {
    let mut spec = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the generated spec serialises");
    spec.push('\n');
    spec
}
