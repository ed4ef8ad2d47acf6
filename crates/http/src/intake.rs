//! Characters no council record holds: NUL, the other C0 controls and DEL. Tab, line feed and
//! carriage return stay, since free text has lines. PostgreSQL cannot store NUL at all (error
//! 22021, a 500 before this) and SQLite would store it silently, so both are spared it at the
//! door: in the path, the query string, and any JSON or CSV body, before a handler sees them.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::error::ApiError;

/// What a body may be at most while it is read here; each endpoint's own limit, never larger,
/// applies after.
const BODY_LIMIT: usize = crate::hr_sync::BODY_LIMIT;

/// Refuses a request whose path, query string or body carries a control character (400), or
/// whose text body is over the largest limit any endpoint accepts (413).
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
    if let Some(kind) = text_body(&request) {
        let body = match read(request.take_payload()).await {
            Ok(body) => body,
            Err(error) => return Ok(refused(request, error)),
        };
        let controlled = match kind {
            TextBody::Json => json_escapes_control(&body),
            TextBody::Csv => body.iter().any(|&b| is_control(b.into())),
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

async fn read(mut payload: Payload) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::Malformed("the request body could not be read".into()))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge(format!(
                "the body is over {} MiB",
                BODY_LIMIT / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
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
