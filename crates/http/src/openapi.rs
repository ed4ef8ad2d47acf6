//! The contract: generated from the handlers' annotations, committed as openapi/openapi.json.

use std::sync::LazyLock;

use actix_web::web::Bytes;
use pathway_domain::api_client::Scope;
use serde_json::{Value, json};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use crate::{
    api_client, audit, budget, callback, cohort, completion, compliance, course, error, evaluation,
    feedback, health, hr_sync, idempotency, learner, mentoring, merge_patch, needs_assessment,
    oauth, page, panel, precondition, programme, report, requirement, responses, scim, session,
    training_matrix, training_request, xapi,
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
        contact(name = "The council's Learning and Development team"),
    ),
    servers((url = "/", description = "The server this contract is served from")),
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

/// The contract as committed and served: what the annotations generate, with the merge-patch
/// bodies and the conventions every operation shares applied once, here.
pub fn document() -> Value {
    let mut spec = serde_json::to_value(ApiDoc::openapi()).expect("the generated spec serialises");
    merge_patch::document(&mut spec);
    conventions(&mut spec);
    pages_refer_to_their_items(&mut spec);
    spec
}

/// utoipa writes a generic page's items out in full; where they are a named schema, refer to
/// it instead, so a typed client has one type for a learner whether it was listed or read.
fn pages_refer_to_their_items(spec: &mut Value) {
    let Some(schemas) = spec["components"]["schemas"].as_object_mut() else {
        return;
    };
    let named: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|page| Some((page.clone(), page.strip_prefix("PageView_")?.to_owned())))
        .filter(|(_, item)| schemas.contains_key(item))
        .collect();
    for (page, item) in named {
        if schemas[&page]["properties"]["items"]["items"] == schemas[&item] {
            schemas[&page]["properties"]["items"]["items"] =
                json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

/// The spec as committed: pretty JSON with a trailing newline.
pub fn json() -> String {
    let mut spec = serde_json::to_string_pretty(&document()).expect("the spec serialises");
    spec.push('\n');
    spec
}

/// `/openapi.json`, built once: the contract does not change while the process runs.
pub static SERVED: LazyLock<Bytes> =
    LazyLock::new(|| Bytes::from(serde_json::to_vec(&document()).expect("the spec serialises")));

/// The parameters whose form is the same wherever they appear: a list's `cursor`, the
/// `If-Match` and `Idempotency-Key` headers, xAPI's version header. Stated here once, from
/// the constants the server checks them against; an `If-Match` that is no entity tag is a 400.
fn conventions(spec: &mut Value) {
    let rule = |name: &str, required: bool| match name {
        "cursor" => Some((page::CURSOR_PATTERN, "AZpX0d9kd0qV1m3oXk2vJg")),
        "If-Match" if required => Some((precondition::IF_MATCH_PATTERN, "\"3\"")),
        "If-Match" => Some((precondition::OPTIONAL_IF_MATCH_PATTERN, "\"3\"")),
        "Idempotency-Key" => Some((
            idempotency::KEY_PATTERN,
            "7f9c2ba4-e88f-4b36-8a3c-61e8c1d1a6f0",
        )),
        xapi::VERSION_HEADER => Some((xapi::VERSION_PATTERN, "1.0.3")),
        _ => None,
    };
    let operations = spec["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let mut conditional = false;
        let parameters = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut);
        for parameter in parameters.into_iter().flatten() {
            // xAPI's cursor is its own: a number, as `more` links carry it.
            let text = parameter["schema"]["type"] == "string"
                || parameter["schema"]["type"] == json!(["string", "null"]);
            let required = parameter["required"] == true;
            let Some((pattern, example)) = parameter["name"]
                .as_str()
                .and_then(|name| rule(name, required))
                .filter(|_| text)
            else {
                continue;
            };
            conditional |= parameter["name"] == "If-Match";
            parameter["schema"] = json!({"type": "string", "pattern": pattern});
            parameter["example"] = json!(example);
        }
        if conditional && operation["responses"]["400"].is_null() {
            operation["responses"]["400"] = json!({"$ref": "#/components/responses/BadRequest"});
        }
    }
}
