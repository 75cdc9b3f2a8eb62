//! Ecom Express reason codes (`reason_code_number` in tracking and push),
//! mapped to Shipgate's taxonomy.
//!
//! Ecom Express does not publish its reason-code master openly; this table is
//! assembled from public integration code that maps it (see the crate doc):
//!
//! - descriptions come from WareIQ's `ecom_express_status_mapping` (the text
//!   Ecom sends in the scan's `status` field) and from real tracking answers
//!   quoted in `Unkodero/ecom-express-api` (`221 - Consignee Refused To Accept`,
//!   `999 - Delivered`) and Pickrr's pull sample (`006`, `999`);
//! - the set of codes and their category (manifested, pickup failed, NDR with
//!   sub-reason, RTO, RTO delivered `r999`, damaged, lost) comes from Pickrr's
//!   `src/apps/ecomm/constant.js` (`ECOMM_CODE_MAPPER`);
//! - where only Pickrr lists a code, the description below is ours, written
//!   from Pickrr's category (marked `inferred text` in the comment);
//! - `r003` and `r006` (return leg in transit / out for delivery to the
//!   shipper) are inferred from Pickrr's `r`-prefix convention for the return
//!   leg (`r999`); they are not in any public list.
//!
//! Where Pickrr and a real tracking answer disagree (`221`: Pickrr says RTO
//! undelivered, Ecom's own answer says "Consignee Refused To Accept" on the
//! forward leg) the carrier's answer wins.

use shipgate_carrier_core::StatusCode;
use shipgate_domain::{NdrReason as R, ShipmentStatus as S};

const fn c(code: &'static str, description: &'static str, status: S) -> StatusCode {
    StatusCode {
        code,
        description,
        status,
        ndr_reason: None,
    }
}

const fn ndr(code: &'static str, description: &'static str, reason: R) -> StatusCode {
    StatusCode {
        code,
        description,
        status: S::DeliveryFailed,
        ndr_reason: Some(reason),
    }
}

pub static STATUS_CODES: &[StatusCode] = &[
    // Booking and pickup.
    c("001", "Soft data uploaded", S::Manifested),
    c("013", "Shipment manifested", S::Manifested), // inferred text (Pickrr OM)
    c("1210", "Pickup scheduled", S::PickupScheduled), // inferred text (Pickrr OM)
    c("1220", "Pickup assigned", S::PickupScheduled), // inferred text (Pickrr OM)
    c("014", "Out for pickup", S::OutForPickup),    // inferred text (Pickrr OFP)
    c("1230", "Out for pickup", S::OutForPickup),   // inferred text (Pickrr OFP)
    c("0011", "Shipment picked up", S::PickedUp),
    c("1260", "Pickup done", S::PickedUp), // inferred text (Pickrr PP)
    c("400", "Shipment picked up", S::PickedUp),
    // Pickup failures (Pickrr PPF with sub-status).
    c("310", "Pickup failed - other reason", S::PickupFailed), // inferred text
    c("326", "Pickup cancelled", S::PickupFailed),             // inferred text
    c("334", "Pickup failed - shipment damaged", S::PickupFailed), // inferred text
    c("1310", "Pickup failed - other reason", S::PickupFailed), // inferred text
    c("1320", "Pickup on hold", S::PickupFailed),              // inferred text
    c("1330", "Pickup cancelled by shipper", S::PickupFailed), // inferred text
    c("1340", "Shipment not ready for pickup", S::PickupFailed), // inferred text
    c("1350", "Shipment not ready for pickup", S::PickupFailed), // inferred text
    c("1360", "Shipper premises closed", S::PickupFailed),     // inferred text
    c("1370", "Pickup address issue", S::PickupFailed),        // inferred text
    c("1380", "Pickup not attempted", S::PickupFailed),        // inferred text
    c("1390", "Pickup not attempted", S::PickupFailed),        // inferred text
    c("1400", "Pickup not attempted", S::PickupFailed),        // inferred text
    c("1410", "Pickup not attempted", S::PickupFailed),        // inferred text
    c("1420", "Pickup rejected", S::PickupFailed),             // inferred text
    c("1430", "Pickup not attempted", S::PickupFailed),        // inferred text
    // Line haul.
    c("002", "Shipment in-scan", S::InTransit),
    c("003", "Bag scanned at DC", S::InTransit),
    c("004", "Shipment in-scan", S::InTransit),
    c("127", "Shipment in transit", S::InTransit), // inferred text (Pickrr SHP)
    c("100", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("101", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("203", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("205", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("230", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("240", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("301", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("303", "Shipment In Transit", S::InTransit),
    c("304", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("305", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("306", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("307", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("308", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("309", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("325", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("30401", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("30402", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("30404", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c("30405", "Shipment in transit", S::InTransit), // inferred text (Pickrr OT)
    c(
        "21601",
        "Late arrival-Misconnection/After cut off",
        S::Delayed,
    ),
    c("005", "Shipment in-scan at DC", S::AtDestinationHub),
    c(
        "12245",
        "Delivery attempt to be made - FE Instructions",
        S::AtDestinationHub,
    ),
    c(
        "12247",
        "Delivery Attempt to be made - Escalations",
        S::AtDestinationHub,
    ),
    // Last mile.
    c("006", "Shipment out for delivery", S::OutForDelivery),
    c("999", "Shipment delivered", S::Delivered),
    c("204", "Shipment delivered", S::Delivered),
    // Failed deliveries.
    ndr(
        "231",
        "Shipment attempted - Customer not available",
        R::CustomerUnavailable,
    ),
    ndr("219", "Consignee Not Available", R::CustomerUnavailable),
    ndr("212", "Consignee Out Of Station", R::CustomerUnavailable),
    ndr("214", "Consignee not available", R::CustomerUnavailable), // inferred text (Pickrr CNA)
    ndr("227", "Residence/Office Closed", R::CustomerUnavailable),
    ndr("401", "CUSTOMER RES/OFF CLOSED", R::CustomerUnavailable),
    ndr("22301", "Customer out of station", R::CustomerUnavailable),
    ndr(
        "22702",
        "Shipment attempted - Office closed",
        R::CustomerUnavailable,
    ),
    ndr("23101", "Customer out of station", R::CustomerUnavailable),
    ndr("23102", "Customer not in office", R::CustomerUnavailable),
    ndr("23103", "Customer not in residence", R::CustomerUnavailable),
    ndr(
        "210",
        "Shipment attempted - Customer refused to accept",
        R::Refused,
    ),
    ndr("221", "Consignee Refused To Accept", R::Refused),
    ndr("235", "Consignee refused to accept", R::Refused), // inferred text (Pickrr CR)
    ndr(
        "20002",
        "Forcefully opened by customer and returned",
        R::Refused,
    ),
    ndr(
        "213",
        "Scheduled for Next Day Delivery",
        R::RescheduledByCustomer,
    ),
    ndr(
        "331",
        "Consignee requested for future delivery",
        R::RescheduledByCustomer,
    ),
    ndr(
        "232",
        "Consignee requested for future delivery",
        R::RescheduledByCustomer,
    ), // inferred text (Pickrr CD)
    ndr(
        "226",
        "Holiday/Weekly off - Delivery on Next Working Day",
        R::NotAttempted,
    ),
    ndr("207", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("215", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("216", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("229", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("236", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("242", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("332", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("1224", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("1225", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr("23202", "Delivery not attempted", R::NotAttempted), // inferred text (Pickrr SD)
    ndr(
        "421",
        "Customer Number not reachable/Switched off",
        R::CustomerUnreachable,
    ),
    ndr(
        "417",
        "PHONE NUMBER NOT ANSWERING/ADDRESS NOT LOCATABLE",
        R::CustomerUnreachable,
    ),
    ndr(
        "209",
        "Consignee Refusing to Pay COD Amount",
        R::PaymentNotReady,
    ),
    ndr("2445", "Cash amount Mismatch", R::PaymentNotReady),
    ndr("233", "Consignee not reachable", R::CustomerUnreachable), // inferred text (Pickrr CNR)
    ndr("222", "Address Incorrect", R::AddressIssue),
    ndr("223", "Address Incomplete", R::AddressIssue),
    ndr("224", "Address Unlocatable", R::AddressIssue),
    ndr("220", "No Such Consignee At Given Address", R::AddressIssue),
    ndr(
        "218",
        "Consignee Shifted from the Given Address",
        R::AddressIssue,
    ),
    ndr("418", "Consignee Shifted, phone num wrong", R::AddressIssue),
    ndr("234", "Address issue", R::AddressIssue), // inferred text (Pickrr AI)
    ndr(
        "2447",
        "No such addressee in the given address",
        R::AddressIssue,
    ),
    ndr(
        "22303",
        "No Such Consignee At Given Address",
        R::AddressIssue,
    ),
    ndr(
        "23401",
        "Address pincode mismatch - Serviceable area",
        R::AddressIssue,
    ),
    ndr("228", "Out of Delivery Area", R::OutOfDeliveryArea),
    ndr("217", "Delivery Area Not Accessible", R::OutOfDeliveryArea),
    ndr("666", "Out of delivery area", R::OutOfDeliveryArea), // inferred text (Pickrr ODA)
    ndr(
        "22801",
        "Customer Address out of delivery area",
        R::OutOfDeliveryArea,
    ),
    ndr(
        "23402",
        "Address pincode mismatch - Non Serviceable area",
        R::OutOfDeliveryArea,
    ),
    ndr(
        "21002",
        "Order already cancelled",
        R::OrderCancelledByCustomer,
    ),
    ndr(
        "22901",
        "Customer requested for self collection",
        R::SelfCollectRequested,
    ),
    ndr("23201", "Entry restricted", R::EntryRestricted), // inferred text (Pickrr REST)
    ndr(
        "20701",
        "Misroute due to wrong pincode given by customer",
        R::Misrouted,
    ),
    ndr("419", "Three attempts made, follow up closed", R::Unknown),
    ndr("200", "Shipment undelivered", R::Unknown), // inferred text (Pickrr UD/CI)
    ndr("201", "Shipment undelivered", R::Unknown), // inferred text (Pickrr UD/CI)
    ndr("239", "Shipment undelivered", R::Unknown), // inferred text (Pickrr UD/CI)
    ndr("241", "Shipment undelivered - other reason", R::Unknown), // inferred text (Pickrr OTH)
    c("22701", "Case with Legal team", S::Held),
    // Return to origin ("RTS", return to shipper).
    c("777", "Returned", S::RtoRequested),
    c("77", "Return to shipper", S::RtoRequested), // inferred text (Pickrr RTO)
    c("r003", "RTO shipment in transit", S::RtoInTransit), // inferred code
    c(
        "r006",
        "RTO shipment out for delivery to shipper",
        S::RtoOutForDelivery,
    ), // inferred code
    c("211", "RTO undelivered", S::RtoFailed),     // inferred text (Pickrr RTO UD)
    c("r999", "RTO delivered to shipper", S::RtoDelivered), // inferred text (Pickrr RTD)
    // Exceptions.
    c("302", "Transit Damage", S::Damaged),
    c("888", "Transit Damage", S::Damaged),
    c("314", "DMG Lock - Damage", S::Damaged),
    c("555", "Destroyed Red Bus Shipment", S::Damaged),
    c(
        "88802",
        "Shipment destroyed - contains liquid item",
        S::Damaged,
    ),
    c(
        "88803",
        "Shipment destroyed - contains fragile item",
        S::Damaged,
    ),
    c("88804", "Shipment destroyed - empty packet", S::Damaged),
    c("31701", "Shipment destroyed - food item", S::Damaged),
    c("311", "Shortage", S::ContactSupport),
    c("313", "Shortage", S::ContactSupport),
    c("333", "Shipment Lost", S::Lost),
    c("33306", "Shipment Lost", S::Lost),
    c("33307", "Shipment Lost", S::Lost),
];
