use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, course_body, etag, problem, session_body, staff, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

#[tokio::test]
async fn only_published_courses_are_scheduled_and_a_session_needs_sane_details() {
    let app = TestApp::spawn().await;
    let draft = app.course(course_body("DRAFT")).await;
    let body = problem(
        app.post("/v1/sessions", &app.admin, &session_body(&draft, 10))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "course_id");
    let unknown = json!({"id": uuid::Uuid::now_v7()});
    problem(
        app.post("/v1/sessions", &app.admin, &session_body(&unknown, 10))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let course = app.published_course(course_body("ILM5")).await;
    let mut backwards = session_body(&course, 10);
    backwards["ends_at"] = backwards["starts_at"].clone();
    backwards["location"] = Value::Null;
    let body = problem(
        app.post("/v1/sessions", &app.admin, &backwards).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["ends_at", "location"]);

    let session = app.session(&course, 10).await;
    assert_eq!(session["status"], "scheduled");
    let learner = token(&uuid::Uuid::now_v7().to_string(), &["learner"]);
    problem(
        app.post("/v1/sessions", &learner, &session_body(&course, 10))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let listed: Value = app
        .get(&format!("/v1/sessions?course_id={}", id(&course)), &learner)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["id"], session["id"]);
    let count = |query: String| {
        let (app, learner) = (&app, &learner);
        async move {
            let page: Value = app
                .get(&format!("/v1/sessions?{query}"), learner)
                .await
                .json()
                .await
                .expect("json");
            page["items"].as_array().map_or(0, Vec::len)
        }
    };
    let starts = session["starts_at"].as_str().expect("a start").to_owned();
    assert_eq!(count(format!("from={starts}")).await, 1);
    assert_eq!(count(format!("to={starts}")).await, 0, "to is exclusive");
    assert_eq!(count("status=scheduled".into()).await, 1);
    assert_eq!(count("status=cancelled".into()).await, 0);
    problem(
        app.get(&format!("/v1/sessions/{}", uuid::Uuid::now_v7()), &learner)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_full_session_puts_the_next_learner_on_the_waitlist_and_a_cancellation_promotes_them() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("ILM5")).await;
    let session = app.session(&course, 1).await;
    let people = staff(&app, 3).await;
    let first = app.book(&session, &people[0]).await;
    let second = app.book(&session, &people[1]).await;
    let third = app.book(&session, &people[2]).await;
    assert_eq!(
        (first["status"].as_str(), &first["waitlist_position"]),
        (Some("booked"), &Value::Null)
    );
    assert_eq!(
        (
            second["status"].as_str(),
            second["waitlist_position"].as_i64()
        ),
        (Some("waitlisted"), Some(1))
    );
    assert_eq!(third["waitlist_position"], 2);

    let cancelled = app
        .request(
            Method::DELETE,
            &format!("/v1/sessions/{}/bookings/{}", id(&session), id(&first)),
            Some(&app.admin),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(cancelled.status(), StatusCode::OK);
    assert_eq!(
        cancelled.json::<Value>().await.expect("json")["status"],
        "cancelled"
    );

    let bookings: Value = app
        .get(
            &format!("/v1/sessions/{}/bookings", id(&session)),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let states: Vec<(String, Value)> = bookings["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| {
            (
                b["status"].as_str().expect("status").to_owned(),
                b["waitlist_position"].clone(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("cancelled".to_owned(), Value::Null),
            ("booked".to_owned(), Value::Null),
            ("waitlisted".to_owned(), json!(1))
        ]
    );
}

#[tokio::test]
async fn fifty_simultaneous_bookings_never_overfill_ten_seats() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("ILM5")).await;
    let session = app.session(&course, 10).await;
    let people = staff(&app, 50).await;
    let path = format!("/v1/sessions/{}/bookings", id(&session));
    let attempts = people.iter().map(|person| {
        let (app, path) = (&app, &path);
        async move {
            let response = app
                .post(path, &app.admin, &json!({"learner_id": person["id"]}))
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    });
    futures_util::future::join_all(attempts).await;

    let bookings: Value = app
        .get(&format!("{path}?limit=500"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let items = bookings["items"].as_array().expect("items");
    assert_eq!(items.iter().filter(|b| b["status"] == "booked").count(), 10);
    let mut positions: Vec<i64> = items
        .iter()
        .filter(|b| b["status"] == "waitlisted")
        .filter_map(|b| b["waitlist_position"].as_i64())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=40).collect::<Vec<_>>());
}

#[tokio::test]
async fn two_server_processes_on_one_database_never_overfill_a_session() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("ILM5")).await;
    let session = app.session(&course, 10).await;
    let people = staff(&app, 50).await;
    let servers = [app.another_process().await, app.another_process().await];
    let attempts = people.iter().enumerate().map(|(i, person)| {
        let (app, url) = (
            &app,
            format!(
                "{}/v1/sessions/{}/bookings",
                servers[i % 2].address,
                id(&session)
            ),
        );
        async move {
            let response = app
                .client
                .post(url)
                .bearer_auth(&app.admin)
                .json(&json!({"learner_id": person["id"]}))
                .send()
                .await;
            assert_eq!(response.expect("answered").status(), StatusCode::CREATED);
        }
    });
    futures_util::future::join_all(attempts).await;

    let bookings: Value = app
        .get(
            &format!("/v1/sessions/{}/bookings?limit=500", id(&session)),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let items = bookings["items"].as_array().expect("items");
    assert_eq!(items.iter().filter(|b| b["status"] == "booked").count(), 10);
    let mut positions: Vec<i64> = items
        .iter()
        .filter_map(|b| b["waitlist_position"].as_i64())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=40).collect::<Vec<_>>());
}

#[tokio::test]
async fn bookings_are_refused_when_they_cannot_be_honoured() {
    let app = TestApp::spawn().await;
    let mut members_only = course_body("CHAIRING");
    members_only["audience"] = json!("members");
    let members_course = app.published_course(members_only).await;
    let course = app.published_course(course_body("GDPR")).await;
    let session = app.session(&course, 5).await;
    let person = app.employee("Ann", "ann@council.gov.uk").await;
    let path = format!("/v1/sessions/{}/bookings", id(&session));

    app.book(&session, &person).await;
    problem(
        app.post(&path, &app.admin, &json!({"learner_id": person["id"]}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    let members_session = app.session(&members_course, 5).await;
    let body = problem(
        app.post(
            &format!("/v1/sessions/{}/bookings", id(&members_session)),
            &app.admin,
            &json!({"learner_id": person["id"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("members")),
        "{body}"
    );

    let leaver = app.employee("Leaver", "leaver@council.gov.uk").await;
    app.post(
        &format!("/v1/learners/{}/leave", id(&leaver)),
        &app.admin,
        &json!({}),
    )
    .await;
    problem(
        app.post(&path, &app.admin, &json!({"learner_id": leaver["id"]}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        app.post(
            &path,
            &app.admin,
            &json!({"learner_id": uuid::Uuid::now_v7()}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let late = app.employee("Late", "late@council.gov.uk").await;
    app.run(&session).await;
    problem(
        app.post(&path, &app.admin, &json!({"learner_id": late["id"]}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    let cancelled = app.session(&course, 5).await;
    app.post(
        &format!("/v1/sessions/{}/cancel", id(&cancelled)),
        &app.admin,
        &json!({}),
    )
    .await;
    let body = problem(
        app.post(
            &format!("/v1/sessions/{}/bookings", id(&cancelled)),
            &app.admin,
            &json!({"learner_id": late["id"]}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cancelled")),
        "{body}"
    );
    problem(
        app.post(
            &format!("/v1/sessions/{}/bookings", uuid::Uuid::now_v7()),
            &app.admin,
            &json!({"learner_id": late["id"]}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_learner_books_and_cancels_only_their_own_place() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let session = app.session(&course, 5).await;
    let me = app.employee("Me", "me@council.gov.uk").await;
    let other = app.employee("Other", "other@council.gov.uk").await;
    let mine = token(id(&me), &["learner"]);
    let path = format!("/v1/sessions/{}/bookings", id(&session));

    problem(
        app.post(&path, &mine, &json!({"learner_id": other["id"]}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let booked = app
        .post(&path, &mine, &json!({"learner_id": me["id"]}))
        .await;
    assert_eq!(booked.status(), StatusCode::CREATED);
    let booking: Value = booked.json().await.expect("json");
    let theirs = app.book(&session, &other).await;

    let seen: Value = app.get(&path, &mine).await.json().await.expect("json");
    let ids: Vec<&Value> = seen["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| &b["id"])
        .collect();
    assert_eq!(
        ids,
        [&booking["id"]],
        "a learner sees only their own booking"
    );

    let cancel = |booking: &Value| format!("{path}/{}", id(booking));
    let refused = app
        .request(Method::DELETE, &cancel(&theirs), Some(&mine))
        .send()
        .await
        .expect("answered");
    problem(refused, StatusCode::FORBIDDEN).await;
    let done = app
        .request(Method::DELETE, &cancel(&booking), Some(&mine))
        .send()
        .await
        .expect("answered");
    assert_eq!(done.status(), StatusCode::OK);
    let again = app
        .request(Method::DELETE, &cancel(&booking), Some(&mine))
        .send()
        .await
        .expect("answered");
    problem(again, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn attendance_records_completions_once_and_completes_the_session() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let session = app.session(&course, 2).await;
    let people = staff(&app, 3).await;
    for person in &people {
        app.book(&session, person).await;
    }
    let path = format!("/v1/sessions/{}/attendance", id(&session));
    let mark = |person: &Value, attendance: &str| json!({"records": [{"learner_id": person["id"], "attendance": attendance}]});

    let early = problem(
        app.post(&path, &app.admin, &mark(&people[0], "attended"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(early.detail_mentions("started"), "{early}");
    app.run(&session).await;

    problem(
        app.post(&path, &app.admin, &mark(&people[2], "attended"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let learner = token(id(&people[0]), &["learner"]);
    problem(
        app.post(&path, &learner, &mark(&people[0], "attended"))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let marked = app
        .post(&path, &app.admin, &mark(&people[0], "attended"))
        .await;
    assert_eq!(marked.status(), StatusCode::OK);
    assert_eq!(
        marked.json::<Value>().await.expect("json")["bookings"][0]["attendance"],
        "attended"
    );
    app.post(&path, &app.admin, &mark(&people[0], "attended"))
        .await;

    let records: Value = app
        .get(
            &format!("/v1/completions?learner_id={}", id(&people[0])),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let items = records["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "marking twice records once: {records}");
    assert_eq!(
        (items[0]["source"].as_str(), &items[0]["course_id"]),
        (Some("session"), &course["id"])
    );
    let completed_on = chrono::NaiveDate::parse_from_str(
        items[0]["completed_on"].as_str().expect("date"),
        "%Y-%m-%d",
    )
    .expect("a date");
    assert_eq!(
        items[0]["expires_on"],
        json!(completed_on.checked_add_months(chrono::Months::new(12)))
    );

    let still_open: Value = app
        .get(&format!("/v1/sessions/{}", id(&session)), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(still_open["status"], "scheduled");
    app.post(&path, &app.admin, &mark(&people[1], "no_show"))
        .await;
    let done: Value = app
        .get(&format!("/v1/sessions/{}", id(&session)), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(done["status"], "completed");

    app.post(&path, &app.admin, &mark(&people[0], "no_show"))
        .await;
    let records: Value = app
        .get(
            &format!("/v1/completions?learner_id={}", id(&people[0])),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        records["items"],
        json!([]),
        "a corrected attendance withdraws its completion"
    );
}

#[tokio::test]
async fn cancelling_a_session_cancels_its_bookings_with_an_audit_trail() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let session = app.session(&course, 1).await;
    let people = staff(&app, 2).await;
    app.book(&session, &people[0]).await;
    app.book(&session, &people[1]).await;
    let cancelled = app
        .post(
            &format!("/v1/sessions/{}/cancel", id(&session)),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(
        cancelled.json::<Value>().await.expect("json")["status"],
        "cancelled"
    );
    let bookings: Value = app
        .get(
            &format!("/v1/sessions/{}/bookings", id(&session)),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(
        bookings["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|b| b["status"] == "cancelled")
    );
    let events: Value = app
        .get("/v1/audit-events?action=booking.cancelled", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(events["items"].as_array().map(Vec::len), Some(2));
    problem(
        app.post(
            &format!("/v1/sessions/{}/cancel", id(&session)),
            &app.admin,
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn more_seats_promote_the_waitlist_and_fewer_than_booked_are_refused() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let session = app.session(&course, 1).await;
    let people = staff(&app, 3).await;
    for person in &people {
        app.book(&session, person).await;
    }
    let path = format!("/v1/sessions/{}", id(&session));
    let current = etag(&app.get(&path, &app.admin).await);
    let grown = app
        .patch(&path, &app.admin, Some(&current), &json!({"capacity": 2}))
        .await;
    assert_eq!(grown.status(), StatusCode::OK);
    let next = etag(&grown);
    let bookings: Value = app
        .get(&format!("{path}/bookings"), &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let booked = bookings["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|b| b["status"] == "booked")
        .count();
    assert_eq!(booked, 2);
    let body = problem(
        app.patch(&path, &app.admin, Some(&next), &json!({"capacity": 1}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "capacity");
    problem(
        app.patch(
            &path,
            &app.admin,
            Some(&next),
            &json!({"course_id": uuid::Uuid::now_v7()}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

trait Detail {
    fn detail_mentions(&self, word: &str) -> bool;
}

impl Detail for Value {
    fn detail_mentions(&self, word: &str) -> bool {
        self["detail"].as_str().is_some_and(|d| d.contains(word))
    }
}

#[tokio::test]
async fn a_leaver_gives_up_their_places_to_the_waitlist() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let session = app.session(&course, 1).await;
    let people = staff(&app, 2).await;
    app.book(&session, &people[0]).await;
    app.book(&session, &people[1]).await;
    let left = app
        .post(
            &format!("/v1/learners/{}/leave", id(&people[0])),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(left.status(), StatusCode::OK);
    let bookings: Value = app
        .get(
            &format!("/v1/sessions/{}/bookings", id(&session)),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let states: Vec<&str> = bookings["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|b| b["status"].as_str())
        .collect();
    assert_eq!(states, ["cancelled", "booked"]);
}
