//! The route table and the contract agree: every operation in the spec is served at its path
//! and method, and every other method on that path is 405 naming exactly the spec's methods.
//! (The other direction holds by construction: a handler joins the router only through
//! `pathway_http::operations`, which takes it with its operation; see
//! `routes::tests::nothing_is_served_outside_the_contract` for the few routes that are not
//! operations.)

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A concrete path for a template: an id where the template has one.
fn concrete(template: &str) -> String {
    template
        .replace("{financial_year}", "2026-27")
        .replace("{provider}", "moodle")
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_path_in_the_contract_answers_its_methods_and_refuses_the_others() {
    let app = TestApp::spawn().await;
    let spec: Value = serde_json::from_str(&pathway_http::openapi::json()).expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() > 50, "the contract has its paths");
    for (template, item) in paths {
        let path = concrete(template);
        let allowed: Vec<&str> = METHODS
            .iter()
            .copied()
            .filter(|m| item.get(*m).is_some())
            .collect();
        let allow = allowed
            .iter()
            .map(|m| m.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(", ");
        for method in METHODS {
            let response = app
                .request(
                    Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method"),
                    &path,
                    None,
                )
                .send()
                .await
                .expect("answered");
            let status = response.status();
            let header = response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await.expect("a body");
            if allowed.contains(&method) {
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template} is in the contract but refused"
                );
                assert!(
                    !(status == StatusCode::NOT_FOUND && body.contains("no such")),
                    "{method} {template} is in the contract but not served: {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template} is not in the contract: {body}"
                );
                assert_eq!(
                    header.as_deref(),
                    Some(allow.as_str()),
                    "{method} {template}"
                );
            }
        }
    }
}
