//! Statements with attachments in multipart/mixed, their content read back by any server
//! process, and signed statements.

use std::path::Path;
use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::{TestApp, problem};
use crate::xapi::{Lrs, mbox};

const CERTIFICATE: &str = "http://id.tincanapi.com/attachment/certificate-of-completion";
const SIGNATURE: &str = "http://adlnet.gov/expapi/attachments/signature";
const BOUNDARY: &str = "pathway-test-boundary";

fn sha256(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn attachment(usage: &str, content_type: &str, content: &[u8]) -> Value {
    json!({"usageType": usage, "display": {"en-GB": "Certificate"}, "contentType": content_type,
        "length": content.len(), "sha2": sha256(content)})
}

fn completed(id: Uuid) -> Value {
    json!({"id": id, "actor": mbox("amira@council.gov.uk"),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://learnpool.example/courses/gdpr-refresher"}})
}

/// A multipart/mixed body as xAPI clients write it: the statements, then each part with its
/// content type and digest.
fn multipart(statements: &Value, parts: &[(&str, &[u8], String)]) -> Vec<u8> {
    let mut body =
        format!("--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n{statements}\r\n")
            .into_bytes();
    for (content_type, content, hash) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Type: {content_type}\r\n\
                 Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {hash}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--").as_bytes());
    body
}

async fn send(lrs: &Lrs<'_>, method: Method, path: &str, body: Vec<u8>) -> Response {
    lrs.request(method, path)
        .header(
            "Content-Type",
            format!("multipart/mixed; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("answered")
}

#[tokio::test]
async fn attachments_come_in_parts_and_are_served_by_every_process() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let pdf: &[u8] = b"%PDF-1.7 certificate of completion \x00\xff\r\n--not a boundary";
    let id = Uuid::new_v4();
    let mut statement = completed(id);
    statement["attachments"] = json!([attachment(CERTIFICATE, "application/pdf", pdf)]);
    let stored = send(
        &lrs,
        Method::POST,
        "/xapi/statements",
        multipart(
            &json!([statement]),
            &[("application/pdf", pdf, sha256(pdf))],
        ),
    )
    .await;
    assert_eq!(stored.status(), StatusCode::OK);

    // Another process reads what this one stored.
    let other = app.another_process().await;
    let read = app
        .client
        .get(format!(
            "{}/xapi/statements?statementId={id}&attachments=true",
            other.address
        ))
        .basic_auth(&lrs.id, Some(&lrs.secret))
        .header("X-Experience-API-Version", "1.0.3")
        .send()
        .await
        .expect("answered");
    assert_eq!(read.status(), StatusCode::OK);
    let content_type = read.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_owned();
    let boundary = content_type
        .strip_prefix("multipart/mixed; boundary=")
        .expect("multipart/mixed");
    let body = read.bytes().await.expect("a body");
    let text = String::from_utf8_lossy(&body);
    let sections: Vec<&str> = text.split(&format!("--{boundary}")).collect();
    assert_eq!(
        sections.len(),
        4,
        "preamble, statement, attachment, end: {text}"
    );
    assert!(sections[1].contains(&format!("\"id\":\"{id}\"")));
    assert!(sections[2].contains(&format!("X-Experience-API-Hash: {}", sha256(pdf))));
    let pdf_at = body
        .windows(pdf.len())
        .position(|w| w == pdf)
        .expect("the content, byte for byte");
    assert_eq!(&body[pdf_at..pdf_at + pdf.len()], pdf);

    let plain = lrs.get(&format!("?statementId={id}")).await;
    assert_eq!(plain.headers()["content-type"], "application/json");
    let plain: Value = plain.json().await.expect("json");
    assert_eq!(plain["attachments"][0]["sha2"], sha256(pdf));

    // PUT takes the same.
    let put_id = Uuid::new_v4();
    let mut again = completed(put_id);
    again["attachments"] = json!([attachment(CERTIFICATE, "application/pdf", pdf)]);
    let put = send(
        &lrs,
        Method::PUT,
        &format!("/xapi/statements?statementId={put_id}"),
        multipart(&again, &[("application/pdf", pdf, sha256(pdf))]),
    )
    .await;
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn parts_that_do_not_match_their_statements_are_refused_and_nothing_kept() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let pdf: &[u8] = b"%PDF-1.7 certificate";
    let id = Uuid::new_v4();
    let mut statement = completed(id);
    statement["attachments"] = json!([attachment(CERTIFICATE, "application/pdf", pdf)]);

    let json_only = lrs.post(&statement).await;
    problem(json_only, StatusCode::BAD_REQUEST).await;
    let refusals = [
        multipart(&statement, &[("application/pdf", b"forged", sha256(pdf))]),
        multipart(
            &statement,
            &[
                ("application/pdf", pdf, sha256(pdf)),
                ("text/plain", b"stray", sha256(b"stray")),
            ],
        ),
        multipart(&statement, &[]),
        format!("--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\n{statement}\r\n--{BOUNDARY}--")
            .into_bytes(),
        b"no boundary at all".to_vec(),
    ];
    for body in refusals {
        problem(
            send(&lrs, Method::POST, "/xapi/statements", body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    // Only multipart/mixed, and with its boundary, is taken: 400, as xAPI asks.
    for content_type in [
        format!("multipart/form-data; boundary={BOUNDARY}"),
        "multipart/mixed;".to_owned(),
    ] {
        let response = lrs
            .request(Method::POST, "/xapi/statements")
            .header("Content-Type", content_type)
            .body(multipart(
                &statement,
                &[("application/pdf", pdf, sha256(pdf))],
            ))
            .send()
            .await
            .expect("answered");
        problem(response, StatusCode::BAD_REQUEST).await;
    }
    problem(
        lrs.get(&format!("?statementId={id}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// An RSA key and a self-signed certificate for it, made with openssl: nothing secret is
/// committed, not even for tests.
fn signer(dir: &Path, name: &str) -> (EncodingKey, String) {
    let key = dir.join(format!("{name}.pem"));
    let certificate = dir.join(format!("{name}.crt"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", &format!("/CN={name}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&certificate)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(status.success());
    let pem = std::fs::read_to_string(certificate).expect("the certificate");
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    (
        EncodingKey::from_rsa_pem(&std::fs::read(key).expect("the key")).expect("an RSA key"),
        der,
    )
}

fn signed_by(statement: &Value, alg: Algorithm, key: &EncodingKey, x5c: Option<&str>) -> Value {
    let mut header = Header::new(alg);
    header.x5c = x5c.map(|c| vec![c.to_owned()]);
    let jws = jsonwebtoken::encode(&header, statement, key).expect("signed");
    let mut signed = statement.clone();
    signed["attachments"] = json!([attachment(
        SIGNATURE,
        "application/octet-stream",
        jws.as_bytes()
    )]);
    json!({"statement": signed, "jws": jws})
}

#[tokio::test]
async fn signed_statements_are_kept_only_when_their_signature_holds() {
    let app = TestApp::spawn().await;
    let lrs = Lrs::of(&app, &["xapi:write", "xapi:read"]).await;
    let dir = std::env::temp_dir().join(format!("pathway-jws-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let (key, certificate) = signer(&dir, "learnpool");
    let (other_key, _) = signer(&dir, "impostor");

    let post_signed = async |signed: Value| {
        let jws = signed["jws"].as_str().expect("a JWS").as_bytes().to_vec();
        let body = multipart(
            &signed["statement"],
            &[("application/octet-stream", &jws, sha256(&jws))],
        );
        send(&lrs, Method::POST, "/xapi/statements", body).await
    };
    for (alg, x5c) in [
        (Algorithm::RS256, Some(certificate.as_str())),
        (Algorithm::RS384, None),
        (Algorithm::RS512, Some(certificate.as_str())),
    ] {
        let accepted = post_signed(signed_by(&completed(Uuid::new_v4()), alg, &key, x5c)).await;
        assert_eq!(accepted.status(), StatusCode::OK, "{alg:?}");
    }

    let statement = completed(Uuid::new_v4());
    let mut another = signed_by(&completed(Uuid::new_v4()), Algorithm::RS256, &key, None);
    another["statement"]["id"] = statement["id"].clone();
    let hmac = EncodingKey::from_secret(b"shared secret");
    for (refused, why) in [
        // Someone else's key behind this signer's certificate.
        (
            signed_by(&statement, Algorithm::RS256, &other_key, Some(&certificate)),
            "does not verify with the key of its x5c certificate",
        ),
        (
            signed_by(&statement, Algorithm::HS256, &hmac, None),
            "must use RS256, RS384 or RS512",
        ),
        (another, "is of another statement"),
    ] {
        let body = problem(post_signed(refused).await, StatusCode::BAD_REQUEST).await;
        assert!(
            body["detail"].as_str().is_some_and(|d| d.contains(why)),
            "{body}"
        );
    }
    problem(
        lrs.get(&format!(
            "?statementId={}",
            statement["id"].as_str().expect("id")
        ))
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let _ = std::fs::remove_dir_all(dir);
}
