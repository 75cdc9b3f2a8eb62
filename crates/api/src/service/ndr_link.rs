//! Signed, expiring links to the customer's NDR self-service page.
//!
//! A link carries `v1.<payload>.<mac>`: the payload (base64url JSON) names
//! the tenant, shipment, NDR and expiry; the MAC is HMAC-SHA256 over it with
//! a key derived from the server's secret key for this purpose alone. The
//! token is the page's only credential, so it also serves as the form's
//! CSRF token: a forged cross-site POST would need a valid token anyway.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::AppState;

/// How long a link works: the week a carrier holds an undelivered parcel.
pub const LINK_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

const PURPOSE: &str = "ndr-self-service-link/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    #[serde(rename = "t")]
    pub tenant_id: String,
    #[serde(rename = "s")]
    pub shipment_id: String,
    #[serde(rename = "n")]
    pub ndr_id: String,
    /// Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

fn mac(state: &AppState) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(&state.secrets.derive_key(PURPOSE))
        .expect("HMAC takes a key of any length")
}

/// Signs a token for `claims`.
pub fn sign(state: &AppState, claims: &LinkClaims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let mut m = mac(state);
    m.update(payload.as_bytes());
    let tag = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("v1.{payload}.{tag}")
}

/// The token for an NDR, valid for [`LINK_LIFETIME`] from now.
pub fn token_for(state: &AppState, tenant_id: &str, shipment_id: &str, ndr_id: &str) -> String {
    sign(
        state,
        &LinkClaims {
            tenant_id: tenant_id.into(),
            shipment_id: shipment_id.into(),
            ndr_id: ndr_id.into(),
            expires: (Timestamp::now() + LINK_LIFETIME).as_second(),
        },
    )
}

/// The page's full URL, when the server knows its own base URL.
pub fn url_for(state: &AppState, token: &str) -> Option<String> {
    state
        .self_url
        .as_deref()
        .map(|u| format!("{}/ndr/{token}", u.trim_end_matches('/')))
}

/// Checks a token's signature (in constant time) and expiry.
pub fn verify(state: &AppState, token: &str) -> Result<LinkClaims, LinkError> {
    let mut parts = token.trim().split('.');
    let (Some("v1"), Some(payload), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Malformed);
    };
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Malformed)?;
    let mut m = mac(state);
    m.update(payload.as_bytes());
    m.verify_slice(&tag).map_err(|_| LinkError::BadSignature)?;
    let claims: LinkClaims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(LinkError::Malformed)?;
    if claims.expires <= Timestamp::now().as_second() {
        return Err(LinkError::Expired);
    }
    Ok(claims)
}
