//! Pickups and end-of-day manifests, per carrier account (and so per pickup
//! location: an account has one registered location).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use shipgate_carriers::core::{Capability, PickupRequest};
use shipgate_carriers::{adapter, fleet};
use shipgate_domain::{Shipment, ShipmentEvent, ShipmentStatus};
use shipgate_labels::{Manifest, ManifestRow, render_manifest_csv, render_manifest_pdf};
use shipgate_storage::{CarrierAccountRecord, Pickup, ShipmentFilter, Tenant, new_id, now};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickupInput {
    /// The carrier account whose shipments are collected; absent for the self-managed fleet.
    pub carrier_account_id: Option<String>,
    /// Pickup date, `YYYY-MM-DD`; defaults to today (IST).
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<Date>,
    /// Ready time, `HH:MM`; defaults to 14:00.
    #[schema(value_type = Option<String>)]
    pub time: Option<Time>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PickupView {
    pub id: String,
    pub carrier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_account_id: Option<String>,
    pub location: String,
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// The carrier's pickup id, when the carrier has a pickup API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_pickup_id: Option<String>,
    pub shipment_ids: Vec<String>,
}

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(shipgate_carriers::core::time::ist())
        .date()
}

async fn account(
    state: &AppState,
    tenant: &Tenant,
    id: Option<&str>,
) -> Result<Option<CarrierAccountRecord>, ApiError> {
    match id {
        None => Ok(None),
        Some(id) => state
            .store
            .carrier_account(&tenant.id, id)
            .await?
            .map(Some)
            .ok_or_else(|| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "carrier_account_id",
                    "not_found",
                    "no carrier account with this id",
                )
            }),
    }
}

fn location(record: Option<&CarrierAccountRecord>) -> String {
    record
        .and_then(|r| {
            r.settings
                .get("pickup_location")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "Main Warehouse".to_string())
}

/// The account's shipments matching `filter`, all pages.
async fn shipments(
    state: &AppState,
    tenant: &Tenant,
    filter: &ShipmentFilter,
    max: usize,
) -> Result<Vec<Shipment>, ApiError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store
            .list_shipments(&tenant.id, filter, after.as_deref(), 100)
            .await?;
        all.extend(page.items);
        match page.next_after {
            Some(next) if all.len() < max => after = Some(next),
            _ => return Ok(all),
        }
    }
}

/// Request a pickup of every manifested shipment of a carrier account.
///
/// One pickup per account (pickup location) and day, as carriers allow; the
/// shipments move to `pickup_scheduled`.
#[utoipa::path(
    post, path = "/v1/pickups", tag = "pickups",
    request_body = PickupInput,
    responses(
        (status = 201, body = PickupView),
        (status = 409, description = "A pickup for this location and day exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    JsonBody(input): JsonBody<PickupInput>,
) -> Result<Response, ApiError> {
    let record = account(&state, &tenant, input.carrier_account_id.as_deref()).await?;
    let date = input.date.unwrap_or_else(today);
    if date < today() {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "date",
            "in_past",
            "a pickup cannot be in the past",
        ));
    }
    let carrier = record
        .as_ref()
        .map_or(fleet::CODE.to_string(), |r| r.carrier.clone());
    let filter = ShipmentFilter {
        status: Some(ShipmentStatus::Manifested),
        carrier: Some(carrier.clone()),
        carrier_account_id: record.as_ref().map(|r| r.id.clone()),
        ..Default::default()
    };
    let due: Vec<Shipment> = shipments(&state, &tenant, &filter, 5_000)
        .await?
        .into_iter()
        .filter(|s| record.is_some() || s.carrier_account_id.is_none())
        .collect();
    if due.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_to_pick_up",
            "no manifested shipments await a pickup for this account",
        ));
    }
    let location = location(record.as_ref());
    let mut carrier_pickup_id = None;
    if let Some(record) = &record {
        let adapter =
            adapter(&record.carrier).ok_or_else(|| ApiError::internal(&"unknown carrier"))?;
        // Carriers without a pickup API schedule the pickup from the booking itself.
        if adapter.capabilities().contains(&Capability::Pickup) {
            let account = crate::service::carrier_accounts::open_account(&state, record)?;
            let request = PickupRequest {
                location: location.clone(),
                date,
                time: input.time.unwrap_or(Time::constant(14, 0, 0, 0)),
                expected_packages: due.iter().map(|s| s.parcels.len() as u32).sum(),
                awbs: due.iter().map(|s| s.awb.clone()).collect(),
            };
            carrier_pickup_id = Some(
                state
                    .carrier_client
                    .pickup(adapter, &account, &request)
                    .await?
                    .pickup_id,
            );
        }
    }
    let pickup = Pickup {
        id: new_id("pk"),
        tenant_id: tenant.id.clone(),
        carrier_account_id: record.as_ref().map(|r| r.id.clone()),
        carrier: carrier.clone(),
        location: location.clone(),
        date,
        carrier_pickup_id: carrier_pickup_id.clone(),
        shipment_count: due.len() as u32,
        created_at: now(),
    };
    state.store.insert_pickup(&pickup).await?;
    let at = now();
    for s in &due {
        let mut event = ShipmentEvent::system(
            new_id("evt"),
            ShipmentStatus::PickupScheduled,
            at,
            format!("Pickup {} requested for {date} at {location}", pickup.id),
            None,
        );
        event.location = Some(location.clone());
        state
            .store
            .record_events(
                &tenant.id,
                &s.id,
                &[event],
                &crate::service::follow_up(&state),
            )
            .await?;
    }
    let view = PickupView {
        id: pickup.id,
        carrier,
        carrier_account_id: pickup.carrier_account_id,
        location,
        date,
        carrier_pickup_id,
        shipment_ids: due.into_iter().map(|s| s.id).collect(),
    };
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ManifestFormat {
    #[default]
    Pdf,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ManifestParams {
    /// The carrier account; absent for the self-managed fleet.
    carrier_account_id: Option<String>,
    /// Day the shipments were booked, `YYYY-MM-DD` (IST); defaults to today.
    date: Option<String>,
    /// `pdf` (default) or `csv`.
    // Inline: a reference would dangle (see `LabelParams`).
    #[param(inline)]
    format: Option<ManifestFormat>,
}

/// The end-of-day manifest: every shipment booked that day with a carrier
/// account (its pickup location), with pieces, weight and COD totals and a
/// signature box.
#[utoipa::path(
    get, path = "/v1/manifests", tag = "pickups",
    params(ManifestParams),
    responses((status = 200, description = "The manifest", content(("application/pdf"), ("text/csv")))),
    security(("api_key" = []))
)]
pub async fn manifest(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(params): QueryParams<ManifestParams>,
) -> Result<Response, ApiError> {
    let record = account(&state, &tenant, params.carrier_account_id.as_deref()).await?;
    let date = match params.date.as_deref() {
        None => today(),
        Some(d) => d.parse::<Date>().map_err(|_| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "date",
                "invalid_date",
                "use YYYY-MM-DD",
            )
        })?,
    };
    let ist = shipgate_carriers::core::time::ist();
    let start = date
        .to_zoned(ist.clone())
        .map_err(|e| ApiError::internal(&e))?
        .timestamp();
    let end = date
        .tomorrow()
        .map_err(|e| ApiError::internal(&e))?
        .to_zoned(ist)
        .map_err(|e| ApiError::internal(&e))?
        .timestamp();
    let carrier = record
        .as_ref()
        .map_or(fleet::CODE.to_string(), |r| r.carrier.clone());
    let filter = ShipmentFilter {
        carrier: Some(carrier.clone()),
        carrier_account_id: record.as_ref().map(|r| r.id.clone()),
        created_from: Some(start),
        created_before: Some(end),
        ..Default::default()
    };
    let mut list: Vec<Shipment> = shipments(&state, &tenant, &filter, 20_000)
        .await?
        .into_iter()
        .filter(|s| {
            s.state.status != ShipmentStatus::Cancelled
                && (record.is_some() || s.carrier_account_id.is_none())
        })
        .collect();
    list.reverse();
    let manifest = Manifest {
        carrier: carrier.clone(),
        account: record
            .as_ref()
            .map_or_else(|| fleet::NAME.to_string(), |r| r.name.clone()),
        location: location(record.as_ref()),
        date: date.to_string(),
        currency: list.first().map_or("INR".into(), |s| {
            s.declared_value.currency.as_str().to_string()
        }),
        rows: list
            .iter()
            .map(|s| ManifestRow {
                awb: s.awb.clone(),
                order_reference: s.order_reference.clone(),
                consignee: s.consignee.name.clone(),
                destination: format!("{} {}", s.consignee.city, s.consignee.postal_code),
                pieces: s.parcels.len() as u32,
                weight_grams: s.total_weight_grams(),
                payment_mode: s.payment_mode,
                cod_minor: s.cod_amount.as_ref().map_or(0, |m| m.minor_units),
            })
            .collect(),
    };
    let name = format!("manifest-{carrier}-{date}");
    let (content_type, body, ext) = match params.format.unwrap_or_default() {
        ManifestFormat::Csv => (
            "text/csv; charset=utf-8",
            render_manifest_csv(&manifest).into_bytes(),
            "csv",
        ),
        ManifestFormat::Pdf => (
            "application/pdf",
            render_manifest_pdf(&manifest).map_err(|e| ApiError::internal(&e))?,
            "pdf",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}
