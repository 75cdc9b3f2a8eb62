use axum::extract::State;
use serde::{Deserialize, Serialize};
use shipgate_domain::allocation::Rule;
use shipgate_domain::parcel::{Parcel, ParcelInput};
use shipgate_domain::rates::Quote;
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use shipgate_domain::{CountryCode, PaymentMode, PostalCode};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, ChangedBy};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::service::allocation::{RULES_SETTING, accounts, quote_lane, rules};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesInput {
    pub pickup_postal_code: String,
    pub delivery_postal_code: String,
    pub parcels: Vec<ParcelInput>,
    pub payment_mode: PaymentMode,
    /// Minor units; required for `cod`.
    pub cod_amount: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RateView {
    pub carrier_account_id: String,
    pub carrier: String,
    pub name: String,
    pub quote: Quote,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RatesView {
    /// Cheapest first.
    pub rates: Vec<RateView>,
    /// Accounts without a rate card covering this lane.
    pub unpriced: Vec<String>,
}

/// Price a parcel set at every carrier account with a rate card.
#[utoipa::path(
    post, path = "/v1/rates", tag = "allocation",
    request_body = RatesInput,
    responses((status = 200, body = RatesView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn quote(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    JsonBody(input): JsonBody<RatesInput>,
) -> Result<axum::Json<RatesView>, ApiError> {
    let mut errs = ValidationErrors::new();
    let india = CountryCode::india();
    let origin = errs.check(
        "pickup_postal_code",
        PostalCode::parse(&india, &input.pickup_postal_code),
    );
    let destination = errs.check(
        "delivery_postal_code",
        PostalCode::parse(&india, &input.delivery_postal_code),
    );
    if input.parcels.is_empty() {
        errs.push(
            "parcels",
            InvalidValue::new("invalid_count", "give at least one parcel"),
        );
    }
    let mut parcels: Vec<Parcel> = Vec::new();
    for (i, p) in input.parcels.iter().enumerate() {
        match Parcel::parse(p) {
            Ok(p) => parcels.push(p),
            Err(e) => errs.nest(&format!("parcels[{i}]"), e),
        }
    }
    let cod = match (input.payment_mode, input.cod_amount) {
        (PaymentMode::Cod, Some(a)) if a > 0 => a,
        (PaymentMode::Cod, _) => {
            errs.push(
                "cod_amount",
                InvalidValue::new("required", "a positive amount is required for cod"),
            );
            0
        }
        (PaymentMode::Prepaid, _) => 0,
    };
    let (Some(origin), Some(destination)) = (origin, destination) else {
        return Err(errs.into());
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let mut rates = Vec::new();
    let mut unpriced = Vec::new();
    for record in accounts(&state, &tenant).await? {
        match quote_lane(
            &record,
            origin.as_str(),
            destination.as_str(),
            &parcels,
            input.payment_mode,
            cod,
        ) {
            Some(quote) => rates.push(RateView {
                carrier_account_id: record.id,
                carrier: record.carrier,
                name: record.name,
                quote,
            }),
            None => unpriced.push(record.id),
        }
    }
    rates.sort_by_key(|r| r.quote.total_minor);
    Ok(axum::Json(RatesView { rates, unpriced }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesDoc {
    /// Checked in order; the first whose conditions all hold applies.
    pub rules: Vec<Rule>,
}

/// Replace the tenant's allocation rules.
#[utoipa::path(
    put, path = "/v1/allocation-rules", tag = "allocation",
    request_body = RulesDoc,
    responses((status = 200, body = RulesDoc), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn put_rules(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    JsonBody(input): JsonBody<RulesDoc>,
) -> Result<axum::Json<RulesDoc>, ApiError> {
    let mut errs = ValidationErrors::new();
    for (i, rule) in input.rules.iter().enumerate() {
        if rule.name.trim().is_empty() {
            errs.push(
                format!("rules[{i}].name"),
                InvalidValue::new("required", "name the rule"),
            );
        }
    }
    if input.rules.len() > 200 {
        errs.push("rules", InvalidValue::new("too_many", "at most 200 rules"));
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let value = serde_json::to_value(&input.rules).map_err(|e| ApiError::internal(&e))?;
    state
        .store
        .set_tenant_setting(
            &tenant.id,
            RULES_SETTING,
            &value,
            // The rules by name: their conditions can be long.
            &changed_by
                .entry("allocation_rules", "replaced", &tenant.id)
                .with_summary(serde_json::json!({
                    "rules": input.rules.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
                })),
        )
        .await?;
    Ok(axum::Json(input))
}

/// The tenant's allocation rules.
#[utoipa::path(
    get, path = "/v1/allocation-rules", tag = "allocation",
    responses((status = 200, body = RulesDoc)),
    security(("api_key" = []))
)]
pub async fn get_rules(
    State(state): State<AppState>,
    Caller(tenant): Caller,
) -> Result<axum::Json<RulesDoc>, ApiError> {
    Ok(axum::Json(RulesDoc {
        rules: rules(&state, &tenant).await?,
    }))
}
