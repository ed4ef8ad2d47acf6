use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, course_body, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

async fn leading_others(app: &TestApp) -> Value {
    let mut course = course_body("LEADING-OTHERS");
    course["pillar"] = json!("leadership");
    course["audience"] = json!("employees");
    course["validity_months"] = Value::Null;
    let course = app.published_course(course).await;
    let response = app
        .post(
            "/v1/programmes",
            &app.admin,
            &json!({"name": "Leading Others", "course_id": course["id"], "modules": ["Self-awareness", "Culture", "Leading change"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("a programme")
}

async fn cohort(app: &TestApp, programme: &Value, starts_on: &str, capacity: u32) -> Value {
    let response = app
        .post(
            "/v1/cohorts",
            &app.admin,
            &json!({"programme_id": programme["id"], "starts_on": starts_on, "capacity": capacity}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("a cohort")
}

#[tokio::test]
async fn a_cohort_fills_to_capacity_and_refuses_more() {
    let app = TestApp::spawn().await;
    let programme = leading_others(&app).await;
    assert_eq!(programme["modules"][1]["title"], "Culture");
    let intake = cohort(&app, &programme, "2099-01-04", 2).await;
    assert_eq!(intake["status"], "planned");
    let members = format!("/v1/cohorts/{}/members", id(&intake));
    let people = [
        app.employee("A", "a@council.gov.uk").await,
        app.employee("B", "b@council.gov.uk").await,
        app.employee("C", "c@council.gov.uk").await,
    ];
    assert_eq!(
        app.post(
            &members,
            &app.admin,
            &json!({"learner_id": people[0]["id"]})
        )
        .await
        .status(),
        StatusCode::CREATED
    );
    let open: Value = app
        .get(&format!("/v1/cohorts/{}", id(&intake)), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (open["status"].as_str(), open["members"].as_i64()),
        (Some("open"), Some(1))
    );
    problem(
        app.post(
            &members,
            &app.admin,
            &json!({"learner_id": people[0]["id"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    app.post(
        &members,
        &app.admin,
        &json!({"learner_id": people[1]["id"]}),
    )
    .await;
    let full = problem(
        app.post(
            &members,
            &app.admin,
            &json!({"learner_id": people[2]["id"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        full["detail"].as_str().is_some_and(|d| d.contains("full")),
        "{full}"
    );
    let status: Value = app
        .get(&format!("/v1/cohorts/{}", id(&intake)), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(status["status"], "full");

    let member = app.member("Cllr", "cllr@council.gov.uk", &[]).await;
    let other = cohort(&app, &programme, "2099-02-01", 5).await;
    let other_members = format!("/v1/cohorts/{}/members", id(&other));
    problem(
        app.post(
            &other_members,
            &app.admin,
            &json!({"learner_id": member["id"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.post(
            &other_members,
            &app.admin,
            &json!({"learner_id": uuid::Uuid::now_v7()}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let learner = token(id(&people[2]), &["learner"]);
    problem(
        app.post(
            &other_members,
            &learner,
            &json!({"learner_id": people[2]["id"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn simultaneous_joins_never_overfill_a_cohort() {
    let app = TestApp::spawn().await;
    let programme = leading_others(&app).await;
    let intake = cohort(&app, &programme, "2099-01-04", 12).await;
    let mut people = Vec::new();
    for i in 0..20 {
        people.push(
            app.employee(&format!("P{i}"), &format!("p{i}@council.gov.uk"))
                .await,
        );
    }
    let path = format!("/v1/cohorts/{}/members", id(&intake));
    let joins = people.iter().map(|person| {
        let (app, path) = (&app, &path);
        async move {
            app.post(path, &app.admin, &json!({"learner_id": person["id"]}))
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(joins).await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        12,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        8,
        "{statuses:?}"
    );
    let members: Value = app.get(&path, &app.admin).await.json().await.expect("json");
    assert_eq!(members["items"].as_array().map(Vec::len), Some(12));
}

#[tokio::test]
async fn modules_are_completed_in_order_and_the_last_records_the_programme() {
    let app = TestApp::spawn().await;
    let programme = leading_others(&app).await;
    let intake = cohort(&app, &programme, "2026-01-05", 5).await;
    let person = app.employee("Ann", "ann@council.gov.uk").await;
    let other = app.employee("Bob", "bob@council.gov.uk").await;
    for learner in [&person, &other] {
        app.post(
            &format!("/v1/cohorts/{}/members", id(&intake)),
            &app.admin,
            &json!({"learner_id": learner["id"]}),
        )
        .await;
    }
    let progress = format!("/v1/cohorts/{}/progress", id(&intake));
    let module = |i: usize| programme["modules"][i]["id"].clone();
    let mark = |learner: &Value, i: usize, status: &str| json!({"learner_id": learner["id"], "module_id": module(i), "status": status, "completed_on": "2026-03-02"});

    let refused = problem(
        app.post(&progress, &app.admin, &mark(&person, 1, "completed"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Self-awareness")),
        "{refused}"
    );
    assert_eq!(
        app.post(&progress, &app.admin, &mark(&person, 1, "in_progress"))
            .await
            .status(),
        StatusCode::OK
    );
    for i in 0..2 {
        assert_eq!(
            app.post(&progress, &app.admin, &mark(&person, i, "completed"))
                .await
                .status(),
            StatusCode::OK
        );
    }
    problem(
        app.post(&progress, &app.admin, &mark(&person, 0, "in_progress"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let none: Value = app
        .get(
            &format!("/v1/completions?learner_id={}", id(&person)),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["items"], json!([]));

    let last: Value = app
        .post(&progress, &app.admin, &mark(&person, 2, "completed"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(last["completed"], true);
    let records: Value = app
        .get(
            &format!("/v1/completions?learner_id={}", id(&person)),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let items = records["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["source"].as_str(), items[0]["course_id"].clone()),
        (Some("cohort"), programme["course_id"].clone())
    );

    let grid: Value = app
        .get(&progress, &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(grid["modules"].as_array().map(Vec::len), Some(3));
    let rows = grid["members"].as_array().expect("members");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["modules"][0]["status"], "not_started");
    let in_progress: Value = app
        .get(&format!("/v1/cohorts/{}", id(&intake)), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(in_progress["status"], "in_progress");

    let own: Value = app
        .get(&progress, &token(id(&other), &["learner"]))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        own["members"].as_array().map(Vec::len),
        Some(1),
        "a member sees only their own row"
    );
    let outsider = app.employee("Out", "out@council.gov.uk").await;
    problem(
        app.post(&progress, &app.admin, &mark(&outsider, 0, "completed"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let remove = |learner: &Value| format!("/v1/cohorts/{}/members/{}", id(&intake), id(learner));
    let refused = app
        .request(Method::DELETE, &remove(&person), Some(&app.admin))
        .send()
        .await
        .expect("answered");
    problem(refused, StatusCode::CONFLICT).await;
    let removed = app
        .request(Method::DELETE, &remove(&other), Some(&app.admin))
        .send()
        .await
        .expect("answered");
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let completed: Value = app
        .get(&format!("/v1/cohorts/{}", id(&intake)), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        completed["status"], "completed",
        "every remaining member has finished"
    );
}
