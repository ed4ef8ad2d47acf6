use pathway_migrations::{Migrator, MigratorTrait};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{COUNCIL_HOME_PAGE, TestApp, course_body, etag, problem, urlencode};

const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";
const GDPR: &str = "https://learnpool.example/courses/gdpr-refresher";

/// An LRS client's credentials: an API client's id and secret, sent as HTTP Basic.
pub(crate) struct Lrs<'a> {
    app: &'a TestApp,
    pub(crate) id: String,
    pub(crate) secret: String,
}

impl Lrs<'_> {
    pub(crate) async fn of<'a>(app: &'a TestApp, scopes: &[&str]) -> Lrs<'a> {
        let (id, secret) = app.client(scopes).await;
        Lrs { app, id, secret }
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .request(method, path, None)
            .basic_auth(&self.id, Some(&self.secret))
            .header("X-Experience-API-Version", "1.0.3")
    }

    pub(crate) async fn post(&self, statements: &Value) -> Response {
        self.request(Method::POST, "/xapi/statements")
            .json(statements)
            .send()
            .await
            .expect("answered")
    }

    pub(crate) async fn get(&self, query: &str) -> Response {
        self.request(Method::GET, &format!("/xapi/statements{query}"))
            .send()
            .await
            .expect("answered")
    }
}

fn statement(verb: &str, actor: Value, activity: &str, scaled: Option<f64>) -> Value {
    let mut s = json!({
        "actor": actor,
        "verb": {"id": verb, "display": {"en-GB": verb.rsplit('/').next()}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": "2026-11-20T14:03:00Z"
    });
    if let Some(scaled) = scaled {
        s["result"] = json!({"score": {"scaled": scaled}, "completion": true});
    }
    s
}

pub(crate) fn mbox(email: &str) -> Value {
    json!({"objectType": "Agent", "mbox": format!("mailto:{email}")})
}

fn account(external_ref: &str) -> Value {
    json!({"objectType": "Agent", "account": {"homePage": COUNCIL_HOME_PAGE, "name": external_ref}})
}

async fn xapi_course(app: &TestApp, code: &str, activity: Option<&str>) -> Value {
    let mut body = course_body(code);
    body["xapi_activity_id"] = json!(activity);
    app.published_course(body).await
}

async fn completions_of(app: &TestApp, learner: &Value) -> Vec<Value> {
    let page: Value = app
        .get(
            &format!(
                "/v1/completions?learner_id={}",
                learner["id"].as_str().expect("id")
            ),
            &app.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    page["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn completed_and_passed_statements_become_completions_and_voiding_withdraws_them() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let course = xapi_course(&app, "GDPR-E", Some(GDPR)).await;
    let amira = app
        .learner(
            json!({"kind": "employee", "given_name": "Amira", "family_name": "Khan",
            "email": "amira.khan@council.gov.uk", "external_ref": "E10442"}),
        )
        .await;
    let tom = app.employee("Tom", "tom.jones@council.gov.uk").await;

    let batch = json!([
        statement(
            COMPLETED,
            mbox("Amira.Khan@council.gov.uk"),
            GDPR,
            Some(0.92)
        ),
        statement(FAILED, mbox("tom.jones@council.gov.uk"), GDPR, Some(0.3)),
        statement(
            "http://adlnet.gov/expapi/verbs/experienced",
            mbox("tom.jones@council.gov.uk"),
            GDPR,
            None
        ),
    ]);
    let response = lrs.post(&batch).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-experience-api-version"], "1.0.3");
    let ids: Vec<String> = response.json().await.expect("ids");
    assert_eq!(ids.len(), 3);

    let recorded = completions_of(&app, &amira).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["course_id"], course["id"]);
    assert_eq!(recorded[0]["source"], "elearning");
    assert_eq!(recorded[0]["score"], 92);
    assert_eq!(recorded[0]["completed_on"], "2026-11-20");
    assert!(
        completions_of(&app, &tom).await.is_empty(),
        "failed is kept, not a completion"
    );

    // An account on the council's home page names the learner by HR reference.
    let passed_id = "0f8e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b";
    let mut passed = statement(PASSED, account("E10442"), GDPR, Some(1.0));
    passed["id"] = json!(passed_id);
    let put = lrs
        .request(
            Method::PUT,
            &format!("/xapi/statements?statementId={passed_id}"),
        )
        .json(&passed)
        .send()
        .await
        .expect("answered");
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    assert_eq!(completions_of(&app, &amira).await.len(), 2);
    // The same statement again changes nothing; another under its id is a conflict.
    let again = lrs.post(&passed).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(completions_of(&app, &amira).await.len(), 2);
    let mut other = passed.clone();
    other["result"]["score"]["scaled"] = json!(0.5);
    problem(lrs.post(&other).await, StatusCode::CONFLICT).await;

    // Read back: as stored, with what the LRS sets.
    let stored: Value = lrs
        .get(&format!("?statementId={}", ids[0]))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stored["id"], ids[0]);
    assert_eq!(stored["version"], "1.0.3");
    assert!(stored["stored"].is_string());
    assert_eq!(stored["authority"]["account"]["name"], lrs.id);
    assert_eq!(stored["result"]["score"]["scaled"], 0.92);

    // Queries: by verb, agent, activity; newest first; `more` pages on.
    let by_verb: Value = lrs
        .get(&format!("?verb={}", urlencode(COMPLETED)))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_verb["statements"].as_array().map(Vec::len), Some(1));
    assert_eq!(by_verb["more"], "");
    let tom_agent = urlencode(&mbox("tom.jones@council.gov.uk").to_string());
    let by_agent: Value = lrs
        .get(&format!("?agent={tom_agent}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_agent["statements"].as_array().map(Vec::len), Some(2));
    let first = lrs
        .get(&format!("?activity={}&limit=2", urlencode(GDPR)))
        .await;
    assert!(
        first
            .headers()
            .contains_key("x-experience-api-consistent-through")
    );
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["statements"][0]["id"], passed_id, "newest first");
    let more = first["more"].as_str().expect("a more link").to_owned();
    assert!(more.starts_with("/xapi/statements?"), "{more}");
    let second: Value = lrs
        .request(Method::GET, &more)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    let second_ids: Vec<&Value> = second["statements"]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(second_ids.len(), 2);
    assert_eq!(second["more"], "");
    let oldest: Value = lrs
        .get("?ascending=true&limit=1")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(oldest["statements"][0]["id"], ids[0]);

    // Voiding the completion statement withdraws its completion.
    let void = json!({"actor": mbox("lms-admin@learnpool.example"), "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": ids[0]}});
    assert_eq!(lrs.post(&void).await.status(), StatusCode::OK);
    let left = completions_of(&app, &amira).await;
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0]["score"], 100,
        "the passed statement's completion stays"
    );
    problem(
        lrs.get(&format!("?statementId={}", ids[0])).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let voided: Value = lrs
        .get(&format!("?voidedStatementId={}", ids[0]))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(voided["id"], ids[0]);
    let by_verb: Value = lrs
        .get(&format!("?verb={}", urlencode(COMPLETED)))
        .await
        .json()
        .await
        .expect("json");
    let found = by_verb["statements"].as_array().expect("statements");
    assert!(
        found.iter().all(|s| s["id"] != ids[0]),
        "queries leave voided statements out"
    );
    assert_eq!(
        found.iter().map(|s| &s["verb"]["id"]).collect::<Vec<_>>(),
        [VOIDED],
        "but find the voiding one by what it voided"
    );
}

async fn waiting(app: &TestApp, reader: &str) -> Vec<Value> {
    let page: Value = app
        .get("/v1/integrations/elearning/unmatched", reader)
        .await
        .json()
        .await
        .expect("json");
    page["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn unmatched_statements_wait_for_their_learner_and_course() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write"]).await;
    let reader = app.client_token(&["xapi:read"]).await;
    let course = xapi_course(&app, "SAFE-E", None).await;
    const SAFEGUARDING: &str = "https://learnpool.example/courses/safeguarding";
    let batch = json!([
        statement(
            COMPLETED,
            mbox("new.starter@council.gov.uk"),
            SAFEGUARDING,
            Some(0.8)
        ),
        statement(COMPLETED, account("E20001"), SAFEGUARDING, None),
    ]);
    assert_eq!(lrs.post(&batch).await.status(), StatusCode::OK);
    let listed = waiting(&app, &reader).await;
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|u| u["learner_known"] == false && u["course_known"] == false)
    );

    // The learner appears (entered by hand): known now, still waiting for the course.
    let starter = app.employee("Nia", "new.starter@council.gov.uk").await;
    let listed = waiting(&app, &reader).await;
    let hers = listed
        .iter()
        .find(|u| u["actor_email"] == "new.starter@council.gov.uk")
        .expect("listed");
    assert_eq!(
        (
            hers["learner_known"].as_bool(),
            hers["course_known"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert!(completions_of(&app, &starter).await.is_empty());

    // The course gets its activity id: her statement is applied.
    let path = format!("/v1/courses/{}", course["id"].as_str().expect("id"));
    let tag = etag(&app.get(&path, &app.admin).await);
    let patched = app
        .patch(
            &path,
            &app.admin,
            Some(&tag),
            &json!({"xapi_activity_id": SAFEGUARDING}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let recorded = completions_of(&app, &starter).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (
            recorded[0]["score"].as_i64(),
            recorded[0]["source"].as_str()
        ),
        (Some(80), Some("elearning"))
    );
    assert_eq!(waiting(&app, &reader).await.len(), 1);

    // The other learner arrives through the HR sync, known by their HR reference.
    let hr = app.client_token(&["learners:sync"]).await;
    let synced = app
        .post("/v1/integrations/hr/learners/sync", &hr, &json!({"learners": [
            {"external_ref": "E20001", "given_name": "Owen", "family_name": "Price", "email": "owen.price@council.gov.uk"}
        ]}))
        .await;
    assert_eq!(synced.status(), StatusCode::OK);
    assert!(waiting(&app, &reader).await.is_empty());
    let owen = app
        .get("/v1/learners?q=owen.price", &app.admin)
        .await
        .json::<Value>()
        .await
        .expect("json")["items"][0]
        .clone();
    assert_eq!(completions_of(&app, &owen).await.len(), 1);
}

#[tokio::test]
async fn a_statement_left_waiting_beside_its_learner_is_applied_by_the_periodic_rematch() {
    let app = TestApp::spawn_with(|config| config.xapi_rematch_seconds = 1).await;
    let lrs = Lrs::of(&app, &["xapi:write"]).await;
    let reader = app.client_token(&["xapi:read"]).await;
    xapi_course(&app, "GDPR-RM", Some(GDPR)).await;
    let nia = app.employee("Nia", "nia.before@council.gov.uk").await;
    let batch = json!([statement(
        COMPLETED,
        mbox("nia.after@council.gov.uk"),
        GDPR,
        Some(0.9)
    )]);
    assert_eq!(lrs.post(&batch).await.status(), StatusCode::OK);
    assert_eq!(waiting(&app, &reader).await.len(), 1);

    // Her address becomes the statement's with no follow-up to see it: what a learner created
    // in the same instant as the batch naming them leaves behind.
    let db = app.db().await;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE learners SET email = 'nia.after@council.gov.uk' \
         WHERE email = 'nia.before@council.gov.uk'",
    ))
    .await
    .expect("updated");
    assert!(completions_of(&app, &nia).await.is_empty());

    let mut recorded = Vec::new();
    for _ in 0..50 {
        recorded = completions_of(&app, &nia).await;
        if !recorded.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(recorded.len(), 1, "re-matched within ten seconds");
    assert_eq!(recorded[0]["score"], 90);
    assert!(waiting(&app, &reader).await.is_empty());
}

#[tokio::test]
async fn a_query_finds_the_statements_that_refer_to_what_it_matches() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";
    const COMMENTED: &str = "http://adlnet.gov/expapi/verbs/commented";
    let ids_of = async |response: Response| -> Vec<String> {
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.expect("json");
        page["statements"]
            .as_array()
            .expect("statements")
            .iter()
            .map(|s| s["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    let stored: Vec<String> = lrs
        .post(&json!([
            statement(COMPLETED, mbox("amira@council.gov.uk"), GDPR, None),
            statement(ATTEMPTED, mbox("amira@council.gov.uk"), GDPR, None),
        ]))
        .await
        .json()
        .await
        .expect("ids");
    let (completed, attempted) = (&stored[0], &stored[1]);
    let refers = |verb: &str, target: &str| {
        json!({"actor": mbox("tutor@learnpool.example"), "verb": {"id": verb},
            "object": {"objectType": "StatementRef", "id": target}})
    };
    let about: Vec<String> = lrs
        .post(&json!([
            refers(VOIDED, completed),
            refers(COMMENTED, attempted)
        ]))
        .await
        .json()
        .await
        .expect("ids");
    let (voiding, comment) = (&about[0], &about[1]);

    // The completion is voided, so not returned; its voiding statement is, by what it voided.
    let by_verb = ids_of(lrs.get(&format!("?verb={}", urlencode(COMPLETED))).await).await;
    assert_eq!(by_verb, std::slice::from_ref(voiding));
    let mut by_activity = ids_of(lrs.get(&format!("?activity={}", urlencode(GDPR))).await).await;
    by_activity.sort();
    let mut expected = vec![voiding.clone(), comment.clone(), attempted.clone()];
    expected.sort();
    assert_eq!(by_activity, expected);
    let agent = urlencode(&json!({"mbox": "mailto:amira@council.gov.uk"}).to_string());
    assert_eq!(
        ids_of(lrs.get(&format!("?agent={agent}")).await)
            .await
            .len(),
        3,
        "the attempt, the comment on it and the voiding"
    );
    let by_tutor = urlencode(&json!({"mbox": "mailto:tutor@learnpool.example"}).to_string());
    let mut tutors = ids_of(lrs.get(&format!("?agent={by_tutor}")).await).await;
    tutors.sort();
    let mut expected = vec![voiding.clone(), comment.clone()];
    expected.sort();
    assert_eq!(tutors, expected, "and by their own actor, as ever");
}

#[tokio::test]
async fn statements_stored_before_their_references_were_kept_are_found_by_them() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let stored: Vec<String> = lrs
        .post(&json!([
            statement(COMPLETED, mbox("amira@council.gov.uk"), GDPR, None),
            statement(PASSED, mbox("amira@council.gov.uk"), GDPR, None),
        ]))
        .await
        .json()
        .await
        .expect("ids");
    let refers = |verb: &str, target: &str| {
        json!({"actor": mbox("tutor@learnpool.example"), "verb": {"id": verb},
            "object": {"objectType": "StatementRef", "id": target}})
    };
    let about: Vec<String> = lrs
        .post(&json!([
            refers(VOIDED, &stored[0]),
            refers("http://adlnet.gov/expapi/verbs/commented", &stored[1])
        ]))
        .await
        .json()
        .await
        .expect("ids");

    // As a database from before the column would have them: undone (with the mentions
    // migration after it), and done again.
    let db = app.db().await;
    Migrator::down(&db, Some(2)).await.expect("undone");
    Migrator::up(&db, None).await.expect("done again");
    for (verb, expected) in [(COMPLETED, &about[0]), (PASSED, &about[1])] {
        let page: Value = lrs
            .get(&format!("?verb={}", urlencode(verb)))
            .await
            .json()
            .await
            .expect("json");
        let found: Vec<&str> = page["statements"]
            .as_array()
            .expect("statements")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert!(found.contains(&expected.as_str()), "{verb}: {page}");
    }
}

/// The JSON a GET of `path` answers.
pub(crate) async fn json_at(lrs: &Lrs<'_>, path: &str) -> Value {
    let response = lrs
        .request(Method::GET, path)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn content_keeps_its_state_with_conditions_and_merges() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let reader = Lrs::of(&app, &["xapi:read"]).await;
    let agent = urlencode(&json!({"mbox": "mailto:amira@council.gov.uk"}).to_string());
    let base = format!(
        "/xapi/activities/state?activityId={}&agent={agent}",
        urlencode(GDPR)
    );
    let bookmark = format!("{base}&stateId=bookmark");
    let send = |method: Method, path: &str, content_type: &str, body: &str| {
        lrs.request(method, path)
            .header("content-type", content_type)
            .body(body.to_owned())
    };

    let put = send(Method::PUT, &bookmark, "text/plain", "slide-3")
        .send()
        .await
        .expect("answered");
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    let read = lrs
        .request(Method::GET, &bookmark)
        .send()
        .await
        .expect("answered");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["content-type"], "text/plain");
    let tag = read.headers()["etag"].to_str().expect("text").to_owned();
    let modified = read.headers()["last-modified"].to_str().expect("text");
    assert!(
        modified.ends_with(" GMT") && chrono::DateTime::parse_from_rfc2822(modified).is_ok(),
        "an HTTP-date: {modified}"
    );
    assert_eq!(read.text().await.expect("text"), "slide-3");
    let head = lrs
        .request(Method::HEAD, &bookmark)
        .send()
        .await
        .expect("answered");
    assert_eq!(head.headers()["etag"].to_str().expect("text"), tag);
    assert!(head.bytes().await.expect("body").is_empty());

    // Conditions: a create that finds one, or a stale tag, changes nothing.
    for (header, value) in [("if-none-match", "*"), ("if-match", "\"stale\"")] {
        let refused = send(Method::PUT, &bookmark, "text/plain", "slide-9")
            .header(header, value)
            .send()
            .await
            .expect("answered");
        assert_eq!(
            refused.status(),
            StatusCode::PRECONDITION_FAILED,
            "{header}"
        );
    }
    let matched = send(Method::PUT, &bookmark, "text/plain", "slide-4")
        .header("if-match", &tag)
        .send()
        .await
        .expect("answered");
    assert_eq!(matched.status(), StatusCode::NO_CONTENT);
    // Text cannot be merged into.
    let merge_text = send(
        Method::POST,
        &bookmark,
        "application/json",
        r#"{"slide": 5}"#,
    )
    .send()
    .await
    .expect("answered");
    assert_eq!(merge_text.status(), StatusCode::BAD_REQUEST);

    // JSON merges, top-level properties replaced; a registration keeps its own states.
    let progress = format!("{base}&stateId=progress");
    for body in [r#"{"slide": 3, "score": 10}"#, r#"{"slide": 4}"#] {
        let posted = send(Method::POST, &progress, "application/json", body)
            .send()
            .await
            .expect("answered");
        assert_eq!(posted.status(), StatusCode::NO_CONTENT);
    }
    let merged: Value = json_at(&lrs, &progress).await;
    assert_eq!(merged, json!({"slide": 4, "score": 10}));
    let attempt = format!("{progress}&registration=6fa459ea-ee8a-3ca4-894e-db77e160355e");
    let elsewhere = lrs
        .request(Method::GET, &attempt)
        .send()
        .await
        .expect("answered");
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    let ids: Value = json_at(&lrs, &base).await;
    assert_eq!(ids, json!(["bookmark", "progress"]));
    let later = urlencode(&(chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
    assert_eq!(
        json_at(&lrs, &format!("{base}&since={later}")).await,
        json!([])
    );
    let nobody = format!(
        "/xapi/activities/state?activityId={}&agent=amira&stateId=bookmark",
        urlencode(GDPR)
    );
    let unnamed = lrs
        .request(Method::GET, &nobody)
        .send()
        .await
        .expect("answered");
    assert_eq!(
        unnamed.status(),
        StatusCode::BAD_REQUEST,
        "an agent that is not JSON"
    );

    // A reader reads but does not write; a stray parameter is refused.
    assert_eq!(
        reader
            .request(Method::GET, &progress)
            .send()
            .await
            .expect("answered")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        send(Method::PUT, &progress, "application/json", "{}")
            .send()
            .await
            .expect("answered")
            .status(),
        StatusCode::NO_CONTENT
    );
    let reader_put = reader
        .request(Method::PUT, &progress)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("answered");
    assert_eq!(reader_put.status(), StatusCode::FORBIDDEN);
    let stray = lrs
        .request(Method::GET, &format!("{base}&StateId=progress"))
        .send()
        .await
        .expect("answered");
    assert_eq!(stray.status(), StatusCode::BAD_REQUEST);

    // Deleting one, then the rest.
    let deleted = lrs
        .request(Method::DELETE, &bookmark)
        .send()
        .await
        .expect("answered");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        lrs.request(Method::GET, &bookmark)
            .send()
            .await
            .expect("answered")
            .status(),
        StatusCode::NOT_FOUND
    );
    let cleared = lrs
        .request(Method::DELETE, &base)
        .send()
        .await
        .expect("answered");
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    let ids: Value = json_at(&lrs, &base).await;
    assert_eq!(ids, json!([]));
}

#[tokio::test]
async fn profiles_are_replaced_only_by_writers_who_saw_them() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let agent = urlencode(&json!({"mbox": "mailto:amira@council.gov.uk"}).to_string());
    for base in [
        format!("/xapi/activities/profile?activityId={}", urlencode(GDPR)),
        format!("/xapi/agents/profile?agent={agent}"),
    ] {
        let doc = format!("{base}&profileId=preferences");
        let put = |body: &str| {
            lrs.request(Method::PUT, &doc)
                .header("content-type", "application/json")
                .body(body.to_owned())
        };
        let unconditioned = put(r#"{"captions": true}"#).send().await.expect("answered");
        assert_eq!(
            unconditioned.status(),
            StatusCode::BAD_REQUEST,
            "{base}: a blind create"
        );
        let created = put(r#"{"captions": true}"#)
            .header("if-none-match", "*")
            .send()
            .await
            .expect("answered");
        assert_eq!(created.status(), StatusCode::NO_CONTENT, "{base}");
        let blind = put(r#"{"captions": false}"#)
            .send()
            .await
            .expect("answered");
        assert_eq!(
            blind.status(),
            StatusCode::CONFLICT,
            "{base}: a blind replace"
        );
        let only_new = put("{}")
            .header("if-none-match", "*")
            .send()
            .await
            .expect("answered");
        assert_eq!(only_new.status(), StatusCode::PRECONDITION_FAILED);
        let tag = lrs
            .request(Method::GET, &doc)
            .send()
            .await
            .expect("answered")
            .headers()["etag"]
            .to_str()
            .expect("text")
            .to_owned();
        let seen = put(r#"{"captions": false}"#)
            .header("if-match", &tag)
            .send()
            .await
            .expect("answered");
        assert_eq!(seen.status(), StatusCode::NO_CONTENT);
        let broken = lrs
            .request(Method::POST, &format!("{base}&profileId=unseen"))
            .header("content-type", "application/json")
            .body(r#"{"speed": 1.5}["#)
            .send()
            .await
            .expect("answered");
        assert_eq!(
            broken.status(),
            StatusCode::BAD_REQUEST,
            "JSON that is not, even as the first write"
        );
        let merged = lrs
            .request(Method::POST, &doc)
            .header("content-type", "application/json")
            .body(r#"{"speed": 1.5}"#)
            .send()
            .await
            .expect("answered");
        assert_eq!(merged.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            json_at(&lrs, &doc).await,
            json!({"captions": false, "speed": 1.5})
        );
        assert_eq!(json_at(&lrs, &base).await, json!(["preferences"]));
        let unnamed = lrs
            .request(Method::DELETE, &base)
            .send()
            .await
            .expect("answered");
        assert_eq!(
            unnamed.status(),
            StatusCode::BAD_REQUEST,
            "a profile is deleted by id"
        );
        let deleted = lrs
            .request(Method::DELETE, &doc)
            .send()
            .await
            .expect("answered");
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        assert_eq!(json_at(&lrs, &base).await, json!([]));
    }
}

#[tokio::test]
async fn the_lrs_answers_heads_refusals_and_strays_as_conformance_asks() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let consistent = |response: &Response| {
        response
            .headers()
            .get("x-experience-api-consistent-through")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok())
            .is_some()
    };

    let mut with_parent = statement(COMPLETED, mbox("a@council.gov.uk"), GDPR, None);
    with_parent["context"] =
        json!({"contextActivities": {"parent": {"id": "https://learnpool.example/courses"}}});
    let stored = lrs.post(&with_parent).await;
    assert_eq!(stored.status(), StatusCode::OK);
    assert!(consistent(&stored), "a write says it too");
    let ids: Vec<String> = stored.json().await.expect("json");
    let read = lrs.get(&format!("?statementId={}", ids[0])).await;
    assert!(consistent(&read));
    let read: Value = read.json().await.expect("json");
    assert_eq!(
        read["context"]["contextActivities"]["parent"],
        json!([{"id": "https://learnpool.example/courses"}])
    );

    let head = lrs
        .request(Method::HEAD, "/xapi/statements")
        .send()
        .await
        .expect("answered");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["x-experience-api-version"], "1.0.3");
    assert!(consistent(&head));
    assert!(head.bytes().await.expect("a body").is_empty());

    let missing = lrs
        .get(&format!("?statementId={}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(consistent(&missing), "a 404 says it too");
    for query in [
        "?Verb=http://adlnet.gov/expapi/verbs/completed",
        "?colour=red",
    ] {
        let stray = lrs.get(query).await;
        assert_eq!(stray.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(consistent(&stray), "a 400 says it too");
    }
    let mut loose = statement(COMPLETED, mbox("a@council.gov.uk"), GDPR, None);
    loose["result"] = json!({"duration": "P4W1D"});
    problem(lrs.post(&loose).await, StatusCode::BAD_REQUEST).await;
    // A group as authority is an OAuth application and its user: anonymous, two members.
    let members = json!([mbox("app@learnpool.example"), mbox("a@council.gov.uk")]);
    for authority in [
        json!({"objectType": "Group", "mbox": "mailto:team@council.gov.uk", "member": members}),
        json!({"objectType": "Group", "member": [mbox("app@learnpool.example")]}),
    ] {
        let mut claimed = statement(COMPLETED, mbox("a@council.gov.uk"), GDPR, None);
        claimed["authority"] = authority;
        problem(lrs.post(&claimed).await, StatusCode::BAD_REQUEST).await;
    }
    let planned = json!({"actor": mbox("a@council.gov.uk"), "verb": {"id": "http://example.com/planned"},
        "object": {"objectType": "SubStatement", "actor": mbox("a@council.gov.uk"),
            "verb": {"id": COMPLETED}, "object": {"id": GDPR},
            "context": {"contextActivities": {"parent": {"id": "https://learnpool.example/courses"}}}}});
    let ids: Vec<String> = lrs.post(&planned).await.json().await.expect("ids");
    let read: Value = lrs
        .get(&format!("?statementId={}", ids[0]))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        read["object"]["context"]["contextActivities"]["parent"],
        json!([{"id": "https://learnpool.example/courses"}]),
        "a SubStatement's context activities are lists too"
    );
}

#[tokio::test]
async fn a_form_in_the_alternate_syntax_is_the_request_it_stands_for() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", lrs.id, lrs.secret)
        )
    );
    // As a browser sends it: no headers of its own but the form's.
    let form = |method: &str, fields: &[(&str, String)]| {
        lrs.app
            .request(
                Method::POST,
                &format!("/xapi/statements?method={method}"),
                None,
            )
            .form(fields)
    };
    // Its credentials and version in the form, as a browser without custom headers sends.
    let signed_form = |method: &str, fields: &[(&str, String)]| {
        let mut fields = fields.to_vec();
        fields.push(("Authorization", basic.clone()));
        fields.push(("X-Experience-API-Version", "1.0.3".into()));
        form(method, &fields)
    };
    let id = uuid::Uuid::new_v4().to_string();
    let statement = statement(COMPLETED, mbox("a@council.gov.uk"), GDPR, None);
    let put = signed_form(
        "PUT",
        &[
            ("statementId", id.clone()),
            ("content", statement.to_string()),
        ],
    )
    .send()
    .await
    .expect("answered");
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    let read = signed_form("GET", &[("statementId", id.clone())])
        .send()
        .await
        .expect("answered");
    assert_eq!(read.status(), StatusCode::OK);
    let read: Value = read.json().await.expect("json");
    assert_eq!(read["id"], id.as_str());

    // A document keeps the content type the form names.
    let agent = json!({"mbox": "mailto:a@council.gov.uk"}).to_string();
    let bookmark = lrs
        .app
        .request(Method::POST, "/xapi/activities/state?method=PUT", None)
        .form(&[
            ("activityId", GDPR.to_owned()),
            ("agent", agent.clone()),
            ("stateId", "bookmark".into()),
            ("content", "slide 7".into()),
            ("Content-Type", "text/plain".into()),
            ("Authorization", basic.clone()),
            ("X-Experience-API-Version", "1.0.3".into()),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(bookmark.status(), StatusCode::NO_CONTENT);
    let kept = lrs
        .request(
            Method::GET,
            &format!(
                "/xapi/activities/state?activityId={}&agent={}&stateId=bookmark",
                urlencode(GDPR),
                urlencode(&agent)
            ),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(kept.headers()["content-type"], "text/plain");
    assert_eq!(kept.text().await.expect("text"), "slide 7");

    let with_headers = |builder: RequestBuilder| {
        builder
            .basic_auth(&lrs.id, Some(&lrs.secret))
            .header("X-Experience-API-Version", "1.0.3")
    };
    let refusals = [
        // The form's version header is the request's.
        form(
            "PUT",
            &[
                ("statementId", uuid::Uuid::new_v4().to_string()),
                ("content", statement.to_string()),
                ("X-Experience-API-Version", "0.8".into()),
            ],
        ),
        // Parameters go in the form, not beside method.
        lrs.request(
            Method::POST,
            &format!("/xapi/statements?method=PUT&statementId={id}"),
        )
        .form(&[("content", statement.to_string())]),
        lrs.request(Method::PUT, "/xapi/statements?method=POST")
            .form(&[("content", statement.to_string())]),
        lrs.request(Method::POST, "/xapi/statements?method=PATCH")
            .form(&[("content", statement.to_string())]),
        // Not a form at all.
        lrs.request(Method::POST, "/xapi/statements?method=PUT")
            .json(&json!({"statementId": id, "content": statement})),
        form("PUT", &[("statementId", uuid::Uuid::new_v4().to_string())]),
    ];
    for request in refusals {
        let response = with_headers(request).send().await.expect("answered");
        let consistent = response
            .headers()
            .contains_key("x-experience-api-consistent-through");
        problem(response, StatusCode::BAD_REQUEST).await;
        assert!(consistent, "a refusal of the form says it too");
    }
    let page: Value = with_headers(form("GET", &[("limit", "5".into())]))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(page["statements"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_lrs_refuses_bad_statements_and_callers_and_keeps_nothing_of_them() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let reader = Lrs::of(&app, &["xapi:read"]).await;
    let good = statement(COMPLETED, mbox("a@council.gov.uk"), GDPR, None);

    let about = app
        .request(Method::GET, "/xapi/about", None)
        .send()
        .await
        .expect("answered");
    assert_eq!(about.status(), StatusCode::OK);
    assert_eq!(about.headers()["x-experience-api-version"], "1.0.3");
    assert_eq!(
        about.json::<Value>().await.expect("json")["version"],
        json!(["1.0.3"])
    );

    let unversioned = app
        .request(Method::POST, "/xapi/statements", None)
        .basic_auth(&lrs.id, Some(&lrs.secret))
        .json(&good)
        .send()
        .await
        .expect("answered");
    let body = problem(unversioned, StatusCode::BAD_REQUEST).await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("X-Experience-API-Version"))
    );

    let mut bad = statement(COMPLETED, json!({"mbox": "a@council.gov.uk"}), GDPR, None);
    bad["result"] = json!({"score": {"scaled": 2}});
    let body = problem(
        lrs.post(&json!([good.clone(), bad])).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("statement 1") && d.contains("actor.mbox")),
        "{body}"
    );
    let twice = json!([{"id": "0f8e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "actor": mbox("a@council.gov.uk"), "verb": {"id": COMPLETED}, "object": {"id": GDPR}},
        {"id": "0f8e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "actor": mbox("a@council.gov.uk"), "verb": {"id": PASSED}, "object": {"id": GDPR}}]);
    problem(lrs.post(&twice).await, StatusCode::BAD_REQUEST).await;
    problem(
        lrs.get("?statementId=0f8e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b&verb=x")
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(lrs.get("?agent=not-json").await, StatusCode::BAD_REQUEST).await;
    let text = lrs
        .request(Method::POST, "/xapi/statements")
        .header("content-type", "text/plain")
        .body(good.to_string())
        .send()
        .await
        .expect("answered");
    // 400, as xAPI asks, not 415.
    problem(text, StatusCode::BAD_REQUEST).await;
    let nothing: Value = lrs.get("").await.json().await.expect("json");
    assert_eq!(
        nothing["statements"],
        json!([]),
        "no refused batch left anything behind"
    );

    let wrong = Lrs {
        app: &app,
        id: lrs.id.clone(),
        secret: "not-the-secret".into(),
    };
    problem(wrong.post(&good).await, StatusCode::UNAUTHORIZED).await;
    problem(reader.post(&good).await, StatusCode::FORBIDDEN).await;
    let writer = Lrs::of(&app, &["xapi:write"]).await;
    problem(writer.get("").await, StatusCode::FORBIDDEN).await;
    let anonymous = app
        .request(Method::GET, "/xapi/statements", None)
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .expect("answered");
    problem(anonymous, StatusCode::UNAUTHORIZED).await;

    // Revoking a client stops its Basic credentials at once.
    app.revoke_client(&lrs.id).await;
    problem(lrs.post(&good).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn batches_through_several_server_processes_are_each_stored_once_and_in_order() {
    let app = TestApp::spawn().await;
    let (id, secret) = app.client(&["xapi:write", "xapi:read"]).await;
    let lrs = Lrs {
        app: &app,
        id: id.clone(),
        secret: secret.clone(),
    };
    xapi_course(&app, "GDPR-E", Some(GDPR)).await;
    let mut learners = Vec::new();
    for n in 0..4 {
        learners.push(
            app.employee(&format!("Person{n}"), &format!("person{n}@council.gov.uk"))
                .await,
        );
    }
    let servers = [app.another_process().await, app.another_process().await];
    // Eight batches of 25 at once through two processes: each learner completes twice.
    let batches = (0..8).map(|k| {
        let batch: Vec<Value> = (0..25)
            .map(|i| {
                let verb = if i == 0 {
                    COMPLETED
                } else {
                    "http://adlnet.gov/expapi/verbs/progressed"
                };
                statement(
                    verb,
                    mbox(&format!("person{}@council.gov.uk", k % 4)),
                    GDPR,
                    Some(0.75),
                )
            })
            .collect();
        let url = format!("{}/xapi/statements", servers[k % 2].address);
        let (app, id, secret) = (&app, id.clone(), secret.clone());
        async move {
            let response = app
                .client
                .post(url)
                .basic_auth(id, Some(secret))
                .header("X-Experience-API-Version", "1.0.3")
                .json(&batch)
                .send()
                .await
                .expect("answered");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Vec<String>>().await.expect("ids")
        }
    });
    let stored: Vec<String> = futures_util::future::join_all(batches)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(stored.len(), 200);
    let all: Value = lrs
        .get("?limit=0&ascending=true")
        .await
        .json()
        .await
        .expect("json");
    let listed: Vec<&str> = all["statements"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(listed.len(), 200, "every statement once");
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 200);
    let stamps: Vec<&str> = all["statements"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["stored"].as_str())
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "ascending is the order they were stored"
    );
    for learner in &learners {
        assert_eq!(
            completions_of(&app, learner).await.len(),
            2,
            "{}",
            learner["email"]
        );
    }
}
