//! `POST /oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 section 4.4), so an
//! integration gets short-lived tokens without a person copying one by hand.

use std::sync::OnceLock;

use actix_web::http::{StatusCode, header};
use actix_web::post;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pathway_domain::api_client::{ApiClient, Refusal, scope_claim};
use pathway_persistence::{DatabaseConnection, api_client, secret};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{CLIENT_SUBJECT_PREFIX, TokenKeys};
use crate::credentials::{CredentialGuard, Held};

/// How long a client's token lasts: long enough for a sync, short enough that revoking a
/// client shuts it out soon.
pub const TOKEN_LIFETIME_SECONDS: u64 = 900;

/// The form a client posts (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"grant_type": "client_credentials", "scope": "learners:sync"}))]
pub struct TokenRequest {
    /// Always `client_credentials`.
    pub grant_type: Option<String>,
    /// Space-separated scopes, none beyond the client's grant; all of them when absent.
    pub scope: Option<String>,
    /// With `client_secret`, instead of HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9...", "token_type": "Bearer", "expires_in": 900, "scope": "learners:sync"}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub scope: String,
}

/// An error as RFC 6749 section 5.2 has it: what OAuth client libraries expect.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, `invalid_scope`, or
    /// `temporarily_unavailable`.
    pub error: &'static str,
    pub error_description: String,
}

fn refuse(status: StatusCode, error: &'static str, description: impl Into<String>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"pathway\""));
    }
    response.json(OAuthError {
        error,
        error_description: description.into(),
    })
}

/// Get a token for an integration client (OAuth 2.0 client credentials).
///
/// Authenticate with HTTP Basic (`client_id:client_secret`), or with `client_id` and
/// `client_secret` in the form. Errors follow RFC 6749 section 5.2, not problem+json, so
/// OAuth client libraries read them.
#[utoipa::path(tag = "integrations",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "A bearer token", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type` or `invalid_scope`", body = OAuthError),
        (status = 401, description = "`invalid_client`: unknown or revoked client, or a wrong secret", body = OAuthError),
        (status = 429, description = "`invalid_client`: too many failed attempts from this client id or address lately; `Retry-After` says when to try again", body = OAuthError, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`temporarily_unavailable`: no secret to sign tokens with is configured, or the server is busy checking other credentials (then with `Retry-After`)", body = OAuthError),
    ),
    security(()))]
#[post("/oauth/token")]
pub async fn issue_token(
    db: Data<DatabaseConnection>,
    keys: Data<TokenKeys>,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let form_encoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the request form-encoded (application/x-www-form-urlencoded)",
        );
    }
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the form cannot be read",
        );
    };
    if form.grant_type.as_deref() != Some("client_credentials") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        );
    }
    let credentials = match (basic(&req), &form.client_id, &form.client_secret) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "authenticate one way: HTTP Basic or the form, not both",
            );
        }
        (Some(pair), None, None) => Some(pair),
        (None, Some(id), Some(secret)) => Some((id.clone(), secret.clone())),
        _ => None,
    };
    let Some((client_id, client_secret)) = credentials else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authenticate with HTTP Basic client_id:client_secret",
        );
    };
    let client = match authenticate(&req, &db, &client_id, &client_secret).await {
        Ok(client) => client,
        Err(reason) => return unaccepted(reason),
    };
    let scopes = match client.grant(form.scope.as_deref()) {
        Ok(scopes) => scopes,
        Err(Refusal::InvalidClient) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "the client is revoked",
            );
        }
        Err(Refusal::InvalidScope(scope)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                format!("{scope} is not a scope this client was granted"),
            );
        }
    };
    let scope = scope_claim(&scopes);
    let subject = format!("{CLIENT_SUBJECT_PREFIX}{}", client.id);
    let Some(access_token) = keys.issue(&subject, &scope, TOKEN_LIFETIME_SECONDS) else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "this server has no secret to sign client tokens with: set PATHWAY_JWT_SECRET",
        );
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME_SECONDS,
            scope,
        })
}

/// Why a client's id and secret were not taken.
pub(crate) enum Unaccepted {
    /// An unknown client or a wrong secret.
    Wrong,
    /// Not checked: held back after failures, or every verification slot busy.
    Held(Held),
    /// The database did not answer.
    Unavailable,
}

/// The client `client_id` names, if `client_secret` is its secret, checked under the
/// server's [`CredentialGuard`].
pub(crate) async fn authenticate(
    req: &HttpRequest,
    db: &DatabaseConnection,
    client_id: &str,
    client_secret: &str,
) -> Result<ApiClient, Unaccepted> {
    let guard = req
        .app_data::<Data<CredentialGuard>>()
        .expect("the credential guard is set up at start");
    let found = match client_id.parse::<Uuid>() {
        Ok(id) => api_client::credentials(db, id)
            .await
            .map_err(|_| Unaccepted::Unavailable)?,
        Err(_) => None,
    };
    let stored = found.as_ref().map(|(_, hash)| hash.clone());
    // An unknown client costs the same hash check as a known one, so timing tells nothing.
    let checked = stored.clone().unwrap_or_else(|| decoy().to_owned());
    let presented = client_secret.to_owned();
    let matches = guard
        .check(
            client_id,
            req.peer_addr().map(|address| address.ip()),
            client_secret,
            stored.as_deref(),
            move || secret::matches(&presented, &checked),
        )
        .await
        .map_err(Unaccepted::Held)?;
    match found {
        // Whether it may still have tokens is the grant's to say.
        Some((client, _)) if matches => Ok(client),
        _ => Err(Unaccepted::Wrong),
    }
}

/// The OAuth answer to credentials that were not taken.
fn unaccepted(reason: Unaccepted) -> HttpResponse {
    let (status, error, description, retry_after) = match reason {
        Unaccepted::Wrong => (
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret".to_owned(),
            None,
        ),
        Unaccepted::Held(Held::Backoff(wait)) => {
            let seconds = wait.as_secs().max(1);
            (
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_client",
                format!("too many failed attempts; try again in {seconds} seconds"),
                Some(seconds),
            )
        }
        Unaccepted::Held(Held::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the server is busy checking other credentials; try again shortly".to_owned(),
            Some(1),
        ),
        Unaccepted::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "try again shortly".to_owned(),
            None,
        ),
    };
    let mut response = refuse(status, error, description);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

/// A hash no presented secret matches, made once per process.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| secret::hash(&secret::generate()).unwrap_or_default())
}

/// The client id and secret of an HTTP Basic `Authorization` header (RFC 6749 2.3.1: each
/// form-encoded before joining).
pub(crate) fn basic(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|mut pairs| pairs.pop())
            .map(|(_, v)| v)
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(issue_token);
}
