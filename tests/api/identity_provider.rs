//! Tokens from the council's identity provider: ES256 or RS256, verified by a public key file,
//! with the issuer and audience insisted on.

use std::path::Path;
use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, now, problem, token};

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
    let claims = json!({"sub": "idp-user", "roles": ["admin"], "exp": now() + 600, "iss": issuer, "aud": audience});
    encode(
        &Header::new(Algorithm::ES256),
        &claims,
        &EncodingKey::from_ec_pem(private_pem).expect("an EC key"),
    )
    .expect("signed")
}

#[tokio::test]
async fn tokens_from_the_identity_provider_are_checked_for_key_issuer_and_audience() {
    let dir = std::env::temp_dir().join(format!("pathway-idp-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let (private_pem, public_file) = key_pair(&dir);
    let app = TestApp::spawn_with(|config| {
        config.jwt.public_key_file = Some(public_file);
        config.jwt.issuer = Some(ISSUER.into());
        config.jwt.audience = Some(AUDIENCE.into());
    })
    .await;

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
