//! The self-managed fleet: the merchant's own riders.
//!
//! Shipgate is the carrier's system of record here. AWBs come from the
//! tenant's own series (`SG` + tenant series + serial + Luhn check digit; see
//! [`shipgate_domain::awb`]), drawn from a database counter so no number is
//! ever issued twice, even across processes. Riders post scans in Shipgate's
//! own status taxonomy through `POST /v1/fleet/scans`.

use jiff::Timestamp;
use shipgate_carrier_core::Capability;
use shipgate_domain::awb::fleet_awb;
use shipgate_domain::{EventSource, NdrReason, ShipmentEvent, ShipmentStatus};
use shipgate_storage::{Store, StoreError, Tenant};

pub const CODE: &str = "fleet";
pub const NAME: &str = "Self-managed fleet";
/// Labels come from Shipgate; scans arrive through Shipgate's API (a push).
pub const CAPABILITIES: &[Capability] = &[
    Capability::CreateShipment,
    Capability::Label,
    Capability::TrackPush,
];
const SERIES: &str = "fleet";

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("{0}")]
    SeriesExhausted(String),
}

/// Issues the next AWB of the tenant's series.
pub async fn issue_awb(store: &dyn Store, tenant: &Tenant) -> Result<String, FleetError> {
    let serial = store.next_awb_serial(&tenant.id, SERIES).await?;
    fleet_awb(tenant.awb_series, serial).map_err(|e| FleetError::SeriesExhausted(e.message))
}

/// A rider's scan, already checked field by field by the API.
pub struct Scan {
    pub status: ShipmentStatus,
    pub occurred_at: Timestamp,
    pub location: Option<String>,
    pub remarks: Option<String>,
    pub ndr_reason: Option<NdrReason>,
    pub rider: Option<String>,
}

impl Scan {
    /// The history entry this scan becomes.
    pub fn into_event(self, id: String, recorded_at: Timestamp) -> ShipmentEvent {
        ShipmentEvent {
            id,
            seq: 0,
            status: self.status,
            occurred_at: self.occurred_at,
            recorded_at,
            source: EventSource::FleetScan,
            // The fleet speaks Shipgate's taxonomy, so its code is the status itself.
            carrier_code: Some(self.status.as_str().to_string()),
            description: self.remarks,
            location: self.location,
            ndr_reason: if self.status == ShipmentStatus::DeliveryFailed {
                Some(self.ndr_reason.unwrap_or(NdrReason::Unknown))
            } else {
                None
            },
            actor: self.rider.map(|r| format!("rider:{r}")),
        }
    }
}
