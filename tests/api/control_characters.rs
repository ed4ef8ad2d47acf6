//! NUL and the other control characters are refused wherever text comes in: PostgreSQL cannot
//! store NUL (it was a 500 there) and SQLite stored it silently. Path segments need no check:
//! every one that is not a fixed word is a UUID, a year or a configured provider's name.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

#[tokio::test]
async fn a_control_character_in_a_query_is_refused_on_either_database() {
    let app = TestApp::spawn().await;
    let reader = app.client_token(&["xapi:read"]).await;
    for (path, token, status) in [
        (
            "/v1/learners?q=Amira%00",
            &app.admin,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/v1/learners?department=Adult%00Social%20Care",
            &app.admin,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/v1/audit-events?actor=%00",
            &app.admin,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/v1/learners?q=%1B%5B31m",
            &app.admin,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // xAPI refuses with 400, as its standard asks.
        (
            "/xapi/statements?agent=%7B%22mbox%22%3A%22mailto%3Aa%00%40council.gov.uk%22%7D",
            &reader,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let answer = app
            .request(Method::GET, path, Some(token))
            .header("X-Experience-API-Version", "1.0.3")
            .send()
            .await
            .expect("answered");
        let refused = problem(answer, status).await;
        assert!(
            refused["detail"]
                .as_str()
                .is_some_and(|d| d.contains("control character")),
            "{path}: {refused}"
        );
    }
    let scim = app
        .request(
            Method::GET,
            "/scim/v2/Users?filter=userName%20eq%20%22a%00%22",
            Some(&app.admin),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(scim.status(), StatusCode::BAD_REQUEST);
    assert_eq!(scim.headers()["content-type"], "application/scim+json");
    // Text with lines and accents is what people write, and passes.
    let fine = app
        .get("/v1/learners?q=O%27Brien%20Zo%C3%AB", &app.admin)
        .await;
    assert_eq!(fine.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_control_character_in_a_body_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let learner = json!({"kind": "employee", "given_name": "Amira\u{0}", "family_name": "Khan",
        "email": "amira.khan@council.gov.uk", "department": "Adult Social Care",
        "started_on": "2020-01-06"});
    problem(
        app.post("/v1/learners", &app.admin, &learner).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let scim_user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "amira.khan@council.gov.uk", "externalId": "E1\u{0}",
        "name": {"givenName": "Amira", "familyName": "Khan"},
        "emails": [{"value": "amira.khan@council.gov.uk", "primary": true}]});
    let provisioned = app
        .request(Method::POST, "/scim/v2/Users", Some(&app.admin))
        .header("content-type", "application/scim+json")
        .body(scim_user.to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(provisioned.status(), StatusCode::BAD_REQUEST);
    let csv = "external_ref,given_name,family_name,email,department,job_title,manager_ref,started_on,left_on\n\
        E10442,Amira\u{7},Khan,amira.khan@council.gov.uk,Adult Social Care,Head of Service,,2019-09-02,\n";
    let synced = app
        .request(
            Method::POST,
            "/v1/integrations/hr/learners/sync",
            Some(&app.admin),
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("answered");
    problem(synced, StatusCode::UNPROCESSABLE_ENTITY).await;

    let learners: Value = app
        .get("/v1/learners", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learners["items"], json!([]), "nothing was written");
}
