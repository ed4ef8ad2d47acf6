//! Provisioning tokens: what an admin pastes into Entra ID or Okta. They stand for their client
//! on the integration endpoints and nowhere else, and stop the moment they or their client are
//! revoked.

use chrono::{Days, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, token};

impl TestApp {
    /// Issues `client_id` a provisioning token as an admin; returns the answer, token and all.
    async fn provisioning_token(&self, client_id: &str, body: Value) -> Value {
        let issued = self
            .post(
                &format!("/v1/api-clients/{client_id}/provisioning-tokens"),
                &self.admin,
                &body,
            )
            .await;
        assert_eq!(issued.status(), StatusCode::CREATED);
        assert_eq!(issued.headers()["cache-control"], "no-store");
        issued.json().await.expect("json")
    }

    async fn tokens_of(&self, client_id: &str) -> Vec<Value> {
        let listed = self
            .get(
                &format!("/v1/api-clients/{client_id}/provisioning-tokens"),
                &self.admin,
            )
            .await;
        assert_eq!(listed.status(), StatusCode::OK);
        let page: Value = listed.json().await.expect("json");
        page["items"].as_array().expect("items").clone()
    }
}

fn days_ahead(days: u64) -> String {
    (Utc::now().date_naive() + Days::new(days)).to_string()
}

fn scim_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name, "name": {"givenName": "Amira", "familyName": "Khan"},
        "emails": [{"value": user_name, "primary": true}], "active": true
    })
}

fn text(token: &Value) -> &str {
    token["token"].as_str().expect("the token")
}

#[tokio::test]
async fn an_identity_provider_provisions_with_a_pasted_token_until_it_is_revoked() {
    let app = TestApp::spawn().await;
    let (client_id, _) = app.client(&["learners:sync"]).await;
    let issued = app
        .provisioning_token(
            &client_id,
            json!({"name": "Entra ID provisioning", "expires_on": days_ahead(700)}),
        )
        .await;
    let pasted = text(&issued);
    assert!(pasted.starts_with("pathway_pt_"), "{pasted}");
    assert_eq!(issued["scopes"], json!(["learners:sync"]));
    assert_eq!(issued["last_used_at"], Value::Null);

    let created = app
        .scim(
            Method::POST,
            "/Users",
            pasted,
            Some(scim_user("amira.khan@council.gov.uk")),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let listed = app.scim(Method::GET, "/Users", pasted, None).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let synced = app
        .post(
            "/v1/integrations/hr/learners/sync",
            pasted,
            &json!({"learners": []}),
        )
        .await;
    assert_eq!(synced.status(), StatusCode::OK);

    // Listed without the token itself, and with the use recorded.
    let tokens = app.tokens_of(&client_id).await;
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["id"], issued["id"]);
    assert!(tokens[0].get("token").is_none(), "{}", tokens[0]);
    assert!(tokens[0]["last_used_at"].is_string(), "{}", tokens[0]);
    assert!(
        !tokens[0].to_string().contains(pasted),
        "the token is never shown again"
    );

    // Revoked through another server process: this one refuses it from the next request.
    let other = app.another_process().await;
    let revoked = app
        .client
        .post(format!(
            "{}/v1/api-clients/{client_id}/provisioning-tokens/{}/revoke",
            other.address,
            issued["id"].as_str().expect("an id")
        ))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("answered");
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.expect("json");
    assert!(revoked["revoked_at"].is_string());
    let refused = app.scim(Method::GET, "/Users", pasted, None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    problem(
        app.post(
            "/v1/integrations/hr/learners/sync",
            pasted,
            &json!({"learners": []}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Revoking again changes nothing, not even the time.
    let again: Value = app
        .post(
            &format!(
                "/v1/api-clients/{client_id}/provisioning-tokens/{}/revoke",
                issued["id"].as_str().expect("an id")
            ),
            &app.admin,
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);
}

#[tokio::test]
async fn revoking_the_client_ends_its_provisioning_tokens_and_its_new_ones() {
    let app = TestApp::spawn().await;
    let (client_id, _) = app.client(&["learners:sync"]).await;
    let issued = app
        .provisioning_token(
            &client_id,
            json!({"name": "Okta", "expires_on": days_ahead(30)}),
        )
        .await;
    let listed = app.scim(Method::GET, "/Users", text(&issued), None).await;
    assert_eq!(listed.status(), StatusCode::OK);

    app.revoke_client(&client_id).await;
    let refused = app.scim(Method::GET, "/Users", text(&issued), None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    problem(
        app.post(
            &format!("/v1/api-clients/{client_id}/provisioning-tokens"),
            &app.admin,
            &json!({"name": "Okta again", "expires_on": days_ahead(30)}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn a_provisioning_token_opens_only_its_scopes_and_no_persons_endpoint() {
    let app = TestApp::spawn().await;
    let (client_id, _) = app.client(&["learners:sync", "xapi:read"]).await;
    let xapi_only = app
        .provisioning_token(
            &client_id,
            json!({"name": "LRS reader", "expires_on": days_ahead(1), "scopes": ["xapi:read"]}),
        )
        .await;
    assert_eq!(xapi_only["scopes"], json!(["xapi:read"]));

    let scim = app
        .scim(Method::GET, "/Users", text(&xapi_only), None)
        .await;
    assert_eq!(scim.status(), StatusCode::FORBIDDEN);
    let statements = app
        .request(Method::GET, "/xapi/statements", Some(text(&xapi_only)))
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .expect("answered");
    assert_eq!(statements.status(), StatusCode::OK);
    for path in ["/v1/learners", "/v1/courses", "/v1/api-clients"] {
        problem(app.get(path, text(&xapi_only)).await, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn provisioning_tokens_are_issued_by_admins_within_the_clients_grant_and_two_years() {
    let app = TestApp::spawn().await;
    let (client_id, _) = app.client(&["learners:sync"]).await;
    let path = format!("/v1/api-clients/{client_id}/provisioning-tokens");
    let learner = app.employee("Priya", "priya.jones@council.gov.uk").await;
    let as_learner = token(learner["id"].as_str().expect("an id"), &["learner"]);
    let body = json!({"name": "Entra ID", "expires_on": days_ahead(30)});
    problem(
        app.post(&path, &as_learner, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(app.get(&path, &as_learner).await, StatusCode::FORBIDDEN).await;
    // A client's own token cannot issue itself a longer-lived one.
    let client_token = app.client_token(&["learners:sync"]).await;
    problem(
        app.post(&path, &client_token, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let yesterday = (Utc::now().date_naive() - Days::new(1)).to_string();
    for (why, refused) in [
        (
            "yesterday",
            json!({"name": "Entra ID", "expires_on": yesterday}),
        ),
        (
            "beyond two years",
            json!({"name": "Entra ID", "expires_on": days_ahead(800)}),
        ),
        (
            "beyond the grant",
            json!({"name": "Entra ID", "expires_on": days_ahead(30), "scopes": ["xapi:write"]}),
        ),
        (
            "no scope",
            json!({"name": "Entra ID", "expires_on": days_ahead(30), "scopes": []}),
        ),
        (
            "no name",
            json!({"name": " ", "expires_on": days_ahead(30)}),
        ),
    ] {
        let problem = problem(
            app.post(&path, &app.admin, &refused).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            !problem["errors"].as_array().expect("errors").is_empty(),
            "{why}: {problem}"
        );
    }
    let unknown = format!(
        "/v1/api-clients/{}/provisioning-tokens",
        uuid::Uuid::now_v7()
    );
    problem(
        app.post(&unknown, &app.admin, &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(app.get(&unknown, &app.admin).await, StatusCode::NOT_FOUND).await;
    assert!(
        app.tokens_of(&client_id).await.is_empty(),
        "nothing was issued"
    );

    // A token nobody issued, or one for a person's endpoint, opens nothing.
    let guessed = "pathway_pt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let refused = app.scim(Method::GET, "/Users", guessed, None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}
