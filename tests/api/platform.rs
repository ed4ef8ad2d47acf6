use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ALLOWED_ORIGIN, SECRET, TestApp, now, problem, token};
use pathway_http::auth::{Claims, sign};

impl TestApp {
    /// What `/metrics` shows anyone who asks, as Prometheus text.
    async fn metrics(&self) -> String {
        self.request(Method::GET, "/metrics", None)
            .send()
            .await
            .expect("answered")
            .text()
            .await
            .expect("text")
    }
}

fn claims(exp: u64) -> Claims {
    Claims {
        sub: "x".into(),
        roles: vec!["admin".into()],
        scope: None,
        exp,
        nbf: None,
        iat: None,
        iss: None,
        aud: None,
    }
}

#[tokio::test]
async fn health_probes_answer() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/health/ready"] {
        let response = app
            .request(Method::GET, path, None)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<Value>().await.expect("json"),
            json!({"status": "ok"})
        );
    }
}

#[tokio::test]
async fn requests_without_a_valid_token_are_unauthorised() {
    let app = TestApp::spawn().await;
    let expired = sign(SECRET.as_bytes(), &claims(now() - 3600)).expect("signed");
    let wrong_key = sign(b"someone else's secret", &claims(now() + 3600)).expect("signed");
    let mut future = claims(now() + 7200);
    future.nbf = Some(now() + 3600);
    let not_yet = sign(SECRET.as_bytes(), &future).expect("signed");
    for header in [
        None,
        Some("Bearer".to_owned()),
        Some("Basic abc".to_owned()),
        Some("Bearer not.a.jwt".to_owned()),
        Some(format!("Bearer {expired}")),
        Some(format!("Bearer {wrong_key}")),
        Some(format!("Bearer {not_yet}")),
    ] {
        let mut request = app.request(Method::GET, "/v1/courses", None);
        if let Some(header) = &header {
            request = request.header("authorization", header);
        }
        let response = request.send().await.expect("answered");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{header:?}"
        );
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn a_token_signed_with_another_algorithm_is_refused() {
    let app = TestApp::spawn().await;
    // An unsigned token ("alg": "none") must never pass: the algorithm is pinned.
    let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    let payload = "eyJzdWIiOiJ4Iiwicm9sZXMiOlsiYWRtaW4iXSwiZXhwIjo0MTAyNDQ0ODAwfQ";
    let response = app
        .get("/v1/courses", &format!("{header}.{payload}."))
        .await;
    problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn every_error_is_problem_json() {
    let app = TestApp::spawn().await;
    problem(
        app.get("/v1/nowhere", &app.admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let wrong_method = app
        .request(Method::PUT, "/v1/courses", Some(&app.admin))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        wrong_method
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("GET, POST")
    );
    problem(wrong_method, StatusCode::METHOD_NOT_ALLOWED).await;
    let bad_json = app
        .request(Method::POST, "/v1/courses", Some(&app.admin))
        .header("content-type", "application/json")
        .body("{\"code\": ")
        .send()
        .await
        .expect("answered");
    problem(bad_json, StatusCode::BAD_REQUEST).await;
    let wrong_type = app
        .request(Method::POST, "/v1/courses", Some(&app.admin))
        .body("code=GDPR")
        .send()
        .await
        .expect("answered");
    problem(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let huge = format!("{{\"code\": \"{}\"}}", "A".repeat(300 * 1024));
    let too_large = app
        .request(Method::POST, "/v1/courses", Some(&app.admin))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("answered");
    problem(too_large, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn a_request_id_is_echoed_or_made_up() {
    let app = TestApp::spawn().await;
    let sent = app
        .request(Method::GET, "/health/live", None)
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("answered");
    assert_eq!(sent.headers()["x-request-id"], "abc-123");
    let made_up = app
        .request(Method::GET, "/health/live", None)
        .send()
        .await
        .expect("answered");
    let id = made_up.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let error = app
        .request(Method::GET, "/v1/courses", None)
        .header("x-request-id", "err-1")
        .send()
        .await
        .expect("answered");
    assert_eq!(
        error.headers()["x-request-id"],
        "err-1",
        "errors carry the request id too"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    app.get("/v1/courses", &app.admin).await;
    app.request(Method::GET, "/v1/courses", None)
        .send()
        .await
        .expect("answered");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(
            "pathway_http_requests_total{endpoint=\"/v1/courses\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "pathway_http_requests_total{endpoint=\"/v1/courses\",method=\"GET\",status=\"401\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("pathway_http_requests_duration_seconds_bucket"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_docs_and_the_spec_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let spec: Value = app
        .request(Method::GET, "/openapi.json", None)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    assert_eq!(
        spec,
        pathway_http::openapi::document(),
        "the served spec is the committed one"
    );
    let docs = app
        .request(Method::GET, "/docs/", None)
        .send()
        .await
        .expect("answered");
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.expect("html").contains("swagger"),
        "the docs page is Swagger UI"
    );
    let bundle = app
        .request(Method::GET, "/docs/swagger-ui-bundle.js", None)
        .send()
        .await
        .expect("answered");
    assert_eq!(
        bundle.status(),
        StatusCode::OK,
        "the UI's script is vendored, not fetched"
    );
}

#[tokio::test]
async fn browsers_from_allowed_origins_get_cors_headers() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/v1/courses", None)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight(ALLOWED_ORIGIN).await.expect("answered");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(ALLOWED_ORIGIN)
    );
    let other = preflight("https://evil.example").await.expect("answered");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn unknown_roles_grant_nothing() {
    let app = TestApp::spawn().await;
    let caller = token(&uuid::Uuid::now_v7().to_string(), &["superuser", "root"]);
    problem(
        app.post("/v1/courses", &caller, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[test]
fn docker_compose_names_the_database_and_the_api() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docker-compose.yml"
    ))
    .expect("docker-compose.yml");
    let docs =
        yaml_rust2::YamlLoader::load_from_str(&text).expect("docker-compose.yml parses as YAML");
    let services = &docs[0]["services"];
    for service in ["postgres", "api"] {
        assert!(
            !services[service].is_badvalue(),
            "docker-compose.yml has no {service} service"
        );
        assert!(
            !services[service]["healthcheck"].is_badvalue(),
            "{service} has no healthcheck"
        );
    }
    assert!(
        !docs[0]["volumes"].is_badvalue(),
        "a named volume keeps the database"
    );
    assert!(
        services["api"]["environment"]["DATABASE_URL"]
            .as_str()
            .is_some_and(|u| u.starts_with("postgres://")),
        "the api uses the postgres service"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_the_docs_a_strict_policy() {
    let app = TestApp::spawn().await;
    let read = app.get("/v1/courses", &app.admin).await;
    let refused = app
        .request(Method::GET, "/v1/learners", None)
        .send()
        .await
        .expect("answered");
    for response in [&read, &refused] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["cache-control"], "no-store");
    }
    let docs = app
        .request(Method::GET, "/docs/", None)
        .send()
        .await
        .expect("answered");
    assert_eq!(docs.status(), StatusCode::OK);
    let policy = docs.headers()["content-security-policy"]
        .to_str()
        .expect("text");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let spec = app
        .request(Method::GET, "/openapi.json", None)
        .send()
        .await
        .expect("answered");
    assert!(
        spec.headers().get("cache-control").is_none(),
        "the contract is public and may be cached"
    );
}

#[tokio::test]
async fn unknown_methods_are_counted_under_one_label() {
    let app = TestApp::spawn().await;
    for i in 0..20 {
        let method = Method::from_bytes(format!("PROBE{i}").as_bytes()).expect("a method");
        let answered = app
            .request(method, "/v1/courses", Some(&app.admin))
            .send()
            .await
            .expect("answered");
        assert_eq!(answered.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let metrics = app.metrics().await;
    assert!(!metrics.contains("PROBE"), "{metrics}");
    assert!(
        metrics.contains(
            "pathway_http_requests_total{endpoint=\"/v1/courses\",method=\"OTHER\",status=\"405\"} 20"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn with_a_metrics_token_set_the_metrics_need_it() {
    let app =
        TestApp::spawn_with(|config| config.metrics_token = Some("m3trics-only".into())).await;
    let anonymous = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .expect("answered");
    problem(anonymous, StatusCode::UNAUTHORIZED).await;
    let with_a_persons_token = app
        .request(Method::GET, "/metrics", Some(&app.admin))
        .send()
        .await
        .expect("answered");
    assert_eq!(with_a_persons_token.status(), StatusCode::UNAUTHORIZED);
    let scraped = app
        .request(Method::GET, "/metrics", Some("m3trics-only"))
        .send()
        .await
        .expect("answered");
    assert_eq!(scraped.status(), StatusCode::OK);
}

#[tokio::test]
async fn on_sigterm_the_server_stops_taking_connections_and_finishes_what_it_has() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let mut process = app.another_process().await;
    let address = process.address.trim_start_matches("http://").to_owned();
    let body = json!({"kind": "employee", "given_name": "Ada", "family_name": "Byron",
        "email": "ada.byron@council.gov.uk", "department": "Finance"})
    .to_string();
    let (first, rest) = body.split_at(10);
    let mut in_flight = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connected");
    let head = format!(
        "POST /v1/learners HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        app.admin,
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.expect("sent");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    process.terminate();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let refused = reqwest::Client::new()
        .get(format!("{}/health/live", process.address))
        .timeout(std::time::Duration::from_secs(2))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a new connection is not served: {refused:?}"
    );

    in_flight.write_all(rest.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    in_flight
        .read_to_string(&mut answer)
        .await
        .expect("answered");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let exited = process.exited_within(std::time::Duration::from_secs(10));
    assert!(exited.is_some_and(|status| status.success()), "{exited:?}");
    let learners: Value = app
        .get("/v1/learners?q=Byron", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(learners["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn each_caller_is_told_its_quota_and_refused_past_it() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limits = pathway_http::rate_limit::Quotas {
            person: 3,
            client: 2,
        };
    })
    .await;
    for remaining in [2, 1, 0] {
        let read = app.get("/v1/courses", &app.admin).await;
        assert_eq!(read.status(), StatusCode::OK);
        assert_eq!(read.headers()["ratelimit-policy"], "\"person\";q=3;w=60");
        let standing = read.headers()["ratelimit"]
            .to_str()
            .expect("text")
            .to_owned();
        assert!(
            standing.starts_with(&format!("\"person\";r={remaining};t=")),
            "{standing}"
        );
    }
    let refused = app.get("/v1/courses", &app.admin).await;
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(
        refused.headers()["ratelimit"]
            .to_str()
            .expect("text")
            .contains(";r=0;")
    );
    let problem = problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    // Someone else has a quota of their own.
    let other = token("00000000-0000-7000-8000-00000000b0b0", &["admin"]);
    assert_eq!(
        app.get("/v1/courses", &other).await.status(),
        StatusCode::OK
    );
}
