use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, course_body, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

fn pro_forma(kind: &str, cost: i64, starts_on: &str) -> Value {
    json!({
        "kind": kind, "title": "LGA Leadership Essentials", "provider": "LGA", "justification": "New committee role",
        "development_need": "Chairing contested items", "starts_on": starts_on, "ends_on": starts_on,
        "estimated_cost_pence": cost, "pillar": "professional"
    })
}

impl TestApp {
    async fn request_as(&self, caller: &str, body: &Value) -> Value {
        let response = self.post("/v1/training-requests", caller, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{body}");
        response.json().await.expect("a request")
    }

    async fn act(
        &self,
        request: &Value,
        action: &str,
        caller: &str,
        body: Value,
    ) -> reqwest::Response {
        self.post(
            &format!("/v1/training-requests/{}/{action}", id(request)),
            caller,
            &body,
        )
        .await
    }

    async fn budget(&self, year: &str, professional: i64) {
        let body = json!({"financial_year": year, "allocations": [{"pillar": "professional", "amount_pence": professional}]});
        assert_eq!(
            self.post("/v1/budgets", &self.admin, &body).await.status(),
            StatusCode::CREATED
        );
    }

    async fn summary(&self, year: &str) -> Value {
        self.get(&format!("/v1/budgets/{year}/summary"), &self.admin)
            .await
            .json()
            .await
            .expect("a summary")
    }
}

fn professional(summary: &Value) -> Value {
    summary["pillars"]
        .as_array()
        .expect("pillars")
        .iter()
        .find(|p| p["pillar"] == "professional")
        .cloned()
        .expect("professional")
}

#[tokio::test]
async fn a_request_goes_from_draft_to_completed_with_its_history_and_money() {
    let app = TestApp::spawn().await;
    app.budget("2026-27", 100_000).await;
    let mut lga = course_body("LGA-EVENT");
    lga["offer"] = json!("one_off");
    let course = app.published_course(lga).await;
    let boss = app.employee("Boss", "boss@council.gov.uk").await;
    let me = app
        .learner(json!({"kind": "employee", "given_name": "Me", "family_name": "R", "email": "me@council.gov.uk", "manager_id": boss["id"]}))
        .await;
    let mine = token(id(&me), &["learner"]);
    let mut body = pro_forma("one_off", 45_000, "2026-05-12");
    body["course_id"] = course["id"].clone();
    let request = app.request_as(&mine, &body).await;
    assert_eq!(
        (request["status"].as_str(), &request["requester_id"]),
        (Some("draft"), &me["id"])
    );
    assert_eq!(request["allowed_actions"], json!(["submit"]));

    // The contract lets an action's body be null: it is the same as none.
    assert_eq!(
        app.act(&request, "submit", &mine, Value::Null)
            .await
            .status(),
        StatusCode::OK
    );
    let approved = app
        .act(
            &request,
            "approve",
            &token(id(&boss), &["manager"]),
            json!({"reason": "Fits the role"}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert_eq!(
        professional(&app.summary("2026-27").await)["committed_pence"],
        45_000
    );

    assert_eq!(
        app.act(&request, "book", &app.admin, json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.act(&request, "complete", &app.admin, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let done: Value = app
        .act(
            &request,
            "complete",
            &app.admin,
            json!({"actual_cost_pence": 40_000}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (done["status"].as_str(), done["actual_cost_pence"].as_i64()),
        (Some("completed"), Some(40_000))
    );
    let steps: Vec<(Value, Value)> = done["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("draft")),
            (json!("draft"), json!("submitted")),
            (json!("submitted"), json!("approved")),
            (json!("approved"), json!("booked")),
            (json!("booked"), json!("completed")),
        ]
    );
    assert_eq!(done["history"][2]["reason"], "Fits the role");

    let position = professional(&app.summary("2026-27").await);
    assert_eq!(
        (
            &position["allocated_pence"],
            &position["committed_pence"],
            &position["spent_pence"],
            &position["remaining_pence"]
        ),
        (&json!(100_000), &json!(0), &json!(40_000), &json!(60_000))
    );
    let records: Value = app
        .get(&format!("/v1/completions?learner_id={}", id(&me)), &mine)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            records["items"][0]["source"].as_str(),
            records["items"][0]["completed_on"].as_str()
        ),
        (Some("request"), Some("2026-05-12"))
    );
}

/// Drives a new request into `status` through legal transitions, as an admin.
async fn request_in(app: &TestApp, requester: &str, status: &str) -> Value {
    let request = app
        .request_as(&app.admin, &{
            let mut body = pro_forma("one_off", 1_000, "2026-06-01");
            body["requester_id"] = json!(requester);
            body
        })
        .await;
    let path: &[(&str, Value)] = match status {
        "draft" => &[],
        "submitted" => &[("submit", json!({}))],
        "approved" => &[("submit", json!({})), ("approve", json!({}))],
        "rejected" => &[
            ("submit", json!({})),
            ("reject", json!({"reason": "Not this year"})),
        ],
        "withdrawn" => &[("submit", json!({})), ("withdraw", json!({}))],
        "booked" => &[
            ("submit", json!({})),
            ("approve", json!({})),
            ("book", json!({})),
        ],
        "completed" => &[
            ("submit", json!({})),
            ("approve", json!({})),
            ("book", json!({})),
            ("complete", json!({"actual_cost_pence": 900})),
        ],
        "cancelled" => &[
            ("submit", json!({})),
            ("approve", json!({})),
            ("cancel", json!({})),
        ],
        other => panic!("no path to {other}"),
    };
    for (action, body) in path {
        let response = app.act(&request, action, &app.admin, body.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{action} towards {status}"
        );
    }
    request
}

#[tokio::test]
async fn every_illegal_transition_is_refused_with_what_the_status_allows() {
    let app = TestApp::spawn().await;
    app.budget("2026-27", 1_000_000).await;
    let someone = app.employee("Someone", "someone@council.gov.uk").await;
    let legal: &[(&str, &[&str])] = &[
        ("draft", &["submit"]),
        ("submitted", &["approve", "reject", "withdraw"]),
        ("approved", &["book", "cancel"]),
        ("rejected", &[]),
        ("withdrawn", &[]),
        ("booked", &["complete", "cancel"]),
        ("completed", &[]),
        ("cancelled", &[]),
    ];
    let actions = [
        "submit", "approve", "reject", "withdraw", "book", "complete", "cancel",
    ];
    for (status, allowed) in legal {
        let request = request_in(&app, id(&someone), status).await;
        let current: Value = app
            .get(
                &format!("/v1/training-requests/{}", id(&request)),
                &app.admin,
            )
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(current["status"], *status);
        assert_eq!(current["allowed_actions"], json!(allowed));
        for action in actions.iter().filter(|a| !allowed.contains(a)) {
            let body = json!({"reason": "test", "actual_cost_pence": 1});
            let refused = problem(
                app.act(&request, action, &app.admin, body).await,
                StatusCode::CONFLICT,
            )
            .await;
            let detail = refused["detail"].as_str().expect("a detail");
            assert!(
                detail.contains(&format!("cannot {action} a {status}")),
                "{detail}"
            );
            for other in allowed.iter() {
                assert!(detail.contains(other), "{detail} should name {other}");
            }
        }
    }
}

#[tokio::test]
async fn who_may_do_what_to_a_request() {
    let app = TestApp::spawn().await;
    app.budget("2026-27", 1_000_000).await;
    let boss = app.employee("Boss", "boss@council.gov.uk").await;
    let other_boss = app.employee("Other", "other@council.gov.uk").await;
    let staff = app
        .learner(json!({"kind": "employee", "given_name": "Staff", "family_name": "S", "email": "s@council.gov.uk", "manager_id": boss["id"]}))
        .await;
    let member = app.member("Cllr", "cllr@council.gov.uk", &[]).await;
    let (as_staff, as_member) = (
        token(id(&staff), &["learner"]),
        token(id(&member), &["learner"]),
    );
    let as_boss = token(id(&boss), &["manager"]);

    let mut for_someone_else = pro_forma("one_off", 1_000, "2026-06-01");
    for_someone_else["requester_id"] = member["id"].clone();
    problem(
        app.post("/v1/training-requests", &as_staff, &for_someone_else)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let staff_request = app
        .request_as(&as_staff, &pro_forma("one_off", 1_000, "2026-06-01"))
        .await;
    problem(
        app.act(&staff_request, "submit", &as_member, json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    app.act(&staff_request, "submit", &as_staff, json!({}))
        .await;
    problem(
        app.act(&staff_request, "approve", &as_staff, json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.act(
            &staff_request,
            "approve",
            &token(id(&other_boss), &["manager"]),
            json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.act(
            &staff_request,
            "approve",
            &as_boss,
            json!({"override_reason": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.act(&staff_request, "approve", &as_boss, json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.act(&staff_request, "book", &as_boss, json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let member_request = app
        .request_as(&as_member, &pro_forma("one_off", 1_000, "2026-06-01"))
        .await;
    app.act(&member_request, "submit", &as_member, json!({}))
        .await;
    problem(
        app.act(&member_request, "approve", &as_boss, json!({}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let reject = problem(
        app.act(&member_request, "reject", &app.admin, json!({}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(reject["errors"][0]["field"], "reason");
    assert_eq!(
        app.act(
            &member_request,
            "reject",
            &app.admin,
            json!({"reason": "Covered by the induction"})
        )
        .await
        .status(),
        StatusCode::OK
    );

    let admin_self = app.employee("Admin", "admin@council.gov.uk").await;
    let as_admin_self = token(id(&admin_self), &["admin"]);
    let own = app
        .request_as(&as_admin_self, &pro_forma("one_off", 1_000, "2026-06-01"))
        .await;
    app.act(&own, "submit", &as_admin_self, json!({})).await;
    problem(
        app.act(&own, "approve", &as_admin_self, json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    problem(
        app.get(
            &format!("/v1/training-requests/{}", id(&staff_request)),
            &as_member,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.get(
            &format!("/v1/training-requests/{}", id(&staff_request)),
            &as_boss
        )
        .await
        .status(),
        StatusCode::OK
    );
    let seen: Value = app
        .get("/v1/training-requests", &as_member)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(1));
    problem(
        app.get(
            &format!("/v1/training-requests?requester_id={}", id(&staff)),
            &as_member,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn enough_supporters_send_an_additional_request_to_the_panel() {
    let app = TestApp::spawn().await;
    let members = [
        app.member("A", "a@council.gov.uk", &[]).await,
        app.member("B", "b@council.gov.uk", &[]).await,
        app.member("C", "c@council.gov.uk", &[]).await,
        app.member("D", "d@council.gov.uk", &[]).await,
    ];
    let as_first = token(id(&members[0]), &["learner"]);
    let request = app
        .request_as(&as_first, &pro_forma("additional", 150_000, "2026-09-01"))
        .await;
    let path = format!("/v1/training-requests/{}/supporters", id(&request));
    problem(
        app.post(&path, &as_first, &json!({"learner_id": members[0]["id"]}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.post(&path, &as_first, &json!({"learner_id": members[1]["id"]}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    for member in &members[1..3] {
        let signed = app
            .post(
                &path,
                &token(id(member), &["learner"]),
                &json!({"learner_id": member["id"]}),
            )
            .await;
        assert_eq!(signed.status(), StatusCode::OK);
    }
    problem(
        app.post(&path, &app.admin, &json!({"learner_id": members[1]["id"]}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let ready: Value = app
        .get("/v1/training-requests?ready_for_panel=true", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ready["items"], json!([]), "two supporters are not enough");
    let third: Value = app
        .post(&path, &app.admin, &json!({"learner_id": members[3]["id"]}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(third["ready_for_panel"], true);
    let ready: Value = app
        .get(
            "/v1/training-requests?ready_for_panel=true",
            &token(id(&members[1]), &["panel_member"]),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ready["items"][0]["id"], request["id"]);

    let one_off = app
        .request_as(&as_first, &pro_forma("one_off", 1_000, "2026-09-01"))
        .await;
    problem(
        app.post(
            &format!("/v1/training-requests/{}/supporters", id(&one_off)),
            &app.admin,
            &json!({"learner_id": members[1]["id"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn overspend_is_refused_unless_an_admin_overrides_with_a_reason() {
    let app = TestApp::spawn().await;
    app.budget("2026-27", 50_000).await;
    problem(
        app.post(
            "/v1/budgets",
            &app.admin,
            &json!({"financial_year": "2026-27", "allocations": []}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        app.post(
            "/v1/budgets",
            &app.admin,
            &json!({"financial_year": "2026-28", "allocations": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let someone = app.employee("Someone", "someone@council.gov.uk").await;
    let mut body = pro_forma("one_off", 60_000, "2027-03-31");
    body["requester_id"] = someone["id"].clone();
    let request = app.request_as(&app.admin, &body).await;
    app.act(&request, "submit", &app.admin, json!({})).await;
    let refused = problem(
        app.act(&request, "approve", &app.admin, json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2026-27") && d.contains("£500.00")),
        "{refused}"
    );
    let approved: Value = app
        .act(
            &request,
            "approve",
            &app.admin,
            json!({"override_reason": "Cabinet Member agreed"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(approved["override_reason"], "Cabinet Member agreed");
    assert_eq!(
        professional(&app.summary("2026-27").await)["remaining_pence"],
        -10_000
    );

    let mut next_year = body.clone();
    next_year["starts_on"] = json!("2027-04-01");
    next_year["ends_on"] = json!("2027-04-01");
    let later = app.request_as(&app.admin, &next_year).await;
    app.act(&later, "submit", &app.admin, json!({})).await;
    let refused = problem(
        app.act(&later, "approve", &app.admin, json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2027-28")),
        "1 April starts the next year: {refused}"
    );
    problem(
        app.get("/v1/budgets/2027-28/summary", &app.admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get(
            "/v1/budgets/2026-27/summary",
            &token(id(&someone), &["learner"]),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn scheduled_sessions_commit_their_seats_to_the_budget() {
    let app = TestApp::spawn().await;
    let year = {
        let starts = chrono::Utc::now() + chrono::Duration::days(30);
        let date = starts.date_naive();
        use chrono::Datelike;
        let first = if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        format!("{first}-{:02}", (first + 1) % 100)
    };
    app.budget(&year, 1_000_000).await;
    let mut ilm = course_body("ILM5");
    ilm["pillar"] = json!("professional");
    ilm["cost_pence"] = json!(165_000);
    let course = app.published_course(ilm).await;
    let session = app.session(&course, 5).await;
    for i in 0..2 {
        let person = app
            .employee(&format!("P{i}"), &format!("p{i}@council.gov.uk"))
            .await;
        app.book(&session, &person).await;
    }
    let position = professional(&app.summary(&year).await);
    assert_eq!(
        (
            position["committed_pence"].as_i64(),
            position["remaining_pence"].as_i64()
        ),
        (Some(330_000), Some(670_000))
    );
    let listed: Value = app
        .get("/v1/budgets", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["financial_year"], json!(year));
    let changed = app
        .request(reqwest::Method::PUT, &format!("/v1/budgets/{year}"), Some(&app.admin))
        .json(&json!({"allocations": [{"pillar": "professional", "amount_pence": 400_000}, {"pillar": "leadership", "amount_pence": 5}]}))
        .send()
        .await
        .expect("answered");
    assert_eq!(changed.status(), StatusCode::OK);
    let summary = app.summary(&year).await;
    assert_eq!(professional(&summary)["remaining_pence"], 70_000);
    assert_eq!(summary["total"]["allocated_pence"], 400_005);
}

#[tokio::test]
async fn two_approvals_racing_for_the_last_money_leave_exactly_one_approved() {
    let app = TestApp::spawn().await;
    app.budget("2026-27", 100_000).await;
    let someone = app.employee("Someone", "someone@council.gov.uk").await;
    let mut requests = Vec::new();
    for _ in 0..2 {
        let mut body = pro_forma("one_off", 60_000, "2026-07-01");
        body["requester_id"] = someone["id"].clone();
        let request = app.request_as(&app.admin, &body).await;
        app.act(&request, "submit", &app.admin, json!({})).await;
        requests.push(request);
    }
    let servers = [app.another_process().await, app.another_process().await];
    let approvals = requests.iter().zip(&servers).map(|(request, server)| {
        let app = &app;
        let url = format!(
            "{}/v1/training-requests/{}/approve",
            server.address,
            id(request)
        );
        async move {
            app.client
                .post(url)
                .bearer_auth(&app.admin)
                .json(&json!({}))
                .send()
                .await
                .expect("answered")
                .status()
        }
    });
    let mut statuses = futures_util::future::join_all(approvals).await;
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let position = professional(&app.summary("2026-27").await);
    assert_eq!(
        (
            position["committed_pence"].as_i64(),
            position["remaining_pence"].as_i64()
        ),
        (Some(60_000), Some(40_000))
    );
}

#[tokio::test]
async fn amounts_beyond_a_billion_pounds_are_refused_so_no_sum_wraps_round() {
    let app = TestApp::spawn().await;
    for amount in [i64::MAX, 100_000_000_001] {
        let body = json!({"financial_year": "2026-27", "allocations": [
            {"pillar": "professional", "amount_pence": amount},
            {"pillar": "leadership", "amount_pence": amount}]});
        let refused = problem(
            app.post("/v1/budgets", &app.admin, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "allocations", "{refused}");
    }
    problem(
        app.get("/v1/budgets/2026-27/summary", &app.admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // A billion pounds in every pillar adds up, to the penny.
    let most = 100_000_000_000_i64;
    let body = json!({"financial_year": "2026-27", "allocations": [
        {"pillar": "professional", "amount_pence": most}, {"pillar": "leadership", "amount_pence": most},
        {"pillar": "personal", "amount_pence": most}, {"pillar": "essential", "amount_pence": most}]});
    assert_eq!(
        app.post("/v1/budgets", &app.admin, &body).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.summary("2026-27").await["total"]["allocated_pence"],
        json!(4 * most)
    );
    let someone = app.employee("Someone", "someone@council.gov.uk").await;
    let mut request = pro_forma("one_off", i64::MAX, "2027-03-31");
    request["requester_id"] = someone["id"].clone();
    let refused = problem(
        app.post("/v1/training-requests", &app.admin, &request)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        refused["errors"][0]["field"], "estimated_cost_pence",
        "{refused}"
    );
}
