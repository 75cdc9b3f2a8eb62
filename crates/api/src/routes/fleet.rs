use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_carriers::fleet::Scan;
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use shipgate_domain::{NdrReason, ShipmentStatus};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::service::{ScanOutcome, check_scan_time, record_fleet_scan};

pub const MAX_SCANS: usize = 500;

/// One scan by a rider of the self-managed fleet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetScanInput {
    pub awb: String,
    pub status: ShipmentStatus,
    /// When the scan happened; defaults to now.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<Timestamp>,
    pub location: Option<String>,
    pub remarks: Option<String>,
    /// Why a delivery failed; only with `delivery_failed`.
    pub ndr_reason: Option<NdrReason>,
    pub rider_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetScansInput {
    /// 1 to 500 scans, recorded in order.
    pub scans: Vec<FleetScanInput>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScanResultKind {
    /// Recorded, and the shipment's status follows it.
    Applied,
    /// Recorded in the history, but the status rules kept the shipment where it was.
    Ignored,
    /// Already recorded (same AWB, status and time).
    Duplicate,
    /// No fleet shipment of this tenant has this AWB.
    NotFound,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScanResult {
    pub awb: String,
    pub result: ScanResultKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<String>,
    /// The shipment's status after this scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ShipmentStatus>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FleetScansResult {
    /// One result per scan, in the order sent.
    pub results: Vec<ScanResult>,
}

fn optional_text(
    v: Option<String>,
    max: usize,
    field: String,
    errs: &mut ValidationErrors,
) -> Option<String> {
    let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())?;
    if v.chars().count() > max {
        errs.push(
            field,
            InvalidValue::new("too_long", format!("must be at most {max} characters")),
        );
        return None;
    }
    Some(v)
}

/// Post fleet scans.
///
/// Riders of the self-managed fleet report each step (picked up, out for
/// delivery, delivered, failed attempt with its reason…). Every scan is kept
/// in the shipment's history; one the status rules do not allow is kept but
/// does not change the status. Nothing is recorded if any scan is invalid.
#[utoipa::path(
    post, path = "/v1/fleet/scans", tag = "fleet",
    request_body = FleetScansInput,
    responses(
        (status = 200, body = FleetScansResult),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn post_scans(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    JsonBody(input): JsonBody<FleetScansInput>,
) -> Result<axum::Json<FleetScansResult>, ApiError> {
    let mut errs = ValidationErrors::new();
    if input.scans.is_empty() || input.scans.len() > MAX_SCANS {
        errs.push(
            "scans",
            InvalidValue::new(
                "invalid_count",
                format!("send between 1 and {MAX_SCANS} scans"),
            ),
        );
    }
    let received = shipgate_storage::now();
    let mut scans = Vec::with_capacity(input.scans.len());
    for (i, s) in input.scans.into_iter().enumerate() {
        let field = |name: &str| format!("scans[{i}].{name}");
        let awb = s.awb.trim().to_string();
        if awb.is_empty() || awb.len() > 64 {
            errs.push(
                field("awb"),
                InvalidValue::new("invalid_awb", "must be 1 to 64 characters"),
            );
        }
        if s.ndr_reason.is_some() && s.status != ShipmentStatus::DeliveryFailed {
            errs.push(
                field("ndr_reason"),
                InvalidValue::new(
                    "not_allowed",
                    "only a delivery_failed scan has an NDR reason",
                ),
            );
        }
        let occurred_at = check_scan_time(
            s.occurred_at.unwrap_or(received),
            &mut errs,
            field("occurred_at"),
        );
        let scan = Scan {
            status: s.status,
            occurred_at: occurred_at.unwrap_or(received),
            location: optional_text(s.location, 200, field("location"), &mut errs),
            remarks: optional_text(s.remarks, 500, field("remarks"), &mut errs),
            ndr_reason: s.ndr_reason,
            rider: optional_text(s.rider_id, 64, field("rider_id"), &mut errs),
        };
        scans.push((awb, scan));
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let mut results = Vec::with_capacity(scans.len());
    for (awb, scan) in scans {
        let (result, shipment) = match record_fleet_scan(&state, &tenant, &awb, scan).await? {
            ScanOutcome::Applied(s) => (ScanResultKind::Applied, Some(s)),
            ScanOutcome::Ignored(s) => (ScanResultKind::Ignored, Some(s)),
            ScanOutcome::Duplicate(s) => (ScanResultKind::Duplicate, Some(s)),
            ScanOutcome::NotFound => (ScanResultKind::NotFound, None),
        };
        results.push(ScanResult {
            awb,
            result,
            shipment_id: shipment.as_ref().map(|s| s.id.clone()),
            status: shipment.map(|s| s.state.status),
        });
    }
    Ok(axum::Json(FleetScansResult { results }))
}
