//! API keys: random, shown once, stored only as a SHA-256 hash.

use sha2::{Digest, Sha256};

/// A newly issued key: `secret` goes to the user once; only `hash` and
/// `prefix` (to recognise the key in listings) are stored.
pub struct IssuedKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn issue() -> IssuedKey {
    let bytes: [u8; 32] = rand::random();
    let secret = format!("sg_live_{}", hex::encode(bytes));
    IssuedKey {
        hash: hash(&secret),
        prefix: secret[..16].to_string(),
        secret,
    }
}

/// Publishable keys start with this; secret keys with `sg_live_`.
pub const PUBLISHABLE_PREFIX: &str = "sg_pub_";

/// A new publishable key (safe in a web page: lookups only, from its origins).
pub fn issue_publishable() -> IssuedKey {
    let bytes: [u8; 32] = rand::random();
    let secret = format!("{PUBLISHABLE_PREFIX}{}", hex::encode(bytes));
    IssuedKey {
        hash: hash(&secret),
        prefix: secret[..15].to_string(),
        secret,
    }
}

/// Keys carry 256 bits of entropy, so a fast unsalted hash is enough: there is
/// nothing to brute-force, and lookups stay one indexed query.
pub fn hash(secret: &str) -> String {
    hex::encode(digest(secret))
}

/// The key's SHA-256 as bytes: [`hash`] before hex encoding, what in-memory
/// caches of verified keys are indexed by.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_hash_stably() {
        let (a, b) = (issue(), issue());
        assert_ne!(a.secret, b.secret);
        assert_eq!(hash(&a.secret), a.hash);
        assert_eq!(a.hash.len(), 64);
        assert!(a.secret.starts_with(&a.prefix));
    }
}
