use chrono::{Days, NaiveDate, Utc};
use pathway_domain::calendar::london_date;
use pathway_domain::governance::{MunicipalYear, YearStart};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, delivered, etag, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

fn today() -> NaiveDate {
    london_date(Utc::now())
}

impl TestApp {
    async fn created(&self, path: &str, caller: &str, body: Value) -> Value {
        let response = self.post(path, caller, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{path} {body}");
        response.json().await.expect("json")
    }

    async fn ok(&self, path: &str, caller: &str) -> Value {
        let response = self.get(path, caller).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.expect("json")
    }

    async fn panel(&self) -> Value {
        self.created(
            "/v1/panels",
            &self.admin,
            json!({"name": "Member Development Panel", "purpose": "Review members' training needs and evaluate the programme",
                "advises": "Cabinet Member for Policy and Leadership"}),
        )
        .await
    }

    async fn councillor(&self, given: &str, group: &str) -> Value {
        self.learner(json!({
            "kind": "elected_member", "given_name": given, "family_name": "Cllr",
            "email": format!("{}@council.gov.uk", given.to_lowercase()), "political_group": group, "ward": "Earlsdon"
        }))
        .await
    }

    async fn seat(&self, panel: &Value, learner: &Value, role: &str) -> reqwest::Response {
        self.post(
            &format!("/v1/panels/{}/members", id(panel)),
            &self.admin,
            &json!({"learner_id": learner["id"], "role": role}),
        )
        .await
    }

    async fn meeting(&self, panel: &Value, held_on: NaiveDate) -> Value {
        self.created(
            &format!("/v1/panels/{}/meetings", id(panel)),
            &self.admin,
            json!({"held_on": held_on, "agenda": ["Training needs"], "decisions": []}),
        )
        .await
    }
}

fn groups(compliance: &Value, key: &str) -> Vec<String> {
    serde_json::from_value(compliance[key].clone()).expect("a list of groups")
}

#[tokio::test]
async fn a_panel_missing_a_political_group_is_reported_until_a_member_of_it_joins() {
    let app = TestApp::spawn().await;
    let labour = app.councillor("Ann", "Labour").await;
    let conservative = app.councillor("Ben", "Conservative").await;
    let green = app.councillor("Cat", "Green").await;
    let officer = app.employee("Dee", "dee@council.gov.uk").await;
    let panel = app.panel().await;
    let compliance_path = format!("/v1/panels/{}/compliance", id(&panel));

    assert_eq!(
        app.seat(&panel, &labour, "chair").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.seat(&panel, &conservative, "member").await.status(),
        StatusCode::CREATED
    );
    let supporting: Value = app
        .seat(&panel, &officer, "officer")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (supporting["kind"].as_str(), supporting["current"].as_bool()),
        (Some("employee"), Some(true))
    );
    let before = app.ok(&compliance_path, &app.admin).await;
    assert_eq!(groups(&before, "missing_political_groups"), ["Green"]);
    assert_eq!(
        groups(&before, "represented_political_groups"),
        ["Conservative", "Labour"]
    );

    let joined = app
        .post(
            &format!("/v1/panels/{}/members", id(&panel)),
            &app.admin,
            &json!({"learner_id": green["id"], "role": "member", "joined_on": today() - Days::new(30)}),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::CREATED);
    let green_seat_tag = etag(&joined);
    let green_seat: Value = joined.json().await.expect("json");
    assert_eq!(green_seat["political_group"], "Green");
    let after = app
        .ok(&compliance_path, &token(id(&labour), &["learner"]))
        .await;
    assert!(
        groups(&after, "missing_political_groups").is_empty(),
        "{after}"
    );

    // Leaving the panel today ends the seat today: the group is missing again.
    let seat_path = format!("/v1/panels/{}/members/{}", id(&panel), id(&green_seat));
    let left = app
        .patch(
            &seat_path,
            &app.admin,
            Some(&green_seat_tag),
            &json!({"left_on": today()}),
        )
        .await;
    assert_eq!(left.status(), StatusCode::OK);
    let left: Value = left.json().await.expect("json");
    assert_eq!(left["current"], false);
    let again = app.ok(&compliance_path, &app.admin).await;
    assert_eq!(groups(&again, "missing_political_groups"), ["Green"]);

    // When the council's last Green member leaves the council, no group is missing.
    let leave = app
        .post(
            &format!("/v1/learners/{}/leave", id(&green)),
            &app.admin,
            &json!({"left_on": today()}),
        )
        .await;
    assert_eq!(leave.status(), StatusCode::OK);
    let smaller = app.ok(&compliance_path, &app.admin).await;
    assert!(groups(&smaller, "missing_political_groups").is_empty());
    assert_eq!(
        groups(&smaller, "represented_political_groups"),
        ["Conservative", "Labour"]
    );

    let members = app
        .ok(&format!("/v1/panels/{}/members", id(&panel)), &app.admin)
        .await;
    assert_eq!(members["items"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn seats_are_checked_and_only_governors_write() {
    let app = TestApp::spawn().await;
    let member = app.councillor("Ann", "Labour").await;
    let officer = app.employee("Dee", "dee@council.gov.uk").await;
    let panel = app.panel().await;
    let as_learner = token(id(&member), &["learner"]);
    let as_panel_member = token(id(&member), &["learner", "panel_member"]);

    problem(
        app.post(
            "/v1/panels",
            &as_learner,
            &json!({"name": "x", "purpose": "y", "advises": "z"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.request(Method::GET, "/v1/panels", None)
            .send()
            .await
            .expect("answered"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.seat(&panel, &officer, "member").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.seat(&panel, &member, "officer").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let seated = app
        .post(
            &format!("/v1/panels/{}/members", id(&panel)),
            &as_panel_member,
            &json!({"learner_id": member["id"], "role": "vice_chair"}),
        )
        .await;
    assert_eq!(seated.status(), StatusCode::CREATED);
    let clash = problem(
        app.seat(&panel, &member, "member").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        clash["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already sits")),
        "{clash}"
    );
    problem(
        app.post(
            &format!("/v1/panels/{}/members", id(&panel)),
            &app.admin,
            &json!({"learner_id": uuid::Uuid::now_v7(), "role": "member"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.seat(&json!({"id": uuid::Uuid::now_v7()}), &member, "member")
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(
            &format!("/v1/panels/{}/meetings", id(&panel)),
            &as_learner,
            &json!({"held_on": today()}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.post(
            &format!("/v1/panels/{}/meetings", id(&panel)),
            &app.admin,
            &json!({"held_on": today(), "attendees": [uuid::Uuid::now_v7()]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn a_municipal_year_with_one_meeting_is_reported_short() {
    let app = TestApp::spawn().await;
    let panel = app.panel().await;
    let may = YearStart::default();
    let current = MunicipalYear::containing(today(), may);
    let last_year =
        MunicipalYear::containing(current.first_day().pred_opt().expect("a day before"), may);
    let held = app
        .meeting(&panel, last_year.first_day() + Days::new(40))
        .await;
    assert_eq!(
        held["municipal_year"].as_str(),
        Some(last_year.name().as_str())
    );

    let path = format!("/v1/panels/{}/compliance", id(&panel));
    let report = app.ok(&path, &app.admin).await;
    let years = report["municipal_years"].as_array().expect("years");
    assert_eq!(years.len(), 2, "{report}");
    assert_eq!(
        years[0],
        json!({"municipal_year": last_year.name(), "first_day": last_year.first_day(), "last_day": last_year.last_day(),
            "meetings": 1, "scheduled": 0, "minimum": 2, "met": false, "remaining": null, "days_left": null})
    );
    let days_left = (current.last_day() - today()).num_days() + 1;
    assert_eq!(
        (
            &years[1]["meetings"],
            &years[1]["remaining"],
            &years[1]["days_left"],
            &years[1]["met"]
        ),
        (&json!(0), &json!(2), &json!(days_left), &json!(false))
    );

    // A meeting today counts; one later in the year is scheduled until it is held.
    app.meeting(&panel, today()).await;
    if current.last_day() > today() {
        app.meeting(&panel, current.last_day()).await;
    }
    let report = app.ok(&path, &app.admin).await;
    let this_year = &report["municipal_years"][1];
    assert_eq!(
        (&this_year["meetings"], &this_year["remaining"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(
        this_year["scheduled"],
        json!(u32::from(current.last_day() > today()))
    );

    let second = app.meeting(&panel, last_year.last_day()).await;
    let report = app.ok(&path, &app.admin).await;
    assert_eq!(report["municipal_years"][0]["met"], true);

    let listed = app
        .ok(
            &format!(
                "/v1/panels/{}/meetings?municipal_year={}",
                id(&panel),
                last_year.name()
            ),
            &app.admin,
        )
        .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    problem(
        app.get(
            &format!("/v1/panels/{}/meetings?municipal_year=2025-27", id(&panel)),
            &app.admin,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let meeting_path = format!("/v1/panels/{}/meetings/{}", id(&panel), id(&second));
    let tag = etag(&app.get(&meeting_path, &app.admin).await);
    let minuted = app
        .patch(
            &meeting_path,
            &app.admin,
            Some(&tag),
            &json!({"minutes": "The panel agreed the evaluation."}),
        )
        .await;
    assert_eq!(minuted.status(), StatusCode::OK);
    let minuted: Value = minuted.json().await.expect("json");
    assert_eq!(
        (minuted["minutes"].as_str(), minuted["agenda"].clone()),
        (
            Some("The panel agreed the evaluation."),
            json!(["Training needs"])
        )
    );
    problem(
        app.patch(
            &meeting_path,
            &app.admin,
            Some(&tag),
            &json!({"minutes": "stale"}),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

fn rated() -> Value {
    json!({"needs_met": 4, "uptake": 3, "accessibility": 4, "quality": 5})
}

#[tokio::test]
async fn an_agreed_evaluation_refuses_changes_and_its_recommendations_reach_the_document() {
    let app = TestApp::spawn().await;
    let panel = app.panel().await;
    let other_panel = app.panel().await;
    let held = app.meeting(&panel, today()).await;
    let coming = app.meeting(&panel, today() + Days::new(10)).await;
    let elsewhere = app.meeting(&other_panel, today()).await;
    let evaluations = format!("/v1/panels/{}/evaluations", id(&panel));
    let period = json!({"period_start": today() - Days::new(30), "period_end": today()});
    let body = |extra: Value| {
        let mut body =
            json!({"scope": {"kind": "programme"}, "findings": "Evening sessions were asked for."});
        for source in [&period, &extra] {
            for (k, v) in source.as_object().expect("an object") {
                body[k] = v.clone();
            }
        }
        body
    };

    problem(
        app.post(
            &evaluations,
            &app.admin,
            &body(json!({"scope": {"kind": "course"}})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.post(
            &evaluations,
            &app.admin,
            &body(json!({"ratings": {"quality": 6}})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // A request can be cited once enough supporters have sent it to the panel.
    let mut members = Vec::new();
    for name in ["Ann", "Ben", "Cat", "Dan"] {
        members.push(app.councillor(name, "Labour").await);
    }
    let request = app
        .created(
            "/v1/training-requests",
            &token(id(&members[0]), &["learner"]),
            json!({"kind": "additional", "title": "Chairing planning committees", "provider": "LGA",
                "justification": "New chairs", "development_need": "Chairing contested items",
                "starts_on": today() + Days::new(60), "ends_on": today() + Days::new(60),
                "estimated_cost_pence": 50_000, "pillar": "professional"}),
        )
        .await;
    let cite = json!({"recommendations": [
        {"kind": "add", "text": "Commission a course on chairing planning committees", "training_request_ids": [request["id"]]}
    ]});
    let not_ready = problem(
        app.post(&evaluations, &app.admin, &body(cite.clone()))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        not_ready["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not ready for the panel")),
        "{not_ready}"
    );
    for supporter in &members[1..4] {
        let signed = app
            .post(
                &format!("/v1/training-requests/{}/supporters", id(&request)),
                &token(id(supporter), &["learner"]),
                &json!({"learner_id": supporter["id"]}),
            )
            .await;
        assert_eq!(signed.status(), StatusCode::OK);
    }
    let as_panel_member = token(id(&members[1]), &["learner", "panel_member"]);
    let draft = app
        .created(&evaluations, &as_panel_member, body(cite))
        .await;
    assert_eq!(draft["status"], "draft");
    let path = format!("{evaluations}/{}", id(&draft));
    let agree = format!("{path}/agree");

    let unrated = problem(
        app.post(&agree, &app.admin, &json!({"meeting_id": held["id"]}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        unrated["detail"]
            .as_str()
            .is_some_and(|d| d.contains("ratings.needs_met"))
    );
    let tag = etag(&app.get(&path, &app.admin).await);
    let rated_draft = app
        .patch(&path, &app.admin, Some(&tag), &json!({"ratings": rated()}))
        .await;
    assert_eq!(rated_draft.status(), StatusCode::OK);
    for meeting in [&coming, &elsewhere] {
        problem(
            app.post(&agree, &app.admin, &json!({"meeting_id": meeting["id"]}))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    problem(
        app.post(
            &agree,
            &token(id(&members[0]), &["learner"]),
            &json!({"meeting_id": held["id"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let agreed = app
        .post(&agree, &as_panel_member, &json!({"meeting_id": held["id"]}))
        .await;
    assert_eq!(agreed.status(), StatusCode::OK);
    let agreed_tag = etag(&agreed);
    let agreed: Value = agreed.json().await.expect("json");
    assert_eq!(
        (agreed["status"].as_str(), &agreed["meeting_id"]),
        (Some("agreed"), &held["id"])
    );

    problem(
        app.patch(
            &path,
            &app.admin,
            Some(&agreed_tag),
            &json!({"findings": "Changed"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        app.post(&agree, &app.admin, &json!({"meeting_id": held["id"]}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let unchanged = app.ok(&path, &app.admin).await;
    assert_eq!(unchanged["findings"], "Evening sessions were asked for.");

    let year = MunicipalYear::containing(today(), YearStart::default()).name();
    let document = app
        .ok(
            &format!(
                "/v1/panels/{}/recommendation?municipal_year={year}",
                id(&panel)
            ),
            &token(id(&members[0]), &["learner"]),
        )
        .await;
    assert_eq!(document["municipal_year"], year);
    assert_eq!(
        document["recommendations"],
        json!([{"kind": "add", "course_id": null, "course_title": null,
            "text": "Commission a course on chairing planning committees", "training_request_ids": [request["id"]],
            "evaluation_id": draft["id"], "agreed_on": today()}])
    );
    let markdown = app
        .request(
            Method::GET,
            &format!("/v1/panels/{}/recommendation", id(&panel)),
            Some(&app.admin),
        )
        .header("accept", "text/markdown")
        .send()
        .await
        .expect("answered");
    assert_eq!(markdown.status(), StatusCode::OK);
    assert!(
        markdown
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/markdown"))
    );
    let text = markdown.text().await.expect("text");
    assert!(text.contains(&format!("# Learning and development programme {year}")));
    assert!(text.contains("## Add to the programme"));
    assert!(text.contains("Commission a course on chairing planning committees"));
    let empty = app
        .ok(
            &format!(
                "/v1/panels/{}/recommendation?municipal_year=2001-02",
                id(&panel)
            ),
            &app.admin,
        )
        .await;
    assert_eq!(empty["recommendations"], json!([]));
}

fn number(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

#[tokio::test]
async fn the_evidence_snapshot_matches_the_delivery_compliance_and_budget_figures() {
    let app = TestApp::spawn().await;
    let (ilm, people) = delivered(&app, "ILM5", "ILM").await;
    delivered(&app, "PRES", "External").await;
    let feedback = json!({"learner_id": people[0]["id"], "session_id": ilm["id"], "rating": 4, "would_recommend": true});
    assert_eq!(
        app.post("/v1/feedback", &app.admin, &feedback)
            .await
            .status(),
        StatusCode::CREATED
    );
    let course_id = ilm["course_id"].clone();
    for name in ["late1", "late2"] {
        app.learner(json!({"kind": "employee", "given_name": name, "family_name": "Starter",
            "email": format!("{name}@council.gov.uk"), "department": "Housing", "started_on": today() - Days::new(100)}))
            .await;
    }
    app.created(
        "/v1/requirements",
        &app.admin,
        json!({"course_id": course_id, "selector": {"kind": "employees"}, "due_within_days": 30,
            "effective_from": today() - Days::new(100)}),
    )
    .await;
    let financial_year = pathway_domain::budget::FinancialYear::containing(today()).name();
    app.created(
        "/v1/budgets",
        &app.admin,
        json!({"financial_year": financial_year, "allocations": [
            {"pillar": "essential", "amount_pence": 1_200_000}, {"pillar": "professional", "amount_pence": 800_000}]}),
    )
    .await;
    let panel = app.panel().await;
    let evaluations = format!("/v1/panels/{}/evaluations", id(&panel));
    let (from, to) = (today() - Days::new(7), today());

    let programme = app
        .created(
            &evaluations,
            &app.admin,
            json!({"scope": {"kind": "programme"}, "period_start": from, "period_end": to}),
        )
        .await;
    let course = app
        .created(
            &evaluations,
            &app.admin,
            json!({"scope": {"kind": "course", "course_id": course_id}, "period_start": from, "period_end": to}),
        )
        .await;

    let delivery = app
        .ok(
            &format!("/v1/reports/delivery?from={from}&to={to}"),
            &app.admin,
        )
        .await;
    let rows = delivery["courses"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    let sum = |key: &str| {
        rows.iter()
            .map(|r| r[key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let evidence = &programme["evidence"]["delivery"];
    assert_eq!(
        (
            &evidence["sessions"],
            &evidence["delegates"],
            &evidence["attended"],
            &evidence["no_shows"],
            &evidence["ratings"]
        ),
        (
            &json!(sum("sessions")),
            &json!(sum("booked")),
            &json!(sum("attended")),
            &json!(sum("no_shows")),
            &json!(sum("ratings"))
        )
    );
    let rate = sum("attended") as f64 / (sum("attended") + sum("no_shows")) as f64;
    assert!((number(&evidence["attendance_rate"]) - rate).abs() < 1e-9);
    assert_eq!(number(&evidence["mean_feedback"]), 4.0);
    let ilm_row = rows
        .iter()
        .find(|r| r["course_id"] == course_id)
        .expect("the course's row");
    let evidence = &course["evidence"]["delivery"];
    assert_eq!(
        (
            &evidence["sessions"],
            &evidence["delegates"],
            &evidence["attended"]
        ),
        (
            &ilm_row["sessions"],
            &ilm_row["booked"],
            &ilm_row["attended"]
        )
    );

    let overall = app
        .ok(&format!("/v1/reports/compliance?as_of={to}"), &app.admin)
        .await["overall"]
        .clone();
    let evidence = &programme["evidence"]["compliance"];
    assert_eq!(
        (
            &evidence["as_of"],
            &evidence["learners"],
            &evidence["compliant"],
            &evidence["share"]
        ),
        (
            &json!(to),
            &overall["learners"],
            &overall["compliant"],
            &overall["compliant_share"]
        )
    );
    assert!(
        overall["non_compliant"].as_u64() == Some(2),
        "the two who started 100 days ago are overdue: {overall}"
    );
    let for_course = app
        .ok(
            &format!(
                "/v1/reports/compliance?as_of={to}&course_id={}",
                course_id.as_str().expect("an id")
            ),
            &app.admin,
        )
        .await["overall"]
        .clone();
    assert_eq!(
        (
            &course["evidence"]["compliance"]["learners"],
            &course["evidence"]["compliance"]["share"]
        ),
        (&for_course["learners"], &for_course["compliant_share"])
    );

    let summary = app
        .ok(&format!("/v1/budgets/{financial_year}/summary"), &app.admin)
        .await;
    let money = &programme["evidence"]["budget"];
    assert_eq!(money.as_array().map(Vec::len), Some(1), "{money}");
    assert_eq!(money[0]["financial_year"], financial_year);
    for key in [
        "allocated_pence",
        "committed_pence",
        "spent_pence",
        "remaining_pence",
    ] {
        assert_eq!(money[0][key], summary["total"][key], "{key}");
    }
    let essential = summary["pillars"]
        .as_array()
        .expect("pillars")
        .iter()
        .find(|p| p["pillar"] == "essential")
        .expect("the essential pillar");
    assert_eq!(
        course["evidence"]["budget"][0]["allocated_pence"],
        essential["allocated_pence"]
    );

    // A snapshot: later feedback moves the report, not the evidence already attached.
    let more = json!({"learner_id": people[1]["id"], "session_id": ilm["id"], "rating": 2, "would_recommend": false});
    assert_eq!(
        app.post("/v1/feedback", &app.admin, &more).await.status(),
        StatusCode::CREATED
    );
    let again = app
        .ok(&format!("{evaluations}/{}", id(&programme)), &app.admin)
        .await;
    assert_eq!(again["evidence"], programme["evidence"]);

    // Moving the period gathers the evidence again, for the new period.
    let path = format!("{evaluations}/{}", id(&programme));
    let tag = etag(&app.get(&path, &app.admin).await);
    let moved = app
        .patch(
            &path,
            &app.admin,
            Some(&tag),
            &json!({"period_start": "2001-04-01", "period_end": "2002-03-31"}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(moved["evidence"]["delivery"]["sessions"], 0);
    assert_eq!(moved["evidence"]["budget"][0]["financial_year"], "2001-02");
}

#[tokio::test]
async fn learners_answer_needs_assessments_and_read_only_their_own_response() {
    let app = TestApp::spawn().await;
    let ann = app.councillor("Ann", "Labour").await;
    let ben = app.councillor("Ben", "Conservative").await;
    let officer = app.employee("Dee", "dee@council.gov.uk").await;
    let (as_ann, as_ben, as_officer) = (
        token(id(&ann), &["learner"]),
        token(id(&ben), &["learner"]),
        token(id(&officer), &["learner"]),
    );
    let as_panel_member = token(id(&ben), &["learner", "panel_member"]);
    let subjects = ["Planning", "Scrutiny", "Social media"];
    let round = app
        .created(
            "/v1/needs-assessments",
            &as_panel_member,
            json!({"title": "Training needs 2026", "audience": "all", "opens_on": today() - Days::new(1),
                "closes_on": today() + Days::new(10), "subjects": subjects}),
        )
        .await;
    assert_eq!(round["open"], true);
    let responses = format!("/v1/needs-assessments/{}/responses", id(&round));
    let answer = |choices: Value, times: Value, other: Value| {
        json!({"choices": choices, "comments": "Evenings, please",
            "accessibility": {"times_of_day": times, "formats": ["online"], "other_needs": other}})
    };

    let first = app
        .created(
            &responses,
            &as_ann,
            answer(
                json!([{"subject": "Scrutiny", "priority": 1}]),
                json!(["morning"]),
                json!(null),
            ),
        )
        .await;
    assert_eq!(first["learner_kind"], "elected_member");
    let changed = app
        .post(
            &responses,
            &as_ann,
            &answer(
                json!([{"subject": "Planning", "priority": 1}, {"subject": "Social media", "priority": 3}]),
                json!(["evening"]),
                json!("A hearing loop"),
            ),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK, "answering again replaces");
    app.created(
        &responses,
        &as_ben,
        answer(
            json!([{"subject": "Planning", "priority": 2}]),
            json!(["evening", "afternoon"]),
            json!(null),
        ),
    )
    .await;
    app.created(
        &responses,
        &as_officer,
        answer(
            json!([{"subject": "Scrutiny", "priority": 1}]),
            json!([]),
            json!(null),
        ),
    )
    .await;

    for bad in [
        answer(
            json!([{"subject": "Cooking", "priority": 1}]),
            json!([]),
            json!(null),
        ),
        answer(
            json!([{"subject": "Planning", "priority": 4}]),
            json!([]),
            json!(null),
        ),
    ] {
        problem(
            app.post(&responses, &as_ann, &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let mut for_ben = answer(json!([]), json!([]), json!(null));
    for_ben["learner_id"] = ben["id"].clone();
    problem(
        app.post(&responses, &as_ann, &for_ben).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let own = app.ok(&format!("{responses}/{}", id(&ann)), &as_ann).await;
    assert_eq!(own["accessibility"]["other_needs"], "A hearing loop");
    problem(
        app.get(&format!("{responses}/{}", id(&ben)), &as_ann).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(app.get(&responses, &as_ann).await, StatusCode::FORBIDDEN).await;
    assert_eq!(
        app.get(&format!("{responses}/{}", id(&ann)), &as_panel_member)
            .await
            .status(),
        StatusCode::OK
    );
    let all = app.ok(&responses, &app.admin).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3));

    let summary_path = format!("/v1/needs-assessments/{}/summary", id(&round));
    problem(
        app.get(&summary_path, &as_officer).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let summary = app.ok(&summary_path, &as_panel_member).await;
    assert_eq!(summary["responses"], 3);
    assert_eq!(
        summary["response_rates"],
        json!([
            {"audience": "employee", "invited": 1, "responded": 1, "response_rate": 1.0},
            {"audience": "elected_member", "invited": 2, "responded": 2, "response_rate": 1.0}
        ])
    );
    // Planning: 3 (Ann, first) + 2 (Ben, second) = 5; Scrutiny 3 (the officer's first);
    // Social media 1.
    assert_eq!(
        summary["subjects"],
        json!([
            {"subject": "Planning", "weighted_demand": 5, "respondents": 2, "first_choices": 1},
            {"subject": "Scrutiny", "weighted_demand": 3, "respondents": 1, "first_choices": 1},
            {"subject": "Social media", "weighted_demand": 1, "respondents": 1, "first_choices": 0}
        ])
    );
    assert_eq!(
        summary["accessibility"]["times_of_day"],
        json!([{"time_of_day": "morning", "respondents": 0}, {"time_of_day": "afternoon", "respondents": 1},
            {"time_of_day": "evening", "respondents": 2}])
    );
    assert_eq!(
        summary["accessibility"]["other_needs"],
        json!(["A hearing loop"])
    );

    // Subject areas someone could have chosen stay once anyone has answered.
    let path = format!("/v1/needs-assessments/{}", id(&round));
    let tag = etag(&app.get(&path, &app.admin).await);
    problem(
        app.patch(
            &path,
            &app.admin,
            Some(&tag),
            &json!({"subjects": ["Planning"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;

    // Members only, and closed rounds, refuse answers.
    let members_only = app
        .created(
            "/v1/needs-assessments",
            &app.admin,
            json!({"title": "Members only", "audience": "elected_members", "opens_on": today(),
                "closes_on": today(), "subjects": subjects}),
        )
        .await;
    let closed = app
        .created(
            "/v1/needs-assessments",
            &app.admin,
            json!({"title": "Last year", "audience": "all", "opens_on": "2025-06-01",
                "closes_on": "2025-06-30", "subjects": subjects}),
        )
        .await;
    for (round, caller) in [(&members_only, &as_officer), (&closed, &as_ann)] {
        problem(
            app.post(
                &format!("/v1/needs-assessments/{}/responses", id(round)),
                caller,
                &answer(json!([]), json!([]), json!(null)),
            )
            .await,
            StatusCode::CONFLICT,
        )
        .await;
    }
    problem(
        app.post(
            "/v1/needs-assessments",
            &as_ann,
            &json!({"title": "x", "audience": "all", "opens_on": today(), "closes_on": today(), "subjects": ["A"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}
