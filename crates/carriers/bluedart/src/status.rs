//! Blue Dart scan codes and what they mean in Shipgate's taxonomy.
//!
//! A Blue Dart scan carries a `ScanCode` (three digits), a `ScanGroupType`
//! (`S` for movement scans, `T` for terminal/delivery-status scans) and a
//! `ScanType` (`PU`, `UD`, `DL`, `RT`, the same letters as the shipment's
//! `StatusType`). Codes repeat across groups, so Shipgate keys its table on
//! `{ScanGroupType}-{ScanCode}` (see
//! [`crate::transformers::BlueDartScanDetail::table_code`]).
//!
//! Blue Dart does not publish its scan-code master; the codes below are the
//! ones that appear, with their group, type and text, in public tracking
//! responses (sources in the crate documentation). Any other code is kept
//! raw with `status: None` and flagged for review, never guessed.

use shipgate_carrier_core::StatusCode;
use shipgate_domain::ShipmentStatus as S;

const fn code(code: &'static str, description: &'static str, status: S) -> StatusCode {
    StatusCode {
        code,
        description,
        status,
        ndr_reason: None,
    }
}

pub static STATUS_CODES: &[StatusCode] = &[
    // ScanType PU: the waybill exists, nothing collected yet.
    code("S-030", "Online shipment booked", S::Manifested),
    // ScanType UD (in process, forward).
    code("S-015", "SHIPMENT PICKED UP", S::PickedUp),
    code("S-001", "SHIPMENT ARRIVED", S::InTransit),
    code("S-003", "SHIPMENT FURTHER CONNECTED", S::InTransit),
    code("S-014", "PAPER WORK INSCAN", S::InTransit),
    // Group T, type UD: arrived at the delivering service centre after the
    // day's cut-off; goes out the next working day.
    code(
        "T-029",
        "DELIVERY SCHEDULED FOR NEXT WORKING DAY",
        S::AtDestinationHub,
    ),
    code("S-002", "SHIPMENT OUT FOR DELIVERY", S::OutForDelivery),
    // Group T, type DL.
    code("T-000", "SHIPMENT DELIVERED", S::Delivered),
];

/// The `ScanType` Blue Dart sends with a scan of this status (`PU` before
/// pickup, `DL` delivered, `RT` on the return leg, `UD` otherwise).
pub fn scan_type_for(status: S) -> &'static str {
    match status {
        S::OrderPlaced | S::Manifested | S::PickupScheduled | S::OutForPickup | S::PickupFailed => {
            "PU"
        }
        S::Delivered => "DL",
        S::RtoRequested
        | S::RtoInTransit
        | S::RtoOutForDelivery
        | S::RtoDelivered
        | S::RtoFailed => "RT",
        _ => "UD",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_grouped() {
        for (i, a) in STATUS_CODES.iter().enumerate() {
            assert!(
                a.code.starts_with("S-") || a.code.starts_with("T-"),
                "{}",
                a.code
            );
            assert_eq!(a.code.len(), 5, "{}", a.code);
            for b in &STATUS_CODES[i + 1..] {
                assert_ne!(a.code, b.code);
            }
        }
    }
}
