use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, delivered, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

#[tokio::test]
async fn those_who_attended_give_feedback_once() {
    let app = TestApp::spawn().await;
    let (session, people) = delivered(&app, "PRESENTING", "External").await;
    let rate = |person: &Value, rating: i32| json!({"learner_id": person["id"], "session_id": session["id"], "rating": rating, "comments": "Useful", "would_recommend": true});
    let as_first = token(id(&people[0]), &["learner"]);
    let given = app
        .post("/v1/feedback", &as_first, &rate(&people[0], 5))
        .await;
    assert_eq!(given.status(), StatusCode::CREATED);
    problem(
        app.post("/v1/feedback", &as_first, &rate(&people[0], 4))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        app.post("/v1/feedback", &as_first, &rate(&people[1], 4))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let no_show = problem(
        app.post("/v1/feedback", &app.admin, &rate(&people[2], 1))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        no_show["detail"]
            .as_str()
            .is_some_and(|d| d.contains("attended")),
        "{no_show}"
    );
    problem(
        app.post("/v1/feedback", &app.admin, &rate(&people[1], 6))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut both = rate(&people[1], 4);
    both["cohort_id"] = session["id"].clone();
    problem(
        app.post("/v1/feedback", &app.admin, &both).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let listed: Value = app
        .get(
            &format!("/v1/feedback?session_id={}", id(&session)),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    problem(
        app.get("/v1/feedback", &as_first).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn feedback_is_summarised_by_session_course_and_provider() {
    let app = TestApp::spawn().await;
    let (ilm, ilm_people) = delivered(&app, "ILM5", "ILM").await;
    let (pm, pm_people) = delivered(&app, "PROJECT-MGMT", "External").await;
    for (session, person, rating, recommend) in [
        (&ilm, &ilm_people[0], 5, true),
        (&ilm, &ilm_people[1], 3, false),
        (&pm, &pm_people[0], 4, true),
    ] {
        let body = json!({"learner_id": person["id"], "session_id": session["id"], "rating": rating, "would_recommend": recommend});
        assert_eq!(
            app.post("/v1/feedback", &app.admin, &body).await.status(),
            StatusCode::CREATED
        );
    }
    let by_provider: Value = app
        .get("/v1/feedback/summary?group_by=provider", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        by_provider["items"],
        json!([
            {"key": "External", "count": 1, "mean": 4.0, "distribution": [0, 0, 0, 1, 0], "would_recommend": 1.0},
            {"key": "ILM", "count": 2, "mean": 4.0, "distribution": [0, 0, 1, 0, 1], "would_recommend": 0.5}
        ])
    );
    let by_session: Value = app
        .get("/v1/feedback/summary?group_by=session", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_session["items"].as_array().map(Vec::len), Some(2));
    let future: Value = app
        .get(
            "/v1/feedback/summary?group_by=course&from=2999-01-01",
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(future["items"], json!([]));
    problem(
        app.get("/v1/feedback/summary?group_by=ward", &app.admin)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn the_delivery_report_counts_sessions_seats_attendance_and_ratings_in_json_and_csv() {
    let app = TestApp::spawn().await;
    let (session, people) = delivered(&app, "ILM5", "ILM").await;
    let body = json!({"learner_id": people[0]["id"], "session_id": session["id"], "rating": 4, "would_recommend": true});
    app.post("/v1/feedback", &app.admin, &body).await;
    let today = chrono::Utc::now().date_naive();
    let period = format!(
        "from={}&to={}",
        today - chrono::Duration::days(2),
        today + chrono::Duration::days(2)
    );

    let report: Value = app
        .get(&format!("/v1/reports/delivery?{period}"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let row = &report["courses"][0];
    assert_eq!(report["courses"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (
            &row["code"],
            &row["sessions"],
            &row["booked"],
            &row["attended"],
            &row["no_shows"],
            &row["ratings"],
            &row["mean_rating"]
        ),
        (
            &json!("ILM5"),
            &json!(1),
            &json!(3),
            &json!(2),
            &json!(1),
            &json!(1),
            &json!(4.0)
        )
    );

    let csv = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/reports/delivery?{period}"),
            Some(&app.admin),
        )
        .header("accept", "text/csv")
        .send()
        .await
        .expect("answered");
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/csv"))
    );
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "course_id,code,title,sessions,booked,attended,no_shows,ratings,mean_rating"
    );
    assert_eq!(
        lines[1],
        format!(
            "{},ILM5,Course ILM5,1,3,2,1,1,4.00",
            row["course_id"].as_str().expect("id")
        )
    );

    let empty: Value = app
        .get(
            "/v1/reports/delivery?from=2020-01-01&to=2020-12-31",
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(empty["courses"], json!([]));
    problem(
        app.get(
            "/v1/reports/delivery?from=2021-01-01&to=2020-01-01",
            &app.admin,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.get("/v1/reports/delivery", &app.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        app.get(
            &format!("/v1/reports/delivery?{period}"),
            &token(id(&people[0]), &["manager"]),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}
