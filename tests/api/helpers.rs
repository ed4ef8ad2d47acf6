//! The test harness: every test starts the real server on a random port with a database of its
//! own, then talks HTTP to it. `TEST_DATABASE_URL=postgres://...` runs the suite on PostgreSQL
//! (a fresh database per test); without it, each test gets a temporary SQLite file.
//! `TEST_LOG=info` (or any `RUST_LOG`-style filter, `TEST_LOG=pathway=debug,sqlx=info`) makes
//! the servers a test starts log, to see why it failed.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Duration, Utc};
use pathway_http::auth::{Claims, sign};
use pathway_persistence::{DatabaseConnection, connect};
use pathway_server::config::{Config, Environment, JwtConfig};
use pathway_server::startup::Server;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SECRET: &str = "end-to-end-test-secret";
pub const ALLOWED_ORIGIN: &str = "https://learning.council.example";
/// The home page of the council's xAPI accounts in the tests' server.
pub const COUNCIL_HOME_PAGE: &str = "https://hr.council.gov.uk";

/// The e-learning platform the tests' server takes signed callbacks from.
pub const CALLBACK_PROVIDER: &str = "learnpool";
pub const CALLBACK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: Client,
    /// An admin (L&D team) token.
    pub admin: String,
    sqlite_file: Option<std::path::PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// The servers' log filter: `TEST_LOG`, or warnings only.
pub fn server_log() -> String {
    std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".to_owned())
}

/// Logs the in-process servers when `TEST_LOG` is set, into the test's captured output.
fn log_when_asked() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// A fresh, empty database for one test.
async fn fresh_database() -> (String, Option<std::path::PathBuf>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("pathway_test_{}", Uuid::now_v7().simple());
            let admin = connect(&admin_url)
                .await
                .expect("TEST_DATABASE_URL must reach PostgreSQL");
            pathway_persistence::db::execute(&admin, &format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create a test database");
            let (server, _) = admin_url
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL ends with /<database>");
            (format!("{server}/{name}"), None)
        }
        _ => {
            let dir = std::env::temp_dir().join("pathway-tests");
            std::fs::create_dir_all(&dir).expect("a temp dir for test databases");
            let file = dir.join(format!("{}.db", Uuid::now_v7()));
            (format!("sqlite://{}?mode=rwc", file.display()), Some(file))
        }
    }
}

pub fn config(database_url: &str) -> Config {
    Config {
        database_url: database_url.to_owned().into(),
        bind: "127.0.0.1:0".into(),
        environment: Environment::Development,
        jwt: JwtConfig {
            secret: Some(SECRET.into()),
            public_key_file: None,
            issuer: None,
            audience: None,
            max_lifetime_seconds: pathway_http::auth::DEFAULT_MAX_LIFETIME_SECONDS,
        },
        cors_origins: vec![ALLOWED_ORIGIN.into()],
        supporters_for_panel: 3,
        municipal_year_start: Default::default(),
        panel_minimum_meetings: 2,
        hr_sync_max_left_percent: pathway_domain::hr_sync::DEFAULT_MAX_LEFT_PERCENT,
        callback_secrets: vec![(CALLBACK_PROVIDER.into(), CALLBACK_SECRET.into())],
        xapi_account_home_page: Some(COUNCIL_HOME_PAGE.into()),
        // Off, so no test meets a write it did not make; the re-match has a test of its own.
        xapi_rematch_seconds: 0,
        body_timeout_seconds: pathway_http::DEFAULT_BODY_DEADLINE.as_secs(),
        metrics_token: None,
        max_connections: 1024,
        shutdown_grace_seconds: 30,
        // The suite makes thousands of requests as one admin; the limits have tests of their own.
        rate_limits: pathway_http::rate_limit::Quotas {
            person: u32::MAX,
            client: u32::MAX,
        },
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A token for `sub` with `roles`, valid for an hour.
pub fn token(sub: &str, roles: &[&str]) -> String {
    sign(
        SECRET.as_bytes(),
        &Claims {
            sub: sub.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            scope: None,
            exp: now() + 3600,
            nbf: None,
            iat: Some(now()),
            iss: None,
            aud: None,
        },
    )
    .expect("sign a test token")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app with the test configuration changed by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        log_when_asked();
        let (database_url, sqlite_file) = fresh_database().await;
        let mut config = config(&database_url);
        adjust(&mut config);
        let server = Server::start(&config).await.expect("the server starts");
        let address = format!("http://127.0.0.1:{}", server.port);
        tokio::spawn(server.run());
        Self {
            address,
            database_url,
            client: Client::new(),
            admin: token("00000000-0000-7000-8000-00000000a0a0", &["admin"]),
            sqlite_file,
        }
    }

    pub async fn db(&self) -> DatabaseConnection {
        connect(&self.database_url)
            .await
            .expect("connect to the test database")
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self
            .client
            .request(method, format!("{}{path}", self.address));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("GET answered")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("POST answered")
    }

    pub async fn patch(
        &self,
        path: &str,
        token: &str,
        etag: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request = self
            .request(Method::PATCH, path, Some(token))
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(etag) = etag {
            request = request.header("if-match", etag);
        }
        request.send().await.expect("PATCH answered")
    }

    /// Creates a learner as an admin and returns its JSON.
    pub async fn learner(&self, body: Value) -> Value {
        let response = self.post("/v1/learners", &self.admin, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {body}");
        response.json().await.expect("a learner")
    }

    pub async fn employee(&self, given: &str, email: &str) -> Value {
        self.learner(json!({"kind": "employee", "given_name": given, "family_name": "Jones", "email": email, "department": "Finance"}))
            .await
    }

    pub async fn member(&self, given: &str, email: &str, committees: &[&str]) -> Value {
        self.learner(json!({
            "kind": "elected_member", "given_name": given, "family_name": "Cllr", "email": email,
            "political_group": "Labour", "ward": "Earlsdon", "committees": committees
        }))
        .await
    }

    /// Creates a draft course as an admin and returns its JSON.
    pub async fn course(&self, body: Value) -> Value {
        let response = self.post("/v1/courses", &self.admin, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {body}");
        response.json().await.expect("a course")
    }

    /// Creates a course with a completed assessment and publishes it.
    pub async fn published_course(&self, mut body: Value) -> Value {
        body["equality_impact_assessment"] = completed_assessment();
        let course = self.course(body).await;
        let response = self
            .post(
                &format!(
                    "/v1/courses/{}/publish",
                    course["id"].as_str().expect("an id")
                ),
                &self.admin,
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("a course")
    }
}

pub fn course_body(code: &str) -> Value {
    json!({
        "code": code, "title": format!("Course {code}"), "pillar": "essential", "category": "knowledge_based",
        "offer": "mandatory", "audience": "all", "delivery": "elearning", "provider": "In-house",
        "cost_pence": 0, "validity_months": 12
    })
}

pub fn completed_assessment() -> Value {
    json!({"status": "completed", "completed_on": "2026-03-01", "summary": "No disproportionate impact."})
}

/// Asserts a problem+json response with `status`, and returns it.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type was {content_type}"
    );
    let body: Value = response.json().await.expect("a problem body");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

pub fn etag(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_owned()
}

/// A `pathway` server running as a process of its own, stopped when dropped.
pub struct ServerProcess {
    pub address: String,
    child: std::process::Child,
}

impl ServerProcess {
    /// Sends SIGTERM, as a service manager stopping the server does.
    pub fn terminate(&self) {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Waits up to `limit` for the process to exit, and says how it did.
    pub fn exited_within(
        &mut self,
        limit: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("the process is ours") {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestApp {
    /// Starts another server process on this app's database, as a council running several
    /// `pathway` processes behind a load balancer would.
    pub async fn another_process(&self) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pathway-under-test"))
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("PATHWAY_BIND", format!("127.0.0.1:{port}"))
            .env("PATHWAY_JWT_SECRET", SECRET)
            .env("PATHWAY_XAPI_ACCOUNT_HOMEPAGE", COUNCIL_HOME_PAGE)
            .env("RUST_LOG", server_log())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the server process starts");
        let process = ServerProcess {
            address: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..100 {
            let ready = self
                .client
                .get(format!("{}/health/ready", process.address))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "the server process at {} never became ready",
            process.address
        );
    }
}

pub fn session_body(course: &Value, capacity: u32) -> Value {
    let starts = Utc::now() + Duration::days(30);
    json!({
        "course_id": course["id"], "starts_at": starts, "ends_at": starts + Duration::hours(3),
        "location": "Council House, Committee Room 3", "capacity": capacity, "facilitator": "L&D team"
    })
}

impl TestApp {
    pub async fn session(&self, course: &Value, capacity: u32) -> Value {
        let response = self
            .post("/v1/sessions", &self.admin, &session_body(course, capacity))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("a session")
    }

    pub async fn book(&self, session: &Value, learner: &Value) -> Value {
        let response = self
            .post(
                &format!(
                    "/v1/sessions/{}/bookings",
                    session["id"].as_str().expect("an id")
                ),
                &self.admin,
                &json!({"learner_id": learner["id"]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("a booking")
    }

    /// Moves a session into the past, as if it had run, so attendance can be taken.
    pub async fn run(&self, session: &Value) {
        let path = format!("/v1/sessions/{}", session["id"].as_str().expect("an id"));
        let current = etag(&self.get(&path, &self.admin).await);
        let started = Utc::now() - Duration::hours(4);
        let patch = json!({"starts_at": started, "ends_at": started + Duration::hours(3)});
        assert_eq!(
            self.patch(&path, &self.admin, Some(&current), &patch)
                .await
                .status(),
            StatusCode::OK
        );
    }
}

pub async fn staff(app: &TestApp, n: usize) -> Vec<Value> {
    let mut learners = Vec::with_capacity(n);
    for i in 0..n {
        learners.push(
            app.employee(
                &format!("Person{i}"),
                &format!("person{i}.{}@council.gov.uk", Uuid::now_v7().simple()),
            )
            .await,
        );
    }
    learners
}

/// A session of `code` run with three booked learners: two attended, one did not.
pub async fn delivered(app: &TestApp, code: &str, provider: &str) -> (Value, Vec<Value>) {
    let mut body = course_body(code);
    body["provider"] = json!(provider);
    let course = app.published_course(body).await;
    let session = app.session(&course, 3).await;
    let people = staff(app, 3).await;
    for person in &people {
        app.book(&session, person).await;
    }
    app.run(&session).await;
    let marks: Vec<Value> = people
        .iter()
        .zip(["attended", "attended", "no_show"])
        .map(|(p, a)| json!({"learner_id": p["id"], "attendance": a}))
        .collect();
    let marked = app
        .post(
            &format!(
                "/v1/sessions/{}/attendance",
                session["id"].as_str().expect("an id")
            ),
            &app.admin,
            &json!({"records": marks}),
        )
        .await;
    assert_eq!(marked.status(), StatusCode::OK);
    (session, people)
}

/// Percent-encodes a query value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
