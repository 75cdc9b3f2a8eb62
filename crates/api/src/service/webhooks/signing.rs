//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
//! where the key is the base64-decoded part of a `whsec_…` secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// Random bytes in a new secret (Standard Webhooks asks for 24 to 64).
const SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a signing secret is `whsec_` followed by base64 of at least one byte")]
pub struct MalformedSecret;

/// A parsed signing secret, ready to sign. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

/// A new secret, `whsec_` and the base64 of random bytes.
pub fn generate_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

impl SigningKey {
    pub fn parse(secret: &str) -> Result<Self, MalformedSecret> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or(MalformedSecret)?;
        let key = STANDARD.decode(encoded).map_err(|_| MalformedSecret)?;
        if key.is_empty() {
            return Err(MalformedSecret);
        }
        Hmac::<Sha256>::new_from_slice(&key)
            .map(SigningKey)
            .map_err(|_| MalformedSecret)
    }

    /// The `v1,…` signature of one message as sent at `timestamp` (Unix seconds).
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per key, space-separated
/// (several while a rotated secret is still honoured).
pub fn signature_header(keys: &[SigningKey], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| k.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_example() {
        let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn every_key_signs_and_a_change_shows() {
        let (a, b) = (generate_secret(), generate_secret());
        assert!(a.starts_with(SECRET_PREFIX) && a != b);
        let keys = [
            SigningKey::parse(&a).unwrap(),
            SigningKey::parse(&b).unwrap(),
        ];
        let header = signature_header(&keys, "msg_1", 10, b"{}");
        let parts: Vec<_> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], keys[0].sign("msg_1", 10, b"{}"));
        assert_ne!(parts[0], keys[0].sign("msg_1", 11, b"{}"));
        assert_ne!(parts[0], keys[0].sign("msg_1", 10, b"{ }"));
    }

    #[test]
    fn malformed_secrets_are_refused() {
        for bad in [
            "",
            "whsec_",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_***",
        ] {
            assert_eq!(
                SigningKey::parse(bad).unwrap_err(),
                MalformedSecret,
                "{bad}"
            );
        }
    }
}
