//! Checking an integration client's id and secret without letting the check be turned on the
//! server. Each argon2 verification costs about 33 ms of CPU and 19 MiB; unbounded, eight
//! connections of wrong guesses held both cores and 32 took the process to 5 GiB. So:
//!
//! - at most a few verifications run at once (one per core, each on a thread of its own kept
//!   for the purpose, so no more than that many threads' allocators ever hold argon2's 19 MiB:
//!   on the blocking pool's many threads, twelve wrong guesses left 270 MiB resident), and a
//!   few more requests may wait
//!   up to ten seconds for one; beyond that a request is answered 503 with `Retry-After` at
//!   once, never queued without bound;
//! - failed attempts are counted per client id and per source address, and past a handful each
//!   further attempt is refused (429, `Retry-After`) for a time that doubles, up to five minutes;
//! - a secret verified within the last minute (each use extending it) is recognised by a
//!   SHA-256 of the client id, the secret and the stored hash, so an LRS client sending Basic
//!   with every statement pays argon2 once, not on every request, and keeps working while
//!   someone guesses at its id. The client's row is still read each time, so revoking a client
//!   refuses it at once.
//!
//! All of this is per server process, by design: it protects that process's CPU and memory,
//! and an attacker spreading guesses over several processes still meets each one's limits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};
use tokio::time::timeout;

use crate::error::ApiError;

/// Failures allowed before attempts are held back.
const FREE_FAILURES: u32 = 5;
/// How long the first hold lasts; each further failure doubles it.
const FIRST_HOLD: Duration = Duration::from_secs(1);
const LONGEST_HOLD: Duration = Duration::from_secs(300);
/// How long a run of failures is remembered after the last one.
const FORGET_AFTER: Duration = Duration::from_secs(900);
/// How long a verified secret is recognised without argon2.
const RECOGNISED_FOR: Duration = Duration::from_secs(60);
/// How long a request may wait for a verification slot: long enough for an LRS client's burst
/// of batches to queue behind its first check, which then recognises the secret for the rest.
const LONGEST_WAIT: Duration = Duration::from_secs(10);
/// Entries each table may hold; past it, the stalest go first, so memory stays bounded
/// whatever an attacker sends.
const MOST_ENTRIES: usize = 10_000;

/// Why a credential check did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Too many failures lately from this client id or address: try again after this long.
    Backoff(Duration),
    /// Every verification slot is busy: try again shortly.
    Busy,
}

/// The per-process state of credential checks; one per server, shared by its workers.
pub struct CredentialGuard {
    slots: Semaphore,
    /// The threads verifications run on, one per slot.
    checkers: rayon::ThreadPool,
    /// Requests waiting for a slot, and how many may.
    waiting: AtomicUsize,
    most_waiting: usize,
    failures: Mutex<HashMap<Source, Failures>>,
    recognised: Mutex<HashMap<[u8; 32], Instant>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Source {
    Client(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    fn held_until(self) -> Option<Instant> {
        let beyond = self.count.checked_sub(FREE_FAILURES)?;
        let hold = FIRST_HOLD
            .checked_mul(2_u32.saturating_pow(beyond))
            .unwrap_or(LONGEST_HOLD)
            .min(LONGEST_HOLD);
        Some(self.last + hold)
    }
}

impl From<Held> for ApiError {
    fn from(held: Held) -> Self {
        match held {
            Held::Backoff(wait) => ApiError::TooManyRequests(wait.as_secs().max(1)),
            Held::Busy => ApiError::Busy,
        }
    }
}

impl Default for CredentialGuard {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::with_slots(cores)
    }
}

impl CredentialGuard {
    pub fn with_slots(slots: usize) -> Self {
        let checkers = rayon::ThreadPoolBuilder::new()
            .num_threads(slots)
            .thread_name(|n| format!("credential-check-{n}"))
            .build()
            .expect("the credential checking threads start");
        Self {
            slots: Semaphore::new(slots),
            checkers,
            waiting: AtomicUsize::new(0),
            most_waiting: 4 * slots,
            failures: Mutex::new(HashMap::new()),
            recognised: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `verify` (the argon2 check, off the async threads) unless the caller is held back
    /// or every slot is busy, and keeps count of what it says.
    pub async fn check<F>(
        &self,
        client_id: &str,
        address: Option<IpAddr>,
        secret: &str,
        stored_hash: Option<&str>,
        verify: F,
    ) -> Result<bool, Held>
    where
        F: FnOnce() -> bool + Send + 'static,
    {
        let sources = sources(client_id, address);
        let now = Instant::now();
        // First, so a client in use keeps working while someone guesses at its id.
        let fingerprint = stored_hash.map(|hash| fingerprint(client_id, secret, hash));
        if fingerprint.is_some_and(|f| self.is_recognised(&f, now)) {
            return Ok(true);
        }
        if let Some(wait) = self.held_back(&sources, now) {
            return Err(Held::Backoff(wait));
        }
        let matches = {
            let _slot = self.slot().await?;
            // Another request with the same secret may have verified it while this one waited.
            if fingerprint.is_some_and(|f| self.is_recognised(&f, Instant::now())) {
                return Ok(true);
            }
            let (answer, answered) = oneshot::channel();
            self.checkers.spawn(move || {
                // The request may have gone; its answer then goes nowhere.
                let _ = answer.send(verify());
            });
            answered.await.unwrap_or(false)
        };
        if matches {
            self.forget_failures(&sources);
            if let Some(f) = fingerprint {
                self.recognise(f, Instant::now());
            }
        } else {
            self.count_failure(sources, Instant::now());
        }
        Ok(matches)
    }

    async fn slot(&self) -> Result<SemaphorePermit<'_>, Held> {
        if let Ok(slot) = self.slots.try_acquire() {
            return Ok(slot);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.most_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Held::Busy);
        }
        let slot = timeout(LONGEST_WAIT, self.slots.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match slot {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err(Held::Busy),
        }
    }

    fn held_back(&self, sources: &[Source], now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        sources
            .iter()
            .filter_map(|source| failures.get(source)?.held_until())
            .filter(|&until| until > now)
            .max()
            .map(|until| until - now)
    }

    fn count_failure(&self, sources: Vec<Source>, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        for source in sources {
            let entry = failures.entry(source).or_insert(Failures {
                count: 0,
                last: now,
            });
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
        if failures.len() > MOST_ENTRIES {
            evict_stalest(&mut failures, |f| f.last);
        }
    }

    fn forget_failures(&self, sources: &[Source]) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for source in sources {
            failures.remove(source);
        }
    }

    /// Whether the secret was verified lately; each use extends it, so a client in steady use
    /// pays argon2 once.
    fn is_recognised(&self, fingerprint: &[u8; 32], now: Instant) -> bool {
        let mut recognised = self.recognised.lock().unwrap_or_else(|e| e.into_inner());
        match recognised.get_mut(fingerprint) {
            Some(at) if now.duration_since(*at) < RECOGNISED_FOR => {
                *at = now;
                true
            }
            _ => false,
        }
    }

    fn recognise(&self, fingerprint: [u8; 32], now: Instant) {
        let mut recognised = self.recognised.lock().unwrap_or_else(|e| e.into_inner());
        recognised.retain(|_, &mut at| now.duration_since(at) < RECOGNISED_FOR);
        recognised.insert(fingerprint, now);
        if recognised.len() > MOST_ENTRIES {
            evict_stalest(&mut recognised, |&at| at);
        }
    }
}

fn sources(client_id: &str, address: Option<IpAddr>) -> Vec<Source> {
    // A client id is at most a UUID's length; anything longer is counted by its first part
    // so a flood of long ids cannot fill memory with long keys.
    let client: String = client_id.chars().take(36).collect();
    std::iter::once(Source::Client(client))
        .chain(address.map(Source::Address))
        .collect()
}

fn fingerprint(client_id: &str, secret: &str, stored_hash: &str) -> [u8; 32] {
    let mut digest = Sha256::new();
    for part in [client_id, secret, stored_hash] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    digest.finalize().into()
}

/// Drops the older half of `table`.
fn evict_stalest<K: Clone + Eq + std::hash::Hash, V>(
    table: &mut HashMap<K, V>,
    at: impl Fn(&V) -> Instant,
) {
    let mut times: Vec<Instant> = table.values().map(&at).collect();
    times.sort_unstable();
    let cutoff = times[times.len() / 2];
    table.retain(|_, v| at(v) > cutoff);
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "01900000-0000-7000-8000-000000000001";
    const HASH: &str = "$argon2id$stored";

    fn address(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    #[actix_web::test]
    async fn failures_past_a_handful_are_held_back_per_client_and_per_address() {
        let guard = CredentialGuard::with_slots(2);
        for _ in 0..FREE_FAILURES {
            let checked = guard.check(CLIENT, address(1), "guess", Some(HASH), || false);
            assert_eq!(checked.await, Ok(false));
        }
        let held = guard
            .check(CLIENT, address(2), "guess", Some(HASH), || true)
            .await;
        assert!(
            matches!(held, Err(Held::Backoff(_))),
            "the client id is held: {held:?}"
        );
        let other = "01900000-0000-7000-8000-000000000002";
        let held = guard.check(other, address(1), "guess", None, || true).await;
        assert!(
            matches!(held, Err(Held::Backoff(_))),
            "so is the address: {held:?}"
        );
        let elsewhere = guard.check(other, address(3), "right", None, || true).await;
        assert_eq!(
            elsewhere,
            Ok(true),
            "another client from another address is not"
        );
    }

    #[actix_web::test]
    async fn a_verified_secret_is_recognised_without_argon2_even_while_its_id_is_held() {
        let guard = CredentialGuard::with_slots(1);
        assert_eq!(
            guard
                .check(CLIENT, address(1), "right", Some(HASH), || true)
                .await,
            Ok(true)
        );
        for _ in 0..=FREE_FAILURES {
            let _ = guard
                .check(CLIENT, address(9), "guess", Some(HASH), || false)
                .await;
        }
        let again = guard.check(CLIENT, address(1), "right", Some(HASH), || {
            panic!("argon2 again")
        });
        assert_eq!(again.await, Ok(true));
        // Against another stored hash it is not recognised, so the held id is refused.
        let rehashed = guard.check(CLIENT, address(1), "right", Some("$argon2id$new"), || true);
        assert!(matches!(rehashed.await, Err(Held::Backoff(_))));
    }

    #[actix_web::test]
    async fn with_every_slot_busy_a_check_is_refused_not_queued() {
        let guard = CredentialGuard::with_slots(0);
        assert_eq!(
            guard
                .check(CLIENT, address(1), "right", Some(HASH), || true)
                .await,
            Err(Held::Busy)
        );
    }
}
