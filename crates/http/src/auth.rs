//! Bearer tokens: who is calling, and what they may do.

use std::future::{Ready, ready};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use pathway_domain::api_client::Scope;
use pathway_domain::audit::Actor;
use pathway_domain::learner::Learner;
use pathway_domain::provisioning_token::{self, TokenHasher};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pathway_persistence::{
    DatabaseConnection, StoreError, api_client, provisioning_token as tokens,
};

use crate::error::ApiError;
use crate::rate_limit::{self, Kind};
use crate::request_id::RequestId;

/// The people-facing roles of the design: the L&D team and Members Services are `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Manager,
    Learner,
    PanelMember,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Learner, Role::PanelMember];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Learner => "learner",
            Role::PanelMember => "panel_member",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| {
                format!("unknown role {raw:?}: use admin, manager, learner or panel_member")
            })
    }
}

/// The claims Pathway reads. `roles` and `scope` may be absent; unknown roles are ignored so an
/// identity provider can carry roles meant for other systems.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// `aud` as RFC 7519 allows it: one audience, or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// What a verified token says, by who issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bearer {
    /// A person, from the identity provider or signed with the shared secret: roles, and never
    /// scopes, so a person's token cannot be dressed up as an integration's.
    Person { subject: String, roles: Vec<Role> },
    /// An integration client, from Pathway's own token endpoint: scopes, and never roles.
    Client {
        client_id: Uuid,
        scopes: Vec<String>,
    },
}

/// The longest a token may last from its issue unless configured otherwise: a day, which is
/// more than identity providers give (an hour, commonly) and less than a leaked token is worth.
pub const DEFAULT_MAX_LIFETIME_SECONDS: u64 = 86_400;

/// How tokens are verified: the key and the one algorithm it is pinned to, and the issuer and
/// audience to insist on when configured.
pub struct TokenKeys {
    decoding: DecodingKey,
    validation: Validation,
    issuing: Option<Issuing>,
    max_lifetime: u64,
}

/// How Pathway signs and checks the tokens it gives integration clients itself.
struct Issuing {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    provisioning: TokenHasher,
}

/// The `iss` and `aud` of the tokens Pathway gives integration clients.
pub const CLIENT_TOKEN_ISSUER: &str = "pathway";
pub const CLIENT_TOKEN_AUDIENCE: &str = "pathway-integrations";

/// Why a verification key could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("the JWT key is not usable: {0}")]
pub struct KeyError(String);

impl TokenKeys {
    /// Verifies HS256 tokens signed with a shared secret.
    pub fn shared_secret(secret: &[u8], issuer: Option<&str>, audience: Option<&str>) -> Self {
        Self::new(
            DecodingKey::from_secret(secret),
            Algorithm::HS256,
            issuer,
            audience,
        )
    }

    /// Verifies RS256 or ES256 tokens from the council's identity provider, by the public key
    /// in a PEM file: the key's type decides the algorithm.
    pub fn public_key(
        pem: &[u8],
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Result<Self, KeyError> {
        let (decoding, algorithm) = match DecodingKey::from_rsa_pem(pem) {
            Ok(key) => (key, Algorithm::RS256),
            Err(_) => (
                DecodingKey::from_ec_pem(pem)
                    .map_err(|e| KeyError(format!("neither an RSA nor an EC public key: {e}")))?,
                Algorithm::ES256,
            ),
        };
        Ok(Self::new(decoding, algorithm, issuer, audience))
    }

    fn new(
        decoding: DecodingKey,
        algorithm: Algorithm,
        issuer: Option<&str>,
        audience: Option<&str>,
    ) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.validate_nbf = true;
        validation.leeway = 30;
        // A configured issuer or audience is a claim the token must carry, not one it may omit.
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            decoding,
            validation,
            issuing: None,
            max_lifetime: DEFAULT_MAX_LIFETIME_SECONDS,
        }
    }

    /// Refuses tokens that last longer than `seconds` from their issue (or from now, for a
    /// token that does not say when it was issued).
    pub fn max_lifetime(mut self, seconds: u64) -> Self {
        self.max_lifetime = seconds;
        self
    }

    /// Also issues HS256 tokens to integration clients, signed with `secret`, and accepts
    /// them back.
    pub fn issuing_with(mut self, secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[CLIENT_TOKEN_ISSUER]);
        validation.set_audience(&[CLIENT_TOKEN_AUDIENCE]);
        self.issuing = Some(Issuing {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            provisioning: TokenHasher::new(secret),
        });
        self
    }

    /// What is stored for a provisioning token; `None` when no signing secret is configured,
    /// since provisioning tokens are hashed under a key derived from it.
    pub fn provisioning_hash(&self, token: &str) -> Option<String> {
        Some(self.issuing.as_ref()?.provisioning.hash(token))
    }

    /// Signs a token for an integration client; `None` when no signing secret is configured.
    pub fn issue(&self, subject: &str, scope: &str, lifetime_seconds: u64) -> Option<String> {
        let issuing = self.issuing.as_ref()?;
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            roles: Vec::new(),
            scope: Some(scope.to_owned()),
            exp: now + lifetime_seconds,
            nbf: None,
            iat: Some(now),
            iss: Some(CLIENT_TOKEN_ISSUER.to_owned()),
            aud: Some(Audience::One(CLIENT_TOKEN_AUDIENCE.to_owned())),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &issuing.encoding).ok()
    }

    /// Checks a bearer token and says whose it is. Pathway's own integration tokens are tried
    /// first; a token that claims to be one and is not well formed is refused, never read again
    /// as a person's.
    pub fn verify(&self, token: &str) -> Result<Bearer, ApiError> {
        let refused = || ApiError::Unauthenticated("the bearer token is invalid or expired");
        let own = self.issuing.as_ref().and_then(|issuing| {
            decode::<Claims>(token, &issuing.decoding, &issuing.validation).ok()
        });
        if let Some(data) = own {
            return self.client(data.claims);
        }
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|error| {
                tracing::debug!(%error, "token refused");
                refused()
            })?
            .claims;
        self.person(claims)
    }

    fn client(&self, claims: Claims) -> Result<Bearer, ApiError> {
        self.check_lifetime(&claims)?;
        let client_id = claims
            .sub
            .strip_prefix(CLIENT_SUBJECT_PREFIX)
            .and_then(|id| id.parse().ok());
        match client_id {
            Some(client_id) if claims.roles.is_empty() => Ok(Bearer::Client {
                client_id,
                scopes: claims
                    .scope
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            }),
            _ => Err(ApiError::Unauthenticated(
                "an integration token names a client and carries no roles",
            )),
        }
    }

    fn person(&self, claims: Claims) -> Result<Bearer, ApiError> {
        self.check_lifetime(&claims)?;
        let dressed_as_integration = claims.iss.as_deref() == Some(CLIENT_TOKEN_ISSUER)
            || claims
                .aud
                .as_ref()
                .is_some_and(|aud| aud.names(CLIENT_TOKEN_AUDIENCE))
            || claims.sub.starts_with(CLIENT_SUBJECT_PREFIX);
        if dressed_as_integration {
            return Err(ApiError::Unauthenticated(
                "integration tokens come from /oauth/token; this one was not issued there",
            ));
        }
        Ok(Bearer::Person {
            subject: claims.sub,
            roles: claims.roles.iter().filter_map(|r| r.parse().ok()).collect(),
        })
    }

    fn check_lifetime(&self, claims: &Claims) -> Result<(), ApiError> {
        let now = jsonwebtoken::get_current_timestamp();
        let issued = claims.iat.unwrap_or(now);
        let lasts = Ord::max(
            claims.exp.saturating_sub(issued),
            claims.exp.saturating_sub(now),
        );
        if lasts > self.max_lifetime {
            return Err(ApiError::Unauthenticated(
                "the bearer token lasts longer than this server accepts",
            ));
        }
        Ok(())
    }
}

/// Signs an HS256 token with a shared secret: the development helper behind `pathway token`,
/// and how tests get tokens.
pub fn sign(secret: &[u8], claims: &Claims) -> Result<String, KeyError> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| KeyError(e.to_string()))
}

/// The authenticated caller of a request. Taking it as a handler argument is what makes an
/// endpoint require a token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub roles: Vec<Role>,
    pub scopes: Vec<String>,
    request_id: Option<String>,
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Refuses the request unless the caller holds `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your role does not allow this"))
        }
    }

    /// Refuses the request unless the caller's token carries `scope`, or the caller is an admin
    /// doing by hand what an integration does.
    pub fn may(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has(Role::Admin) || self.scopes.iter().any(|s| s == scope.as_str()) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this needs a token with the right scope (or an admin's)",
            ))
        }
    }

    /// The learner a person's token stands for (`sub`), when it is one.
    pub fn learner_id(&self) -> Option<Uuid> {
        self.subject.parse().ok()
    }

    /// Admins see everyone's records; a person sees their own; a manager also their reports'.
    pub fn may_see(&self, learner: &Learner) -> Result<(), ApiError> {
        self.may_see_record_of(learner.id, learner.profile.manager_id)
    }

    /// As `may_see`, for a record known by its learner and their manager.
    pub fn may_see_record_of(
        &self,
        learner_id: Uuid,
        manager_id: Option<Uuid>,
    ) -> Result<(), ApiError> {
        let me = self.learner_id();
        let allowed = self.has(Role::Admin)
            || me == Some(learner_id)
            || (self.has(Role::Manager) && me.is_some() && manager_id == me);
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "you may see only your own records and your reports'",
            ))
        }
    }

    /// Who is acting, for the audit trail.
    pub fn actor(&self) -> Actor {
        Actor {
            subject: self.subject.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// The subject of an integration client's token starts with this; a person's is their id.
pub const CLIENT_SUBJECT_PREFIX: &str = "client:";

impl Caller {
    /// Whether the token is an integration client's rather than a person's.
    pub fn is_client(&self) -> bool {
        self.subject.starts_with(CLIENT_SUBJECT_PREFIX)
    }

    /// An integration client that presented its id and secret itself (HTTP Basic, as xAPI
    /// clients do) rather than a token, holding every scope it was granted.
    pub(crate) fn of_client(req: &HttpRequest, client_id: Uuid, scopes: &[Scope]) -> Self {
        Caller {
            subject: format!("{CLIENT_SUBJECT_PREFIX}{client_id}"),
            roles: Vec::new(),
            scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
        }
    }

    /// The integration client a token or HTTP Basic stands for, when it is one.
    pub fn client_id(&self) -> Option<Uuid> {
        self.subject
            .strip_prefix(CLIENT_SUBJECT_PREFIX)
            .and_then(|id| id.parse().ok())
    }

    fn from_token(req: &HttpRequest) -> Result<Self, ApiError> {
        let keys = req
            .app_data::<Data<TokenKeys>>()
            .expect("token keys are configured at start");
        let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
        let token = bearer(req)?;
        if token.starts_with(provisioning_token::PREFIX) {
            return Err(ApiError::Forbidden(CLIENTS_ONLY));
        }
        Ok(match keys.verify(token)? {
            Bearer::Person { subject, roles } => {
                rate_limit::count(req, Kind::Person, &subject)?;
                Caller {
                    subject,
                    roles,
                    scopes: Vec::new(),
                    request_id,
                }
            }
            Bearer::Client { client_id, scopes } => {
                rate_limit::count(req, Kind::Client, &client_id.to_string())?;
                Caller {
                    subject: format!("{CLIENT_SUBJECT_PREFIX}{client_id}"),
                    roles: Vec::new(),
                    scopes,
                    request_id,
                }
            }
        })
    }
}

/// A person: an integration client's token opens only the integration endpoints.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Caller::from_token(req).and_then(|caller| {
            if caller.is_client() {
                Err(ApiError::Forbidden(CLIENTS_ONLY))
            } else {
                Ok(caller)
            }
        }))
    }
}

const CLIENTS_ONLY: &str = "an integration client's token opens only the integration endpoints";

/// Whoever calls an integration endpoint: an integration client, or a person (an admin doing
/// the same by hand). The endpoint still checks the scope with [`Caller::may`].
#[derive(Debug, Clone)]
pub struct Integration(pub Caller);

/// A client's token stops working the moment the client is revoked: one read by primary key
/// per request, in the database every server process shares. A provisioning token is looked up
/// by its hash, and stops the moment it or its client is revoked, or its last day ends.
impl FromRequest for Integration {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let db = req.app_data::<Data<DatabaseConnection>>().cloned();
        let provisioning = bearer(req)
            .ok()
            .filter(|token| token.starts_with(provisioning_token::PREFIX))
            .map(|token| {
                req.app_data::<Data<TokenKeys>>()
                    .and_then(|keys| keys.provisioning_hash(token))
            });
        if let Some(hash) = provisioning {
            let req = req.clone();
            return Box::pin(async move {
                let (Some(hash), Some(db)) = (hash, db) else {
                    return Err(ApiError::Unauthenticated(UNKNOWN_PROVISIONING_TOKEN));
                };
                let token = tokens::presented(db.get_ref(), &hash, chrono::Utc::now())
                    .await?
                    .ok_or(ApiError::Unauthenticated(UNKNOWN_PROVISIONING_TOKEN))?;
                rate_limit::count(&req, Kind::Client, &token.client_id.to_string())?;
                Ok(Integration(Caller::of_client(
                    &req,
                    token.client_id,
                    &token.details.scopes,
                )))
            });
        }
        let caller = Caller::from_token(req);
        Box::pin(async move {
            let caller = caller?;
            if let (Some(client_id), Some(db)) = (caller.client_id(), db) {
                let client = api_client::get(db.get_ref(), client_id)
                    .await
                    .map_err(|error| match error {
                        StoreError::NotFound(_) => ApiError::Unauthenticated(REVOKED),
                        other => ApiError::from(other),
                    })?;
                if client.revoked_at.is_some() {
                    return Err(ApiError::Unauthenticated(REVOKED));
                }
            }
            Ok(Integration(caller))
        })
    }
}

const UNKNOWN_PROVISIONING_TOKEN: &str = "the provisioning token is unknown, revoked or expired";
const REVOKED: &str = "the integration client is revoked";

fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated(
            "send an Authorization: Bearer <token> header",
        ))?;
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "the Authorization header must be Bearer <token>",
        ))
}

/// A caller holding the `admin` role. Taking it as a handler argument refuses everyone else
/// with 403 before the body is even read, so a refusal never depends on the body's shape.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload).into_inner();
        ready(caller.and_then(|caller| caller.require(Role::Admin).map(|()| Admin(caller))))
    }
}

/// A caller who governs the programme: an admin, or a member of the advisory panel. Taking it
/// as a handler argument refuses everyone else with 403.
#[derive(Debug, Clone)]
pub struct Governor(pub Caller);

impl Governor {
    pub fn holds(caller: &Caller) -> bool {
        caller.has(Role::Admin) || caller.has(Role::PanelMember)
    }
}

impl FromRequest for Governor {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload).into_inner();
        ready(caller.and_then(|caller| {
            if Governor::holds(&caller) {
                Ok(Governor(caller))
            } else {
                Err(ApiError::Forbidden(
                    "only admins and members of the advisory panel may do this",
                ))
            }
        }))
    }
}
