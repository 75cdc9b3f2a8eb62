//! Carrier credentials encrypted at rest (XChaCha20-Poly1305, a random nonce
//! per value, the key from configuration). The record id is bound in as
//! associated data, so a ciphertext copied to another account does not decrypt.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the secret key must be 32 bytes, given as 64 hex characters or base64")]
    BadKey,
    #[error("stored credentials cannot be decrypted with this key")]
    Undecryptable,
}

const VERSION: &str = "v1:";

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// Keeps the configured key only to derive purpose-bound subkeys from it.
    master: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// From 32 bytes written as 64 hex characters or base64.
    pub fn from_config(key: &str) -> Result<Self, SecretError> {
        let key = key.trim();
        let bytes = if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&key[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| SecretError::BadKey)?
        } else {
            STANDARD.decode(key).map_err(|_| SecretError::BadKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            master: key,
        })
    }

    /// A new random key, as 64 hex characters.
    pub fn generate_key() -> String {
        let key: [u8; 32] = rand::random();
        key.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A key for one purpose (e.g. signing self-service links), derived as
    /// HMAC-SHA256(configured key, "shipgate/" + purpose): different purposes
    /// get unrelated keys, and none of them reveals the encryption key.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.master)
            .expect("HMAC takes a key of any length");
        mac.update(b"shipgate/");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn seal(&self, record_id: &str, plaintext: &[u8]) -> String {
        let nonce_bytes: [u8; 24] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        // Encryption with a valid key and nonce cannot fail.
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: record_id.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce_bytes.to_vec();
        out.extend(ciphertext);
        format!("{VERSION}{}", STANDARD.encode(out))
    }

    pub fn open(&self, record_id: &str, sealed: &str) -> Result<Vec<u8>, SecretError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or(SecretError::Undecryptable)?;
        if bytes.len() < 24 {
            return Err(SecretError::Undecryptable);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| SecretError::Undecryptable)?;
        self.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: record_id.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_record() {
        let key = SecretBox::generate_key();
        let sb = SecretBox::from_config(&key).unwrap();
        let sealed = sb.seal("acct_1", b"{\"api_token\":\"t0ps3cret\"}");
        assert!(!sealed.contains("t0ps3cret"));
        assert_eq!(
            sb.open("acct_1", &sealed).unwrap(),
            b"{\"api_token\":\"t0ps3cret\"}"
        );
        assert_eq!(sb.open("acct_2", &sealed), Err(SecretError::Undecryptable));
        let other = SecretBox::from_config(&SecretBox::generate_key()).unwrap();
        assert_eq!(
            other.open("acct_1", &sealed),
            Err(SecretError::Undecryptable)
        );
        assert_ne!(
            sb.seal("acct_1", b"x"),
            sb.seal("acct_1", b"x"),
            "nonces differ"
        );
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_master() {
        let key = SecretBox::generate_key();
        let sb = SecretBox::from_config(&key).unwrap();
        assert_eq!(
            sb.derive_key("a"),
            SecretBox::from_config(&key).unwrap().derive_key("a")
        );
        assert_ne!(sb.derive_key("a"), sb.derive_key("b"));
        let other = SecretBox::from_config(&SecretBox::generate_key()).unwrap();
        assert_ne!(sb.derive_key("a"), other.derive_key("a"));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert_eq!(
            SecretBox::from_config("abc").unwrap_err(),
            SecretError::BadKey
        );
        assert!(SecretBox::from_config(&"ab".repeat(32)).is_ok());
        assert!(SecretBox::from_config(&STANDARD.encode([7u8; 32])).is_ok());
    }
}
