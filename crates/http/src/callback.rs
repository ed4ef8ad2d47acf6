//! `POST /v1/integrations/elearning/callbacks/{provider}`: completions from e-learning
//! platforms that send signed webhooks (Standard Webhooks) rather than xAPI.

use actix_web::HttpRequest;
use actix_web::post;
use actix_web::web::{Bytes, Data, Json, Path};
use chrono::{DateTime, Utc};
use pathway_domain::audit::Actor;
use pathway_domain::calendar::london_date;
use pathway_domain::signed_callback::{self, Headers, Refusal};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::callback::{self as store, Delivery, Reported};
use pathway_persistence::effects::write;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::{ApiError, Problem};
use crate::responses::{BadRequest, Unavailable, Unprocessable};

/// Each provider's `whsec_` secret, from `PATHWAY_CALLBACK_SECRETS`.
#[derive(Debug, Clone, Default)]
pub struct CallbackSecrets(pub Vec<(String, String)>);

impl CallbackSecrets {
    fn of(&self, provider: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == provider)
            .map(|(_, secret)| secret.as_str())
    }
}

/// A completion, as the platform reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"learner_ref": "E10442", "course_ref": "GDPR", "completed_at": "2026-11-20T14:03:00Z", "score": 92}))]
pub struct CallbackPayload {
    /// The learner's HR reference (`external_ref`), or their email address.
    pub learner_ref: String,
    /// The course's code in Pathway.
    pub course_ref: String,
    /// When the learner finished; the London day of it is the completion's.
    pub completed_at: DateTime<Utc>,
    /// 0 to 100, when the course is scored.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<i32>,
}

/// What a delivery did: `recorded`, `already_recorded` (the learner has this completion from
/// an earlier report), or `duplicate` (this webhook-id was delivered before).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "recorded", "completion_id": "019a8f40-0000-7000-8000-0000000000c9"}))]
pub struct DeliveryView {
    pub status: &'static str,
    pub completion_id: Option<Uuid>,
}

/// Report a completion with a Standard Webhooks signed callback.
///
/// Sign as Standard Webhooks does: `webhook-id`, `webhook-timestamp` (seconds; within five
/// minutes of Pathway's clock) and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of
/// `{webhook-id}.{webhook-timestamp}.{body}` under the provider's `whsec_` secret). A missing
/// or bad signature, an unknown provider or a stale timestamp is 401 and nothing is stored;
/// a webhook-id delivered before is acknowledged (`duplicate`) with no second effect.
#[utoipa::path(operation_id = "receive_completion_callback", tag = "integrations",
    params(
        ("provider" = String, Path, description = "The platform's name, as configured in PATHWAY_CALLBACK_SECRETS"),
        ("webhook-id" = String, Header, description = "The delivery's unique id; a replay carries the same"),
        ("webhook-timestamp" = String, Header, description = "Seconds since 1970 when it was signed"),
        ("webhook-signature" = String, Header, description = "Space-separated `v1,<base64 signature>` values"),
    ),
    request_body = CallbackPayload,
    responses((status = 200, description = "Applied, or acknowledged as a duplicate", body = DeliveryView),
        BadRequest, Unprocessable, Unavailable,
        (status = 401, description = "Unknown provider, missing or bad signature, or a stale timestamp; nothing stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(()))]
#[post("/v1/integrations/elearning/callbacks/{provider}")]
pub async fn receive(
    secrets: Data<CallbackSecrets>,
    db: Data<DatabaseConnection>,
    provider: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<Json<DeliveryView>, ApiError> {
    let provider = provider.into_inner();
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let headers = Headers {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    let secret = secrets.of(&provider).ok_or(ApiError::Unauthenticated(
        "no callback provider has this name",
    ))?;
    let webhook_id = signed_callback::verify(secret, headers, &body, Utc::now().timestamp())
        .map_err(|refusal| {
            tracing::info!(%provider, %refusal, "callback refused");
            ApiError::Unauthenticated(match refusal {
                Refusal::Missing(_) => {
                    "sign with the webhook-id, webhook-timestamp and webhook-signature headers"
                }
                Refusal::BadTimestamp | Refusal::Stale => {
                    "webhook-timestamp must be within five minutes of now"
                }
                Refusal::NoMatch | Refusal::BadSecret => "the callback's signature does not verify",
                Refusal::TooManySignatures => "send at most five signatures in webhook-signature",
            })
        })?;
    let payload: CallbackPayload = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Malformed(format!("the body cannot be read: {e}")))?;
    let actor = Actor {
        subject: format!("callback:{provider}"),
        request_id: None,
    };
    let reported = Reported {
        learner_ref: payload.learner_ref,
        course_ref: payload.course_ref,
        completed_on: london_date(payload.completed_at),
        score: payload.score,
    };
    let today = london_date(Utc::now());
    let view = match write(&db, &actor, async |change| {
        store::deliver(change, &provider, webhook_id, reported, today).await
    })
    .await?
    {
        Delivery::Applied(Some(completion)) => DeliveryView {
            status: "recorded",
            completion_id: Some(completion.id),
        },
        Delivery::Applied(None) => DeliveryView {
            status: "already_recorded",
            completion_id: None,
        },
        Delivery::Replayed => DeliveryView {
            status: "duplicate",
            completion_id: None,
        },
    };
    Ok(Json(view))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(receive);
}
