//! Tokens from the council's identity provider: ES256 or RS256, verified by a public key file,
//! with the issuer and audience insisted on.

use std::path::Path;
use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, now, problem, token};
use pathway_server::config::DEVELOPMENT_SECRET;

const ISSUER: &str = "https://login.council.example";
const AUDIENCE: &str = "pathway";

/// A fresh P-256 key pair made with openssl: nothing secret is committed, not even for tests.
fn key_pair(dir: &Path) -> (Vec<u8>, String) {
    let private = dir.join("idp.pem");
    let public = dir.join("idp.pub.pem");
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .status()
            .expect("openssl is installed");
        assert!(status.success(), "openssl {args:?}");
    };
    run(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        private.to_str().expect("utf-8"),
    ]);
    run(&[
        "pkey",
        "-in",
        private.to_str().expect("utf-8"),
        "-pubout",
        "-out",
        public.to_str().expect("utf-8"),
    ]);
    (
        std::fs::read(private).expect("private key"),
        public.to_str().expect("utf-8").to_owned(),
    )
}

fn signed(private_pem: &[u8], issuer: &str, audience: &str) -> String {
    signed_claims(
        private_pem,
        json!({"sub": "idp-user", "roles": ["admin"], "exp": now() + 600, "iss": issuer, "aud": audience}),
    )
}

fn signed_claims(private_pem: &[u8], claims: serde_json::Value) -> String {
    encode(
        &Header::new(Algorithm::ES256),
        &claims,
        &EncodingKey::from_ec_pem(private_pem).expect("an EC key"),
    )
    .expect("signed")
}

/// A server that takes people's tokens from an identity provider with `ISSUER` and `AUDIENCE`,
/// its signing key, and the folder holding the keys.
async fn behind_identity_provider(
    adjust: impl FnOnce(&mut pathway_server::config::Config),
) -> (TestApp, Vec<u8>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("pathway-idp-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let (private_pem, public_file) = key_pair(&dir);
    let app = TestApp::spawn_with(|config| {
        config.jwt.public_key_file = Some(public_file);
        config.jwt.issuer = Some(ISSUER.into());
        config.jwt.audience = Some(AUDIENCE.into());
        adjust(config);
    })
    .await;
    (app, private_pem, dir)
}

#[tokio::test]
async fn tokens_from_the_identity_provider_are_checked_for_key_issuer_and_audience() {
    let (app, private_pem, dir) = behind_identity_provider(|_| {}).await;

    assert_eq!(
        app.get("/v1/courses", &signed(&private_pem, ISSUER, AUDIENCE))
            .await
            .status(),
        StatusCode::OK
    );
    problem(
        app.get(
            "/v1/courses",
            &signed(&private_pem, "https://elsewhere.example", AUDIENCE),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        app.get("/v1/courses", &signed(&private_pem, ISSUER, "another-app"))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // The algorithm is pinned to the key: a shared-secret token is refused outright.
    problem(
        app.get("/v1/courses", &token("idp-user", &["admin"])).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_configured_issuer_and_audience_must_be_claimed_and_an_audience_may_be_one_of_several() {
    let (app, private_pem, dir) = behind_identity_provider(|_| {}).await;
    let claims = |extra: serde_json::Value| {
        let mut claims = json!({"sub": "idp-user", "roles": ["admin"], "exp": now() + 600});
        claims
            .as_object_mut()
            .expect("an object")
            .extend(extra.as_object().expect("an object").clone());
        signed_claims(&private_pem, claims)
    };

    for (why, token) in [
        ("neither", claims(json!({}))),
        ("no issuer", claims(json!({"aud": AUDIENCE}))),
        ("no audience", claims(json!({"iss": ISSUER}))),
    ] {
        let refused = app.get("/v1/courses", &token).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{why}");
    }
    let several = claims(json!({"iss": ISSUER, "aud": ["graph.example", AUDIENCE]}));
    assert_eq!(
        app.get("/v1/courses", &several).await.status(),
        StatusCode::OK
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn beside_an_identity_provider_the_development_secret_signs_nothing() {
    let (app, private_pem, dir) = behind_identity_provider(|config| config.jwt.secret = None).await;
    let admin = signed(&private_pem, ISSUER, AUDIENCE);
    let forged = |claims: serde_json::Value| {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(DEVELOPMENT_SECRET.as_bytes()),
        )
        .expect("signed")
    };

    // The integration format, signed with the secret anyone can read in the repository.
    let integration = forged(json!({"sub": "00000000-0000-7000-8000-00000000a0a0",
        "roles": ["admin"], "exp": now() + 600, "iss": "pathway", "aud": "pathway-integrations"}));
    problem(
        app.get("/v1/learners", &integration).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // And no client can be given a token to sign with it.
    let registered = app
        .post(
            "/v1/api-clients",
            &admin,
            &json!({"name": "iTrent HR", "scopes": ["learners:sync"]}),
        )
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let client: serde_json::Value = registered.json().await.expect("json");
    let issued = app
        .request(reqwest::Method::POST, "/oauth/token", None)
        .header("content-type", "application/x-www-form-urlencoded")
        .basic_auth(
            client["client_id"].as_str().expect("an id"),
            client["client_secret"].as_str(),
        )
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("answered");
    assert_eq!(issued.status(), StatusCode::SERVICE_UNAVAILABLE);
    // Nor a provisioning token, which is hashed under that secret.
    let provisioning = app
        .post(
            &format!(
                "/v1/api-clients/{}/provisioning-tokens",
                client["client_id"].as_str().expect("an id")
            ),
            &admin,
            &json!({"name": "Entra ID", "expires_on": "2099-01-01"}),
        )
        .await;
    problem(provisioning, StatusCode::SERVICE_UNAVAILABLE).await;
    let _ = std::fs::remove_dir_all(dir);
}
