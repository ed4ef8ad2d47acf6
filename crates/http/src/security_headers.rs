//! Headers every response carries so browsers and caches treat it safely: no content sniffing,
//! no referrer leaking a record's address, nothing personal kept in a cache, and a strict
//! content security policy on the documentation page, the one page a browser renders.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// Swagger UI's page loads its scripts and styles from `/docs` itself; its styles set inline
/// attributes and its icons are data URLs, and nothing else is allowed.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub async fn add(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = request.path().to_owned();
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    if path == "/docs" || path.starts_with("/docs/") {
        set(header::CONTENT_SECURITY_POLICY, DOCS_POLICY);
    } else if path != "/openapi.json" {
        // Learners' records, tokens and reports: none of it belongs in a shared cache.
        set(header::CACHE_CONTROL, "no-store");
    }
    Ok(response)
}
