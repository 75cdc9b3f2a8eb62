//! Shipgate's domain: the vocabulary every other crate speaks.
//!
//! Everything here is pure: no clocks, no randomness, no I/O. Values are
//! parsed at the edge into types that cannot hold invalid data
//! (`PostalCode::parse`, `Phone::parse`, ...), and a shipment's current state
//! is always derived from its append-only event history by [`lifecycle`].

pub mod address;
pub mod allocation;
pub mod awb;
pub mod lifecycle;
pub mod money;
pub mod ndr;
pub mod parcel;
pub mod rates;
pub mod redact;
pub mod shipment;
pub mod status;
pub mod validation;

pub use address::{Address, CountryCode, Phone, PostalCode};
pub use lifecycle::{ShipmentState, Timeline, TimelineEntry};
pub use money::{Currency, Money};
pub use parcel::Parcel;
pub use shipment::{DeliveryPreferences, EventSource, PaymentMode, Shipment, ShipmentEvent};
pub use status::{CustomerBucket, NdrReason, ShipmentStatus};
pub use validation::{FieldError, ValidationErrors};
