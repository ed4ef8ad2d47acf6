//! Pathway's HTTP surface: thin handlers that authenticate, parse into domain commands, call
//! storage, and answer in JSON or problem+json.

pub mod api_client;
pub mod audit;
pub mod auth;
pub mod budget;
pub mod callback;
pub mod cohort;
pub mod completion;
pub mod compliance;
pub mod course;
pub mod error;
pub mod evaluation;
pub mod feedback;
pub mod health;
pub mod hr_sync;
pub mod idempotency;
pub mod learner;
pub mod mentoring;
pub mod merge_patch;
pub mod needs_assessment;
pub mod oauth;
pub mod openapi;
pub mod page;
pub mod panel;
pub mod precondition;
pub mod programme;
pub mod report;
pub mod request_id;
pub mod requirement;
pub mod responses;
pub mod scim;
pub mod session;
pub mod training_matrix;
pub mod training_request;
pub mod xapi;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse, Resource, ResponseError};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use pathway_domain::governance::YearStart;
use pathway_persistence::DatabaseConnection;
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::TokenKeys;
use crate::error::{ApiError, Problem};
use crate::request_id::RequestSpan;

/// Bodies above this are refused with 413: no Pathway resource comes near it.
const BODY_LIMIT: usize = 256 * 1024;

/// What every worker of the server shares. Everything else lives in the database.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub keys: Data<TokenKeys>,
    pub metrics: PrometheusMetrics,
    /// Origins allowed to call from a browser; none by default.
    pub cors_origins: Vec<String>,
    pub rules: Data<Rules>,
    pub callback_secrets: Data<callback::CallbackSecrets>,
    pub lrs: Data<xapi::LrsConfig>,
}

/// The council's configurable numbers.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// How many supporters make an additional training request ready for the panel.
    pub supporters_for_panel: u64,
    /// The day the municipal year turns: the council's annual meeting.
    pub municipal_year_start: YearStart,
    /// How many times a municipal year the advisory panel must meet.
    pub panel_minimum_meetings: u32,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        keys: TokenKeys,
        cors_origins: Vec<String>,
        rules: Rules,
        callback_secrets: callback::CallbackSecrets,
        lrs: xapi::LrsConfig,
    ) -> Self {
        let metrics = PrometheusMetricsBuilder::new("pathway")
            .endpoint("/metrics")
            .mask_unmatched_patterns("unmatched")
            // The docs are static files under one wildcard route: not worth a time series.
            .exclude_regex("^/docs")
            .build()
            .expect("the metrics registry is built once per server");
        Self {
            db,
            keys: Data::new(keys),
            metrics,
            cors_origins,
            rules: Data::new(rules),
            callback_secrets: Data::new(callback_secrets),
            lrs: Data::new(lrs),
        }
    }
}

/// The whole application, as the server and the end-to-end tests run it.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(Data::new(state.db))
        .app_data(state.keys)
        .app_data(state.rules)
        .app_data(state.callback_secrets)
        .app_data(state.lrs)
        .app_data(
            web::JsonConfig::default()
                .limit(BODY_LIMIT)
                .error_handler(error::json_payload_error),
        )
        .app_data(web::PayloadConfig::default().limit(BODY_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .service(
            resource("/v1/learners", "GET, POST")
                .get(learner::list_learners)
                .post(learner::create_learner),
        )
        .service(
            resource("/v1/learners/{id}", "GET, PATCH")
                .get(learner::get_learner)
                .patch(learner::patch_learner),
        )
        .service(resource("/v1/learners/{id}/leave", "POST").post(learner::leave_learner))
        .service(
            resource("/v1/learners/{id}/compliance", "GET").get(compliance::get_learner_compliance),
        )
        .service(
            resource("/v1/requirements", "GET, POST")
                .get(requirement::list_requirements)
                .post(requirement::create_requirement),
        )
        .service(
            resource("/v1/requirements/{id}", "GET, PATCH, DELETE")
                .get(requirement::get_requirement)
                .patch(requirement::patch_requirement)
                .delete(requirement::delete_requirement),
        )
        .service(
            resource("/v1/courses", "GET, POST")
                .get(course::list_courses)
                .post(course::create_course),
        )
        .service(
            resource("/v1/courses/{id}", "GET, PATCH")
                .get(course::get_course)
                .patch(course::patch_course),
        )
        .service(resource("/v1/courses/{id}/publish", "POST").post(course::publish_course))
        .service(resource("/v1/courses/{id}/retire", "POST").post(course::retire_course))
        .service(
            resource("/v1/sessions", "GET, POST")
                .get(session::list_sessions)
                .post(session::create_session),
        )
        .service(
            resource("/v1/sessions/{id}", "GET, PATCH")
                .get(session::get_session)
                .patch(session::patch_session),
        )
        .service(resource("/v1/sessions/{id}/cancel", "POST").post(session::cancel_session))
        .service(
            resource("/v1/sessions/{id}/bookings", "GET, POST")
                .get(session::list_bookings)
                .post(session::create_booking),
        )
        .service(
            resource("/v1/sessions/{id}/bookings/{booking_id}", "DELETE")
                .delete(session::cancel_booking),
        )
        .service(resource("/v1/sessions/{id}/attendance", "POST").post(session::record_attendance))
        .service(
            resource("/v1/programmes", "GET, POST")
                .get(programme::list_programmes)
                .post(programme::create_programme),
        )
        .service(resource("/v1/programmes/{id}", "GET").get(programme::get_programme))
        .service(
            resource("/v1/cohorts", "GET, POST")
                .get(cohort::list_cohorts)
                .post(cohort::create_cohort),
        )
        .service(resource("/v1/cohorts/{id}", "GET").get(cohort::get_cohort))
        .service(
            resource("/v1/cohorts/{id}/members", "GET, POST")
                .get(cohort::list_members)
                .post(cohort::add_member),
        )
        .service(
            resource("/v1/cohorts/{id}/members/{learner_id}", "DELETE")
                .delete(cohort::remove_member),
        )
        .service(
            resource("/v1/cohorts/{id}/progress", "GET, POST")
                .get(cohort::get_progress)
                .post(cohort::record_progress),
        )
        .service(
            resource("/v1/feedback", "GET, POST")
                .get(feedback::list_feedback)
                .post(feedback::give_feedback),
        )
        .service(resource("/v1/feedback/summary", "GET").get(feedback::summarise_feedback))
        .service(
            resource("/v1/mentoring-partnerships", "GET, POST")
                .get(mentoring::list_partnerships)
                .post(mentoring::create_partnership),
        )
        .service(
            resource("/v1/mentoring-partnerships/{id}/end", "POST")
                .post(mentoring::end_partnership),
        )
        .service(
            resource("/v1/panels", "GET, POST")
                .get(panel::list_panels)
                .post(panel::create_panel),
        )
        .service(
            resource("/v1/panels/{id}", "GET, PATCH")
                .get(panel::get_panel)
                .patch(panel::patch_panel),
        )
        .service(
            resource("/v1/panels/{id}/members", "GET, POST")
                .get(panel::list_members)
                .post(panel::add_member),
        )
        .service(
            resource("/v1/panels/{id}/members/{member_id}", "PATCH").patch(panel::patch_member),
        )
        .service(
            resource("/v1/panels/{id}/meetings", "GET, POST")
                .get(panel::list_meetings)
                .post(panel::create_meeting),
        )
        .service(
            resource("/v1/panels/{id}/meetings/{meeting_id}", "GET, PATCH")
                .get(panel::get_meeting)
                .patch(panel::patch_meeting),
        )
        .service(resource("/v1/panels/{id}/compliance", "GET").get(panel::get_panel_compliance))
        .service(
            resource("/v1/panels/{id}/evaluations", "GET, POST")
                .get(evaluation::list_evaluations)
                .post(evaluation::create_evaluation),
        )
        .service(
            resource("/v1/panels/{id}/evaluations/{evaluation_id}", "GET, PATCH")
                .get(evaluation::get_evaluation)
                .patch(evaluation::patch_evaluation),
        )
        .service(
            resource("/v1/panels/{id}/evaluations/{evaluation_id}/agree", "POST")
                .post(evaluation::agree_evaluation),
        )
        .service(
            resource("/v1/panels/{id}/recommendation", "GET").get(evaluation::get_recommendation),
        )
        .service(
            resource("/v1/needs-assessments", "GET, POST")
                .get(needs_assessment::list_assessments)
                .post(needs_assessment::create_assessment),
        )
        .service(
            resource("/v1/needs-assessments/{id}", "GET, PATCH")
                .get(needs_assessment::get_assessment)
                .patch(needs_assessment::patch_assessment),
        )
        .service(
            resource("/v1/needs-assessments/{id}/responses", "GET, POST")
                .get(needs_assessment::list_responses)
                .post(needs_assessment::respond),
        )
        .service(
            resource("/v1/needs-assessments/{id}/responses/{learner_id}", "GET")
                .get(needs_assessment::get_response),
        )
        .service(
            resource("/v1/needs-assessments/{id}/summary", "GET").get(needs_assessment::summarise),
        )
        .service(resource("/v1/reports/delivery", "GET").get(report::delivery_report))
        .service(resource("/v1/reports/compliance", "GET").get(compliance::compliance_report))
        .service(
            resource("/v1/reports/compliance/learners", "GET")
                .get(compliance::list_learners_in_breach),
        )
        .service(
            resource("/v1/training-requests", "GET, POST")
                .get(training_request::list_requests)
                .post(training_request::create_request),
        )
        .service(resource("/v1/training-requests/{id}", "GET").get(training_request::get_request))
        .service(
            resource("/v1/training-requests/{id}/submit", "POST")
                .post(training_request::submit_request),
        )
        .service(
            resource("/v1/training-requests/{id}/approve", "POST")
                .post(training_request::approve_request),
        )
        .service(
            resource("/v1/training-requests/{id}/reject", "POST")
                .post(training_request::reject_request),
        )
        .service(
            resource("/v1/training-requests/{id}/withdraw", "POST")
                .post(training_request::withdraw_request),
        )
        .service(
            resource("/v1/training-requests/{id}/book", "POST")
                .post(training_request::book_request),
        )
        .service(
            resource("/v1/training-requests/{id}/complete", "POST")
                .post(training_request::complete_request),
        )
        .service(
            resource("/v1/training-requests/{id}/cancel", "POST")
                .post(training_request::cancel_request),
        )
        .service(
            resource("/v1/training-requests/{id}/supporters", "POST")
                .post(training_request::support_request),
        )
        .service(
            resource("/v1/budgets", "GET, POST")
                .get(budget::list_budgets)
                .post(budget::create_budget),
        )
        .service(resource("/v1/budgets/{financial_year}", "PUT").put(budget::replace_budget))
        .service(
            resource("/v1/budgets/{financial_year}/summary", "GET").get(budget::budget_summary),
        )
        .service(
            resource("/v1/completions", "GET, POST")
                .get(completion::list_completions)
                .post(completion::record_completion),
        )
        .service(resource("/v1/completions/{id}", "GET").get(completion::get_completion))
        .service(resource("/v1/training-matrix", "GET").get(training_matrix::get_training_matrix))
        .service(resource("/v1/audit-events", "GET").get(audit::list_audit_events))
        .service(
            resource("/v1/api-clients", "GET, POST")
                .get(api_client::list_clients)
                .post(api_client::create_client),
        )
        .service(resource("/v1/api-clients/{id}", "GET").get(api_client::get_client))
        .service(resource("/v1/api-clients/{id}/revoke", "POST").post(api_client::revoke_client))
        .service(resource("/oauth/token", "POST").post(oauth::issue_token))
        .service(
            resource("/v1/integrations/elearning/callbacks/{provider}", "POST")
                .post(callback::receive),
        )
        .service(
            resource("/v1/integrations/hr/learners/sync", "POST")
                .app_data(web::PayloadConfig::default().limit(hr_sync::BODY_LIMIT))
                .post(hr_sync::sync_learners),
        )
        .service(resource("/v1/integrations/hr/sync-runs", "POST").post(hr_sync::open_run))
        .service(resource("/v1/integrations/hr/sync-runs/{id}", "GET").get(hr_sync::get_run))
        .service(
            resource("/v1/integrations/hr/sync-runs/{id}/close", "POST").post(hr_sync::close_run),
        )
        .service(
            web::scope("/scim/v2")
                .app_data(web::PayloadConfig::default().limit(BODY_LIMIT))
                .app_data(web::QueryConfig::default().error_handler(scim::query_error))
                .service(
                    scim::resource("/Users", "GET, POST")
                        .get(scim::list_users)
                        .post(scim::create_user),
                )
                .service(
                    scim::resource("/Users/{id}", "GET, PUT, PATCH, DELETE")
                        .get(scim::get_user)
                        .put(scim::replace_user)
                        .patch(scim::patch_user)
                        .delete(scim::delete_user),
                )
                .service(
                    scim::resource("/ServiceProviderConfig", "GET")
                        .get(scim::discovery::service_provider_config),
                )
                .service(
                    scim::resource("/ResourceTypes", "GET")
                        .get(scim::discovery::list_resource_types),
                )
                .service(
                    scim::resource("/ResourceTypes/{id}", "GET")
                        .get(scim::discovery::get_resource_type),
                )
                .service(scim::resource("/Schemas", "GET").get(scim::discovery::list_schemas))
                .service(scim::resource("/Schemas/{id}", "GET").get(scim::discovery::get_schema))
                .service(scim::resource("/.search", "POST").post(scim::search_all))
                .default_service(web::to(scim::no_such_endpoint)),
        )
        .service(
            web::scope("/xapi")
                .app_data(web::PayloadConfig::default().limit(xapi::BODY_LIMIT))
                .wrap(
                    DefaultHeaders::new()
                        .add((xapi::VERSION_HEADER, pathway_domain::xapi::VERSION)),
                )
                .service(resource("/about", "GET").get(xapi::about))
                .service(
                    resource("/statements", "GET, POST, PUT")
                        .get(xapi::get_statements)
                        .post(xapi::post_statements)
                        .put(xapi::put_statement),
                ),
        )
        .service(resource("/v1/integrations/elearning/unmatched", "GET").get(xapi::list_unmatched))
        .service(resource("/health/live", "GET").get(health::live))
        .service(resource("/health/ready", "GET").get(health::ready))
        .service(resource("/openapi.json", "GET").get(spec))
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"])))
        .service(web::redirect("/docs", "/docs/"))
        .default_service(web::to(|| async {
            ApiError::NotFound("no such endpoint".into()).error_response()
        }))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(from_fn(request_id::echo))
        .wrap(cors(&state.cors_origins))
        .wrap(state.metrics)
        .wrap(TracingLogger::<RequestSpan>::new())
}

async fn spec() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::SERVED.clone())
}

/// A path and the methods it answers; any other method gets 405 with an `Allow` header.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        ApiError::MethodNotAllowed(allow).error_response()
    }))
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            request_id::HEADER,
        ])
        .expose_headers([header::ETAG, header::LOCATION, request_id::HEADER])
        .max_age(3600)
}

/// actix-web answers some errors itself (405, 413, a panicking handler) with plain text or no
/// body; clients are promised problem+json for every error, so those are rewritten here.
fn problem_for_bare_errors<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // A handler's own JSON answer stands: problem+json, or the error format a standard
    // prescribes (OAuth's at /oauth/token).
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"application/json")
                || v.as_bytes().starts_with(scim::MEDIA_TYPE.as_bytes())
        });
    if is_json || !(response.status().is_client_error() || response.status().is_server_error()) {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let detail = response
        .response()
        .error()
        .map(ToString::to_string)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let problem = Problem {
        kind: format!("/problems/http-{}", status.as_u16()),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
    };
    let (request, old) = response.into_parts();
    let mut fresh = HttpResponse::build(status);
    fresh.content_type("application/problem+json");
    for (name, value) in old
        .headers()
        .iter()
        .filter(|(name, _)| *name != header::CONTENT_TYPE && *name != header::CONTENT_LENGTH)
    {
        fresh.append_header((name.clone(), value.clone()));
    }
    let fresh = fresh.json(problem).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(
        request, fresh,
    )))
}
