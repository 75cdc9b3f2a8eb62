use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::LookupCaller;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::service::edd::{Promise, PromiseRequest, promise};

/// Destinations one batch request may ask about.
pub const MAX_BATCH_DESTINATIONS: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EddParams {
    /// Pickup postal code.
    origin: String,
    /// Delivery postal code.
    destination: String,
    /// Only this carrier (code, e.g. `delhivery`); default: every carrier of the tenant.
    carrier: Option<String>,
    /// The day the order is placed (YYYY-MM-DD); default: now, with the pickup cut-off applied.
    ship_date: Option<String>,
    /// Share of parcels to arrive by the promised date, 0–1 exclusive (default 0.9).
    confidence: Option<f64>,
    /// Country of both codes (ISO 3166-1 alpha-2; default IN).
    country: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EddBatchInput {
    pub origin: String,
    /// Up to 100 delivery postal codes.
    pub destinations: Vec<String>,
    pub carrier: Option<String>,
    pub ship_date: Option<String>,
    pub confidence: Option<f64>,
    pub country: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EstimateView {
    pub carrier: String,
    /// Promised date at the requested confidence.
    #[schema(value_type = String, format = Date)]
    pub date: jiff::civil::Date,
    pub confidence: f64,
    /// Median date.
    #[schema(value_type = String, format = Date)]
    pub p50: jiff::civil::Date,
    /// Typical range (5th–95th percentile).
    #[schema(value_type = String, format = Date)]
    pub earliest: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub latest: jiff::civil::Date,
    /// First day the carrier can take the parcel (cut-off and calendar applied).
    #[schema(value_type = String, format = Date)]
    pub handover: jiff::civil::Date,
    /// The postal hierarchy level that answered, e.g. `prefix3→prefix3`, or `carrier`.
    pub level: String,
    /// Deliveries behind that level.
    pub samples: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EddView {
    pub origin: String,
    pub destination: String,
    /// The earliest promise at the requested confidence, if any carrier has history.
    pub best: Option<EstimateView>,
    /// Every carrier with history, earliest first.
    pub carriers: Vec<EstimateView>,
    /// Carriers asked about that have no delivery history yet.
    pub unknown: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EddBatchView {
    pub data: Vec<EddView>,
}

fn view(origin: &str, p: Promise) -> EddView {
    let carriers: Vec<EstimateView> = p
        .estimates
        .into_iter()
        .map(|e| EstimateView {
            carrier: e.carrier,
            date: e.date,
            confidence: e.confidence,
            p50: e.p50,
            earliest: e.earliest,
            latest: e.latest,
            handover: e.handover,
            level: e.level,
            samples: e.samples,
        })
        .collect();
    EddView {
        origin: origin.to_string(),
        destination: p.destination,
        best: carriers.first().map(|b| EstimateView {
            carrier: b.carrier.clone(),
            level: b.level.clone(),
            ..*b
        }),
        carriers,
        unknown: p.unknown,
    }
}

/// A carrier adapter's code, or the tenant's own fleet.
fn is_known_carrier(code: &str) -> bool {
    code == "fleet" || shipgate_carriers::adapter(code).is_some()
}

struct Raw<'a> {
    origin: &'a str,
    destinations: Vec<&'a str>,
    carrier: Option<&'a str>,
    ship_date: Option<&'a str>,
    confidence: Option<f64>,
    country: Option<&'a str>,
}

fn validate(
    state: &AppState,
    raw: Raw<'_>,
    destinations_field: &str,
) -> Result<PromiseRequest, ApiError> {
    let mut errs = ValidationErrors::new();
    let country = raw.country.unwrap_or("IN").trim().to_ascii_uppercase();
    let country_ok = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
    if !country_ok {
        errs.push(
            "country",
            InvalidValue::new("invalid_country", "an ISO 3166-1 alpha-2 code such as IN"),
        );
    }
    // The model's configured scheme (no allocation per lookup); the generic
    // one for a country without its own.
    let model = state.edd.model();
    let generic;
    let scheme = match model.context().scheme(&country) {
        Ok(scheme) => scheme,
        Err(_) => {
            generic = shipgate_edd::PostalScheme::for_country(&country);
            &generic
        }
    };
    let mut normalize = |field: String, code: &str| match scheme.normalize(code) {
        Ok(code) => Some(code),
        Err(e) => {
            errs.push(
                field,
                InvalidValue::new("invalid_postal_code", e.to_string()),
            );
            None
        }
    };
    let origin = normalize("origin".into(), raw.origin);
    let single = raw.destinations.len() == 1 && destinations_field == "destination";
    let destinations: Vec<Option<String>> = raw
        .destinations
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let field = if single {
                destinations_field.to_string()
            } else {
                format!("{destinations_field}[{i}]")
            };
            normalize(field, d)
        })
        .collect();
    if raw.destinations.is_empty() || raw.destinations.len() > MAX_BATCH_DESTINATIONS {
        errs.push(
            destinations_field,
            InvalidValue::new(
                "invalid_count",
                format!("give 1 to {MAX_BATCH_DESTINATIONS} destinations"),
            ),
        );
    }
    let confidence = raw
        .confidence
        .unwrap_or(crate::service::edd::DEFAULT_CONFIDENCE);
    if !(confidence > 0.0 && confidence < 1.0) {
        errs.push(
            "confidence",
            InvalidValue::new("out_of_range", "a share between 0 and 1, e.g. 0.9"),
        );
    }
    let ship_date = match raw.ship_date.map(str::parse::<jiff::civil::Date>) {
        None => None,
        Some(Ok(date)) => Some(date),
        Some(Err(_)) => {
            errs.push(
                "ship_date",
                InvalidValue::new("invalid_date", "a date as YYYY-MM-DD"),
            );
            None
        }
    };
    let carriers = raw.carrier.map(|c| vec![c.trim().to_ascii_lowercase()]);
    if let Some(carrier) = raw.carrier
        && !is_known_carrier(&carrier.trim().to_ascii_lowercase())
    {
        errs.push(
            "carrier",
            InvalidValue::new("unknown_carrier", "see GET /v1/carriers for the codes"),
        );
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    Ok(PromiseRequest {
        country,
        origin: origin.unwrap_or_default(),
        destinations: destinations.into_iter().flatten().collect(),
        carriers,
        ship_date,
        confidence,
    })
}

/// Estimated delivery date for one lane: per carrier and best overall.
#[utoipa::path(
    get, path = "/v1/edd", tag = "edd",
    params(EddParams),
    responses((status = 200, body = EddView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn get(
    caller: LookupCaller,
    State(state): State<AppState>,
    query: Result<QueryParams<EddParams>, ApiError>,
) -> Response {
    let answer = async {
        let QueryParams(p) = query?;
        lookup(&state, &caller.tenant, p).await
    };
    caller.respond(answer.await)
}

async fn lookup(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    p: EddParams,
) -> Result<axum::Json<EddView>, ApiError> {
    let request = validate(
        state,
        Raw {
            origin: &p.origin,
            destinations: vec![&p.destination],
            carrier: p.carrier.as_deref(),
            ship_date: p.ship_date.as_deref(),
            confidence: p.confidence,
            country: p.country.as_deref(),
        },
        "destination",
    )?;
    let mut promises = promise(state, tenant, &request).await?;
    let promise = promises
        .pop()
        .ok_or_else(|| ApiError::internal(&"no answer"))?;
    Ok(axum::Json(view(&request.origin, promise)))
}

/// Estimated delivery dates from one origin to many destinations at once.
#[utoipa::path(
    post, path = "/v1/edd/batch", tag = "edd",
    request_body = EddBatchInput,
    responses((status = 200, body = EddBatchView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn batch(
    caller: LookupCaller,
    State(state): State<AppState>,
    body: Result<JsonBody<EddBatchInput>, ApiError>,
) -> Response {
    let answer = async {
        let JsonBody(input) = body?;
        lookup_batch(&state, &caller.tenant, input).await
    };
    caller.respond(answer.await)
}

async fn lookup_batch(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    input: EddBatchInput,
) -> Result<axum::Json<EddBatchView>, ApiError> {
    let request = validate(
        state,
        Raw {
            origin: &input.origin,
            destinations: input.destinations.iter().map(String::as_str).collect(),
            carrier: input.carrier.as_deref(),
            ship_date: input.ship_date.as_deref(),
            confidence: input.confidence,
            country: input.country.as_deref(),
        },
        "destinations",
    )?;
    let data = promise(state, tenant, &request)
        .await?
        .into_iter()
        .map(|p| view(&request.origin, p))
        .collect();
    Ok(axum::Json(EddBatchView { data }))
}
