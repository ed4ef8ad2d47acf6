use serde_json::Value;

use crate::helpers::TestApp;

fn titles(matrix: &Value, category: &str, column: &str) -> Vec<String> {
    matrix["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["category"] == category && c["column"] == column)
        .map(|c| {
            c["courses"]
                .as_array()
                .expect("courses")
                .iter()
                .map(|x| x["title"].as_str().expect("title").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn demo_data_loads_once_with_the_catalogue_and_a_delivery_history() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let config = crate::helpers::config(&app.database_url);
    let first = pathway_server::demo_data::load(&db, &config)
        .await
        .expect("loads");
    assert!(
        first.added >= 30
            && first.history_added
            && first.money_added
            && first.requirements_added == 9
            && first.panel_added,
        "{first:?}"
    );
    let second = pathway_server::demo_data::load(&db, &config)
        .await
        .expect("loads again");
    assert_eq!(
        (
            second.added,
            second.already_there,
            second.history_added,
            second.money_added,
            second.requirements_added,
            second.panel_added
        ),
        (0, first.added, false, false, 0, false)
    );
    let figures: Value = app
        .get("/v1/reports/compliance", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        figures["overall"]["learners"].as_u64() > Some(10),
        "the demo council has requirements that apply: {figures}"
    );

    let matrix: Value = app
        .get("/v1/training-matrix?audience=members", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert!(titles(&matrix, "knowledge_based", "role_specific").contains(&"Planning".to_owned()));
    assert!(titles(&matrix, "enabling_skills", "role_specific").contains(&"Chairing".to_owned()));
    assert_eq!(titles(&matrix, "enabling_skills", "mandatory").len(), 3);

    let sessions: Value = app
        .get("/v1/sessions?limit=500", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let items = sessions["items"].as_array().expect("items");
    assert_eq!(
        items.iter().filter(|s| s["status"] == "completed").count(),
        9,
        "the Core Learning Pathway runs"
    );
    let upcoming = items
        .iter()
        .find(|s| s["status"] == "scheduled")
        .expect("the next ILM Level 5 run");
    let bookings: Value = app
        .get(
            &format!(
                "/v1/sessions/{}/bookings",
                upcoming["id"].as_str().expect("id")
            ),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let waiting = bookings["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|b| b["status"] == "waitlisted")
        .count();
    assert_eq!(waiting, 2);

    let report_from = chrono::Utc::now().date_naive() - chrono::Duration::weeks(12);
    let report: Value = app
        .get(
            &format!("/v1/reports/delivery?from={report_from}&to=2999-12-31"),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let ilm5 = report["courses"]
        .as_array()
        .expect("courses")
        .iter()
        .find(|c| c["code"] == "ILM5")
        .expect("ILM5");
    assert_eq!(
        (ilm5["sessions"].as_u64(), ilm5["attended"].as_u64()),
        (Some(2), Some(9)),
        "{ilm5}"
    );

    let partnerships: Value = app
        .get(
            "/v1/mentoring-partnerships?kind=reverse_mentoring",
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(partnerships["items"].as_array().map(Vec::len), Some(4));
    let cohorts: Value = app
        .get("/v1/cohorts", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let cohort = &cohorts["items"][0];
    assert_eq!(
        (cohort["status"].as_str(), cohort["members"].as_i64()),
        (Some("in_progress"), Some(8))
    );
    let summary: Value = app
        .get("/v1/feedback/summary?group_by=provider", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        summary["items"].as_array().is_some_and(|i| i.len() >= 2),
        "{summary}"
    );

    let budgets: Value = app
        .get("/v1/budgets", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let years = budgets["items"].as_array().expect("items");
    let total: i64 = years
        .iter()
        .flat_map(|b| {
            b["allocations"]
                .as_array()
                .expect("allocations")
                .iter()
                .filter_map(|a| a["amount_pence"].as_i64())
        })
        .sum();
    assert_eq!(
        (years.len(), total),
        (4, 140_000_000),
        "GBP 1,400,000 over four years"
    );
    let requests: Value = app
        .get("/v1/training-requests?limit=500", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let mut statuses: Vec<&str> = requests["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(
        statuses,
        [
            "approved",
            "booked",
            "cancelled",
            "completed",
            "draft",
            "rejected",
            "submitted",
            "withdrawn"
        ]
    );
    let ready: Value = app
        .get("/v1/training-requests?ready_for_panel=true", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ready["items"].as_array().map(Vec::len), Some(1));

    governance(&app, &ready["items"][0]["id"]).await;
}

/// The demo panel: every political group seated, two meetings a year, an agreed evaluation
/// citing the request sent to the panel, and a needs round answered.
async fn governance(app: &TestApp, ready_request: &Value) {
    let get = |path: String| async move {
        let response = app.get(&path, &app.admin).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
        response.json::<Value>().await.expect("json")
    };
    let panels = get("/v1/panels".into()).await;
    let panel = panels["items"][0]["id"]
        .as_str()
        .expect("a panel")
        .to_owned();
    let compliance = get(format!("/v1/panels/{panel}/compliance")).await;
    assert_eq!(
        compliance["missing_political_groups"],
        serde_json::json!([])
    );
    assert_eq!(
        compliance["represented_political_groups"],
        serde_json::json!(["Conservative", "Green", "Labour", "Liberal Democrat"])
    );
    let years = compliance["municipal_years"].as_array().expect("years");
    assert_eq!(years.len(), 2, "{compliance}");
    assert_eq!(years[0]["meetings"], 2);
    assert_eq!(
        years[1]["meetings"].as_u64().unwrap_or(0) + years[1]["scheduled"].as_u64().unwrap_or(0),
        2
    );
    let agreed = get(format!("/v1/panels/{panel}/evaluations?status=agreed")).await;
    let evaluation = &agreed["items"][0];
    assert_eq!(
        evaluation["recommendations"][0]["training_request_ids"][0],
        *ready_request
    );
    assert!(
        evaluation["evidence"]["delivery"]["sessions"].as_u64() > Some(0),
        "{evaluation}"
    );
    let rounds = get("/v1/needs-assessments".into()).await;
    let round = rounds["items"][0]["id"]
        .as_str()
        .expect("a round")
        .to_owned();
    let summary = get(format!("/v1/needs-assessments/{round}/summary")).await;
    assert!(summary["responses"].as_u64() > Some(5), "{summary}");
    assert_eq!(
        summary["accessibility"]["other_needs"],
        serde_json::json!(["A hearing loop in the committee room"])
    );
}
