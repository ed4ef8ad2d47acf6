//! What a request may bring in. Its body arrives within its endpoint's size limit and a
//! deadline, and its path, query string and text body hold no control characters: NUL, the
//! other C0 controls and DEL (tab, line feed and carriage return stay, since free text has
//! lines). PostgreSQL cannot store NUL at all (error 22021, a 500 before this) and SQLite would
//! store it silently, so both are spared it here, before any handler.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::rt::time::timeout;
use actix_web::web::Data;
use actix_web::web::{Bytes, BytesMut};
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

/// Refuses a request whose path, query string or text body carries a control character (400),
/// whose body is over its endpoint's limit (413), or is not sent within the deadline (408).
pub async fn refuse(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let uri = request.uri();
    let address = [uri.path(), uri.query().unwrap_or_default()];
    if address.iter().any(|part| encodes_control(part)) {
        return Ok(refused(request, ApiError::Malformed(
            "the path or query string carries a control character (such as %00); none is allowed".into(),
        )));
    }
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
        let controlled = match text_body(&request) {
            Some(TextBody::Json) => json_escapes_control(&body),
            Some(TextBody::Csv) => body.iter().any(|&b| is_control(b.into())),
            None => false,
        };
        if controlled {
            return Ok(refused(request, ApiError::Malformed(
                "the body carries a control character (such as \\u0000); only tab, line feed and carriage return are allowed in text".into(),
            )));
        }
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

enum TextBody {
    Json,
    Csv,
}

fn text_body(request: &ServiceRequest) -> Option<TextBody> {
    let essence = request
        .headers()
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Some(TextBody::Json)
    } else if essence == "text/csv" {
        Some(TextBody::Csv)
    } else {
        None
    }
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

fn is_control(c: u32) -> bool {
    (c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d)) || c == 0x7f
}

/// Whether percent-encoded text (a path or a query string) encodes a control character, or
/// holds one raw.
fn encodes_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(at, &b)| {
        is_control(b.into())
            || (b == b'%'
                && bytes
                    .get(at + 1..at + 3)
                    .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
                    .is_some_and(|decoded| is_control(decoded.into())))
    })
}

/// Whether JSON text writes a control character as an escape (`\u0000`); raw ones are not JSON
/// at all and its parser refuses them.
fn json_escapes_control(json: &[u8]) -> bool {
    let mut at = 0;
    while let Some(offset) = json[at..].iter().position(|&b| b == b'\\') {
        let escape = at + offset;
        if json.get(escape + 1) == Some(&b'u') {
            let code = json
                .get(escape + 2..escape + 6)
                .and_then(|hex| u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
            if code.is_some_and(is_control) {
                return true;
            }
        }
        // Past the escaped character, so `\\u0000` (a backslash, then text) is not mistaken.
        at = escape + 2;
        if at >= json.len() {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_however_they_are_written() {
        assert!(encodes_control("q=Amira%00"));
        assert!(encodes_control("actor=%1b%5B31m"));
        assert!(encodes_control("/v1/learners/%7F"));
        assert!(!encodes_control(
            "q=O%27Brien%20Smith&department=Adult%20Social%20Care"
        ));
        assert!(!encodes_control("note=line%0Aline%09tab"));

        assert!(json_escapes_control(br#"{"given_name": "Amira\u0000"}"#));
        assert!(json_escapes_control(br#"{"a": "\u001B[31m"}"#));
        assert!(!json_escapes_control(
            br#"{"a": "line\nline\u0009tab \u00e9"}"#
        ));
        assert!(!json_escapes_control(br#"{"path": "C:\\u0000"}"#));
        assert!(!json_escapes_control(br#"{"a": "ends with \\"}"#));
    }
}
