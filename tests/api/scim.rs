use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, token, urlencode};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

impl TestApp {
    pub(crate) async fn scim(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.request(method, &format!("/scim/v2{path}"), Some(token));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        request.send().await.expect("answered")
    }

    async fn scim_ok(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
        let response = self.scim(method, path, token, body).await;
        assert!(response.status().is_success(), "{}", response.status());
        assert_eq!(
            response.headers()["content-type"],
            "application/scim+json",
            "SCIM answers in its own media type"
        );
        response.json().await.expect("json")
    }
}

/// A SCIM error: the status, SCIM's schema and media type, and the scimType when given.
async fn scim_error(response: Response, status: StatusCode, scim_type: Option<&str>) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/scim+json");
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], status.as_u16().to_string());
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

fn amira(manager: Option<&str>) -> Value {
    let mut enterprise = json!({"employeeNumber": "E10442", "department": "Adult Social Care"});
    if let Some(manager) = manager {
        enterprise["manager"] = json!({"value": manager});
    }
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "aad-7f3e", "userName": "Amira.Khan@council.gov.uk",
        "name": {"givenName": "Amira", "familyName": "Khan"}, "title": "Head of Service",
        "emails": [{"value": "amira.k@council.gov.uk", "type": "home"}, {"value": "amira.khan@council.gov.uk", "type": "work", "primary": true}],
        "active": true, "phoneNumbers": [{"value": "01632 960000"}],
        ENTERPRISE: enterprise
    })
}

#[tokio::test]
async fn scim_users_are_learners_one_record_two_views() {
    let app = TestApp::spawn().await;
    let idp = app.client_token(&["learners:sync"]).await;
    let boss = app.employee("Grace", "grace.jones@council.gov.uk").await;
    let boss_id = boss["id"].as_str().expect("an id");

    let created = app
        .scim(Method::POST, "/Users", &idp, Some(amira(Some(boss_id))))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"]
        .to_str()
        .expect("text")
        .to_owned();
    let user: Value = created.json().await.expect("json");
    let id = user["id"].as_str().expect("an id").to_owned();
    assert!(location.ends_with(&format!("/scim/v2/Users/{id}")));
    assert_eq!(user["meta"]["location"], location);
    assert_eq!(
        user["emails"],
        json!([{"value": "amira.khan@council.gov.uk", "type": "work", "primary": true}]),
        "the primary address is kept, with its type"
    );
    assert_eq!(user[ENTERPRISE]["manager"]["value"], boss_id);
    assert!(
        user.get("phoneNumbers").is_none(),
        "attributes Pathway does not keep are ignored"
    );

    // The same person, as the rest of Pathway sees them.
    let learner: Value = app
        .get(&format!("/v1/learners/{id}"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learner["kind"], "employee");
    assert_eq!(learner["given_name"], "Amira");
    assert_eq!(learner["email"], "amira.khan@council.gov.uk");
    assert_eq!(learner["external_ref"], "E10442");
    assert_eq!(learner["department"], "Adult Social Care");
    assert_eq!(learner["job_title"], "Head of Service");
    assert_eq!(learner["manager_id"], boss_id);
    assert_eq!(learner["status"], "active");

    // The filters a provider sends before creating, in any case.
    for filter in [
        r#"userName eq "amira.khan@COUNCIL.gov.uk""#,
        r#"externalId eq "aad-7f3e""#,
        r#"emails.value eq "Amira.Khan@council.gov.uk""#,
    ] {
        let found = app
            .scim_ok(
                Method::GET,
                &format!("/Users?filter={}", urlencode(filter)),
                &idp,
                None,
            )
            .await;
        assert_eq!(found["totalResults"], 1, "{filter}");
        assert_eq!(found["Resources"][0]["id"], id, "{filter}");
    }
    // A learner entered by hand is a user too, known by their email address.
    let hand = app
        .scim_ok(
            Method::GET,
            &format!(
                "/Users?filter={}",
                urlencode(r#"userName eq "grace.jones@council.gov.uk""#)
            ),
            &idp,
            None,
        )
        .await;
    assert_eq!(hand["Resources"][0]["id"], boss_id);
    assert!(hand["Resources"][0].get("externalId").is_none());

    // Paging: startIndex counts from 1.
    let page = app
        .scim_ok(Method::GET, "/Users?startIndex=2&count=1", &idp, None)
        .await;
    assert_eq!(page["totalResults"], 2);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(
        page["Resources"][0]["id"], id,
        "created second, listed second"
    );
    let projected = app
        .scim_ok(
            Method::GET,
            &format!("/Users/{id}?attributes=name.familyName"),
            &idp,
            None,
        )
        .await;
    assert_eq!(projected["name"], json!({"familyName": "Khan"}));
    assert!(projected.get("userName").is_none() && projected.get("id").is_some());

    // PUT replaces: what is left out is cleared; PATCH changes one thing.
    let mut replacement = amira(None);
    replacement
        .as_object_mut()
        .expect("object")
        .remove("externalId");
    replacement[ENTERPRISE] = json!({"employeeNumber": "E10442"});
    let replaced = app
        .scim_ok(
            Method::PUT,
            &format!("/Users/{id}"),
            &idp,
            Some(replacement),
        )
        .await;
    assert!(replaced.get("externalId").is_none());
    assert_eq!(replaced[ENTERPRISE], json!({"employeeNumber": "E10442"}));
    let patched = app
        .scim_ok(
            Method::PATCH,
            &format!("/Users/{id}"),
            &idp,
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                    {"op": "Replace", "path": "name.givenName", "value": "Amy"},
                    {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Housing"},
                    {"op": "remove", "path": "title"}
                ]}),
            ),
        )
        .await;
    assert_eq!(patched["name"]["givenName"], "Amy");
    assert_eq!(patched[ENTERPRISE]["department"], "Housing");
    assert!(patched.get("title").is_none());
    let learner: Value = app
        .get(&format!("/v1/learners/{id}"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            &learner["given_name"],
            &learner["department"],
            &learner["job_title"]
        ),
        (&json!("Amy"), &json!("Housing"), &Value::Null)
    );

    // userName is unique whatever its case; so are the email address and employee number.
    let mut twin = amira(None);
    twin["userName"] = json!("AMIRA.KHAN@council.gov.uk");
    twin["emails"] = json!([{"value": "someone.else@council.gov.uk"}]);
    twin[ENTERPRISE] = json!({});
    scim_error(
        app.scim(Method::POST, "/Users", &idp, Some(twin)).await,
        StatusCode::CONFLICT,
        Some("uniqueness"),
    )
    .await;
    let mut same_email = amira(None);
    same_email["userName"] = json!("a.khan");
    same_email[ENTERPRISE] = json!({});
    scim_error(
        app.scim(Method::POST, "/Users", &idp, Some(same_email))
            .await,
        StatusCode::CONFLICT,
        Some("uniqueness"),
    )
    .await;
}

#[tokio::test]
async fn inactive_users_have_left_and_deleted_ones_keep_their_record() {
    let app = TestApp::spawn().await;
    let idp = app.client_token(&["learners:sync"]).await;
    let user = app
        .scim_ok(Method::POST, "/Users", &idp, Some(amira(None)))
        .await;
    let id = user["id"].as_str().expect("an id").to_owned();
    let deactivate = json!({"Operations": [{"op": "replace", "value": {"active": "False"}}]});

    let left = app
        .scim_ok(
            Method::PATCH,
            &format!("/Users/{id}"),
            &idp,
            Some(deactivate),
        )
        .await;
    assert_eq!(left["active"], false);
    let learner: Value = app
        .get(&format!("/v1/learners/{id}"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learner["status"], "left");
    assert!(learner["left_on"].is_string());

    // A rehire: the provider makes them active again, and their record carries on.
    let back = json!({"Operations": [{"op": "replace", "path": "active", "value": true}]});
    let back = app
        .scim_ok(Method::PATCH, &format!("/Users/{id}"), &idp, Some(back))
        .await;
    assert_eq!(back["active"], true);
    let learner: Value = app
        .get(&format!("/v1/learners/{id}"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (learner["status"].as_str(), learner["left_on"].as_str()),
        (Some("active"), None)
    );

    let deleted = app
        .scim(Method::DELETE, &format!("/Users/{id}"), &idp, None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    scim_error(
        app.scim(Method::GET, &format!("/Users/{id}"), &idp, None)
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    scim_error(
        app.scim(Method::DELETE, &format!("/Users/{id}"), &idp, None)
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let listed = app.scim_ok(Method::GET, "/Users", &idp, None).await;
    assert_eq!(listed["totalResults"], 0);
    // Pathway keeps the learner, as a leaver.
    let learner: Value = app
        .get(&format!("/v1/learners/{id}"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learner["status"], "left");
    assert_eq!(learner["email"], "amira.khan@council.gov.uk");

    // Provisioned again (a rehire): the same learner comes back, record and all.
    let again = app
        .scim(Method::POST, "/Users", &idp, Some(amira(None)))
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["active"], true);
    let learner: Value = app
        .get(&format!("/v1/learners/{id}"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learner["status"], "active");
}

#[tokio::test]
async fn scim_refuses_in_its_own_error_format() {
    let app = TestApp::spawn().await;
    let idp = app.client_token(&["learners:sync"]).await;
    let elearning = app.client_token(&["completions:write"]).await;
    let learner = app.employee("Priya", "priya.jones@council.gov.uk").await;
    let learner_token = token(learner["id"].as_str().expect("an id"), &["learner"]);

    let anonymous = app
        .request(Method::GET, "/scim/v2/Users", None)
        .send()
        .await
        .expect("answered");
    scim_error(anonymous, StatusCode::UNAUTHORIZED, None).await;
    for caller in [&elearning, &learner_token] {
        scim_error(
            app.scim(Method::GET, "/Users", caller, None).await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
        scim_error(
            app.scim(Method::POST, "/Users", caller, Some(amira(None)))
                .await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }

    let bad_filter = app
        .scim(
            Method::GET,
            &format!("/Users?filter={}", urlencode(r#"title sw "Head""#)),
            &idp,
            None,
        )
        .await;
    scim_error(bad_filter, StatusCode::BAD_REQUEST, Some("invalidFilter")).await;
    let mut nameless = amira(None);
    nameless.as_object_mut().expect("object").remove("userName");
    scim_error(
        app.scim(Method::POST, "/Users", &idp, Some(nameless)).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    )
    .await;
    let mut bad_email = amira(None);
    bad_email["emails"] = json!([{"value": "not an address"}]);
    let body = scim_error(
        app.scim(Method::POST, "/Users", &idp, Some(bad_email))
            .await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("emails.value")),
        "{body}"
    );
    let broken = app
        .request(Method::POST, "/scim/v2/Users", Some(&idp))
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .expect("answered");
    scim_error(broken, StatusCode::BAD_REQUEST, Some("invalidSyntax")).await;
    let unknown_manager = {
        let mut body = amira(None);
        body[ENTERPRISE]["manager"] = json!({"value": "019a8f40-0000-7000-8000-0000000000ff"});
        body
    };
    scim_error(
        app.scim(Method::POST, "/Users", &idp, Some(unknown_manager))
            .await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    )
    .await;
    scim_error(
        app.scim(Method::GET, "/Users/not-a-user", &idp, None).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    scim_error(
        app.scim(Method::GET, "/Groups", &idp, None).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    scim_error(
        app.scim(Method::DELETE, "/Users", &idp, None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        None,
    )
    .await;
    let no_target = json!({"Operations": [{"op": "remove"}]});
    let id = learner["id"].as_str().expect("an id");
    scim_error(
        app.scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            &idp,
            Some(no_target),
        )
        .await,
        StatusCode::BAD_REQUEST,
        Some("noTarget"),
    )
    .await;
    // Nothing was created by any refusal.
    let listed = app.scim_ok(Method::GET, "/Users", &idp, None).await;
    assert_eq!(listed["totalResults"], 1);
}

#[tokio::test]
async fn one_user_name_is_created_once_across_server_processes_and_retries() {
    let app = TestApp::spawn().await;
    let idp = app.client_token(&["learners:sync"]).await;
    let servers = [app.another_process().await, app.another_process().await];
    // The same new user sent to both processes at once, four times: one is created.
    let attempts = (0..4).map(|k| {
        let url = format!("{}/scim/v2/Users", servers[k % 2].address);
        let (app, idp) = (&app, idp.clone());
        async move {
            app.client
                .post(url)
                .bearer_auth(idp)
                .header("content-type", "application/scim+json")
                .body(amira(None).to_string())
                .send()
                .await
                .expect("answered")
                .status()
        }
    });
    let mut statuses = futures_util::future::join_all(attempts).await;
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT
        ]
    );

    // With an Idempotency-Key a retry gets the first answer instead of a conflict.
    let mut grace = amira(None);
    grace["userName"] = json!("grace.oneill@council.gov.uk");
    grace["emails"] = json!([{"value": "grace.oneill@council.gov.uk"}]);
    grace[ENTERPRISE] = json!({"employeeNumber": "E10001"});
    let send = || {
        app.request(Method::POST, "/scim/v2/Users", Some(&idp))
            .header("content-type", "application/scim+json")
            .header("idempotency-key", "entra-provision-grace")
            .body(grace.to_string())
            .send()
    };
    let first = send().await.expect("answered");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let retry = send().await.expect("answered");
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(
        retry.json::<Value>().await.expect("json")["id"],
        first["id"]
    );
    // The same key with another body is refused, in SCIM's format, and creates nobody.
    let mut other = grace.clone();
    other["userName"] = json!("g.oneill@council.gov.uk");
    let reused = app
        .request(Method::POST, "/scim/v2/Users", Some(&idp))
        .header("content-type", "application/scim+json")
        .header("idempotency-key", "entra-provision-grace")
        .body(other.to_string())
        .send()
        .await
        .expect("answered");
    scim_error(reused, StatusCode::BAD_REQUEST, Some("invalidValue")).await;
    let listed = app.scim_ok(Method::GET, "/Users", &idp, None).await;
    assert_eq!(listed["totalResults"], 2);
}

#[tokio::test]
async fn patches_of_different_attributes_at_once_both_hold() {
    let app = TestApp::spawn().await;
    let idp = app.client_token(&["learners:sync"]).await;
    let user = app
        .scim_ok(Method::POST, "/Users", &idp, Some(amira(None)))
        .await;
    let id = user["id"].as_str().expect("an id").to_owned();
    let servers = [app.another_process().await, app.another_process().await];
    for round in 0..5 {
        let title = format!("Head of Service {round}");
        let department = format!("Department {round}");
        let patches = [
            json!({"Operations": [{"op": "replace", "path": "title", "value": title}]}),
            json!({"Operations": [{"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": department}]}),
        ];
        let sent = patches.iter().zip(&servers).map(|(patch, server)| {
            app.client
                .patch(format!("{}/scim/v2/Users/{id}", server.address))
                .bearer_auth(&idp)
                .header("content-type", "application/scim+json")
                .body(patch.to_string())
                .send()
        });
        for response in futures_util::future::join_all(sent).await {
            assert_eq!(response.expect("answered").status(), StatusCode::OK);
        }
        let now = app
            .scim_ok(Method::GET, &format!("/Users/{id}"), &idp, None)
            .await;
        assert_eq!(now["title"], title.as_str(), "round {round}: {now}");
        assert_eq!(
            now[ENTERPRISE]["department"],
            department.as_str(),
            "round {round}: {now}"
        );
    }
}

/// The ids of the users `filter` finds, in order, checked against the total.
async fn found(app: &TestApp, idp: &str, filter: &str) -> Vec<String> {
    let page = app
        .scim_ok(
            Method::GET,
            &format!("/Users?filter={}", urlencode(filter)),
            idp,
            None,
        )
        .await;
    let mut ids: Vec<String> = page["Resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|u| u["id"].as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(page["totalResults"], ids.len(), "{filter}");
    ids.sort();
    ids
}

#[tokio::test]
async fn identity_providers_find_users_by_typed_address_prefix_and_time_of_change() {
    let app = TestApp::spawn().await;
    let idp = app.client_token(&["learners:sync"]).await;
    let grace = app.employee("Grace", "grace.jones@council.gov.uk").await;
    let since: Value = app
        .scim_ok(
            Method::GET,
            &format!("/Users/{}", grace["id"].as_str().expect("an id")),
            &idp,
            None,
        )
        .await;
    let since = since["meta"]["lastModified"]
        .as_str()
        .expect("a time")
        .to_owned();
    let amira = app
        .scim_ok(Method::POST, "/Users", &idp, Some(amira(None)))
        .await;
    let mut bob = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob_smith",
        "name": {"givenName": "Bob", "familyName": "Smith"},
        "emails": [{"value": "bob@home.example", "type": "Home", "primary": "False"}]
    });
    let bob = app
        .scim_ok(Method::POST, "/Users", &idp, Some(bob.take()))
        .await;
    assert_eq!(
        bob["emails"],
        json!([{"value": "bob@home.example", "type": "home", "primary": false}]),
        "the address is shown as the provider gave it"
    );
    assert_eq!(
        app.scim_ok(
            Method::GET,
            &format!("/Users/{}", grace["id"].as_str().expect("an id")),
            &idp,
            None
        )
        .await["emails"],
        json!([{"value": "grace.jones@council.gov.uk", "type": "work", "primary": true}]),
        "a learner no provider typed has a work address"
    );

    let ids = |users: &[&Value]| {
        let mut ids: Vec<String> = users
            .iter()
            .map(|u| u["id"].as_str().expect("an id").to_owned())
            .collect();
        ids.sort();
        ids
    };
    for (filter, expected) in [
        (
            r#"emails[type eq "work"].value eq "amira.khan@council.gov.uk""#,
            ids(&[&amira]),
        ),
        (
            r#"emails[type eq "home"].value eq "amira.khan@council.gov.uk""#,
            vec![],
        ),
        (
            r#"emails[type eq "work"].value eq "grace.jones@council.gov.uk""#,
            ids(&[&grace]),
        ),
        (
            r#"emails[type eq "HOME" and value eq "Bob@home.example"]"#,
            ids(&[&bob]),
        ),
        (r#"userName sw "AMIRA""#, ids(&[&amira])),
        (r#"userName sw "bob_""#, ids(&[&bob])),
        (r#"userName sw "bob%""#, vec![]),
        (
            r#"userName sw "g" and emails.value eq "grace.jones@council.gov.uk""#,
            ids(&[&grace]),
        ),
        (r#"userName sw "amira" and userName sw "bob""#, vec![]),
    ] {
        assert_eq!(found(&app, &idp, filter).await, expected, "{filter}");
    }
    let changed_after = format!(r#"meta.lastModified gt "{since}""#);
    let changed_since = format!(r#"meta.lastModified ge "{since}""#);
    let changed_before = format!(r#"meta.lastModified lt "{since}""#);
    for (filter, expected) in [
        (changed_after, ids(&[&amira, &bob])),
        (changed_since, ids(&[&amira, &bob, &grace])),
        (changed_before, vec![]),
    ] {
        assert_eq!(found(&app, &idp, &filter).await, expected, "{filter}");
    }

    // Entra's PATCH of the work address: afterwards its own filter finds the user, so it has
    // nothing to send again.
    let patched = app
        .scim_ok(
            Method::PATCH,
            &format!("/Users/{}", amira["id"].as_str().expect("an id")),
            &idp,
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "amy.khan@council.gov.uk"}
            ]})),
        )
        .await;
    assert_eq!(
        patched["emails"],
        json!([{"value": "amy.khan@council.gov.uk", "type": "work", "primary": true}])
    );
    assert_eq!(
        found(
            &app,
            &idp,
            r#"emails[type eq "work"].value eq "amy.khan@council.gov.uk""#
        )
        .await,
        ids(&[&amira])
    );

    // Discovery says what is enforced: addresses are unique, and typed.
    let schema = app
        .scim_ok(
            Method::GET,
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            &idp,
            None,
        )
        .await;
    let emails = schema["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["name"] == "emails")
        .expect("emails");
    assert_eq!(emails["uniqueness"], "server");
    let subs: Vec<&str> = emails["subAttributes"]
        .as_array()
        .expect("sub-attributes")
        .iter()
        .map(|s| s["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(subs, ["value", "type", "primary"]);
    assert_eq!(emails["subAttributes"][0]["uniqueness"], "server");
}
