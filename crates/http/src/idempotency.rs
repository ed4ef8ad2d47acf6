//! `Idempotency-Key` on integration POSTs: a retry with the same key and body gets the first
//! answer again, with no second effect; the same key with another body is refused (422).

use std::future::Future;

use actix_web::body::{BoxBody, to_bytes};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::idempotency::{self, Answer, Claim};

use crate::auth::Caller;
use crate::error::ApiError;

pub const HEADER: &str = "Idempotency-Key";
/// The key as the contract states it: 1 to 255 visible ASCII characters.
pub const KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// Runs `work` once per key: the caller's first request with a key does the work and its
/// answer is kept; a retry gets that answer, marked `Idempotent-Replayed: true`. Without the
/// header the work simply runs. A 5xx is not kept, so a retry after one does the work.
pub async fn once<F, Fut>(
    req: &HttpRequest,
    db: &DatabaseConnection,
    caller: &Caller,
    body: &[u8],
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let Some(key) = req.headers().get(HEADER) else {
        return work().await;
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::Malformed("Idempotency-Key must be 1 to 255 visible ASCII characters".into())
        })?;
    let fingerprint = idempotency::fingerprint(req.method().as_str(), &req.uri().to_string(), body);
    match idempotency::claim(db, &caller.subject, key, &fingerprint).await? {
        Claim::Replay(answer) => Ok(replay(answer)),
        Claim::Fresh => {
            let response = work().await.unwrap_or_else(|e| e.error_response());
            if response.status().is_server_error() {
                idempotency::release(db, &caller.subject, key).await?;
                return Ok(response);
            }
            let (response, body) = response.into_parts();
            let bytes = to_bytes(body)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let answer = Answer {
                status: response.status().as_u16(),
                content_type: response
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            };
            idempotency::finish(db, &caller.subject, key, answer).await?;
            Ok(response.set_body(BoxBody::new(bytes)))
        }
    }
}

fn replay(answer: Answer) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK));
    response.insert_header(("Idempotent-Replayed", "true"));
    if let Some(content_type) = answer.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type));
    }
    response.body(answer.body)
}
