//! What the LRS knows of the agents and activities statements name (xAPI 1.0.3
//! communication s2.4, s2.5): an activity's canonical definition, merged from every
//! statement that defined it, and the Person an agent is, with every identifier Pathway
//! knows for them.

use actix_web::web::{Data, Json, Query};
use actix_web::{HttpRequest, get};
use pathway_domain::api_client::Scope;
use pathway_domain::xapi;
use pathway_persistence::DatabaseConnection;
use pathway_persistence::xapi_mentions as store;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::headers::XapiVersion;
use crate::responses::{BadRequest, Forbidden, TooManyRequests};
use crate::xapi::{LrsConfig, known_parameters, lrs_caller, malformed};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ActivityQuery {
    /// The activity's IRI.
    pub activity_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgentQuery {
    /// The agent, as JSON: `{"mbox": "mailto:amira.khan@council.gov.uk"}`.
    pub agent: String,
}

/// An activity as the LRS knows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"objectType": "Activity", "id": "https://learnpool.example/courses/gdpr-refresher",
    "definition": {"name": {"en-GB": "Data protection refresher", "cy": "Diweddariad diogelu data"},
        "type": "http://adlnet.gov/expapi/activities/course"}}))]
pub struct ActivityDoc {
    /// Always `Activity`.
    pub object_type: String,
    pub id: String,
    /// What statements said of it, merged; absent when none defined it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub definition: Option<Value>,
}

/// An account on a system: its home page and the name it is known by there.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountDoc {
    pub home_page: String,
    pub name: String,
}

/// Everyone an agent is known as: each property a list, left out when empty.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"objectType": "Person", "name": ["Amira Khan"],
    "mbox": ["mailto:amira.khan@council.gov.uk"],
    "account": [{"homePage": "https://hr.council.gov.uk", "name": "E1042"}]}))]
pub struct PersonDoc {
    /// Always `Person`.
    pub object_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mbox: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        rename = "mbox_sha1sum"
    )]
    pub mbox_sha1sum: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub openid: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account: Vec<AccountDoc>,
}

/// The document a store's JSON answers as.
fn document<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::Internal(format!("the LRS wrote an object it cannot read: {e}")))
}

/// Read an activity's definition.
///
/// The definition statements gave it, merged: names and descriptions language by language,
/// the rest as the latest statement said. An activity no statement defined is answered with
/// its id alone. Needs `xapi:read`.
#[utoipa::path(operation_id = "get_xapi_activity", tag = "xapi",
    params(ActivityQuery, XapiVersion),
    responses((status = 200, description = "The activity", body = ActivityDoc),
        BadRequest, Forbidden, TooManyRequests),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:read"])))]
#[get("/activities")]
pub async fn get_activity(
    db: Data<DatabaseConnection>,
    query: Query<ActivityQuery>,
    req: HttpRequest,
) -> Result<Json<ActivityDoc>, ApiError> {
    lrs_caller(&req, &db, Scope::XapiRead).await?;
    known_parameters(&req, &["activityId"])?;
    let id = xapi::activity_parameter(&query.activity_id).map_err(malformed)?;
    Ok(Json(document(store::activity(&db, &id).await?)?))
}

/// Read the Person an agent is.
///
/// The agent's own identifier and, when it is a learner (by email address, or by HR reference
/// on the council's home page), the learner's others, with the names statements gave them.
/// An agent the LRS has never seen is answered with its own identifier. Needs `xapi:read`.
#[utoipa::path(operation_id = "get_xapi_agent", tag = "xapi",
    params(AgentQuery, XapiVersion),
    responses((status = 200, description = "The Person", body = PersonDoc),
        BadRequest, Forbidden, TooManyRequests),
    security(("client_basic" = []), ("bearer" = []), ("client_credentials" = ["xapi:read"])))]
#[get("/agents")]
pub async fn get_agent(
    db: Data<DatabaseConnection>,
    lrs: Data<LrsConfig>,
    query: Query<AgentQuery>,
    req: HttpRequest,
) -> Result<Json<PersonDoc>, ApiError> {
    lrs_caller(&req, &db, Scope::XapiRead).await?;
    known_parameters(&req, &["agent"])?;
    let key = xapi::agent_parameter(&query.agent).map_err(malformed)?;
    let person = store::person(&db, key, lrs.council_home_page.as_deref()).await?;
    Ok(Json(document(person)?))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_activity).service(get_agent);
}
