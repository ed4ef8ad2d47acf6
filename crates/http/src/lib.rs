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
mod credentials;
pub mod error;
pub mod evaluation;
pub mod feedback;
pub mod headers;
pub mod health;
pub mod hr_sync;
pub mod idempotency;
mod intake;
pub use intake::DEFAULT_BODY_DEADLINE;
pub mod learner;
pub mod mentoring;
pub mod merge_patch;
mod metrics;
mod multipart;
pub mod needs_assessment;
pub mod oauth;
pub mod openapi;
pub mod page;
pub mod panel;
pub mod precondition;
pub mod programme;
pub mod provisioning_token;
pub mod rate_limit;
pub mod report;
pub mod request_id;
pub mod requirement;
pub mod responses;
pub mod routes;
pub mod scim;
mod security_headers;
pub mod session;
mod spreadsheet;
pub mod training_matrix;
pub mod training_request;
pub mod xapi;
mod xapi_alternate;
pub mod xapi_definitions;
pub mod xapi_documents;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse};
use actix_web_prom::PrometheusMetrics;
use pathway_domain::governance::YearStart;
use pathway_persistence::DatabaseConnection;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::TokenKeys;
use crate::error::Problem;
use crate::request_id::RequestSpan;

/// Bodies above this are refused with 413: no Pathway resource comes near it.
pub(crate) const BODY_LIMIT: usize = 256 * 1024;

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
    pub guards: Data<Guards>,
    /// One per server, shared by its workers: it bounds the argon2 checks they run.
    pub credentials: Data<credentials::CredentialGuard>,
    /// One per server, shared by its workers: each caller's requests this minute.
    pub rate_limiter: Data<rate_limit::RateLimiter>,
}

/// What the server guards against beyond each endpoint's own checks.
#[derive(Debug, Clone)]
pub struct Guards {
    /// How long a client may take to send a request body.
    pub body_deadline: std::time::Duration,
    /// The bearer token `/metrics` asks for; open to anyone who can reach it when `None`.
    pub metrics_token: Option<String>,
    /// Requests a person, and an integration client, may make a minute.
    pub quotas: rate_limit::Quotas,
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
    /// The share of active employees a full HR sync may mark as left unconfirmed.
    pub hr_sync_max_left_percent: u8,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        keys: TokenKeys,
        cors_origins: Vec<String>,
        rules: Rules,
        callback_secrets: callback::CallbackSecrets,
        lrs: xapi::LrsConfig,
        guards: Guards,
    ) -> Self {
        Self {
            db,
            keys: Data::new(keys),
            metrics: metrics::registry(),
            cors_origins,
            rules: Data::new(rules),
            callback_secrets: Data::new(callback_secrets),
            lrs: Data::new(lrs),
            rate_limiter: Data::new(rate_limit::RateLimiter::new(guards.quotas)),
            guards: Data::new(guards),
            credentials: Data::new(credentials::CredentialGuard::default()),
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
        .into_utoipa_app()
        .app_data(Data::new(state.db))
        .app_data(state.keys)
        .app_data(state.rules)
        .app_data(state.callback_secrets)
        .app_data(state.lrs)
        .app_data(state.guards)
        .app_data(state.credentials)
        .app_data(state.rate_limiter)
        .app_data(
            web::JsonConfig::default()
                .limit(BODY_LIMIT)
                .error_handler(error::json_payload_error),
        )
        .app_data(web::PayloadConfig::default().limit(BODY_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .configure(operations)
        .into_app()
        .route("/openapi.json", web::get().to(spec))
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"])))
        .service(web::redirect("/docs", "/docs/"))
        .default_service(web::to(routes::no_route))
        .wrap(from_fn(rate_limit::headers))
        .wrap(from_fn(intake::read_body))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(from_fn(request_id::echo))
        .wrap(from_fn(security_headers::add))
        .wrap(cors(&state.cors_origins))
        .wrap(state.metrics)
        .wrap(from_fn(metrics::fold_unknown_methods))
        .wrap(from_fn(metrics::guard))
        .wrap(TracingLogger::<RequestSpan>::new())
}

/// Every operation in the contract, each registered by the feature it belongs to: the server
/// serves these, and the contract is collected from them (see [`openapi::document`]).
pub fn operations(cfg: &mut ServiceConfig) {
    cfg.configure(learner::routes)
        .configure(compliance::routes)
        .configure(requirement::routes)
        .configure(course::routes)
        .configure(training_matrix::routes)
        .configure(session::routes)
        .configure(programme::routes)
        .configure(cohort::routes)
        .configure(feedback::routes)
        .configure(mentoring::routes)
        .configure(panel::routes)
        .configure(evaluation::routes)
        .configure(needs_assessment::routes)
        .configure(report::routes)
        .configure(training_request::routes)
        .configure(budget::routes)
        .configure(completion::routes)
        .configure(audit::routes)
        .configure(api_client::routes)
        .configure(provisioning_token::routes)
        .configure(oauth::routes)
        .configure(callback::routes)
        .configure(hr_sync::routes)
        .configure(scim::routes)
        .configure(xapi::routes)
        .configure(health::routes);
}

async fn spec() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::SERVED.clone())
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
