//! Attachments to statements (xAPI 1.0.3 data s2.4.11, communication s1.5.2): each part of a
//! multipart/mixed request after the statements is the content of an attachment a statement
//! declares, named by its SHA-2 digest; and a signed statement's signature attachment is a
//! JWS whose payload is the statement (data s2.6).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use x509_cert::Certificate;
use x509_cert::der::Decode;

use crate::xapi::{Invalid, Statement};

/// The usage type of a statement's signature.
pub const SIGNATURE: &str = "http://adlnet.gov/expapi/attachments/signature";
const SIGNATURE_TYPE: &str = "application/octet-stream";

/// A part of a request after its statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub content_type: Option<String>,
    /// `X-Experience-API-Hash`.
    pub hash: Option<String>,
    /// `Content-Transfer-Encoding`.
    pub encoding: Option<String>,
    pub content: Vec<u8>,
}

/// An attachment's content, checked against its digest, to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub sha2: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Whether `text` is a SHA-2 digest in hexadecimal: 224, 256, 384 or 512 bits.
pub fn is_sha2(text: &str) -> bool {
    matches!(text.len(), 56 | 64 | 96 | 128) && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// The SHA-2 digest of `content` of the length `like` is.
fn digest(like: &str, content: &[u8]) -> String {
    let bytes = match like.len() {
        56 => Sha224::digest(content).to_vec(),
        96 => Sha384::digest(content).to_vec(),
        128 => Sha512::digest(content).to_vec(),
        _ => Sha256::digest(content).to_vec(),
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The attachments a statement declares: `(sha2, contentType, usageType, has fileUrl)`.
fn declared(statement: &Map<String, Value>) -> Vec<(String, String, String, bool)> {
    let field = |a: &Value, key: &str| {
        a.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    statement
        .get("attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|a| {
                    (
                        field(a, "sha2").to_lowercase(),
                        field(a, "contentType"),
                        field(a, "usageType"),
                        a.get("fileUrl").is_some(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a request's parts against its statements: every part is the content of an
/// attachment they declare, with the digest it claims; every attachment without a `fileUrl`
/// has its part; every signature is a JWS of its statement. Returns the contents to keep.
pub fn reconcile(statements: &[Statement], parts: Vec<Part>) -> Result<Vec<Content>, Invalid> {
    let mut contents: Vec<Content> = Vec::with_capacity(parts.len());
    for (i, part) in parts.into_iter().enumerate() {
        let at = format!("part {}", i + 2);
        let Some(hash) = part.hash.as_deref().map(str::to_lowercase) else {
            return Err(Invalid(format!(
                "{at}: needs an X-Experience-API-Hash header"
            )));
        };
        if !part
            .encoding
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case("binary"))
        {
            return Err(Invalid(format!(
                "{at}: needs Content-Transfer-Encoding: binary"
            )));
        }
        if !is_sha2(&hash) || digest(&hash, &part.content) != hash {
            return Err(Invalid(format!(
                "{at}: its content does not have the SHA-2 digest its X-Experience-API-Hash says"
            )));
        }
        let Some((_, content_type, _, _)) = statements
            .iter()
            .flat_map(|s| declared(&s.body))
            .find(|(sha2, ..)| *sha2 == hash)
        else {
            return Err(Invalid(format!(
                "{at}: no statement declares an attachment with its digest"
            )));
        };
        contents.push(Content {
            sha2: hash,
            content_type,
            content: part.content,
        });
    }
    for (n, statement) in statements.iter().enumerate() {
        for (sha2, content_type, usage, has_url) in declared(&statement.body) {
            let at = format!("statement {n}: the attachment {sha2}");
            let content = contents.iter().find(|c| c.sha2 == sha2);
            if usage == SIGNATURE {
                if content_type != SIGNATURE_TYPE {
                    return Err(Invalid(format!(
                        "{at}: a signature's contentType is {SIGNATURE_TYPE}"
                    )));
                }
                let Some(content) = content else {
                    return Err(Invalid(format!("{at}: the signature is not attached")));
                };
                verify(statement, &content.content).map_err(|e| Invalid(format!("{at}: {e}")))?;
            } else if content.is_none() && !has_url {
                return Err(Invalid(format!(
                    "{at}: has no fileUrl, so its content must come in a part of a \
                     multipart/mixed request"
                )));
            }
        }
    }
    Ok(contents)
}

/// Checks a signature: a compact JWS signed with RS256, RS384 or RS512 whose payload is the
/// statement as sent, less its attachments; and, when its header carries the signer's
/// certificate (`x5c`), signed by that certificate's key.
fn verify(statement: &Statement, jws: &[u8]) -> Result<(), Invalid> {
    let refused = |why: &str| Invalid(format!("the signature {why}"));
    let jws = std::str::from_utf8(jws).map_err(|_| refused("is not a compact JWS"))?;
    let jws = jws.trim();
    let [protected, payload, signature] = jws.split('.').collect::<Vec<_>>()[..] else {
        return Err(refused("is not a compact JWS"));
    };
    let header = jsonwebtoken::decode_header(jws)
        .map_err(|_| refused("has a header that cannot be read"))?;
    if !matches!(
        header.alg,
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
    ) {
        return Err(refused("must use RS256, RS384 or RS512"));
    }
    let signed: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| refused("has a payload that is not a statement in JSON"))?;
    // A payload without an id signs the statement whatever id it is given.
    let names_id = signed.get("id").is_some();
    let signed = Statement::parse(signed, None)
        .map_err(|e| refused(&format!("has a payload that is not a valid statement: {e}")))?;
    let unattached = |body: &Map<String, Value>| {
        let mut body = body.clone();
        for key in ["attachments", "authority", "stored", "version"] {
            body.remove(key);
        }
        if !names_id {
            body.remove("id");
        }
        body
    };
    if unattached(&signed.body) != unattached(&statement.body) {
        return Err(refused("is of another statement"));
    }
    if let Some(chain) = header.x5c {
        let der = chain
            .first()
            .and_then(|c| STANDARD.decode(c).ok())
            .ok_or_else(|| refused("has an x5c that is not a base64 certificate"))?;
        let certificate =
            Certificate::from_der(&der).map_err(|_| refused("has an unreadable certificate"))?;
        let key = certificate
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        let good = jsonwebtoken::crypto::verify(
            signature,
            format!("{protected}.{payload}").as_bytes(),
            &DecodingKey::from_rsa_der(key),
            header.alg,
        )
        .unwrap_or(false);
        if !good {
            return Err(refused(
                "does not verify with the key of its x5c certificate",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn with_attachment(content: &[u8], usage: &str, content_type: &str) -> Statement {
        Statement::parse(
            json!({
                "actor": {"mbox": "mailto:amira@council.gov.uk"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": "https://lms.example/gdpr"},
                "attachments": [{"usageType": usage, "display": {"en-GB": "Certificate"},
                    "contentType": content_type, "length": content.len(),
                    "sha2": digest(&"0".repeat(64), content)}]
            }),
            None,
        )
        .expect("a statement")
    }

    fn part(content: &[u8], hash: Option<String>) -> Part {
        Part {
            content_type: Some("text/plain".into()),
            hash,
            encoding: Some("binary".into()),
            content: content.to_vec(),
        }
    }

    const CERTIFICATE: &str = "http://id.tincanapi.com/attachment/certificate-of-completion";

    #[test]
    fn a_part_is_kept_when_its_digest_and_statement_agree() {
        let statement = with_attachment(b"certificate", CERTIFICATE, "text/plain");
        let sha2 = digest(&"0".repeat(64), b"certificate");
        let kept = reconcile(
            std::slice::from_ref(&statement),
            vec![part(b"certificate", Some(sha2.to_uppercase()))],
        )
        .expect("kept");
        assert_eq!(kept[0].sha2, sha2);
        assert_eq!(kept[0].content_type, "text/plain");

        let refusals = [
            (vec![], "has no fileUrl"),
            (vec![part(b"certificate", None)], "X-Experience-API-Hash"),
            (
                vec![Part {
                    encoding: None,
                    ..part(b"certificate", Some(sha2.clone()))
                }],
                "Content-Transfer-Encoding: binary",
            ),
            (
                vec![part(b"forged", Some(sha2.clone()))],
                "does not have the SHA-2 digest",
            ),
            (
                vec![
                    part(b"certificate", Some(sha2.clone())),
                    part(b"extra", Some(digest(&sha2, b"extra"))),
                ],
                "no statement declares",
            ),
        ];
        for (parts, why) in refusals {
            let refused = reconcile(std::slice::from_ref(&statement), parts).expect_err(why);
            assert!(refused.0.contains(why), "{refused}");
        }
    }

    #[test]
    fn a_signature_must_be_an_rs_jws_of_its_statement() {
        let hmac = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &json!({"actor": {"mbox": "mailto:amira@council.gov.uk"}}),
            &jsonwebtoken::EncodingKey::from_secret(b"not a key pair"),
        )
        .expect("signed");
        for (jws, content_type, why) in [
            (
                hmac.as_str(),
                SIGNATURE_TYPE,
                "must use RS256, RS384 or RS512",
            ),
            ("not.a-jws", SIGNATURE_TYPE, "is not a compact JWS"),
            (
                "a.b.c",
                "text/plain",
                "contentType is application/octet-stream",
            ),
        ] {
            let statement = with_attachment(jws.as_bytes(), SIGNATURE, content_type);
            let sha2 = digest(&"0".repeat(64), jws.as_bytes());
            let refused = reconcile(
                std::slice::from_ref(&statement),
                vec![part(jws.as_bytes(), Some(sha2))],
            )
            .expect_err(why);
            assert!(refused.0.contains(why), "{refused}");
        }
        assert!(is_sha2(&"a".repeat(128)) && !is_sha2("abc"));
    }
}
