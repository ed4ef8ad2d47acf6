use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, course_body, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

#[tokio::test]
async fn an_admin_records_external_evidence_once() {
    let app = TestApp::spawn().await;
    let mut body = course_body("LGA-EVENT");
    body["validity_months"] = json!(36);
    let course = app.published_course(body).await;
    let member = app.member("Tom", "tom@council.gov.uk", &[]).await;
    let evidence = json!({"learner_id": member["id"], "course_id": course["id"], "completed_on": "2024-02-29", "score": 88, "evidence": "LGA certificate"});

    let created = app.post("/v1/completions", &app.admin, &evidence).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let record: Value = created.json().await.expect("json");
    assert_eq!(
        (record["source"].as_str(), record["expires_on"].as_str()),
        (Some("external"), Some("2027-02-28"))
    );
    problem(
        app.post("/v1/completions", &app.admin, &evidence).await,
        StatusCode::CONFLICT,
    )
    .await;

    let mut future = evidence.clone();
    future["completed_on"] = json!("2999-01-01");
    problem(
        app.post("/v1/completions", &app.admin, &future).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut nobody = evidence.clone();
    nobody["learner_id"] = json!(uuid::Uuid::now_v7());
    let body = problem(
        app.post("/v1/completions", &app.admin, &nobody).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "learner_id");
    let learner = token(id(&member), &["learner"]);
    problem(
        app.post("/v1/completions", &learner, &evidence).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn learners_read_their_own_record_and_managers_their_reports() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let boss = app.employee("Boss", "boss@council.gov.uk").await;
    let report = app
        .learner(json!({"kind": "employee", "given_name": "Rep", "family_name": "Ort", "email": "r@council.gov.uk", "manager_id": boss["id"]}))
        .await;
    let stranger = app.employee("Stranger", "s@council.gov.uk").await;
    let mut records = Vec::new();
    for person in [&boss, &report, &stranger] {
        let response = app
            .post("/v1/completions", &app.admin, &json!({"learner_id": person["id"], "course_id": course["id"], "completed_on": "2026-01-05"}))
            .await;
        records.push(response.json::<Value>().await.expect("json"));
    }
    let learner_ids = |page: Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["learner_id"].clone())
            .collect()
    };

    let as_report = token(id(&report), &["learner"]);
    assert_eq!(
        learner_ids(
            app.get("/v1/completions", &as_report)
                .await
                .json()
                .await
                .expect("json")
        ),
        [report["id"].clone()]
    );
    problem(
        app.get(
            &format!("/v1/completions?learner_id={}", id(&stranger)),
            &as_report,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.get(&format!("/v1/completions/{}", id(&records[2])), &as_report)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.get(&format!("/v1/completions/{}", id(&records[1])), &as_report)
            .await
            .status(),
        StatusCode::OK
    );

    let as_boss = token(id(&boss), &["manager"]);
    assert_eq!(
        learner_ids(
            app.get("/v1/completions", &as_boss)
                .await
                .json()
                .await
                .expect("json")
        ),
        [report["id"].clone()]
    );
    let own: Value = app
        .get(
            &format!("/v1/completions?learner_id={}", id(&boss)),
            &as_boss,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learner_ids(own), [boss["id"].clone()]);
    let strangers: Value = app
        .get(
            &format!("/v1/completions?learner_id={}", id(&stranger)),
            &as_boss,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(strangers["items"], json!([]));
    assert_eq!(
        app.get(&format!("/v1/completions/{}", id(&records[1])), &as_boss)
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.get(&format!("/v1/completions/{}", id(&records[2])), &as_boss)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let everyone: Value = app
        .get(
            "/v1/completions?completed_since=2026-01-01&completed_until=2026-01-31",
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(everyone["items"].as_array().map(Vec::len), Some(3));
    let none: Value = app
        .get("/v1/completions?completed_since=2026-02-01", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["items"], json!([]));
}
