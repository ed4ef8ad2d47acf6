//! `Idempotency-Key` on integration POSTs: a retry with the same key and body gets the first
//! answer again, with no second effect; the same key with another body is refused (422).

use actix_web::body::{BoxBody, to_bytes};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use pathway_persistence::change::Change;
use pathway_persistence::effects::write;
use pathway_persistence::idempotency::{self, Answer, Claim};
use pathway_persistence::{DatabaseConnection, StoreError};

use crate::auth::Caller;
use crate::error::ApiError;

pub const HEADER: &str = "Idempotency-Key";
/// The key as the contract states it: 1 to 255 visible ASCII characters.
pub const KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// Runs `work` as one change, once per key: the caller's first request with a key does the
/// work, and its answer is kept in the same transaction; a retry gets that answer, marked
/// `Idempotent-Replayed: true`. A refusal (4xx) is kept too; a 5xx is not, and neither is a
/// request cut short, so a retry after either does the work. Without the header the work
/// simply runs.
pub async fn once<E>(
    req: &HttpRequest,
    db: &DatabaseConnection,
    caller: &Caller,
    body: &[u8],
    work: impl AsyncFnOnce(&Change) -> Result<HttpResponse, E>,
) -> Result<HttpResponse, E>
where
    E: ResponseError + From<StoreError> + From<ApiError>,
{
    let Some(key) = req.headers().get(HEADER) else {
        return write(db, &caller.actor(), work).await;
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::Malformed("Idempotency-Key must be 1 to 255 visible ASCII characters".into())
        })?;
    let fingerprint = idempotency::fingerprint(req.method().as_str(), &req.uri().to_string(), body);
    let subject = caller.subject.as_str();
    let done: Result<HttpResponse, E> = write(db, &caller.actor(), async |change: &Change| {
        if let Claim::Replay(answer) =
            idempotency::claim(change, subject, key, &fingerprint).await?
        {
            return Ok(replay(answer));
        }
        let (response, answer) = kept(work(change).await?).await?;
        idempotency::finish(change, subject, key, answer).await?;
        Ok(response)
    })
    .await;
    let refusal = match done {
        Ok(response) => return Ok(response),
        Err(error) if error.status_code().is_client_error() => error.error_response(),
        Err(error) => return Err(error),
    };
    let (response, answer) = kept(refusal).await?;
    idempotency::remember(db, subject, key, &fingerprint, answer).await?;
    Ok(response)
}

/// The response, and what of it is kept for replays.
async fn kept(response: HttpResponse) -> Result<(HttpResponse, Answer), ApiError> {
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
    Ok((response.set_body(BoxBody::new(bytes)), answer))
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
