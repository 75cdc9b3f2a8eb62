//! What the API returns: shapes kept apart from the domain so the wire format
//! changes only on purpose.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_domain::{
    Address, CustomerBucket, Money, NdrReason, Parcel, PaymentMode, Shipment, ShipmentStatus,
    TimelineEntry,
};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentView {
    /// Shipgate's id, e.g. `shp_0193…`.
    pub id: String,
    pub order_reference: String,
    pub carrier: String,
    /// The carrier account that booked it; absent for the self-managed fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_account_id: Option<String>,
    pub awb: String,
    /// The carrier's sort / routing code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_code: Option<String>,
    /// How allocation chose the carrier account, with its reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation: Option<shipgate_domain::allocation::Allocation>,
    /// What the carrier reports beyond scans: its EDD, attempts, proof of delivery.
    pub carrier_facts: shipgate_domain::shipment::CarrierFacts,
    /// The delivery date promised at order time (Shipgate's EDD for the
    /// booked carrier and lane then); absent when the lane had no history.
    pub promise: Option<shipgate_domain::shipment::DeliveryPromise>,
    pub status: ShipmentStatus,
    /// What the end customer is shown.
    pub customer_bucket: CustomerBucket,
    pub failed_attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ndr_reason: Option<NdrReason>,
    pub pickup: Address,
    pub consignee: Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_address: Option<Address>,
    pub parcels: Vec<Parcel>,
    pub total_weight_grams: u64,
    pub payment_mode: PaymentMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cod_amount: Option<Money>,
    pub declared_value: Money,
    /// Delivery instructions and preferred day, when set.
    #[serde(
        default,
        skip_serializing_if = "shipgate_domain::DeliveryPreferences::is_empty"
    )]
    pub delivery: shipgate_domain::DeliveryPreferences,
    /// Where to download the label.
    pub label_url: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_event_at: Option<Timestamp>,
}

impl From<Shipment> for ShipmentView {
    fn from(s: Shipment) -> Self {
        Self {
            label_url: format!("/v1/shipments/{}/label", s.id),
            total_weight_grams: s.total_weight_grams(),
            status: s.state.status,
            customer_bucket: s.state.status.customer_bucket(),
            failed_attempts: s.state.failed_attempts,
            ndr_reason: s.state.ndr_reason,
            last_event_at: s.state.last_event_at,
            id: s.id,
            order_reference: s.order_reference,
            carrier: s.carrier,
            carrier_account_id: s.carrier_account_id,
            awb: s.awb,
            routing_code: s.routing_code,
            allocation: s.allocation,
            carrier_facts: s.carrier_facts,
            promise: s.promise,
            pickup: s.pickup,
            consignee: s.consignee,
            return_address: s.return_address,
            parcels: s.parcels,
            payment_mode: s.payment_mode,
            cod_amount: s.cod_amount,
            declared_value: s.declared_value,
            delivery: s.delivery,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A page of results, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentPage {
    pub data: Vec<ShipmentView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Reads the `limit` (1–100, default 20) and `cursor` query parameters every
/// list takes.
pub fn page_params(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<(u32, Option<String>), crate::error::ApiError> {
    use crate::error::ApiError;
    use axum::http::StatusCode;
    let limit = limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit",
            "out_of_range",
            "must be between 1 and 100",
        ));
    }
    let after = match cursor {
        None => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "cursor",
                "invalid_cursor",
                "not a cursor this API returned",
            )
        })?),
    };
    Ok((limit, after))
}

/// Cursors are opaque to clients; inside, the last id seen.
pub fn encode_cursor(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_id)
}

pub fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let id = String::from_utf8(bytes).ok()?;
    (id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(id)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub status: ShipmentStatus,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
    pub source: shipgate_domain::EventSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ndr_reason: Option<NdrReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// False when the event is kept in the history but the status rules did
    /// not let it move the shipment (e.g. a stale or out-of-order scan).
    pub applied: bool,
}

impl From<TimelineEntry> for EventView {
    fn from(entry: TimelineEntry) -> Self {
        let e = entry.event;
        Self {
            id: e.id,
            status: e.status,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            source: e.source,
            carrier_code: e.carrier_code,
            description: e.description,
            location: e.location,
            ndr_reason: e.ndr_reason,
            actor: e.actor,
            applied: entry.applied,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineView {
    pub shipment_id: String,
    pub status: ShipmentStatus,
    /// Every event, in the order it happened.
    pub events: Vec<EventView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = encode_cursor("shp_0193abc");
        assert_eq!(decode_cursor(&c).as_deref(), Some("shp_0193abc"));
        assert_eq!(decode_cursor("!!!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("x' OR 1=1")), None);
    }
}
