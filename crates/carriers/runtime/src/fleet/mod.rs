//! The self-managed fleet: the merchant's own riders.
//!
//! Shipgate is the carrier's system of record here. AWBs come from the
//! tenant's own series (`SG` + tenant series + serial + Luhn check digit; see
//! [`shipgate_domain::awb`]), drawn from a database counter so no number is
//! ever issued twice, even across processes. Riders post scans in Shipgate's
//! own status taxonomy through `POST /v1/fleet/scans`.

use async_trait::async_trait;
use jiff::Timestamp;
use shipgate_domain::awb::fleet_awb;
use shipgate_domain::shipment::ShipmentDraft;
use shipgate_domain::{EventSource, NdrReason, ShipmentEvent, ShipmentStatus};

use crate::{Booking, Capability, Carrier, CarrierError, Context};

pub const CODE: &str = "fleet";
const SERIES: &str = "fleet";

pub struct Fleet;

#[async_trait]
impl Carrier for Fleet {
    fn code(&self) -> &'static str {
        CODE
    }

    fn name(&self) -> &'static str {
        "Self-managed fleet"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[
            Capability::CreateShipment,
            Capability::Label,
            Capability::ScanIngest,
        ]
    }

    async fn book(
        &self,
        ctx: &Context<'_>,
        _draft: &ShipmentDraft,
    ) -> Result<Booking, CarrierError> {
        let serial = ctx.store.next_awb_serial(&ctx.tenant.id, SERIES).await?;
        let awb = fleet_awb(ctx.tenant.awb_series, serial).map_err(|e| CarrierError::Rejected {
            carrier: CODE,
            code: e.code.to_string(),
            message: e.message,
        })?;
        Ok(Booking {
            awb,
            routing_code: None,
        })
    }
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
