//! `/v1/api-clients/{id}/provisioning-tokens`: long-lived bearer tokens for identity providers
//! that take a token pasted once (Entra ID's "Secret Token", Okta's "HTTP Header" bearer).

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpResponse, get, post};
use chrono::{DateTime, Utc};
use pathway_domain::api_client::Scope;
use pathway_domain::calendar::london_date;
use pathway_domain::provisioning_token::{PREFIX, ProvisioningToken, ProvisioningTokenInput};
use pathway_persistence::provisioning_token as store;
use pathway_persistence::{DatabaseConnection, secret};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Admin, TokenKeys};
use crate::error::{ApiError, Problem};
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, BodyErrors, Forbidden, NotFound, Unprocessable};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000b1", "client_id": "019a8f40-0000-7000-8000-0000000000a7",
    "name": "Entra ID provisioning", "scopes": ["learners:sync"], "expires_at": "2027-12-01T00:00:00Z",
    "created_at": "2026-12-03T09:00:00Z", "last_used_at": "2026-12-03T09:05:00Z", "revoked_at": null
}))]
pub struct ProvisioningTokenView {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The first moment it no longer works: the start of the day after its last day, London
    /// time.
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// When it last opened a request, to the minute; null until it has.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; null while it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ProvisioningToken> for ProvisioningTokenView {
    fn from(token: ProvisioningToken) -> Self {
        Self {
            id: token.id,
            client_id: token.client_id,
            name: token.details.name,
            scopes: token.details.scopes,
            expires_at: token.details.expires_at,
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            revoked_at: token.revoked_at,
        }
    }
}

/// A newly issued token, with the token itself: shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000b1", "client_id": "019a8f40-0000-7000-8000-0000000000a7",
    "name": "Entra ID provisioning", "scopes": ["learners:sync"], "expires_at": "2027-12-01T00:00:00Z",
    "created_at": "2026-12-03T09:00:00Z", "last_used_at": null, "revoked_at": null,
    "token": "pathway_pt_b0S3pS0m3R4nd0mS3cr3tTh4tIsF0rty-Thr33Ch4rs"
}))]
pub struct IssuedTokenView {
    #[serde(flatten)]
    pub details: ProvisioningTokenView,
    /// Paste it into the identity provider now: Pathway keeps only a hash. Sent as
    /// `Authorization: Bearer <token>`.
    pub token: String,
}

/// Issue a provisioning token for a client; the answer holds the token, shown only this once.
///
/// Admins only. For an identity provider that takes one bearer token pasted into its set-up
/// (Entra ID, Okta) rather than fetching its own from `/oauth/token`. The token holds the
/// client's scopes, or those named (no others), opens the integration endpoints (SCIM, the HR
/// sync, completions, xAPI) as the client, and works until the end of `expires_on` (at most two
/// years ahead) unless it or its client is revoked first.
#[utoipa::path(operation_id = "create_provisioning_token", tag = "integrations",
    params(("id" = Uuid, Path, description = "The client's id")),
    request_body = ProvisioningTokenInput,
    responses((status = 201, description = "Issued; `token` is in this answer only", body = IssuedTokenView, headers(("Location" = String, description = "Where the new resource is"))),
        (status = 409, description = "The client is revoked", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "This server has no signing secret to hash tokens with (`PATHWAY_JWT_SECRET`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors, Forbidden, NotFound))]
#[post("/v1/api-clients/{id}/provisioning-tokens")]
pub async fn create_token(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    keys: Data<TokenKeys>,
    id: Path<Uuid>,
    body: Json<ProvisioningTokenInput>,
) -> Result<HttpResponse, ApiError> {
    let token = format!("{PREFIX}{}", secret::generate());
    let hash = keys
        .provisioning_hash(&token)
        .ok_or(ApiError::Unconfigured(NO_SIGNING_SECRET))?;
    let today = london_date(Utc::now());
    let issued = store::create(
        &db,
        id.into_inner(),
        body.into_inner(),
        today,
        hash,
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!(
                "/v1/api-clients/{}/provisioning-tokens/{}",
                issued.client_id, issued.id
            ),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .json(IssuedTokenView {
            details: issued.into(),
            token,
        }))
}

const NO_SIGNING_SECRET: &str = "provisioning tokens are hashed under the signing secret, and this server has none: set PATHWAY_JWT_SECRET";

/// List a client's provisioning tokens, oldest first; the tokens themselves are never shown.
///
/// Admins only. Revoked and expired tokens are listed too, and each says when it last opened a
/// request, so a token no system uses any more can be found and revoked.
#[utoipa::path(operation_id = "list_provisioning_tokens", tag = "integrations",
    params(("id" = Uuid, Path, description = "The client's id"), PageQuery),
    responses((status = 200, description = "A page of the client's tokens", body = PageView<ProvisioningTokenView>),
        BadRequest, Forbidden, NotFound, Unprocessable))]
#[get("/v1/api-clients/{id}/provisioning-tokens")]
pub async fn list_tokens(
    _: Admin,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<ProvisioningTokenView>>, ApiError> {
    let page = page.request()?;
    Ok(Json(PageView::from_page(
        store::list(&db, id.into_inner(), page).await?,
        ProvisioningTokenView::from,
    )))
}

/// Revoke a provisioning token: it stops working at once. Revoking again changes nothing.
///
/// Admins only. Every server process refuses it from its next request. The client and its
/// other tokens go on working; revoking the client ends all of them.
#[utoipa::path(operation_id = "revoke_provisioning_token", tag = "integrations",
    params(("id" = Uuid, Path, description = "The client's id"),
        ("token_id" = Uuid, Path, description = "The token's id")),
    responses((status = 200, description = "Revoked", body = ProvisioningTokenView),
        Forbidden, NotFound))]
#[post("/v1/api-clients/{id}/provisioning-tokens/{token_id}/revoke")]
pub async fn revoke_token(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    ids: Path<(Uuid, Uuid)>,
) -> Result<Json<ProvisioningTokenView>, ApiError> {
    let (client_id, token_id) = ids.into_inner();
    Ok(Json(
        store::revoke(&db, client_id, token_id, &caller.actor())
            .await?
            .into(),
    ))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_tokens)
        .service(create_token)
        .service(revoke_token);
}
