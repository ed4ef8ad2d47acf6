//! What a request may bring in: its body arrives within its endpoint's size limit and a
//! deadline, before any handler reads it, and no text in it or in its query string carries a
//! control character. NUL, the other C0 controls and DEL belong in no council record
//! (tab, line feed and carriage return stay: free text has lines); PostgreSQL cannot store NUL
//! at all (error 22021, once a 500) and SQLite would store it silently, so both are spared it
//! here, where no endpoint can forget.

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
use crate::scim::ScimError;

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
/// limit (413) or is not sent within the deadline (408), and refuses a control character in
/// the query string or a text body (422; 400 in SCIM's format on SCIM's paths and on xAPI's,
/// whose standards have no 422).
pub async fn read_body(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if encodes_control(request.query_string().as_bytes()) {
        let refusal = controlled(request.path(), "query string");
        return Ok(refused(request, refusal));
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
        if carries_control(&request, &body) {
            let refusal = controlled(request.path(), "body");
            return Ok(refused(request, refusal));
        }
        request.set_payload(Payload::from(body));
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn refused<B>(request: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
    let response = if request.path().starts_with("/scim/") {
        ScimError::from(error).error_response()
    } else {
        error.error_response()
    };
    request.into_response(response).map_into_right_body()
}

/// The refusal of a control character in the query string or the body: xAPI answers every
/// refusal with 400 (SCIM's 400 comes from [`refused`]).
fn controlled(path: &str, part: &str) -> ApiError {
    let why = "carries a control character (such as NUL, written %00 or \\u0000); text may hold tab, line feed and carriage return but no other";
    if path.starts_with("/xapi/") {
        ApiError::Malformed(format!("the {part} {why}"))
    } else {
        ApiError::invalid(part, why)
    }
}

/// Whether a text body holds a control character: escaped in JSON (raw ones are not JSON, and
/// its parser refuses them), raw in CSV. The one form, `/oauth/token`'s, stores nothing it is
/// sent and answers in OAuth's own format, so it is left to refuse what it does not know.
fn carries_control(request: &ServiceRequest, body: &[u8]) -> bool {
    let Some(essence) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
    else {
        return false;
    };
    match essence.as_str() {
        "application/json" => json_escapes_control(body),
        json if json.ends_with("+json") => json_escapes_control(body),
        "text/csv" => body.iter().any(|&b| is_control(b.into())),
        _ => false,
    }
}

fn is_control(c: u32) -> bool {
    (c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d)) || c == 0x7f
}

/// Whether percent-encoded text encodes a control character, or holds one raw.
fn encodes_control(text: &[u8]) -> bool {
    text.iter().enumerate().any(|(at, &b)| {
        is_control(b.into())
            || (b == b'%'
                && text
                    .get(at + 1..at + 3)
                    .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
                    .is_some_and(|decoded| is_control(decoded.into())))
    })
}

/// Whether JSON text writes a control character as an escape (`\u0000`).
fn json_escapes_control(json: &[u8]) -> bool {
    let mut at = 0;
    while let Some(offset) = json
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
    {
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
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_however_they_are_written() {
        assert!(encodes_control(b"q=Amira%00"));
        assert!(encodes_control(b"actor=%1b%5B31m"));
        assert!(encodes_control(b"q=%7F"));
        assert!(!encodes_control(
            b"q=O%27Brien%20Smith&department=Adult%20Social%20Care"
        ));
        assert!(!encodes_control(b"note=line%0Aline%09tab"));

        assert!(json_escapes_control(br#"{"given_name": "Amira\u0000"}"#));
        assert!(json_escapes_control(br#"{"a": "\u001B[31m"}"#));
        assert!(!json_escapes_control(
            br#"{"a": "line\nline\u0009tab \u00e9"}"#
        ));
        assert!(!json_escapes_control(br#"{"path": "C:\\u0000"}"#));
        assert!(!json_escapes_control(br#"{"a": "ends with \\"}"#));
    }
}
