//! Client secrets: made from the operating system's randomness, kept only as argon2 hashes.
//! Hashing and checking take tens of milliseconds on purpose; call them off the async threads.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
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

/// Whether `secret` is the one `stored` was made from.
pub fn matches(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok()
    })
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
}
