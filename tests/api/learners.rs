use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, etag, problem, token};

#[tokio::test]
async fn an_admin_creates_an_employee_and_reads_it_back_with_its_etag() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/v1/learners",
            &app.admin,
            &json!({"kind": "employee", "given_name": "Priya", "family_name": "Shah", "email": "Priya.Shah@Council.gov.uk",
                    "external_ref": "HR-1", "department": "Planning", "job_title": "Planning Officer", "started_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned();
    let created_etag = etag(&response);
    let created: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/v1/learners/{}", created["id"].as_str().expect("id"))
    );
    assert_eq!(created["email"], "priya.shah@council.gov.uk");
    assert_eq!(created["status"], "active");
    assert_eq!(created["committees"], json!([]));

    let read = app.get(&location, &app.admin).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(etag(&read), created_etag);
    assert_eq!(read.json::<Value>().await.expect("json"), created);
}

#[tokio::test]
async fn a_missing_start_date_defaults_to_today() {
    let app = TestApp::spawn().await;
    let learner = app.employee("Ann", "ann@council.gov.uk").await;
    assert!(
        learner["started_on"]
            .as_str()
            .is_some_and(|d| d.len() == 10),
        "{learner}"
    );
}

#[tokio::test]
async fn a_duplicate_email_or_hr_reference_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.learner(json!({"kind": "employee", "given_name": "A", "family_name": "B", "email": "a@council.gov.uk", "external_ref": "HR-9"}))
        .await;
    let same_email = app
        .post("/v1/learners", &app.admin, &json!({"kind": "employee", "given_name": "C", "family_name": "D", "email": "A@COUNCIL.GOV.UK"}))
        .await;
    let body = problem(same_email, StatusCode::CONFLICT).await;
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("email")),
        "{body}"
    );
    let same_ref = app
        .post(
            "/v1/learners",
            &app.admin,
            &json!({"kind": "employee", "given_name": "C", "family_name": "D", "email": "c@council.gov.uk", "external_ref": "HR-9"}),
        )
        .await;
    let body = problem(same_ref, StatusCode::CONFLICT).await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("external_ref")),
        "{body}"
    );
}

#[tokio::test]
async fn kind_specific_fields_are_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let employee_with_politics = app
        .post(
            "/v1/learners",
            &app.admin,
            &json!({"kind": "employee", "given_name": "A", "family_name": "B", "email": "a@council.gov.uk", "political_group": "Green", "ward": "North"}),
        )
        .await;
    let body = problem(employee_with_politics, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["political_group", "ward"]);

    let manager = app.employee("Boss", "boss@council.gov.uk").await;
    let member_with_manager = app
        .post(
            "/v1/learners",
            &app.admin,
            &json!({"kind": "elected_member", "given_name": "A", "family_name": "B", "email": "m@council.gov.uk", "manager_id": manager["id"]}),
        )
        .await;
    let body = problem(member_with_manager, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "manager_id");
}

#[tokio::test]
async fn a_manager_must_be_an_existing_employee() {
    let app = TestApp::spawn().await;
    let member = app.member("Tom", "tom@council.gov.uk", &[]).await;
    for manager_id in [json!(uuid::Uuid::now_v7()), member["id"].clone()] {
        let response = app
            .post(
                "/v1/learners",
                &app.admin,
                &json!({"kind": "employee", "given_name": "A", "family_name": "B", "email": "a@council.gov.uk", "manager_id": manager_id}),
            )
            .await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], "manager_id");
    }
    let listed: Value = app
        .get("/v1/learners", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "a refused learner is not half-written"
    );
}

#[tokio::test]
async fn missing_fields_and_unknown_values_are_unprocessable() {
    let app = TestApp::spawn().await;
    let no_email = app
        .post(
            "/v1/learners",
            &app.admin,
            &json!({"kind": "employee", "given_name": "A", "family_name": "B"}),
        )
        .await;
    problem(no_email, StatusCode::UNPROCESSABLE_ENTITY).await;
    let bad_kind =
        app.post("/v1/learners", &app.admin, &json!({"kind": "contractor", "given_name": "A", "family_name": "B", "email": "a@b.uk"})).await;
    problem(bad_kind, StatusCode::UNPROCESSABLE_ENTITY).await;
    let bad_email =
        app.post("/v1/learners", &app.admin, &json!({"kind": "employee", "given_name": "A", "family_name": "B", "email": "not-an-email"})).await;
    let body = problem(bad_email, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "email");
}

#[tokio::test]
async fn learners_are_listed_by_filters_and_pages() {
    let app = TestApp::spawn().await;
    app.member("Alice", "alice@council.gov.uk", &["Planning", "Licensing"])
        .await;
    app.member("Bob", "bob@council.gov.uk", &["Licensing"])
        .await;
    app.employee("Carol", "carol@council.gov.uk").await;

    let names = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|l| l["given_name"].as_str().expect("name").to_owned())
            .collect()
    };
    let get = |query: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/v1/learners{query}"), &app.admin)
                .await
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(names(get("?kind=elected_member").await), ["Alice", "Bob"]);
    assert_eq!(names(get("?committee=Planning").await), ["Alice"]);
    assert_eq!(names(get("?department=Finance").await), ["Carol"]);
    assert_eq!(names(get("?q=BOB").await), ["Bob"]);
    assert_eq!(
        names(get("?q=council.gov").await),
        ["Alice", "Bob", "Carol"]
    );
    assert_eq!(names(get("?q=%25").await), Vec::<String>::new());
    assert_eq!(
        names(get("?political_group=Labour&status=active").await),
        ["Alice", "Bob"]
    );

    let first = get("?limit=2").await;
    assert_eq!(names(first.clone()), ["Alice", "Bob"]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_owned();
    let second = app
        .get(&format!("/v1/learners?limit=2&cursor={cursor}"), &app.admin)
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(names(second.clone()), ["Carol"]);
    assert_eq!(second["next_cursor"], Value::Null);

    problem(
        app.get("/v1/learners?limit=0", &app.admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.get("/v1/learners?limit=501", &app.admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.get("/v1/learners?cursor=bogus", &app.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        app.get("/v1/learners?kind=robot", &app.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn a_learner_reads_their_own_record_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let me = app.employee("Me", "me@council.gov.uk").await;
    let other = app.employee("Other", "other@council.gov.uk").await;
    let mine = token(me["id"].as_str().expect("id"), &["learner"]);
    assert_eq!(
        app.get(
            &format!("/v1/learners/{}", me["id"].as_str().expect("id")),
            &mine
        )
        .await
        .status(),
        StatusCode::OK
    );
    problem(
        app.get(
            &format!("/v1/learners/{}", other["id"].as_str().expect("id")),
            &mine,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(app.get("/v1/learners", &mine).await, StatusCode::FORBIDDEN).await;
    problem(
        app.post("/v1/learners", &mine, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn a_manager_sees_their_reports_and_only_them() {
    let app = TestApp::spawn().await;
    let boss = app.employee("Boss", "boss@council.gov.uk").await;
    let report = app
        .learner(json!({"kind": "employee", "given_name": "Report", "family_name": "R", "email": "r@council.gov.uk", "manager_id": boss["id"]}))
        .await;
    let stranger = app.employee("Stranger", "s@council.gov.uk").await;
    let manager = token(boss["id"].as_str().expect("id"), &["manager"]);
    assert_eq!(
        app.get(
            &format!("/v1/learners/{}", report["id"].as_str().expect("id")),
            &manager
        )
        .await
        .status(),
        StatusCode::OK
    );
    problem(
        app.get(
            &format!("/v1/learners/{}", stranger["id"].as_str().expect("id")),
            &manager,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let listed: Value = app
        .get("/v1/learners", &manager)
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [&report["id"]]);
}

#[tokio::test]
async fn a_merge_patch_needs_the_current_etag() {
    let app = TestApp::spawn().await;
    let learner = app.employee("Ann", "ann@council.gov.uk").await;
    let path = format!("/v1/learners/{}", learner["id"].as_str().expect("id"));
    let current = etag(&app.get(&path, &app.admin).await);

    problem(
        app.patch(&path, &app.admin, None, &json!({"job_title": "Clerk"}))
            .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    problem(
        app.patch(
            &path,
            &app.admin,
            Some("\"99\""),
            &json!({"job_title": "Clerk"}),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;

    let changed = app
        .patch(
            &path,
            &app.admin,
            Some(&current),
            &json!({"job_title": "Clerk", "department": null}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let next = etag(&changed);
    assert_ne!(next, current);
    let body: Value = changed.json().await.expect("json");
    assert_eq!(
        (body["job_title"].as_str(), &body["department"]),
        (Some("Clerk"), &Value::Null)
    );
    assert_eq!(
        body["given_name"], "Ann",
        "fields the patch leaves out stay as they were"
    );

    problem(
        app.patch(
            &path,
            &app.admin,
            Some(&current),
            &json!({"job_title": "Again"}),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

#[tokio::test]
async fn a_patch_that_breaks_a_rule_changes_nothing() {
    let app = TestApp::spawn().await;
    let learner = app.employee("Ann", "ann@council.gov.uk").await;
    let path = format!("/v1/learners/{}", learner["id"].as_str().expect("id"));
    let current = etag(&app.get(&path, &app.admin).await);
    for patch in [
        json!({"kind": "elected_member"}),
        json!({"ward": "North", "job_title": "Never saved"}),
        json!({"status": "left"}),
        json!({"email": "broken"}),
        json!({"manager_id": learner["id"]}),
    ] {
        let body = problem(
            app.patch(&path, &app.admin, Some(&current), &patch).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(body["detail"].as_str().is_some(), "{patch}: {body}");
    }
    let read = app.get(&path, &app.admin).await;
    assert_eq!(etag(&read), current);
    assert_eq!(read.json::<Value>().await.expect("json"), learner);

    let not_json = app
        .request(reqwest::Method::PATCH, &path, Some(&app.admin))
        .header("content-type", "application/merge-patch+json")
        .header("if-match", &current)
        .body("{not json")
        .send()
        .await
        .expect("answered");
    problem(not_json, StatusCode::BAD_REQUEST).await;
    let wrong_type = app
        .request(reqwest::Method::PATCH, &path, Some(&app.admin))
        .header("content-type", "text/plain")
        .header("if-match", &current)
        .body("{}")
        .send()
        .await
        .expect("answered");
    problem(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}

#[tokio::test]
async fn concurrent_patches_with_one_etag_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let learner = app.employee("Ann", "ann@council.gov.uk").await;
    let path = format!("/v1/learners/{}", learner["id"].as_str().expect("id"));
    let current = etag(&app.get(&path, &app.admin).await);
    let attempts = (0..8).map(|i| {
        let (app, path, current) = (&app, &path, &current);
        async move {
            app.patch(
                path,
                &app.admin,
                Some(current),
                &json!({"job_title": format!("Title {i}")}),
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
            .count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn committee_seats_change_through_a_patch() {
    let app = TestApp::spawn().await;
    let member = app.member("Tom", "tom@council.gov.uk", &["Planning"]).await;
    let path = format!("/v1/learners/{}", member["id"].as_str().expect("id"));
    let current = etag(&app.get(&path, &app.admin).await);
    let changed: Value = app
        .patch(
            &path,
            &app.admin,
            Some(&current),
            &json!({"committees": ["Licensing", "HR Appeals"], "responsibilities": ["chair"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(changed["committees"], json!(["HR Appeals", "Licensing"]));
    assert_eq!(changed["responsibilities"], json!(["chair"]));
    let planning: Value = app
        .get("/v1/learners?committee=Planning", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(planning["items"], json!([]));
}

#[tokio::test]
async fn a_learner_leaves_once() {
    let app = TestApp::spawn().await;
    let learner = app
        .learner(json!({"kind": "employee", "given_name": "A", "family_name": "B", "email": "a@council.gov.uk", "started_on": "2025-01-06"}))
        .await;
    let path = format!("/v1/learners/{}/leave", learner["id"].as_str().expect("id"));
    problem(
        app.post(&path, &app.admin, &json!({"left_on": "2024-12-31"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let left = app
        .post(&path, &app.admin, &json!({"left_on": "2026-10-31"}))
        .await;
    assert_eq!(left.status(), StatusCode::OK);
    let body: Value = left.json().await.expect("json");
    assert_eq!(
        (body["status"].as_str(), body["left_on"].as_str()),
        (Some("left"), Some("2026-10-31"))
    );
    problem(
        app.post(&path, &app.admin, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let leavers: Value = app
        .get("/v1/learners?status=left", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(leavers["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn unknown_learners_are_not_found() {
    let app = TestApp::spawn().await;
    problem(
        app.get(
            &format!("/v1/learners/{}", uuid::Uuid::now_v7()),
            &app.admin,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get("/v1/learners/not-a-uuid", &app.admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let path = format!("/v1/learners/{}", uuid::Uuid::now_v7());
    problem(
        app.patch(&path, &app.admin, Some("*"), &json!({"job_title": "X"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}
