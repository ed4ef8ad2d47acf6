//! `/v1/api-clients`: admins register the systems that integrate with Pathway.

use actix_web::HttpResponse;
use actix_web::web::{self, Data, Json, Path, Query};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use pathway_domain::api_client::{ApiClient, ClientDetails, ClientInput, Scope};
use pathway_persistence::api_client as store;
use pathway_persistence::{DatabaseConnection, secret};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, BodyErrors, Forbidden, NotFound, Unprocessable};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "client_id": "019a8f40-0000-7000-8000-0000000000a7", "name": "iTrent HR", "scopes": ["learners:sync"],
    "created_at": "2026-11-23T09:00:00Z", "revoked_at": null
}))]
pub struct ClientView {
    /// The client's id: `client_id` at `POST /oauth/token`, and the Basic auth user name.
    pub client_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    /// When it stopped getting tokens; null while it may.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiClient> for ClientView {
    fn from(client: ApiClient) -> Self {
        Self {
            client_id: client.id,
            name: client.details.name,
            scopes: client.details.scopes,
            created_at: client.created_at,
            revoked_at: client.revoked_at,
        }
    }
}

/// A newly registered client, with its secret: shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "client_id": "019a8f40-0000-7000-8000-0000000000a7", "name": "iTrent HR", "scopes": ["learners:sync"],
    "created_at": "2026-11-23T09:00:00Z", "revoked_at": null,
    "client_secret": "b0S3pS0m3R4nd0mS3cr3tTh4tIsF0rty-Thr33Ch4rs"
}))]
pub struct RegisteredClientView {
    #[serde(flatten)]
    pub client: ClientView,
    /// Store it in the client system's secret store now: Pathway keeps only a hash.
    pub client_secret: String,
}

/// Register an integration client; the answer holds its secret, shown only this once.
///
/// Admins only. The client gets the scopes named and nothing else; keep `client_secret` in the
/// integration's own secret store, since Pathway keeps only its hash.
#[utoipa::path(operation_id = "create_api_client", tag = "integrations",
    request_body = ClientInput,
    responses((status = 201, description = "Registered; `client_secret` is in this answer only", body = RegisteredClientView, headers(("Location" = String, description = "Where the new resource is"))),
        BodyErrors, Forbidden))]
#[post("/v1/api-clients")]
pub async fn create_client(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    let details = ClientDetails::parse(body.into_inner())?;
    let client_secret = secret::generate();
    let to_hash = client_secret.clone();
    let hash = web::block(move || secret::hash(&to_hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let client = store::create(&db, details, hash, &caller.actor()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/api-clients/{}", client.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(RegisteredClientView {
            client: client.into(),
            client_secret,
        }))
}

/// List integration clients, oldest first; secrets are never shown.
///
/// Admins only. Revoked clients are listed too, with the time they were revoked.
#[utoipa::path(operation_id = "list_api_clients", tag = "integrations",
    params(PageQuery),
    responses((status = 200, description = "A page of clients", body = PageView<ClientView>),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/api-clients")]
pub async fn list_clients(
    _: Admin,
    db: Data<DatabaseConnection>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<ClientView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::list(&db, page).await?,
        ClientView::from,
    )))
}

/// Read one integration client.
///
/// Admins only. Shows the client's name, scopes and whether it is revoked; never its secret.
#[utoipa::path(operation_id = "get_api_client", tag = "integrations",
    params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "The client", body = ClientView),
        Forbidden, NotFound))]
#[get("/v1/api-clients/{id}")]
pub async fn get_client(
    _: Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<ClientView>, ApiError> {
    Ok(Json(
        store::get(db.get_ref(), id.into_inner()).await?.into(),
    ))
}

/// Revoke a client: from now on it gets no tokens. Revoking again changes nothing.
///
/// Admins only. The client's secret, the tokens it already holds and its provisioning tokens
/// all stop working at once, in every server process. The client's record and audit trail
/// stay.
#[utoipa::path(operation_id = "revoke_api_client", tag = "integrations",
    params(("id" = Uuid, Path, description = "The client's id")),
    responses((status = 200, description = "Revoked", body = ClientView),
        Forbidden, NotFound))]
#[post("/v1/api-clients/{id}/revoke")]
pub async fn revoke_client(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<Json<ClientView>, ApiError> {
    Ok(Json(
        store::revoke(&db, id.into_inner(), &caller.actor())
            .await?
            .into(),
    ))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_clients)
        .service(create_client)
        .service(get_client)
        .service(revoke_client);
}
