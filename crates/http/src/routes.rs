//! Where no operation matches a request: 405 naming the methods the contract gives its path,
//! or 404. The methods come from the contract itself, so `Allow` cannot disagree with it.

use std::sync::LazyLock;

use actix_web::dev::ResourceDef;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::ApiError;
use crate::openapi;

/// The order `Allow` lists methods in.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Each path of the contract, as the router matches it, with the methods it answers.
static PATHS: LazyLock<Vec<(ResourceDef, String)>> = LazyLock::new(|| {
    let spec = openapi::document();
    spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(path, item)| {
            let allow = METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| method.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(", ");
            (ResourceDef::new(path.as_str()), allow)
        })
        .collect()
});

/// The methods the contract gives the path a request was sent to, if it has that path.
pub(crate) fn allowed(path: &str) -> Option<&'static str> {
    PATHS
        .iter()
        .find(|(template, _)| template.is_match(path))
        .map(|(_, allow)| allow.as_str())
}

/// The answer to a request no operation took.
pub(crate) async fn no_route(req: HttpRequest) -> HttpResponse {
    match allowed(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed(allow),
        None => ApiError::NotFound("no such endpoint".into()),
    }
    .error_response()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// What the server answers outside the contract's operations, and why each is not one.
    const OUTSIDE_THE_CONTRACT: [&str; 4] = [
        // The contract itself and its reader.
        r#".route("/openapi.json", web::get().to(spec))"#,
        r#".service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"])))"#,
        r#".service(web::redirect("/docs", "/docs/"))"#,
        // Declined as RFC 7644 s3.4.3 allows (501), so no client should be generated for it.
        r#".route("/.search", web::post().to(search_all))"#,
    ];

    /// A handler can join the router through `operations` only with its operation, since
    /// utoipa-actix-web's `service` takes nothing else; these are the ways around it.
    const BYPASSES: [&str; 4] = [
        ".route(",
        "web::resource(",
        "web::redirect(",
        "SwaggerUi::new(",
    ];

    fn sources(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("the crate's sources") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                // Tests register nothing; this one names what it looks for.
                let served = text.split("#[cfg(test)]").next().unwrap_or_default();
                found.extend(
                    served
                        .lines()
                        .map(str::trim)
                        .filter(|line| !line.starts_with("//"))
                        .filter(|line| BYPASSES.iter().any(|b| line.contains(b)))
                        .map(str::to_owned),
                );
            }
        }
    }

    #[test]
    fn nothing_is_served_outside_the_contract() {
        let mut found = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        found.sort();
        let mut expected: Vec<String> = OUTSIDE_THE_CONTRACT.map(str::to_owned).into();
        expected.sort();
        assert_eq!(found, expected);
    }
}
