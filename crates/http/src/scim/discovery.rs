//! The discovery endpoints (RFC 7644 s4): what this service provider supports, its one
//! resource type and the schemas of the attributes Pathway keeps.

use actix_web::get;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    CORE_SCHEMA, ENTERPRISE_SCHEMA, LIST_SCHEMA, MAX_COUNT, Provisioner, ScimError, ScimForbidden,
    ScimUnauthorized, base_url, scim_json,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ScimFeature {
    pub supported: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimFilterSupport {
    pub supported: bool,
    pub max_results: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimBulkSupport {
    pub supported: bool,
    pub max_operations: u64,
    pub max_payload_size: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimAuthenticationScheme {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub primary: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimDiscoveryMeta {
    pub resource_type: &'static str,
    pub location: String,
}

/// What this service provider supports (RFC 7643 s5).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "documentationUri": "https://pathway.council.gov.uk/docs/", "patch": {"supported": true},
    "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": true, "maxResults": 1000}, "changePassword": {"supported": false},
    "sort": {"supported": false}, "etag": {"supported": false},
    "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
        "description": "A client-credentials token from POST /oauth/token with the learners:sync scope", "primary": true}],
    "meta": {"resourceType": "ServiceProviderConfig", "location": "https://pathway.council.gov.uk/scim/v2/ServiceProviderConfig"}
}))]
pub struct ScimServiceProviderConfig {
    pub schemas: [&'static str; 1],
    pub documentation_uri: String,
    pub patch: ScimFeature,
    pub bulk: ScimBulkSupport,
    pub filter: ScimFilterSupport,
    pub change_password: ScimFeature,
    pub sort: ScimFeature,
    pub etag: ScimFeature,
    pub authentication_schemes: Vec<ScimAuthenticationScheme>,
    pub meta: ScimDiscoveryMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScimSchemaExtension {
    pub schema: &'static str,
    pub required: bool,
}

/// A resource type (RFC 7643 s6): Pathway has one, User.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User",
    "endpoint": "/Users", "description": "Learners: council employees and elected members",
    "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
    "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}],
    "meta": {"resourceType": "ResourceType", "location": "https://pathway.council.gov.uk/scim/v2/ResourceTypes/User"}
}))]
pub struct ScimResourceType {
    pub schemas: [&'static str; 1],
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static str,
    pub schema_extensions: Vec<ScimSchemaExtension>,
    pub meta: ScimDiscoveryMeta,
}

/// An attribute's characteristics (RFC 7643 s7).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimAttribute {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: &'static str,
    pub returned: &'static str,
    pub uniqueness: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<ScimSubAttribute>,
}

/// A sub-attribute's characteristics: as an attribute's, without sub-attributes of its own.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimSubAttribute {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: &'static str,
    pub returned: &'static str,
    pub uniqueness: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<&'static str>,
}

/// A schema (RFC 7643 s7): the attributes of a User Pathway keeps, or of the enterprise
/// extension.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "name": "EnterpriseUser",
    "description": "The enterprise attributes Pathway keeps",
    "attributes": [{"name": "employeeNumber", "type": "string", "multiValued": false,
        "description": "The HR reference (Pathway's external_ref)", "required": false, "caseExact": true,
        "mutability": "readWrite", "returned": "default", "uniqueness": "server"}],
    "meta": {"resourceType": "Schema", "location": "https://pathway.council.gov.uk/scim/v2/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
}))]
pub struct ScimSchema {
    pub schemas: [&'static str; 1],
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: Vec<ScimAttribute>,
    pub meta: ScimDiscoveryMeta,
}

/// Discovery resources as a list (RFC 7644 s4).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "startIndex": 1,
    "itemsPerPage": 1, "Resources": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User",
        "endpoint": "/Users", "description": "Learners: council employees and elected members",
        "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
        "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}],
        "meta": {"resourceType": "ResourceType", "location": "https://pathway.council.gov.uk/scim/v2/ResourceTypes/User"}
    }]
}))]
pub struct ScimResourceTypeList {
    pub schemas: [&'static str; 1],
    #[serde(rename = "totalResults")]
    pub total_results: usize,
    #[serde(rename = "startIndex")]
    pub start_index: usize,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: usize,
    #[serde(rename = "Resources")]
    pub resources: Vec<ScimResourceType>,
}

/// The schemas as a list (RFC 7644 s4).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "startIndex": 1,
    "itemsPerPage": 1, "Resources": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "name": "EnterpriseUser",
        "description": "The enterprise attributes Pathway keeps",
        "attributes": [{"name": "department", "type": "string", "multiValued": false,
            "description": "The learner's department", "required": false, "caseExact": false,
            "mutability": "readWrite", "returned": "default", "uniqueness": "none"}],
        "meta": {"resourceType": "Schema", "location": "https://pathway.council.gov.uk/scim/v2/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
    }]
}))]
pub struct ScimSchemaList {
    pub schemas: [&'static str; 1],
    #[serde(rename = "totalResults")]
    pub total_results: usize,
    #[serde(rename = "startIndex")]
    pub start_index: usize,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: usize,
    #[serde(rename = "Resources")]
    pub resources: Vec<ScimSchema>,
}

/// What this SCIM service provider supports.
///
/// Clients with `learners:sync`. PATCH and filters are supported; bulk, sorting, ETags and
/// password changes are not.
#[utoipa::path(operation_id = "get_scim_service_provider_config", tag = "scim",
    responses((status = 200, description = "The configuration", body = ScimServiceProviderConfig, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/ServiceProviderConfig")]
pub async fn service_provider_config(_: Provisioner, req: HttpRequest) -> HttpResponse {
    let base = base_url(&req);
    let unsupported = || ScimFeature { supported: false };
    scim_json(
        StatusCode::OK,
        &ScimServiceProviderConfig {
            schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            documentation_uri: format!("{}/docs/", base.trim_end_matches("/scim/v2")),
            patch: ScimFeature { supported: true },
            bulk: ScimBulkSupport {
                supported: false,
                max_operations: 0,
                max_payload_size: 0,
            },
            filter: ScimFilterSupport {
                supported: true,
                max_results: MAX_COUNT,
            },
            change_password: unsupported(),
            sort: unsupported(),
            etag: unsupported(),
            authentication_schemes: vec![ScimAuthenticationScheme {
                kind: "oauthbearertoken",
                name: "OAuth Bearer Token",
                description: "A client-credentials token from POST /oauth/token with the learners:sync scope",
                primary: true,
            }],
            meta: ScimDiscoveryMeta {
                resource_type: "ServiceProviderConfig",
                location: format!("{base}/ServiceProviderConfig"),
            },
        },
    )
}

/// The resource types: User.
///
/// Clients with `learners:sync`. Pathway provisions one resource type: User, with the
/// enterprise extension.
#[utoipa::path(operation_id = "list_scim_resource_types", tag = "scim",
    responses((status = 200, description = "The resource types", body = ScimResourceTypeList, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/ResourceTypes")]
pub async fn list_resource_types(_: Provisioner, req: HttpRequest) -> HttpResponse {
    let resources = vec![user_type(&base_url(&req))];
    scim_json(
        StatusCode::OK,
        &ScimResourceTypeList {
            schemas: [LIST_SCHEMA],
            total_results: resources.len(),
            start_index: 1,
            items_per_page: resources.len(),
            resources,
        },
    )
}

/// One resource type.
///
/// Clients with `learners:sync`. `User` is the only one.
#[utoipa::path(operation_id = "get_scim_resource_type", tag = "scim",
    params(("id" = String, Path, description = "`User`")),
    responses((status = 200, description = "The resource type", body = ScimResourceType, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
        (status = 404, description = "No such resource type", body = ScimError, content_type = "application/scim+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/ResourceTypes/{id}")]
pub async fn get_resource_type(
    _: Provisioner,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    if id.as_str() != "User" {
        return Err(ScimError::not_found(
            "no such resource type; Pathway has User",
        ));
    }
    Ok(scim_json(StatusCode::OK, &user_type(&base_url(&req))))
}

/// The schemas of the User resource and its enterprise extension.
///
/// Clients with `learners:sync`. Describes exactly the attributes Pathway keeps.
#[utoipa::path(operation_id = "list_scim_schemas", tag = "scim",
    responses((status = 200, description = "The schemas", body = ScimSchemaList, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/Schemas")]
pub async fn list_schemas(_: Provisioner, req: HttpRequest) -> HttpResponse {
    let base = base_url(&req);
    let resources = vec![user_schema(&base), enterprise_schema(&base)];
    scim_json(
        StatusCode::OK,
        &ScimSchemaList {
            schemas: [LIST_SCHEMA],
            total_results: resources.len(),
            start_index: 1,
            items_per_page: resources.len(),
            resources,
        },
    )
}

/// One schema, by its URN.
///
/// Clients with `learners:sync`. The core User schema or the enterprise extension.
#[utoipa::path(operation_id = "get_scim_schema", tag = "scim",
    params(("id" = String, Path, description = "The schema's URN")),
    responses((status = 200, description = "The schema", body = ScimSchema, content_type = "application/scim+json"),
        (status = 401, response = ScimUnauthorized),
        (status = 403, response = ScimForbidden),
        (status = 404, description = "No such schema", body = ScimError, content_type = "application/scim+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/Schemas/{id}")]
pub async fn get_schema(
    _: Provisioner,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    let base = base_url(&req);
    match id.as_str() {
        CORE_SCHEMA => Ok(scim_json(StatusCode::OK, &user_schema(&base))),
        ENTERPRISE_SCHEMA => Ok(scim_json(StatusCode::OK, &enterprise_schema(&base))),
        _ => Err(ScimError::not_found("no such schema")),
    }
}

fn user_type(base: &str) -> ScimResourceType {
    ScimResourceType {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        id: "User",
        name: "User",
        endpoint: "/Users",
        description: "Learners: council employees and elected members",
        schema: CORE_SCHEMA,
        schema_extensions: vec![ScimSchemaExtension {
            schema: ENTERPRISE_SCHEMA,
            required: false,
        }],
        meta: ScimDiscoveryMeta {
            resource_type: "ResourceType",
            location: format!("{base}/ResourceTypes/User"),
        },
    }
}

/// A read-write, single-valued, optional string attribute; the builders below vary it.
fn string(name: &'static str, description: &'static str) -> ScimAttribute {
    ScimAttribute {
        name,
        kind: "string",
        multi_valued: false,
        description,
        required: false,
        case_exact: false,
        mutability: "readWrite",
        returned: "default",
        uniqueness: "none",
        reference_types: Vec::new(),
        canonical_values: Vec::new(),
        sub_attributes: Vec::new(),
    }
}

fn sub(attribute: ScimAttribute) -> ScimSubAttribute {
    ScimSubAttribute {
        name: attribute.name,
        kind: attribute.kind,
        multi_valued: attribute.multi_valued,
        description: attribute.description,
        required: attribute.required,
        case_exact: attribute.case_exact,
        mutability: attribute.mutability,
        returned: attribute.returned,
        uniqueness: attribute.uniqueness,
        reference_types: attribute.reference_types,
        canonical_values: attribute.canonical_values,
    }
}

fn required(attribute: ScimAttribute) -> ScimAttribute {
    ScimAttribute {
        required: true,
        ..attribute
    }
}

fn complex(
    name: &'static str,
    description: &'static str,
    sub_attributes: Vec<ScimAttribute>,
) -> ScimAttribute {
    ScimAttribute {
        kind: "complex",
        sub_attributes: sub_attributes.into_iter().map(sub).collect(),
        ..string(name, description)
    }
}

fn user_schema(base: &str) -> ScimSchema {
    ScimSchema {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        id: CORE_SCHEMA,
        name: "User",
        description: "A learner: the User attributes Pathway keeps",
        attributes: vec![
            ScimAttribute {
                uniqueness: "server",
                ..required(string(
                    "userName",
                    "Unique in any case; the learner's email address until a provider sets one",
                ))
            },
            required(complex(
                "name",
                "The learner's names",
                vec![
                    required(string("givenName", "Given name")),
                    required(string("familyName", "Family name")),
                ],
            )),
            ScimAttribute {
                mutability: "readOnly",
                ..string("displayName", "Given and family name")
            },
            string("title", "Job title"),
            // Email addresses are unique among learners: a second user with one is refused.
            ScimAttribute {
                multi_valued: true,
                uniqueness: "server",
                ..required(complex(
                    "emails",
                    "The learner's one email address: the primary one given, or the first",
                    vec![
                        ScimAttribute {
                            uniqueness: "server",
                            ..required(string("value", "The address, unique among users"))
                        },
                        ScimAttribute {
                            canonical_values: vec!["work", "home", "other"],
                            ..string(
                                "type",
                                "As the provider gave it, in lower case; work when none did",
                            )
                        },
                        ScimAttribute {
                            kind: "boolean",
                            ..string("primary", "As the provider gave it; true when none did")
                        },
                    ],
                ))
            },
            ScimAttribute {
                kind: "boolean",
                ..required(string(
                    "active",
                    "False once the learner has left the council (true when not sent)",
                ))
            },
        ],
        meta: ScimDiscoveryMeta {
            resource_type: "Schema",
            location: format!("{base}/Schemas/{CORE_SCHEMA}"),
        },
    }
}

fn enterprise_schema(base: &str) -> ScimSchema {
    ScimSchema {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        id: ENTERPRISE_SCHEMA,
        name: "EnterpriseUser",
        description: "The enterprise attributes Pathway keeps",
        attributes: vec![
            ScimAttribute {
                case_exact: true,
                uniqueness: "server",
                ..string(
                    "employeeNumber",
                    "The HR reference (Pathway's external_ref)",
                )
            },
            string("department", "The learner's department"),
            complex(
                "manager",
                "The learner's line manager, another user",
                vec![
                    string("value", "The manager's user id"),
                    ScimAttribute {
                        kind: "reference",
                        reference_types: vec!["User"],
                        ..string("$ref", "The manager's URI")
                    },
                ],
            ),
        ],
        meta: ScimDiscoveryMeta {
            resource_type: "Schema",
            location: format!("{base}/Schemas/{ENTERPRISE_SCHEMA}"),
        },
    }
}
