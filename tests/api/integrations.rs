use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CALLBACK_PROVIDER, CALLBACK_SECRET, TestApp, problem, token};

impl TestApp {
    /// Registers a client as an admin; returns its id and secret.
    pub(crate) async fn client(&self, scopes: &[&str]) -> (String, String) {
        let response = self
            .post(
                "/v1/api-clients",
                &self.admin,
                &json!({"name": "iTrent HR", "scopes": scopes}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        (
            body["client_id"].as_str().expect("an id").to_owned(),
            body["client_secret"].as_str().expect("a secret").to_owned(),
        )
    }

    /// Revokes the client `id` as an admin; returns the client as it now reads.
    pub(crate) async fn revoke_client(&self, id: &str) -> Value {
        let revoked = self
            .post(
                &format!("/v1/api-clients/{id}/revoke"),
                &self.admin,
                &json!({}),
            )
            .await;
        assert_eq!(revoked.status(), StatusCode::OK);
        revoked.json().await.expect("json")
    }

    async fn token_request(&self, basic: Option<(&str, &str)>, form: &str) -> Response {
        let mut request = self
            .request(Method::POST, "/oauth/token", None)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned());
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send().await.expect("answered")
    }

    pub(crate) async fn client_token(&self, scopes: &[&str]) -> String {
        let (id, secret) = self.client(scopes).await;
        self.token_of(&id, &secret).await
    }

    /// A token for the client `id`, got with its secret.
    pub(crate) async fn token_of(&self, id: &str, secret: &str) -> String {
        let response = self
            .token_request(Some((id, secret)), "grant_type=client_credentials")
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    async fn sync(&self, caller: &str, query: &str, body: &Value) -> Value {
        let response = self
            .post(
                &format!("/v1/integrations/hr/learners/sync{query}"),
                caller,
                body,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        response.json().await.expect("json")
    }

    async fn by_name(&self, name: &str) -> Value {
        let found: Value = self
            .get(&format!("/v1/learners?q={name}"), &self.admin)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(
            found["items"].as_array().map(Vec::len),
            Some(1),
            "{name}: {found}"
        );
        found["items"][0].clone()
    }
}

async fn oauth_error(response: Response, status: StatusCode, error: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("an OAuth error");
    assert_eq!(body["error"], error, "{body}");
    body
}

fn row(reference: &str, given: &str, manager: Option<&str>) -> Value {
    json!({"external_ref": reference, "given_name": given, "family_name": "Staff",
        "email": format!("{}@council.gov.uk", given.to_lowercase()), "department": "Finance",
        "manager_ref": manager, "started_on": "2024-04-01"})
}

fn counts(result: &Value) -> [u64; 5] {
    ["created", "updated", "unchanged", "left", "failed"].map(|k| result[k].as_u64().unwrap_or(99))
}

#[tokio::test]
async fn clients_get_tokens_for_their_scopes_and_revoked_ones_get_none() {
    let app = TestApp::spawn().await;
    let person = token("019a8f3e-0000-7000-8000-000000000001", &["learner"]);
    problem(
        app.post(
            "/v1/api-clients",
            &person,
            &json!({"name": "x", "scopes": ["xapi:read"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.post(
            "/v1/api-clients",
            &app.admin,
            &json!({"name": "x", "scopes": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let (id, secret) = app.client(&["learners:sync", "xapi:read"]).await;
    let listed: Value = app
        .get("/v1/api-clients", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["client_id"], id.as_str());
    assert!(
        listed["items"][0].get("client_secret").is_none(),
        "{listed}"
    );

    let granted = app
        .token_request(Some((&id, &secret)), "grant_type=client_credentials")
        .await;
    assert_eq!(granted.status(), StatusCode::OK);
    assert_eq!(
        granted
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let granted: Value = granted.json().await.expect("json");
    assert_eq!(
        (
            &granted["token_type"],
            &granted["scope"],
            &granted["expires_in"]
        ),
        (
            &json!("Bearer"),
            &json!("learners:sync xapi:read"),
            &json!(900)
        )
    );
    let narrowed: Value = app
        .token_request(
            None,
            &format!("grant_type=client_credentials&scope=xapi%3Aread&client_id={id}&client_secret={secret}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(narrowed["scope"], "xapi:read");

    oauth_error(
        app.token_request(
            Some((&id, &secret)),
            "grant_type=client_credentials&scope=xapi:write",
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    )
    .await;
    let wrong = app
        .token_request(
            Some((&id, "not-the-secret")),
            "grant_type=client_credentials",
        )
        .await;
    assert!(wrong.headers().contains_key("www-authenticate"));
    oauth_error(wrong, StatusCode::UNAUTHORIZED, "invalid_client").await;
    oauth_error(
        app.token_request(
            Some(("019a8f40-0000-7000-8000-0000000000a7", &secret)),
            "grant_type=client_credentials",
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
    oauth_error(
        app.token_request(Some((&id, &secret)), "grant_type=password")
            .await,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    )
    .await;
    let as_json = app
        .request(Method::POST, "/oauth/token", None)
        .basic_auth(&id, Some(&secret))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .expect("answered");
    oauth_error(as_json, StatusCode::BAD_REQUEST, "invalid_request").await;

    // A client's token opens the integration endpoints its scopes allow, and nothing else.
    let sync_token = granted["access_token"].as_str().expect("a token");
    let opened = app
        .post("/v1/integrations/hr/sync-runs", sync_token, &json!({}))
        .await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    problem(
        app.get("/v1/panels", sync_token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let reader = narrowed["access_token"].as_str().expect("a token");
    problem(
        app.post("/v1/integrations/hr/sync-runs", reader, &json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let revoked = app.revoke_client(&id).await;
    assert!(revoked["revoked_at"].is_string());
    oauth_error(
        app.token_request(Some((&id, &secret)), "grant_type=client_credentials")
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn the_hr_sync_upserts_by_reference_reports_bad_rows_and_keeps_compliance_current() {
    let app = TestApp::spawn().await;
    let hr = app.client_token(&["learners:sync"]).await;
    let course = app
        .published_course(crate::helpers::course_body("GDPR"))
        .await;
    let requirement = app
        .post(
            "/v1/requirements",
            &app.admin,
            &json!({"course_id": course["id"], "selector": {"kind": "employees"}, "due_within_days": 30}),
        )
        .await;
    assert_eq!(requirement.status(), StatusCode::CREATED);

    let mut bad_email = row("E3", "Cara", None);
    bad_email["email"] = json!("not an email");
    let batch = json!({"learners": [
        row("E1", "Ann", Some("M1")),
        row("M1", "Mo", None),
        bad_email,
        row("E4", "Dev", Some("NOBODY")),
    ]});
    let first = app.sync(&hr, "", &batch).await;
    assert_eq!(counts(&first), [2, 0, 0, 0, 2]);
    assert_eq!(
        first["errors"],
        json!([
            {"row": 3, "external_ref": "E3", "errors": [{"field": "email", "message": "must be an email address like name@council.gov.uk"}]},
            {"row": 4, "external_ref": "E4", "errors": [{"field": "manager_ref", "message": "names no employee in this call or already in Pathway"}]}
        ])
    );
    let ann = app.by_name("Ann").await;
    let mo = app.by_name("Mo").await;
    assert_eq!(
        ann["manager_id"], mo["id"],
        "a manager later in the same call"
    );
    let standing: Value = app
        .get(
            &format!(
                "/v1/learners/{}/compliance",
                ann["id"].as_str().expect("id")
            ),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        standing["items"].as_array().map(Vec::len),
        Some(1),
        "{standing}"
    );

    let again = app.sync(&hr, "", &batch).await;
    assert_eq!(counts(&again), [0, 0, 2, 0, 2]);
    let mut moved = row("E1", "Ann", Some("M1"));
    moved["department"] = json!("Housing");
    moved["left_on"] = json!(null);
    let changed = app
        .sync(&hr, "", &json!({"learners": [moved, {"external_ref": "M1", "given_name": "Mo", "family_name": "Staff",
            "email": "mo@council.gov.uk", "department": "Finance", "started_on": "2024-04-01", "left_on": "2026-10-31"}]}))
        .await;
    assert_eq!(counts(&changed), [0, 1, 0, 1, 0], "Mo left; {changed}");
    let ann = app.by_name("Ann").await;
    assert_eq!(ann["department"], "Housing");
    assert_eq!(app.by_name("Mo").await["status"], "left");

    let csv = "external_ref,given_name,family_name,email,department,job_title,manager_ref,started_on\n\
        C1,Bea,Staff,bea@council.gov.uk,Legal,Solicitor,E1,2025-01-06\n\
        C2,Cy,Staff,cy@council.gov.uk,Legal,Paralegal,,06/01/2025\n";
    let from_csv: Value = app
        .request(Method::POST, "/v1/integrations/hr/learners/sync", Some(&hr))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(counts(&from_csv), [1, 0, 0, 0, 1], "{from_csv}");
    assert_eq!(from_csv["errors"][0]["row"], 2);
    assert_eq!(from_csv["errors"][0]["errors"][0]["field"], "started_on");
    assert_eq!(app.by_name("Bea").await["manager_id"], ann["id"]);
    let bad_header = app
        .request(Method::POST, "/v1/integrations/hr/learners/sync", Some(&hr))
        .header("content-type", "text/csv")
        .body("ref,name\nX,Y\n")
        .send()
        .await
        .expect("answered");
    problem(bad_header, StatusCode::UNPROCESSABLE_ENTITY).await;
    let xml = app
        .request(Method::POST, "/v1/integrations/hr/learners/sync", Some(&hr))
        .header("content-type", "application/xml")
        .body("<learners/>")
        .send()
        .await
        .expect("answered");
    problem(xml, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let person = token(ann["id"].as_str().expect("id"), &["learner"]);
    problem(
        app.post("/v1/integrations/hr/learners/sync", &person, &batch)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_applies_nothing_twice() {
    let app = TestApp::spawn().await;
    let hr = app.client_token(&["learners:sync"]).await;
    let send = |key: &'static str, body: Value| {
        let app = &app;
        let hr = hr.clone();
        async move {
            app.request(Method::POST, "/v1/integrations/hr/learners/sync", Some(&hr))
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("answered")
        }
    };
    let batch = json!({"learners": [row("E1", "Ann", None), row("E2", "Ben", None)]});
    let first = send("sync-2026-11-23", batch.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.expect("json");
    assert_eq!(counts(&first), [2, 0, 0, 0, 0]);
    let retry = send("sync-2026-11-23", batch.clone()).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(
        retry
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(
        retry, first,
        "the first answer, not a second sync's (which would say unchanged)"
    );
    problem(
        send(
            "sync-2026-11-23",
            json!({"learners": [row("E3", "Cat", None)]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fresh: Value = send("sync-2026-11-24", batch)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(counts(&fresh), [0, 0, 2, 0, 0]);
    let mut undated = row("E1", "Ann", None);
    undated["started_on"] = json!(null);
    let kept: Value = send("sync-2026-11-25", json!({"learners": [undated]}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        counts(&kept),
        [0, 0, 1, 0, 0],
        "a row without a start day keeps the one known"
    );
    let events: Value = app
        .get("/v1/audit-events?action=learner.created", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(events["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_full_run_marks_as_left_those_hr_no_longer_has() {
    // A third and a half of this small council leave here: the guard has a test of its own.
    let app = TestApp::spawn_with(|config| config.hr_sync_max_left_percent = 50).await;
    let hr = app.client_token(&["learners:sync"]).await;
    let other = app.client_token(&["learners:sync"]).await;
    let by_hand = app.employee("Hand", "hand@council.gov.uk").await;
    let everyone =
        json!({"learners": [row("A", "Amy", None), row("B", "Bob", None), row("C", "Cal", None)]});
    app.sync(&hr, "", &everyone).await;

    let empty: Value = app
        .post("/v1/integrations/hr/sync-runs", &hr, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let close_empty = format!(
        "/v1/integrations/hr/sync-runs/{}/close",
        empty["id"].as_str().expect("id")
    );
    problem(
        app.post(&close_empty, &hr, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;

    let run: Value = app
        .post("/v1/integrations/hr/sync-runs", &hr, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let run_id = run["id"].as_str().expect("id");
    let join = format!("?run_id={run_id}");
    app.sync(&hr, &join, &json!({"learners": [row("A", "Amy", None)]}))
        .await;
    app.sync(
        &hr,
        &join,
        &json!({"learners": [row("B", "Bob", None), row("A", "Amy", None)]}),
    )
    .await;
    problem(
        app.post(
            &format!("/v1/integrations/hr/learners/sync{join}"),
            &other,
            &everyone,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(
            &format!("/v1/integrations/hr/learners/sync{join}&mode=delta"),
            &hr,
            &everyone,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        app.by_name("Cal").await["status"],
        "active",
        "nothing leaves before the close"
    );
    let closed = app
        .post(
            &format!("/v1/integrations/hr/sync-runs/{run_id}/close"),
            &hr,
            &json!({}),
        )
        .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let closed: Value = closed.json().await.expect("json");
    assert_eq!(counts(&closed), [0, 0, 3, 1, 0], "{closed}");
    assert!(closed["closed_at"].is_string());
    assert_eq!(app.by_name("Cal").await["status"], "left");
    assert_eq!(app.by_name("Amy").await["status"], "active");
    assert_eq!(app.by_name("Hand").await["status"], "active", "{by_hand}");
    problem(
        app.post(
            &format!("/v1/integrations/hr/learners/sync{join}"),
            &hr,
            &everyone,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // One call can be the whole set too.
    let whole = app
        .sync(
            &hr,
            "?mode=full",
            &json!({"learners": [row("A", "Amy", None)]}),
        )
        .await;
    assert_eq!(counts(&whole), [0, 0, 1, 1, 0]);
    assert_eq!(app.by_name("Bob").await["status"], "left");
}

/// Ten employees, E1 to E10, synced by `hr`.
async fn ten_employees(app: &TestApp, hr: &str) {
    let rows: Vec<Value> = (1..=10)
        .map(|n| row(&format!("E{n}"), &format!("Staff{n}"), None))
        .collect();
    app.sync(hr, "", &json!({ "learners": rows })).await;
}

fn first_four() -> Value {
    json!({"learners": (1..=4).map(|n| row(&format!("E{n}"), &format!("Staff{n}"), None)).collect::<Vec<_>>()})
}

/// The sync runs `token` may list.
async fn runs_listed(app: &TestApp, token: &str) -> Vec<Value> {
    let page: Value = app
        .get("/v1/integrations/hr/sync-runs", token)
        .await
        .json()
        .await
        .expect("json");
    page["items"].as_array().expect("items").clone()
}

async fn still_here(app: &TestApp) -> usize {
    let page: Value = app
        .get("/v1/learners?status=active&limit=100", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    page["items"].as_array().expect("items").len()
}

#[tokio::test]
async fn a_full_sync_that_would_mark_most_as_left_needs_the_number_confirmed() {
    let app = TestApp::spawn().await;
    let hr = app.client_token(&["learners:sync"]).await;
    ten_employees(&app, &hr).await;
    let full = "/v1/integrations/hr/learners/sync?mode=full";

    // An export that lost six rows in ten: refused, rehearsed or not, and nothing changes.
    for query in ["", "&dry_run=true", "&expected_leavers=5"] {
        let refused = problem(
            app.post(&format!("{full}{query}"), &hr, &first_four())
                .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert!(
            refused["detail"].as_str().is_some_and(|d| d.contains("6")),
            "{query}: {refused}"
        );
    }
    assert_eq!(still_here(&app).await, 10);
    let rehearsed = app
        .sync(
            &hr,
            "?mode=full&dry_run=true&expected_leavers=6",
            &first_four(),
        )
        .await;
    assert_eq!(rehearsed["dry_run"], true);
    assert_eq!(counts(&rehearsed), [0, 0, 4, 6, 0], "{rehearsed}");
    assert_eq!(still_here(&app).await, 10, "a dry run changes nothing");
    assert!(
        runs_listed(&app, &hr).await.is_empty(),
        "neither kept a run"
    );

    // A dry run of a delta call shows the new employee without creating them.
    let newcomer = app
        .sync(
            &hr,
            "?dry_run=true",
            &json!({"learners": [row("E11", "Newcomer", None)]}),
        )
        .await;
    assert_eq!(counts(&newcomer), [1, 0, 0, 0, 0]);
    assert_eq!(still_here(&app).await, 10);

    // Confirmed, it goes ahead, and the run it made is listed with what it did.
    let confirmed = app
        .sync(&hr, "?mode=full&expected_leavers=6", &first_four())
        .await;
    assert_eq!(confirmed["dry_run"], false);
    assert_eq!(counts(&confirmed), [0, 0, 4, 6, 0]);
    assert_eq!(still_here(&app).await, 4);
    let runs = runs_listed(&app, &hr).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["left"], 6);
    assert!(runs[0]["closed_at"].is_string());
}

#[tokio::test]
async fn closing_a_run_is_rehearsed_and_refused_beyond_the_share_until_confirmed() {
    let app = TestApp::spawn().await;
    let hr = app.client_token(&["learners:sync"]).await;
    let other = app.client_token(&["learners:sync"]).await;
    ten_employees(&app, &hr).await;
    let run: Value = app
        .post("/v1/integrations/hr/sync-runs", &hr, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let run_id = run["id"].as_str().expect("id");
    app.sync(&hr, &format!("?run_id={run_id}"), &first_four())
        .await;
    // A rehearsed call does not join the run: E5 is still absent from it.
    let rehearsed = app
        .sync(
            &hr,
            &format!("?run_id={run_id}&dry_run=true"),
            &json!({"learners": [row("E5", "Staff5", None)]}),
        )
        .await;
    assert_eq!(counts(&rehearsed), [0, 0, 1, 0, 0]);

    let close = format!("/v1/integrations/hr/sync-runs/{run_id}/close");
    for query in ["", "?dry_run=true", "?expected_leavers=7"] {
        problem(
            app.post(&format!("{close}{query}"), &hr, &json!({})).await,
            StatusCode::CONFLICT,
        )
        .await;
    }
    let preview: Value = app
        .post(
            &format!("{close}?dry_run=true&expected_leavers=6"),
            &hr,
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (preview["dry_run"].clone(), preview["left"].clone()),
        (json!(true), json!(6))
    );
    assert!(
        preview["closed_at"].is_string(),
        "as it would be: {preview}"
    );
    let open: Value = app
        .get(&format!("/v1/integrations/hr/sync-runs/{run_id}"), &hr)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(open["closed_at"], Value::Null, "still open: {open}");
    assert_eq!(still_here(&app).await, 10);

    let closed: Value = app
        .post(&format!("{close}?expected_leavers=6"), &hr, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (closed["dry_run"].clone(), closed["left"].clone()),
        (json!(false), json!(6))
    );
    assert_eq!(still_here(&app).await, 4);

    // Each client lists its own runs; an admin lists everyone's.
    let listed = async |token: &str| {
        runs_listed(&app, token)
            .await
            .iter()
            .map(|r| r["id"].as_str().expect("an id").to_owned())
            .collect::<Vec<_>>()
    };
    let lrs = app.client_token(&["xapi:read"]).await;
    problem(
        app.get("/v1/integrations/hr/sync-runs", &lrs).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(listed(&hr).await, [run_id]);
    assert!(listed(&other).await.is_empty());
    assert_eq!(listed(&app.admin).await, [run_id]);
}

/// Signs as a Standard Webhooks sender does.
fn signed(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use hmac::{Hmac, Mac};
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("a key");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

impl TestApp {
    async fn callback(&self, provider: &str, headers: &[(&str, String)], body: &str) -> Response {
        let mut request = self
            .request(
                Method::POST,
                &format!("/v1/integrations/elearning/callbacks/{provider}"),
                None,
            )
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.expect("answered")
    }

    async fn signed_callback(&self, id: &str, body: &str) -> Response {
        let now = chrono::Utc::now().timestamp();
        let headers = [
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", signed(CALLBACK_SECRET, id, now, body)),
        ];
        self.callback(CALLBACK_PROVIDER, &headers, body).await
    }

    async fn completions_of(&self, learner: &Value) -> Vec<Value> {
        let listed: Value = self
            .get(
                &format!(
                    "/v1/completions?learner_id={}",
                    learner["id"].as_str().expect("id")
                ),
                &self.admin,
            )
            .await
            .json()
            .await
            .expect("json");
        listed["items"].as_array().cloned().unwrap_or_default()
    }
}

async fn status_of(response: Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body["status"].as_str().expect("a status").to_owned()
}

#[tokio::test]
async fn signed_callbacks_record_completions_once_and_forged_or_stale_ones_nothing() {
    let app = TestApp::spawn().await;
    app.published_course(crate::helpers::course_body("GDPR"))
        .await;
    let hr = app.client_token(&["learners:sync"]).await;
    app.sync(&hr, "", &json!({"learners": [row("E100", "Ann", None)]}))
        .await;
    let ann = app.by_name("Ann").await;
    let today = chrono::Utc::now();
    let body =
        json!({"learner_ref": "E100", "course_ref": "GDPR", "completed_at": today, "score": 92})
            .to_string();

    // Forged (another secret), stale, unsigned, or from an unknown provider: 401, nothing kept.
    let now = today.timestamp();
    let forged = [
        ("webhook-id", "msg_1".to_owned()),
        ("webhook-timestamp", now.to_string()),
        (
            "webhook-signature",
            signed(
                "whsec_c2VjcmV0LW9mLXNvbWVvbmUtZWxzZQ==",
                "msg_1",
                now,
                &body,
            ),
        ),
    ];
    problem(
        app.callback(CALLBACK_PROVIDER, &forged, &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let stale = [
        ("webhook-id", "msg_1".to_owned()),
        ("webhook-timestamp", (now - 600).to_string()),
        (
            "webhook-signature",
            signed(CALLBACK_SECRET, "msg_1", now - 600, &body),
        ),
    ];
    problem(
        app.callback(CALLBACK_PROVIDER, &stale, &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.callback(CALLBACK_PROVIDER, &forged[..2], &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let signed_right = [
        ("webhook-id", "msg_1".to_owned()),
        ("webhook-timestamp", now.to_string()),
        (
            "webhook-signature",
            signed(CALLBACK_SECRET, "msg_1", now, &body),
        ),
    ];
    problem(
        app.callback("elsewhere", &signed_right, &body).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let tampered = body.replace("92", "100");
    problem(
        app.callback(CALLBACK_PROVIDER, &signed_right, &tampered)
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert!(app.completions_of(&ann).await.is_empty(), "nothing stored");

    // The genuine delivery, after those refusals with its id: recorded once.
    assert_eq!(
        status_of(app.callback(CALLBACK_PROVIDER, &signed_right, &body).await).await,
        "recorded"
    );
    assert_eq!(
        status_of(app.signed_callback("msg_1", &body).await).await,
        "duplicate"
    );
    assert_eq!(
        status_of(app.signed_callback("msg_2", &body).await).await,
        "already_recorded"
    );
    let recorded = app.completions_of(&ann).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (&recorded[0]["source"], &recorded[0]["score"]),
        (&json!("elearning"), &json!(92))
    );

    // A learner Pathway does not know yet: refused and not kept, so the retry succeeds later.
    let newcomer =
        json!({"learner_ref": "ben@council.gov.uk", "course_ref": "GDPR", "completed_at": today})
            .to_string();
    problem(
        app.signed_callback("msg_3", &newcomer).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let ben = app.employee("Ben", "ben@council.gov.uk").await;
    assert_eq!(
        status_of(app.signed_callback("msg_3", &newcomer).await).await,
        "recorded"
    );
    assert_eq!(app.completions_of(&ben).await.len(), 1);
    let future = json!({"learner_ref": "E100", "course_ref": "GDPR", "completed_at": today + chrono::Duration::days(3)}).to_string();
    problem(
        app.signed_callback("msg_4", &future).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let overscored =
        json!({"learner_ref": "E100", "course_ref": "GDPR", "completed_at": today, "score": 150})
            .to_string();
    let refused = problem(
        app.signed_callback("msg_5", &overscored).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(refused["errors"][0]["field"], "score", "{refused}");
}

#[tokio::test]
async fn a_client_with_completions_write_records_evidence_once_per_key() {
    let app = TestApp::spawn().await;
    let course = app
        .published_course(crate::helpers::course_body("GDPR"))
        .await;
    let learner = app.employee("Ann", "ann@council.gov.uk").await;
    let platform = app.client_token(&["completions:write"]).await;
    let hr = app.client_token(&["learners:sync"]).await;
    let body = json!({"learner_id": learner["id"], "course_id": course["id"],
        "completed_on": chrono::Utc::now().date_naive() - chrono::Duration::days(1), "score": 88});
    let post = |caller: String, key: &'static str| {
        let app = &app;
        let body = body.clone();
        async move {
            app.request(Method::POST, "/v1/completions", Some(&caller))
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("answered")
        }
    };
    problem(post(hr.clone(), "k1").await, StatusCode::FORBIDDEN).await;
    let first = post(platform.clone(), "k1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    let retry = post(platform.clone(), "k1").await;
    assert_eq!(
        retry.status(),
        StatusCode::CREATED,
        "the first answer again"
    );
    assert_eq!(
        retry.json::<Value>().await.expect("json")["id"],
        first["id"]
    );
    problem(post(platform.clone(), "k2").await, StatusCode::CONFLICT).await;
    // A refusal is kept for the key too, though its work rolled back with the claim.
    let refused_again = post(platform, "k2").await;
    assert_eq!(refused_again.headers()["idempotent-replayed"], "true");
    problem(refused_again, StatusCode::CONFLICT).await;
    assert_eq!(app.completions_of(&learner).await.len(), 1);
}

#[tokio::test]
async fn syncs_racing_through_two_processes_create_each_employee_once() {
    let app = TestApp::spawn().await;
    let hr = app.client_token(&["learners:sync"]).await;
    let servers = [app.another_process().await, app.another_process().await];
    // Six calls at once, each overlapping the next by half: 70 different employees.
    let calls = (0..6).map(|k| {
        let rows: Vec<Value> = (k * 10..k * 10 + 20)
            .map(|n| row(&format!("E{n:03}"), &format!("Person{n}"), None))
            .collect();
        let url = format!(
            "{}/v1/integrations/hr/learners/sync",
            servers[k % 2].address
        );
        let (app, hr) = (&app, hr.clone());
        async move {
            let response = app
                .client
                .post(url)
                .bearer_auth(hr)
                .json(&json!({ "learners": rows }))
                .send()
                .await
                .expect("answered");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.expect("json")
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let created: u64 = results.iter().map(|r| counts(r)[0]).sum();
    let unchanged: u64 = results.iter().map(|r| counts(r)[2]).sum();
    assert_eq!((created, unchanged), (70, 50), "{results:?}");
    let everyone: Value = app
        .get("/v1/learners?limit=500", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(everyone["items"].as_array().map(Vec::len), Some(70));

    // One retry sent to both processes at once does the work once: the later waits for the
    // earlier's transaction and replays its answer.
    let retries = servers.iter().map(|server| {
        let url = format!("{}/v1/integrations/hr/learners/sync", server.address);
        let (app, hr) = (&app, hr.clone());
        async move {
            app.client
                .post(url)
                .bearer_auth(hr)
                .header("idempotency-key", "same-retry")
                .json(&json!({"learners": [row("E900", "Retry", None)]}))
                .send()
                .await
                .expect("answered")
        }
    });
    let answers = futures_util::future::join_all(retries).await;
    let replayed = answers
        .iter()
        .filter(|a| a.headers().contains_key("idempotent-replayed"))
        .count();
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status()).collect();
    assert_eq!(
        (statuses.as_slice(), replayed),
        (&[StatusCode::OK, StatusCode::OK][..], 1)
    );
    assert_eq!(app.by_name("Retry").await["external_ref"], "E900");
}

#[tokio::test]
async fn wrong_secrets_past_a_handful_are_held_back_while_the_right_one_keeps_working() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.client(&["xapi:write", "learners:sync"]).await;
    app.token_of(&id, &secret).await;

    for _ in 0..5 {
        let wrong = app
            .token_request(Some((&id, "guess")), "grant_type=client_credentials")
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let held = app
        .token_request(Some((&id, "guess")), "grant_type=client_credentials")
        .await;
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = held.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=300).contains(&wait), "{wait}");
    let body: Value = held.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");

    // The client's own secret, verified before, is still taken, without argon2.
    app.token_of(&id, &secret).await;
    // The guesser's address is held too, whichever client it names next; over xAPI as well.
    let statements = app
        .request(Method::GET, "/xapi/statements", None)
        .basic_auth(Uuid::now_v7(), Some("guess"))
        .header("x-experience-api-version", "1.0.3")
        .send()
        .await
        .expect("answered");
    assert_eq!(statements.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(statements.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn an_integration_clients_quota_is_its_own_over_tokens_and_basic() {
    let app = TestApp::spawn_with(|config| config.rate_limits.client = 2).await;
    let (id, secret) = app.client(&["xapi:read", "learners:sync"]).await;
    let token = app.token_of(&id, &secret).await;
    for _ in 0..2 {
        let listed = app
            .request(Method::GET, "/scim/v2/Users", Some(&token))
            .send()
            .await
            .expect("answered");
        assert_eq!(listed.status(), StatusCode::OK);
        assert_eq!(listed.headers()["ratelimit-policy"], "\"client\";q=2;w=60");
    }
    let refused = app
        .request(Method::GET, "/scim/v2/Users", Some(&token))
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["content-type"], "application/scim+json");
    assert!(
        refused.headers().contains_key("retry-after"),
        "SCIM's own errors say when to retry too"
    );
    // The same client over HTTP Basic draws on the same quota.
    let statements = app
        .request(Method::GET, "/xapi/statements", None)
        .basic_auth(&id, Some(&secret))
        .header("x-experience-api-version", "1.0.3")
        .send()
        .await
        .expect("answered");
    assert_eq!(statements.status(), StatusCode::TOO_MANY_REQUESTS);
    problem(statements, StatusCode::TOO_MANY_REQUESTS).await;
}
