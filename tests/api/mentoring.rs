use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

#[tokio::test]
async fn reverse_mentoring_pairs_two_different_active_learners() {
    let app = TestApp::spawn().await;
    let junior = app.employee("Junior", "junior@council.gov.uk").await;
    let director = app.employee("Director", "director@council.gov.uk").await;
    let pair = |mentor: &Value, mentee: &Value| json!({"kind": "reverse_mentoring", "mentor_id": mentor["id"], "mentee_id": mentee["id"], "started_on": "2026-02-01"});
    let created = app
        .post(
            "/v1/mentoring-partnerships",
            &app.admin,
            &pair(&junior, &director),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let partnership: Value = created.json().await.expect("json");
    assert_eq!(partnership["status"], "active");

    problem(
        app.post(
            "/v1/mentoring-partnerships",
            &app.admin,
            &pair(&junior, &junior),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let leaver = app.employee("Leaver", "leaver@council.gov.uk").await;
    app.post(
        &format!("/v1/learners/{}/leave", id(&leaver)),
        &app.admin,
        &json!({}),
    )
    .await;
    problem(
        app.post(
            "/v1/mentoring-partnerships",
            &app.admin,
            &pair(&leaver, &director),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut unknown = pair(&junior, &director);
    unknown["kind"] = json!("buddying");
    problem(
        app.post("/v1/mentoring-partnerships", &app.admin, &unknown)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.post(
            "/v1/mentoring-partnerships",
            &token(id(&junior), &["learner"]),
            &pair(&junior, &director),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let mine: Value = app
        .get(
            "/v1/mentoring-partnerships",
            &token(id(&director), &["learner"]),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let stranger = app.employee("Stranger", "stranger@council.gov.uk").await;
    let theirs: Value = app
        .get(
            "/v1/mentoring-partnerships",
            &token(id(&stranger), &["learner"]),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(theirs["items"], json!([]));
    problem(
        app.get(
            &format!("/v1/mentoring-partnerships?learner_id={}", id(&junior)),
            &token(id(&stranger), &["learner"]),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let end = format!("/v1/mentoring-partnerships/{}/end", id(&partnership));
    problem(
        app.post(&end, &app.admin, &json!({"ended_on": "2026-01-01"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let ended: Value = app
        .post(&end, &app.admin, &json!({"ended_on": "2026-09-30"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (ended["status"].as_str(), ended["ended_on"].as_str()),
        (Some("ended"), Some("2026-09-30"))
    );
    problem(
        app.post(&end, &app.admin, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    let active: Value = app
        .get(
            "/v1/mentoring-partnerships?status=active&kind=reverse_mentoring",
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(active["items"], json!([]));
}
