use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, course_body, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

fn today() -> NaiveDate {
    london_date(Utc::now())
}

fn plus(days: u64) -> NaiveDate {
    today() + Days::new(days)
}

impl TestApp {
    async fn requirement(&self, body: Value) -> Value {
        let response = self.post("/v1/requirements", &self.admin, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {body}");
        response.json().await.expect("a requirement")
    }

    async fn compliance(&self, learner: &Value, query: &str) -> Value {
        let response = self
            .get(
                &format!("/v1/learners/{}/compliance{query}", id(learner)),
                &self.admin,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("compliance")
    }

    async fn report(&self, query: &str) -> Value {
        let response = self
            .get(&format!("/v1/reports/compliance{query}"), &self.admin)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("a report")
    }

    /// `count` employees in Housing, all in post since 2024.
    async fn housing_staff(&self, count: usize) -> Vec<Value> {
        let mut staff = Vec::with_capacity(count);
        for n in 0..count {
            let body = json!({"kind": "employee", "given_name": format!("P{n}"), "family_name": "Q",
                "email": format!("p{n}@council.gov.uk"), "department": "Housing", "started_on": "2024-01-01"});
            staff.push(self.learner(body).await);
        }
        staff
    }

    /// Records that `learner` completed `course` today through the server at `address`, and
    /// answers with the status it gave.
    async fn completed_today_at(
        &self,
        address: &str,
        learner: &Value,
        course: &Value,
    ) -> StatusCode {
        let body = json!({"learner_id": learner["id"], "course_id": course["id"], "completed_on": today()});
        self.client
            .post(format!("{address}/v1/completions"))
            .bearer_auth(&self.admin)
            .json(&body)
            .send()
            .await
            .expect("answered")
            .status()
    }

    async fn evidence(&self, learner: &Value, course: &Value, completed_on: NaiveDate) -> Value {
        let body = json!({"learner_id": learner["id"], "course_id": course["id"], "completed_on": completed_on});
        let response = self.post("/v1/completions", &self.admin, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("a completion")
    }
}

fn refresher(code: &str, months: u32) -> Value {
    let mut body = course_body(code);
    body["validity_months"] = json!(months);
    body
}

#[tokio::test]
async fn a_member_joining_planning_becomes_due_and_completing_makes_them_compliant() {
    let app = TestApp::spawn().await;
    let course = app.published_course(refresher("PLAN", 36)).await;
    app.requirement(json!({
        "course_id": course["id"], "selector": {"kind": "committee", "value": "Planning"},
        "due_within_days": 0, "effective_from": "2020-01-01"
    }))
    .await;
    let member = app.member("Priya", "priya@council.gov.uk", &[]).await;
    let before = app.compliance(&member, "").await;
    assert_eq!(before["overall_status"], "compliant");
    assert_eq!(before["items"], json!([]));

    let joined = app
        .patch(
            &format!("/v1/learners/{}", id(&member)),
            &app.admin,
            Some("*"),
            &json!({"committees": ["Planning"]}),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::OK);
    let due = app.compliance(&member, "").await;
    assert_eq!(due["overall_status"], "due_soon");
    assert_eq!(due["items"][0]["due_on"], json!(today()));
    assert_eq!(due["items"][0]["course_title"], course["title"]);
    let tomorrow = format!("?as_of={}", plus(1));
    let late = app.compliance(&member, &tomorrow).await;
    assert_eq!(late["items"][0]["status"], "overdue");
    let report = app.report(&tomorrow).await;
    assert_eq!(report["overall"]["non_compliant"], 1);
    let chase: Value = app
        .get(
            &format!("/v1/reports/compliance/learners{tomorrow}"),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(chase["items"][0]["learner_id"], member["id"]);
    assert_eq!(chase["items"][0]["lacking"][0]["course_id"], course["id"]);

    app.evidence(&member, &course, today()).await;
    let done = app.compliance(&member, &tomorrow).await;
    assert_eq!(done["overall_status"], "compliant");
    assert_eq!(done["items"][0]["completed_on"], json!(today()));
    let expires = today().checked_add_months(Months::new(36)).expect("a date");
    assert_eq!(done["items"][0]["expires_on"], json!(expires));
    let report = app.report(&tomorrow).await;
    assert_eq!(
        (
            &report["overall"]["compliant"],
            &report["overall"]["learners"]
        ),
        (&json!(1), &json!(1))
    );
    let chase: Value = app
        .get(
            &format!("/v1/reports/compliance/learners{tomorrow}"),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(chase["items"], json!([]));
}

#[tokio::test]
async fn a_36_month_refresher_expires_on_the_right_day() {
    let app = TestApp::spawn().await;
    let course = app.published_course(refresher("SAFEGUARD", 36)).await;
    app.requirement(json!({
        "course_id": course["id"], "selector": {"kind": "employees"},
        "due_within_days": 30, "effective_from": "2020-01-01"
    }))
    .await;
    let officer = app
        .learner(
            json!({"kind": "employee", "given_name": "Sam", "family_name": "Lee",
            "email": "sam@council.gov.uk", "department": "Housing", "started_on": "2020-01-01"}),
        )
        .await;
    let record = app
        .evidence(&officer, &course, "2023-02-28".parse().expect("a date"))
        .await;
    assert_eq!(record["expires_on"], "2026-02-28");

    let on = |day: &str, window: u32| format!("?as_of={day}&window_days={window}");
    let statuses = [
        (on("2026-02-27", 0), "compliant"),
        (on("2026-01-28", 30), "compliant"),
        (on("2026-01-29", 30), "due_soon"),
        (on("2026-02-27", 30), "due_soon"),
        (on("2026-02-28", 30), "expired"),
    ];
    for (query, expected) in statuses {
        let standing = app.compliance(&officer, &query).await;
        assert_eq!(standing["items"][0]["status"], expected, "{query}");
    }
    let report = app.report(&on("2026-02-28", 30)).await;
    assert_eq!(report["overall"]["statuses"]["expired"], 1);
    assert_eq!(report["by_course"][0]["non_compliant"], 1);
    assert_eq!(report["by_department"][0]["department"], "Housing");

    // Before the completion, the learner had never done it and the rule was long due.
    let standing = app.compliance(&officer, &on("2023-02-27", 30)).await;
    assert_eq!(standing["items"][0]["status"], "overdue");
    assert_eq!(standing["items"][0]["completed_on"], Value::Null);
}

#[tokio::test]
async fn a_requirement_with_a_future_effective_from_is_not_due_before_it() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    app.requirement(json!({
        "course_id": course["id"], "selector": {"kind": "all"},
        "due_within_days": 10, "effective_from": plus(60)
    }))
    .await;
    let officer = app.employee("Ola", "ola@council.gov.uk").await;
    let standing = app.compliance(&officer, "").await;
    assert_eq!(standing["items"][0]["status"], "not_started");
    assert_eq!(standing["items"][0]["due_on"], json!(plus(70)));
    let report = app.report("").await;
    assert_eq!(report["overall"]["compliant"], 1);
    assert_eq!(report["overall"]["statuses"]["not_started"], 1);
    let later = app.report(&format!("?as_of={}", plus(71))).await;
    assert_eq!(later["overall"]["statuses"]["overdue"], 1);
}

#[tokio::test]
async fn a_leaver_drops_out_of_the_figures() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    app.requirement(json!({
        "course_id": course["id"], "selector": {"kind": "employees"}, "due_within_days": 30,
        "effective_from": "2024-01-01"
    }))
    .await;
    let mut staff = Vec::new();
    for name in ["Ann", "Ben"] {
        staff.push(
            app.learner(json!({"kind": "employee", "given_name": name, "family_name": "Cole",
                "email": format!("{name}@council.gov.uk"), "department": "Finance", "started_on": "2024-01-01"}))
                .await,
        );
    }
    let left = app
        .post(
            &format!("/v1/learners/{}/leave", id(&staff[1])),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(left.status(), StatusCode::OK);
    assert_eq!(app.report("").await["overall"]["learners"], 1);
    let yesterday = today() - Days::new(1);
    let before = app.report(&format!("?as_of={yesterday}")).await;
    assert_eq!(before["overall"]["learners"], 2);
}

#[tokio::test]
async fn the_report_agrees_with_each_learners_own_compliance_and_the_csv_with_the_json() {
    let app = TestApp::spawn().await;
    let gdpr = app.published_course(refresher("GDPR", 12)).await;
    let planning = app.published_course(refresher("PLAN", 36)).await;
    let chairing = app.published_course(course_body("CHAIR")).await;
    let rules = [
        json!({"course_id": gdpr["id"], "selector": {"kind": "all"}, "due_within_days": 30, "effective_from": "2024-01-01"}),
        json!({"course_id": planning["id"], "selector": {"kind": "committee", "value": "Planning"}, "due_within_days": 60}),
        json!({"course_id": chairing["id"], "selector": {"kind": "responsibility", "value": "Chair"}, "due_within_days": 90}),
        json!({"course_id": chairing["id"], "selector": {"kind": "job_title", "value": "Head of Service"}, "due_within_days": 0, "effective_from": "2024-01-01"}),
        json!({"course_id": planning["id"], "selector": {"kind": "department", "value": "Planning Services"}, "due_within_days": 14, "effective_from": "2024-01-01"}),
        json!({"course_id": gdpr["id"], "selector": {"kind": "elected_members"}, "due_within_days": 7, "effective_until": "2030-01-01", "effective_from": "2024-01-01"}),
    ];
    for rule in rules {
        app.requirement(rule).await;
    }
    let people = [
        json!({"kind": "employee", "given_name": "Ada", "family_name": "A", "email": "ada@council.gov.uk", "department": "Planning Services", "job_title": "Head of Service", "started_on": "2024-03-01"}),
        json!({"kind": "employee", "given_name": "Bo", "family_name": "B", "email": "bo@council.gov.uk", "department": "Finance", "started_on": "2025-06-01"}),
        json!({"kind": "employee", "given_name": "Cy", "family_name": "C", "email": "cy@council.gov.uk", "started_on": "2024-01-01"}),
        json!({"kind": "elected_member", "given_name": "Di", "family_name": "D", "email": "di@council.gov.uk", "committees": ["Planning"], "responsibilities": ["Chair"], "started_on": "2024-05-09"}),
        json!({"kind": "elected_member", "given_name": "Ed", "family_name": "E", "email": "ed@council.gov.uk", "committees": ["Licensing"], "started_on": "2024-05-09"}),
    ];
    let mut learners = Vec::new();
    for person in people {
        learners.push(app.learner(person).await);
    }
    let done: &[(usize, &Value, &str)] = &[
        (0, &gdpr, "2024-03-20"),
        (0, &gdpr, "2025-03-10"),
        (0, &chairing, "2024-02-01"),
        (1, &gdpr, "2025-06-20"),
        (3, &planning, "2024-06-01"),
        (4, &gdpr, "2024-05-10"),
    ];
    for (who, course, on) in done {
        app.evidence(&learners[*who], course, on.parse().expect("a date"))
            .await;
    }

    for as_of in [
        today(),
        plus(45),
        plus(400),
        "2025-01-01".parse().expect("a date"),
    ] {
        let query = format!("?as_of={as_of}");
        let report = app.report(&query).await;
        // What each learner's own compliance says, counted the report's way.
        let mut learners_counted = 0;
        let mut compliant = 0;
        let mut per_course: HashMap<String, (u64, u64)> = HashMap::new();
        for learner in &learners {
            let standing = app.compliance(learner, &query).await;
            let items = standing["items"].as_array().expect("items");
            // The report counts only learners with the council on the day.
            let started: NaiveDate =
                serde_json::from_value(learner["started_on"].clone()).expect("a start date");
            if items.is_empty() || started > as_of {
                continue;
            }
            learners_counted += 1;
            let breach = |s: &Value| s == "overdue" || s == "expired";
            if !items.iter().any(|i| breach(&i["status"])) {
                compliant += 1;
            }
            let mut worst: HashMap<String, bool> = HashMap::new();
            for item in items {
                let course = item["course_id"].as_str().expect("a course").to_owned();
                *worst.entry(course).or_default() |= breach(&item["status"]);
            }
            for (course, in_breach) in worst {
                let entry = per_course.entry(course).or_default();
                entry.0 += 1;
                entry.1 += u64::from(!in_breach);
            }
        }
        assert_eq!(report["overall"]["learners"], learners_counted, "{as_of}");
        assert_eq!(report["overall"]["compliant"], compliant, "{as_of}");
        for row in report["by_course"].as_array().expect("courses") {
            let course = row["course_id"].as_str().expect("an id");
            let expected = per_course.get(course).copied().unwrap_or_default();
            assert_eq!(
                (&row["learners"], &row["compliant"]),
                (&json!(expected.0), &json!(expected.1)),
                "{as_of} {course}"
            );
        }

        let csv = app
            .request(
                Method::GET,
                &format!("/v1/reports/compliance{query}"),
                Some(&app.admin),
            )
            .header("accept", "text/csv")
            .send()
            .await
            .expect("CSV answered");
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .expect("text")
                .starts_with("text/csv")
        );
        let text = csv.text().await.expect("a body");
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<HashMap<String, String>> = reader
            .deserialize()
            .collect::<Result<_, _>>()
            .expect("CSV rows");
        let groups = report["by_kind"].as_array().expect("kinds").len()
            + report["by_department"]
                .as_array()
                .expect("departments")
                .len()
            + report["by_course"].as_array().expect("courses").len()
            + 1;
        assert_eq!(rows.len(), groups);
        for row in rows {
            let json_row = match row["group"].as_str() {
                "overall" => &report["overall"],
                "kind" => find(&report["by_kind"], "kind", &row["key"]),
                "department" => find(&report["by_department"], "department", &row["key"]),
                "course" => find(&report["by_course"], "course_id", &row["key"]),
                other => panic!("unexpected group {other}"),
            };
            for field in ["learners", "compliant", "non_compliant"] {
                assert_eq!(json_row[field].to_string(), row[field], "{field}");
            }
            for status in ["due_soon", "not_started", "expired", "overdue"] {
                assert_eq!(json_row["statuses"][status].to_string(), row[status]);
            }
            assert_eq!(
                json_row["statuses"]["compliant"].to_string(),
                row["compliant_status"]
            );
            let share = json_row["compliant_share"].as_f64();
            assert_eq!(share, row["compliant_share"].parse().ok());
        }
    }
}

fn find<'a>(rows: &'a Value, field: &str, key: &str) -> &'a Value {
    rows.as_array()
        .expect("rows")
        .iter()
        .find(|r| r[field].as_str().unwrap_or_default() == key)
        .expect("a JSON row for every CSV row")
}

#[tokio::test]
async fn requirements_are_checked_and_only_admins_write_them() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let learner = app.employee("Kim", "kim@council.gov.uk").await;
    let as_learner = token(id(&learner), &["learner"]);
    let good = json!({"course_id": course["id"], "selector": {"kind": "department", "value": "Finance"}, "due_within_days": 30});
    problem(
        app.post("/v1/requirements", &as_learner, &good).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let unnamed = json!({"course_id": course["id"], "selector": {"kind": "committee"}, "due_within_days": -3});
    let body = problem(
        app.post("/v1/requirements", &app.admin, &unnamed).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["selector.value", "due_within_days"]);
    let mut nowhere = good.clone();
    nowhere["course_id"] = json!(uuid::Uuid::now_v7());
    let body = problem(
        app.post("/v1/requirements", &app.admin, &nowhere).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "course_id");

    let retired = app.published_course(course_body("OLD-GDPR")).await;
    let retire = app
        .post(
            &format!("/v1/courses/{}/retire", id(&retired)),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(retire.status(), StatusCode::OK);
    let mut for_retired = good.clone();
    for_retired["course_id"] = retired["id"].clone();
    let body = problem(
        app.post("/v1/requirements", &app.admin, &for_retired).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "course_id");

    let created = app.requirement(good).await;
    assert_eq!(created["effective_from"], json!(today()));
    let path = format!("/v1/requirements/{}", id(&created));
    let listed: Value = app
        .get(
            &format!("/v1/requirements?course_id={}", id(&course)),
            &as_learner,
        )
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(listed["items"][0]["id"], created["id"]);
    problem(
        app.patch(&path, &app.admin, None, &json!({"due_within_days": 60}))
            .await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let changed = app
        .patch(
            &path,
            &app.admin,
            Some("\"1\""),
            &json!({"due_within_days": 60, "effective_until": "2030-03-31"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.expect("a requirement");
    assert_eq!(
        (&changed["due_within_days"], &changed["effective_until"]),
        (&json!(60), &json!("2030-03-31"))
    );
    problem(
        app.patch(
            &path,
            &app.admin,
            Some("\"1\""),
            &json!({"due_within_days": 90}),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let standing = app.compliance(&learner, "").await;
    assert_eq!(standing["items"][0]["requirement_id"], created["id"]);

    let deleted = app
        .request(Method::DELETE, &path, Some(&as_learner))
        .send()
        .await
        .expect("DELETE answered");
    assert_eq!(deleted.status(), StatusCode::FORBIDDEN);
    let deleted = app
        .request(Method::DELETE, &path, Some(&app.admin))
        .send()
        .await
        .expect("DELETE answered");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(app.get(&path, &app.admin).await, StatusCode::NOT_FOUND).await;
    assert_eq!(app.compliance(&learner, "").await["items"], json!([]));
}

#[tokio::test]
async fn learners_see_their_own_compliance_and_managers_chase_their_reports() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    app.requirement(json!({"course_id": course["id"], "selector": {"kind": "all"}, "due_within_days": 0, "effective_from": "2024-01-01"}))
        .await;
    let boss = app
        .learner(json!({"kind": "employee", "given_name": "Boss", "family_name": "B", "email": "boss@council.gov.uk", "started_on": "2024-01-01"}))
        .await;
    let report = app
        .learner(json!({"kind": "employee", "given_name": "Rita", "family_name": "R", "email": "rita@council.gov.uk", "manager_id": boss["id"], "started_on": "2024-01-01"}))
        .await;
    let stranger = app
        .learner(json!({"kind": "employee", "given_name": "Stan", "family_name": "S", "email": "stan@council.gov.uk", "started_on": "2024-01-01"}))
        .await;
    let own = token(id(&report), &["learner"]);
    let path = |l: &Value| format!("/v1/learners/{}/compliance", id(l));
    assert_eq!(app.get(&path(&report), &own).await.status(), StatusCode::OK);
    problem(app.get(&path(&stranger), &own).await, StatusCode::FORBIDDEN).await;
    let manager = token(id(&boss), &["manager"]);
    assert_eq!(
        app.get(&path(&report), &manager).await.status(),
        StatusCode::OK
    );
    problem(
        app.get(&path(&stranger), &manager).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let anonymous = app
        .request(Method::GET, &path(&report), None)
        .send()
        .await
        .expect("answered");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    problem(
        app.get("/v1/reports/compliance", &own).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let panel = token(id(&stranger), &["panel_member"]);
    assert_eq!(
        app.get("/v1/reports/compliance", &panel).await.status(),
        StatusCode::OK
    );
    problem(
        app.get("/v1/reports/compliance/learners", &own).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let chase: Value = app
        .get("/v1/reports/compliance/learners", &manager)
        .await
        .json()
        .await
        .expect("a page");
    let ids: Vec<&Value> = chase["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| &i["learner_id"])
        .collect();
    assert_eq!(ids, [&report["id"]], "only the manager's report");
    let everyone: Value = app
        .get("/v1/reports/compliance/learners?limit=2", &app.admin)
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(everyone["items"].as_array().map(Vec::len), Some(2));
    let cursor = everyone["next_cursor"].as_str().expect("a next page");
    let rest: Value = app
        .get(
            &format!("/v1/reports/compliance/learners?limit=2&cursor={cursor}"),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["next_cursor"], Value::Null);

    problem(
        app.get(&format!("{}?window_days=400", path(&report)), &own)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.get("/v1/reports/compliance?kind=alien", &app.admin)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let body = problem(
        app.get("/v1/reports/compliance?as_of=3001-01-01", &app.admin)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "as_of");
}

/// Counts learners and compliant learners, the report's way, from each learner's own
/// compliance on the day given in `query` (`?as_of=`).
async fn counted_from_learners(
    app: &TestApp,
    learners: &[Value],
    day: NaiveDate,
) -> (u64, u64, Vec<String>) {
    let query = format!("?as_of={day}");
    let (mut counted, mut compliant, mut in_breach) = (0, 0, Vec::new());
    for learner in learners {
        let started: NaiveDate =
            serde_json::from_value(learner["started_on"].clone()).expect("a start date");
        let left = learner["left_on"]
            .as_str()
            .and_then(|d| d.parse::<NaiveDate>().ok());
        if started > day || left.is_some_and(|left| left <= day) {
            continue;
        }
        let standing = app.compliance(learner, &query).await;
        let items = standing["items"].as_array().expect("items");
        if items.is_empty() {
            continue;
        }
        counted += 1;
        let breach = items
            .iter()
            .any(|i| i["status"] == "overdue" || i["status"] == "expired");
        compliant += u64::from(!breach);
        if breach {
            in_breach.push(id(learner).to_owned());
        }
    }
    in_breach.sort();
    (counted, compliant, in_breach)
}

async fn every_learner(app: &TestApp) -> Vec<Value> {
    let mut learners = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/learners?limit=500&cursor={c}"),
            None => "/v1/learners?limit=500".to_owned(),
        };
        let page: Value = app
            .get(&path, &app.admin)
            .await
            .json()
            .await
            .expect("a page");
        learners.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return learners,
        }
    }
}

#[tokio::test]
async fn a_generated_council_reports_what_its_learners_own_compliance_says() {
    let app = TestApp::spawn().await;
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_pathway-under-test"))
        .args([
            "generate",
            "--learners",
            "240",
            "--members",
            "40",
            "--completions",
            "4000",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", crate::helpers::server_log())
        .output()
        .expect("pathway generate runs");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_pathway-under-test"))
        .args(["generate", "--learners", "10"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("pathway generate runs");
    assert!(
        !again.status.success(),
        "a database with learners is refused"
    );

    let learners = every_learner(&app).await;
    assert_eq!(learners.len(), 240);
    for day in [today(), plus(200), today() - Days::new(400)] {
        let report = app.report(&format!("?as_of={day}")).await;
        let (counted, compliant, in_breach) = counted_from_learners(&app, &learners, day).await;
        assert!(counted > 100, "most learners have requirements");
        assert_eq!(
            (
                &report["overall"]["learners"],
                &report["overall"]["compliant"]
            ),
            (&json!(counted), &json!(compliant)),
            "{day}"
        );
        let chase: Value = app
            .get(
                &format!("/v1/reports/compliance/learners?as_of={day}&limit=500"),
                &app.admin,
            )
            .await
            .json()
            .await
            .expect("a page");
        let mut listed: Vec<String> = chase["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|b| b["learner_id"].as_str().expect("an id").to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, in_breach, "the learners to chase on {day}");
    }
}

#[tokio::test]
async fn figures_stay_right_when_completions_and_a_new_requirement_race_across_processes() {
    let app = TestApp::spawn().await;
    let course = app.published_course(refresher("FIRE", 12)).await;
    let staff = app.housing_staff(16).await;
    let servers = [app.another_process().await, app.another_process().await];
    let rule = json!({"course_id": course["id"], "selector": {"kind": "employees"}, "due_within_days": 0, "effective_from": "2024-01-01"});
    let requirement = {
        let url = format!("{}/v1/requirements", servers[0].address);
        let (app, rule) = (&app, &rule);
        async move {
            app.client
                .post(url)
                .bearer_auth(&app.admin)
                .json(rule)
                .send()
                .await
                .expect("answered")
                .status()
        }
    };
    let completions = staff
        .iter()
        .enumerate()
        .map(|(n, learner)| app.completed_today_at(&servers[n % 2].address, learner, &course));
    let (created, recorded) =
        tokio::join!(requirement, futures_util::future::join_all(completions));
    assert_eq!(created, StatusCode::CREATED);
    assert!(recorded.iter().all(|s| *s == StatusCode::CREATED));
    let report = app.report("").await;
    assert_eq!(
        (
            &report["overall"]["learners"],
            &report["overall"]["compliant"]
        ),
        (&json!(16), &json!(16)),
        "every completion counts, whichever commit came first"
    );
}

/// Four rules for one course, each written by `write` on one of two other processes while
/// those processes record completions of that course for the same twelve learners. Returns
/// the answers to the rule writes, after checking every completion was recorded, and one
/// learner's compliance as it stands after.
async fn rules_written_while_completions_refresh(
    app: &TestApp,
    write: impl Fn(&reqwest::Client, String) -> reqwest::RequestBuilder,
) -> (Vec<StatusCode>, Value) {
    let course = app.published_course(refresher("SAFE", 12)).await;
    let staff = app.housing_staff(12).await;
    let mut rules = Vec::new();
    for days in 0..4 {
        rules.push(
            app.requirement(
                json!({"course_id": course["id"], "selector": {"kind": "employees"},
                "due_within_days": days, "effective_from": "2024-01-01"}),
            )
            .await,
        );
    }
    let servers = [app.another_process().await, app.another_process().await];
    let writes = rules.iter().enumerate().map(|(n, rule)| {
        let url = format!("{}/v1/requirements/{}", servers[n % 2].address, id(rule));
        let request = write(&app.client, url).bearer_auth(&app.admin);
        async move { request.send().await.expect("answered").status() }
    });
    let completions = staff.iter().enumerate().map(|(n, learner)| {
        app.completed_today_at(&servers[(n + 1) % 2].address, learner, &course)
    });
    let (written, recorded) = tokio::join!(
        futures_util::future::join_all(writes),
        futures_util::future::join_all(completions)
    );
    assert!(
        recorded.iter().all(|s| *s == StatusCode::CREATED),
        "{recorded:?}"
    );
    (written, app.compliance(&staff[0], "").await)
}

#[tokio::test]
async fn requirements_can_be_removed_while_completions_refresh_the_same_learners() {
    let app = TestApp::spawn().await;
    let (removed, standing) =
        rules_written_while_completions_refresh(&app, |client, url| client.delete(url)).await;
    assert!(
        removed.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "{removed:?}"
    );
    assert_eq!(
        standing["items"],
        json!([]),
        "no duty is left behind by a removed requirement"
    );
}

/// A changed rule holds its row while its own refresh waits for the compliance turn; a
/// refresh already holding the turn must still be able to insert items that refer to it.
#[tokio::test]
async fn requirements_can_be_changed_while_completions_refresh_the_same_learners() {
    let app = TestApp::spawn().await;
    let (changed, standing) = rules_written_while_completions_refresh(&app, |client, url| {
        client
            .patch(url)
            .header("content-type", "application/merge-patch+json")
            .header("if-match", "\"1\"")
            .body(json!({"due_within_days": 30}).to_string())
    })
    .await;
    assert!(changed.iter().all(|s| *s == StatusCode::OK), "{changed:?}");
    let items = standing["items"].as_array().expect("items");
    assert_eq!(items.len(), 4, "one duty per rule: {standing}");
    assert!(
        items.iter().all(|item| item["status"] == "compliant"),
        "each duty is met by the completion: {standing}"
    );
}

#[tokio::test]
async fn moving_a_go_live_date_moves_the_due_days() {
    let app = TestApp::spawn().await;
    let mut body = course_body("GDPR-2026");
    body["go_live_on"] = json!(plus(90));
    let course = app.published_course(body).await;
    app.requirement(json!({"course_id": course["id"], "selector": {"kind": "all"}, "due_within_days": 30, "effective_from": "2024-01-01"}))
        .await;
    let gil = app
        .learner(json!({"kind": "employee", "given_name": "Gil", "family_name": "G", "email": "gil@council.gov.uk", "started_on": "2024-01-01"}))
        .await;
    let report = app.report("").await;
    assert_eq!(report["overall"]["statuses"]["not_started"], 1);
    let moved = app
        .patch(
            &format!("/v1/courses/{}", id(&course)),
            &app.admin,
            Some("*"),
            &json!({"go_live_on": "2025-01-01", "title": "Data protection, 2026 edition"}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let report = app.report("").await;
    assert_eq!(report["overall"]["statuses"]["overdue"], 1);
    let standing = app.compliance(&gil, "").await;
    assert_eq!(
        standing["items"][0]["course_title"],
        "Data protection, 2026 edition"
    );
}
