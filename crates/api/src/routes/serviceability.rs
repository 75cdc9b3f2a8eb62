use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use shipgate_domain::{CountryCode, PaymentMode, PostalCode};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Caller, ChangedBy, LookupCaller};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::service::serviceability::{MAX_SYNC_CODES, RowError, parse_csv, sync_from_carrier};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportView {
    /// Postal codes stored (new or replaced).
    pub stored: u64,
    /// Rows or codes that were not stored, and why.
    pub errors: Vec<RowError>,
}

async fn account(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    id: &str,
) -> Result<shipgate_storage::CarrierAccountRecord, ApiError> {
    state
        .store
        .carrier_account(&tenant.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("carrier account"))
}

/// Import an account's serviceability from a CSV (`postal_code` and any of
/// `prepaid`, `cod`, `pickup`, `reverse`, `oda`, `embargo` as yes/no,
/// `max_weight_grams`, `max_cod`). Listed codes are added or replaced; bad
/// rows are reported by line and the rest stored.
#[utoipa::path(
    put, path = "/v1/carrier-accounts/{id}/serviceability", tag = "edd",
    params(("id" = String, Path, description = "Carrier account id")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<axum::Json<ImportView>, ApiError> {
    let record = account(&state, &tenant, &id).await?;
    let (entries, errors) = parse_csv(&record.id, &CountryCode::india(), &body)?;
    // One entry per stored chunk (each its own transaction), counting its rows.
    let audit = changed_by
        .entry("serviceability", "imported", &record.id)
        .with_summary(serde_json::json!({ "source": "csv" }));
    let mut stored = 0;
    for chunk in entries.chunks(5_000) {
        stored += state
            .store
            .upsert_serviceability(&tenant.id, chunk, &audit)
            .await?;
    }
    state.serviceability_coverage.forget(&tenant.id);
    Ok(axum::Json(ImportView { stored, errors }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncInput {
    /// Up to 500 postal codes to ask the carrier about.
    pub postal_codes: Vec<String>,
}

/// Fetch serviceability for these postal codes from the carrier's pincode API.
#[utoipa::path(
    post, path = "/v1/carrier-accounts/{id}/serviceability/sync", tag = "edd",
    params(("id" = String, Path, description = "Carrier account id")),
    request_body = SyncInput,
    responses((status = 200, body = ImportView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn sync(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<SyncInput>,
) -> Result<axum::Json<ImportView>, ApiError> {
    let record = account(&state, &tenant, &id).await?;
    if input.postal_codes.is_empty() || input.postal_codes.len() > MAX_SYNC_CODES {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "postal_codes",
            "invalid_count",
            format!("give 1 to {MAX_SYNC_CODES} postal codes"),
        ));
    }
    let mut errs = ValidationErrors::new();
    let india = CountryCode::india();
    let codes: Vec<String> = input
        .postal_codes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| errs.check(format!("postal_codes[{i}]"), PostalCode::parse(&india, c)))
        .map(|c| c.as_str().to_string())
        .collect();
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let (stored, errors) = sync_from_carrier(&state, &tenant, &record, &codes, &changed_by).await?;
    Ok(axum::Json(ImportView { stored, errors }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceabilityParams {
    /// Delivery postal code.
    postal_code: String,
    /// Pickup postal code: also checks the carrier picks up there.
    origin: Option<String>,
    /// `cod` needs cash-on-delivery service; default `prepaid`.
    payment_mode: Option<PaymentMode>,
    /// Parcel weight, checked against the carrier's limit.
    weight_grams: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountServiceability {
    /// The tenant's carrier account; null when asked with a publishable key
    /// (a shopper's page has no use for the tenant's account ids).
    pub carrier_account_id: Option<String>,
    pub carrier: String,
    /// False when no serviceability is loaded for this account: import a CSV
    /// or sync from the carrier first.
    pub known: bool,
    /// Known, not embargoed, and offering the payment mode, pickup at the
    /// origin (when given) and the weight (when given).
    pub serviceable: bool,
    pub prepaid: bool,
    pub cod: bool,
    pub reverse: bool,
    /// Out of delivery area: delivered with extra time and charge.
    pub oda: bool,
    pub embargo: bool,
    /// Whether the carrier picks up at `origin` (null without one).
    pub pickup_at_origin: Option<bool>,
    pub max_weight_grams: Option<i64>,
    pub max_cod_minor: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceabilityView {
    pub postal_code: String,
    /// Every carrier account of the tenant.
    pub carriers: Vec<AccountServiceability>,
}

/// Which of the tenant's carrier accounts serve a postal code.
#[utoipa::path(
    get, path = "/v1/serviceability", tag = "edd",
    params(ServiceabilityParams),
    responses((status = 200, body = ServiceabilityView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn get(
    caller: LookupCaller,
    State(state): State<AppState>,
    query: Result<QueryParams<ServiceabilityParams>, ApiError>,
) -> axum::response::Response {
    let answer = async {
        let QueryParams(p) = query?;
        lookup(&state, caller.tenant(), p, !caller.from_public_page()).await
    };
    caller.respond(answer.await)
}

async fn lookup(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    p: ServiceabilityParams,
    show_account_ids: bool,
) -> Result<axum::Json<ServiceabilityView>, ApiError> {
    let india = CountryCode::india();
    let mut errs = ValidationErrors::new();
    let code = errs.check("postal_code", PostalCode::parse(&india, &p.postal_code));
    let origin = p
        .origin
        .as_deref()
        .and_then(|o| errs.check("origin", PostalCode::parse(&india, o)));
    if p.weight_grams.is_some_and(|w| w <= 0) {
        errs.push(
            "weight_grams",
            InvalidValue::new("out_of_range", "a positive weight in grams"),
        );
    }
    let Some(code) = code else {
        return Err(errs.into());
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let at = state
        .store
        .serviceability_at(&tenant.id, code.as_str())
        .await?;
    let at_origin = match &origin {
        Some(o) => Some(
            state
                .store
                .serviceability_at(&tenant.id, o.as_str())
                .await?,
        ),
        None => None,
    };
    let coverage = state.serviceability_coverage.get(state, tenant).await?;
    let cod_needed = p.payment_mode == Some(PaymentMode::Cod);
    let carriers = coverage
        .accounts
        .iter()
        .cloned()
        .map(|(id, carrier)| {
            let known = coverage.covered.contains(&id);
            let entry = at.iter().find(|e| e.carrier_account_id == id);
            let pickup_at_origin = at_origin.as_ref().map(|entries| {
                entries
                    .iter()
                    .any(|e| e.carrier_account_id == id && e.pickup)
            });
            let (prepaid, cod, reverse, oda, embargo, max_weight, max_cod) = entry
                .map(|e| {
                    (
                        e.prepaid,
                        e.cod,
                        e.reverse,
                        e.oda,
                        e.embargo,
                        e.max_weight_grams,
                        e.max_cod_minor,
                    )
                })
                .unwrap_or_default();
            let serviceable = known
                && entry.is_some()
                && !embargo
                && if cod_needed { cod } else { prepaid }
                && pickup_at_origin.unwrap_or(true)
                && match (p.weight_grams, max_weight) {
                    (Some(w), Some(max)) => w <= max,
                    _ => true,
                };
            AccountServiceability {
                carrier_account_id: show_account_ids.then_some(id),
                carrier,
                known,
                serviceable,
                prepaid,
                cod,
                reverse,
                oda,
                embargo,
                pickup_at_origin,
                max_weight_grams: max_weight,
                max_cod_minor: max_cod,
            }
        })
        .collect();
    Ok(axum::Json(ServiceabilityView {
        postal_code: code.as_str().to_string(),
        carriers,
    }))
}
