//! What a request may bring in: NUL and the other control characters are refused wherever text
//! comes in (PostgreSQL cannot store NUL, a 500 there, and SQLite stored it silently), and a
//! body must arrive within the deadline.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

#[tokio::test]
async fn a_control_character_in_a_query_or_path_is_a_400_on_either_database() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/learners?q=Amira%00",
        "/v1/learners?department=Adult%00Social%20Care",
        "/v1/audit-events?actor=%00",
        "/v1/learners?q=%1B%5B31m",
        "/v1/learners/%00",
        "/xapi/statements?agent=%7B%22mbox%22%3A%22mailto%3Aa%00%40council.gov.uk%22%7D",
    ] {
        let refused = problem(app.get(path, &app.admin).await, StatusCode::BAD_REQUEST).await;
        assert!(
            refused["detail"]
                .as_str()
                .is_some_and(|d| d.contains("control character")),
            "{path}: {refused}"
        );
    }
    let scim = app
        .request(
            Method::GET,
            "/scim/v2/Users?filter=userName%20eq%20%22a%00%22",
            Some(&app.admin),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(scim.status(), StatusCode::BAD_REQUEST);
    // Text with lines and accents is what people write, and passes.
    let fine = app
        .get("/v1/learners?q=O%27Brien%20Zo%C3%AB", &app.admin)
        .await;
    assert_eq!(fine.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_control_character_in_a_body_is_a_400_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let learner = json!({"kind": "employee", "given_name": "Amira\u{0}", "family_name": "Khan",
        "email": "amira.khan@council.gov.uk", "department": "Adult Social Care",
        "started_on": "2020-01-06"});
    problem(
        app.post("/v1/learners", &app.admin, &learner).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let scim_user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "amira.khan@council.gov.uk", "externalId": "E1\u{0}",
        "name": {"givenName": "Amira", "familyName": "Khan"},
        "emails": [{"value": "amira.khan@council.gov.uk", "primary": true}]});
    let provisioned = app
        .request(Method::POST, "/scim/v2/Users", Some(&app.admin))
        .header("content-type", "application/scim+json")
        .body(scim_user.to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(provisioned.status(), StatusCode::BAD_REQUEST);
    let csv = "external_ref,given_name,family_name,email,department,job_title,manager_ref,started_on,left_on\n\
        E10442,Amira\u{7},Khan,amira.khan@council.gov.uk,Adult Social Care,Head of Service,,2019-09-02,\n";
    let synced = app
        .request(
            Method::POST,
            "/v1/integrations/hr/learners/sync",
            Some(&app.admin),
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("answered");
    problem(synced, StatusCode::BAD_REQUEST).await;

    let learners: Value = app
        .get("/v1/learners", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learners["items"], json!([]), "nothing was written");
}

#[tokio::test]
async fn a_body_trickled_past_the_deadline_is_a_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn_with(|config| config.body_timeout_seconds = 1).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connected");
    let head = format!(
        "POST /v1/learners HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
        app.admin
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        // Trickle while no answer has come, as the attacker did.
        loop {
            tokio::select! {
                n = stream.read(&mut buffer) => {
                    let n = n.expect("read");
                    answer.extend_from_slice(&buffer[..n]);
                    if n == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                () = tokio::time::sleep(std::time::Duration::from_millis(300)) => {
                    if stream.write_all(b" ").await.is_err() {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server answered in time");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
