//! Tokens that mean only what they say: an integration token names a client and carries no
//! roles, a person's token never carries scopes, and neither outlives what the server allows or
//! the client it was issued to.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestApp, course_body, now, problem, token};

/// Signs `claims` with the test server's shared secret, as anyone holding it could.
fn forged(claims: Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("signed")
}

/// The claims of the tokens `/oauth/token` issues, for `sub` with `roles`.
fn integration_claims(sub: &str, roles: &[&str]) -> Value {
    json!({"sub": sub, "roles": roles, "scope": "learners:sync", "exp": now() + 600,
        "iat": now(), "iss": "pathway", "aud": "pathway-integrations"})
}

#[tokio::test]
async fn an_integration_token_cannot_name_a_person_or_carry_roles() {
    let app = TestApp::spawn().await;
    let (client_id, _) = app.client(&["learners:sync"]).await;

    // An admin's subject in the integration format: it read every learner before.
    let as_admin = forged(integration_claims(
        "00000000-0000-7000-8000-00000000a0a0",
        &["admin"],
    ));
    problem(
        app.get("/v1/learners", &as_admin).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A real client's subject with an admin's role: it registered API clients before.
    let client_as_admin = forged(integration_claims(
        &format!("client:{client_id}"),
        &["admin"],
    ));
    problem(
        app.post(
            "/v1/api-clients",
            &client_as_admin,
            &json!({"name": "Rogue", "scopes": ["learners:sync"]}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.get("/v1/learners", &client_as_admin).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A person's token cannot borrow the client's subject either.
    let borrowed = app
        .get(
            "/scim/v2/Users",
            &token(&format!("client:{client_id}"), &[]),
        )
        .await;
    assert_eq!(borrowed.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_persons_token_never_gains_an_integrations_scopes() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR-TOK")).await;
    let priya = app.employee("Priya", "priya.jones@council.gov.uk").await;
    let sam = app.employee("Sam", "sam.green@council.gov.uk").await;
    let sam_with_scopes = forged(json!({"sub": sam["id"], "roles": ["learner"],
        "scope": "learners:sync completions:write", "exp": now() + 600}));

    let recorded = app
        .post(
            "/v1/completions",
            &sam_with_scopes,
            &json!({"learner_id": priya["id"], "course_id": course["id"],
                "completed_on": chrono::Utc::now().date_naive()}),
        )
        .await;
    problem(recorded, StatusCode::FORBIDDEN).await;
    let listed = app
        .request(Method::GET, "/scim/v2/Users", Some(&sam_with_scopes))
        .send()
        .await
        .expect("answered");
    assert_eq!(listed.status(), StatusCode::FORBIDDEN);
    let completions: Value = app
        .get(
            &format!(
                "/v1/completions?learner_id={}",
                priya["id"].as_str().expect("an id")
            ),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(completions["items"], json!([]), "nothing was recorded");
}

#[tokio::test]
async fn tokens_lasting_longer_than_the_server_allows_are_refused() {
    let app = TestApp::spawn_with(|config| config.jwt.max_lifetime_seconds = 3600).await;
    let admin = "00000000-0000-7000-8000-00000000a0a0";
    let lasting = |issued: Option<u64>, seconds: u64| {
        let mut claims = json!({"sub": admin, "roles": ["admin"], "exp": now() + seconds});
        if let Some(iat) = issued {
            claims["iat"] = json!(iat);
        }
        forged(claims)
    };

    let an_hour = app.get("/v1/learners", &lasting(Some(now()), 3600)).await;
    assert_eq!(an_hour.status(), StatusCode::OK);
    for (why, token) in [
        ("a week from its issue", lasting(Some(now()), 7 * 86_400)),
        ("a week, issue unsaid", lasting(None, 7 * 86_400)),
        (
            "issued 'tomorrow'",
            lasting(Some(now() + 86_400), 86_400 + 60),
        ),
    ] {
        let refused = problem(
            app.get("/v1/learners", &token).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert!(
            refused["detail"]
                .as_str()
                .is_some_and(|d| d.contains("longer")),
            "{why}: {refused}"
        );
    }
}

#[tokio::test]
async fn a_revoked_clients_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let (client_id, secret) = app.client(&["learners:sync"]).await;
    let client_token = app.token_of(&client_id, &secret).await;
    let listed = app
        .request(Method::GET, "/scim/v2/Users", Some(&client_token))
        .send()
        .await
        .expect("answered");
    assert_eq!(listed.status(), StatusCode::OK);

    app.revoke_client(&client_id).await;
    let after = app
        .request(Method::GET, "/scim/v2/Users", Some(&client_token))
        .send()
        .await
        .expect("answered");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let synced = app
        .post(
            "/v1/integrations/hr/learners/sync",
            &client_token,
            &json!({"learners": []}),
        )
        .await;
    problem(synced, StatusCode::UNAUTHORIZED).await;
}
