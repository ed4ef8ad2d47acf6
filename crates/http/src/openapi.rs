//! The contract: generated from the handlers' annotations, committed as openapi/openapi.json.

use std::sync::LazyLock;

use actix_web::App;
use actix_web::web::Bytes;
use pathway_domain::api_client::Scope;
use serde_json::{Value, json};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::{error, feedback, idempotency, merge_patch, page, precondition, responses, scim, xapi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pathway",
        description = "The learning and development record system of a UK council: who must learn what, \
            the course catalogue and its training matrix, and who changed what.\n\n\
            Errors are RFC 9457 `application/problem+json`. Lists take `limit` (1-500, default 50) and an \
            opaque `cursor`, and return `{\"items\", \"next_cursor\"}`. Single resources carry an `ETag`; \
            `PATCH` takes a JSON merge patch and requires `If-Match` (428 without it, 412 when stale). \
            Text in a query string or a body may hold tab, line feed and carriage return but no other \
            control character (NUL, the C0 controls, DEL): 422 (400 on SCIM's and xAPI's paths).\n\n\
            Authenticate with `Authorization: Bearer <JWT>`; roles are `admin`, `manager`, `learner` and \
            `panel_member`, and a person's `sub` is their learner id.",
        license(name = "MIT", identifier = "MIT"),
        contact(name = "The council's Learning and Development team"),
    ),
    servers((url = "/", description = "The server this contract is served from")),
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
            responses::TooManyRequests,
            responses::Unavailable,
            scim::ScimUnauthorized,
            scim::ScimTooManyRequests,
            scim::ScimUnavailable,
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
        (name = "xapi", description = "A Learning Record Store for xAPI 1.0.3 statements: e-learning platforms report completions with the protocol they already speak. Every operation here is also taken in xAPI's alternate request syntax (communication s1.3): a POST with `?method=GET|PUT|POST|DELETE` alone in the query string and an application/x-www-form-urlencoded form holding the headers, the parameters and the body as `content`."),
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
                    .description(Some("A person's JWT with `sub` (their learner id) and `roles`, or an integration client's token from /oauth/token with its scopes; `pathway token` makes a person's in development."))
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
            "provisioning_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A long-lived token (`pathway_pt_…`) an admin issues to an API client at /v1/api-clients/{id}/provisioning-tokens, for identity providers that take one token pasted into their set-up; it carries the scopes it was issued with and opens only the operations that name client scopes."))
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
    let (_, collected) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::operations)
        .split_for_parts();
    let mut spec = serde_json::to_value(collected).expect("the generated spec serialises");
    signed_in_unless_public(&mut spec);
    provisioning_tokens_open_client_operations(&mut spec);
    merge_patch::document(&mut spec);
    conventions(&mut spec);
    text_is_refused_with_controls(&mut spec);
    pages_refer_to_their_items(&mut spec);
    spec
}

/// Every operation needs a person's token unless it says otherwise: an integration's
/// operations name their scopes, the public ones an empty requirement (`security(())`). Any
/// operation that needs credentials can answer 401, 429 once its caller's quota is used, and
/// 503 while the database does not answer (in SCIM's format on SCIM's operations).
fn signed_in_unless_public(spec: &mut Value) {
    for operation in operations(spec) {
        if operation.get("security").is_none() {
            operation["security"] = json!([{"bearer": []}]);
        }
        if operation["security"] == json!([{}]) {
            continue;
        }
        if operation["responses"]["401"].is_null() {
            operation["responses"]["401"] = json!({"$ref": "#/components/responses/Unauthorized"});
        }
        let scim =
            operation["responses"]["401"]["$ref"] == "#/components/responses/ScimUnauthorized";
        for (status, response) in [("429", "TooManyRequests"), ("503", "Unavailable")] {
            if operation["responses"][status].is_null() {
                let response = if scim {
                    format!("Scim{response}")
                } else {
                    response.to_owned()
                };
                operation["responses"][status] =
                    json!({"$ref": format!("#/components/responses/{response}")});
            }
        }
    }
}

/// A provisioning token stands for its client wherever a client's token from `/oauth/token`
/// does, so it is offered beside each of those requirements rather than in each annotation.
fn provisioning_tokens_open_client_operations(spec: &mut Value) {
    for operation in operations(spec) {
        let Some(security) = operation.get_mut("security").and_then(Value::as_array_mut) else {
            continue;
        };
        if security
            .iter()
            .any(|requirement| requirement.get("client_credentials").is_some())
        {
            security.push(json!({"provisioning_token": []}));
        }
    }
}

/// Every operation of every path, to change in place.
fn operations(spec: &mut Value) -> impl Iterator<Item = &mut Value> {
    spec["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
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

/// Every operation that reads a query string or a body can refuse text in it that carries a
/// control character ([`crate::intake`]): 422, or 400 on SCIM's and xAPI's paths.
fn text_is_refused_with_controls(spec: &mut Value) {
    let Some(paths) = spec["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let status = if path.starts_with("/scim/") || path.starts_with("/xapi/") {
            "400"
        } else {
            "422"
        };
        let response = if path.starts_with("/scim/") {
            json!({"description": "A value SCIM refuses (`invalidValue`), such as text with a control character",
                "content": {"application/scim+json": {"schema": {"$ref": "#/components/schemas/ScimError"}}}})
        } else if status == "400" {
            json!({"$ref": "#/components/responses/BadRequest"})
        } else {
            json!({"$ref": "#/components/responses/Unprocessable"})
        };
        let operations = item
            .as_object_mut()
            .into_iter()
            .flat_map(|item| item.values_mut());
        for operation in operations {
            let queried = operation["parameters"]
                .as_array()
                .is_some_and(|parameters| parameters.iter().any(|p| p["in"] == "query"));
            let reads_text = queried || operation.get("requestBody").is_some();
            if reads_text && operation["responses"][status].is_null() {
                operation["responses"][status] = response.clone();
            }
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
/// `If-Match` and `Idempotency-Key` headers, xAPI's version header; and the `ETag` answered. Stated here once, from
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
    for operation in operations(spec) {
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
        let headers = operation["responses"]
            .as_object_mut()
            .into_iter()
            .flat_map(|responses| responses.values_mut())
            .filter_map(|response| response.get_mut("headers"));
        for etag in headers.filter_map(|headers| headers.get_mut("ETag")) {
            etag["description"] = json!("The version, to send back in `If-Match`");
        }
        if conditional && operation["responses"]["400"].is_null() {
            operation["responses"]["400"] = json!({"$ref": "#/components/responses/BadRequest"});
        }
    }
}
