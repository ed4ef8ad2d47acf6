//! What a request may bring in: its body arrives within its endpoint's size limit and a
//! deadline, before any handler reads it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::rt::time::timeout;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{Error, HttpMessage, ResponseError};
use futures_util::StreamExt;
use std::time::Duration;

use crate::Guards;
use crate::error::ApiError;

/// How long a body may take to arrive unless configured otherwise: a minute, time enough for
/// the largest HR file on a slow link.
pub const DEFAULT_BODY_DEADLINE: Duration = Duration::from_secs(60);

/// The most a body may be, by where it goes: the same limits the endpoints' extractors apply,
/// so nothing is buffered here that they would refuse.
fn body_limit(path: &str) -> usize {
    if path.starts_with("/v1/integrations/hr/") {
        crate::hr_sync::BODY_LIMIT
    } else if path.starts_with("/xapi/") {
        crate::xapi::BODY_LIMIT
    } else {
        crate::BODY_LIMIT
    }
}

/// Reads a request's body before its handler does, refusing it when it is over its endpoint's
/// limit (413) or is not sent within the deadline (408).
pub async fn read_body(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if has_body(&request) {
        let limit = body_limit(request.path());
        // A client trickling a byte every three seconds held a connection and its buffer for
        // as long as it liked.
        let deadline = request
            .app_data::<Data<Guards>>()
            .map_or(DEFAULT_BODY_DEADLINE, |guards| guards.body_deadline);
        let body = match read(request.take_payload(), limit, deadline).await {
            Ok(body) => body,
            Err(error) => return Ok(refused(request, error)),
        };
        request.set_payload(Payload::from(body));
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn refused<B>(request: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
    request
        .into_response(error.error_response())
        .map_into_right_body()
}

fn has_body(request: &ServiceRequest) -> bool {
    let headers = request.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

async fn read(mut payload: Payload, limit: usize, deadline: Duration) -> Result<Bytes, ApiError> {
    let whole = async {
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|_| ApiError::Malformed("the request body could not be read".into()))?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(format!(
                    "the body must be at most {limit} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    timeout(deadline, whole)
        .await
        .unwrap_or(Err(ApiError::BodyTimeout(deadline.as_secs())))
}
