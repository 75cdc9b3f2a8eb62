//! DTDC's scan codes and non-delivery reason codes, mapped to Shipgate's taxonomy.
//!
//! Source: DTDC's "DOMESTIC TRACK EVENTS" sheet (`DTDC TRACK SCAN DETAILS
//! NEW.xlsx`, vendored in `karrioapi/karrio`
//! `modules/connectors/dtdc/vendors/`): 71 track scan codes (column "TRACK
//! SCAN") and 25 non-delivery reason codes (column "REASON CODE"). One more
//! reason code, `KYC`, was observed live by a public integration and is not in
//! the sheet; it is kept so a real NDR is not flagged as unknown.
//!
//! **How NDR reasons travel.** A failed attempt is the scan `NONDLV` ("Not
//! Delivered"); its reason rides in the scan's `sTrRemarks` as
//! `CODE|DESCRIPTION` (e.g. `PNA|RECEIVER NOT AVAILABLE-(CIR)`). The adapter
//! keys such a scan as `NONDLV:<CODE>` (and `RTONONDLV:<CODE>` on the return
//! leg), so each reason has its own row here. A `NONDLV` whose reason code is
//! not in this table keeps its raw `NONDLV:<CODE>` and falls back to the
//! plain `NONDLV` row (a failed delivery, reason unknown).
//!
//! The suffix of each reason text says whose fault it is: (CIR) consignee,
//! (DIR) DTDC, (OTR) other.

use shipgate_carrier_core::StatusCode;
use shipgate_domain::{NdrReason, ShipmentStatus};

use ShipmentStatus as S;

const fn code(code: &'static str, description: &'static str, status: ShipmentStatus) -> StatusCode {
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
    status: ShipmentStatus,
    reason: NdrReason,
) -> StatusCode {
    StatusCode {
        code,
        description,
        status,
        ndr_reason: Some(reason),
    }
}

/// The scan code of a failed delivery attempt.
pub const NOT_DELIVERED: &str = "NONDLV";
/// The scan code of a failed delivery attempt on the return leg.
pub const RTO_NOT_DELIVERED: &str = "RTONONDLV";
/// Separates a scan code from its reason code in this table's keys.
pub const REASON_SEPARATOR: char = ':';

/// Every documented DTDC scan and reason code. The first row for each status
/// is what the simulator reports for it.
pub static STATUS_CODES: &[StatusCode] = &[
    // Pickup and booking.
    code("SPL", "Softdata Upload", S::Manifested),
    code("PCAW", "Pickup Awaited", S::Manifested),
    code("DRAW", "Dropoff Awaited", S::Manifested),
    code("PCSC", "Pickup Scheduled", S::PickupScheduled),
    code("PCRA", "Pickup Reassigned", S::PickupScheduled),
    code("DRSC", "Dropoff Scheduled", S::PickupScheduled),
    code("PCNO", "Not Picked", S::PickupFailed),
    code("DRREC", "Dropoff Rejected", S::PickupFailed),
    code("PCUP", "Picked Up", S::PickedUp),
    code("BKD", "Booked", S::PickedUp),
    code("DRCOM", "Dropoff Completed", S::PickedUp),
    code("PCAN", "Archived", S::Cancelled),
    code("DRCAN", "Dropoff Cancelled", S::Cancelled),
    // Line haul: inbound/outbound manifest, bag and trip scans.
    code("OBMD", "In Transit", S::InTransit),
    code("IPMF", "In Transit", S::InTransit),
    code("OPMF", "In Transit", S::InTransit),
    code("ORMF", "In Transit", S::InTransit),
    code("IBMD", "In Transit", S::InTransit),
    code("IBMN", "In Transit", S::InTransit),
    code("OBMN", "In Transit", S::InTransit),
    code("IMBM", "In Transit", S::InTransit),
    code("OMBM", "In Transit", S::InTransit),
    code("IRBO", "In Transit", S::InTransit),
    code("ORBO", "In Transit", S::InTransit),
    code("CDIN", "In Transit", S::InTransit),
    code("CDOUT", "In Transit", S::InTransit),
    code("ARAP", "Arrived At Airport", S::InTransit),
    code("CSCL", "Customs Cleared", S::InTransit),
    code("RELHLD", "Released From Facility", S::InTransit),
    code(
        "REVOKESTOPDLV",
        "Revoke Stop Booking/Delivery",
        S::InTransit,
    ),
    code("INSCAN", "Reached At Destination", S::AtDestinationHub),
    code("RADCDIN", "Reached At Destination", S::AtDestinationHub),
    code("PREPERD", "DRS Prepared", S::AtDestinationHub),
    // Exceptions.
    code("IRMF", "Mis Route", S::Delayed),
    code("LNRC", "Not Received", S::Delayed),
    code("HLDUP", "Held UP", S::Held),
    code("HELDUP", "Held Up At Facility", S::Held),
    code("CHLD", "Customs HeldUp", S::Held),
    code("STOPDLV", "Stop Booking/Delivery", S::Held),
    code("SUI", "Shipment under investigation", S::ContactSupport),
    // Last mile.
    code("OUTDLV", "Out For Delivery", S::OutForDelivery),
    code("DLV", "Delivered", S::Delivered),
    ndr(
        "NONDLV",
        "Not Delivered",
        S::DeliveryFailed,
        NdrReason::Unknown,
    ),
    // Non-delivery reasons (scan NONDLV, reason code in sTrRemarks).
    ndr(
        "NONDLV:PNA",
        "Not Delivered - RECEIVER NOT AVAILABLE-(CIR)",
        S::DeliveryFailed,
        NdrReason::CustomerUnavailable,
    ),
    ndr(
        "NONDLV:ADR",
        "Not Delivered - ADDRESS INCOMPLETE OR WRONG-(CIR)",
        S::DeliveryFailed,
        NdrReason::AddressIssue,
    ),
    ndr(
        "NONDLV:CAD",
        "Not Delivered - RECEIVER REQUESTED DELIVERY ON ANOTHER DATE-(CIR)",
        S::DeliveryFailed,
        NdrReason::RescheduledByCustomer,
    ),
    ndr(
        "NONDLV:CAN",
        "Not Delivered - COLLECTION AMOUNT NOT READY-(CIR)",
        S::DeliveryFailed,
        NdrReason::PaymentNotReady,
    ),
    ndr(
        "NONDLV:COC",
        "Not Delivered - COVID 19 - CUSTOMER REFUSED TO ACCEPT",
        S::DeliveryFailed,
        NdrReason::Refused,
    ),
    ndr(
        "NONDLV:CWP",
        "Not Delivered - ADDRESS CORRECT AND PINCODE WRONG-(CIR)",
        S::DeliveryFailed,
        NdrReason::AddressIssue,
    ),
    ndr(
        "NONDLV:DLK",
        "Not Delivered - OFFICE CLOSED OR DOOR LOCK-(CIR)",
        S::DeliveryFailed,
        NdrReason::CustomerUnavailable,
    ),
    ndr(
        "NONDLV:DNM",
        "Not Delivered - CONTACT NAME / DEPT NOT MENTIONED-(CIR)",
        S::DeliveryFailed,
        NdrReason::AddressIssue,
    ),
    ndr(
        "NONDLV:DTD",
        "Not Delivered - RECEIVER REFUSE DELIVERY DUE TO DAMAGE-(DIR)",
        S::DeliveryFailed,
        NdrReason::Refused,
    ),
    ndr(
        "NONDLV:LDO",
        "Not Delivered - LAST DATE OVER FOR SUBMISSION-(OTR)",
        S::DeliveryFailed,
        NdrReason::Refused,
    ),
    ndr(
        "NONDLV:MIS",
        "Not Delivered - LAST MILE MISROUTE-(OTR)",
        S::DeliveryFailed,
        NdrReason::Misrouted,
    ),
    ndr(
        "NONDLV:NSP",
        "Not Delivered - ADDRESS OK BUT NO SUCH PERSON-(CIR)",
        S::DeliveryFailed,
        NdrReason::AddressIssue,
    ),
    ndr(
        "NONDLV:NSR",
        "Not Delivered - AREA NON SERVICEABLE-(DIR)",
        S::DeliveryFailed,
        NdrReason::OutOfDeliveryArea,
    ),
    ndr(
        "NONDLV:PCC",
        "Not Delivered - CUSTOMER WILL SELF COLLECT-(CIR)",
        S::DeliveryFailed,
        NdrReason::SelfCollectRequested,
    ),
    ndr(
        "NONDLV:PRF",
        "Not Delivered - RECEIVER REFUSED DELIVERY(CIR)",
        S::DeliveryFailed,
        NdrReason::Refused,
    ),
    ndr(
        "NONDLV:PSF",
        "Not Delivered - RECEIVER SHIFTED FROM GIVEN ADDRESS-(CIR)",
        S::DeliveryFailed,
        NdrReason::AddressIssue,
    ),
    ndr(
        "NONDLV:REA",
        "Not Delivered - RESTRICTED ENTRY-(OTR)",
        S::DeliveryFailed,
        NdrReason::EntryRestricted,
    ),
    ndr(
        "NONDLV:UAT",
        "Not Delivered - COULD NOT ATTEMPT-(DIR)",
        S::DeliveryFailed,
        NdrReason::NotAttempted,
    ),
    ndr(
        "NONDLV:COL",
        "Not Delivered - COVID 19 - OFFICE CLOSED/DOOR LOCKED",
        S::DeliveryFailed,
        NdrReason::CustomerUnavailable,
    ),
    ndr(
        "NONDLV:RWO",
        "Not Delivered - RECEIVER WANTS OPEN DELIVERY-(CIR)",
        S::DeliveryFailed,
        NdrReason::OpenDeliveryRequested,
    ),
    ndr(
        "NONDLV:RRT",
        "Not Delivered - CONSIGNOR REFUSED RTO SHIPMENT-(CIR)",
        S::DeliveryFailed,
        NdrReason::Refused,
    ),
    ndr(
        "NONDLV:LHL",
        "Not Delivered - LOCAL HOLIDAY-(OTR)",
        S::DeliveryFailed,
        NdrReason::NotAttempted,
    ),
    ndr(
        "NONDLV:PWR",
        "Not Delivered - PAPERWORK REQUIRED-(OTR)",
        S::DeliveryFailed,
        NdrReason::Unknown,
    ),
    ndr(
        "NONDLV:CNA",
        "Not Delivered - COVID19 COULD NOT ATTEMPT",
        S::DeliveryFailed,
        NdrReason::NotAttempted,
    ),
    // Observed live on a NONDLV scan (public integration code), not in the sheet.
    ndr(
        "NONDLV:KYC",
        "Not Delivered - CUSTOMER REFUSED TO SHARE SCD/ NDC",
        S::DeliveryFailed,
        NdrReason::Refused,
    ),
    // "CONSIGNMENT LOST" is filed among the reasons, but it ends the journey.
    code(
        "NONDLV:LST",
        "Not Delivered - CONSIGNMENT LOST-(OTR)",
        S::Lost,
    ),
    // Return to origin.
    code("SETRTO", "Set RTO initiated", S::RtoRequested),
    code(
        "RTOW",
        "Waiting For RTO Approval From Origin",
        S::RtoRequested,
    ),
    code("IRTO", "RTO Received", S::RtoInTransit),
    code("RTO", "RTO Processed & Forwarded", S::RtoInTransit),
    code("RTOBKD", "RTO Booked", S::RtoInTransit),
    code("RTOOPMF", "RTO In Transit", S::RtoInTransit),
    code("RTOIPMF", "RTO In Transit", S::RtoInTransit),
    code("RTOIRMF", "RTO In Transit", S::RtoInTransit),
    code("RTOOBMD", "RTO In Transit", S::RtoInTransit),
    code("RTOIBMD", "RTO In Transit", S::RtoInTransit),
    code("RTOOBMN", "RTO In Transit", S::RtoInTransit),
    code("RTOIBMN", "RTO In Transit", S::RtoInTransit),
    code("RTOOMBM", "RTO In Transit", S::RtoInTransit),
    code("RTOIMBM", "RTO In Transit", S::RtoInTransit),
    code("RTOORBO", "RTO In Transit", S::RtoInTransit),
    code("RTOIRBO", "RTO In Transit", S::RtoInTransit),
    code("RTOCDOUT", "RTO In Transit", S::RtoInTransit),
    code("RTOCDIN", "RTO In Transit", S::RtoInTransit),
    code("RTOINSCAN", "RTO In Transit", S::RtoInTransit),
    code("RTOORMF", "RTO Mis Route", S::RtoInTransit),
    code("RTORADCDIN", "RTO Reached At Destination", S::RtoInTransit),
    code("RTOOUTDLV", "RTO Out For Delivery", S::RtoOutForDelivery),
    code(
        "RETURND",
        "RTO Returned/RTO Out For Delivery",
        S::RtoOutForDelivery,
    ),
    code(
        "RTORETURND",
        "RTO Returned/RTO Out For Delivery",
        S::RtoOutForDelivery,
    ),
    code("RTONONDLV", "Not Delivered", S::RtoFailed),
    ndr(
        "RTONONDLV:RRT",
        "Not Delivered - CONSIGNOR REFUSED RTO SHIPMENT-(CIR)",
        S::RtoFailed,
        NdrReason::Refused,
    ),
    code("RTODLV", "RTO Delivered", S::RtoDelivered),
];

/// Splits a table key `NONDLV:PNA` into the scan code and the reason code.
pub fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.split_once(REASON_SEPARATOR) {
        Some((scan, reason)) => (scan, Some(reason)),
        None => (key, None),
    }
}

/// Whether a scan code carries a non-delivery reason in its remarks.
pub fn carries_reason(scan_code: &str) -> bool {
    scan_code.eq_ignore_ascii_case(NOT_DELIVERED)
        || scan_code.eq_ignore_ascii_case(RTO_NOT_DELIVERED)
}
