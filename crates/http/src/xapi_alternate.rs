//! xAPI's alternate request syntax (communication s1.3), for browsers that cannot send a
//! cross-origin PUT or custom headers: a POST with `?method=PUT` (or GET, POST, DELETE) alone
//! in its query string, and a form holding the headers, the other parameters and the body as
//! `content`. The request is rewritten to the one it stands for before anything reads it.

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::xapi::BODY_LIMIT;

/// [`crate::xapi::VERSION_HEADER`], as header names are kept.
const VERSION_KEY: &str = "x-experience-api-version";

/// The form fields that are headers of the request they stand for.
fn header_named(field: &str) -> Option<HeaderName> {
    [
        header::AUTHORIZATION,
        HeaderName::from_static(VERSION_KEY),
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
    ]
    .into_iter()
    .find(|h| h.as_str().eq_ignore_ascii_case(field))
}

/// A form is URL-encoded content and a few short fields: three bytes a content byte at most.
const FORM_LIMIT: usize = 3 * BODY_LIMIT + 64 * 1024;

/// Rewrites an alternate-syntax request as the request it stands for; any other request is
/// left as it is.
pub(crate) async fn unwrap(req: &mut ServiceRequest) -> Result<(), ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let Some((_, method)) = pairs.iter().find(|(name, _)| name == "method") else {
        return Ok(());
    };
    if req.method() != Method::POST {
        return Err(malformed("a request with method= is sent as a POST"));
    }
    if pairs.len() > 1 {
        return Err(malformed(
            "with method=, every other parameter goes in the form, not the query string",
        ));
    }
    let method = match method.as_str() {
        "GET" => Method::GET,
        "PUT" => Method::PUT,
        "POST" => Method::POST,
        "DELETE" => Method::DELETE,
        other => {
            return Err(malformed(&format!(
                "method= is GET, PUT, POST or DELETE, not {other}"
            )));
        }
    };
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(malformed(
            "a request with method= sends application/x-www-form-urlencoded",
        ));
    }
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body(req).await?)
        .map_err(|e| ApiError::Malformed(format!("the form cannot be read: {e}")))?;

    let mut parameters = Vec::new();
    let (mut content, mut content_type) = (None, None);
    for (field, value) in fields {
        match (field.as_str(), header_named(&field)) {
            ("content", _) => content = Some(value),
            (_, Some(header::CONTENT_TYPE)) => content_type = Some(value),
            // The content's own length is set below.
            (_, Some(header::CONTENT_LENGTH)) => {}
            (_, Some(name)) => {
                let value = HeaderValue::from_str(&value).map_err(|_| {
                    ApiError::Malformed(format!("the {field} field is not a header value"))
                })?;
                req.headers_mut().insert(name, value);
            }
            (_, None) => parameters.push((field, value)),
        }
    }
    if content.is_none() && (method == Method::PUT || method == Method::POST) {
        return Err(malformed(
            "the form's content field holds what the request sends",
        ));
    }
    let path = req.path().to_owned();
    let uri = if parameters.is_empty() {
        path
    } else {
        let query = serde_urlencoded::to_string(&parameters)
            .map_err(|e| ApiError::Malformed(format!("the form cannot be read: {e}")))?;
        format!("{path}?{query}")
    };
    let head = req.head_mut();
    head.method = method;
    head.uri = uri
        .parse::<Uri>()
        .map_err(|_| malformed("the form's parameters do not make a URL"))?;
    let content = Bytes::from(content.unwrap_or_default());
    let headers = req.headers_mut();
    match content_type {
        Some(kind) => {
            let kind = HeaderValue::from_str(&kind)
                .map_err(|_| malformed("the Content-Type field is not a header value"))?;
            headers.insert(header::CONTENT_TYPE, kind);
        }
        // A statement or JSON document is what the syntax mostly carries.
        None if !content.is_empty() => {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        None => {
            headers.remove(header::CONTENT_TYPE);
        }
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(content.len()));
    req.set_payload(Payload::from(content));
    Ok(())
}

async fn body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Malformed(format!("the form cannot be read: {e}")))?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(ApiError::PayloadTooLarge(format!(
                "the form must be at most {FORM_LIMIT} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn malformed(message: &str) -> ApiError {
    ApiError::Malformed(format!("{message} (xAPI 1.0.3 communication s1.3)"))
}
