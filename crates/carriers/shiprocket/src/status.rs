//! Shiprocket's shipment status ids (`sr-status` in tracking scans,
//! `shipment_status` in tracking, `shipment_status_id` in pushes), mapped to
//! Shipgate's taxonomy.
//!
//! Sources: the status table of Shiprocket's API documentation
//! (apidocs.shiprocket.in, "Shipment status codes"), as restated in
//! `/work/shared/research/carriers.md` §3 (ids 0–21) and in public
//! integration code that copies the full table (ids 22–78, e.g. the
//! `getStatusDescription` map in a public Node integration, and Dart
//! tracking apps listing 1–59 identically). Id 27 "Return Cancelled" appears
//! in a single source (confidence C).
//!
//! Shiprocket's tracking carries no NDR reason codes: a failed attempt is
//! `21 Undelivered` whatever the cause (the reason text lives in the NDR
//! panel/API), so failed attempts map to `NdrReason::Unknown`.
//!
//! Couriers' own scan codes that Shiprocket leaves unmapped (`sr-status`
//! `NA`) are not in this table: such scans are kept with their courier code
//! and `status: None`.
//!
//! Order matters: the simulator uses the first entry per status, so the most
//! typical id for each status comes first (18 before 6, for example).

use shipgate_carrier_core::StatusCode;
use shipgate_domain::{NdrReason, ShipmentStatus as S};

const fn code(code: &'static str, description: &'static str, status: S) -> StatusCode {
    StatusCode {
        code,
        description,
        status,
        ndr_reason: None,
    }
}

const fn ndr(
    code: &'static str,
    description: &'static str,
    status: S,
    reason: NdrReason,
) -> StatusCode {
    StatusCode {
        code,
        description,
        status,
        ndr_reason: Some(reason),
    }
}

pub static STATUS_CODES: &[StatusCode] = &[
    code("0", "New", S::OrderPlaced),
    code("1", "AWB Assigned", S::Manifested),
    code("2", "Label Generated", S::Manifested),
    code("3", "Pickup Scheduled/Generated", S::PickupScheduled),
    code("4", "Pickup Queued", S::PickupScheduled),
    // The pickup manifest is printed for the courier's pickup run: still
    // waiting for pickup, after it was scheduled.
    code("5", "Manifest Generated", S::PickupScheduled),
    code("18", "In Transit", S::InTransit),
    // Shiprocket marks a shipment "Shipped" once the courier has it moving.
    code("6", "Shipped", S::InTransit),
    code("7", "Delivered", S::Delivered),
    code("8", "Canceled", S::Cancelled),
    code("9", "RTO Initiated", S::RtoRequested),
    code("10", "RTO Delivered", S::RtoDelivered),
    // A condition rather than a step: never rewinds the journey.
    code("11", "Pending", S::Held),
    code("12", "Lost", S::Lost),
    code("13", "Pickup Error", S::PickupFailed),
    // The seller acknowledged receiving the return.
    code("14", "RTO Acknowledged", S::RtoDelivered),
    code("15", "Pickup Rescheduled", S::PickupScheduled),
    // Not cancelled yet: held until the courier confirms.
    code("16", "Cancellation Requested", S::Held),
    code("17", "Out For Delivery", S::OutForDelivery),
    code("19", "Out For Pickup", S::OutForPickup),
    code("20", "Pickup Exception", S::PickupFailed),
    ndr("21", "Undelivered", S::DeliveryFailed, NdrReason::Unknown),
    code("22", "Delayed", S::Delayed),
    // Some pieces of a multi-piece shipment delivered: needs a look.
    code("23", "Partial Delivered", S::ContactSupport),
    // The goods no longer exist: closes the journey.
    code("24", "Destroyed", S::Lost),
    code("25", "Damaged", S::Damaged),
    code("26", "Fulfilled", S::Delivered),
    // Single source (confidence C); concerns return orders.
    code("27", "Return Cancelled", S::ContactSupport),
    code("38", "Reached At Destination Hub", S::AtDestinationHub),
    code("39", "Misrouted", S::Delayed),
    code("40", "RTO NDR", S::RtoFailed),
    code("41", "RTO OFD", S::RtoOutForDelivery),
    code("42", "Picked Up", S::PickedUp),
    code("43", "Self Fulfilled", S::Delivered),
    code("44", "Disposed Off", S::Lost),
    code("45", "Cancelled Before Dispatched", S::Cancelled),
    code("46", "RTO In Transit", S::RtoInTransit),
    // Quality check at a (reverse) pickup failed: the parcel was not taken.
    code("47", "QC Failed", S::PickupFailed),
    code("48", "Reached Warehouse", S::InTransit),
    code("49", "Custom Cleared", S::InTransit),
    code("50", "In Flight", S::InTransit),
    code("51", "Handover To Courier", S::PickedUp),
    code("52", "Shipment Booked", S::Manifested),
    code("54", "In Transit Overseas", S::InTransit),
    code("55", "Connection Aligned", S::InTransit),
    code("56", "Reached Overseas Warehouse", S::InTransit),
    code("57", "Custom Cleared Overseas", S::InTransit),
    // Shiprocket Fulfilment warehouse steps, before any courier has it.
    code("59", "Box Packing", S::OrderPlaced),
    code("60", "FC Allocated", S::OrderPlaced),
    code("61", "Picklist Generated", S::OrderPlaced),
    code("62", "Ready To Pack", S::OrderPlaced),
    code("63", "Packed", S::OrderPlaced),
    code("67", "FC Manifest Generated", S::Manifested),
    code("68", "Processed At Warehouse", S::InTransit),
    code("71", "Handover Exception", S::PickupFailed),
    code("72", "Packed Exception", S::ContactSupport),
    // The return is locked in: RTO will happen.
    code("75", "RTO Lock", S::RtoRequested),
    // Not confirmed lost: someone has to chase it.
    code("76", "Untraceable", S::ContactSupport),
    ndr(
        "77",
        "Issue Related To The Recipient",
        S::DeliveryFailed,
        NdrReason::Unknown,
    ),
    code("78", "Reached Back At Seller City", S::RtoInTransit),
];
