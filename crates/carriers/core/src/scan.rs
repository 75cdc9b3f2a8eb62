//! Scans as carriers report them, kept raw and mapped to Shipgate's taxonomy.

use jiff::Timestamp;
use shipgate_domain::{NdrReason, ShipmentStatus};

/// One documented carrier status code and what it means in Shipgate's taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCode {
    /// The carrier's code, verbatim (`EOD-11`, `DL`, `17`).
    pub code: &'static str,
    /// The carrier's own description.
    pub description: &'static str,
    pub status: ShipmentStatus,
    /// For failed deliveries (and some RTO codes), why.
    pub ndr_reason: Option<NdrReason>,
}

/// Looks a code up in a carrier's table.
pub fn lookup(table: &'static [StatusCode], code: &str) -> Option<&'static StatusCode> {
    table
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
}

/// One scan, raw and normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierScan {
    /// The carrier's status code, verbatim.
    pub code: String,
    /// The carrier's status text, verbatim.
    pub description: String,
    /// `None` when the code is not in the carrier's table: kept and flagged
    /// for review, never dropped.
    pub status: Option<ShipmentStatus>,
    pub ndr_reason: Option<NdrReason>,
    pub occurred_at: Timestamp,
    pub location: Option<String>,
}

impl CarrierScan {
    /// Builds a scan from a table lookup, keeping the raw code and text either way.
    pub fn from_table(
        table: &'static [StatusCode],
        code: &str,
        description: &str,
        occurred_at: Timestamp,
        location: Option<String>,
    ) -> Self {
        let known = lookup(table, code);
        Self {
            code: code.trim().to_string(),
            description: description.trim().to_string(),
            status: known.map(|c| c.status),
            ndr_reason: known.and_then(|c| c.ndr_reason),
            occurred_at,
            location: location
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
        }
    }
}

/// What a tracking answer (pull) or a push says about one shipment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackedShipment {
    pub awb: String,
    /// The merchant's order reference, when the carrier echoes it.
    pub reference: Option<String>,
    /// Scans in the order the carrier gave them.
    pub scans: Vec<CarrierScan>,
    /// The carrier's own estimated delivery date.
    pub carrier_edd: Option<jiff::civil::Date>,
    /// Delivery attempts so far, when the carrier counts them.
    pub attempts: Option<u32>,
    /// Who received it / proof of delivery, when given.
    pub received_by: Option<String>,
}
