use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_storage::CarrierAccountRecord;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Caller, ChangedBy};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::service::carrier_accounts::{NewCarrierAccount, create_account};
use crate::views::encode_cursor;

pub const TAG: &str = "carrier accounts";

/// A carrier account as the API shows it: credentials are never returned,
/// only their names.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CarrierAccountView {
    pub id: String,
    pub carrier: String,
    pub name: String,
    /// True for accounts served by the built-in carrier simulator.
    pub sandbox: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    pub credential_names: Vec<String>,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl CarrierAccountView {
    pub fn from_record(record: CarrierAccountRecord, credential_names: Vec<String>) -> Self {
        Self {
            sandbox: record.base_url.is_none(),
            id: record.id,
            carrier: record.carrier,
            name: record.name,
            base_url: record.base_url,
            credential_names,
            settings: record.settings,
            created_at: record.created_at,
        }
    }
}

/// Register a carrier account: credentials (encrypted at rest), where to call
/// the carrier, and settings such as the pickup location name. A tenant may
/// have several accounts per carrier. `"sandbox": true` makes an account
/// served by the built-in simulator (no credentials needed).
#[utoipa::path(
    post, path = "/v1/carrier-accounts", tag = TAG,
    request_body = NewCarrierAccount,
    responses(
        (status = 201, body = CarrierAccountView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    JsonBody(input): JsonBody<NewCarrierAccount>,
) -> Result<Response, ApiError> {
    let (record, names) = create_account(&state, &tenant, input, &changed_by).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CarrierAccountView::from_record(record, names)),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–100 (default 20).
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CarrierAccountPage {
    pub data: Vec<CarrierAccountView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn names(state: &AppState, record: &CarrierAccountRecord) -> Vec<String> {
    crate::service::carrier_accounts::credentials(state, record)
        .map(|c| c.into_keys().collect())
        .unwrap_or_default()
}

/// List the tenant's carrier accounts.
#[utoipa::path(
    get, path = "/v1/carrier-accounts", tag = TAG,
    params(ListParams),
    responses((status = 200, body = CarrierAccountPage)),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<axum::Json<CarrierAccountPage>, ApiError> {
    let (limit, after) = crate::views::page_params(params.limit, params.cursor.as_deref())?;
    let page = state
        .store
        .list_carrier_accounts(&tenant.id, after.as_deref(), limit)
        .await?;
    Ok(axum::Json(CarrierAccountPage {
        data: page
            .items
            .into_iter()
            .map(|r| {
                let n = names(&state, &r);
                CarrierAccountView::from_record(r, n)
            })
            .collect(),
        next_cursor: page.next_after.as_deref().map(encode_cursor),
    }))
}

/// Get a carrier account.
#[utoipa::path(
    get, path = "/v1/carrier-accounts/{id}", tag = TAG,
    params(("id" = String, Path, description = "Carrier account id")),
    responses((status = 200, body = CarrierAccountView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<CarrierAccountView>, ApiError> {
    let record = state
        .store
        .carrier_account(&tenant.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("carrier account"))?;
    let n = names(&state, &record);
    Ok(axum::Json(CarrierAccountView::from_record(record, n)))
}

/// Settings as accepted by the API (documented shape of `AccountSettings`).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AccountSettingsDoc {
    /// The pickup location (warehouse) name registered with the carrier.
    pickup_location: Option<String>,
    /// AWBs to keep pre-fetched, for carriers that work from a pool.
    awb_pool_size: Option<u32>,
    /// Carrier-specific settings (customer code, service type, …).
    extra: Option<BTreeMap<String, String>>,
    /// What the account is charged: zones, slabs, COD fee, fuel surcharge.
    rate_card: Option<shipgate_domain::rates::RateCard>,
}
