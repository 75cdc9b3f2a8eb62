//! Ekart's documented tracking statuses and NDR statuses, mapped to
//! Shipgate's taxonomy.
//!
//! Source: the Ekart API spec v3.8.8 (`dhirajgiri3/Shipcrowd`
//! `docs/Resources/API/Courier/Ekart/Ekart_API.yaml`), schemas `swift_status`
//! (24 values, the `track.status` / `details[].status` field) and
//! `swift_ndr_status` (20 values, the `ndrStatus` field that accompanies a
//! failed attempt). Ekart documents names only; the mapping is ours.
//!
//! A scan's code is always its `status`. When a failed delivery carries an
//! `ndrStatus`, the reason comes from [`NDR_CODES`]; the NDR entries say what
//! the attempt they accompany means (`Undelivered` → delivery failed,
//! `Not Picked` → pickup failed, `RTO Failed` → RTO failed).

use shipgate_carrier_core::StatusCode;
use shipgate_domain::{NdrReason, ShipmentStatus};

const fn code(
    code: &'static str,
    description: &'static str,
    status: ShipmentStatus,
    ndr_reason: Option<NdrReason>,
) -> StatusCode {
    StatusCode {
        code,
        description,
        status,
        ndr_reason,
    }
}

use NdrReason as R;
use ShipmentStatus as S;

const TRACK: [StatusCode; 24] = [
    // Created: Ekart has the manifest and a tracking id.
    code("Order Placed", "Order placed", S::Manifested, None),
    code(
        "Pickup Scheduled",
        "Pickup scheduled",
        S::PickupScheduled,
        None,
    ),
    code("Pickup Pending", "Pickup pending", S::PickupScheduled, None),
    code("Out for Pickup", "Out for pickup", S::OutForPickup, None),
    code("Not Picked", "Not picked up", S::PickupFailed, None),
    code("Picked Up", "Picked up", S::PickedUp, None),
    code("In Transit", "In transit", S::InTransit, None),
    code(
        "Out for Delivery",
        "Out for delivery",
        S::OutForDelivery,
        None,
    ),
    code(
        "Undelivered",
        "Delivery attempt failed",
        S::DeliveryFailed,
        Some(R::Unknown),
    ),
    code("Delivered", "Delivered", S::Delivered, None),
    code(
        "RTO Requested",
        "Return to origin requested",
        S::RtoRequested,
        None,
    ),
    code(
        "Seller RTO Requested",
        "Return to origin requested by the seller",
        S::RtoRequested,
        None,
    ),
    code("RTO In Transit", "Return in transit", S::RtoInTransit, None),
    code(
        "RTO Out for Delivery",
        "Return out for delivery to the seller",
        S::RtoOutForDelivery,
        None,
    ),
    code("RTO Failed", "Return delivery failed", S::RtoFailed, None),
    code(
        "RTO Delivered",
        "Returned to the seller",
        S::RtoDelivered,
        None,
    ),
    code("Cancelled", "Cancelled", S::Cancelled, None),
    code(
        "Seller Cancelled",
        "Cancelled by the seller",
        S::Cancelled,
        None,
    ),
    // Reverse pickups: the pickup (and so the shipment) was called off.
    code("Pickup Cancelled", "Pickup cancelled", S::Cancelled, None),
    code("Shipment Delayed", "Shipment delayed", S::Delayed, None),
    code(
        "RTO Shipment Delayed",
        "Return shipment delayed",
        S::Delayed,
        None,
    ),
    code(
        "Not Serviceable",
        "Not serviceable",
        S::NotServiceable,
        None,
    ),
    code("Lost", "Lost", S::Lost, None),
    code("Damaged", "Damaged", S::Damaged, None),
];

const NDR: [StatusCode; 19] = [
    code(
        "Unknown Exception",
        "Undelivered: unknown exception",
        S::DeliveryFailed,
        Some(R::Unknown),
    ),
    code(
        "Customer Unavailable",
        "Undelivered: customer unavailable",
        S::DeliveryFailed,
        Some(R::CustomerUnavailable),
    ),
    code(
        "Rejected by Customer",
        "Undelivered: rejected by the customer",
        S::DeliveryFailed,
        Some(R::Refused),
    ),
    code(
        "Delivery Rescheduled",
        "Undelivered: delivery rescheduled by the customer",
        S::DeliveryFailed,
        Some(R::RescheduledByCustomer),
    ),
    code(
        "Customer Unreachable",
        "Undelivered: customer unreachable",
        S::DeliveryFailed,
        Some(R::CustomerUnreachable),
    ),
    code(
        "Address Issue",
        "Undelivered: address issue",
        S::DeliveryFailed,
        Some(R::AddressIssue),
    ),
    code(
        "Payment Issue",
        "Undelivered: payment not ready",
        S::DeliveryFailed,
        Some(R::PaymentNotReady),
    ),
    code(
        "Out Of Delivery Area",
        "Undelivered: out of delivery area",
        S::DeliveryFailed,
        Some(R::OutOfDeliveryArea),
    ),
    code(
        "Order Already Cancelled",
        "Undelivered: order already cancelled",
        S::DeliveryFailed,
        Some(R::OrderCancelledByCustomer),
    ),
    code(
        "Self Collect",
        "Undelivered: customer will collect",
        S::DeliveryFailed,
        Some(R::SelfCollectRequested),
    ),
    code(
        "Not Attempted",
        "Undelivered: not attempted",
        S::DeliveryFailed,
        Some(R::NotAttempted),
    ),
    code(
        "OTP Verified Cancellation",
        "Undelivered: cancellation verified by OTP",
        S::DeliveryFailed,
        Some(R::OrderCancelledByCustomer),
    ),
    code(
        "OTP Not Received/OTP Mismatch",
        "Undelivered: OTP not received or mismatched",
        S::DeliveryFailed,
        Some(R::Unknown),
    ),
    code(
        "Shipment Seized By Customer",
        "Undelivered: shipment seized by the customer",
        S::DeliveryFailed,
        Some(R::Unknown),
    ),
    code(
        "Dispute",
        "Undelivered: dispute",
        S::DeliveryFailed,
        Some(R::Unknown),
    ),
    code(
        "Maximum Attempt Reached",
        "Undelivered: maximum attempts reached",
        S::DeliveryFailed,
        Some(R::Unknown),
    ),
    code(
        "On Hold",
        "Undelivered: on hold",
        S::DeliveryFailed,
        Some(R::Unknown),
    ),
    code(
        "Pickup Rescheduled",
        "Not picked: pickup rescheduled",
        S::PickupFailed,
        None,
    ),
    code(
        "RTO Delivery Failed",
        "Return delivery failed",
        S::RtoFailed,
        None,
    ),
];

const fn concat(track: [StatusCode; 24], ndr: [StatusCode; 19]) -> [StatusCode; 43] {
    let mut all = [track[0]; 43];
    let mut i = 0;
    while i < 24 {
        all[i] = track[i];
        i += 1;
    }
    while i < 43 {
        all[i] = ndr[i - 24];
        i += 1;
    }
    all
}

const ALL: [StatusCode; 43] = concat(TRACK, NDR);

/// Every documented code: the 24 tracking statuses, then the 19 NDR statuses.
pub static STATUS_CODES: &[StatusCode] = &ALL;

/// The tracking statuses (`track.status`, `details[].status`, the webhook's `status`).
pub static TRACK_CODES: &[StatusCode] = &TRACK;

/// The NDR statuses (`ndrStatus`), which give a failed attempt its reason.
pub static NDR_CODES: &[StatusCode] = &NDR;

/// The NDR status Ekart would report for a reason (first entry with it).
pub fn ndr_code_for(reason: NdrReason) -> Option<&'static StatusCode> {
    NDR.iter()
        .find(|c| c.status == ShipmentStatus::DeliveryFailed && c.ndr_reason == Some(reason))
}

/// The tracking status Ekart would report for a Shipgate status (first entry with it).
pub fn track_code_for(status: ShipmentStatus) -> Option<&'static StatusCode> {
    TRACK.iter().find(|c| c.status == status)
}
