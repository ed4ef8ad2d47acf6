//! The LRS's reads beyond a plain query: the `registration` and `related_*` filters, the
//! `ids` and `canonical` formats with `Accept-Language`, and the Agents and Activities
//! resources.

use pathway_migrations::{Migrator, MigratorTrait};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{COUNCIL_HOME_PAGE, TestApp, problem, urlencode};
use crate::xapi::{Lrs, json_at, mbox};

const ATTENDED: &str = "http://adlnet.gov/expapi/verbs/attended";
const PLANNED: &str = "http://example.com/verbs/planned";
const GDPR: &str = "https://learnpool.example/courses/gdpr-refresher";
const INDUCTION: &str = "https://learnpool.example/programmes/induction";

/// The ids a statement query answers, sorted.
async fn found(lrs: &Lrs<'_>, query: &str) -> Vec<String> {
    let page = json_at(lrs, &format!("/xapi/statements?{query}")).await;
    let mut ids: Vec<String> = page["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| s["id"].as_str().expect("an id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// Every GET of `paths` is refused with `status`.
async fn refused(lrs: &Lrs<'_>, paths: &[String], status: StatusCode) {
    for path in paths {
        let response = lrs
            .request(Method::GET, path)
            .send()
            .await
            .expect("answered");
        problem(response, status).await;
    }
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    ids.sort();
    ids
}

fn agent(email: &str) -> String {
    urlencode(&json!({"mbox": format!("mailto:{email}")}).to_string())
}

#[tokio::test]
async fn the_related_filters_and_registration_find_what_a_statement_names_anywhere() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let registration = Uuid::new_v4();
    let stored: Vec<String> = lrs
        .post(&json!([
            {"actor": mbox("amira@council.gov.uk"), "verb": {"id": ATTENDED},
             "object": {"id": GDPR},
             "context": {"registration": registration, "instructor": mbox("tutor@learnpool.example"),
                 "contextActivities": {"parent": {"id": INDUCTION}}}},
            {"actor": mbox("tutor@learnpool.example"), "verb": {"id": ATTENDED},
             "object": {"id": INDUCTION}},
            {"actor": mbox("bob@council.gov.uk"), "verb": {"id": PLANNED},
             "object": {"objectType": "SubStatement", "actor": mbox("amira@council.gov.uk"),
                 "verb": {"id": ATTENDED}, "object": {"id": GDPR}}}
        ]))
        .await
        .json()
        .await
        .expect("ids");
    let (taught, led, planned) = (&stored[0], &stored[1], &stored[2]);

    let amira = agent("amira@council.gov.uk");
    let tutor = agent("tutor@learnpool.example");
    let (gdpr, induction) = (urlencode(GDPR), urlencode(INDUCTION));
    let expectations = [
        (format!("agent={amira}"), sorted(&[taught])),
        (
            format!("agent={amira}&related_agents=true"),
            sorted(&[taught, planned]),
        ),
        (format!("agent={tutor}"), sorted(&[led])),
        (
            format!("agent={tutor}&related_agents=true"),
            sorted(&[taught, led]),
        ),
        (format!("activity={induction}"), sorted(&[led])),
        (
            format!("activity={induction}&related_activities=true"),
            sorted(&[taught, led]),
        ),
        (
            format!("activity={gdpr}&related_activities=true&related_agents=false"),
            sorted(&[taught, planned]),
        ),
        (format!("registration={registration}"), sorted(&[taught])),
        (format!("registration={}", Uuid::new_v4()), Vec::new()),
        (
            format!("registration={registration}&agent={tutor}&related_agents=true"),
            sorted(&[taught]),
        ),
    ];
    for (query, expected) in &expectations {
        assert_eq!(&found(&lrs, query).await, expected, "{query}");
    }
    for query in [
        "registration=not-a-uuid",
        "related_agents=perhaps",
        "Related_Activities=true",
    ] {
        problem(lrs.get(&format!("?{query}")).await, StatusCode::BAD_REQUEST).await;
    }

    // Statements stored before the filing existed are filed when it is made.
    let db = app.db().await;
    Migrator::down(&db, Some(1)).await.expect("undone");
    Migrator::up(&db, None).await.expect("done again");
    for (query, expected) in &expectations {
        assert_eq!(
            &found(&lrs, query).await,
            expected,
            "after the backfill: {query}"
        );
    }
}

#[tokio::test]
async fn formats_answer_identifiers_or_canonical_definitions_in_the_language_asked() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let verb = json!({"id": ATTENDED, "display": {"en-GB": "attended", "cy": "mynychodd"}});
    let stored: Vec<String> = lrs
        .post(&json!([
            {"actor": {"name": "Amira Khan", "mbox": "mailto:amira@council.gov.uk"}, "verb": verb,
             "object": {"id": GDPR, "definition": {"name": {"en-GB": "Data protection"},
                 "description": {"en-GB": "The yearly refresher"},
                 "type": "http://adlnet.gov/expapi/activities/course"}}},
            {"actor": mbox("bob@council.gov.uk"), "verb": verb,
             "object": {"id": GDPR, "definition": {"name": {"cy": "Diogelu data"}}}}
        ]))
        .await
        .json()
        .await
        .expect("ids");

    let activity = json_at(
        &lrs,
        &format!("/xapi/activities?activityId={}", urlencode(GDPR)),
    )
    .await;
    assert_eq!(
        activity,
        json!({"objectType": "Activity", "id": GDPR, "definition": {
            "name": {"en-GB": "Data protection", "cy": "Diogelu data"},
            "description": {"en-GB": "The yearly refresher"},
            "type": "http://adlnet.gov/expapi/activities/course"}}),
        "every statement's languages, merged"
    );
    let unseen = "https://learnpool.example/never-defined";
    assert_eq!(
        json_at(
            &lrs,
            &format!("/xapi/activities?activityId={}", urlencode(unseen))
        )
        .await,
        json!({"objectType": "Activity", "id": unseen})
    );

    let welsh = lrs
        .request(
            Method::GET,
            &format!(
                "/xapi/statements?statementId={}&format=canonical",
                stored[0]
            ),
        )
        .header("Accept-Language", "cy-GB, en;q=0.5")
        .send()
        .await
        .expect("answered");
    assert_eq!(welsh.status(), StatusCode::OK);
    let welsh: Value = welsh.json().await.expect("json");
    assert_eq!(welsh["verb"]["display"], json!({"cy": "mynychodd"}));
    assert_eq!(
        welsh["object"]["definition"],
        json!({"name": {"cy": "Diogelu data"}, "description": {"en-GB": "The yearly refresher"},
            "type": "http://adlnet.gov/expapi/activities/course"}),
        "the canonical definition, one language a map, the best there is"
    );
    assert_eq!(welsh["actor"]["name"], "Amira Khan", "agents as sent");

    let ids = json_at(
        &lrs,
        &format!("/xapi/statements?activity={}&format=ids", urlencode(GDPR)),
    )
    .await;
    let first = ids["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["id"] == stored[0].as_str())
        .expect("the first statement");
    assert_eq!(
        first["actor"],
        json!({"mbox": "mailto:amira@council.gov.uk"})
    );
    assert_eq!(first["verb"], json!({"id": ATTENDED}));
    assert_eq!(first["object"], json!({"id": GDPR}));

    let exact = json_at(&lrs, &format!("/xapi/statements?statementId={}", stored[1])).await;
    assert_eq!(
        exact["object"]["definition"],
        json!({"name": {"cy": "Diogelu data"}}),
        "exact is as sent"
    );
    refused(
        &lrs,
        &[
            "/xapi/statements?format=everything".to_owned(),
            "/xapi/activities".to_owned(),
            "/xapi/activities?activityId=true".to_owned(),
            format!("/xapi/activities?activityId={}&agent=x", urlencode(GDPR)),
        ],
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn the_agents_resource_knows_a_learner_by_every_identifier() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    app.learner(
        json!({"kind": "employee", "given_name": "Amira", "family_name": "Khan",
        "email": "amira.khan@council.gov.uk", "external_ref": "E10442"}),
    )
    .await;
    let sent = lrs
        .post(
            &json!({"actor": {"name": "Amira Khan", "mbox": "mailto:amira.khan@council.gov.uk"},
            "verb": {"id": ATTENDED}, "object": {"id": GDPR}}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);

    let by_account = urlencode(
        &json!({"objectType": "Agent", "account": {"homePage": COUNCIL_HOME_PAGE, "name": "E10442"}})
            .to_string(),
    );
    assert_eq!(
        json_at(&lrs, &format!("/xapi/agents?agent={by_account}")).await,
        json!({"objectType": "Person", "name": ["Amira Khan"],
            "mbox": ["mailto:amira.khan@council.gov.uk"],
            "account": [{"homePage": COUNCIL_HOME_PAGE, "name": "E10442"}]}),
        "the learner's email address and the name statements gave it"
    );
    let stranger = agent("visitor@example.org");
    assert_eq!(
        json_at(&lrs, &format!("/xapi/agents?agent={stranger}")).await,
        json!({"objectType": "Person", "mbox": ["mailto:visitor@example.org"]})
    );

    let no_identifier = urlencode(&json!({"name": "Nobody"}).to_string());
    refused(
        &lrs,
        &[
            "/xapi/agents".to_owned(),
            format!("/xapi/agents?agent={no_identifier}"),
            "/xapi/agents?agent=not-json".to_owned(),
        ],
        StatusCode::BAD_REQUEST,
    )
    .await;
    let writer = Lrs::of(&app, &["xapi:write"]).await;
    refused(
        &writer,
        &[
            format!("/xapi/agents?agent={stranger}"),
            format!("/xapi/activities?activityId={}", urlencode(GDPR)),
        ],
        StatusCode::FORBIDDEN,
    )
    .await;
}
