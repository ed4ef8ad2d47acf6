//! How many requests each caller may make: per person (a token's subject) and per integration
//! client, in fixed one-minute windows, told to the caller in the `RateLimit-Policy` and
//! `RateLimit` headers of draft-ietf-httpapi-ratelimit-headers, and refused past the quota with
//! 429, `Retry-After` and a problem.
//!
//! The counts live in each server process, not the database: counting in the database would add
//! a write to every request, read ones included, and the limit is there to protect the
//! process. With several processes behind a balancer a caller may make up to that many times
//! the quota; set it per process accordingly.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest};

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
/// Callers each table may track; past it, windows already over are dropped first.
const MOST_CALLERS: usize = 100_000;

/// The quotas a window allows, by kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub person: u32,
    pub client: u32,
}

/// Who is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Person,
    Client,
}

impl Kind {
    fn policy(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::Client => "client",
        }
    }
}

/// A caller's standing in the current window, for the response headers.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    kind: Kind,
    quota: u32,
    remaining: u32,
    resets_in: Duration,
}

impl Standing {
    fn seconds_left(self) -> u64 {
        // Rounded up, so a client waiting this long finds the new window.
        self.resets_in.as_secs() + u64::from(self.resets_in.subsec_nanos() > 0)
    }
}

/// The windows of every caller this process has seen lately.
pub struct RateLimiter {
    quotas: Quotas,
    windows: Mutex<HashMap<(Kind, String), (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(quotas: Quotas) -> Self {
        Self {
            quotas,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `subject` and says where it stands; past the quota, the refusal.
    fn take(&self, kind: Kind, subject: &str, now: Instant) -> Result<Standing, Standing> {
        let quota = match kind {
            Kind::Person => self.quotas.person,
            Kind::Client => self.quotas.client,
        };
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MOST_CALLERS {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let (started, used) = windows
            .entry((kind, subject.to_owned()))
            .or_insert((now, 0));
        if now.duration_since(*started) >= WINDOW {
            (*started, *used) = (now, 0);
        }
        let standing = |used: u32| Standing {
            kind,
            quota,
            remaining: quota.saturating_sub(used),
            resets_in: WINDOW.saturating_sub(now.duration_since(*started)),
        };
        if *used >= quota {
            return Err(standing(*used));
        }
        *used += 1;
        Ok(standing(*used))
    }
}

/// Counts the request against its caller, once per request, and refuses it past the quota.
pub(crate) fn count(req: &HttpRequest, kind: Kind, subject: &str) -> Result<(), ApiError> {
    if req.extensions().contains::<Standing>() {
        return Ok(());
    }
    let Some(limiter) = req.app_data::<actix_web::web::Data<RateLimiter>>() else {
        return Ok(());
    };
    let taken = limiter.take(kind, subject, Instant::now());
    let standing = match taken {
        Ok(standing) | Err(standing) => standing,
    };
    req.extensions_mut().insert(standing);
    taken
        .map(|_| ())
        .map_err(|standing| ApiError::RateLimited(standing.seconds_left()))
}

/// Writes the caller's standing into the response, refused or not.
pub(crate) async fn headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(request).await?;
    let standing = response.request().extensions().get::<Standing>().copied();
    if let Some(standing) = standing {
        let policy = standing.kind.policy();
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set(
            "ratelimit-policy",
            format!("\"{policy}\";q={};w={}", standing.quota, WINDOW.as_secs()),
        );
        set(
            "ratelimit",
            format!(
                "\"{policy}\";r={};t={}",
                standing.remaining,
                standing.seconds_left()
            ),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_quota_then_refuses_until_it_turns() {
        let limiter = RateLimiter::new(Quotas {
            person: 3,
            client: 10,
        });
        let start = Instant::now();
        let remaining: Vec<u32> = (0..3)
            .map(|_| {
                limiter
                    .take(Kind::Person, "ann", start)
                    .expect("allowed")
                    .remaining
            })
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = limiter
            .take(Kind::Person, "ann", start + Duration::from_secs(20))
            .expect_err("over the quota");
        assert_eq!(refused.seconds_left(), 40);
        assert!(
            limiter.take(Kind::Person, "ben", start).is_ok(),
            "each person has their own"
        );
        assert!(
            limiter.take(Kind::Client, "ann", start).is_ok(),
            "and clients theirs"
        );
        let next = limiter
            .take(Kind::Person, "ann", start + WINDOW)
            .expect("a new window");
        assert_eq!(next.remaining, 2);
    }
}
