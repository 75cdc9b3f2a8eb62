//! What every carrier adapter is made of.
//!
//! An adapter never sends anything. For each operation it *builds* an
//! [`HttpRequest`] (method, path, headers, body in the carrier's own format)
//! and *parses* the carrier's [`HttpResponse`]; the runtime crate sends it,
//! with timeouts, retries for safe calls, per-account rate limits and a
//! circuit breaker. So adapters are pure functions, tested with fixtures alone.
//!
//! Operations are separate traits ([`ops`]), each method defaulting to
//! [`CarrierError::Unsupported`]; an adapter implements the ones its carrier
//! offers and declares them in [`Adapter::capabilities`].
//!
//! Each adapter also carries its carrier's side of the sandbox
//! ([`sim::Personality`]): it reads requests in that carrier's format into
//! carrier-neutral [`sim::SimOp`]s and writes the simulator's answers back in
//! that format, so the simulator speaks every carrier's wire format on loopback.

pub mod account;
pub mod error;
pub mod http;
pub mod ops;
pub mod scan;
pub mod sim;
pub mod time;

pub use account::Account;
pub use error::CarrierError;
pub use http::{Body, HttpRequest, HttpResponse, Method, Retry};
pub use ops::*;
pub use scan::{CarrierScan, StatusCode, TrackedShipment};

use std::time::Duration;

/// An operation a carrier supports; the API lists them per carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Serviceability,
    Rates,
    CreateShipment,
    /// AWBs fetched in bulk ahead of creation (Delhivery, Ecom Express).
    AwbPool,
    Label,
    Pickup,
    Cancel,
    Modify,
    /// Its edit API takes delivery instructions and a preferred delivery day.
    DeliveryPreferences,
    NdrAction,
    TrackPull,
    TrackPush,
}

/// A published request-rate limit for one operation (or all, when
/// `operation` is `None`), per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub operation: Option<&'static str>,
    pub max_requests: u32,
    pub per: Duration,
}

/// A carrier adapter: every operation trait plus what identifies it.
pub trait Adapter:
    Authenticate
    + Serviceability
    + Rates
    + CreateShipment
    + FetchAwbs
    + Label
    + Pickup
    + Cancel
    + Modify
    + NdrAction
    + Track
    + Push
    + sim::Personality
    + Send
    + Sync
    + 'static
{
    /// Display name (`Delhivery`). The stable code is [`CarrierCode::carrier`].
    fn name(&self) -> &'static str;
    fn capabilities(&self) -> &'static [Capability];
    /// Every status code the carrier documents, with its mapping; the
    /// property tests check each maps, and the docs list them.
    fn status_codes(&self) -> &'static [StatusCode];
    /// The carrier's published rate limits.
    fn rate_limits(&self) -> &'static [RateLimit] {
        &[]
    }
    /// Credential names an account of this carrier must have
    /// (`api_token`, …); checked when an account is created.
    fn credential_names(&self) -> &'static [&'static str] {
        &[]
    }
    /// True when creates must carry an AWB from a pre-fetched pool (Ecom
    /// Express); carriers that merely offer a pool (Delhivery) assign one
    /// themselves when none is sent.
    fn requires_pooled_awb(&self) -> bool {
        false
    }
    /// The carrier's production base URL.
    fn production_url(&self) -> &'static str {
        ""
    }
}
