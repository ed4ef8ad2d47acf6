//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): how an e-learning
//! platform's callback proves it came from the platform, unaltered and recently.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a callback's timestamp may be from the clock, either way, in seconds.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// The most signatures one callback may carry. A sender signs with each secret it holds while
/// one is rotated, two or three at a time; more is an attempt to make the check cost.
pub const MAX_SIGNATURES: usize = 5;

/// Why a callback is refused; every reason is a 401 and nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("webhook-timestamp must be whole seconds since 1970")]
    BadTimestamp,
    #[error("webhook-timestamp is more than five minutes from now")]
    Stale,
    #[error("no signature in webhook-signature matches the body")]
    NoMatch,
    #[error("webhook-signature carries more than five signatures")]
    TooManySignatures,
    #[error("the provider's secret is not a whsec_ secret")]
    BadSecret,
}

/// The headers a Standard Webhooks sender sets.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Checks a callback: the timestamp within the tolerance of `now` (seconds since 1970), and
/// one of the space-separated `v1,<base64>` signatures the HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the secret. Returns the webhook id.
pub fn verify<'a>(
    secret: &str,
    headers: Headers<'a>,
    body: &[u8],
    now: i64,
) -> Result<&'a str, Refusal> {
    let id = headers.id.ok_or(Refusal::Missing("webhook-id"))?;
    let timestamp = headers
        .timestamp
        .ok_or(Refusal::Missing("webhook-timestamp"))?;
    let signatures = headers
        .signature
        .ok_or(Refusal::Missing("webhook-signature"))?;
    let sent: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Refusal::BadTimestamp)?;
    if (now - sent).abs() > TOLERANCE_SECONDS {
        return Err(Refusal::Stale);
    }
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
        .ok_or(Refusal::BadSecret)?;
    let candidates: Vec<&str> = signatures.split_whitespace().collect();
    if candidates.len() > MAX_SIGNATURES {
        return Err(Refusal::TooManySignatures);
    }
    let mut signed = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| Refusal::BadSecret)?;
    signed.update(id.as_bytes());
    signed.update(b".");
    signed.update(timestamp.trim().as_bytes());
    signed.update(b".");
    // The body is hashed once, whatever the number of candidates.
    signed.update(body);
    let matches = candidates.into_iter().any(|candidate| {
        let Some(signature) = candidate
            .strip_prefix("v1,")
            .and_then(|encoded| STANDARD.decode(encoded).ok())
        else {
            return false;
        };
        // Constant time: a near miss takes as long as a far one.
        signed.clone().verify_slice(&signature).is_ok()
    });
    if matches {
        Ok(id)
    } else {
        Err(Refusal::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: &str = "1614265330";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(signature: &'a str, timestamp: &'a str) -> Headers<'a> {
        Headers {
            id: Some(ID),
            timestamp: Some(timestamp),
            signature: Some(signature),
        }
    }

    #[test]
    fn the_specifications_example_verifies() {
        let now = 1_614_265_330;
        assert_eq!(
            verify(SECRET, headers(SIGNATURE, TIMESTAMP), BODY, now),
            Ok(ID)
        );
        let rotated = format!("v1,bm9wZQ== {SIGNATURE}");
        assert_eq!(
            verify(SECRET, headers(&rotated, TIMESTAMP), BODY, now),
            Ok(ID)
        );
    }

    #[test]
    fn a_changed_body_an_old_timestamp_or_a_missing_header_is_refused() {
        let now = 1_614_265_330;
        assert_eq!(
            verify(
                SECRET,
                headers(SIGNATURE, TIMESTAMP),
                br#"{"test": 1}"#,
                now
            ),
            Err(Refusal::NoMatch)
        );
        assert_eq!(
            verify(SECRET, headers(SIGNATURE, TIMESTAMP), BODY, now + 301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(SECRET, headers(SIGNATURE, TIMESTAMP), BODY, now - 301),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(SECRET, headers(SIGNATURE, "yesterday"), BODY, now),
            Err(Refusal::BadTimestamp)
        );
        let unsigned = Headers {
            signature: None,
            ..headers(SIGNATURE, TIMESTAMP)
        };
        assert_eq!(
            verify(SECRET, unsigned, BODY, now),
            Err(Refusal::Missing("webhook-signature"))
        );
        assert_eq!(
            verify("not-a-secret", headers(SIGNATURE, TIMESTAMP), BODY, now),
            Err(Refusal::BadSecret)
        );
    }

    #[test]
    fn at_most_five_signatures_are_tried() {
        let now = 1_614_265_330;
        let decoys = |n: usize| vec!["v1,bm9wZQ=="; n].join(" ");
        let five = format!("{} {SIGNATURE}", decoys(4));
        assert_eq!(verify(SECRET, headers(&five, TIMESTAMP), BODY, now), Ok(ID));
        // The right signature among thousands of decoys is refused before any is checked.
        let flood = format!("{} {SIGNATURE}", decoys(16_000));
        assert_eq!(
            verify(SECRET, headers(&flood, TIMESTAMP), BODY, now),
            Err(Refusal::TooManySignatures)
        );
    }
}
