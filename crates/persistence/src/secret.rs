//! Client secrets: made from the operating system's randomness, kept only as argon2 hashes.
//! Hashing and checking take tens of milliseconds on purpose; call them off the async threads.

use std::cell::RefCell;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::StoreError;

/// A new secret: 32 random bytes, URL-safe base64.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PHC string of the secret's argon2id hash, with a fresh salt.
pub fn hash(secret: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt("client secret", e.to_string()))
}

thread_local! {
    /// Argon2's working memory, kept by each thread that checks secrets. A fresh 19 MiB for
    /// every check left glibc's per-thread arenas holding several freed copies each (217 MiB
    /// resident under a flood of wrong secrets on two cores); a kept buffer is one copy.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Whether `secret` is the one `stored` was made from.
pub fn matches(secret: &str, stored: &str) -> bool {
    let Ok(stored) = PasswordHash::new(stored) else {
        return false;
    };
    // `Output` compares in constant time.
    stored.hash.is_some() && rehashed(secret, &stored) == stored.hash
}

/// `secret` hashed with the algorithm, version, costs and salt `stored` names.
fn rehashed(secret: &str, stored: &PasswordHash<'_>) -> Option<Output> {
    let params = Params::try_from(stored).ok()?;
    let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
    let version = stored
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .ok()?;
    let mut salt = [0u8; 64];
    let salt = stored.salt?.decode_b64(&mut salt).ok()?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let kept = Params::default().block_count();
    Output::init_with(params.output_len()?, |out| {
        if params.block_count() > kept {
            // Costlier than Pathway makes its hashes: not worth keeping memory for.
            return Ok(argon2.hash_password_into(secret.as_bytes(), salt, out)?);
        }
        MEMORY.with_borrow_mut(|memory| {
            memory.resize(kept, Block::default());
            Ok(argon2.hash_password_into_with_memory(secret.as_bytes(), salt, out, memory)?)
        })
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_its_hash_and_nothing_else_does() {
        let secret = generate();
        assert_eq!(secret.len(), 43);
        let stored = hash(&secret).expect("hashed");
        assert!(stored.starts_with("$argon2id$"));
        assert!(matches(&secret, &stored));
        assert!(!matches(&generate(), &stored));
        assert!(!matches(&secret, "not a hash"));
        assert_ne!(hash(&secret).expect("hashed"), stored, "salted");
    }

    #[test]
    fn hashes_made_with_other_costs_are_checked_with_their_own() {
        let secret = generate();
        for params in [
            Params::new(8, 1, 1, None).expect("cheap"),
            Params::new(2 * Params::DEFAULT_M_COST, 1, 1, Some(16)).expect("costly"),
        ] {
            let salt = SaltString::generate(&mut OsRng);
            let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(secret.as_bytes(), &salt)
                .expect("hashed")
                .to_string();
            assert!(matches(&secret, &stored), "{stored}");
            assert!(!matches(&generate(), &stored), "{stored}");
        }
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x10, Params::default())
            .hash_password(secret.as_bytes(), &SaltString::generate(&mut OsRng))
            .expect("hashed")
            .to_string();
        assert!(matches(&secret, &argon2i));
    }
}
