use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, course_body, problem, token};

#[tokio::test]
async fn every_change_leaves_an_audit_event_with_its_actor_and_request_id() {
    let app = TestApp::spawn().await;
    let created = app
        .request(reqwest::Method::POST, "/v1/courses", Some(&app.admin))
        .header("x-request-id", "trace-me-123")
        .json(&course_body("GDPR"))
        .send()
        .await
        .expect("answered");
    assert_eq!(created.status(), StatusCode::CREATED);
    let course: Value = created.json().await.expect("json");
    app.employee("Ann", "ann@council.gov.uk").await;

    let events: Value = app
        .get("/v1/audit-events", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let items = events["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["action"], "course.created");
    assert_eq!(items[0]["resource_id"], course["id"]);
    assert_eq!(items[0]["request_id"], "trace-me-123");
    assert_eq!(items[0]["actor"], "00000000-0000-7000-8000-00000000a0a0");
    assert_eq!(items[1]["action"], "learner.created");

    let by_resource: Value = app
        .get(
            &format!(
                "/v1/audit-events?resource_type=course&resource_id={}",
                course["id"].as_str().expect("id")
            ),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_resource["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_refused_change_leaves_no_audit_event() {
    let app = TestApp::spawn().await;
    let course = app.course(course_body("GDPR")).await;
    let publish = format!("/v1/courses/{}/publish", course["id"].as_str().expect("id"));
    problem(
        app.post(&publish, &app.admin, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let events: Value = app
        .get("/v1/audit-events?resource_type=course", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let actions: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["course.created"]);
}

#[tokio::test]
async fn only_admins_read_the_audit_trail() {
    let app = TestApp::spawn().await;
    for role in ["learner", "manager", "panel_member"] {
        let caller = token(&uuid::Uuid::now_v7().to_string(), &[role]);
        problem(
            app.get("/v1/audit-events", &caller).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
}
